import re

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel
from rekisteri.customers.models import Language
from rekisteri.forms import ServiceErrorsForm
from rekisteri.marketing.models import Campaign, CampaignChannel, TargetGroup
from rekisteri.marketing.services import CampaignInput, TargetGroupInput

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
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
            "version": group.version,
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


class CampaignForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    target_group = forms.ModelChoiceField(
        label=_("Target group"),
        queryset=TargetGroup.objects.filter(channel__in=CampaignChannel.values).order_by("name"),
        help_text=_("A target group of the same channel."),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, required=False, help_text=_("Email only.")
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,  # the service says what is missing, with the other errors
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Plain text; an empty line starts a new paragraph. The opt-out and the "
            "recipient's own unsubscribe link are added to every message."
        ),
    )
    existing_customer_exception = forms.BooleanField(
        label=_("Also customers who bought from us and have not opted out (917/2014 § 200)"),
        required=False,
        help_text=_(
            "Only for offers of our own products similar to those bought, and only if the "
            "customers were offered a free opt-out when they gave their contact details. "
            "Customers whose details were imported are never included."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_of(cls, campaign: Campaign) -> dict[str, object]:
        return {
            "name": campaign.name,
            "channel": campaign.channel,
            "target_group": campaign.target_group_id,
            "subject": campaign.subject,
            "body": campaign.body,
            "existing_customer_exception": campaign.existing_customer_exception,
            "version": campaign.version,
        }

    def campaign_input(self) -> CampaignInput:
        data = self.cleaned_data
        return CampaignInput(
            name=data["name"],
            channel=data["channel"],
            target_group=data["target_group"],
            subject=data["subject"],
            body=data["body"],
            existing_customer_exception=data["existing_customer_exception"],
        )
