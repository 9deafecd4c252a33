"""The steps of answering a request on its page: each is its form, then its service,
and the answer is the request's page again with what was done, or why not, as a
message. A refused step changes nothing and writes nothing to the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer
from rekisteri.privacy.models import RequestStatus, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
NOTE = "Soitettiin takaisin rekisterissä olevaan numeroon."
CONFLICT = "Someone else changed this request. Check it again."


def open_request(customer: Customer | None = None, *, note: str = NOTE) -> SubjectRequest:
    """A request recorded by phone: open when the note says how the identity was
    verified, else awaiting verification."""
    return subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="phone",
        received_at=timezone.now(),
        customer=customer or make_customer(),
        name="Aino Virtanen",
        verification_note=note,
    )


def step(client, subject_request: SubjectRequest, **data):
    response = client.post(
        reverse("privacy:request_action", args=[subject_request.public_id]), data
    )
    assert response.status_code == 302
    assert response.url == reverse("privacy:request", args=[subject_request.public_id])
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def unchanged(subject_request: SubjectRequest) -> bool:
    """The request is as it was read, field for field."""
    current = SubjectRequest.objects.get(pk=subject_request.pk)
    return all(
        getattr(current, field.attname) == getattr(subject_request, field.attname)
        for field in SubjectRequest._meta.concrete_fields
    )


def test_a_refusal_stores_its_reason_as_the_outcome(privacy_officer_client):
    subject_request = open_request()
    reason = "Pyyntö on ilmeisen perusteeton: sama pyyntö vastattiin viime viikolla."

    said = step(
        privacy_officer_client,
        subject_request,
        action="refuse",
        outcome=reason,
        version=subject_request.version,
    )

    assert said == [("success", "Request refused.")]
    subject_request.refresh_from_db()
    assert (subject_request.status, subject_request.outcome) == (RequestStatus.REFUSED, reason)
    closed, told = AuditEvent.objects.filter(object_type="privacy.subjectrequest").order_by("-id")[
        :2
    ][::-1]
    assert (closed.action, personal_text_decrypt(closed)) == (Action.UPDATE, "request refused")
    assert personal_text_decrypt(told) == "refusal notice to the person queued for email"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "refuse", "outcome": "Ei käy"},
            "Give the reason for refusing (at least 10 characters).",
        ),
        ({"action": "complete", "outcome": ""}, "Say what was done (at least 10 characters)."),
        (
            {"action": "extend", "reason": "Laaja"},
            "Give the reason for the extension (at least 10 characters).",
        ),
        ({"action": "complete", "outcome": "Kopio luovutettu.", "version": "0"}, CONFLICT),
        (
            {"action": "complete", "outcome": "Kopio luovutettu.", "version": "x"},
            "Enter a whole number.",
        ),
        ({"action": "object"}, "This is not an objection of a known customer."),
        ({"action": "jotain"}, "Choose what to do."),
        ({}, "Choose what to do."),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_refused_step_says_why_and_changes_nothing(privacy_officer_client, data, message):
    subject_request = open_request()
    events_before = AuditEvent.objects.count()

    said = step(privacy_officer_client, subject_request, **data)

    assert said == [("error", message)]
    assert unchanged(subject_request)
    assert AuditEvent.objects.count() == events_before


def test_staff_verify_the_customer_the_request_names_when_no_number_is_given(
    privacy_officer_client,
):
    customer = make_customer()
    subject_request = open_request(customer, note="")

    said = step(
        privacy_officer_client,
        subject_request,
        action="verify",
        customer_number="",
        note=NOTE,
        version=subject_request.version,
    )

    assert said == [("success", "Identity verified; the request is open.")]
    subject_request.refresh_from_db()
    assert (subject_request.status, subject_request.customer) == (RequestStatus.OPEN, customer)
    assert subject_request.verification_note == NOTE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"customer_number": "99999", "note": NOTE},
            ("Give the number of the customer whose identity you verified."),
        ),
        ({"note": "soitto"}, "Say how the identity was verified (at least 10 characters)."),
        ({"note": NOTE, "version": ""}, CONFLICT),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_refused_verification_says_why_and_changes_nothing(privacy_officer_client, data, message):
    subject_request = open_request(note="")
    events_before = AuditEvent.objects.count()

    said = step(
        privacy_officer_client,
        subject_request,
        **{"action": "verify", "version": subject_request.version, **data},
    )

    assert said == [("error", message)]
    assert unchanged(subject_request)
    assert AuditEvent.objects.count() == events_before
