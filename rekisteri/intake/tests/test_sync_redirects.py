"""The WooCommerce sync sends the shop's consumer key and secret to the shop address's
own origin only (security review finding 8): a redirect to another host, port or scheme is
refused before anything is sent there; one within the origin is followed."""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from rekisteri.intake.models import InboxDelivery
from rekisteri.testing.shops import KEY, SECRET, shop, stored_counts

pytestmark = pytest.mark.django_db
ORDERS_PATH = "/wp-json/wc/v3/orders"


class Recorder:
    """A local HTTP server that keeps every request it gets (path and headers) and
    answers each path as told: a redirect, or an empty page of orders."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.redirects: dict[str, str] = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                recorder.requests.append((self.path, dict(self.headers.items())))
                if path in recorder.redirects:
                    self.send_response(302)
                    self.send_header("Location", recorder.redirects[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-WP-TotalPages", "1")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def credentials_seen(self) -> list[str]:
        """Every request that carried the consumer key or secret, anywhere in it."""
        return [
            path
            for path, headers in self.requests
            if "Authorization" in headers
            or KEY in path
            or SECRET in path
            or any(KEY in value or SECRET in value for value in headers.values())
        ]


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    """The shop, and another server on another port that a redirect may point to."""
    pair = (Recorder(), Recorder())
    threads = [threading.Thread(target=r.server.serve_forever, daemon=True) for r in pair]
    for thread in threads:
        thread.start()
    yield pair
    for recorder in pair:
        recorder.server.shutdown()
        recorder.server.server_close()


def sync(integration: Any) -> str:
    out = StringIO()
    call_command(
        "intake",
        "woocommerce-sync",
        "--integration",
        str(integration.public_id),
        "--since",
        "2026-11-01",
        stdout=out,
    )
    return out.getvalue()


def test_a_redirect_to_another_port_gets_no_credentials(servers):
    the_shop, elsewhere = servers
    the_shop.redirects[ORDERS_PATH] = f"{elsewhere.url}{ORDERS_PATH}?page=1"
    integration, _secret = shop(
        "woocommerce", shop_url=the_shop.url, consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError) as refused:
        sync(integration)

    assert str(refused.value) == (
        "Verkkokauppa since 2026-10-31T22:00:00Z: "
        f"The shop redirected the request to {elsewhere.url}, another address than the "
        "shop's: the consumer key is sent to the shop's own address only. Set the shop "
        "address to the one the shop answers at."
    )
    assert elsewhere.requests == []
    assert elsewhere.credentials_seen() == []
    assert len(the_shop.requests) == 1
    assert stored_counts() == (0, 0)
    assert InboxDelivery.objects.count() == 0
    integration.refresh_from_db()
    assert (integration.sync_last_failed, integration.sync_position) == (True, None)


def test_a_redirect_to_another_host_name_of_the_same_server_gets_no_credentials(servers):
    """localhost is 127.0.0.1 here, but another origin: the redirect is not followed."""
    the_shop, _elsewhere = servers
    the_shop.redirects[ORDERS_PATH] = f"http://localhost:{the_shop.port}/moved{ORDERS_PATH}"
    integration, _secret = shop(
        "woocommerce", shop_url=the_shop.url, consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match="redirected the request to http://localhost:"):
        sync(integration)

    assert [path for path, _headers in the_shop.requests if path.startswith("/moved")] == []


def test_a_redirect_to_https_elsewhere_or_down_to_http_is_refused(servers):
    the_shop, _elsewhere = servers
    the_shop.redirects[ORDERS_PATH] = "https://kauppa.example.fi/wp-json/wc/v3/orders"
    integration, _secret = shop(
        "woocommerce", shop_url=the_shop.url, consumer_key=KEY, consumer_secret=SECRET
    )

    with pytest.raises(CommandError, match=re.escape("request to https://kauppa.example.fi,")):
        sync(integration)


def test_a_redirect_within_the_shops_origin_is_followed(servers):
    the_shop, elsewhere = servers
    the_shop.redirects[ORDERS_PATH] = f"/index.php{ORDERS_PATH}?page=1&per_page=100"
    integration, _secret = shop(
        "woocommerce", shop_url=the_shop.url, consumer_key=KEY, consumer_secret=SECRET
    )

    output = sync(integration)

    assert output.endswith(": 0 orders pulled, 0 new deliveries\n")
    assert [urllib.parse.urlsplit(path).path for path, _ in the_shop.requests] == [
        ORDERS_PATH,
        f"/index.php{ORDERS_PATH}",
    ]
    assert elsewhere.requests == []
