"""`rekisteri intake woocommerce-sync` and the worker's schedule against a local fake of
WooCommerce's REST API: the sync pages through the changed orders into the inbox, which
converges to the state webhooks give; it remembers where it left off."""

from __future__ import annotations

import base64
import datetime
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from faker import Faker

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.intake.inbox import Reason, delivery_body, inbox_drain
from rekisteri.intake.models import DeliverySource, DeliveryState, InboxDelivery, Integration
from rekisteri.intake.woocommerce_sync import FIRST_SYNC_HOURS, woocommerce_sync_due
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import (
    KEY,
    SECRET,
    post_woocommerce,
    shop,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db
fake = Faker("fi_FI")
UTC = datetime.UTC


class FakeWooCommerce:
    """Serves GET /wp-json/wc/v3/orders as WooCommerce does: Basic auth with the
    consumer key and secret, modified_after in GMT, pages with X-WP-TotalPages; the
    pages in `failing_pages` answer 500."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.queries: list[dict[str, str]] = []
        self.failing_pages: set[int] = set()
        fake_shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                fake_shop.queries.append(query)
                expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.answer(401, b'{"code":"woocommerce_rest_cannot_view"}')
                elif parts.path != "/wp-json/wc/v3/orders":
                    self.answer(404, b'{"code":"rest_no_route"}')
                elif int(query["page"]) in fake_shop.failing_pages:
                    self.answer(500, b'{"code":"internal_server_error"}')
                else:
                    self.answer(200, *fake_shop.page(query))

            def answer(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, query: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        after = query["modified_after"]
        changed = sorted(
            (order for order in self.orders if order["date_modified_gmt"] > after),
            key=lambda order: order["id"],
        )
        size, number = int(query["per_page"]), int(query["page"])
        pages = max(1, -(-len(changed) // size))
        body = woocommerce_json(changed[(number - 1) * size : number * size])
        return body, {"X-WP-Total": str(len(changed)), "X-WP-TotalPages": str(pages)}


@pytest.fixture
def fake_shop() -> Iterator[FakeWooCommerce]:
    fake_shop = FakeWooCommerce([])
    thread = threading.Thread(target=fake_shop.server.serve_forever, daemon=True)
    thread.start()
    yield fake_shop
    fake_shop.server.shutdown()
    fake_shop.server.server_close()


def shop_order(order_id: int, modified: str, status: str = "processing") -> dict[str, Any]:
    data = woocommerce_order(id=order_id, status=status, date_modified_gmt=modified)
    first, last = fake.first_name(), fake.last_name()
    data["billing"].update(first_name=first, last_name=last, email=f"asiakas.{order_id}@example.fi")
    return data


def sync(integration: Integration | None = None, since: str | None = None) -> str:
    """The command's output; without `integration`, every shop's sync runs."""
    out = StringIO()
    arguments = ["intake", "woocommerce-sync"]
    if integration is not None:
        arguments += ["--integration", str(integration.public_id)]
    if since is not None:
        arguments += ["--since", since]
    call_command(*arguments, stdout=out)
    return out.getvalue()


def woocommerce_with_api(fake_shop, name: str = "Verkkokauppa", **credentials):
    return shop(
        "woocommerce",
        name=name,
        shop_url=fake_shop.url,
        consumer_key=credentials.get("key", KEY),
        consumer_secret=credentials.get("secret", SECRET),
    )


def waiting() -> int:
    return InboxDelivery.objects.filter(state=DeliveryState.WAITING).count()


def sync_events(integration: Integration) -> list[tuple[str, str]]:
    """(action, reason) of the integration's sync runs in the audit trail, oldest first."""
    events = AuditEvent.objects.filter(
        object_id=str(integration.pk), reason__startswith="woocommerce sync:"
    ).order_by("id")
    return [(event.action, event.reason) for event in events]


def test_sync_pages_through_changed_orders_into_the_inbox_which_converges(client, fake_shop):
    integration, secret = woocommerce_with_api(fake_shop)
    new_orders = [shop_order(2000 + n, "2026-11-02T09:00:00") for n in range(100)]
    completed = shop_order(1001, "2026-11-03T12:00:00", status="completed")
    unchanged = shop_order(1002, "2026-11-02T10:00:00")
    older_than_stored = shop_order(1003, "2026-11-02T10:00:00")
    fake_shop.orders = [
        shop_order(900, "2026-10-30T12:00:00"),  # changed before --since: not asked for
        completed,
        unchanged,
        older_than_stored,
        *new_orders,
    ]
    # What the webhooks delivered before: 1001 as pending, 1002 as it is now, and
    # 1003 already cancelled after the shop's listing was made.
    for data in (
        {**completed, "status": "pending", "date_modified_gmt": "2026-11-02T08:00:00"},
        unchanged,
        {**older_than_stored, "status": "cancelled", "date_modified_gmt": "2026-11-02T11:00:00"},
    ):
        post_woocommerce(client, integration, secret, woocommerce_json(data))
    inbox_drain()

    output = sync(integration, "2026-11-01T10:00:00")

    assert output == (
        "Verkkokauppa since 2026-11-01T08:00:00Z: 103 orders pulled, 103 new deliveries\n"
    )
    assert [(q["page"], q["per_page"]) for q in fake_shop.queries] == [("1", "100"), ("2", "100")]
    assert {q["modified_after"] for q in fake_shop.queries} == {"2026-11-01T08:00:00"}
    assert {q["dates_are_gmt"] for q in fake_shop.queries} == {"true"}
    # Pulled is not yet taken: the deliveries wait for the worker.
    assert stored_counts() == (3, 3)
    assert (
        InboxDelivery.objects.filter(
            source=DeliverySource.SYNC, state=DeliveryState.WAITING, topic="sync"
        ).count()
        == 103
    )

    assert inbox_drain() == {"created": 100, "updated": 1, "unchanged": 1, "stale": 1}

    statuses = dict(Order.objects.values_list("external_id", "status"))
    assert (statuses["1001"], statuses["1002"], statuses["1003"]) == (
        OrderStatus.COMPLETED,
        OrderStatus.CONFIRMED,
        OrderStatus.CANCELLED,
    )
    assert "900" not in statuses
    assert stored_counts() == (103, 103)
    assert set(Order.objects.values_list("total_gross", flat=True)) == {Decimal("219.80")}
    # The latest change seen, less a minute: the next run starts there.
    integration.refresh_from_db()
    assert integration.sync_position == datetime.datetime(2026, 11, 3, 11, 59, tzinfo=UTC)
    assert integration.sync_last_outcome == "103 orders pulled, 103 new deliveries"
    assert integration.sync_last_failed is False
    assert sync_events(integration) == [
        (Action.UPDATE, "woocommerce sync: 103 orders pulled, 103 new deliveries")
    ]


def test_each_delivery_is_the_orders_own_bytes_from_the_page(fake_shop):
    """Nothing is rounded or re-written: the inbox reads what the shop sent, as it
    reads a webhook's body (WordPress escapes "/" and non-ASCII characters)."""
    integration, _secret = woocommerce_with_api(fake_shop)
    first, second = shop_order(6001, "2026-11-02T09:00:00"), shop_order(6002, "2026-11-02T09:00:00")
    first["customer_note"] = "Jätä ovelle / portin taakse"
    first["tax_lines"] = [{"id": 1, "rate_id": 3, "rate_percent": 25.5, "tax_total": "0.10"}]
    fake_shop.orders = [first, second]

    sync(integration, "2026-11-01")

    bodies = [delivery_body(d) for d in InboxDelivery.objects.order_by("id")]
    assert bodies == [woocommerce_json(first), woocommerce_json(second)]
    assert set(InboxDelivery.objects.values_list("delivery_key", flat=True)) == {
        "sync:6001:2026-11-02T09:00:00",
        "sync:6002:2026-11-02T09:00:00",
    }


def test_without_since_the_sync_starts_where_the_last_run_left_off(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    Integration.objects.filter(pk=integration.pk).update(
        sync_position=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    )
    fake_shop.orders = [
        shop_order(3001, "2026-11-02T08:00:00"),  # taken by an earlier run
        shop_order(3002, "2026-11-02T10:30:05"),
    ]

    output = sync(integration)

    assert output == "Verkkokauppa since 2026-11-02T09:00:00Z: 1 order pulled, 1 new delivery\n"
    assert [q["modified_after"] for q in fake_shop.queries] == ["2026-11-02T09:00:00"]
    integration.refresh_from_db()
    assert integration.sync_position == datetime.datetime(2026, 11, 2, 10, 29, 5, tzinfo=UTC)
    assert integration.sync_last_run_at is not None
    assert list(InboxDelivery.objects.values_list("delivery_key", flat=True)) == [
        "sync:3002:2026-11-02T10:30:05"
    ]


def test_the_first_run_asks_for_a_day_back_and_keeps_that_as_its_position(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    before = timezone.now()

    output = sync(integration)

    assert output.endswith(": 0 orders pulled, 0 new deliveries\n")
    asked = datetime.datetime.fromisoformat(fake_shop.queries[0]["modified_after"])
    day_back = before - datetime.timedelta(hours=FIRST_SYNC_HOURS)
    assert abs(asked.replace(tzinfo=UTC) - day_back) < datetime.timedelta(seconds=30)
    integration.refresh_from_db()
    assert abs(integration.sync_position - day_back) < datetime.timedelta(seconds=30)


def test_a_later_since_than_the_position_leaves_the_position(fake_shop):
    """The time between the position and --since was not asked for: the next run
    without --since still starts at the position."""
    integration, _secret = woocommerce_with_api(fake_shop)
    position = datetime.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    Integration.objects.filter(pk=integration.pk).update(sync_position=position)
    fake_shop.orders = [shop_order(3101, "2026-11-04T09:00:00")]

    sync(integration, "2026-11-03T00:00:00+00:00")

    integration.refresh_from_db()
    assert integration.sync_position == position
    assert integration.sync_last_failed is False


def test_a_second_run_stores_no_duplicate_deliveries(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    fake_shop.orders = [
        shop_order(3001, "2026-11-02T09:00:00"),
        shop_order(3002, "2026-11-02T09:30:00"),
    ]
    sync(integration, "2026-11-01")

    output = sync(integration, "2026-11-01")

    assert output.endswith(": 2 orders pulled, 0 new deliveries\n")
    assert InboxDelivery.objects.count() == 2
    assert inbox_drain() == {"created": 2}

    # A change in the shop is a new delivery, and updates the order.
    fake_shop.orders[0] = {
        **fake_shop.orders[0],
        "status": "completed",
        "date_modified_gmt": "2026-11-02T12:00:00",
    }
    assert sync(integration).endswith(": 2 orders pulled, 1 new delivery\n")
    assert inbox_drain() == {"updated": 1}
    assert Order.objects.get(external_id="3001").status == OrderStatus.COMPLETED
    assert stored_counts() == (2, 2)


def test_wrong_consumer_credentials_fail_the_run_keep_the_position_and_record_it(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop, secret="cs_wrong")
    position = datetime.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    Integration.objects.filter(pk=integration.pk).update(sync_position=position)
    fake_shop.orders = [shop_order(3001, "2026-11-02T09:00:00")]

    with pytest.raises(CommandError) as failed:
        sync(integration)

    failure = "The shop answered HTTP 401 to /wp-json/wc/v3/orders."
    assert str(failed.value) == f"Verkkokauppa since 2026-11-01T06:00:00Z: {failure}"
    integration.refresh_from_db()
    assert integration.sync_position == position
    assert (integration.sync_last_failed, integration.sync_last_outcome) == (True, failure)
    assert integration.sync_last_run_at is not None
    assert sync_events(integration) == [(Action.UPDATE, f"woocommerce sync: {failure}")]
    assert InboxDelivery.objects.count() == 0
    assert stored_counts() == (0, 0)


def test_a_run_that_fails_half_way_keeps_what_it_stored_but_not_a_new_position(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    fake_shop.orders = [shop_order(7000 + n, "2026-11-02T09:00:00") for n in range(150)]
    fake_shop.failing_pages = {2}

    with pytest.raises(CommandError, match="HTTP 500"):
        sync(integration, "2026-11-01")

    integration.refresh_from_db()
    assert integration.sync_position is None
    assert integration.sync_last_failed is True
    assert waiting() == 100

    # The next run repeats the pages: only the second page's orders are new.
    fake_shop.failing_pages = set()
    assert sync(integration, "2026-11-01").endswith(": 150 orders pulled, 50 new deliveries\n")
    integration.refresh_from_db()
    assert integration.sync_last_failed is False
    assert integration.sync_position == datetime.datetime(2026, 11, 2, 8, 59, tzinfo=UTC)


def test_an_invalid_order_waits_for_a_person_and_the_rest_are_taken(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    bad = shop_order(4001, "2026-11-02T09:00:00")
    bad["line_items"][0]["quantity"] = 1.5
    fake_shop.orders = [bad, shop_order(4002, "2026-11-02T09:00:00")]

    assert sync(integration, "2026-11-01").endswith(": 2 orders pulled, 2 new deliveries\n")
    assert inbox_drain() == {"created": 1, "attention": 1}

    assert list(Order.objects.values_list("external_id", flat=True)) == ["4002"]
    attention = InboxDelivery.objects.get(state=DeliveryState.ATTENTION)
    assert (attention.delivery_key, attention.reason) == (
        "sync:4001:2026-11-02T09:00:00",
        Reason.INVALID,
    )
    assert attention.detail.startswith("lines:")


def test_a_plain_http_shop_address_fails_the_run(fake_shop):
    integration, _secret = shop(
        "woocommerce", shop_url="http://kauppa.example.fi", consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match="https://"):
        sync(integration, "2026-11-01")

    assert fake_shop.queries == []
    integration.refresh_from_db()
    assert integration.sync_last_failed is True


def test_a_shop_on_this_machine_is_reached_by_http_only():
    """Loopback is let through for development shops, but not by any scheme: urllib
    would read a local file (file://) or speak FTP."""
    integration, _secret = shop(
        "woocommerce", shop_url="ftp://127.0.0.1/orders", consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match="https://"):
        sync(integration, "2026-11-01")

    assert InboxDelivery.objects.count() == 0


def test_since_without_an_offset_is_finnish_time():
    from rekisteri.intake.management.commands.intake import _since

    assert _since("2026-07-01T12:00:00") == datetime.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_an_order_whose_buyer_is_a_doubtful_match_waits_attached_to_no_one(fake_shop):
    """The buyer's email is a customer's of another name: attached to no one (finding
    5 of the security review); the delivery waits for a person, audited against that
    customer."""
    integration, _secret = woocommerce_with_api(fake_shop)
    victim = make_customer(surname="Virtanen", first_names="Aino", email="asiakas.5001@example.fi")
    doubtful = shop_order(5001, "2026-11-02T09:00:00")
    doubtful["billing"].update(first_name="Kalle", last_name="Korhonen")
    fake_shop.orders = [doubtful, shop_order(5002, "2026-11-02T09:00:00")]

    sync(integration, "2026-11-01")
    assert inbox_drain() == {"created": 1, "attention": 1}

    assert list(Order.objects.values_list("external_id", flat=True)) == ["5002"]
    assert not Order.objects.filter(customer=victim).exists()
    attention = InboxDelivery.objects.get(state=DeliveryState.ATTENTION)
    assert (attention.reason, attention.customer_id) == (Reason.BUYER_MISMATCH, victim.pk)


def test_without_integration_every_shop_with_a_rest_api_key_is_synced(fake_shop):
    first, _ = woocommerce_with_api(fake_shop, name="Kauppa A")
    second, _ = woocommerce_with_api(fake_shop, name="Kauppa B")
    shop("woocommerce", name="Ilman avainta", shop_url=fake_shop.url)
    revoked, _ = woocommerce_with_api(fake_shop, name="Suljettu")
    Integration.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    shop("shopify", name="Shopify")
    fake_shop.orders = [shop_order(8001, "2026-11-02T09:00:00")]

    output = sync(since="2026-11-01T00:00:00+00:00")

    assert output == (
        "Kauppa A since 2026-11-01T00:00:00Z: 1 order pulled, 1 new delivery\n"
        "Kauppa B since 2026-11-01T00:00:00Z: 1 order pulled, 1 new delivery\n"
    )
    assert len(fake_shop.queries) == 2
    assert set(InboxDelivery.objects.values_list("integration_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_without_integration_a_failed_shop_fails_the_command_after_the_others_ran(fake_shop):
    woocommerce_with_api(fake_shop, name="Kauppa A", secret="cs_wrong")
    good, _ = woocommerce_with_api(fake_shop, name="Kauppa B")
    fake_shop.orders = [shop_order(8001, "2026-11-02T09:00:00")]
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("intake", "woocommerce-sync", "--since", "2026-11-01", stdout=out)

    assert str(failed.value) == (
        "Kauppa A since 2026-10-31T22:00:00Z: The shop answered HTTP 401 to /wp-json/wc/v3/orders."
    )
    assert out.getvalue() == "Kauppa B since 2026-10-31T22:00:00Z: 1 order pulled, 1 new delivery\n"
    assert InboxDelivery.objects.get().integration_id == good.pk


def test_without_integration_and_no_shop_to_sync_nothing_runs():
    shop("woocommerce", name="Ilman avainta")

    assert sync() == "No active WooCommerce integration has the shop address and a REST API key.\n"


def test_the_workers_schedule_runs_only_the_integrations_that_are_due(fake_shop, caplog):
    now = timezone.now()
    never, _ = woocommerce_with_api(fake_shop, name="Ei ajettu")
    long_ago, _ = woocommerce_with_api(fake_shop, name="Kauan sitten")
    recently, _ = woocommerce_with_api(fake_shop, name="Äsken")
    failing, _ = woocommerce_with_api(fake_shop, name="Väärä avain", secret="cs_wrong")
    shop("woocommerce", name="Ilman avainta", shop_url=fake_shop.url)
    Integration.objects.filter(pk=long_ago.pk).update(
        sync_last_run_at=now - datetime.timedelta(minutes=16)
    )
    Integration.objects.filter(pk=recently.pk).update(
        sync_last_run_at=now - datetime.timedelta(minutes=5)
    )
    fake_shop.orders = [shop_order(9001, "2026-11-02T09:00:00")]

    with (
        override_settings(REKISTERI_WOOCOMMERCE_SYNC_MINUTES=15),
        caplog.at_level(logging.WARNING, logger="rekisteri.intake.woocommerce_sync"),
    ):
        runs = woocommerce_sync_due(now)

    assert [(run.integration.name, run.failed) for run in runs] == [
        ("Ei ajettu", False),
        ("Kauan sitten", False),
        ("Väärä avain", True),
    ]
    assert len(fake_shop.queries) == 3
    recently.refresh_from_db()
    assert recently.sync_last_run_at == now - datetime.timedelta(minutes=5)
    never.refresh_from_db()
    assert never.sync_last_run_at is not None
    assert never.sync_last_outcome.startswith("0 orders pulled")  # the order is older
    # The failure is logged by the shop's name and answer; nothing of an order.
    assert [
        record.getMessage()
        for record in caplog.records
        if record.name == "rekisteri.intake.woocommerce_sync"
    ] == [
        "the WooCommerce sync of 'Väärä avain' failed: "
        "The shop answered HTTP 401 to /wp-json/wc/v3/orders."
    ]

    # Run again at once: none is due.
    with override_settings(REKISTERI_WOOCOMMERCE_SYNC_MINUTES=15):
        assert woocommerce_sync_due(timezone.now()) == []
    assert len(fake_shop.queries) == 3
    failing.refresh_from_db()
    assert failing.sync_last_failed is True


def test_the_workers_schedule_is_off_at_zero(fake_shop):
    woocommerce_with_api(fake_shop)

    with override_settings(REKISTERI_WOOCOMMERCE_SYNC_MINUTES=0):
        assert woocommerce_sync_due() == []

    assert fake_shop.queries == []


def test_an_unexpected_error_fails_the_run_and_is_logged_by_its_kind_only(
    fake_shop, monkeypatch, caplog
):
    from rekisteri.intake import woocommerce_sync

    integration, _ = woocommerce_with_api(fake_shop)
    Integration.objects.filter(pk=integration.pk).update(
        sync_position=datetime.datetime(2026, 11, 1, tzinfo=UTC)
    )
    fake_shop.orders = [shop_order(9101, "2026-11-02T09:00:00")]

    def broken_store(**kwargs: Any) -> Any:
        raise RuntimeError("asiakas.9101@example.fi")

    monkeypatch.setattr(woocommerce_sync, "delivery_store", broken_store)

    with (
        override_settings(REKISTERI_WOOCOMMERCE_SYNC_MINUTES=15),
        caplog.at_level(logging.WARNING, logger="rekisteri.intake.woocommerce_sync"),
    ):
        assert woocommerce_sync_due() == []

    integration.refresh_from_db()
    assert integration.sync_last_failed is True
    assert integration.sync_last_outcome == "The sync failed (RuntimeError) after 0 orders."
    assert integration.sync_position == datetime.datetime(2026, 11, 1, tzinfo=UTC)
    assert "example.fi" not in caplog.text
    assert "the WooCommerce sync of 'Verkkokauppa' failed (RuntimeError)" in caplog.text


def test_the_workers_thread_logs_a_failed_round_by_its_kind_only(monkeypatch, caplog):
    from rekisteri.management.commands import worker

    stop = threading.Event()

    def failing_round() -> None:
        stop.set()
        raise ValueError("asiakas.1@example.fi")

    monkeypatch.setattr(worker, "woocommerce_sync_due", failing_round)

    with caplog.at_level(logging.ERROR, logger="rekisteri.management.commands.worker"):
        thread = threading.Thread(target=worker._woocommerce_sync, args=(stop,))
        thread.start()
        thread.join(10)

    assert not thread.is_alive()
    assert [
        record.getMessage()
        for record in caplog.records
        if record.name == "rekisteri.management.commands.worker"
    ] == ["the WooCommerce sync round failed (ValueError); trying again"]
