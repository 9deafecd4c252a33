"""The shops' deliveries policy: a month after a delivery was finished (made into an
order, discarded, a test notification or not an order) its body and the details of why
it waited are purged; the row stays. A delivery still waiting or needing attention is
never touched, nor one of a customer under a legal hold."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import delivery_body, delivery_store
from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.privacy.models import RetentionCategory, RetentionPolicy
from rekisteri.privacy.retention.services import (
    PolicyReport,
    retention_plan,
    retention_policy_update,
    retention_run,
)
from rekisteri.privacy.retention.tests.backdated import (
    at,
    first_moment_of,
    last_minute_of,
    legal_hold_on,
    order_placed,
)
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
CUTOFF = datetime.date(2026, 10, 26)  # a month back
BEFORE = last_minute_of(datetime.date(2026, 10, 25))
AT_CUTOFF = first_moment_of(CUTOFF)
LONG_AGO = at(datetime.date(2025, 3, 3))
ACTOR = Actor.system("retention")


def only_shop_deliveries() -> RetentionPolicy:
    RetentionPolicy.objects.exclude(category=RetentionCategory.SHOP_DELIVERIES).update(
        enabled=False
    )
    return RetentionPolicy.objects.get(category=RetentionCategory.SHOP_DELIVERIES)


def report_of(reports: list[PolicyReport]) -> PolicyReport:
    return next(report for report in reports if report.category == "shop_deliveries")


def shop() -> Integration:
    return integration_create(
        actor=Actor.system("test"), kind="woocommerce", name="Verkkokauppa"
    ).integration


def body_of(customer: Customer) -> bytes:
    return json.dumps(
        {
            "id": 7001,
            "billing": {
                "first_name": customer.first_names,
                "last_name": customer.surname,
                "email": customer.email,
            },
        }
    ).encode()


def delivery(
    integration: Integration,
    customer: Customer,
    *,
    state: str,
    processed_at: datetime.datetime | None,
    order: Order | None = None,
    matched: Customer | None = None,
    key: str = "",
) -> InboxDelivery:
    stored = delivery_store(
        integration=integration,
        source="webhook",
        body=body_of(customer),
        topic="order.created",
        delivery_key=key,
    ).delivery
    InboxDelivery.objects.filter(pk=stored.pk).update(
        state=state,
        processed_at=processed_at,
        order=order,
        customer=matched,
        detail="email: the customer of this email has another name",
    )
    stored.refresh_from_db()
    return stored


def kept_columns(item: InboxDelivery) -> tuple[object, ...]:
    return tuple(
        InboxDelivery.objects.filter(pk=item.pk)
        .values_list(
            "delivery_key", "body_digest", "state", "order", "customer", "received_at", "topic"
        )
        .get()
    )


def retention_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.retentionpolicy").order_by("id"))


def test_a_run_purges_the_finished_deliveries_past_the_period_and_nothing_else():
    policy = only_shop_deliveries()
    integration = shop()
    buyer = make_customer()
    order = order_placed(buyer, LONG_AGO)
    due = [
        delivery(
            integration, buyer, state=DeliveryState.DONE, processed_at=BEFORE, order=order, key="a"
        ),
        delivery(integration, buyer, state=DeliveryState.DISCARDED, processed_at=BEFORE),
        delivery(integration, buyer, state=DeliveryState.TEST, processed_at=LONG_AGO),
        delivery(integration, buyer, state=DeliveryState.IGNORED, processed_at=LONG_AGO),
    ]
    untouched = [
        # Finished at the cut-off's first moment: still in its period.
        delivery(integration, buyer, state=DeliveryState.DONE, processed_at=AT_CUTOFF),
        # Not finished: still needed, however old.
        delivery(integration, buyer, state=DeliveryState.WAITING, processed_at=None),
        delivery(integration, buyer, state=DeliveryState.WAITING, processed_at=LONG_AGO),
        delivery(
            integration, buyer, state=DeliveryState.ATTENTION, processed_at=LONG_AGO, matched=buyer
        ),
    ]
    kept_before = {item.pk: kept_columns(item) for item in due}
    untouched_before = list(
        InboxDelivery.objects.filter(pk__in=[item.pk for item in untouched]).order_by("pk").values()
    )

    plan = report_of(retention_plan(today=TODAY))
    run = report_of(retention_run(actor=ACTOR, today=TODAY, batch_size=3))

    assert (plan.cutoff, plan.due, plan.held_back, plan.done) == (CUTOFF, 4, 0, None)
    assert (run.due, run.held_back, run.done) == (4, 0, 4)
    for item in due:
        item.refresh_from_db()
        assert (item.body_encrypted, item.detail, delivery_body(item)) == ("", "", b"")
        assert item.purged_at is not None
        # A shop sending it again still finds it: key and digest stay, and what it became.
        assert kept_columns(item) == kept_before[item.pk]
    assert (
        list(
            InboxDelivery.objects.filter(pk__in=[item.pk for item in untouched])
            .order_by("pk")
            .values()
        )
        == untouched_before
    )
    assert delivery_body(untouched[1]) == body_of(buyer)
    # One event a batch (counts and the cut-off only), and the run's own.
    batches = retention_events()[:-1]
    assert [
        (event.action, event.object_id, event.changed_fields, event.reason) for event in batches
    ] == [
        (
            Action.UPDATE,
            str(policy.pk),
            ["body_encrypted", "detail"],
            f"retention shop_deliveries: before 2026-10-26 (1 months): {count} shop deliveries",
        )
        for count in (3, 1)
    ]
    assert retention_events()[-1].reason == "retention run on 2026-11-26: shop_deliveries 4"
    assert audit_chain_verify().is_intact


def test_a_purged_delivery_is_not_due_again():
    only_shop_deliveries()
    buyer = make_customer()
    delivery(shop(), buyer, state=DeliveryState.DONE, processed_at=BEFORE)
    retention_run(actor=ACTOR, today=TODAY)
    purged_at = InboxDelivery.objects.get().purged_at

    plan = report_of(retention_plan(today=TODAY))
    run = report_of(retention_run(actor=ACTOR, today=TODAY))

    assert (plan.due, run.done) == (0, 0)
    assert InboxDelivery.objects.get().purged_at == purged_at


def test_a_legal_hold_on_the_orders_customer_or_the_matched_one_holds_the_delivery_back():
    only_shop_deliveries()
    integration = shop()
    held = make_customer()
    legal_hold_on(held)
    order = order_placed(held, LONG_AGO)
    of_order = delivery(
        integration, held, state=DeliveryState.DONE, processed_at=BEFORE, order=order
    )
    matched = delivery(
        integration, held, state=DeliveryState.DISCARDED, processed_at=BEFORE, matched=held
    )
    free = delivery(
        integration, make_customer(), state=DeliveryState.DISCARDED, processed_at=BEFORE
    )

    plan = report_of(retention_plan(today=TODAY))
    run = report_of(retention_run(actor=ACTOR, today=TODAY))

    assert (plan.due, plan.held_back) == (1, 2)
    assert run.done == 1
    for item in (of_order, matched):
        assert delivery_body(InboxDelivery.objects.get(pk=item.pk)) == body_of(held)
    assert InboxDelivery.objects.get(pk=free.pk).body_encrypted == ""


def test_a_dry_run_writes_nothing():
    only_shop_deliveries()
    delivery(shop(), make_customer(), state=DeliveryState.DONE, processed_at=BEFORE)
    before = list(InboxDelivery.objects.values())
    events = AuditEvent.objects.count()

    plan = report_of(retention_plan(today=TODAY))

    assert (plan.due, plan.done, plan.is_report_only) == (1, None, False)
    assert list(InboxDelivery.objects.values()) == before
    assert AuditEvent.objects.count() == events


def test_the_period_is_one_month_by_default_and_at_most_twelve():
    policy = RetentionPolicy.objects.get(category=RetentionCategory.SHOP_DELIVERIES)
    assert (policy.months, policy.enabled) == (1, True)

    with pytest.raises(ValidationError) as refused:
        retention_policy_update(actor=ACTOR, policy=policy, months=13, enabled=True)

    assert "at most 12 months" in str(refused.value.message_dict["months"])
    policy.refresh_from_db()
    assert policy.months == 1
    assert retention_events() == []
    changed = retention_policy_update(actor=ACTOR, policy=policy, months=12, enabled=True)
    assert RetentionPolicy.objects.get(pk=changed.pk).months == 12
