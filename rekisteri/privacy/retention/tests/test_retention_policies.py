"""The retention policies: what each finds past its period (a day either side of the
cut-off), that a legal hold stops every one, that a dry run writes nothing, and what a
run does and audits. Dates are given as `today=`, so the cut-offs are exact."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.consents.services import marketing_ban_lift
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import Customer, Status
from rekisteri.marketing.models import Campaign, CampaignMessage, CampaignStatus
from rekisteri.orders.models import Order
from rekisteri.privacy.models import LegalHold, RetentionCategory, RetentionPolicy
from rekisteri.privacy.retention.services import (
    PolicyReport,
    months_before,
    retention_cutoff,
    retention_plan,
    retention_run,
)
from rekisteri.privacy.retention.tests.backdated import (
    IP_ADDRESS,
    USER_AGENT,
    at,
    backdate,
    ban,
    campaign_finished,
    credit_checked,
    customer_active_until,
    first_moment_of,
    grant,
    last_minute_of,
    legal_hold_on,
    message_to,
    order_placed,
    withdraw,
)
from rekisteri.testing.everything import customer_with_everything
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
ACTOR = Actor.system("retention")


def only(category: str) -> None:
    """Leaves just one policy in use, so that a run tests that policy alone."""
    RetentionPolicy.objects.exclude(category=category).update(enabled=False)


def report_of(reports: list[PolicyReport], category: str) -> PolicyReport:
    return next(report for report in reports if report.category == category)


def retention_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.retentionpolicy").order_by("id"))


# Cut-offs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 11, 26), 36, datetime.date(2023, 11, 26)),
        (datetime.date(2026, 5, 31), 3, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 5, 31), 3, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 1, 15), 1, datetime.date(2025, 12, 15)),
        (datetime.date(2026, 3, 1), 600, datetime.date(1976, 3, 1)),
    ],
)
def test_months_are_counted_back_to_the_same_day_or_the_months_last(day, months, expected):
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Orders of 2019 were kept to the end of 2025 (six years from the end of 2019).
        (datetime.date(2026, 1, 1), datetime.date(2020, 1, 1)),
        (datetime.date(2025, 12, 31), datetime.date(2019, 1, 1)),
        (datetime.date(2026, 11, 26), datetime.date(2020, 1, 1)),
    ],
)
def test_orders_are_kept_from_the_end_of_their_calendar_year(today, expected):
    assert retention_cutoff(category="orders", months=72, today=today) == expected


def test_the_default_policies_are_seeded():
    policies = {p.category: (p.months, p.enabled) for p in RetentionPolicy.objects.all()}

    assert policies == {
        "inactive_customers": (36, True),
        "orders": (72, True),
        "consent_evidence": (24, True),
        "credit_checks": (12, True),
        "campaign_messages": (24, True),
        "shop_deliveries": (1, True),
        "identity_codes": (3, True),
        "audit_events": (120, True),
    }


# Inactive customers ---------------------------------------------------------------------


def test_a_customer_inactive_since_before_the_cut_off_is_anonymised():
    only(RetentionCategory.INACTIVE_CUSTOMERS)
    cutoff = datetime.date(2023, 11, 26)
    inactive = customer_active_until(last_minute_of(cutoff - datetime.timedelta(days=1)))
    active = customer_active_until(first_moment_of(cutoff))

    report = report_of(retention_plan(today=TODAY), "inactive_customers")
    run = report_of(retention_run(actor=ACTOR, today=TODAY), "inactive_customers")

    assert (report.cutoff, report.due, report.held_back, report.done) == (cutoff, 1, 0, None)
    assert run.done == 1
    inactive.refresh_from_db()
    active.refresh_from_db()
    assert inactive.status == Status.ANONYMISED
    assert inactive.email == ""
    assert active.status == Status.ACTIVE
    batch = retention_events()[0]
    assert (batch.action, batch.actor_label, batch.customer_id) == (Action.ERASE, "retention", None)
    assert (
        batch.reason == "retention inactive_customers: before 2023-11-26 (36 months): 1 customers"
    )


def test_an_order_or_a_consent_since_the_cut_off_keeps_a_customer():
    only(RetentionCategory.INACTIVE_CUSTOMERS)
    long_ago = at(datetime.date(2021, 3, 4))
    with_order = customer_active_until(long_ago)
    order_placed(with_order, first_moment_of(datetime.date(2023, 11, 26)))
    Customer.objects.filter(pk=with_order.pk).update(last_activity_at=long_ago)
    with_consent = customer_active_until(long_ago)
    grant(with_consent, at(datetime.date(2024, 6, 1)))
    restricted = customer_active_until(long_ago)
    Customer.objects.filter(pk=restricted.pk).update(status=Status.RESTRICTED)

    reports = retention_run(actor=ACTOR, today=TODAY)

    assert report_of(reports, "inactive_customers").done == 1
    statuses = dict(Customer.objects.values_list("pk", "status"))
    assert statuses == {
        with_order.pk: Status.ACTIVE,
        with_consent.pk: Status.ACTIVE,
        restricted.pk: Status.ANONYMISED,
    }


def test_a_customer_the_anonymisation_refuses_is_left_and_the_others_are_done(caplog):
    only(RetentionCategory.INACTIVE_CUSTOMERS)
    long_ago = at(datetime.date(2021, 3, 4))
    # The reason given to the anonymisation names the cut-off "before" a date, and the
    # anonymisation refuses a reason with any of the customer's names in it.
    refused = customer_active_until(long_ago)
    Customer.objects.filter(pk=refused.pk).update(surname="Before")
    done = customer_active_until(long_ago)

    run = report_of(retention_run(actor=ACTOR, today=TODAY), "inactive_customers")

    statuses = dict(Customer.objects.values_list("pk", "status"))
    assert run.done == 1
    assert statuses == {refused.pk: Status.ACTIVE, done.pk: Status.ANONYMISED}
    assert f"retention could not anonymise customer id {refused.pk}" in caplog.messages
    assert retention_events()[0].reason.endswith(": 1 customers")


# Orders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "due"),
    [(datetime.date(2025, 12, 31), 0), (datetime.date(2026, 1, 1), 1)],
)
def test_an_order_is_due_once_six_years_from_the_end_of_its_year_have_passed(today, due):
    customer = make_customer()
    order_placed(customer, last_minute_of(datetime.date(2019, 12, 31)))
    order_placed(customer, first_moment_of(datetime.date(2020, 1, 1)))

    report = report_of(retention_plan(today=today), "orders")

    assert (report.months, report.due, report.held_back) == (72, due, 0)


def test_an_order_past_its_period_is_minimised_and_its_figures_stay():
    only(RetentionCategory.ORDERS)
    customer = make_customer()
    old = order_placed(customer, last_minute_of(datetime.date(2019, 12, 31)))
    new = order_placed(customer, first_moment_of(datetime.date(2020, 1, 1)))

    run = report_of(retention_run(actor=ACTOR, today=datetime.date(2026, 1, 1)), "orders")
    again = report_of(retention_plan(today=datetime.date(2026, 1, 1)), "orders")

    old_after, new_after = Order.objects.get(pk=old.pk), Order.objects.get(pk=new.pk)
    assert (run.due, run.done, again.due) == (1, 1, 0)
    assert old_after.delivery_name != old.delivery_name
    assert old_after.delivery_street_address == ""
    assert (old_after.total_gross, old_after.total_vat) == (Decimal("179.80"), old.total_vat)
    assert old_after.lines.get().line_total == Decimal("179.80")
    assert new_after.delivery_name == new.delivery_name
    assert (
        retention_events()[0].reason == "retention orders: before 2020-01-01 (72 months): 1 orders"
    )


# Consent evidence -----------------------------------------------------------------------


def test_the_evidence_of_a_consent_withdrawn_before_the_cut_off_is_cleared():
    only(RetentionCategory.CONSENT_EVIDENCE)
    cutoff = datetime.date(2024, 11, 26)
    given = at(datetime.date(2022, 1, 10))
    withdrawn_before = make_customer()
    cleared = [
        grant(withdrawn_before, given),
        withdraw(withdrawn_before, last_minute_of(cutoff - datetime.timedelta(days=1))),
    ]
    withdrawn_on = make_customer()
    kept = [grant(withdrawn_on, given), withdraw(withdrawn_on, first_moment_of(cutoff))]
    given_again = make_customer()
    kept += [
        grant(given_again, given),
        withdraw(given_again, at(datetime.date(2022, 5, 1))),
        grant(given_again, at(datetime.date(2023, 1, 1))),
    ]

    report = report_of(retention_plan(today=TODAY), "consent_evidence")
    run = report_of(retention_run(actor=ACTOR, today=TODAY), "consent_evidence")

    assert (report.cutoff, report.due, report.held_back) == (cutoff, 2, 0)
    assert run.done == 2
    evidence = {
        event.pk: (event.ip_address, event.user_agent) for event in ConsentEvent.objects.all()
    }
    assert evidence == {
        **{event.pk: (None, "") for event in cleared},
        **{event.pk: (IP_ADDRESS, USER_AGENT) for event in kept},
    }
    batch = retention_events()[0]
    assert (batch.action, batch.changed_fields) == (Action.UPDATE, ["ip_address", "user_agent"])


def test_a_ban_before_the_cut_off_ends_the_consents_given_before_it():
    only(RetentionCategory.CONSENT_EVIDENCE)
    customer = make_customer()
    before_ban = grant(customer, at(datetime.date(2021, 2, 1)), channel="sms")
    the_ban = ban(customer, at(datetime.date(2023, 6, 1)))
    # Given during the ban: it takes effect if the ban is lifted, so it is live evidence.
    during_ban = grant(customer, at(datetime.date(2023, 7, 1)))
    lifted = make_customer()
    ban(lifted, at(datetime.date(2022, 1, 1)))
    lifted_event = backdate(
        marketing_ban_lift(
            actor=Actor.system("test"),
            customer=lifted,
            source="privacy_portal",
            ip_address=IP_ADDRESS,
        ),
        at(datetime.date(2022, 2, 1)),
    )

    run = report_of(retention_run(actor=ACTOR, today=TODAY), "consent_evidence")

    assert run.done == 2
    ip_addresses = dict(ConsentEvent.objects.values_list("pk", "ip_address"))
    assert ip_addresses[before_ban.pk] is None
    assert ip_addresses[the_ban.pk] is None
    assert ip_addresses[during_ban.pk] == IP_ADDRESS
    assert ip_addresses[lifted_event.pk] == IP_ADDRESS
    assert ConsentEvent.objects.count() == 5  # the ledger keeps every event


# Credit checks --------------------------------------------------------------------------


def test_credit_check_details_are_cleared_after_the_period_and_the_decision_stays():
    only(RetentionCategory.CREDIT_CHECKS)
    cutoff = datetime.date(2025, 11, 26)
    customer = make_customer()
    old_order = order_placed(customer, at(datetime.date(2025, 11, 25)))
    old = credit_checked(old_order, last_minute_of(cutoff - datetime.timedelta(days=1)))
    new_order = order_placed(customer, at(datetime.date(2025, 11, 26)))
    new = credit_checked(new_order, first_moment_of(cutoff))

    report = report_of(retention_plan(today=TODAY), "credit_checks")
    run = report_of(retention_run(actor=ACTOR, today=TODAY), "credit_checks")
    again = report_of(retention_plan(today=TODAY), "credit_checks")

    assert (report.cutoff, report.due, run.done, again.due) == (cutoff, 1, 1, 0)
    fields = ("decision", "reason_code", "classification_code", "default_count")
    details = dict(
        (pk, rest)
        for pk, *rest in CreditCheck.objects.values_list("pk", *fields, "provider_reference")
    )
    assert details == {
        old.pk: ["approved", "approved", "", None, ""],
        new.pk: ["approved", "approved", "A2", 0, "AT-2019-55501"],
    }


# Campaign messages ----------------------------------------------------------------------


def test_the_messages_of_a_campaign_finished_before_the_cut_off_are_deleted():
    only(RetentionCategory.CAMPAIGN_MESSAGES)
    cutoff = datetime.date(2024, 11, 26)
    customer = make_customer()
    old = campaign_finished(last_minute_of(cutoff - datetime.timedelta(days=1)))
    new = campaign_finished(first_moment_of(cutoff))
    still_sending = campaign_finished(None, status=CampaignStatus.SENDING)
    message_to(customer, old)
    kept = [message_to(customer, new).pk, message_to(customer, still_sending).pk]

    report = report_of(retention_plan(today=TODAY), "campaign_messages")
    run = report_of(retention_run(actor=ACTOR, today=TODAY), "campaign_messages")

    assert (report.cutoff, report.due, run.done) == (cutoff, 1, 1)
    assert sorted(CampaignMessage.objects.values_list("pk", flat=True)) == sorted(kept)
    assert Campaign.objects.filter(pk=old.pk).exists()
    assert retention_events()[0].action == Action.ERASE


# Audit events ---------------------------------------------------------------------------


def first_today_with_cutoff_after(day: datetime.date, months: int) -> datetime.date:
    today = day + datetime.timedelta(days=months * 28)
    while months_before(today, months) <= day:
        today += datetime.timedelta(days=1)
    return today


def test_audit_events_past_their_period_are_only_reported():
    only(RetentionCategory.AUDIT_EVENTS)
    held = make_customer()  # its creation is audited, with the customer
    legal_hold_on(held)
    make_customer()
    latest = timezone.localdate(AuditEvent.objects.latest("id").occurred_at)
    earliest = timezone.localdate(AuditEvent.objects.earliest("id").occurred_at)
    today_due = first_today_with_cutoff_after(latest, 120)
    today_kept = first_today_with_cutoff_after(earliest, 120) - datetime.timedelta(days=1)
    events = AuditEvent.objects.count()
    of_held = AuditEvent.objects.filter(customer=held).count()

    kept = report_of(retention_plan(today=today_kept), "audit_events")
    due = report_of(retention_plan(today=today_due), "audit_events")
    run = report_of(retention_run(actor=ACTOR, today=today_due), "audit_events")

    assert (kept.due, kept.held_back) == (0, 0)
    assert (due.due, due.held_back, due.is_report_only) == (events - of_held, of_held, True)
    assert run.done == 0
    assert AuditEvent.objects.count() == events + 1  # only the run's own event
    assert audit_chain_verify().is_intact


# Legal holds, dry runs, runs ------------------------------------------------------------


def customer_with_everything_due() -> Customer:
    """A customer whose data every policy finds past its period on TODAY: one order
    with its credit check, a consent given and withdrawn and a campaign's message, all
    of 5 May 2015, and no activity since."""
    return customer_with_everything(
        at=at(datetime.date(2015, 5, 5)),
        prepaid_order=False,
        consent_ended_by=EventKind.WITHDRAWAL,
    ).customer


def counts(reports: list[PolicyReport]) -> dict[str, tuple[int, int]]:
    return {report.category: (report.due, report.held_back) for report in reports}


def database_state() -> tuple[object, ...]:
    return (
        list(Customer.objects.order_by("pk").values_list("status", "surname", "email")),
        list(Order.objects.order_by("pk").values_list("delivery_name", "delivery_street_address")),
        list(ConsentEvent.objects.order_by("pk").values_list("ip_address", "user_agent")),
        list(
            CreditCheck.objects.order_by("pk").values_list("classification_code", "default_count")
        ),
        CampaignMessage.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_legal_hold_stops_every_policy():
    customer = customer_with_everything_due()
    legal_hold_on(customer)
    before = database_state()[:-1]

    plan = retention_plan(today=TODAY)
    run = retention_run(actor=ACTOR, today=TODAY)

    assert counts(plan) == {
        "inactive_customers": (0, 1),
        "orders": (0, 1),
        "consent_evidence": (0, 2),
        "credit_checks": (0, 1),
        "campaign_messages": (0, 1),
        "shop_deliveries": (0, 0),
        # The invoice order of 2015 was never paid: its code is still needed.
        "identity_codes": (0, 0),
        "audit_events": (0, 0),
    }
    assert [report.done for report in run] == [0, 0, 0, 0, 0, 0, 0, 0]
    assert database_state()[:-1] == before
    assert [event.object_id for event in retention_events()] == ["run"]


def test_a_lifted_legal_hold_no_longer_holds():
    customer = customer_with_everything_due()
    LegalHold.objects.filter(pk=legal_hold_on(customer).pk).update(lifted_at=timezone.now())

    assert counts(retention_plan(today=TODAY)) == {
        "inactive_customers": (1, 0),
        "orders": (1, 0),
        "consent_evidence": (2, 0),
        "credit_checks": (1, 0),
        "campaign_messages": (1, 0),
        "shop_deliveries": (0, 0),
        # The invoice order of 2015 was never paid: its code is still needed.
        "identity_codes": (0, 0),
        "audit_events": (0, 0),
    }


def test_a_dry_run_writes_nothing():
    customer_with_everything_due()
    before = database_state()

    plan = retention_plan(today=TODAY)

    assert [report.due for report in plan] == [1, 1, 2, 1, 1, 0, 0, 0]
    assert [report.done for report in plan] == [None] * 8
    assert database_state() == before


def test_a_run_does_every_policy_in_batches_each_audited():
    for _ in range(3):
        customer_with_everything_due()

    run = retention_run(actor=ACTOR, today=TODAY, batch_size=2)

    assert [(report.category, report.done) for report in run] == [
        ("inactive_customers", 3),
        # Anonymising the customers already minimised their orders (and so their credit
        # checks) and cleared their consent evidence.
        ("orders", 0),
        ("consent_evidence", 0),
        ("credit_checks", 0),
        ("campaign_messages", 3),
        ("shop_deliveries", 0),
        ("identity_codes", 0),
        ("audit_events", 0),
    ]
    assert set(Customer.objects.values_list("status", flat=True)) == {Status.ANONYMISED}
    assert list(Customer.objects.exclude(email="").values_list("pk", flat=True)) == []
    assert CampaignMessage.objects.count() == 0
    events = [(event.action, event.reason.split(": ")[-1]) for event in retention_events()]
    assert events == [
        (Action.ERASE, "2 customers"),
        (Action.ERASE, "1 customers"),
        (Action.ERASE, "2 campaign messages"),
        (Action.ERASE, "1 campaign messages"),
        (
            Action.UPDATE,
            "inactive_customers 3, orders 0, consent_evidence 0, credit_checks 0, "
            "campaign_messages 3, shop_deliveries 0, identity_codes 0, audit_events report only",
        ),
    ]
    assert audit_chain_verify().is_intact


def test_a_policy_not_in_use_does_nothing():
    customer_with_everything_due()
    RetentionPolicy.objects.update(enabled=False)
    before = database_state()[:-1]

    run = retention_run(actor=ACTOR, today=TODAY)

    assert [(report.enabled, report.due, report.done) for report in run] == [(False, 0, 0)] * 8
    assert database_state()[:-1] == before
    assert retention_events()[0].reason == "retention run on 2026-11-26: no policy in use"
