"""Target groups (P4): who a campaign is for, by order history, postal code and
language, always within the channel's consent rules (`consents.selectors`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel


class TargetGroup(models.Model):
    """The criteria of a group; the members are computed, never stored, so a consent
    withdrawn or a ban set after the group was saved is honoured at once."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # Customers who bought any of these product codes (empty: no condition).
    skus = models.JSONField(_("products bought"), default=list, blank=True)
    last_order_from = models.DateField(_("last order from"), null=True, blank=True)
    last_order_to = models.DateField(_("last order to"), null=True, blank=True)
    minimum_total_spent = models.DecimalField(
        _("minimum total spent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # "90100-90999" strings (see postal_codes.py); empty: every postal code.
    postal_code_ranges = models.JSONField(_("postal code ranges"), default=list, blank=True)
    languages = models.JSONField(_("preferred languages"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        permissions = [("export_targetgroup", _("Can export a target group's addresses"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_total_spent__isnull=True)
                | models.Q(minimum_total_spent__gte=0),
                name="targetgroup_minimum_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(last_order_from__isnull=True)
                | models.Q(last_order_to__isnull=True)
                | models.Q(last_order_from__lte=models.F("last_order_to")),
                name="targetgroup_order_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name
