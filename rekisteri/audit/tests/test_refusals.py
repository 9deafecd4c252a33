"""Refusals of requests nobody proved who sent are counted per source, not each an
event: a flood adds a handful of events, and a source refused too often gets 429
before the database is read (rekisteri/audit/refusals.py)."""

from __future__ import annotations

import datetime
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent, RefusalTally
from rekisteri.audit.services import Actor
from rekisteri.intake.inbox import inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.testing.factories import PASSWORD, make_staff
from rekisteri.testing.shops import post_woocommerce, shop, woocommerce_json

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"
LOGIN = "/accounts/login/"
STRANGER = "203.0.113.7"
OTHER_STRANGER = "198.51.100.4"
# 04:02:03 UTC: inside the window 04:00-04:15 of the default 15 minutes.
START = datetime.datetime(2026, 12, 7, 4, 2, 3, tzinfo=datetime.UTC)


class Clock:
    """The time the app sees: still unless moved (the clock is the outside world)."""

    def __init__(self, at: datetime.datetime) -> None:
        self.at = at

    def move(self, **delta: float) -> None:
        self.at += datetime.timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock(START)
    with (
        mock.patch("django.utils.timezone.now", side_effect=lambda: clock.at),
        mock.patch("time.time", side_effect=lambda: clock.at.timestamp()),
        # The rate limiter's own clock, which every test otherwise starts at a window's start.
        mock.patch("rekisteri.ratelimit._now", side_effect=lambda: clock.at.timestamp()),
    ):
        yield clock


def from_address(address: str, *, api_key: str | None = None) -> Client:
    headers = {"Accept-Language": "en"}
    if api_key is not None:
        headers["X-API-Key"] = api_key
    return Client(headers=headers, REMOTE_ADDR=address)


def order_body() -> str:
    return json.dumps(
        {
            "external_id": "WEB-1001",
            "customer": {
                "surname": "Virtanen",
                "first_names": "Aino",
                "email": "aino.virtanen@example.fi",
            },
            "lines": [{"sku": "HYL-120", "name": "Hylly", "unit_price": "89.90", "quantity": 1}],
            "payment_method": "prepaid",
            "placed_at": "2026-11-20T10:00:00+02:00",
        }
    )


def post_order(client: Client) -> int:
    """Posts the order to be processed at once (RFC 7240 `Prefer: wait`): 201 when it
    made the order, 200 when it had been made."""
    return client.post(
        ORDERS, order_body(), content_type="application/json", headers={"Prefer": "wait=5"}
    ).status_code


def events() -> list[tuple[str, str, str | None, str]]:
    """(action, object id, address, reason) of every event, oldest first."""
    return list(
        AuditEvent.objects.order_by("id").values_list("action", "object_id", "ip_address", "reason")
    )


def flush_after_the_window(clock: Clock) -> None:
    clock.move(minutes=15)
    call_command("audit", "flush-refusals", stdout=mock.Mock())


def test_a_thousand_requests_without_a_key_add_two_events(clock):
    """The first refusal is an event at once; the next 19 are counted; the rest of the
    thousand get 429; when the window has closed one event carries the count of 20."""
    stranger = from_address(STRANGER)

    statuses = Counter(post_order(stranger) for _ in range(1000))

    assert statuses == {401: 20, 429: 980}
    assert events() == [(Action.LOGIN_FAILURE, ORDERS, STRANGER, "api key missing")]
    assert RefusalTally.objects.get().count == 20
    assert Order.objects.count() == 0

    flush_after_the_window(clock)

    assert events()[1:] == [
        (
            Action.LOGIN_FAILURE,
            "",
            STRANGER,
            "api key missing: 20 in all between 2026-12-07 04:02:03 and 04:02:03 UTC",
        )
    ]
    assert AuditEvent.objects.order_by("id")[1].actor_type == ActorType.ANONYMOUS
    assert RefusalTally.objects.count() == 0
    call_command("audit", "verify", stdout=mock.Mock())


def test_refusals_within_the_rate_are_counted_in_one_event_per_reason(clock, settings):
    settings.REFUSAL_RATE_PER_MINUTE = 10_000
    stranger = from_address(STRANGER)
    wrong_key = from_address(STRANGER, api_key="rk_not-a-key-at-all")

    for _ in range(60):
        assert post_order(stranger) == 401
        clock.move(seconds=10)
    for _ in range(40):
        assert post_order(wrong_key) == 401

    assert [event[3] for event in events()] == ["api key missing", "api key not recognised"]
    flush_after_the_window(clock)
    assert [event[3] for event in events()[2:]] == [
        "api key missing: 60 in all between 2026-12-07 04:02:03 and 04:11:53 UTC",
        "api key not recognised: 40 in all between 2026-12-07 04:12:03 and 04:12:03 UTC",
    ]


def test_two_sources_are_counted_apart(clock):
    for _ in range(3):
        post_order(from_address(STRANGER))
    for _ in range(2):
        post_order(from_address(OTHER_STRANGER))

    assert [event[2] for event in events()] == [STRANGER, OTHER_STRANGER]
    flush_after_the_window(clock)
    assert [(event[2], event[3]) for event in events()[2:]] == [
        (STRANGER, "api key missing: 3 in all between 2026-12-07 04:02:03 and 04:02:03 UTC"),
        (OTHER_STRANGER, "api key missing: 2 in all between 2026-12-07 04:02:03 and 04:02:03 UTC"),
    ]


def test_the_next_refusal_after_the_window_writes_the_count_without_a_flush(clock):
    for _ in range(5):
        post_order(from_address(STRANGER))
    clock.move(minutes=15)

    post_order(from_address(OTHER_STRANGER))

    assert [(event[2], event[3]) for event in events()] == [
        (STRANGER, "api key missing"),
        (OTHER_STRANGER, "api key missing"),
        (STRANGER, "api key missing: 5 in all between 2026-12-07 04:02:03 and 04:02:03 UTC"),
    ]
    assert list(RefusalTally.objects.values_list("source", "count")) == [(OTHER_STRANGER, 1)]


def test_a_source_over_the_rate_gets_429_even_with_a_key_without_a_query(clock, settings):
    """Over the rate the address is answered before its key is looked up; another
    address, and the same one a minute later, are served."""
    settings.REFUSAL_RATE_PER_MINUTE = 3
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Kauppa")
    for _ in range(3):
        assert post_order(from_address(STRANGER)) == 401
    events_before = AuditEvent.objects.count()
    with_key = from_address(STRANGER, api_key=created.api_key)

    with CaptureQueriesContext(connection) as queries:
        response = with_key.post(ORDERS, order_body(), content_type="application/json")

    assert (response.status_code, response["Retry-After"]) == (429, "57")
    assert response.json() == {
        "detail": "Too many refused requests from this address. Try again later."
    }
    assert len(queries) == 0
    assert (AuditEvent.objects.count(), Order.objects.count()) == (events_before, 0)
    assert not InboxDelivery.objects.exists()
    assert post_order(from_address(OTHER_STRANGER, api_key=created.api_key)) == 201
    clock.move(minutes=1)
    assert post_order(with_key) == 200
    assert list(InboxDelivery.objects.values_list("state", flat=True)) == [
        DeliveryState.DONE,
        DeliveryState.DONE,
    ]


def test_bad_signatures_to_a_webhook_are_counted_for_that_shop_and_address(clock):
    """1,000 unsigned deliveries: 20 refused and counted, the rest 429; another shop's
    signed delivery from the same address still gets through."""
    integration, secret = shop("woocommerce")
    other, other_secret = shop("woocommerce", name="Toinen kauppa")
    stranger = from_address(STRANGER)
    body = woocommerce_json({"id": 1})

    statuses = Counter(
        post_woocommerce(stranger, integration, secret, body, signature="wrong").status_code
        for _ in range(1000)
    )

    assert statuses == {401: 20, 429: 980}
    assert events()[-1] == (
        Action.PERMISSION_DENIED,
        str(integration.pk),
        STRANGER,
        "bad signature",
    )
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
    signed = post_woocommerce(stranger, other, other_secret, body, topic="order.deleted")
    assert (signed.status_code, signed.json()["result"]) == (200, "ignored")
    assert list(InboxDelivery.objects.values_list("integration", "state")) == [
        (other.pk, DeliveryState.IGNORED)
    ]
    flush_after_the_window(clock)
    closing = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).latest("id")
    assert (closing.object_type, closing.object_id, closing.actor_label, closing.reason) == (
        "intake.integration",
        str(integration.pk),
        "integration:Verkkokauppa",
        "bad signature: 20 in all between 2026-12-07 04:02:03 and 04:02:03 UTC",
    )


def test_unknown_webhook_urls_are_counted_per_address_whatever_the_id(clock):
    stranger = from_address(STRANGER)

    statuses = Counter(
        stranger.post(
            f"/api/v1/webhooks/shopify/{uuid.uuid4()}", b"{}", content_type="application/json"
        ).status_code
        for _ in range(1000)
    )

    assert statuses == {404: 20, 429: 980}
    assert events() == [
        (Action.PERMISSION_DENIED, "", STRANGER, "shopify webhook: unknown integration")
    ]
    flush_after_the_window(clock)
    assert [event[3] for event in events()] == [
        "shopify webhook: unknown integration",
        "shopify webhook: unknown integration: 20 in all "
        "between 2026-12-07 04:02:03 and 04:02:03 UTC",
    ]


def test_a_thousand_failed_sign_ins_with_made_up_names_add_two_events(clock):
    stranger = from_address(STRANGER)

    statuses = Counter(
        stranger.post(LOGIN, {"username": f"arvaus{n}", "password": "salasana"}).status_code
        for n in range(1000)
    )

    assert statuses == {200: 20, 429: 980}
    with CaptureQueriesContext(connection) as queries:
        throttled = stranger.post(LOGIN, {"username": "arvaus", "password": "salasana"})
    assert len(queries) == 0
    assert "Too many attempts from your address were refused" in throttled.content.decode()
    assert throttled["Retry-After"] == "57"
    assert events() == [(Action.LOGIN_FAILURE, "", STRANGER, "")]
    flush_after_the_window(clock)
    assert events()[1:] == [
        (
            Action.LOGIN_FAILURE,
            "",
            STRANGER,
            "20 in all between 2026-12-07 04:02:03 and 04:02:03 UTC",
        )
    ]


def test_failed_sign_ins_of_a_real_account_stay_its_own_per_address(clock):
    user = make_staff(Role.CUSTOMER_SERVICE)
    for _ in range(3):
        from_address(STRANGER).post(LOGIN, {"username": user.username, "password": "väärä"})
    for _ in range(2):
        from_address(OTHER_STRANGER).post(LOGIN, {"username": user.username, "password": "x"})

    flush_after_the_window(clock)

    failures = AuditEvent.objects.filter(action=Action.LOGIN_FAILURE).order_by("id")
    assert list(failures.values_list("actor_label", "object_id", "ip_address", "reason")) == [
        (user.username, str(user.pk), STRANGER, ""),
        (user.username, str(user.pk), OTHER_STRANGER, ""),
        (
            user.username,
            str(user.pk),
            STRANGER,
            "3 in all between 2026-12-07 04:02:03 and 04:02:03 UTC",
        ),
        (
            user.username,
            str(user.pk),
            OTHER_STRANGER,
            "2 in all between 2026-12-07 04:02:03 and 04:02:03 UTC",
        ),
    ]
    assert set(failures.values_list("object_type", flat=True)) == {"accounts.user"}
    signed_in = from_address(STRANGER).post(
        LOGIN, {"username": user.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302


def test_a_signed_in_staff_members_refusals_are_each_an_event(client_as):
    """A 403 on a staff page is an act of a known person: never counted away."""
    client = client_as(Role.CUSTOMER_SERVICE)

    statuses = [client.get("/accounts/staff/").status_code for _ in range(25)]

    assert statuses == [403] * 25
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 25
    assert RefusalTally.objects.count() == 0


def test_an_order_through_the_api_is_audited_as_before(clock):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Kauppa")

    status = post_order(from_address(STRANGER, api_key=created.api_key))

    assert status == 201
    integration_events = AuditEvent.objects.filter(actor_type=ActorType.INTEGRATION)
    assert set(integration_events.values_list("action", "object_type")) == {
        (Action.CREATE, "customers.customer"),
        (Action.CREATE, "orders.order"),
    }
    assert RefusalTally.objects.count() == 0


def test_an_order_left_for_the_worker_is_audited_when_it_is_made(clock):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Kauppa")

    response = from_address(STRANGER, api_key=created.api_key).post(
        ORDERS, order_body(), content_type="application/json"
    )

    assert response.status_code == 202
    assert not AuditEvent.objects.filter(actor_type=ActorType.INTEGRATION).exists()
    assert inbox_drain() == {"created": 1}
    integration_events = AuditEvent.objects.filter(actor_type=ActorType.INTEGRATION)
    assert set(integration_events.values_list("action", "object_type")) == {
        (Action.CREATE, "customers.customer"),
        (Action.CREATE, "orders.order"),
    }
    assert RefusalTally.objects.count() == 0
