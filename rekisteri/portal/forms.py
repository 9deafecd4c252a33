from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel, EventKind
from rekisteri.forms import ServiceErrorsForm

CHANGES = [
    (EventKind.GRANT, _("Allow")),
    (EventKind.WITHDRAWAL, _("Refuse")),
    (EventKind.BAN, _("Ban all marketing")),
    (EventKind.BAN_LIFTED, _("Lift the ban")),
]


class ConsentChangeForm(ServiceErrorsForm):
    """One change on the consent page: each button posts its own."""

    change = forms.ChoiceField(choices=CHANGES)
    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    text = forms.IntegerField(required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("change") in (EventKind.GRANT, EventKind.WITHDRAWAL) and not data.get(
            "channel"
        ):
            raise forms.ValidationError(_("Choose the channel."))
        return data
