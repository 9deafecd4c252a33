"""Shopify: its webhook signature and its order JSON (REST Admin API shape, as the
`orders/create` and `orders/updated` webhooks deliver it) mapped to a ShopOrder."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    shop_vat_rate,
)
from rekisteri.orders.models import VAT_RATES, OrderStatus, PaymentMethod
from rekisteri.orders.services import AddressInput, LineInput

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
DELIVERY_ID_HEADER = "X-Shopify-Webhook-Id"
TOPICS = frozenset({"orders/create", "orders/updated"})

# Shopify keeps payment and fulfilment apart; an order is cancelled when Shopify
# cancelled it or the money went back (voided, refunded) while that is still allowed,
# shipped when fulfilled, confirmed when paid, and received before that.
CANCELLING_FINANCIAL_STATUSES = frozenset({"refunded", "voided"})
PAID_FINANCIAL_STATUSES = frozenset({"paid", "partially_refunded"})
OPEN_FINANCIAL_STATUSES = frozenset({"pending", "authorized", "partially_paid", "expired"})
FULFILLMENT_STATUSES = frozenset({"fulfilled", "partial", "restocked", "unfulfilled"})


def signature(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(body, secret)), as Shopify computes it over the raw body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def payment_method(gateways: object) -> str:
    """Shopify's manual "Cash on Delivery (COD)" is cash on delivery; a gateway named
    for an invoice ("invoice", "lasku") bills later; the rest are paid up front."""
    names = (
        [name.lower() for name in gateways if isinstance(name, str)]
        if isinstance(gateways, list)
        else []
    )
    if any("cash on delivery" in name or name == "cod" for name in names):
        return PaymentMethod.CASH_ON_DELIVERY
    if any("invoice" in name or "lasku" in name for name in names):
        return PaymentMethod.INVOICE
    return PaymentMethod.PREPAID


def status(data: Mapping[str, Any]) -> str:
    financial = data.get("financial_status") or "pending"
    fulfillment = data.get("fulfillment_status")
    if financial not in (
        CANCELLING_FINANCIAL_STATUSES | PAID_FINANCIAL_STATUSES | OPEN_FINANCIAL_STATUSES
    ) or (fulfillment is not None and fulfillment not in FULFILLMENT_STATUSES):
        raise ValidationError({"status": [_("Unknown order status.")]})
    if data.get("cancelled_at") or financial in CANCELLING_FINANCIAL_STATUSES:
        return OrderStatus.CANCELLED
    if fulfillment == "fulfilled":
        return OrderStatus.SHIPPED
    if financial in PAID_FINANCIAL_STATUSES:
        return OrderStatus.CONFIRMED
    return OrderStatus.RECEIVED


def _street(address: Mapping[str, Any]) -> str:
    return " ".join(filter(None, [shop_text(address, "address1"), shop_text(address, "address2")]))


def _external_id(value: object) -> str:
    """Shopify ids exceed 2^53: the exact integer, never a float's approximation."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return str(int(value))
    raise ValidationError({"external_id": [_("The shop's order id is missing.")]})


def _gross(
    item: Mapping[str, Any], *, taxes_included: bool, field: str, quantity: int = 1
) -> tuple[Decimal, Decimal]:
    """The item's amount with VAT after discounts, and its VAT rate."""
    price = shop_amount(item.get("discounted_price", item.get("price")), field=field)
    discounts = item.get("discount_allocations")
    if "discounted_price" in item:
        discount = Decimal(0)
    elif isinstance(discounts, list):
        discount = sum(
            (
                shop_amount(d.get("amount"), field=field)
                for d in discounts
                if isinstance(d, Mapping)
            ),
            Decimal(0),
        )
    else:
        discount = shop_amount(item.get("total_discount"), field=field)
    tax_lines = [tax for tax in item.get("tax_lines") or [] if isinstance(tax, Mapping)]
    tax = sum((shop_amount(t.get("price"), field=field) for t in tax_lines), Decimal(0))
    gross = price * quantity - discount + (0 if taxes_included else tax)
    if tax_lines and tax_lines[0].get("rate") is not None:
        rate = shop_vat_rate(shop_amount(tax_lines[0]["rate"], field=field) * 100, field=field)
    elif item.get("taxable") is False:
        rate = Decimal("0.0")
    else:
        rate = VAT_RATES[0]
    return gross, rate


def _lines(data: Mapping[str, Any]) -> list[LineInput]:
    taxes_included = data.get("taxes_included") is True
    lines = []
    for item in data.get("line_items") or []:
        if not isinstance(item, Mapping):
            raise ValidationError({"line_items": [_("Each line must be an object.")]})
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError({"lines": [_("A quantity must be a whole number.")]})
        gross, rate = _gross(item, taxes_included=taxes_included, field="lines", quantity=quantity)
        fallback_sku = item.get("variant_id") or item.get("product_id")
        lines.append(
            LineInput(
                sku=shop_text(item, "sku") or (str(fallback_sku) if fallback_sku else ""),
                quantity=quantity,
                name=shop_text(item, "name") or shop_text(item, "title"),
                unit_price=gross / quantity if quantity > 0 else gross,
                vat_rate=rate,
            )
        )
    for item in data.get("shipping_lines") or []:
        if not isinstance(item, Mapping):
            continue
        gross, rate = _gross(item, taxes_included=taxes_included, field="shipping_lines")
        if gross > 0:
            lines.append(
                LineInput(
                    sku=(shop_text(item, "code") or "shipping")[:64],
                    quantity=1,
                    name=shop_text(item, "title") or "shipping",
                    unit_price=gross,
                    vat_rate=rate,
                )
            )
    return lines


def _subscribed(customer: Mapping[str, Any], key: str) -> bool | None:
    """Whether the customer's `key` consent object says subscribed; None without one."""
    consent = shop_section(customer, key)
    if not consent:
        return None
    return shop_text(consent, "state") == "subscribed"


def marketing_consents(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Email when the customer's `email_marketing_consent.state` is "subscribed" (or,
    from shops and API versions without it, `buyer_accepts_marketing` or the customer's
    `accepts_marketing` is true); SMS when `sms_marketing_consent.state` is."""
    customer = shop_section(data, "customer")
    email = _subscribed(customer, "email_marketing_consent")
    if email is None:
        email = (
            data.get("buyer_accepts_marketing") is True or customer.get("accepts_marketing") is True
        )
    channels = ["email"] if email else []
    if _subscribed(customer, "sms_marketing_consent"):
        channels.append("sms")
    return tuple(channels)


def order_from_payload(data: Mapping[str, Any]) -> ShopOrder:
    """A Shopify order object as Rekisteri's ShopOrder, or a ValidationError."""
    external_id = _external_id(data.get("id"))
    if (shop_text(data, "currency") or "EUR").upper() != "EUR":
        raise ValidationError({"currency": [_("Only orders in euros are taken.")]})
    customer = shop_section(data, "customer")
    billing = shop_section(data, "billing_address")
    shipping = shop_section(data, "shipping_address")
    named = billing or shipping or shop_section(customer, "default_address")
    country = shop_text(named, "country_code").upper() or "FI"
    buyer = ShopCustomer(
        surname=shop_text(named, "last_name") or shop_text(customer, "last_name"),
        first_names=shop_text(named, "first_name") or shop_text(customer, "first_name"),
        email=shop_text(data, "email")
        or shop_text(data, "contact_email")
        or shop_text(customer, "email"),
        phone=shop_phone(
            shop_text(named, "phone") or shop_text(data, "phone") or shop_text(customer, "phone"),
            country=country,
        ),
        street_address=_street(named),
        postal_code=shop_text(named, "zip"),
        post_office=shop_text(named, "city"),
        country=country,
    )
    recipient = shipping or named
    name = shop_text(recipient, "name") or " ".join(
        filter(None, [shop_text(recipient, "first_name"), shop_text(recipient, "last_name")])
    )
    return ShopOrder(
        external_id=external_id,
        customer=buyer,
        lines=_lines(data),
        payment_method=payment_method(data.get("payment_gateway_names")),
        status=status(data),
        delivery_address=AddressInput(
            name=name or shop_text(recipient, "company"),
            street_address=_street(recipient),
            postal_code=shop_text(recipient, "zip"),
            post_office=shop_text(recipient, "city"),
            country=shop_text(recipient, "country_code").upper() or country,
        ),
        placed_at=shop_time(data.get("created_at"), field="created_at"),
        modified_at=shop_time(data.get("updated_at"), field="updated_at"),
        notes=shop_text(data, "note"),
        marketing_consents=marketing_consents(data),
        buyer_ip_address=shop_ip_address(data.get("browser_ip")),
        buyer_user_agent=shop_text(shop_section(data, "client_details"), "user_agent"),
    )
