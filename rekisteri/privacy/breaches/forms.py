"""The forms of the breach register. The rules are the services' (`privacy.breaches`);
the forms shape the pages and carry the services' errors to their fields."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.breaches.services import DataCategory
from rekisteri.privacy.models import BreachDecision

TIME_FORMAT = "%Y-%m-%dT%H:%M"
DECISIONS = [
    (value, label) for value, label in BreachDecision.choices if value != BreachDecision.UNDECIDED
]
NUMBER_SEPARATORS = re.compile(r"[\s,;]+")
NUMBER = re.compile(r"[0-9]{1,18}")
BAD_NUMBERS_SHOWN = 5


def _time_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=TIME_FORMAT)


def _now_for_input() -> str:
    return timezone.localtime().strftime(TIME_FORMAT)


class BreachForm(ServiceErrorsForm):
    """What happened (art. 33(3)), as known when recorded; completed later."""

    detected_at = forms.DateTimeField(
        label=_("Detected"),
        widget=_time_input(),
        help_text=_(
            "When the business became aware of the breach, Helsinki time. The 72 hours "
            "to notify the authority run from this moment."
        ),
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred"), widget=_time_input(), required=False, help_text=_("If known.")
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=200,
        help_text=_("One line, without anyone's personal data: it is shown in the register."),
    )
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The nature of the breach: what, how, and how it was found."),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of data"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    people_affected = forms.IntegerField(
        label=_("People affected (approx.)"),
        min_value=0,
        required=False,
        help_text=_("Leave empty if not known yet."),
    )
    records_affected = forms.IntegerField(
        label=_("Records affected (approx.)"),
        min_value=0,
        required=False,
        help_text=_("Leave empty if not known yet."),
    )
    likely_consequences = forms.CharField(
        label=_("Likely consequences"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measures_taken = forms.CharField(
        label=_("Measures taken or proposed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("To address the breach and to mitigate its possible adverse effects."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["detected_at"].initial = _now_for_input()


class BreachEditForm(BreachForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class BreachDecisionForm(ServiceErrorsForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "At least 10 characters. Not notifying needs a reason why the breach is "
            "unlikely to result in a risk to people's rights and freedoms."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AuthorityNotifiedForm(ServiceErrorsForm):
    notified_at = forms.DateTimeField(label=_("Notified"), widget=_time_input())
    reference = forms.CharField(
        label=_("The authority's reference"), max_length=100, required=False
    )
    late_reason = forms.CharField(
        label=_("Reasons for the delay"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the notification is later than 72 hours from the detection."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notified_at"].initial = _now_for_input()


class BreachSubjectsForm(ServiceErrorsForm):
    customer_numbers = forms.CharField(
        label=_("Customer numbers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Separated by spaces, commas or new lines. Those already listed are left as they are."
        ),
    )

    def clean_customer_numbers(self) -> list[int]:
        text = self.cleaned_data["customer_numbers"]
        words = [word for word in NUMBER_SEPARATORS.split(text) if word]
        bad = [word for word in words if not NUMBER.fullmatch(word)]
        if bad:
            shown = ", ".join(bad[:BAD_NUMBERS_SHOWN])
            if len(bad) > BAD_NUMBERS_SHOWN:
                shown += " …"
            raise ValidationError(_("These are not customer numbers: %(words)s") % {"words": shown})
        return [int(word) for word in words]


class BreachNoticeForm(ServiceErrorsForm):
    people_must_be_told = forms.BooleanField(
        label=_(
            "The people affected must be told: the breach is likely to result in a high "
            "risk to them"
        ),
        required=False,
    )
    notice_subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    notice_body = forms.CharField(
        label=_("Notice"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "In plain language: what happened, its likely consequences, what has been "
            "done and what the reader can do. The business's name and contact details are "
            "added below it, in the reader's language."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
