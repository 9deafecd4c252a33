"""Orders from integrations: `POST /api/v1/orders` and `GET /api/v1/orders/{number}`.

The operation reads the body itself, so that an oversized body is refused before it is
parsed and every refusal is answered and audited the same way; `OrderIn` is still the
documented request body (see `BODY_SCHEMAS`)."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import time
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record
from rekisteri.credit.services import credit_check_for
from rekisteri.customers.models import Customer
from rekisteri.intake import inbox, services
from rekisteri.intake.auth import integration_key
from rekisteri.intake.models import DeliverySource, DeliveryState, InboxDelivery, Integration
from rekisteri.intake.payloads import OrderIn
from rekisteri.orders.models import Order, PaymentMethod
from rekisteri.orders.selectors import order_get

MAX_BODY_BYTES = 1024 * 1024
MAX_IDEMPOTENCY_KEY_LENGTH = 255

router = Router(tags=["orders"], auth=integration_key)


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


class ReceiptOut(Schema):
    """Where an order sent stands. `state` is `waiting`, `done` (with `order_number`),
    `attention` (with the `reason` it waits for a person), `discarded` or `test`."""

    receipt: uuid.UUID
    status_url: str
    state: str
    order_number: int | None
    reason: str
    detail: str
    received_at: datetime.datetime


class InvalidOut(Schema):
    detail: str
    errors: dict[str, list[str]]


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


def _read_body(request: HttpRequest) -> tuple[bytes, Any]:
    """The raw body and its JSON, type and size checked before it is read; numbers with
    a fraction become Decimal, never float."""
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
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_invalid_json)
    except (ValueError, RecursionError):
        raise Refusal(400, "The body is not valid JSON.") from None
    return body, data


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


MAX_WAIT_SECONDS = 30
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,4})\"?", re.IGNORECASE)


def preferred_wait(request: HttpRequest) -> int | None:
    """The seconds of an RFC 7240 `Prefer: wait=N` (at most MAX_WAIT_SECONDS), or None."""
    found = _PREFER_WAIT.search(request.headers.get("Prefer", ""))
    return min(int(found.group(1)), MAX_WAIT_SECONDS) if found else None


# What a person reads in a receipt for each reason an order waits; English, as every
# answer to a machine, and never a customer's data or which identifier matched.
WAITING_REASONS = {
    inbox.Reason.CURRENCY: "The order is in another currency; a person gives its amount in euros.",
    inbox.Reason.INVALID: "The order cannot be taken as it stands; a person corrects it.",
    inbox.Reason.IDENTITY_CODE: "The identity code is not valid; a person corrects it.",
    inbox.Reason.BUYER_MISMATCH: services.BUYER_MISMATCH,
    inbox.Reason.LINES_TOTAL: "The lines do not add up to the total; a person checks them.",
    inbox.Reason.NOT_AN_ORDER: "The body is not an order object; a person looks at it.",
    inbox.Reason.FAILED: "Processing failed; a person looks at it.",
    # Says nothing of the customer: that a person's processing is restricted is theirs.
    inbox.Reason.RESTRICTED: "The order waits for a person.",
}
# Reasons whose detail would tell the client about a customer of the register.
DETAIL_HIDDEN = (inbox.Reason.BUYER_MISMATCH, inbox.Reason.RESTRICTED)


def receipt_out(delivery: InboxDelivery) -> dict[str, Any]:
    """The receipt of a delivery: where it stands, and its order once it has one."""
    attention = delivery.state == DeliveryState.ATTENTION
    # A doubtful match's detail would name the identifier that matched.
    detail = "" if delivery.reason in DETAIL_HIDDEN else delivery.detail
    return {
        "receipt": delivery.public_id,
        "status_url": reverse("api:order_receipt", args=[delivery.public_id]),
        "state": delivery.state,
        "order_number": delivery.order.order_number if delivery.order else None,
        "reason": WAITING_REASONS.get(delivery.reason, "") if attention else "",
        "detail": detail if attention else "",
        "received_at": delivery.received_at,
    }


def _wait_for(delivery: InboxDelivery, seconds: int) -> InboxDelivery:
    """Processes the delivery now, or, when a worker already holds it, waits up to
    `seconds` for the worker to finish."""
    deadline = time.monotonic() + seconds
    current = inbox.delivery_process_now(delivery)
    pause = 0.02
    while current.state == DeliveryState.WAITING and time.monotonic() < deadline:
        if current.next_attempt_at is not None:
            break  # tried and put off (the credit checks of the hour, say)
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
        current = inbox.delivery_process_now(current)
    return current


def _order_answer(
    delivery: InboxDelivery, response: HttpResponse, *, repeated: bool
) -> Status[dict[str, Any]]:
    """201 for a delivery that made its order now, 200 for an order made before (or a
    repeated delivery), 202 with the receipt for one that waits."""
    made = delivery.order if delivery.state == DeliveryState.DONE else None
    if made is not None:
        response["Location"] = reverse("api:order_read", args=[made.order_number])
        if not repeated and delivery.outcome == services.Outcome.CREATED:
            return Status(201, order_out(made, just_created=True))
        return Status(200, order_out(order_get(order_number=made.order_number) or made))
    receipt = receipt_out(delivery)
    response["Location"] = receipt["status_url"]
    if delivery.state == DeliveryState.WAITING and delivery.next_attempt_at is not None:
        # Put off (the hour's credit checks used up): when to ask the receipt again.
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(int(wait) + 1, 1))
    return Status(202, receipt)


def _order_receive(
    request: HttpRequest, integration: Integration, response: HttpResponse
) -> Status[dict[str, Any]]:
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise Refusal(400, "The Idempotency-Key header is longer than 255 characters.")
    body, data = _read_body(request)
    try:
        stored = inbox.delivery_store(
            integration=integration,
            source=DeliverySource.API,
            body=body,
            topic="order",
            delivery_key=idempotency_key,
            digest=_body_digest(data),
            compare_digest=True,
            ip_address=request.META.get("REMOTE_ADDR") or None,
            request_id=getattr(request, "request_id", ""),
        )
    except inbox.DeliveryKeyReused:
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
    services.integration_mark_used(integration)
    delivery = stored.delivery
    wait = preferred_wait(request)
    if wait is not None and not stored.repeated:
        response["Preference-Applied"] = f"wait={wait}"
        delivery = _wait_for(delivery, wait)
    if stored.repeated:
        delivery = InboxDelivery.objects.select_related("order").get(pk=delivery.pk)
        if delivery.order is not None:
            # The answer shows the order again: a read, as `GET /orders/{n}` is.
            audit_record(
                actor=_actor(request, integration),
                action=Action.VIEW,
                obj=delivery.order,
                customer=delivery.order.customer,
                reason="api: repeated",
            )
    return _order_answer(delivery, response, repeated=stored.repeated)


# login_not_required is typed for views returning responses; ninja makes the response.
@router.post(  # type: ignore[type-var]  # ninja's stubs type the decorator narrowly
    "",
    url_name="order_create",
    summary="Send an order",
    response={
        200: OrderOut,
        201: OrderOut,
        202: ReceiptOut,
        400: ErrorOut,
        401: ErrorOut,
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
            },
            {
                "in": "header",
                "name": "Prefer",
                "required": False,
                "description": "RFC 7240 `wait=N`: process the order within N seconds "
                f"(at most {MAX_WAIT_SECONDS}) and answer with it (201) instead of a "
                "receipt (202)",
                "schema": {"type": "string", "example": "wait=5"},
            },
        ],
    },
)
@login_not_required
def order_create(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """Stores the order in the inbox and answers 202 with a receipt, whose status URL
    later gives the order's number or the reason it waits for a person. With
    `Prefer: wait=N` the order is processed at once and the answer is the order: 201
    when it was created, 200 when the same external id made it before (a newer
    `modified_at` moves its status forward); 202 with the receipt when it waits. The
    same Idempotency-Key and body again returns the first delivery's answer."""
    integration: Integration = request.auth  # type: ignore[attr-defined]  # set by ninja's auth
    try:
        return _order_receive(request, integration, response)
    except Refusal as refusal:
        services.api_request_refuse(
            actor=_actor(request, integration),
            action=Action.PERMISSION_DENIED,
            path=request.path,
            reason=refusal.reason,
            customer=refusal.customer,
        )
        if refusal.retry_after is not None:
            response["Retry-After"] = str(refusal.retry_after)
        return Status(refusal.status, refusal.body)


@router.get(  # type: ignore[type-var]  # as above
    "/receipts/{uuid:receipt}",
    url_name="order_receipt",
    summary="Where an order sent stands",
    response={200: ReceiptOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut},
)
@login_not_required
def order_receipt(request: HttpRequest, receipt: uuid.UUID) -> Status[dict[str, Any]]:
    """The receipt of an order this integration sent: `waiting`, `done` with the
    order's number, or `attention` with the reason it waits for a person (or
    `discarded`: a person decided it is no order to take)."""
    integration: Integration = request.auth  # type: ignore[attr-defined]  # set by ninja's auth
    delivery = (
        InboxDelivery.objects.select_related("order")
        .filter(public_id=receipt, integration=integration)
        .first()
    )
    if delivery is None:
        services.api_request_refuse(
            actor=_actor(request, integration),
            action=Action.PERMISSION_DENIED,
            path=request.path,
            reason="api refused 404: not this integration's receipt",
        )
        return Status(404, {"detail": "No such receipt."})
    services.integration_mark_used(integration)
    return Status(200, receipt_out(delivery))


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
