"""WooCommerce: its webhook signature and ping, and its order JSON mapped to a
ShopOrder. The pull of orders over its REST API is `woocommerce_sync.py`.

An order is mapped from the REST API's order object (wc/v3), which is also what the
`order.created` and `order.updated` webhooks deliver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.intake.services import (
    ShopCustomer,
    ShopOrder,
    shop_amount,
    shop_ip_address,
    shop_phone,
    shop_section,
    shop_text,
    shop_time,
)
from rekisteri.intake.vat import computed_vat_rate, shop_currency, stated_vat_rate
from rekisteri.orders.models import VAT_RATES, OrderStatus, PaymentMethod
from rekisteri.orders.services import AddressInput, LineInput

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
TOPICS = frozenset({"order.created", "order.updated"})
# The ping WooCommerce sends when a webhook is saved: a form body, no signature.
PING = re.compile(rb"\Awebhook_id=\d{1,20}\Z")

# Every status WooCommerce's REST API documents (wc/v3), with the block checkout's
# draft. Refunded and failed orders are cancelled while that is still allowed; once
# shipped, money back is a return, not a cancellation. An order moved to the trash
# was withdrawn by the shop: cancelled on the same terms. A checkout draft is a cart
# the buyer has not yet placed: received, so nothing is lost if it becomes an order
# and nothing moves if it does not. A status no one documents (a plugin's own, such
# as "shipped" or "delivered") is received too: the order is kept, its status is for
# a person to advance.
STATUSES: dict[str, str] = {
    "pending": OrderStatus.RECEIVED,
    "on-hold": OrderStatus.RECEIVED,
    "checkout-draft": OrderStatus.RECEIVED,
    "processing": OrderStatus.CONFIRMED,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
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


def _line_rate(
    item: Mapping[str, Any], rates: Mapping[Any, Any], *, taxed_order: bool, field: str
) -> Decimal:
    """The line's VAT rate as the shop charged it: the stated rate of the tax it
    carries, else its tax over its amount. A line without tax in an order that carries
    tax was charged none; a shop that keeps no taxes at all gets the general rate."""
    taxes = [tax for tax in item.get("taxes") or [] if isinstance(tax, Mapping)]
    for tax in taxes:
        rate = rates.get(tax.get("id"))
        if rate is not None and shop_amount(tax.get("total"), field=field) != 0:
            return stated_vat_rate(shop_amount(rate, field=field), field=field)
    net = shop_amount(item.get("total"), field=field)
    tax_total = shop_amount(item.get("total_tax"), field=field)
    if taxed_order and tax_total == 0:
        return Decimal("0.0")
    if not taxes or net == 0:
        return VAT_RATES[0]
    return computed_vat_rate(tax_total, net, field=field)


def _lines(data: Mapping[str, Any]) -> list[LineInput]:
    tax_lines = [tax for tax in data.get("tax_lines") or [] if isinstance(tax, Mapping)]
    rates = {
        tax.get("rate_id"): tax.get("rate_percent")
        for tax in tax_lines
        if tax.get("rate_percent") is not None
    }
    taxed_order = bool(tax_lines)
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
                vat_rate=_line_rate(item, rates, taxed_order=taxed_order, field="lines"),
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
                    vat_rate=_line_rate(item, rates, taxed_order=taxed_order, field=key),
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


def status(value: object) -> str:
    """The register's status for a WooCommerce status ("wc-" prefixed as in the
    database, or not, as the REST API sends it); any other is received."""
    name = value.strip().lower() if isinstance(value, str) else ""
    return STATUSES.get(name.removeprefix("wc-"), OrderStatus.RECEIVED)


def _stated_total(value: object) -> Decimal | None:
    return None if value is None else shop_amount(value, field="total")


def order_from_payload(data: Mapping[str, Any]) -> ShopOrder:
    """A WooCommerce order object as Rekisteri's ShopOrder, or a ValidationError."""
    order_id = data.get("id")
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
        raise ValidationError({"external_id": [_("The shop's order id is missing.")]})
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
        status=status(data.get("status")),
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
        currency=shop_currency(data.get("currency")),
        stated_total=_stated_total(data.get("total")),
        payment_gateway=shop_text(data, "payment_method"),
        # No paid_at: WooCommerce sets its date_paid when an order moves to processing,
        # which for an invoice order is before the buyer pays; staff mark it paid.
        is_test=False,
    )
