"""Forms for a person's review of a credit decision and for the administrator's credit
policy. The rules (a reason long enough, a limit of zero or more) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.credit.models import Decision
from rekisteri.forms import ServiceErrorsForm


class CreditOverrideForm(ServiceErrorsForm):
    decision = forms.ChoiceField(
        label=_("Decision after review"),
        choices=[
            (Decision.APPROVED.value, Decision.APPROVED.label),
            (Decision.DECLINED.value, Decision.DECLINED.label),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why you decided so, in at least 10 characters. Never the identity code."),
    )


class CreditPolicyForm(ServiceErrorsForm):
    decline_on_payment_defaults = forms.BooleanField(
        label=_("Decline when payment defaults are recorded (otherwise a person decides)"),
        required=False,
    )
    max_invoice_total = forms.DecimalField(
        label=_("Largest order total on invoice (€)"),
        max_digits=12,
        decimal_places=2,
        localize=True,
        help_text=_("A larger order is declined without asking the credit bureau."),
    )
    decline_unknown_person = forms.BooleanField(
        label=_(
            "Decline when the credit bureau does not know the person (otherwise a person decides)"
        ),
        required=False,
    )
