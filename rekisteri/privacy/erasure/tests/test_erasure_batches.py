"""Anonymising many customers at once (`customers_anonymise`, which retention uses):
each customer is refused or erased as `customer_anonymise` would refuse or erase them
alone, and the batch costs the same statements however many customers are in it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent, SubjectKey
from rekisteri.audit.services import Actor
from rekisteri.consents.models import EventKind
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure.personal_terms import REASON_PERSONAL
from rekisteri.privacy.erasure.services import customer_anonymise, customers_anonymise
from rekisteri.privacy.models import SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.retention.holds import legal_hold_place
from rekisteri.testing.everything import customer_with_everything, person
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("retention")
HOLD_REASON = "Riita-asia käräjäoikeudessa, asia L 26/1234"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    return settings.REKISTERI_ERASURE_LOG


def test_a_batch_refuses_each_customer_as_a_single_anonymisation_would():
    fine, held, named, anonymised = (make_customer() for _ in range(4))
    legal_hold_place(actor=ACTOR, customer=held, reason=HOLD_REASON)
    customer_anonymise(actor=ACTOR, customer=anonymised, reason="retention test")
    reason = f"retention: {named.surname} not seen since 2019"
    singles = {}
    for customer in (held, named, anonymised):
        with pytest.raises(ValidationError) as raised:
            customer_anonymise(actor=ACTOR, customer=customer, reason=reason)
        singles[customer.pk] = raised.value
    erasures_before = AuditEvent.objects.filter(action=Action.ERASE).count()

    result = customers_anonymise(
        actor=ACTOR, customers=[fine, held, named, anonymised], reason=reason
    )

    assert [customer.pk for customer in result.anonymised] == [fine.pk]
    assert {pk: error.messages for pk, error in result.refused.items()} == {
        pk: error.messages for pk, error in singles.items()
    }
    assert {pk: error.messages for pk, error in result.refused.items()} == {
        held.pk: ["A legal hold is in force: the customer is not erased."],
        named.pk: [str(REASON_PERSONAL)],
        anonymised.pk: ["The customer has already been anonymised."],
    }
    assert result.refused[named.pk].message_dict == {"reason": [str(REASON_PERSONAL)]}
    statuses = dict(Customer.objects.values_list("pk", "status"))
    assert statuses == {
        fine.pk: Status.ANONYMISED,
        held.pk: Status.ACTIVE,
        named.pk: Status.ACTIVE,
        anonymised.pk: Status.ANONYMISED,
    }
    new_erasures = AuditEvent.objects.filter(action=Action.ERASE).order_by("pk")[erasures_before:]
    assert [(event.customer_id, event.reason) for event in new_erasures] == [(fine.pk, reason)]


def test_a_batch_where_every_customer_is_refused_writes_nothing(erasure_log):
    held = make_customer()
    legal_hold_place(actor=ACTOR, customer=held, reason=HOLD_REASON)
    events_before = AuditEvent.objects.count()

    with CaptureQueriesContext(connection) as captured:
        result = customers_anonymise(actor=ACTOR, customers=[held], reason="retention test")

    assert list(result.refused) == [held.pk]
    assert result.anonymised == []
    writes = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert AuditEvent.objects.count() == events_before
    assert not erasure_log.exists()


def test_requests_not_yet_matched_go_to_the_customer_whose_email_they_came_from():
    first, second = make_customer(), make_customer()
    requests = {
        customer.pk: subject_request_record(
            actor=ACTOR,
            kind="erasure",
            received_via="email",
            received_at=timezone.now() - datetime.timedelta(hours=1),
            customer=None,
            name=f"{customer.first_names} {customer.surname}",
            email=customer.email,
            details=f"Poistakaa tietoni, {customer.first_names} {customer.surname}",
        )
        for customer in (first, second)
    }
    # Written by hand in another case: the match ignores it, as a single erasure's does.
    SubjectRequest.objects.filter(pk=requests[second.pk].pk).update(
        requester_email=second.email.upper()
    )

    result = customers_anonymise(actor=ACTOR, customers=[first, second], reason="retention test")

    assert len(result.anonymised) == 2
    for customer in (first, second):
        request = SubjectRequest.objects.get(pk=requests[customer.pk].pk)
        assert (request.requester_name, request.requester_email, request.details) == (
            f"Poistettu asiakas {customer.customer_number}",
            "",
            "",
        )
        assert request.customer_id is None


def anonymising_queries(count: int) -> int:
    """The statements `customers_anonymise` takes for `count` customers with a row in
    every table it changes."""
    customers = [
        customer_with_everything(
            who=person(),
            at=timezone.now() - datetime.timedelta(days=3650),
            consent_ended_by=EventKind.WITHDRAWAL,
        ).customer
        for _ in range(count)
    ]
    erasures_before = AuditEvent.objects.filter(action=Action.ERASE).count()
    with CaptureQueriesContext(connection) as captured:
        result = customers_anonymise(actor=ACTOR, customers=customers, reason="retention test")
    assert len(result.anonymised) == count
    assert AuditEvent.objects.filter(action=Action.ERASE).count() == erasures_before + count
    assert SubjectKey.objects.filter(customer__in=customers, key_encrypted="").count() == count
    return len(captured)


def test_a_batch_of_twenty_customers_costs_what_a_batch_of_five_does():
    five = anonymising_queries(5)
    twenty = anonymising_queries(20)

    assert twenty == five
