"""`rekisteri intake woocommerce-sync` against a local fake of WooCommerce's REST API:
it pages through the changed orders and converges to the state webhooks give."""

from __future__ import annotations

import base64
import datetime
import threading
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from faker import Faker

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import (
    KEY,
    SECRET,
    post_woocommerce,
    refusals,
    shop,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db
fake = Faker("fi_FI")


class FakeWooCommerce:
    """Serves GET /wp-json/wc/v3/orders as WooCommerce does: Basic auth with the
    consumer key and secret, modified_after in GMT, pages with X-WP-TotalPages."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.queries: list[dict[str, str]] = []
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


def sync(integration, since: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(
        "intake",
        "woocommerce-sync",
        "--integration",
        str(integration.public_id),
        "--since",
        since,
        stdout=out,
    )
    return out.getvalue()


def woocommerce_with_api(fake_shop, **credentials):
    return shop(
        "woocommerce",
        shop_url=fake_shop.url,
        consumer_key=credentials.get("key", KEY),
        consumer_secret=credentials.get("secret", SECRET),
    )


def test_sync_pages_through_changed_orders_and_converges_with_the_webhooks(client, fake_shop):
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

    output = sync(integration, "2026-11-01T10:00:00")

    assert output == (
        "Verkkokauppa since 2026-11-01T08:00:00Z: "
        "created 100, updated 1, unchanged 1, stale 1, refused 0\n"
    )
    assert [(q["page"], q["per_page"]) for q in fake_shop.queries] == [("1", "100"), ("2", "100")]
    assert {q["modified_after"] for q in fake_shop.queries} == {"2026-11-01T08:00:00"}
    assert {q["dates_are_gmt"] for q in fake_shop.queries} == {"true"}
    statuses = dict(Order.objects.values_list("external_id", "status"))
    assert (statuses["1001"], statuses["1002"], statuses["1003"]) == (
        OrderStatus.COMPLETED,
        OrderStatus.CONFIRMED,
        OrderStatus.CANCELLED,
    )
    assert "900" not in statuses
    assert stored_counts() == (103, 103)
    assert set(Order.objects.values_list("total_gross", flat=True)) == {Decimal("219.80")}


def test_a_second_sync_finds_everything_unchanged(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop)
    fake_shop.orders = [
        shop_order(3001, "2026-11-02T09:00:00"),
        shop_order(3002, "2026-11-02T09:30:00"),
    ]
    sync(integration, "2026-11-01")

    output = sync(integration, "2026-11-01")

    assert output.endswith("created 0, updated 0, unchanged 2, stale 0, refused 0\n")
    assert stored_counts() == (2, 2)


def test_wrong_consumer_credentials_stop_the_sync_and_store_nothing(fake_shop):
    integration, _secret = woocommerce_with_api(fake_shop, secret="cs_wrong")
    fake_shop.orders = [shop_order(3001, "2026-11-02T09:00:00")]

    with pytest.raises(CommandError, match="HTTP 401"):
        sync(integration, "2026-11-01")

    assert stored_counts() == (0, 0)


def test_an_invalid_order_is_refused_audited_and_the_rest_taken(fake_shop, capsys):
    integration, _secret = woocommerce_with_api(fake_shop)
    bad = shop_order(4001, "2026-11-02T09:00:00")
    bad["line_items"][0]["quantity"] = 0
    fake_shop.orders = [bad, shop_order(4002, "2026-11-02T09:00:00")]

    with pytest.raises(SystemExit) as exit_info:
        sync(integration, "2026-11-01")

    assert exit_info.value.code == 1
    assert list(Order.objects.values_list("external_id", flat=True)) == ["4002"]
    assert refusals() == [("integration:Verkkokauppa", "sync order 4001: invalid order: lines")]


def test_a_plain_http_shop_address_is_refused(fake_shop):
    integration, _secret = shop(
        "woocommerce", shop_url="http://kauppa.example.fi", consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match="https://"):
        sync(integration, "2026-11-01")

    assert fake_shop.queries == []


def test_a_shop_on_this_machine_is_reached_by_http_only():
    """Loopback is let through for development shops, but not by any scheme: urllib
    would read a local file (file://) or speak FTP."""
    integration, _secret = shop(
        "woocommerce", shop_url="ftp://127.0.0.1/orders", consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match="https://"):
        sync(integration, "2026-11-01")

    assert Order.objects.count() == 0


def test_since_without_an_offset_is_finnish_time():
    from rekisteri.intake.management.commands.intake import _since

    assert _since("2026-07-01T12:00:00") == datetime.datetime(2026, 7, 1, 9, 0, tzinfo=datetime.UTC)


def test_an_order_whose_buyer_is_a_doubtful_match_is_refused_and_the_rest_taken(fake_shop):
    """The buyer's email is a customer's of another name: attached to no one (finding
    5 of the security review), counted as refused and audited against that customer."""
    integration, _secret = woocommerce_with_api(fake_shop)
    victim = make_customer(surname="Virtanen", first_names="Aino", email="asiakas.5001@example.fi")
    doubtful = shop_order(5001, "2026-11-02T09:00:00")
    doubtful["billing"].update(first_name="Kalle", last_name="Korhonen")
    fake_shop.orders = [doubtful, shop_order(5002, "2026-11-02T09:00:00")]

    with pytest.raises(SystemExit) as exit_info:
        sync(integration, "2026-11-01")

    assert exit_info.value.code == 1
    assert list(Order.objects.values_list("external_id", flat=True)) == ["5002"]
    assert not Order.objects.filter(customer=victim).exists()
    assert refusals() == [
        ("integration:Verkkokauppa", "sync order 5001: doubtful customer match by email")
    ]
    assert AuditEvent.objects.get(action=Action.PERMISSION_DENIED).customer_id == victim.pk
