"""No record is reachable by guessing its id (P13; DESIGN rules 4 and 8).

The authorization matrix says which role may use which URL. These tests say that, for
each URL with an id in it, a record that does not exist (the id after the last one,
the UUID next to a real one, a random UUID, a number past any column) is a 404, never
a 500 or another record; that a record is reached only through its own parent; that
public links carry unguessable ids or signed tokens of their own purpose; that one
integration's key reaches none of another's orders or receipts; and that a portal link shows and
changes only its own customer. Each test also proves the database is unchanged and
that refusals are audited where the app audits them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models import Max, Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent
from rekisteri.customers.models import Customer
from rekisteri.intake.models import InboxDelivery, Integration
from rekisteri.intake.services import integration_create
from rekisteri.marketing.models import Campaign, CampaignMessage, TargetGroup
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.marketing.tokens import unsubscribe_token
from rekisteri.orders.models import Delivery, Order, Product, Return
from rekisteri.orders.services import LineInput, delivery_create, order_create, return_create
from rekisteri.portal.sending import consent_token
from rekisteri.privacy.access.disclosures import access_delivery_create, download_token
from rekisteri.privacy.breaches.services import breach_record
from rekisteri.privacy.models import AccessDelivery, Breach, LegalHold, SubjectRequest
from rekisteri.privacy.requests.sending import verification_token
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.retention.holds import legal_hold_place
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import post_woocommerce, woocommerce_json
from rekisteri.testing.shops import woocommerce_order as shop_order
from rekisteri.tests.unchanged import Unchanged

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CS, MK, PO, AD = Role.CUSTOMER_SERVICE, Role.MARKETING, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR
PAST_ANY_COLUMN = 2**63  # more than a bigint holds


@dataclass
class Register:
    """One record of each kind the URLs name; for the nested ones, another customer's
    beside it (an order with its delivery and return, a legal hold)."""

    customer: Customer
    other_customer: Customer
    order: Order
    other_order: Order
    other_delivery: Delivery
    other_return: Return
    other_hold: LegalHold
    target_group: TargetGroup
    message: CampaignMessage
    subject_request: SubjectRequest
    download: AccessDelivery
    breach: Breach
    integration: Integration


def _order(customer: Customer, sku: str) -> Order:
    Product.objects.get_or_create(sku=sku, defaults={"name": "Hylly", "unit_price": Decimal(10)})
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput(sku, 2)],
    )
    delivery_create(actor=SYSTEM, order=order, carrier="posti")
    return_create(actor=SYSTEM, order=order, quantities={order.lines.get().pk: 1}, reason="Iso")
    return order


@pytest.fixture
def register() -> Register:
    customer, other_customer = make_customer(), make_customer()
    order, other_order = _order(customer, "HYL-1"), _order(other_customer, "HYL-2")
    group = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Kaikki", channel="email"))
    campaign = campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Kevät", channel="email", target_group=group, subject="Tarjous", body="Hei"
        ),
    )
    subject_request = subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name=customer.surname,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla",
    )
    return Register(
        customer=customer,
        other_customer=other_customer,
        order=order,
        other_order=other_order,
        other_delivery=other_order.deliveries.get(),
        other_return=other_order.returns.get(),
        other_hold=legal_hold_place(
            actor=SYSTEM, customer=other_customer, reason="Riita-asia käräjäoikeudessa"
        ),
        target_group=group,
        message=CampaignMessage.objects.create(campaign=campaign, customer=customer),
        subject_request=subject_request,
        download=access_delivery_create(actor=SYSTEM, subject_request=subject_request),
        breach=breach_record(
            actor=SYSTEM,
            detected_at=timezone.now(),
            occurred_at=None,
            summary="Kadonnut kannettava",
            description="Asiakaslistan sisältänyt kannettava jäi junaan.",
            data_categories=["names"],
            people_affected=None,
            records_affected=None,
            likely_consequences="",
            measures_taken="",
        ),
        integration=integration_create(actor=SYSTEM, kind="woocommerce", name="Kauppa").integration,
    )


# Staff URLs with an id of a record that does not exist ----------------------------------


class Guess:
    """An id someone might try: the one after the last (or the UUID next to a real one),
    or one far off (a number past any column, a random UUID)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def number(self, model: type[Model], field: str = "pk") -> int:
        if self.kind == "far":
            return PAST_ANY_COLUMN
        last = model._default_manager.aggregate(last=Max(field))["last"]
        return int(last or 0) + 1

    def uuid(self, real: uuid.UUID) -> uuid.UUID:
        return uuid.uuid4() if self.kind == "far" else uuid.UUID(int=real.int + 1)


@dataclass(frozen=True)
class Case:
    name: str
    role: str  # one that may use the URL
    denied: str  # one that may not
    method: str
    kwargs: Callable[[Register, Guess], dict[str, object]]
    data: dict[str, object] | None = None


def _customer_number(r: Register, g: Guess) -> dict[str, object]:
    return {"customer_number": g.number(Customer, "customer_number")}


def _order_number(r: Register, g: Guess) -> dict[str, object]:
    return {"order_number": g.number(Order, "order_number")}


def _group(r: Register, g: Guess) -> dict[str, object]:
    return {"pk": g.number(TargetGroup)}


def _campaign(r: Register, g: Guess) -> dict[str, object]:
    return {"pk": g.number(Campaign)}


def _request(r: Register, g: Guess) -> dict[str, object]:
    return {"public_id": g.uuid(r.subject_request.public_id)}


def _breach(r: Register, g: Guess) -> dict[str, object]:
    return {"public_id": g.uuid(r.breach.public_id)}


def _staff_member(r: Register, g: Guess) -> dict[str, object]:
    return {"user_id": g.number(User)}


def _integration(r: Register, g: Guess) -> dict[str, object]:
    return {"integration_id": g.number(Integration)}


STAFF_CASES = [
    Case("customers:detail", CS, MK, "get", _customer_number),
    Case("customers:edit", CS, MK, "get", _customer_number),
    Case("customers:reveal", PO, CS, "post", _customer_number, {"reason": "Asiakkaan pyyntö"}),
    Case("consents:record", CS, MK, "post", _customer_number, {"kind": "ban"}),
    Case("orders:create", CS, MK, "get", _customer_number),
    Case("orders:detail", CS, MK, "get", _order_number),
    Case("orders:status", CS, MK, "post", _order_number, {"status": "confirmed", "version": 1}),
    Case("orders:delivery_add", CS, MK, "post", _order_number, {"carrier": "posti"}),
    Case("orders:return_add", CS, MK, "post", _order_number, {"reason": "Iso"}),
    Case("orders:credit_review", CS, MK, "post", _order_number, {"decision": "approved"}),
    Case(
        "orders:delivery_status",
        CS,
        MK,
        "post",
        lambda r, g: {"order_number": r.order.order_number, "delivery_id": g.number(Delivery)},
        {"status": "shipped"},
    ),
    Case(
        "orders:return_status",
        CS,
        MK,
        "post",
        lambda r, g: {"order_number": r.order.order_number, "return_id": g.number(Return)},
        {"status": "received"},
    ),
    Case("orders:product_edit", CS, MK, "get", lambda r, g: {"pk": g.number(Product)}),
    Case("marketing:detail", MK, CS, "get", _group),
    Case("marketing:edit", MK, CS, "get", _group),
    Case("marketing:export", MK, CS, "post", _group),
    Case("marketing:labels", MK, CS, "post", _group),
    Case("marketing:campaign", MK, CS, "get", _campaign),
    Case("marketing:campaign_edit", MK, CS, "get", _campaign),
    Case("marketing:campaign_progress", MK, CS, "get", _campaign),
    Case("marketing:campaign_send", MK, CS, "post", _campaign, {"version": 1}),
    Case("privacy:request", PO, MK, "get", _request),
    Case("privacy:request_action", PO, CS, "post", _request, {"action": "none"}),
    Case("privacy:access_handover", PO, CS, "post", _request),
    Case("privacy:erase", PO, CS, "get", _customer_number),
    Case("privacy:restrict", PO, CS, "get", _customer_number),
    Case("privacy:restriction_lift", PO, CS, "get", _customer_number),
    Case("privacy:legal_hold", PO, CS, "get", _customer_number),
    Case(
        "privacy:legal_hold_lift",
        PO,
        CS,
        "post",
        lambda r, g: {
            "customer_number": r.customer.customer_number,
            "hold_id": g.number(LegalHold),
        },
    ),
    Case("privacy:breach", PO, CS, "get", _breach),
    Case("privacy:breach_edit", PO, CS, "get", _breach),
    Case("privacy:breach_decide", PO, CS, "post", _breach),
    Case("privacy:breach_authority_notified", PO, CS, "post", _breach),
    Case("privacy:breach_subjects_add", PO, CS, "post", _breach),
    Case("privacy:breach_notice", PO, CS, "post", _breach),
    Case("privacy:breach_notices_send", PO, CS, "post", _breach),
    Case("accounts:staff_edit", AD, CS, "get", _staff_member),
    Case("accounts:staff_two_factor_reset", AD, CS, "post", _staff_member),
    Case("intake:integration_revoke", AD, CS, "get", _integration),
    Case("intake:integration_secret", AD, CS, "get", _integration),
]


def _request_to(client: Client, case: Case, url: str) -> Any:
    return getattr(client, case.method)(url, case.data or {})


def denials() -> int:
    return AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()


@pytest.mark.parametrize("guess", ["next", "far"])
@pytest.mark.parametrize("case", STAFF_CASES, ids=[case.name for case in STAFF_CASES])
def test_a_record_that_does_not_exist_is_not_found(register, client_as, case, guess):
    client = client_as(case.role)
    url = reverse(case.name, kwargs=case.kwargs(register, Guess(guess)))
    unchanged = Unchanged()

    response = _request_to(client, case, url)

    assert response.status_code == 404
    unchanged.check()


@pytest.mark.parametrize("case", STAFF_CASES, ids=[case.name for case in STAFF_CASES])
def test_a_role_without_the_permission_is_refused_before_the_record_is_looked_up(
    register, client_as, case
):
    """A missing record and a real one get the same 403, so a refusal does not tell
    which ids exist; each refusal is audited."""
    client = client_as(case.denied)
    url = reverse(case.name, kwargs=case.kwargs(register, Guess("next")))
    unchanged = Unchanged()

    response = _request_to(client, case, url)

    assert response.status_code == 403
    unchanged.check(refusals=1)
    assert AuditEvent.objects.order_by("-id").values_list("action", "object_id")[0] == (
        Action.PERMISSION_DENIED,
        url[:64],
    )


# A record reached only through its own parent ------------------------------------------


def test_another_orders_delivery_is_not_found_through_this_order(register, client_as):
    url = reverse(
        "orders:delivery_status",
        kwargs={
            "order_number": register.order.order_number,
            "delivery_id": register.other_delivery.pk,
        },
    )
    client = client_as(CS)
    unchanged = Unchanged()

    response = client.post(url, {"status": "shipped"})

    assert response.status_code == 404
    unchanged.check()


def test_another_orders_return_is_not_found_through_this_order(register, client_as):
    url = reverse(
        "orders:return_status",
        kwargs={"order_number": register.order.order_number, "return_id": register.other_return.pk},
    )
    client = client_as(CS)
    unchanged = Unchanged()

    response = client.post(url, {"status": "received"})

    assert response.status_code == 404
    unchanged.check()


def test_another_customers_legal_hold_is_not_lifted_through_this_customer(register, client_as):
    url = reverse(
        "privacy:legal_hold_lift",
        kwargs={
            "customer_number": register.customer.customer_number,
            "hold_id": register.other_hold.pk,
        },
    )
    client = client_as(PO)
    unchanged = Unchanged()

    response = client.post(url)

    assert response.status_code == 404
    unchanged.check()
    assert LegalHold.objects.get(pk=register.other_hold.pk).lifted_at is None


# Public links ----------------------------------------------------------------------------


def test_public_ids_are_random_uuids():
    """Version 4: 122 random bits, nothing to count up from."""
    customer = make_customer()

    assert customer.public_id.version == 4
    assert make_customer().public_id.int - customer.public_id.int not in range(-1000, 1000)


@pytest.mark.parametrize("guess", ["next", "far"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_guessed_download_link_is_not_found_and_gives_nothing(register, guess, method):
    """Another link's id, bare or with the real link's signature: not a key."""
    real = download_token(register.download)
    guessed = Guess(guess).uuid(register.download.public_id).hex
    unchanged = Unchanged()

    for token in (guessed, f"{guessed}:{real.partition(':')[2]}"):
        response = getattr(Client(), method)(reverse("privacy_download"), {"t": token})

        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
    unchanged.check()
    assert AccessDelivery.objects.get().download_count == 0


def _tampered(token: str) -> str:
    """The token with its UUID changed by one and the signature left as it was."""
    value, _, signature = token.partition(":")
    changed = uuid.UUID(hex=value).int + 1
    return f"{uuid.UUID(int=changed).hex}:{signature}"


def _forged_tokens(register: Register) -> dict[str, dict[str, str]]:
    """For each public link: its own token tampered with, and the other links' genuine
    tokens (another purpose, another salt)."""
    verify = verification_token(register.subject_request)
    consent = consent_token(register.customer)
    unsubscribe = unsubscribe_token(register.message)
    return {
        "portal:verify": {
            "tampered": _tampered(verify),
            "consent": consent,
            "unsubscribe": unsubscribe,
        },
        "portal:consents": {
            "tampered": _tampered(consent),
            "verify": verify,
            "unsubscribe": unsubscribe,
        },
        "unsubscribe": {
            "tampered": _tampered(unsubscribe),
            "verify": verify,
            "consent": consent,
        },
    }


POSTS = {
    "portal:verify": {},
    "portal:consents": {"change": "ban"},
    "unsubscribe": {"List-Unsubscribe": "One-Click"},
}
FORGERIES = [
    (name, forgery)
    for name, others in {
        "portal:verify": ["tampered", "consent", "unsubscribe"],
        "portal:consents": ["tampered", "verify", "unsubscribe"],
        "unsubscribe": ["tampered", "verify", "consent"],
    }.items()
    for forgery in others
]


@pytest.mark.parametrize(("name", "forgery"), FORGERIES)
def test_a_forged_or_borrowed_token_opens_no_link_and_changes_nothing(register, name, forgery):
    token = _forged_tokens(register)[name][forgery]
    url = reverse(name)
    unchanged = Unchanged()

    # The token travels in the query string (GET, and a mail client's one-click POST)
    # or in the form's body (the portal's buttons).
    shown = Client().get(url, {"t": token})
    if name == "unsubscribe":
        posted = Client().post(f"{url}?{urlencode({'t': token})}", POSTS[name])
    else:
        posted = Client().post(url, {"t": token, **POSTS[name]})

    assert (shown.status_code, posted.status_code) == (404, 404)
    unchanged.check()
    assert register.customer.surname not in shown.content.decode()


def test_a_consent_link_shows_and_changes_only_its_own_customer(register):
    """Whatever else is in the query string or the form, the token says who."""
    other = register.other_customer
    url, token = reverse("portal:consents"), consent_token(register.customer)
    names = {"customer_number": other.customer_number, "public_id": other.public_id}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    shown = client.get(url, {"t": token, **names})
    posted = client.post(url, {"t": token, "change": "ban", **names})

    assert (shown.status_code, posted.status_code) == (200, 200)
    for page in (shown, posted):
        text = page.content.decode()
        for value in (other.surname, other.email, str(other.public_id)):
            assert value not in text
        # A customer number can be the year in a date of the page (customer 2026).
        assert not re.search(rf"(?<![\d./-]){other.customer_number}(?![\d./-])", text)
    assert list(ConsentEvent.objects.values_list("customer", "kind")) == [
        (register.customer.pk, "ban")
    ]


# The API -----------------------------------------------------------------------------------


def _api_client(api_key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_key}")


def _shop_order_body(external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "customer": {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": f"aino.{external_id.lower()}@example.fi",
            "street_address": "Hintantie 1",
            "postal_code": "90650",
            "post_office": "Oulu",
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly", "unit_price": "89.90", "quantity": 2}],
        "payment_method": "prepaid",
        "placed_at": "2026-11-20T10:00:00+02:00",
        "modified_at": "2026-11-20T10:00:00+02:00",
    }


@pytest.fixture
def two_shops() -> tuple[Client, Client]:
    """The clients of two integrations; the first has sent an order."""
    first = integration_create(actor=SYSTEM, kind="generic", name="Ensimmäinen")
    second = integration_create(actor=SYSTEM, kind="generic", name="Toinen")
    first_client, second_client = _api_client(first.api_key), _api_client(second.api_key)
    response = first_client.post(
        "/api/v1/orders",
        json.dumps(_shop_order_body("WEB-1")),
        content_type="application/json",
        headers={"Idempotency-Key": "avain-1", "Prefer": "wait=5"},
    )
    assert response.status_code == 201
    return first_client, second_client


def _api_denials() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
        .order_by("id")
        .values_list("object_id", "reason")
    )


def test_an_integration_cannot_read_another_integrations_order(two_shops):
    first, second = two_shops
    order = Order.objects.get()
    url = f"/api/v1/orders/{order.order_number}"
    missing = f"/api/v1/orders/{order.order_number + 1}"
    unchanged = Unchanged()

    others = second.get(url)
    nobodys = second.get(missing)

    assert (others.status_code, others.json()) == (404, {"detail": "No such order."})
    assert (nobodys.status_code, nobodys.json()) == (404, {"detail": "No such order."})
    unchanged.check(refusals=2)
    assert _api_denials() == [
        (url, "api refused 404: not this integration's order"),
        (missing, "api refused 404: not this integration's order"),
    ]
    assert first.get(url).status_code == 200


def test_an_integration_cannot_alter_another_integrations_order(two_shops):
    """The same external id or Idempotency-Key from another integration is its own
    order; the first integration's order stays as it was."""
    first, second = two_shops
    order = Order.objects.get()
    before = first.get(f"/api/v1/orders/{order.order_number}").json()
    changed = {**_shop_order_body("WEB-1"), "modified_at": "2026-11-21T10:00:00+02:00"}
    changed["lines"] = [{"sku": "KOR-1", "name": "Kori", "unit_price": "1.00", "quantity": 9}]

    response = second.post(
        "/api/v1/orders",
        json.dumps(changed),
        content_type="application/json",
        headers={"Idempotency-Key": "avain-1", "Prefer": "wait=5"},
    )

    assert response.status_code == 201
    assert response.json()["order_number"] != order.order_number
    assert first.get(f"/api/v1/orders/{order.order_number}").json() == before
    assert sorted(Order.objects.values_list("integration__name", "external_id")) == [
        ("Ensimmäinen", "WEB-1"),
        ("Toinen", "WEB-1"),
    ]


def test_an_integration_cannot_read_another_integrations_receipt(two_shops):
    first, second = two_shops
    delivery = InboxDelivery.objects.get()
    url = reverse("api:order_receipt", args=[delivery.public_id])
    guessed = reverse("api:order_receipt", args=[Guess("next").uuid(delivery.public_id)])
    unchanged = Unchanged()

    others = second.get(url)
    nobodys = second.get(guessed)

    assert (others.status_code, others.json()) == (404, {"detail": "No such receipt."})
    assert (nobodys.status_code, nobodys.json()) == (404, {"detail": "No such receipt."})
    assert str(Order.objects.get().order_number) not in others.content.decode()
    unchanged.check(refusals=2)
    assert _api_denials() == [
        (url, "api refused 404: not this integration's receipt"),
        (guessed, "api refused 404: not this integration's receipt"),
    ]
    assert first.get(url).json()["order_number"] == Order.objects.get().order_number


def test_an_integration_key_reads_no_customer(two_shops):
    _first, second = two_shops
    customer = Customer.objects.get()
    unchanged = Unchanged()

    response = second.get(f"/api/v1/customers/{customer.public_id}")

    # The customers API is for signed-in staff: a key is no session.
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert customer.surname not in response.content.decode()
    unchanged.check()


def test_customers_are_named_by_uuid_in_the_api_not_by_their_number(client_as):
    customer = make_customer()
    client = client_as(CS)
    unchanged = Unchanged()

    by_number = client.get(f"/api/v1/customers/{customer.customer_number}")
    by_guess = client.get(f"/api/v1/customers/{uuid.UUID(int=customer.public_id.int + 1)}")

    assert (by_number.status_code, by_guess.status_code) == (404, 404)
    unchanged.check()
    schema = client.get("/api/v1/openapi.json").json()
    (parameter,) = schema["paths"]["/api/v1/customers/{public_id}"]["get"]["parameters"]
    assert parameter["schema"]["format"] == "uuid"


def test_a_webhook_signed_for_one_shop_is_refused_at_anothers_address(register):
    first = integration_create(actor=SYSTEM, kind="woocommerce", name="Ensimmäinen")
    second = integration_create(actor=SYSTEM, kind="woocommerce", name="Toinen")
    body = woocommerce_json(shop_order())
    unchanged = Unchanged()

    response = post_woocommerce(Client(), second.integration, first.secret, body)

    assert response.status_code == 401
    unchanged.check(refusals=1)


def test_a_webhook_to_a_guessed_integration_address_is_not_found(register):
    guessed = Guess("next").uuid(register.integration.public_id)
    unchanged = Unchanged()

    response = Client().post(
        f"/api/v1/webhooks/woocommerce/{guessed}", b"{}", content_type="application/json"
    )

    assert response.status_code == 404
    unchanged.check(refusals=1)
