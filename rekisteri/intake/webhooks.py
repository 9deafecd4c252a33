"""Webhook endpoints of WooCommerce and Shopify.

A shop is no signed-in user: these views are public and a delivery proves where it
comes from by its HMAC signature over the raw body. Every signed delivery, taken or
refused, is audited with the integration as the actor. One not proven to come from the
shop (an unknown integration, a body too large to check, a bad signature) is counted
per address and URL instead (rekisteri/audit/refusals.py): anyone can send those."""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rekisteri.audit.models import Action
from rekisteri.audit.refusals import refusal_record, refusals_wait
from rekisteri.audit.services import Actor
from rekisteri.intake import shopify, woocommerce
from rekisteri.intake.models import Integration, IntegrationKind
from rekisteri.intake.services import (
    BUYER_MISMATCH,
    BuyerMismatch,
    ShopOrder,
    integration_actor,
    integration_for_webhook,
    integration_secret,
    nul_character_path,
    shop_delivery_ignore,
    shop_delivery_receive,
    shop_delivery_refuse,
)

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ShopKind:
    """How one kind of shop signs, names and shapes its deliveries."""

    kind: str
    signature_header: str
    topic_header: str
    topics: frozenset[str]
    signature: Callable[[bytes, str], str]
    order_from_payload: Callable[[Mapping[str, Any]], ShopOrder]
    delivery_id_header: str = ""
    is_ping: Callable[[bytes, Mapping[str, str]], bool] = lambda body, headers: False


WOOCOMMERCE = ShopKind(
    kind=IntegrationKind.WOOCOMMERCE,
    signature_header=woocommerce.SIGNATURE_HEADER,
    topic_header=woocommerce.TOPIC_HEADER,
    topics=woocommerce.TOPICS,
    signature=woocommerce.signature,
    order_from_payload=woocommerce.order_from_payload,
    is_ping=woocommerce.is_ping,
)
SHOPIFY = ShopKind(
    kind=IntegrationKind.SHOPIFY,
    signature_header=shopify.SIGNATURE_HEADER,
    topic_header=shopify.TOPIC_HEADER,
    topics=shopify.TOPICS,
    signature=shopify.signature,
    order_from_payload=shopify.order_from_payload,
    delivery_id_header=shopify.DELIVERY_ID_HEADER,
)


def _answer(status: int, result: str, **extra: object) -> JsonResponse:
    return JsonResponse({"result": result, **extra}, status=status)


def _body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over the limit: the declared length is checked
    first and the stream is never read past one byte over the limit."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return body if len(body) <= MAX_BODY_BYTES else None


def _loads(body: bytes) -> Mapping[str, Any]:
    """The body's JSON object with numbers kept exact: integers as int (Shopify's ids
    exceed 2^53), decimals as Decimal; ValueError when it is not one."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not a number")

    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=refuse)
    except (UnicodeDecodeError, RecursionError) as error:
        raise ValueError(str(error)) from None
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    if nul_character_path(data) is not None:
        raise ValueError("the body holds a NUL character")
    return data


def _signed(request: HttpRequest, body: bytes, shop: ShopKind, integration: Integration) -> bool:
    offered = request.headers.get(shop.signature_header, "")
    expected = shop.signature(body, integration_secret(integration))
    return bool(offered) and hmac.compare_digest(offered.encode(), expected.encode())


def _receive(request: HttpRequest, integration_id: uuid.UUID, shop: ShopKind) -> HttpResponse:
    # A shop's own refusals count for its URL alone, so that one shop sending with the
    # wrong secret does not shut out another sending from the same address.
    scope = f"webhook:{integration_id}"
    wait = refusals_wait(request=request, scopes=("", scope))
    if wait is not None:
        response = _answer(429, "too many refused deliveries")
        response["Retry-After"] = str(wait)
        return response
    integration = integration_for_webhook(public_id=integration_id, kind=shop.kind)
    if integration is None:
        reason = f"{shop.kind} webhook: unknown integration"
        refusal_record(
            actor=Actor.from_request(request), action=Action.PERMISSION_DENIED, reason=reason
        )
        return _answer(404, "unknown integration")
    actor = integration_actor(
        integration,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )
    body = _body(request)
    if body is None:
        refusal_record(
            actor=actor,
            action=Action.PERMISSION_DENIED,
            obj=integration,
            reason="body too large",
            scope=scope,
        )
        return _answer(413, "body too large", limit_bytes=MAX_BODY_BYTES)
    if shop.is_ping(body, request.headers):
        return _answer(200, "pong")
    if not _signed(request, body, shop, integration):
        refusal_record(
            actor=actor,
            action=Action.PERMISSION_DENIED,
            obj=integration,
            reason="bad signature",
            scope=scope,
        )
        return _answer(401, "bad signature")
    return _take(request, body, shop, integration, actor)


def _take(
    request: HttpRequest, body: bytes, shop: ShopKind, integration: Integration, actor: Actor
) -> HttpResponse:
    """A signed delivery: parsed, mapped and received, or refused with the reason."""
    topic = request.headers.get(shop.topic_header, "")
    source = f"{shop.kind} {topic[:40]}"
    if topic not in shop.topics:
        shop_delivery_ignore(actor=actor, integration=integration, reason=f"{source}: ignored")
        return _answer(200, "ignored")
    try:
        data = _loads(body)
    except ValueError:
        shop_delivery_refuse(actor=actor, integration=integration, reason="malformed JSON")
        return _answer(400, "malformed JSON")
    try:
        order, outcome = shop_delivery_receive(
            actor=actor,
            integration=integration,
            order=shop.order_from_payload(data),
            source=source,
            delivery_id=request.headers.get(shop.delivery_id_header, "")
            if shop.delivery_id_header
            else "",
        )
    except ValidationError as error:
        fields = ", ".join(sorted(error.message_dict))
        shop_delivery_refuse(
            actor=actor, integration=integration, reason=f"invalid order: {fields}"
        )
        return _answer(422, "invalid order", errors=error.message_dict)
    except BuyerMismatch as mismatch:
        # Until doubtful orders have a place to wait for a person, the shop is told
        # (its delivery log shows the 409) and the audit trail keeps the attempt.
        shop_delivery_refuse(
            actor=actor,
            integration=integration,
            reason=f"{source}: {mismatch}",
            customer=mismatch.customer,
        )
        return _answer(409, "doubtful customer match", detail=BUYER_MISMATCH)
    return _answer(200, outcome, order_number=order.order_number if order else None)


@csrf_exempt
@login_not_required
@require_POST
def woocommerce_receive(request: HttpRequest, integration_id: uuid.UUID) -> HttpResponse:
    return _receive(request, integration_id, WOOCOMMERCE)


@csrf_exempt
@login_not_required
@require_POST
def shopify_receive(request: HttpRequest, integration_id: uuid.UUID) -> HttpResponse:
    return _receive(request, integration_id, SHOPIFY)


app_name = "webhooks"
urlpatterns = [
    path("woocommerce/<uuid:integration_id>", woocommerce_receive, name="woocommerce"),
    path("shopify/<uuid:integration_id>", shopify_receive, name="shopify"),
]
