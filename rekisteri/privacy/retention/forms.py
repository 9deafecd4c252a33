"""The form of one retention policy, and the form that places a legal hold. The rules
(1 to 600 months, orders at least the accounting period; a hold's reason) are the
services': `services.retention_policy_update`, `holds.legal_hold_place`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.retention.holds import HOLD_REASON_MAX_LENGTH


class RetentionPolicyForm(ServiceErrorsForm):
    months = forms.IntegerField(
        label=_("Kept for (months)"),
        help_text=_("From 1 to 600 months. Orders: at least 72, the accounting period."),
    )
    enabled = forms.BooleanField(
        label=_("In use (off: nothing is done and the data is kept)"), required=False
    )


class LegalHoldForm(ServiceErrorsForm):
    reason = forms.CharField(
        label=_("Why the data must be kept"),
        max_length=HOLD_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example a dispute, a claim or an authority's request, with its reference. "
            "At least 10 characters; never the customer's name, contact data or identity code."
        ),
    )
