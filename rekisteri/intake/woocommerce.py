"""WooCommerce: its webhook signature and ping, its order JSON mapped to a ShopOrder,
and the pull of orders over its REST API that makes up for deliveries it never retries.

An order is mapped from the REST API's order object (wc/v3), which is also what the
`order.created` and `order.updated` webhooks deliver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.services import Actor
from rekisteri.intake.models import Integration
from rekisteri.intake.services import (
    BuyerMismatch,
    ShopCustomer,
    ShopOrder,
    integration_consumer_credentials,
    shop_amount,
    shop_delivery_receive,
    shop_delivery_refuse,
    shop_ip_address,
    shop_phone,
    shop_section,
    shop_text,
    shop_time,
    shop_vat_rate,
)
from rekisteri.orders.models import VAT_RATES, OrderStatus, PaymentMethod
from rekisteri.orders.services import AddressInput, LineInput

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
TOPICS = frozenset({"order.created", "order.updated"})
# The ping WooCommerce sends when a webhook is saved: a form body, no signature.
PING = re.compile(rb"\Awebhook_id=\d{1,20}\Z")

# WooCommerce's core statuses. Refunded and failed orders are cancelled while that is
# still allowed; once shipped, money back is a return, not a cancellation.
STATUSES: dict[str, str] = {
    "pending": OrderStatus.RECEIVED,
    "on-hold": OrderStatus.RECEIVED,
    "processing": OrderStatus.CONFIRMED,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,
}
# Order meta a checkout plugin (or a snippet) sets when the buyer ticks a marketing
# consent box: key -> channel. Documented in docs/consents.md.
CONSENT_META_KEYS: dict[str, str] = {
    "marketing_consent_email": "email",
    "_rekisteri_marketing_email": "email",
    "marketing_consent_sms": "sms",
    "_rekisteri_marketing_sms": "sms",
}
CONSENT_META_YES = frozenset({"yes", "1", "true", "on"})
PAGE_SIZE = 100
MAX_PAGE_BYTES = 32 * 1024 * 1024
TIMEOUT_SECONDS = 30


def signature(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(body, secret)), as WooCommerce computes it over the raw body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    return SIGNATURE_HEADER not in headers and PING.match(body) is not None


def payment_method(gateway: str) -> str:
    """Cash on delivery is `cod`; a gateway with "invoice" or "lasku" in its id bills
    the buyer later; every other gateway (bank transfer, card, online bank) is paid
    before the goods leave."""
    gateway = gateway.lower()
    if gateway == "cod":
        return PaymentMethod.CASH_ON_DELIVERY
    if "invoice" in gateway or "lasku" in gateway:
        return PaymentMethod.INVOICE
    return PaymentMethod.PREPAID


def _street(address: Mapping[str, Any]) -> str:
    return " ".join(
        filter(None, [shop_text(address, "address_1"), shop_text(address, "address_2")])
    )


def _line_rate(item: Mapping[str, Any], rates: Mapping[Any, Any], *, field: str) -> Decimal:
    """The line's VAT rate: the rate of the tax it carries, else its tax over its
    amount; a shop that keeps no taxes gets the general rate."""
    taxes = [tax for tax in item.get("taxes") or [] if isinstance(tax, Mapping)]
    for tax in taxes:
        rate = rates.get(tax.get("id"))
        if rate is not None and shop_amount(tax.get("total"), field=field) != 0:
            return shop_vat_rate(shop_amount(rate, field=field), field=field)
    net = shop_amount(item.get("total"), field=field)
    if not taxes or net == 0:
        return VAT_RATES[0]
    tax_total = shop_amount(item.get("total_tax"), field=field)
    return shop_vat_rate(tax_total * 100 / net, field=field)


def _lines(data: Mapping[str, Any]) -> list[LineInput]:
    rates = {
        tax.get("rate_id"): tax.get("rate_percent")
        for tax in data.get("tax_lines") or []
        if isinstance(tax, Mapping) and tax.get("rate_percent") is not None
    }
    lines = []
    for item in data.get("line_items") or []:
        if not isinstance(item, Mapping):
            raise ValidationError({"line_items": [_("Each line must be an object.")]})
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError({"lines": [_("A quantity must be a whole number.")]})
        gross = shop_amount(item.get("total"), field="lines") + shop_amount(
            item.get("total_tax"), field="lines"
        )
        product_id = item.get("product_id")
        lines.append(
            LineInput(
                sku=shop_text(item, "sku") or (str(product_id) if product_id else ""),
                quantity=quantity,
                name=shop_text(item, "name"),
                unit_price=gross / quantity if quantity > 0 else gross,
                vat_rate=_line_rate(item, rates, field="lines"),
            )
        )
    # Shipping and fees are lines of their own, so the totals match the shop's.
    for key, default_sku in (("shipping_lines", "shipping"), ("fee_lines", "fee")):
        for item in data.get(key) or []:
            if not isinstance(item, Mapping):
                continue
            gross = shop_amount(item.get("total"), field=key) + shop_amount(
                item.get("total_tax"), field=key
            )
            if gross <= 0:
                continue
            lines.append(
                LineInput(
                    sku=shop_text(item, "method_id") or default_sku,
                    quantity=1,
                    name=shop_text(item, "method_title") or shop_text(item, "name") or default_sku,
                    unit_price=gross,
                    vat_rate=_line_rate(item, rates, field=key),
                )
            )
    return lines


def marketing_consents(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The channels whose consent meta says yes ("yes", "1", "true", "on" or true)."""
    channels = []
    for meta in data.get("meta_data") or []:
        if not isinstance(meta, Mapping):
            continue
        channel = CONSENT_META_KEYS.get(str(meta.get("key")))
        value = meta.get("value")
        said_yes = (
            value is True
            or value == 1
            or (isinstance(value, str) and value.strip().lower() in CONSENT_META_YES)
        )
        if channel is not None and said_yes and channel not in channels:
            channels.append(channel)
    return tuple(channels)


def order_from_payload(data: Mapping[str, Any]) -> ShopOrder:
    """A WooCommerce order object as Rekisteri's ShopOrder, or a ValidationError."""
    order_id = data.get("id")
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
        raise ValidationError({"external_id": [_("The shop's order id is missing.")]})
    status = data.get("status")
    if status not in STATUSES:
        raise ValidationError({"status": [_("Unknown order status.")]})
    if (shop_text(data, "currency") or "EUR").upper() != "EUR":
        raise ValidationError({"currency": [_("Only orders in euros are taken.")]})
    billing, shipping = shop_section(data, "billing"), shop_section(data, "shipping")
    country = shop_text(billing, "country").upper() or "FI"
    buyer = ShopCustomer(
        surname=shop_text(billing, "last_name"),
        first_names=shop_text(billing, "first_name"),
        email=shop_text(billing, "email"),
        phone=shop_phone(billing.get("phone"), country=country),
        street_address=_street(billing),
        postal_code=shop_text(billing, "postcode"),
        post_office=shop_text(billing, "city"),
        country=country,
    )
    recipient = shipping if _street(shipping) else billing
    name = " ".join(
        filter(None, [shop_text(recipient, "first_name"), shop_text(recipient, "last_name")])
    )
    return ShopOrder(
        external_id=str(order_id),
        customer=buyer,
        lines=_lines(data),
        payment_method=payment_method(shop_text(data, "payment_method")),
        status=STATUSES[status],
        delivery_address=AddressInput(
            name=name or shop_text(recipient, "company"),
            street_address=_street(recipient),
            postal_code=shop_text(recipient, "postcode"),
            post_office=shop_text(recipient, "city"),
            country=shop_text(recipient, "country").upper() or country,
        ),
        placed_at=shop_time(data.get("date_created_gmt"), field="date_created_gmt"),
        modified_at=shop_time(data.get("date_modified_gmt"), field="date_modified_gmt"),
        notes=shop_text(data, "customer_note"),
        marketing_consents=marketing_consents(data),
        buyer_ip_address=shop_ip_address(data.get("customer_ip_address")),
        buyer_user_agent=shop_text(data, "customer_user_agent"),
    )


class SyncError(Exception):
    """The shop could not be asked for its orders."""


@dataclass(frozen=True)
class Shop:
    """Where and how to reach a WooCommerce store's REST API."""

    url: str
    consumer_key: str
    consumer_secret: str

    @classmethod
    def of(cls, integration: Integration) -> Shop:
        key, secret = integration_consumer_credentials(integration)
        if not integration.shop_url or not key or not secret:
            raise SyncError(
                "The integration needs the shop address and the REST API consumer key and secret."
            )
        parts = urllib.parse.urlsplit(integration.shop_url)
        # Plain http only to a shop on this machine (a development shop or a test's fake).
        is_local_http = parts.scheme == "http" and _is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not is_local_http:
            raise SyncError("The shop address must start with https://.")
        return cls(integration.shop_url.rstrip("/"), key, secret)

    def get(self, path: str, query: Mapping[str, str | int]) -> tuple[bytes, Mapping[str, str]]:
        request = urllib.request.Request(  # noqa: S310  # https (or loopback) checked in of()
            f"{self.url}{path}?{urllib.parse.urlencode(query)}",
            headers={"Authorization": self._authorization(), "Accept": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                body = response.read(MAX_PAGE_BYTES + 1)
                headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            raise SyncError(f"The shop answered HTTP {error.code} to {path}.") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise SyncError(f"The shop could not be reached: {error}.") from None
        if len(body) > MAX_PAGE_BYTES:
            raise SyncError("The shop's answer is too large.")
        return body, headers

    def _authorization(self) -> str:
        pair = f"{self.consumer_key}:{self.consumer_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def _origin(url: str) -> str:
    """scheme://host:port, with the scheme's default port filled in."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def _shown_origin(url: str) -> str:
    """The origin as a person would write it (no default port, nothing after it)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the shop's origin (scheme, host and port).
    urllib would otherwise send the Authorization header, with the consumer key and
    secret, on to any host a redirect names, and over plain http."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise SyncError(
                f"The shop redirected the request to {_shown_origin(newurl)}, another "
                "address than the shop's: the consumer key is sent to the shop's own "
                "address only. Set the shop address to the one the shop answers at."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Only http(s) and our redirect rule: no file://, ftp:// or data: handlers either. The
# environment's proxy settings still apply, as they did to urlopen.
_OPENER = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.UnknownHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
    _SameOriginRedirects(),
):
    _OPENER.add_handler(_handler)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def orders_modified_since(shop: Shop, since: str) -> Iterator[Mapping[str, Any]]:
    """Every order changed at or after `since` (UTC, ISO 8601), page by page in order
    of id, which later changes do not reorder."""
    page, total_pages = 1, 1
    while page <= total_pages:
        body, headers = shop.get(
            "/wp-json/wc/v3/orders",
            {
                "modified_after": since,
                "dates_are_gmt": "true",
                "orderby": "id",
                "order": "asc",
                "per_page": PAGE_SIZE,
                "page": page,
            },
        )
        try:
            orders = json.loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise SyncError(f"Page {page} of the shop's orders is not JSON.") from None
        if not isinstance(orders, list):
            raise SyncError(f"Page {page} of the shop's orders is not a list.")
        yield from (order for order in orders if isinstance(order, dict))
        pages = {key.lower(): value for key, value in headers.items()}.get("x-wp-totalpages")
        if pages is not None and pages.isdigit():
            total_pages = int(pages)
        elif len(orders) == PAGE_SIZE:
            total_pages = page + 1
        page += 1


def woocommerce_sync(*, actor: Actor, integration: Integration, since: str) -> Counter[str]:
    """Pulls the orders changed since `since` and takes each as a webhook delivery
    would, so the register converges to the shop's state. Returns the count of each
    outcome, "refused" for orders that fail validation or whose buyer is a doubtful
    match (each audited)."""
    outcomes: Counter[str] = Counter()
    for data in orders_modified_since(Shop.of(integration), since):
        try:
            _order, outcome = shop_delivery_receive(
                actor=actor,
                integration=integration,
                order=order_from_payload(data),
                source="woocommerce sync",
            )
        except ValidationError as error:
            shop_delivery_refuse(
                actor=actor,
                integration=integration,
                reason=f"sync order {str(data.get('id'))[:20]}: invalid order: "
                + ", ".join(sorted(error.message_dict)),
            )
            outcome = "refused"
        except BuyerMismatch as mismatch:
            shop_delivery_refuse(
                actor=actor,
                integration=integration,
                reason=f"sync order {str(data.get('id'))[:20]}: {mismatch}",
                customer=mismatch.customer,
            )
            outcome = "refused"
        outcomes[outcome] += 1
    return outcomes
