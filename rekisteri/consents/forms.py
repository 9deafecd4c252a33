"""The form staff use to record what a customer said about marketing; the rules are
the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel, EventKind, Source
from rekisteri.customers.models import Language
from rekisteri.forms import ServiceErrorsForm

# What staff hear the customer say: on the phone, in an email, or in person.
STAFF_SOURCES = [
    (Source.PHONE_CALL.value, Source.PHONE_CALL.label),
    (Source.EMAIL.value, Source.EMAIL.label),
    (Source.STAFF.value, Source.STAFF.label),
]


class ConsentRecordForm(ServiceErrorsForm):
    kind = forms.ChoiceField(label=_("The customer"), choices=EventKind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels (ban, objection)")), *Channel.choices],
        required=False,
        help_text=_("Needed for a consent or its withdrawal."),
    )
    source = forms.ChoiceField(label=_("Said by"), choices=STAFF_SOURCES, initial=Source.PHONE_CALL)
    language = forms.ChoiceField(
        label=_("Language of the wording"), choices=Language.choices, initial=Language.FINNISH
    )
