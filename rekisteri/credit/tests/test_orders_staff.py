"""Invoice orders that customer service enters are checked with the credit bureau at
the time of the order (P12); other payment methods never are. The bureau is the local
simulator over real HTTP; the fake identity code's individual number picks its answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.credit.models import CreditCheck, CreditPolicy
from rekisteri.credit.tests.simulator_codes import code_for
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer
from rekisteri.testing.order_form import order_post as order_form

pytestmark = pytest.mark.django_db

NOTICE = (
    "Creditworthiness was checked from Suomen Asiakastieto Oy's system at the time of the order."
)
REFERRED_MESSAGE = "A person must review the credit decision before the order can go ahead"
DECLINED_MESSAGE = "The order cannot be paid by invoice. Offer the customer another way to pay."


def order_post(payment_method: str = "invoice", quantity: str = "2") -> dict[str, str]:
    """The staff order form with one line of shelves (89.90 € each)."""
    return order_form((("HYL-120", quantity),), payment_method=payment_method)


def enter_order(client, customer, **form):
    return client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post(**form), follow=True
    )


def flashed(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# individual number, decision, reason code, default count, classification code
OUTCOMES = [
    (905, "approved", "no_payment_defaults", 0, ""),
    (940, "declined", "payment_defaults", 1, "MHL1"),
    (951, "declined", "payment_defaults", 2, "MHL3"),
    (963, "approved", "no_payment_defaults", 0, ""),  # EIR: not in the register
    (972, "referred", "unknown_person", None, ""),
    (991, "referred", "error:http_500", None, ""),
    (996, "referred", "invalid_identity_code", None, ""),
]


@pytest.mark.parametrize(
    ("individual", "decision", "reason_code", "default_count", "classification"), OUTCOMES
)
def test_an_invoice_order_keeps_the_bureaus_decision_with_the_order(
    customer_service_client,
    bureau,
    shelf,
    buyer,
    individual,
    decision,
    reason_code,
    default_count,
    classification,
):
    customer = buyer(individual)

    response = enter_order(customer_service_client, customer)

    order = Order.objects.get()
    check = CreditCheck.objects.get()
    assert response.redirect_chain == [(reverse("orders:detail", args=[order.order_number]), 302)]
    assert len(bureau.recorded_queries) == 1
    assert (check.order_id, check.provider, check.is_simulated) == (order.pk, "asiakastieto", True)
    assert (check.decision, check.reason_code) == (decision, reason_code)
    assert (check.default_count, check.classification_code) == (default_count, classification)
    assert check.requested_by_label.startswith("staff")
    assert check.requested_by_user_id == response.context["user"].pk
    assert (check.override_decision, check.overridden_by_id) == ("", None)
    event = AuditEvent.objects.get(action=Action.CREDIT_CHECK)
    assert (event.object_type, event.object_id) == ("credit.creditcheck", str(check.pk))
    assert (event.customer_id, event.actor_type) == (customer.pk, "staff")
    assert personal_text_decrypt(event) == f"{decision}: {reason_code}"
    assert order.status == OrderStatus.RECEIVED


def test_an_approval_is_flashed_and_shown_on_the_order_page(
    customer_service_client, bureau, shelf, buyer
):
    customer = buyer(907)

    response = enter_order(customer_service_client, customer)

    body = response.content.decode()
    assert "Credit check approved" in flashed(response)
    assert NOTICE in body
    assert "No payment defaults recorded" in body
    assert "Simulated" in body
    assert "The order waits for the credit decision" not in body
    assert code_for(907) not in body


def test_a_decline_is_flashed_without_its_reason_and_the_reason_is_on_the_page(
    customer_service_client, bureau, shelf, buyer
):
    customer = buyer(944)

    response = enter_order(customer_service_client, customer)

    messages = flashed(response)
    body = response.content.decode()
    assert DECLINED_MESSAGE in messages
    assert not any("default" in message.lower() for message in messages)
    assert "Payment defaults recorded" in body
    assert "MHL1" in body
    assert "The order waits for the credit decision" in body
    assert code_for(944) not in body


def test_a_referral_asks_for_a_person_and_names_the_bureaus_failure(
    customer_service_client, bureau, shelf, buyer
):
    customer = buyer(992)

    response = enter_order(customer_service_client, customer)

    body = response.content.decode()
    assert REFERRED_MESSAGE in flashed(response)
    assert "The credit bureau could not answer (http_500)" in body
    assert code_for(992) not in body


def test_a_bureau_slower_than_the_timeout_is_referred_never_approved(
    customer_service_client, bureau, shelf, buyer, monkeypatch
):
    monkeypatch.setenv("REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS", "0.3")
    customer = buyer(985)

    response = enter_order(customer_service_client, customer)

    check = CreditCheck.objects.get()
    assert (check.decision, check.reason_code) == ("referred", "timeout")
    assert (check.default_count, check.classification_code) == (None, "")
    assert REFERRED_MESSAGE in flashed(response)
    assert "The credit bureau did not answer in time" in response.content.decode()
    assert personal_text_decrypt(AuditEvent.objects.get(action=Action.CREDIT_CHECK)) == (
        "referred: timeout"
    )


def test_an_order_over_the_policy_limit_is_declined_without_asking_the_bureau(
    customer_service_client, bureau, shelf, buyer
):
    CreditPolicy.objects.update_or_create(pk=1, defaults={"max_invoice_total": "100.00"})
    customer = buyer(905)

    response = enter_order(customer_service_client, customer)  # 179.80 €

    check = CreditCheck.objects.get()
    assert bureau.recorded_queries == []
    assert (check.decision, check.reason_code, check.provider) == (
        "declined",
        "over_limit",
        "policy",
    )
    assert (check.is_simulated, check.default_count, check.classification_code) == (False, None, "")
    assert DECLINED_MESSAGE in flashed(response)
    assert (
        "The order total is over the largest total allowed on invoice" in response.content.decode()
    )
    assert AuditEvent.objects.get(action=Action.CREDIT_CHECK).customer_id == customer.pk


@pytest.mark.parametrize("payment_method", ["prepaid", "cash_on_delivery"])
def test_orders_not_on_invoice_make_no_request_at_all(
    customer_service_client, bureau, shelf, buyer, payment_method
):
    customer = buyer(940)

    response = enter_order(customer_service_client, customer, payment_method=payment_method)

    order = Order.objects.get()
    assert order.payment_method == payment_method
    assert bureau.recorded_queries == []
    assert not CreditCheck.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CREDIT_CHECK).exists()
    assert "Credit check" not in response.content.decode()
    assert flashed(response) == [f"Order {order.order_number} saved."]


def test_an_invoice_order_without_an_identity_code_is_refused_and_nothing_stored(
    customer_service_client, bureau, shelf
):
    customer = make_customer()
    events_before = AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post()
    )

    assert response.status_code == 400
    assert response.context["form"].errors["payment_method"] == [
        "An invoice order needs the customer's personal identity code for the credit check. "
        "Give it with the order, or choose another payment method."
    ]
    assert "An invoice order needs the customer&#x27;s personal identity code" in (
        response.content.decode()
    )
    assert not Order.objects.exists()
    assert not CreditCheck.objects.exists()
    assert bureau.recorded_queries == []
    assert AuditEvent.objects.count() == events_before


def test_an_order_waiting_for_its_credit_decision_cannot_be_confirmed(
    customer_service_client, bureau, shelf, buyer
):
    customer = buyer(975)
    enter_order(customer_service_client, customer)
    order = Order.objects.get()

    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]),
        {"status": "confirmed", "version": order.version},
    )

    order.refresh_from_db()
    assert response.status_code == 400
    assert "This invoice order goes ahead only when its credit check is approved" in (
        response.content.decode()
    )
    assert order.status == OrderStatus.RECEIVED
    assert not AuditEvent.objects.filter(action=Action.UPDATE, object_type="orders.order").exists()


def test_a_reviewers_approval_lets_the_order_be_confirmed(
    customer_service_client, privacy_officer_client, bureau, shelf, buyer
):
    customer = buyer(948)
    enter_order(customer_service_client, customer)
    order = Order.objects.get()
    check = CreditCheck.objects.get()

    review = privacy_officer_client.post(
        reverse("orders:credit_review", args=[check.order.order_number]),
        {"decision": "approved", "reason": "Maksuhäiriö on maksettu, kuitti nähty"},
    )
    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]),
        {"status": "confirmed", "version": order.version},
    )

    order.refresh_from_db()
    assert review.status_code == 302
    assert response.status_code == 302
    assert order.status == OrderStatus.CONFIRMED
    assert len(bureau.recorded_queries) == 1


def test_an_order_waiting_for_its_credit_decision_is_offered_only_cancelling(
    customer_service_client, bureau, shelf, buyer
):
    """Until a person approves it, the status form offers nothing that would fail."""
    order = order_create(
        actor=Actor.system("test"),
        customer=buyer(942),
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 1)],
        check_credit=True,
    )

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    choices = [
        value for value, _label in response.context["status_form"].fields["status"].widget.choices
    ]
    assert choices == ["cancelled"]
