"""Webhook endpoints of WooCommerce and Shopify.

A shop is no signed-in user: these views are public and a delivery proves where it
comes from by its HMAC signature over the raw body. A signed delivery whose body is
JSON is stored in the inbox and answered 200 at once (rekisteri/intake/inbox.py); the
worker makes it an order later, and the audit trail records what it became. One not
proven to come from the shop (an unknown integration, a body too large to check, a
bad signature) is counted per address and URL instead (rekisteri/audit/refusals.py):
anyone can send those."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rekisteri.audit.models import Action
from rekisteri.audit.refusals import refusal_record, refusals_wait
from rekisteri.audit.services import Actor
from rekisteri.intake import inbox, shopify, woocommerce
from rekisteri.intake.models import DeliverySource, DeliveryState, Integration, IntegrationKind
from rekisteri.intake.services import (
    DUPLICATE,
    ShopOrder,
    integration_actor,
    integration_for_webhook,
    integration_mark_used,
    integration_secret,
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
    # The header of the shop's own delivery id: a retry carries the same one.
    delivery_id_header: str = ""
    is_ping: Callable[[bytes, Mapping[str, str]], bool] = lambda body, headers: False


WOOCOMMERCE = ShopKind(
    kind=IntegrationKind.WOOCOMMERCE,
    signature_header=woocommerce.SIGNATURE_HEADER,
    topic_header=woocommerce.TOPIC_HEADER,
    topics=woocommerce.TOPICS,
    signature=woocommerce.signature,
    order_from_payload=woocommerce.order_from_payload,
    # WooCommerce's X-WC-Webhook-Delivery-ID hashes the webhook's id and the second,
    # so two orders in one second share it: no key, and WooCommerce does not retry.
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
    """A signed delivery: stored in the inbox and answered at once. A topic we do not
    use is stored as such and left alone; a body that is not JSON is refused, as a
    person could make nothing of it either."""
    topic = request.headers.get(shop.topic_header, "")
    if not inbox.json_parses(body):
        shop_delivery_refuse(actor=actor, integration=integration, reason="malformed JSON")
        return _answer(400, "malformed JSON")
    ignored = topic not in shop.topics
    digest = inbox.body_digest(body)
    stored = inbox.delivery_store(
        integration=integration,
        source=DeliverySource.WEBHOOK,
        body=body,
        topic=topic,
        # A shop without delivery ids (WooCommerce) is keyed by the body itself: the
        # same bytes again are the same delivery; a real update changes its time.
        delivery_key=request.headers.get(shop.delivery_id_header, "")
        if shop.delivery_id_header
        else f"sha256:{digest}",
        digest=digest,
        state=DeliveryState.IGNORED if ignored else DeliveryState.WAITING,
        ip_address=actor.ip_address,
        request_id=actor.request_id,
    )
    integration_mark_used(integration)
    result = DUPLICATE if stored.repeated else ("ignored" if ignored else "received")
    return _answer(200, result, receipt=str(stored.delivery.public_id))


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
