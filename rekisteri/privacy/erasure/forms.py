"""The privacy officer's forms for erasure and restriction. The services validate the
reasons; these forms only shape the pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.customers.models import Customer
from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.erasure.personal_terms import REASON_MAX_LENGTH
from rekisteri.privacy.models import RequestKind, RequestStatus, SubjectRequest

REASON_HELP = _(
    "At least 10 characters. Never the customer's name, contact data or identity code: "
    "the reason is kept in the audit log for good."
)


class SubjectRequestChoice(forms.ModelChoiceField):  # type: ignore[type-arg]  # plain model field
    def label_from_instance(self, obj: SubjectRequest) -> str:
        received = timezone.localtime(obj.received_at).strftime("%d.%m.%Y")
        return f"{obj.get_kind_display()}, {received} ({obj.get_status_display()})"


class _ReasonForm(ServiceErrorsForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )


class _RequestReasonForm(_ReasonForm):
    """A reason, and the customer's open request of `kind` that this answers, if any."""

    subject_request = SubjectRequestChoice(
        label=_("The request this answers"),
        queryset=SubjectRequest.objects.none(),
        required=False,
        to_field_name="public_id",
        empty_label=_("None: no request"),
    )

    def __init__(self, *args: Any, customer: Customer, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject_request"]
        assert isinstance(field, SubjectRequestChoice)
        field.queryset = SubjectRequest.objects.filter(
            customer=customer, kind=kind, status=RequestStatus.OPEN
        ).order_by("received_at")


class ErasureForm(_RequestReasonForm):
    confirm = forms.BooleanField(
        label=_(
            "I have read the plan. Erase this customer's personal data for good; it cannot "
            "be undone."
        )
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, customer=customer, kind=RequestKind.ERASURE, **kwargs)


class RestrictionForm(_RequestReasonForm):
    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, customer=customer, kind=RequestKind.RESTRICTION, **kwargs)


class RestrictionLiftForm(_ReasonForm):
    # Asked only of a customer without an email address: the service requires it then.
    told_how = forms.CharField(
        label=_("How the customer was told"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The customer has no email address: tell them yourself before lifting the "
            'restriction (GDPR art. 18(3)) and say how and when, such as "by letter on '
            '7.12.2026". Never their name or contact data.'
        ),
    )
