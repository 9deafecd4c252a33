from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.models import ReceivedVia, RequestKind

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
