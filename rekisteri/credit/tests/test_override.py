"""A person reviews an automated credit decision and may override it with a reason
(GDPR art. 22): customer service and the privacy officer may; the review is audited
and shown on the order page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.credit.models import CreditCheck
from rekisteri.credit.tests.simulator_codes import code_for
from rekisteri.orders.models import Order
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db

REASON = "Asiakas maksoi maksuhäiriön, kuitti tarkistettu"


@pytest.fixture
def checked_order(bureau, shelf, buyer):
    """An invoice order the bureau declined: the buyer has payment defaults."""

    def make(individual: int = 942) -> Order:
        return order_create(
            actor=Actor.system("test"),
            customer=buyer(individual),
            channel="phone",
            payment_method="invoice",
            lines=[LineInput("HYL-120", 1)],
            check_credit=True,
        )

    return make


def review(client, check, **data):
    return client.post(reverse("orders:credit_review", args=[check.order.order_number]), data)


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER])
def test_a_reviewer_overrides_a_decline_with_a_reason(client_as, checked_order, role):
    order = checked_order()
    check = CreditCheck.objects.get()
    client = client_as(role)

    response = review(client, check, decision="approved", reason=f"  {REASON}  ")

    check.refresh_from_db()
    user = response.wsgi_request.user
    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number])
    assert (check.decision, check.override_decision) == ("declined", "approved")
    assert check.effective_decision == "approved"
    assert (check.override_reason, check.overridden_by_id) == (REASON, user.pk)
    assert check.overridden_at is not None
    event = AuditEvent.objects.get(action=Action.CREDIT_OVERRIDE)
    assert (event.object_type, event.object_id) == ("credit.creditcheck", str(check.pk))
    assert (event.customer_id, event.actor_label) == (order.customer_id, user.username)
    assert event.changed_fields == ["override_decision"]
    assert personal_text_decrypt(event) == f"approved: {REASON}"


def test_the_order_page_shows_the_review(customer_service_client, checked_order):
    order = checked_order()
    check = CreditCheck.objects.get()
    review(customer_service_client, check, decision="approved", reason=REASON)

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    body = response.content.decode()
    reviewer = response.wsgi_request.user
    assert response.status_code == 200
    assert "Decision after review" in body
    assert reviewer.get_full_name() in body
    assert REASON in body
    assert "The order waits for the credit decision" not in body
    assert code_for(942) not in body


def test_an_approval_may_be_reviewed_into_a_decline(customer_service_client, checked_order):
    order = checked_order(individual=910)
    check = CreditCheck.objects.get()
    assert check.decision == "approved"

    response = review(customer_service_client, check, decision="declined", reason=REASON)
    confirm = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]),
        {"status": "confirmed", "version": order.version},
    )

    check.refresh_from_db()
    order.refresh_from_db()
    assert response.status_code == 302
    assert check.effective_decision == "declined"
    assert confirm.status_code == 400
    assert order.status == "received"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"decision": "approved", "reason": "Hyvä"}, "reason", "Say why (at least 10 characters)."),
        ({"decision": "approved", "reason": ""}, "reason", "This field is required."),
        (
            {"decision": "referred", "reason": REASON},
            "decision",
            "Select a valid choice. referred is not one of the available choices.",
        ),
    ],
)
def test_a_review_without_a_reason_or_decision_is_refused_and_nothing_changes(
    customer_service_client, checked_order, data, field, message
):
    order = checked_order()
    check = CreditCheck.objects.get()

    response = customer_service_client.post(
        reverse("orders:credit_review", args=[check.order.order_number]), data
    )

    check.refresh_from_db()
    assert response.status_code == 400
    assert response.context["credit_override_form"].errors[field] == [message]
    assert response.context["order"].pk == order.pk
    assert (check.override_decision, check.override_reason, check.overridden_by_id) == (
        "",
        "",
        None,
    )
    assert not AuditEvent.objects.filter(action=Action.CREDIT_OVERRIDE).exists()


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMINISTRATOR, Role.AUDITOR])
def test_a_role_without_the_permission_is_refused_and_nothing_changes(
    client_as, checked_order, role
):
    checked_order()
    check = CreditCheck.objects.get()
    url = reverse("orders:credit_review", args=[check.order.order_number])

    response = client_as(role).post(url, {"decision": "approved", "reason": REASON})

    check.refresh_from_db()
    assert response.status_code == 403
    assert (check.override_decision, check.override_reason, check.overridden_by_id) == (
        "",
        "",
        None,
    )
    assert not AuditEvent.objects.filter(action=Action.CREDIT_OVERRIDE).exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert (denied.object_type, denied.object_id) == ("url", url)


def test_an_order_without_a_credit_check_has_nothing_to_review(customer_service_client, shelf):
    order = order_create(
        actor=Actor.system("test"),
        customer=make_customer(),
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )

    response = customer_service_client.post(
        reverse("orders:credit_review", args=[order.order_number]),
        {"decision": "approved", "reason": "Ei tarkistettavaa tässä"},
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CREDIT_OVERRIDE).exists()


def test_the_order_page_offers_the_review_form_to_a_reviewer(
    customer_service_client, checked_order
):
    order = checked_order()
    check = CreditCheck.objects.get()

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    assert (
        reverse("orders:credit_review", args=[check.order.order_number])
        in response.content.decode()
    )
    assert "Record the review" in response.content.decode()
