"""What an API client sends to `POST /api/v1/orders`: the order's schema, and its
mapping to a ShopOrder (the inbox's reading of an API delivery, as `woocommerce.py` and
`shopify.py` are of the shops'). The API module documents the schema as its body."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from ninja import Field, Schema

from rekisteri.intake.services import ShopCustomer, ShopOrder
from rekisteri.orders.models import OrderStatus, PaymentMethod
from rekisteri.orders.services import MAX_QUANTITY, AddressInput, LineInput


class CustomerIn(Schema):
    """The buyer. An email address or an identity code (or both) is needed; the
    customer is found by identity code, then by email, or created. A customer found
    whose name differs (or whose identity code is another) is not taken: the order
    waits for a person to handle it. Only an integration that sells on invoice may send
    identity codes."""

    surname: str = Field(max_length=100)
    first_names: str = Field(max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    identity_code: str = Field("", max_length=20)
    street_address: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=12)
    post_office: str = Field("", max_length=100)
    country: str = Field("FI", max_length=2)
    preferred_language: str = Field("fi", max_length=2)


class LineIn(Schema):
    sku: str = Field(max_length=64)
    name: str = Field("", max_length=200)
    unit_price: Decimal = Field(
        description='VAT included, in euros: a string such as "89.90" or a number'
    )
    vat_rate: Decimal | None = Field(
        None,
        description="The rate charged, such as 25.5, 14, 10, 0 or another EU "
        "country's rate (One Stop Shop); 25.5 if left out",
    )
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class AddressIn(Schema):
    name: str = Field(max_length=260)
    street_address: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=12)
    post_office: str = Field("", max_length=100)
    country: str = Field("FI", max_length=2)


class OrderIn(Schema):
    external_id: str = Field(min_length=1, max_length=64, description="The shop's order id")
    customer: CustomerIn
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    payment_method: PaymentMethod
    status: OrderStatus = OrderStatus.RECEIVED
    delivery_address: AddressIn | None = None
    placed_at: pydantic.AwareDatetime | None = None
    modified_at: pydantic.AwareDatetime | None = Field(
        None, description="When the shop last changed the order; older updates are ignored"
    )
    notes: str = Field("", max_length=2000)
    paid_at: pydantic.AwareDatetime | None = Field(
        None,
        description="When the invoice of an invoice order was paid (sent with an update, "
        "once it is); ignored for other payment methods",
    )
    currency: str = Field(
        "EUR",
        pattern=r"^[A-Za-z]{3}$",
        description="The order's currency; one not in euros waits for a person to give "
        "its amount in euros",
    )


def _schema_errors(error: pydantic.ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors by field path, without the values that were sent."""
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(field, []).append(item["msg"])
    return errors


def shop_order(payload: OrderIn) -> ShopOrder:
    address = payload.delivery_address
    return ShopOrder(
        external_id=payload.external_id,
        customer=ShopCustomer(**payload.customer.model_dump()),
        lines=[
            LineInput(
                sku=line.sku,
                quantity=line.quantity,
                name=line.name,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
            )
            for line in payload.lines
        ],
        payment_method=payload.payment_method.value,
        status=payload.status.value,
        delivery_address=AddressInput(**address.model_dump()) if address else None,
        placed_at=payload.placed_at,
        modified_at=payload.modified_at,
        notes=payload.notes,
        currency=payload.currency.upper(),
        paid_at=payload.paid_at,
    )


def order_from_payload(data: Mapping[str, Any]) -> ShopOrder:
    """An order posted to the API as a ShopOrder, or a ValidationError naming the
    fields (the inbox's mapping of API deliveries)."""
    try:
        return shop_order(OrderIn.model_validate(data))
    except pydantic.ValidationError as error:
        raise ValidationError(_schema_errors(error)) from None
