from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.customers.selectors import customer_get
from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.models import ReceivedVia, RequestKind, SubjectRequest

STAFF_CHANNELS = [(value, label) for value, label in ReceivedVia.choices if value != "portal"]


class RequestRecordForm(ServiceErrorsForm):
    """A request received by email, phone or letter, as staff record it."""

    kind = forms.ChoiceField(label=_("Request"), choices=RequestKind.choices)
    received_via = forms.ChoiceField(label=_("Received via"), choices=STAFF_CHANNELS)
    received_at = forms.DateTimeField(
        label=_("Received"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The deadline runs from this moment."),
    )
    customer_number = forms.IntegerField(label=_("Customer number"), required=False, min_value=1)
    name = forms.CharField(label=_("Name given"), required=False, max_length=260)
    email = forms.CharField(label=_("Email given"), required=False, max_length=254)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    verification_note = forms.CharField(
        label=_("How the identity was verified"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For example: called back to the phone number on record and confirmed the "
            "order history. Leave empty to verify later."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passed through as given
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _version_field() -> forms.IntegerField:
    # The version the page showed. The page always sends it; a post without one is
    # not checked against a change made meanwhile, as the services allow.
    return forms.IntegerField(widget=forms.HiddenInput, required=False)


def _text_field() -> forms.CharField:
    # Not required here: the service says how long the text must be, in its own words.
    return forms.CharField(required=False, widget=forms.Textarea)


class RequestStepForm(ServiceErrorsForm):
    """One step of answering a request on its page (privacy:request_action). The
    fields are the page's own inputs; `arguments` are what the step's service takes
    besides the actor and the request."""

    def __init__(self, *args: Any, subject_request: SubjectRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject_request = subject_request

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class VerifyForm(RequestStepForm):
    """Staff verified the requester themselves: whose identity, and how."""

    customer_number = forms.IntegerField(required=False)
    note = _text_field()
    version = _version_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        number = cleaned.get("customer_number")
        # Without a number, the customer the request already names.
        customer = customer_get(customer_number=number) if number else self.subject_request.customer
        if customer is None:
            raise ValidationError(_("Give the number of the customer whose identity you verified."))
        cleaned["customer"] = customer
        return cleaned

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        # Verifying is always checked against a change made meanwhile: a post
        # without a version is refused as one.
        return {"customer": data["customer"], "note": data["note"], "version": data["version"] or 0}


class SendVerificationForm(RequestStepForm):
    """The link goes to the email on record: nothing to fill in."""


class ExtendForm(RequestStepForm):
    reason = _text_field()
    version = _version_field()


class CompleteForm(RequestStepForm):
    outcome = _text_field()
    version = _version_field()


class RefuseForm(RequestStepForm):
    """The page's one text box, `outcome`, says what was done or why the request is
    refused; for a refusal it is the reason the requester is told."""

    outcome = _text_field()
    version = _version_field()

    def arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["outcome"], "version": self.cleaned_data["version"]}


class ObjectForm(RequestStepForm):
    version = _version_field()


class DeliverForm(RequestStepForm):
    """The download link goes to the email on record: nothing to fill in."""


class PortalRequestForm(ServiceErrorsForm):
    """The portal's request form; the service validates and reports every error."""

    kind = forms.ChoiceField(label=_("What do you ask for?"), choices=RequestKind.choices)
    name = forms.CharField(label=_("Your name"), required=False, max_length=300)
    email = forms.CharField(
        label=_("Your email address"),
        required=False,
        max_length=254,
        help_text=_("The address you gave us. We send a confirmation link to it."),
    )
    details = forms.CharField(
        label=_("Anything we should know (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class EmailForm(ServiceErrorsForm):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address you gave us. We send a link to it."),
    )
