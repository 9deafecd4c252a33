"""Credit checks kept with their orders (P12), and the policy that decides them.

Only what the decision needs is kept (data minimisation): when, who or what asked,
the provider, the decision and why, the classification code, the number of payment
defaults and the provider's reference. Never the bureau's raw answer, never a name
or an address from it, never the identity code."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    REFERRED = "referred", _("Referred to a person")


class CreditPolicy(models.Model):
    """The administrator's rules for invoice orders; one row."""

    decline_on_payment_defaults = models.BooleanField(
        _("decline when payment defaults are recorded"), default=True
    )
    max_invoice_total = models.DecimalField(
        _("largest order total on invoice (€)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("1500.00"),
    )
    decline_unknown_person = models.BooleanField(
        _("decline when the bureau does not know the person (otherwise a person decides)"),
        default=False,
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by_label = models.CharField(_("updated by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_invoice_total__gte=0), name="credit_policy_limit"
            )
        ]

    def __str__(self) -> str:
        return "credit policy"


class CreditCheck(models.Model):
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="credit_check"
    )
    checked_at = models.DateTimeField(_("checked"))
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by_label = models.CharField(_("asked by"), max_length=150)
    provider = models.CharField(_("provider"), max_length=32)
    is_simulated = models.BooleanField(_("simulated"), default=False)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    reason_code = models.CharField(_("reason"), max_length=48)
    classification_code = models.CharField(_("classification code"), max_length=16, blank=True)
    default_count = models.PositiveIntegerField(_("payment defaults"), null=True, blank=True)
    provider_reference = models.CharField(_("provider's reference"), max_length=64, blank=True)
    # A person's review of an automated decision (GDPR art. 22).
    override_decision = models.CharField(
        _("decision after review"), max_length=16, choices=Decision.choices, blank=True
    )
    override_reason = models.TextField(_("reason for the review decision"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    overridden_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit check")
        verbose_name_plural = _("credit checks")
        permissions = [("override_creditcheck", _("Can review and override a credit decision"))]

    def __str__(self) -> str:
        return f"{self.decision} ({self.reason_code})"

    @property
    def effective_decision(self) -> str:
        return self.override_decision or self.decision
