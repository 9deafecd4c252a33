from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BoundField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri import fi
from rekisteri.customers.merging import Choice, FieldChoice
from rekisteri.customers.models import Language, Source
from rekisteri.customers.services import CustomerInput
from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.models import SubjectRequest


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


class RequestChoiceField(forms.ModelChoiceField[SubjectRequest]):
    def label_from_instance(self, obj: SubjectRequest) -> str:
        received = timezone.localtime(obj.received_at).strftime("%d.%m.%Y")
        return f"{received} · {obj.public_id}"


class CustomerEditForm(CustomerForm):
    """The identity code is not asked on the customer forms: it is given with an invoice
    order (P8). Here a stored code can only be corrected or removed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    identity_code = forms.CharField(
        label=_("Personal identity code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Correct the stored code if it is wrong; leave empty to keep it. It was given "
            "with an invoice order, and it is removed a set time after the last invoice is "
            "paid."
        ),
    )
    remove_identity_code = forms.BooleanField(
        label=_("Remove the stored identity code"), required=False
    )
    subject_request = RequestChoiceField(
        label=_("Made for the rectification request"),
        queryset=SubjectRequest.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text=_("The audit trail names the request (GDPR art. 16)."),
    )

    field_order = ["surname", "first_names"]

    def __init__(
        self,
        *args: Any,
        has_identity_code: bool = True,
        rectification_requests: QuerySet[SubjectRequest] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Offered only while the customer has an open rectification request.
        if rectification_requests is None or not rectification_requests.exists():
            del self.fields["subject_request"]
        else:
            self.fields["subject_request"].queryset = rectification_requests  # type: ignore[attr-defined]  # a ModelChoiceField
        if not has_identity_code:
            del self.fields["identity_code"]
            del self.fields["remove_identity_code"]


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


class MergeStartForm(forms.Form):
    other = forms.IntegerField(
        label=_("The other record's customer number"),
        min_value=1,
        widget=forms.NumberInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


def shown_value(name: str, value: str) -> str:
    """A merge field's stored value as the customer page shows it."""
    if not value:
        return ""
    if name == "phone":
        return fi.format_phone(value)
    if name == "country":
        return str(countries.name(value)) or value
    if name == "preferred_language":
        return str(dict(Language.choices).get(value, value))
    return value


@dataclass(frozen=True)
class MergeRow:
    label: str
    kept_value: str
    other_value: str
    field: BoundField | None  # the choice, when the values differ


class MergeForm(ServiceErrorsForm):
    """One radio group per field whose values differ (which record's value the kept one
    gets), and the versions of both records as the page showed them."""

    kept_version = forms.IntegerField(widget=forms.HiddenInput)
    other_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, fields: Iterable[FieldChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.all_fields = list(fields)
        self.differing = [choice for choice in self.all_fields if choice.differs]
        empty = _("(empty)")
        for choice in self.differing:
            self.fields[choice.name] = forms.ChoiceField(
                label=choice.label,
                choices=[
                    ("kept", shown_value(choice.name, choice.kept_value) or empty),
                    ("other", shown_value(choice.name, choice.other_value) or empty),
                ],
                initial="kept",
                widget=forms.RadioSelect,
            )

    def rows(self) -> list[MergeRow]:
        """Each field of the two records, with the choice where their values differ."""
        return [
            MergeRow(
                label=choice.label,
                kept_value=shown_value(choice.name, choice.kept_value),
                other_value=shown_value(choice.name, choice.other_value),
                field=self[choice.name] if choice.differs else None,
            )
            for choice in self.all_fields
        ]

    def choices(self) -> dict[str, Choice]:
        return {
            choice.name: "other" if self.cleaned_data[choice.name] == "other" else "kept"
            for choice in self.differing
        }

    def versions(self) -> tuple[int, int]:
        return (self.cleaned_data["kept_version"], self.cleaned_data["other_version"])
