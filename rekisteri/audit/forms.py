"""The audit log's filter form."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.audit import selectors
from rekisteri.audit.models import Action

ISO_DATE = "%Y-%m-%d"
ONE_DAY = datetime.timedelta(days=1)
# Larger numbers cannot be a customer number or a seq, and overflow SQLite's integers.
LARGEST_ID = 2**63 - 1


class AuditFilterForm(forms.Form):
    """The log's filters, from the query string; every field may be left empty."""

    customer = forms.IntegerField(
        label=_("Customer number"),
        required=False,
        min_value=1,
        max_value=LARGEST_ID,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )
    actor = forms.CharField(label=_("Staff member (username)"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All actions")), *Action.choices]
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    # Where the previous page ended; the "older events" link sets it, never the form.
    before = forms.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, widget=forms.HiddenInput
    )

    def clean_customer(self) -> int | None:
        number: int | None = self.cleaned_data["customer"]
        if number is None:
            return None
        customer_id = selectors.audit_customer_id(customer_number=number)
        if customer_id is None:
            raise forms.ValidationError(
                _("No customer has the number %(number)s."), params={"number": number}
            )
        return customer_id

    def clean_actor(self) -> int | None:
        username: str = self.cleaned_data["actor"]
        if not username:
            return None
        user_id = selectors.audit_actor_id(username=username)
        if user_id is None:
            raise forms.ValidationError(
                _("No staff member has the username %(username)s."),
                params={"username": username},
            )
        return user_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def audit_filter(self) -> selectors.AuditFilter:
        """The valid form as a filter: whole days in local time, both ends included."""
        data = self.cleaned_data
        since, until = data["since"], data["until"]
        return selectors.AuditFilter(
            customer_id=data["customer"],
            actor_user_id=data["actor"],
            action=data["action"],
            since=selectors.local_day_start(since) if since else None,
            until=selectors.local_day_start(until + ONE_DAY) if until else None,
        )
