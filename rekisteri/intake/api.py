"""Orders from integrations: `POST /api/v1/orders` and `GET /api/v1/orders/{number}`.

The operation reads the body itself, so that an oversized body is refused before it is
parsed and every refusal is answered and audited the same way; `OrderIn` is still the
documented request body (see `BODY_SCHEMAS`)."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

import pydantic
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor
from rekisteri.credit.services import credit_check_for
from rekisteri.customers.models import Customer
from rekisteri.intake import services
from rekisteri.intake.auth import integration_key
from rekisteri.intake.models import Integration
from rekisteri.intake.services import ShopCustomer, ShopOrder
from rekisteri.orders.models import Order, OrderStatus, PaymentMethod
from rekisteri.orders.selectors import order_get
from rekisteri.orders.services import MAX_QUANTITY, AddressInput, LineInput

MAX_BODY_BYTES = 1024 * 1024
MAX_IDEMPOTENCY_KEY_LENGTH = 255

router = Router(tags=["orders"], auth=integration_key)


class CustomerIn(Schema):
    """The buyer. An email address or an identity code (or both) is needed; the
    customer is found by identity code, then by email, or created. A customer found
    whose name differs (or whose identity code is another) is not taken: the order is
    refused with 409 for a person to handle. Only an integration that sells on invoice
    may send identity codes."""

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
    vat_rate: Decimal | None = Field(None, description="25.5, 14, 10 or 0; 25.5 if left out")
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


BODY_SCHEMAS = (OrderIn,)


class LineOut(Schema):
    sku: str
    name: str
    unit_price: str
    vat_rate: str
    quantity: int
    line_total: str


class DeliveryOut(Schema):
    carrier: str
    tracking_code: str
    status: str
    shipped_at: datetime.datetime | None
    delivered_at: datetime.datetime | None


class ReturnLineOut(Schema):
    sku: str
    quantity: int


class ReturnOut(Schema):
    status: str
    refund_amount: str
    created_at: datetime.datetime
    lines: list[ReturnLineOut]


CREDIT_NOTICE = "Creditworthiness was checked from Suomen Asiakastieto Oy."


class CreditCheckOut(Schema):
    """The credit decision for an invoice order (after any person's review) and the
    notice to pass on to the customer; never the reason or the bureau's data."""

    decision: str
    notice: str


class OrderOut(Schema):
    """The order as the integration may see it: nothing of the register's customer,
    not even their number (which would tell whose email or code was sent)."""

    order_number: int
    external_id: str
    status: str
    payment_method: str
    currency: str
    total_gross: str
    total_vat: str
    total_net: str
    placed_at: datetime.datetime
    lines: list[LineOut]
    deliveries: list[DeliveryOut]
    returns: list[ReturnOut]
    credit_check: CreditCheckOut | None


class ErrorOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: dict[str, list[str]]


CREDIT_CHECKS_USED_UP = (
    "This integration has had its credit checks for this hour. Send the order again later."
)


class Refusal(Exception):
    """A request turned away: the status, the answer, and the audit reason (and the
    customer a doubtful match led to, for the audit trail only)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        reason: str = "",
        customer: Customer | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.body: dict[str, Any] = {"detail": detail}
        if errors is not None:
            self.body["errors"] = errors
        self.reason = f"api refused {status}: " + (
            reason or (", ".join(sorted(errors)) if errors else detail)
        )
        self.customer = customer
        self.retry_after = retry_after


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _credit_check_out(order: Order) -> dict[str, str] | None:
    check = credit_check_for(order=order)
    if check is None:
        return None
    return {"decision": check.effective_decision, "notice": CREDIT_NOTICE}


def order_out(order: Order, *, just_created: bool = False) -> dict[str, Any]:
    """The order as the API shows it. One `just_created` has no deliveries or
    returns yet, nor a credit check unless it is on invoice, so they are not asked for."""
    checked = not just_created or order.payment_method == PaymentMethod.INVOICE
    return {
        "order_number": order.order_number,
        "external_id": order.external_id,
        "status": order.status,
        "payment_method": order.payment_method,
        "currency": order.currency,
        "total_gross": _money(order.total_gross),
        "total_vat": _money(order.total_vat),
        "total_net": _money(order.total_net),
        # In UTC, as it reads back from the database, also for an order just made
        # from a time the shop gave with its own offset.
        "placed_at": order.placed_at.astimezone(datetime.UTC),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price": _money(line.unit_price),
                "vat_rate": f"{line.vat_rate:f}",
                "quantity": line.quantity,
                "line_total": _money(line.line_total),
            }
            for line in order.lines.all()
        ],
        "deliveries": [
            {
                "carrier": delivery.carrier,
                "tracking_code": delivery.tracking_code,
                "status": delivery.status,
                "shipped_at": delivery.shipped_at,
                "delivered_at": delivery.delivered_at,
            }
            for delivery in ([] if just_created else order.deliveries.all())
        ],
        "returns": [
            {
                "status": returned.status,
                "refund_amount": _money(returned.refund_amount),
                "created_at": returned.created_at,
                "lines": [
                    {"sku": line.order_line.sku, "quantity": line.quantity}
                    for line in returned.lines.all()
                ],
            }
            for returned in ([] if just_created else order.returns.all())
        ],
        "credit_check": _credit_check_out(order) if checked else None,
    }


def _refuse_invalid_json(value: str) -> None:
    raise ValueError(value)


def _read_json(request: HttpRequest) -> Any:
    """The body as JSON, its type and size checked before it is read; numbers with a
    fraction become Decimal, never float."""
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if request.content_type != "application/json" or charset not in ("utf-8", "utf8"):
        raise Refusal(415, "Send the order as JSON, with Content-Type: application/json.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise Refusal(413, "The body is larger than 1 MiB.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise Refusal(413, "The body is larger than 1 MiB.") from None
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(413, "The body is larger than 1 MiB.")
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_refuse_invalid_json)
    except (ValueError, RecursionError):
        raise Refusal(400, "The body is not valid JSON.") from None


def _schema_errors(error: pydantic.ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors by field path, without the values that were sent."""
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(field, []).append(item["msg"])
    return errors


def _service_errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"order": [str(m) for m in error.messages]}


def _shop_order(payload: OrderIn) -> ShopOrder:
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
    )


def _body_digest(data: Any) -> str:
    """The same order sent twice digests the same, however its JSON was spaced."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _actor(request: HttpRequest, integration: Integration) -> Actor:
    return services.integration_actor(
        integration,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )


def _order_receive(request: HttpRequest, actor: Actor) -> Status[dict[str, Any]]:
    integration: Integration = request.auth  # type: ignore[attr-defined]  # set by ninja's auth  # set by ninja's auth
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise Refusal(400, "The Idempotency-Key header is longer than 255 characters.")
    data = _read_json(request)
    if not isinstance(data, dict):
        raise Refusal(422, "The order is not valid.", errors={"body": ["Send one JSON object."]})
    nul_at = services.nul_character_path(data)
    if nul_at is not None:
        raise Refusal(
            422, "The order is not valid.", errors={nul_at: ["Null characters are not allowed."]}
        )
    try:
        payload = OrderIn.model_validate(data)
    except pydantic.ValidationError as error:
        raise Refusal(422, "The order is not valid.", errors=_schema_errors(error)) from None
    try:
        order, outcome = services.api_order_receive(
            actor=actor,
            integration=integration,
            order=_shop_order(payload),
            idempotency_key=idempotency_key,
            body_digest=_body_digest(data),
        )
    except ValidationError as error:
        raise Refusal(422, "The order is not valid.", errors=_service_errors(error)) from None
    except services.BuyerMismatch as mismatch:
        raise Refusal(
            409, services.BUYER_MISMATCH, reason=str(mismatch), customer=mismatch.customer
        ) from None
    except services.CreditChecksUsedUp as used_up:
        raise Refusal(
            429,
            CREDIT_CHECKS_USED_UP,
            reason="credit checks per hour used up",
            retry_after=used_up.retry_after,
        ) from None
    except services.IdempotencyKeyReused:
        raise Refusal(
            422,
            "The order is not valid.",
            errors={
                "Idempotency-Key": [
                    "This key was already used with a different body. "
                    "Use a new key for a new order."
                ]
            },
        ) from None
    if outcome == services.Outcome.CREATED:
        return Status(201, order_out(order, just_created=True))
    return Status(200, order_out(order_get(order_number=order.order_number) or order))


# login_not_required is typed for views returning responses; ninja makes the response.
@router.post(  # type: ignore[type-var]  # ninja's stubs type the decorator narrowly
    "",
    url_name="order_create",
    summary="Send an order",
    response={
        200: OrderOut,
        201: OrderOut,
        400: ErrorOut,
        401: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: InvalidOut,
        429: ErrorOut,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderIn"}}},
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "description": "Any unique string; the same key and body again returns "
                "the first result",
                "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH},
            }
        ],
    },
)
@login_not_required
def order_create(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """Creates the order (201), or returns the one already made from the same
    Idempotency-Key or the same external id (200). A newer `modified_at` moves the
    order's status forward. A buyer whose email or identity code leads to a customer
    of another name is refused (409); an invoice order over the integration's credit
    checks for the hour is refused (429, with Retry-After)."""
    actor = _actor(request, request.auth)  # type: ignore[attr-defined]  # set by ninja's auth
    try:
        return _order_receive(request, actor)
    except Refusal as refusal:
        services.api_request_refuse(
            actor=actor,
            action=Action.PERMISSION_DENIED,
            path=request.path,
            reason=refusal.reason,
            customer=refusal.customer,
        )
        if refusal.retry_after is not None:
            response["Retry-After"] = str(refusal.retry_after)
        return Status(refusal.status, refusal.body)


@router.get(  # type: ignore[type-var]  # as above
    "/{int:order_number}",
    url_name="order_read",
    summary="Read one of the integration's orders",
    response={200: OrderOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
)
@login_not_required
def order_read(request: HttpRequest, order_number: int) -> Status[dict[str, Any]]:
    """Status, lines, deliveries and returns of an order this integration sent."""
    integration: Integration = request.auth  # type: ignore[attr-defined]  # set by ninja's auth
    actor = _actor(request, integration)
    order = services.integration_order_read(
        actor=actor, integration=integration, order_number=order_number
    )
    if order is None:
        services.api_request_refuse(
            actor=actor,
            action=Action.PERMISSION_DENIED,
            path=request.path,
            reason="api refused 404: not this integration's order",
        )
        return Status(404, {"detail": "No such order."})
    return Status(200, order_out(order))
