"""The form of one retention policy. The rules (1 to 600 months, orders at least the
accounting period) are the service's: `retention.retention_policy_update`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm


class RetentionPolicyForm(ServiceErrorsForm):
    months = forms.IntegerField(
        label=_("Kept for (months)"),
        help_text=_("From 1 to 600 months. Orders: at least 72, the accounting period."),
    )
    enabled = forms.BooleanField(
        label=_("In use (off: nothing is done and the data is kept)"), required=False
    )
