from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.intake.models import IntegrationKind


class IntegrationCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IntegrationKind.choices, initial=IntegrationKind.GENERIC
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    shop_url = forms.URLField(
        label=_("Shop address"),
        required=False,
        assume_scheme="https",
        help_text=_("Needed for WooCommerce synchronisation, such as https://kauppa.example.fi."),
    )
    consumer_key = forms.CharField(
        label=_("WooCommerce consumer key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    consumer_secret = forms.CharField(
        label=_("WooCommerce consumer secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        """Puts a service's ValidationError onto the fields it names."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
