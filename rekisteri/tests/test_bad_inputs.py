"""Bad input anywhere gets a 4xx with a clear message, never a 5xx, never an identity
code echoed back, and changes nothing in the register (DESIGN rule 5).

The corpus is in `bad_inputs.py`. Every case goes through the interface a person or a
machine uses: the staff customer and order forms, the privacy portal, the orders API
with a valid key, and the WooCommerce and Shopify webhooks with a valid secret. After
each one the whole database must be as it was, but for the audit events that record a
refusal (and the sign-in bookkeeping of sessions and lockout).

An authentic order that is JSON but cannot be taken as it stands is not refused: it
is stored in the inbox and waits for a person (rekisteri/intake/inbox.py). Then the
register is as it was but for that one delivery, in state "attention" with the reason,
and the one audit event that records it; its receipt names the fields, never a value."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents.selectors import consent_text_current
from rekisteri.customers.models import Customer
from rekisteri.customers.services import customer_input_of
from rekisteri.intake.inbox import inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Product
from rekisteri.portal.sending import consent_token
from rekisteri.testing import shops
from rekisteri.testing.factories import make_customer
from rekisteri.testing.order_form import order_post as order_post_with
from rekisteri.tests import bad_inputs
from rekisteri.tests.bad_inputs import ApiCase, FormCase, WebhookCase
from rekisteri.tests.unchanged import Unchanged, assert_no_identity_code, database_state

pytestmark = pytest.mark.django_db

FORM_VALUES = re.compile(r'\svalue="[^"]*"|(?s:<textarea[^>]*>.*?</textarea>)')


def assert_refused_page(response, message: str, *submitted: str, status: int = 400) -> None:
    """A form page sent back with its errors: the message among them, and no identity
    code anywhere but in the field the person typed it into."""
    assert response.status_code == status
    page = html.unescape(response.content.decode())
    assert 'class="errorlist' in page or 'role="alert"' in page
    assert message in page
    assert_no_identity_code(FORM_VALUES.sub("", page), *submitted)


def english(remote_addr: str = "127.0.0.1") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=remote_addr)


def case_ids(cases: list[FormCase] | list[ApiCase] | list[WebhookCase]) -> list[str]:
    return [case.id for case in cases]


class LeftForAPerson:
    """Remembers the database; `check()` fails unless the only changes are one new
    delivery in the inbox, waiting for a person for `reason` and attached to nothing,
    and the one audit event (by the integration) that records it. Returns the delivery."""

    def __init__(self) -> None:
        self.state = self._register()
        self.last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        self.deliveries = set(InboxDelivery.objects.values_list("pk", flat=True))

    @staticmethod
    def _register() -> dict[str, list[tuple[object, ...]]]:
        state = database_state()
        del state["intake.inboxdelivery"]
        return state

    def check(self, *, reason: str, source: str) -> InboxDelivery:
        after = self._register()
        assert sorted(label for label in after if after[label] != self.state[label]) == []
        (delivery,) = InboxDelivery.objects.exclude(pk__in=self.deliveries)
        assert (delivery.state, delivery.reason, delivery.order_id, delivery.customer_id) == (
            DeliveryState.ATTENTION,
            reason,
            None,
            None,
        )
        assert_no_identity_code(delivery.detail)
        (event,) = AuditEvent.objects.filter(id__gt=self.last_id or 0)
        assert (event.action, event.actor_type, event.object_type, event.object_id) == (
            Action.CREATE,
            ActorType.INTEGRATION,
            "intake.inboxdelivery",
            str(delivery.pk),
        )
        assert event.reason == f"{source}: needs attention: {reason}"
        return delivery


def test_the_corpus_holds_at_least_200_bad_inputs():
    assert bad_inputs.corpus_size() >= 200


# Staff: customers -------------------------------------------------------------------


def customer_post(**changes: str) -> dict[str, str]:
    data = {
        "surname": "Virtanen",
        "first_names": "Aino Maria",
        "street_address": "Kauppurienkatu 12 A 3",
        "postal_code": "90100",
        "post_office": "Oulu",
        "country": "FI",
        "phone": "040 123 4567",
        "email": "aino.virtanen@example.fi",
        "preferred_language": "fi",
        "notes": "",
        "identity_code": "",
        "source": "phone",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "case",
    bad_inputs.CUSTOMER_CONTACT_CASES + bad_inputs.CUSTOMER_CREATE_ONLY_CASES,
    ids=case_ids(bad_inputs.CUSTOMER_CONTACT_CASES + bad_inputs.CUSTOMER_CREATE_ONLY_CASES),
)
def test_creating_a_customer_refuses(customer_service_client, case):
    unchanged = Unchanged()

    response = customer_service_client.post(
        reverse("customers:create"), customer_post(**case.changes)
    )

    assert_refused_page(response, case.message, *case.changes.values())
    unchanged.check()


@pytest.mark.parametrize(
    "case", bad_inputs.CUSTOMER_FIELD_CASES, ids=case_ids(bad_inputs.CUSTOMER_FIELD_CASES)
)
def test_editing_a_customer_refuses(customer_service_client, case):
    customer = make_customer(with_identity_code=True, postal_code="90100", country="FI")
    data = {
        **customer_input_of(customer).__dict__,
        "identity_code": "",
        "version": customer.version,
    }
    data.update(case.changes)
    unchanged = Unchanged()

    response = customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]), data
    )

    assert_refused_page(response, case.message, *case.changes.values())
    unchanged.check()


# Staff: order entry -----------------------------------------------------------------


@pytest.fixture
def products():
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    Product.objects.create(
        sku="VANHA-9", name="Poistunut laatikko", unit_price=Decimal("5.00"), is_active=False
    )


def order_post(**changes: str) -> dict[str, str]:
    """The order form with one line of shelves, and the case's changes."""
    return order_post_with((("HYL-120", "2"),), **changes)


@pytest.mark.parametrize(
    "case", bad_inputs.ORDER_FORM_CASES, ids=case_ids(bad_inputs.ORDER_FORM_CASES)
)
def test_staff_order_entry_refuses(customer_service_client, products, case):
    customer = make_customer()
    unchanged = Unchanged()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post(**case.changes)
    )

    assert_refused_page(response, case.message, *case.changes.values())
    unchanged.check()


# The privacy portal -------------------------------------------------------------------


def portal_client(case_number: int) -> Client:
    """A browser of its own address, so that no case meets the portal's rate limit."""
    return english(remote_addr=f"198.51.100.{case_number % 250 + 1}")


@pytest.mark.parametrize(
    ("number", "case"),
    list(enumerate(bad_inputs.PORTAL_REQUEST_CASES)),
    ids=case_ids(bad_inputs.PORTAL_REQUEST_CASES),
)
def test_a_portal_request_refuses(number, case):
    make_customer(email="aino.virtanen@example.fi")
    data = {"kind": "access", "name": "Aino Virtanen", "email": "aino.virtanen@example.fi"}
    data.update(case.changes)
    unchanged = Unchanged()

    response = portal_client(number).post(reverse("portal:request"), data)

    assert_refused_page(response, case.message, *case.changes.values())
    unchanged.check()


@pytest.mark.parametrize(
    ("number", "case"),
    list(enumerate(bad_inputs.PORTAL_CONSENT_LINK_CASES)),
    ids=case_ids(bad_inputs.PORTAL_CONSENT_LINK_CASES),
)
def test_asking_for_the_consent_link_refuses(number, case, mailoutbox):
    make_customer(email="aino.virtanen@example.fi")
    unchanged = Unchanged()

    response = portal_client(number).post(reverse("portal:consent_link"), case.changes)

    assert_refused_page(response, case.message, *case.changes.values())
    assert mailoutbox == []
    unchanged.check()


@pytest.mark.parametrize(
    ("number", "case"),
    list(enumerate(bad_inputs.PORTAL_CONSENT_CHANGE_CASES)),
    ids=case_ids(bad_inputs.PORTAL_CONSENT_CHANGE_CASES),
)
def test_a_consent_change_refuses(number, case):
    customer = make_customer(email="aino.virtanen@example.fi")
    text_ids = {}
    for channel in ("email", "sms"):
        text = consent_text_current(channel=channel)
        assert text is not None
        text_ids[channel] = str(text.pk)
    data = {"text": text_ids["email"], **case.changes}
    data["text"] = text_ids.get(data["text"], data["text"])
    unchanged = Unchanged()

    response = portal_client(number).post(
        reverse("portal:consents"), {"t": consent_token(customer), **data}
    )

    assert_refused_page(response, case.message, *case.changes.values())
    unchanged.check()


@pytest.mark.parametrize(
    "token",
    ["forged:token", "", "x" * 500, "' OR 1=1 --"],
    ids=["forged", "truncated", "overlong", "sql-injection"],
)
def test_a_forged_consent_link_is_not_found(token):
    customer = make_customer()
    real = consent_token(customer)
    unchanged = Unchanged()

    response = portal_client(0).post(
        reverse("portal:consents"), {"t": token or real[:-3], "change": "ban"}
    )

    assert response.status_code == 404
    assert "The link is not valid" in response.content.decode()
    unchanged.check()


# The orders API ---------------------------------------------------------------------


@pytest.fixture
def api_client():
    """A shop that sells on invoice: the identity codes it sends are checked as such."""
    created = integration_create(
        actor=Actor.system("test"), kind="generic", name="Verkkokauppa", sells_on_invoice=True
    )
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {created.api_key}")


API_REFUSED = [case for case in bad_inputs.API_CASES if case.status != bad_inputs.WAITS]
API_WAITING = [case for case in bad_inputs.API_CASES if case.status == bad_inputs.WAITS]
# Processed at once (RFC 7240), so that the answer says what became of the order.
PREFER_WAIT = {"Prefer": "wait=5"}


@pytest.mark.parametrize("case", API_REFUSED, ids=case_ids(API_REFUSED))
def test_the_orders_api_refuses(api_client, case):
    unchanged = Unchanged()

    response = api_client.post(
        "/api/v1/orders",
        case.body,
        content_type=case.content_type,
        headers={**PREFER_WAIT, **case.headers},
    )

    assert response.status_code == case.status
    answer = response.json()
    assert isinstance(answer["detail"], str) and answer["detail"]
    errors = answer.get("errors", {})
    if response.status_code == 422:
        assert errors and all(errors.values())
    said = [answer["detail"], *(f"{field}: {' '.join(m)}" for field, m in errors.items())]
    assert case.message in "\n".join(said)
    assert_no_identity_code(response.content.decode(), bad_inputs.CODE)
    unchanged.check(refusals=1)


@pytest.mark.parametrize("case", API_WAITING, ids=case_ids(API_WAITING))
def test_the_orders_api_leaves_an_order_it_cannot_take_for_a_person(api_client, case):
    left = LeftForAPerson()

    response = api_client.post(
        "/api/v1/orders",
        case.body,
        content_type=case.content_type,
        headers={**PREFER_WAIT, **case.headers},
    )

    assert response.status_code == 202
    receipt = response.json()
    assert (receipt["state"], receipt["order_number"]) == ("attention", None)
    assert receipt["reason"] and receipt["detail"]
    assert case.message in f"{receipt['reason']}\n{receipt['detail']}"
    assert_no_identity_code(response.content.decode(), bad_inputs.CODE)
    delivery = left.check(reason=case.reason, source="api")
    assert str(delivery.public_id) == receipt["receipt"]
    assert delivery.detail == receipt["detail"]


NUL_CASES = [case for case in API_WAITING if case.field_named]


@pytest.mark.parametrize("case", NUL_CASES, ids=case_ids(NUL_CASES))
def test_a_nul_character_is_named_by_its_field(api_client, case):
    response = api_client.post(
        "/api/v1/orders", case.body, content_type=case.content_type, headers=PREFER_WAIT
    )

    assert response.status_code == 202
    assert case.field_named in response.json()["detail"]


WELL_FORMED_HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE customers_customer;--",
    "' OR '1'='1",
    "{{ request.user.password }}",
    "{% debug %}",
    "Virtanen ${7*7}",
    '=HYPERLINK("http://example.fi")',
]


@pytest.mark.parametrize("surname", WELL_FORMED_HOSTILE_NAMES)
def test_code_in_a_name_is_stored_as_written_and_shown_inert(
    api_client, customer_service_client, surname
):
    """Not part of the corpus: text that only looks like code is well-formed, and
    refusing it would refuse O'Brien. It is stored as written and shown escaped."""
    response = api_client.post(
        "/api/v1/orders",
        bad_inputs.order_with_customer(surname=surname),
        content_type="application/json",
        headers=PREFER_WAIT,
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.surname == surname
    page = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    ).content.decode()
    assert html.escape(surname) in page
    assert "<script>alert(1)" not in page
    assert "argon2" not in page


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer rk_wrong"},
        {"X-API-Key": "' OR 1=1"},
    ],
    ids=["none", "empty-bearer", "unknown", "sql-injection"],
)
def test_the_orders_api_refuses_without_a_valid_key(headers):
    unchanged = Unchanged()

    response = english().post(
        "/api/v1/orders",
        bad_inputs.VALID_ORDER_BYTES,
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 401
    assert response.json()["detail"]
    unchanged.check(refusals=1)


# The web shops' webhooks --------------------------------------------------------------

SHOP_ORDERS = {"woocommerce": shops.woocommerce_order, "shopify": shops.shopify_order}
DELIVER = {"woocommerce": shops.post_woocommerce, "shopify": shops.post_shopify}


def deliver(client: Client, kind: str, case: WebhookCase, integration, secret: str):
    data = SHOP_ORDERS[kind]()
    body = case.body(data)
    signature = {
        "valid": shops.sign(body, secret),
        "missing": "",
        "other-secret": shops.sign(body, "arvaus"),
        "not-base64": "!!! ei base64 !!!",
        "of-the-unchanged-body": shops.sign(bad_inputs.shop_json(SHOP_ORDERS[kind]()), secret),
    }[case.signature]
    return DELIVER[kind](client, integration, secret, body, signature=signature)


def assert_refused_delivery(response, case: WebhookCase) -> None:
    assert response.status_code == case.status
    answer = response.json()
    assert answer["result"] == case.result
    assert_no_identity_code(response.content.decode())


def shop_source(kind: str) -> str:
    """How the audit trail names a delivery of `deliver` (its default topic)."""
    return {"woocommerce": "woocommerce order.updated", "shopify": "shopify orders/updated"}[kind]


def check_delivery(client, kind: str, case: WebhookCase) -> None:
    """A bad delivery is refused and changes nothing, or, authentic and JSON, is stored
    and left for a person by the worker, and changes nothing else."""
    integration, secret = shops.shop(kind)
    if not case.reason:
        unchanged = Unchanged()
        response = deliver(client, kind, case, integration, secret)
        assert_refused_delivery(response, case)
        unchanged.check(refusals=1)
        return
    left = LeftForAPerson()
    response = deliver(client, kind, case, integration, secret)
    assert_refused_delivery(response, case)
    assert set(response.json()) == {"result", "receipt"}
    inbox_drain()
    delivery = left.check(reason=case.reason, source=shop_source(kind))
    assert str(delivery.public_id) == response.json()["receipt"]
    if case.error_field:
        assert f"{case.error_field}:" in delivery.detail


@pytest.mark.parametrize(
    "case", bad_inputs.WOOCOMMERCE_CASES, ids=case_ids(bad_inputs.WOOCOMMERCE_CASES)
)
def test_a_woocommerce_delivery_refuses(client, case):
    check_delivery(client, "woocommerce", case)


@pytest.mark.parametrize("case", bad_inputs.SHOPIFY_CASES, ids=case_ids(bad_inputs.SHOPIFY_CASES))
def test_a_shopify_delivery_refuses(client, case):
    check_delivery(client, "shopify", case)
