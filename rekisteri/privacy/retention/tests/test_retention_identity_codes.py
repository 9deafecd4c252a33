"""The identity code is kept only for credit checks and sales on credit (P8, GDPR art.
5(1)(c) and (e)). The whole story through the orders API: a prepaid order's code is
not stored; an invoice order's is, until its invoice is paid and the policy's months
have passed; then the dry run lists it and the run removes it, audited. Dates are
given as `today=`, as in the other retention tests, so the cut-offs are exact."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.crypto import keyring
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.privacy.models import RetentionCategory, RetentionPolicy
from rekisteri.privacy.retention.services import (
    months_before,
    retention_plan,
    retention_policy_update,
    retention_run,
)
from rekisteri.privacy.retention.tests.backdated import legal_hold_on
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
ACTOR = Actor.system("retention")
CATEGORY = RetentionCategory.IDENTITY_CODES


@pytest.fixture
def api(db) -> Client:
    shop = integration_create(
        actor=Actor.system("test"), kind="generic", name="Verkkokauppa", sells_on_invoice=True
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {shop.api_key}", HTTP_ACCEPT_LANGUAGE="en")


def order_body(external_id: str, payment_method: str, identity_code: str) -> dict[str, object]:
    return {
        "external_id": external_id,
        "customer": {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": "aino.virtanen@example.fi",
            "identity_code": identity_code,
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly 120 cm", "unit_price": "89.90", "quantity": 2}],
        "payment_method": payment_method,
        "placed_at": "2026-11-20T10:00:00+02:00",
    }


def post(client: Client, body: dict[str, object]):
    """Posts the order to be processed at once (RFC 7240 `Prefer: wait`)."""
    return client.post(
        URL, json.dumps(body), content_type="application/json", headers={"Prefer": "wait=5"}
    )


def identity_codes_due(today: datetime.date) -> tuple[int, int]:
    report = next(r for r in retention_plan(today=today) if r.category == CATEGORY)
    return report.due, report.held_back


def stored(customer: Customer) -> tuple[str, str]:
    customer.refresh_from_db()
    return customer.identity_code_encrypted, customer.identity_code_index


def code_events(customer: Customer) -> list[tuple[str, str | None]]:
    """The customer's events that changed their identity code, with their reasons."""
    return [
        (event.actor_label, personal_text_decrypt(event))
        for event in AuditEvent.objects.filter(customer=customer).order_by("id")
        if "identity_code" in event.changed_fields
    ]


def test_a_code_is_kept_for_an_invoice_until_the_policy_ends_after_its_payment(
    api, customer_service_client
):
    code = random_identity_code()

    # A prepaid order that carries a code: the order goes through, the code is not kept.
    prepaid = post(api, order_body("WEB-1", "prepaid", code))
    customer = Customer.objects.get()
    assert prepaid.status_code == 201
    assert stored(customer) == ("", "")
    not_kept = AuditEvent.objects.get(
        customer=customer, object_type="orders.order", changed_fields=[], action=Action.UPDATE
    )
    assert personal_text_decrypt(not_kept) == "identity code not kept: a prepaid order needs none"
    assert code not in json.dumps(list(AuditEvent.objects.values()), default=str)

    # An invoice order: the credit check and the sale on credit need it, so it is kept,
    # encrypted and indexed for exact search.
    invoice = post(api, order_body("WEB-2", "invoice", code))
    assert invoice.status_code == 201
    encrypted, index = stored(customer)
    ring = keyring()
    assert code not in encrypted
    assert ring.decrypt(encrypted, purpose=IDENTITY_CODE_PURPOSE, row=str(customer.public_id)) == (
        code
    )
    assert index == ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
    assert code_events(customer) == [("integration:Verkkokauppa", "kept for an invoice order")]
    order = Order.objects.get(external_id="WEB-2")
    today = timezone.localdate()
    # Unpaid, the code is needed whatever the time.
    assert identity_codes_due(today + datetime.timedelta(days=3650)) == (0, 0)

    # Customer service marks the invoice paid on the order page.
    response = customer_service_client.post(reverse("orders:settle", args=[order.order_number]))
    order.refresh_from_db()
    assert response.status_code == 302
    assert order.settled_at is not None
    assert timezone.localdate(order.settled_at) == today
    paid = AuditEvent.objects.get(object_type="orders.order", changed_fields=["settled_at"])
    assert (paid.customer_id, personal_text_decrypt(paid)) == (customer.pk, "invoice paid")

    # Three months after the payment the code is still kept; a day later it is due.
    three_months_on = next(
        day
        for day in (today + datetime.timedelta(days=n) for n in range(80, 100))
        if months_before(day, 3) == today
    )
    assert identity_codes_due(three_months_on) == (0, 0)
    day_after = three_months_on + datetime.timedelta(days=1)
    before = AuditEvent.objects.count()
    assert identity_codes_due(day_after) == (1, 0)
    assert AuditEvent.objects.count() == before  # the dry run writes nothing
    assert stored(customer) == (encrypted, index)

    # The run removes it, on the customer's own trail and in the run's count.
    report = next(r for r in retention_run(actor=ACTOR, today=day_after) if r.category == CATEGORY)
    assert (report.due, report.done) == (1, 1)
    assert stored(customer) == ("", "")
    assert code_events(customer)[-1] == (
        "retention",
        f"retention identity_codes: before {today + datetime.timedelta(days=1)} (3 months)",
    )
    batch = AuditEvent.objects.get(
        object_type="privacy.retentionpolicy", changed_fields=["identity_code"]
    )
    assert batch.reason.endswith(": 1 identity codes")
    assert identity_codes_due(day_after) == (0, 0)
    # The order, its payment and its credit check stay.
    order.refresh_from_db()
    assert order.settled_at is not None and hasattr(order, "credit_check")
    # And a search by the code now finds no one.
    assert not Customer.objects.filter(identity_code_index=index).exists()


def test_an_invoice_order_still_open_keeps_the_code_of_its_customer(api):
    code = random_identity_code()
    post(api, order_body("WEB-1", "invoice", code))
    first = Order.objects.get()
    Order.objects.filter(pk=first.pk).update(
        settled_at=timezone.now() - datetime.timedelta(days=400)
    )
    post(api, order_body("WEB-2", "invoice", code))

    assert identity_codes_due(timezone.localdate()) == (0, 0)

    Order.objects.filter(external_id="WEB-2").update(status="cancelled")
    Order.objects.filter(external_id="WEB-2").update(
        updated_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert identity_codes_due(timezone.localdate()) == (1, 0)


def test_a_legal_hold_keeps_the_code_and_the_dry_run_says_so(api):
    post(api, order_body("WEB-1", "invoice", random_identity_code()))
    customer = Customer.objects.get()
    Order.objects.update(settled_at=timezone.now() - datetime.timedelta(days=200))
    legal_hold_on(customer)
    before = stored(customer)

    stdout = io.StringIO()
    call_command("retention", "run", "--dry-run", stdout=stdout)
    run = retention_run(actor=ACTOR)

    lines = stdout.getvalue().splitlines()
    at = lines.index("identity_codes (3 months)")
    assert lines[at + 2 : at + 4] == ["  due: 0", "  held back by a legal hold: 1"]
    assert next(r for r in run if r.category == CATEGORY).done == 0
    assert stored(customer) == before


def test_the_months_are_the_privacy_officers_to_set(api):
    post(api, order_body("WEB-1", "invoice", random_identity_code()))
    Order.objects.update(settled_at=timezone.now() - datetime.timedelta(days=45))
    policy = RetentionPolicy.objects.get(category=CATEGORY)
    assert (policy.months, policy.enabled) == (3, True)
    assert identity_codes_due(timezone.localdate()) == (0, 0)

    retention_policy_update(actor=ACTOR, policy=policy, months=1, enabled=True)

    assert identity_codes_due(timezone.localdate()) == (1, 0)
    changed = AuditEvent.objects.get(
        object_type="privacy.retentionpolicy", changed_fields=["months"]
    )
    assert changed.reason == ("identity_codes: 3 months, in use True; now 1 months, in use True")


def test_a_paid_status_from_the_api_settles_the_invoice_order(api):
    post(api, order_body("WEB-1", "invoice", random_identity_code()))
    paid_at = "2026-11-25T12:00:00+02:00"

    update = post(
        api,
        {
            **order_body("WEB-1", "invoice", ""),
            "modified_at": "2026-11-25T12:00:00+02:00",
            "paid_at": paid_at,
        },
    )

    order = Order.objects.get()
    assert update.status_code == 200
    assert order.settled_at == datetime.datetime.fromisoformat(paid_at)
    assert (
        AuditEvent.objects.filter(
            object_type="orders.order", object_id=str(order.pk), changed_fields=["settled_at"]
        ).count()
        == 1
    )
