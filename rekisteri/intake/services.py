"""Integrations: creating and revoking them, and recognising their keys."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto, fi
from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record
from rekisteri.customers.models import Customer, Language, Source
from rekisteri.customers.services import (
    IDENTITY_CODE_MESSAGES,
    CustomerInput,
    customer_create,
    identity_code_index,
)
from rekisteri.intake.models import Integration, IntegrationKind
from rekisteri.orders.models import Channel, Order, OrderStatus
from rekisteri.orders.services import AddressInput, LineInput, order_create, order_status_change

API_KEY_PREFIX_LENGTH = 12
# Labels that bind each ciphertext to its field (the AES-GCM associated data).
SECRET_PURPOSE = "intake.integration.secret"  # noqa: S105
CONSUMER_KEY_PURPOSE = "intake.integration.consumer_key"
CONSUMER_SECRET_PURPOSE = "intake.integration.consumer_secret"  # noqa: S105


@dataclass(frozen=True)
class NewIntegration:
    """An integration just created, with its credential: shown once, never again."""

    integration: Integration
    api_key: str = ""
    secret: str = ""


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def integration_create(
    *,
    actor: Actor,
    kind: str,
    name: str,
    shop_url: str = "",
    consumer_key: str = "",
    consumer_secret: str = "",
) -> NewIntegration:
    """A generic integration gets an API key (`rk_…`); a WooCommerce or Shopify one gets
    the webhook secret its shop signs deliveries with."""
    name = " ".join(name.split())
    errors: dict[str, list[object]] = {}
    if kind not in IntegrationKind.values:
        errors["kind"] = [_("Choose generic, WooCommerce or Shopify.")]
    if not name:
        errors["name"] = [_("Give the integration a name.")]
    elif Integration.objects.filter(name__iexact=name).exists():
        errors["name"] = [_("An integration with this name already exists.")]
    if errors:
        raise ValidationError(errors)
    ring = crypto.keyring()
    integration = Integration(
        public_id=uuid.uuid4(),
        kind=kind,
        name=name,
        shop_url=shop_url.strip(),
        created_at=timezone.now(),
    )
    api_key = secret = ""
    if kind == IntegrationKind.GENERIC:
        api_key = "rk_" + secrets.token_urlsafe(32)
        integration.api_key_prefix = api_key[:API_KEY_PREFIX_LENGTH]
        integration.api_key_digest = _digest(api_key)
    else:
        secret = secrets.token_urlsafe(32)
        integration.secret_encrypted = ring.encrypt(secret, purpose=SECRET_PURPOSE)
    if consumer_key:
        integration.consumer_key_encrypted = ring.encrypt(
            consumer_key, purpose=CONSUMER_KEY_PURPOSE
        )
    if consumer_secret:
        integration.consumer_secret_encrypted = ring.encrypt(
            consumer_secret, purpose=CONSUMER_SECRET_PURPOSE
        )
    with transaction.atomic():
        integration.full_clean()
        integration.save()
        audit_record(
            actor=actor, action=Action.CREATE, obj=integration, changed_fields=["kind", "name"]
        )
    return NewIntegration(integration, api_key=api_key, secret=secret)


def integration_revoke(*, actor: Actor, integration: Integration) -> Integration:
    """Stops the integration's key or secret from working, at once and for good."""
    with transaction.atomic():
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        if current.revoked_at is None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor, action=Action.UPDATE, obj=current, changed_fields=["revoked_at"]
            )
    return current


def integration_for_api_key(api_key: str) -> Integration | None:
    """The active integration this API key belongs to, compared in constant time."""
    if not api_key.startswith("rk_") or len(api_key) < API_KEY_PREFIX_LENGTH:
        return None
    for candidate in Integration.objects.filter(
        api_key_prefix=api_key[:API_KEY_PREFIX_LENGTH], revoked_at__isnull=True
    ):
        if hmac.compare_digest(candidate.api_key_digest, _digest(api_key)):
            return candidate
    return None


def integration_secret(integration: Integration) -> str:
    return crypto.keyring().decrypt(integration.secret_encrypted, purpose=SECRET_PURPOSE)


def integration_mark_used(integration: Integration) -> None:
    """Remembers when the integration last called (at most once a minute)."""
    now = timezone.now()
    if integration.last_used_at is None or (now - integration.last_used_at).total_seconds() > 60:
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now


def integration_actor(
    integration: Integration, *, ip_address: str | None = None, request_id: str = ""
) -> Actor:
    return Actor(
        type=ActorType.INTEGRATION,
        label=f"integration:{integration.name}"[:150],
        ip_address=ip_address,
        request_id=request_id,
    )


@dataclass(frozen=True)
class ShopCustomer:
    """The buyer as a shop or an API client describes them."""

    surname: str
    first_names: str
    email: str = ""
    phone: str = ""
    identity_code: str = ""
    street_address: str = ""
    postal_code: str = ""
    post_office: str = ""
    country: str = "FI"
    preferred_language: str = "fi"


@dataclass(frozen=True)
class ShopOrder:
    """An order as it arrives from outside, already mapped to Rekisteri's terms."""

    external_id: str
    customer: ShopCustomer
    lines: list[LineInput]
    payment_method: str
    status: str = OrderStatus.RECEIVED
    delivery_address: AddressInput | None = None
    placed_at: datetime.datetime | None = None
    modified_at: datetime.datetime | None = None
    notes: str = ""


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


def _customer_for(*, actor: Actor, buyer: ShopCustomer) -> Customer:
    """The register's customer for this buyer: by identity code, then by email, or a
    new customer whose relationship started in the web shop (P10)."""
    if not buyer.email.strip() and not buyer.identity_code.strip():
        raise ValidationError(
            {"customer": [_("A customer needs an email address or an identity code.")]}
        )
    if buyer.identity_code.strip():
        try:
            compact = fi.normalize_identity_code(
                buyer.identity_code, allow_temporary=settings.ACCEPT_TEMPORARY_IDENTITY_CODES
            )
        except fi.InvalidValue as error:
            raise ValidationError(
                {"identity_code": [IDENTITY_CODE_MESSAGES[error.reason]]}
            ) from None
        found = Customer.objects.filter(identity_code_index=identity_code_index(compact)).first()
        if found is not None:
            return found
    if buyer.email.strip():
        try:
            email = fi.normalize_email(buyer.email)
        except fi.InvalidValue:
            raise ValidationError(
                {"email": [_("Enter a valid email address, such as name@example.fi.")]}
            ) from None
        found = Customer.objects.filter(email=email).order_by("customer_number").first()
        if found is not None:
            return found
    return customer_create(
        actor=actor,
        data=CustomerInput(
            surname=buyer.surname,
            first_names=buyer.first_names,
            street_address=buyer.street_address,
            postal_code=buyer.postal_code,
            post_office=buyer.post_office,
            country=buyer.country or "FI",
            phone=buyer.phone,
            email=buyer.email,
            preferred_language=buyer.preferred_language
            if buyer.preferred_language in Language.values
            else Language.FINNISH,
        ),
        source=Source.WEB_SHOP,
        identity_code=buyer.identity_code,
        allow_duplicate=True,
    )


# The way forward through the statuses, for a shop that jumps several at once.
_STATUS_PATH = [
    OrderStatus.RECEIVED,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]


def _advance(*, actor: Actor, order: Order, target: str) -> bool:
    """Moves the order towards `target` through the allowed transitions; a target
    behind the current status (or out of reach) changes nothing."""
    if target == order.status:
        return False
    if target == OrderStatus.CANCELLED:
        if OrderStatus.CANCELLED not in order.allowed_statuses():
            return False
        order_status_change(actor=actor, order=order, status=target)
        return True
    if order.status not in _STATUS_PATH or target not in _STATUS_PATH:
        return False
    here, there = (
        _STATUS_PATH.index(OrderStatus(order.status)),
        _STATUS_PATH.index(OrderStatus(target)),
    )
    if there <= here:
        return False
    current = order
    for step in _STATUS_PATH[here + 1 : there + 1]:
        if step in current.allowed_statuses():
            current = order_status_change(actor=actor, order=current, status=step)
    return True


def shop_order_receive(
    *, actor: Actor, integration: Integration, order: ShopOrder
) -> tuple[Order, str]:
    """Takes an order from a shop or an API client, however often it arrives.

    The first delivery creates the order (and the customer if new); a replay returns
    the same order; a newer update moves its status forward; an update older than
    the one stored is ignored. Concurrent duplicates meet the unique constraint on
    (integration, external id), and the loser returns the winner's order."""
    external_id = order.external_id.strip()
    if not external_id:
        raise ValidationError({"external_id": [_("The shop's order id is missing.")]})
    existing = Order.objects.filter(integration=integration, external_id=external_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                customer = _customer_for(actor=actor, buyer=order.customer)
                created = order_create(
                    actor=actor,
                    customer=customer,
                    channel=Channel.WEB_SHOP,
                    payment_method=order.payment_method,
                    lines=order.lines,
                    delivery_address=order.delivery_address,
                    notes=order.notes,
                    integration=integration,
                    external_id=external_id,
                    external_modified_at=order.modified_at,
                    placed_at=order.placed_at,
                )
                _advance(actor=actor, order=created, target=order.status)
            created.refresh_from_db()
            return created, Outcome.CREATED
        except IntegrityError:
            existing = Order.objects.filter(
                integration=integration, external_id=external_id
            ).first()
            if existing is None:
                raise
    if order.modified_at is None or (
        existing.external_modified_at is not None
        and order.modified_at <= existing.external_modified_at
    ):
        return existing, (
            Outcome.UNCHANGED
            if order.modified_at == existing.external_modified_at or order.modified_at is None
            else Outcome.STALE
        )
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=existing.pk)
        if (
            locked.external_modified_at is not None
            and order.modified_at <= locked.external_modified_at
        ):
            return locked, Outcome.STALE
        moved = _advance(actor=actor, order=locked, target=order.status)
        Order.objects.filter(pk=locked.pk).update(external_modified_at=order.modified_at)
    locked.refresh_from_db()
    return locked, Outcome.UPDATED if moved else Outcome.UNCHANGED
