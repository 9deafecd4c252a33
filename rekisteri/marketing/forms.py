import re

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel
from rekisteri.customers.models import Language
from rekisteri.forms import ServiceErrorsForm
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.services import TargetGroupInput

SEPARATORS = re.compile(r"[\s,;]+")


def _words(text: str) -> list[str]:
    return [word for word in SEPARATORS.split(text) if word]


class TargetGroupForm(ServiceErrorsForm):
    """The criteria as staff type them; the service validates and normalises them."""

    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    skus = forms.CharField(
        label=_("Products bought"),
        required=False,
        help_text=_("Product codes, separated by spaces or commas: customers who bought any."),
    )
    last_order_from = forms.DateField(
        label=_("Last order from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_order_to = forms.DateField(
        label=_("Last order to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    minimum_total_spent = forms.DecimalField(
        label=_("Minimum total spent (€)"), required=False, max_digits=12, decimal_places=2
    )
    postal_code_ranges = forms.CharField(
        label=_("Postal code ranges"),
        required=False,
        help_text=_("For example 90100-90999 or 90100, separated by spaces or commas."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Preferred languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every language."),
    )

    @classmethod
    def initial_of(cls, group: TargetGroup) -> dict[str, object]:
        return {
            "name": group.name,
            "channel": group.channel,
            "skus": " ".join(group.skus),
            "last_order_from": group.last_order_from,
            "last_order_to": group.last_order_to,
            "minimum_total_spent": group.minimum_total_spent,
            "postal_code_ranges": " ".join(group.postal_code_ranges),
            "languages": list(group.languages),
        }

    def group_input(self) -> TargetGroupInput:
        data = self.cleaned_data
        # A range may be typed "90100 - 90999": join the dash back before splitting.
        ranges = re.sub(r"\s*[-–]\s*", "-", data["postal_code_ranges"])
        return TargetGroupInput(
            name=data["name"],
            channel=data["channel"],
            skus=_words(data["skus"]),
            last_order_from=data["last_order_from"],
            last_order_to=data["last_order_to"],
            minimum_total_spent=data["minimum_total_spent"],
            postal_code_ranges=_words(ranges),
            languages=data["languages"],
        )
