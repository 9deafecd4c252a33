"""The forms of integrations, and of a delivery that waits for a person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.intake.models import Integration, IntegrationKind


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


class NotEchoedInput(forms.TextInput):
    """A text input that never renders a value: an identity code typed in is not sent
    back in the page, and none is ever filled in from what the shop sent."""

    def format_value(self, value: Any) -> str | None:
        return None


def _euro_total() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount in euros"),
        min_value=0.01,
        max_digits=12,
        decimal_places=2,
        help_text=_("The order's total in euros, as it was charged."),
    )


class CorrectForm(ServiceErrorsForm):
    surname = forms.CharField(label=_("Surname"), max_length=100, required=False)
    first_names = forms.CharField(label=_("First names"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    identity_code = forms.CharField(
        label=_("Personal identity code"),
        max_length=20,
        required=False,
        widget=NotEchoedInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Only for an invoice order. Never filled in from the shop's data."),
    )

    def __init__(self, *args: Any, needs_euros: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_euros:
            self.fields = {"euro_total": _euro_total(), **self.fields}


class AttachForm(ServiceErrorsForm):
    customer_number = forms.IntegerField(label=_("Customer number"), min_value=1)

    def __init__(self, *args: Any, needs_euros: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_euros:
            self.fields["euro_total"] = _euro_total()


class DiscardForm(ServiceErrorsForm):
    reason = forms.CharField(
        label=_("Why it is discarded"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Such as: a duplicate of another order, or a test order."),
    )


class InvoiceMethodsForm(ServiceErrorsForm):
    invoice_payment_methods = forms.CharField(
        label=_("Invoice payment methods"),
        max_length=Integration._meta.get_field("invoice_payment_methods").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "The shop's payment method ids that bill the buyer later, one per line, such "
            "as klarna_invoice. Their orders get a credit check."
        ),
    )
