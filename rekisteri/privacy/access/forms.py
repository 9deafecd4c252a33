"""The authority request form: who asks, on what ground, and which data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.access.copy import DataCategory


class AuthorityExportForm(ServiceErrorsForm):
    customer_number = forms.IntegerField(label=_("Customer number"), min_value=1)
    recipient = forms.CharField(
        label=_("Authority"),
        max_length=200,
        help_text=_("The authority and its unit, as in the request."),
    )
    legal_ground = forms.CharField(
        label=_("Legal ground"),
        max_length=300,
        help_text=_("The statute and section the request is based on."),
    )
    reference = forms.CharField(
        label=_("The authority's reference"), max_length=200, required=False
    )
    recipient_email = forms.CharField(
        label=_("The authority's email address"),
        max_length=254,
        required=False,
        help_text=_(
            "Where the authority is told if the data is later rectified, erased or "
            "restricted (GDPR art. 19)."
        ),
    )
    # Not "fields": that name is the form's own dictionary of fields.
    categories = forms.MultipleChoiceField(
        label=_("Data asked for"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the request names. Nothing else is in the file."),
    )

    def __init__(self, *args: Any, may_reveal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_reveal:
            self.fields["categories"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                choice for choice in DataCategory.choices if choice[0] != DataCategory.IDENTITY_CODE
            ]

    def add_service_errors(self, error: ValidationError) -> None:
        """The service names the data asked for `fields`; here they are `categories`."""
        if hasattr(error, "error_dict") and "fields" in error.error_dict:
            renamed = dict(error.error_dict)
            renamed["categories"] = renamed.pop("fields")
            error = ValidationError(renamed)
        super().add_service_errors(error)
