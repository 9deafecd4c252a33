"""Shopify: its webhook signature and its order JSON (REST Admin API shape, as the
`orders/create` and `orders/updated` webhooks deliver it) mapped to a ShopOrder."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
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
from rekisteri.intake.vat import shop_currency, stated_vat_rate
from rekisteri.orders.models import VAT_RATES, OrderStatus, PaymentMethod
from rekisteri.orders.services import AddressInput, LineInput

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
DELIVERY_ID_HEADER = "X-Shopify-Webhook-Id"
TOPICS = frozenset({"orders/create", "orders/updated"})

# Shopify keeps payment and fulfilment apart; an order is cancelled when Shopify
# cancelled it or the money went back (voided, refunded) while that is still allowed,
# shipped when fulfilled, confirmed when paid, and received before that. The values
# are those of Shopify's REST Admin API; "shipped" is the older name for fulfilled.
# A value Shopify does not document (its test notification's fulfillment "pending",
# the old filters "unshipped" and "any", whatever comes next) says nothing: the order
# is taken on what the other values say, received if nothing.
CANCELLING_FINANCIAL_STATUSES = frozenset({"refunded", "voided"})
PAID_FINANCIAL_STATUSES = frozenset({"paid", "partially_refunded"})
# Still open, or the payment never came (expired): received, for a person to follow.
OPEN_FINANCIAL_STATUSES = frozenset({"pending", "authorized", "partially_paid", "expired"})
SHIPPED_FULFILLMENT_STATUSES = frozenset({"fulfilled", "shipped"})
# Part sent, goods back in stock, or nothing sent yet: no step of their own.
OPEN_FULFILLMENT_STATUSES = frozenset({"partial", "restocked", "unfulfilled", "unshipped"})


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


def gateway(data: Mapping[str, Any]) -> str:
    """The shop's own name for the payment gateway: `gateway` (deprecated, but still
    sent), else the first of `payment_gateway_names`."""
    named = shop_text(data, "gateway")
    if named:
        return named
    names = data.get("payment_gateway_names")
    if isinstance(names, list):
        return next((name.strip() for name in names if isinstance(name, str) and name.strip()), "")
    return ""


def status(data: Mapping[str, Any]) -> str:
    """The register's status for the order's financial and fulfillment statuses;
    never refuses (see SHIPPED_FULFILLMENT_STATUSES and the sets above it)."""
    financial = shop_text(data, "financial_status")
    fulfillment = shop_text(data, "fulfillment_status")
    if data.get("cancelled_at") or financial in CANCELLING_FINANCIAL_STATUSES:
        return OrderStatus.CANCELLED
    if fulfillment in SHIPPED_FULFILLMENT_STATUSES:
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
    item: Mapping[str, Any],
    *,
    taxes_included: bool,
    taxed_order: bool,
    field: str,
    quantity: int = 1,
) -> tuple[Decimal, Decimal]:
    """The item's amount with VAT after discounts, and its VAT rate as charged: the
    rate of its tax line (the first that charged tax), 0 for an untaxed item or one
    that carries no tax in a `taxed_order`; the general rate when the shop may keep
    no taxes at all."""
    discounts = item.get("discount_allocations")
    # The price less its discount allocations; `discounted_price` only without them
    # (the documentation's own sample has a shipping line whose discounted_price is
    # 0.00 with no discount, while its total counts the full price).
    if "discounted_price" in item and not isinstance(discounts, list):
        price = shop_amount(item.get("discounted_price"), field=field)
        discount = Decimal(0)
    elif isinstance(discounts, list):
        price = shop_amount(item.get("price"), field=field)
        discount = sum(
            (
                shop_amount(d.get("amount"), field=field)
                for d in discounts
                if isinstance(d, Mapping)
            ),
            Decimal(0),
        )
    else:
        price = shop_amount(item.get("price"), field=field)
        discount = shop_amount(item.get("total_discount"), field=field)
    tax_lines = [tax for tax in item.get("tax_lines") or [] if isinstance(tax, Mapping)]
    tax = sum((shop_amount(t.get("price"), field=field) for t in tax_lines), Decimal(0))
    gross = price * quantity - discount + (0 if taxes_included else tax)
    charged = [t for t in tax_lines if shop_amount(t.get("price"), field=field) != 0]
    stated = (charged or tax_lines)[:1]
    if stated and stated[0].get("rate") is not None:
        rate = stated_vat_rate(shop_amount(stated[0]["rate"], field=field) * 100, field=field)
    elif item.get("taxable") is False or (taxed_order and tax == 0):
        rate = Decimal("0.0")
    else:
        rate = VAT_RATES[0]
    return gross, rate


def _taxed_order(data: Mapping[str, Any]) -> bool:
    """Whether an item without tax was charged none: the order carries tax elsewhere
    (an order-level tax line), or its prices are explicitly without tax (so nothing
    was added to them). Otherwise the shop may keep no taxes and price with VAT."""
    return data.get("taxes_included") is False or any(
        isinstance(tax, Mapping) for tax in data.get("tax_lines") or []
    )


def _discounted(item: Mapping[str, Any]) -> bool:
    """Whether the item carries a discount of its own (allocated or in total)."""
    allocations = item.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        return True
    total = item.get("total_discount")
    return isinstance(total, str | int | Decimal) and str(total).strip() not in ("", "0", "0.00")


def _order_discount_spread(lines: list[LineInput], discount: Decimal) -> list[LineInput]:
    """An order's discount that no item carries (an older API version's, or the
    documentation's sample) spread over the items by their amounts, so that the lines
    add up to the order's total."""
    total = sum(((line.unit_price or Decimal(0)) * line.quantity for line in lines), Decimal(0))
    if discount <= 0 or total <= 0 or discount > total:
        return lines
    share = (total - discount) / total
    return [replace(line, unit_price=(line.unit_price or Decimal(0)) * share) for line in lines]


def _lines(data: Mapping[str, Any]) -> list[LineInput]:
    taxes_included = data.get("taxes_included") is True
    taxed_order = _taxed_order(data)
    lines: list[LineInput] = []
    discounted = False
    for item in data.get("line_items") or []:
        if not isinstance(item, Mapping):
            raise ValidationError({"line_items": [_("Each line must be an object.")]})
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError({"lines": [_("A quantity must be a whole number.")]})
        gross, rate = _gross(
            item,
            taxes_included=taxes_included,
            taxed_order=taxed_order,
            field="lines",
            quantity=quantity,
        )
        fallback_sku = item.get("variant_id") or item.get("product_id")
        if _discounted(item):
            discounted = True
        lines.append(
            LineInput(
                sku=shop_text(item, "sku") or (str(fallback_sku) if fallback_sku else ""),
                quantity=quantity,
                name=shop_text(item, "name") or shop_text(item, "title"),
                unit_price=gross / quantity if quantity > 0 else gross,
                vat_rate=rate,
            )
        )
    if not discounted:
        lines = _order_discount_spread(
            lines, shop_amount(data.get("total_discounts"), field="lines")
        )
    for item in data.get("shipping_lines") or []:
        if not isinstance(item, Mapping):
            continue
        gross, rate = _gross(
            item, taxes_included=taxes_included, taxed_order=taxed_order, field="shipping_lines"
        )
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
        currency=shop_currency(data.get("currency")),
        stated_total=None
        if data.get("total_price") is None
        else shop_amount(data.get("total_price"), field="total_price"),
        payment_gateway=gateway(data),
        is_test=data.get("test") is True,
        # An invoice order's payment: Shopify tells no time of it, so the update's.
        paid_at=shop_time(data.get("updated_at"), field="updated_at")
        if shop_text(data, "financial_status") in PAID_FINANCIAL_STATUSES
        else None,
    )
