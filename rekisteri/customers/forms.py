from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri.customers.models import Language, Source
from rekisteri.customers.services import CustomerInput
from rekisteri.forms import ServiceErrorsForm


class CustomerForm(ServiceErrorsForm):
    """The fields staff fill in. Validation and normalisation are the service's; this
    form only shapes the page and carries the service's errors back to their fields."""

    surname = forms.CharField(label=_("Surname"), max_length=100)
    first_names = forms.CharField(label=_("First names"), max_length=150)
    street_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    post_office = forms.CharField(label=_("Post office"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=countries, initial="FI")
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.FINNISH
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Other customer-specific data. Never write the identity code here."),
    )
    identity_code = forms.CharField(
        label=_("Personal identity code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Only for credit checks and sales on invoice."),
    )

    def customer_input(self) -> CustomerInput:
        data = self.cleaned_data
        return CustomerInput(
            **{name: data.get(name, "") for name in CustomerInput.__dataclass_fields__}
        )


class CustomerCreateForm(CustomerForm):
    source = forms.ChoiceField(
        label=_("The customer relationship started by"),
        choices=[(value, label) for value, label in Source.choices if value != Source.IMPORT],
        initial=Source.PHONE,
    )
    allow_duplicate = forms.BooleanField(
        label=_("This is a different person: create a new customer anyway"), required=False
    )


class CustomerEditForm(CustomerForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    remove_identity_code = forms.BooleanField(
        label=_("Remove the stored identity code"), required=False
    )

    field_order = ["surname", "first_names"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity_code"].help_text = _(
            "Leave empty to keep the stored code. Only for credit checks and sales on invoice."
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Customer number, name (surname first), phone, email or identity code"),
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


class RevealForm(ServiceErrorsForm):
    reason = forms.CharField(
        label=_("Why do you need the identity code?"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
