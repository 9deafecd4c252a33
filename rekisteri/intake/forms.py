from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.intake.models import IntegrationKind


class IntegrationCreateForm(ServiceErrorsForm):
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
    sells_on_invoice = forms.BooleanField(
        label=_("Sells on invoice"),
        required=False,
        help_text=_(
            "Only a shop that sells on invoice may send the buyer's identity code, for the "
            "credit check. Leave it off for every other shop."
        ),
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


class ShopSecretForm(ServiceErrorsForm):
    secret = forms.CharField(
        label=_("The shop's webhook signing secret"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Shopify shows it beside the store's webhooks (or it is the app's client secret)."
        ),
    )
