"""A retention run anonymises its customers and minimises its orders a batch at a time:
each customer is checked as a single erasure checks them, the one that may not be
anonymised is left as it was and the others go on, and every customer gets the audit
event a single erasure gives (test_erasure_batches.py counts a batch's statements)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rekisteri.audit.models import Action, AuditEvent, SubjectKey
from rekisteri.audit.sealing import audit_seal
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.customers.models import Customer, Status
from rekisteri.orders.models import Order
from rekisteri.privacy.erasure.services import CUSTOMER_ERASED_FIELDS, RELATED_ERASED
from rekisteri.privacy.models import (
    Disclosure,
    ErasureLogEntry,
    LegalHold,
    RetentionCategory,
    RetentionPolicy,
    SubjectRequest,
)
from rekisteri.privacy.retention.services import PolicyReport, retention_plan, retention_run
from rekisteri.privacy.retention.tests.backdated import (
    at,
    customer_active_until,
    legal_hold_on,
    order_placed,
)
from rekisteri.testing.database import found_in_database
from rekisteri.testing.everything import customer_with_everything, person
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
LONG_AGO = at(datetime.date(2015, 5, 5))
ACTOR = Actor.system("retention")
RETENTION_REASON = "retention inactive_customers: before 2023-11-26 (36 months)"
ERASED_FIELDS = sorted({*CUSTOMER_ERASED_FIELDS, *RELATED_ERASED})


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    return settings.REKISTERI_ERASURE_LOG


def only(category: str) -> None:
    RetentionPolicy.objects.exclude(category=category).update(enabled=False)


def report_of(reports: list[PolicyReport], category: str) -> PolicyReport:
    return next(report for report in reports if report.category == category)


def inactive_with_everything(who: dict[str, str]) -> Customer:
    """A customer of `who` whose details staff also wrote into orders, a return, a
    subject request and a disclosure, inactive since 2015."""
    return customer_with_everything(
        who=who, at=LONG_AGO, prepaid_order=True, consent_ended_by=EventKind.WITHDRAWAL
    ).customer


def kept_state(customer: Customer) -> tuple[object, ...]:
    """What anonymising the customer would change, in every table it touches."""
    return (
        Customer.objects.filter(pk=customer.pk).values().get(),
        list(Order.objects.filter(customer=customer).order_by("pk").values()),
        list(ConsentEvent.objects.filter(customer=customer).order_by("pk").values()),
        list(SubjectRequest.objects.filter(customer=customer).order_by("pk").values()),
        list(LegalHold.objects.filter(customer=customer).order_by("pk").values()),
        list(Disclosure.objects.filter(customer=customer).order_by("pk").values()),
        list(SubjectKey.objects.filter(customer=customer).values()),
        list(AuditEvent.objects.filter(customer=customer).order_by("pk").values_list("pk")),
    )


def test_a_run_anonymises_a_batch_and_leaves_the_held_and_the_refused_as_they_were(
    erasure_log, caplog
):
    only(RetentionCategory.INACTIVE_CUSTOMERS)
    held = inactive_with_everything(person())
    legal_hold_on(held)
    # The run's reason says "before" the cut-off; the anonymisation refuses a reason
    # with any of the customer's names in it.
    refused_person = {**person(), "surname": "Before"}
    refused = inactive_with_everything(refused_person)
    who = person()
    done = inactive_with_everything(who)
    who["identity_code_ciphertext"] = done.identity_code_encrypted
    who["identity_code_index"] = done.identity_code_index
    assert {what for what, _table, _column in found_in_database(who)} == set(who) - {
        "identity_code"
    }
    reasons_of_done = [
        event.pk for event in AuditEvent.objects.filter(customer=done).exclude(personal_reason="")
    ]
    assert reasons_of_done
    held_before, refused_before = kept_state(held), kept_state(refused)

    plan = report_of(retention_plan(today=TODAY), "inactive_customers")
    run = report_of(retention_run(actor=ACTOR, today=TODAY), "inactive_customers")

    assert (plan.due, plan.held_back) == (2, 1)
    assert (run.due, run.held_back, run.done) == (2, 1, 1)
    # The anonymised: nowhere in the database, their reasons unreadable, their key gone.
    assert found_in_database(who) == set()
    done.refresh_from_db()
    assert (done.surname, done.first_names, done.email, done.status) == (
        f"Poistettu asiakas {done.customer_number}",
        "",
        "",
        Status.ANONYMISED,
    )
    assert set(Order.objects.filter(customer=done).values_list("delivery_name", flat=True)) == {
        f"Asiakas {done.customer_number}"
    }
    key = SubjectKey.objects.get(customer=done)
    assert (key.key_encrypted, key.destroyed_at is not None) == ("", True)
    assert [
        personal_text_decrypt(event) for event in AuditEvent.objects.filter(pk__in=reasons_of_done)
    ] == [None] * len(reasons_of_done)
    # The held and the refused: every row as it was, their keys and reasons readable.
    assert (kept_state(held), kept_state(refused)) == (held_before, refused_before)
    for customer in (held, refused):
        assert SubjectKey.objects.get(customer=customer).destroyed_at is None
        event = AuditEvent.objects.filter(customer=customer).exclude(personal_reason="").first()
        assert event is not None
        assert personal_text_decrypt(event) not in (None, "")
    assert f"retention could not anonymise customer id {refused.pk}" in caplog.messages
    assert not any("Before" in message for message in caplog.messages)
    # One erasure event for the anonymised customer, as a single erasure writes it, and
    # the batch's own event.
    erasures = list(AuditEvent.objects.filter(action=Action.ERASE).order_by("pk"))
    assert [
        (event.customer_id, event.object_type, event.object_id, event.reason, event.changed_fields)
        for event in erasures
    ] == [
        (done.pk, "customers.customer", str(done.pk), RETENTION_REASON, ERASED_FIELDS),
        (
            None,
            "privacy.retentionpolicy",
            str(RetentionPolicy.objects.get(category="inactive_customers").pk),
            f"{RETENTION_REASON}: 1 customers",
            sorted(CUSTOMER_ERASED_FIELDS),
        ),
    ]
    assert [entry.customer_public_id for entry in ErasureLogEntry.objects.all()] == [done.public_id]
    lines = [json.loads(line) for line in erasure_log.read_text().splitlines()]
    assert [line["customer"] for line in lines] == [str(done.public_id)]
    audit_seal()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert audit_chain_verify().is_intact


def minimising_queries(count: int) -> int:
    """The statements a retention run takes to minimise one old order of each of
    `count` customers."""
    for _ in range(count):
        order_placed(make_customer(), at(datetime.date(2019, 6, 1)))
    with CaptureQueriesContext(connection) as captured:
        run = report_of(retention_run(actor=ACTOR, today=TODAY), "orders")
    assert run.done == count
    return len(captured)


def test_minimising_orders_costs_the_same_for_twenty_customers_as_for_five():
    only(RetentionCategory.ORDERS)

    five = minimising_queries(5)
    twenty = minimising_queries(20)

    assert twenty == five
    events = AuditEvent.objects.filter(object_type="orders.order", action=Action.UPDATE)
    assert events.count() == 25
    assert {(event.reason, personal_text_decrypt(event)) for event in events} == {
        ("", "orders minimised: 1")
    }
    audit_seal()
    assert audit_chain_verify().is_intact


def test_a_customer_gone_inactive_without_data_is_anonymised_in_a_batch_too():
    only(RetentionCategory.INACTIVE_CUSTOMERS)
    bare = [customer_active_until(LONG_AGO) for _ in range(3)]

    run = report_of(retention_run(actor=ACTOR, today=TODAY, batch_size=2), "inactive_customers")

    assert run.done == 3
    assert set(Customer.objects.values_list("status", flat=True)) == {Status.ANONYMISED}
    assert sorted(SubjectKey.objects.values_list("customer_id", "key_encrypted")) == sorted(
        (customer.pk, "") for customer in bare
    )
