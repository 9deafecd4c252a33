from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff member. Accounts are personal: one person, one username.

    Accounts are deactivated, never deleted, so the audit trail keeps its actors."""

    class Meta:
        permissions = [("manage_staff", _("Can create, deactivate and change roles of staff"))]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")


class PledgeAcceptance(models.Model):
    """A staff member accepted a version of the confidentiality pledge."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledge_acceptances"
    )
    version = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    text_digest = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="pledge_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version}"
