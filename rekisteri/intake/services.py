"""Integrations: creating and revoking them, and recognising their keys."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto, fi
from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.services import shop_consents_record
from rekisteri.credit.services import order_is_cleared_for_credit
from rekisteri.customers.models import Customer, Language, Source, Status
from rekisteri.customers.services import (
    IDENTITY_CODE_MESSAGES,
    CustomerInput,
    customer_create,
    identity_code_indexes,
)
from rekisteri.intake.matching import names_agree
from rekisteri.intake.models import (
    Integration,
    IntegrationKind,
)
from rekisteri.orders.models import Channel, Order, OrderStatus, PaymentMethod
from rekisteri.orders.selectors import order_get
from rekisteri.orders.services import (
    AddressInput,
    LineInput,
    order_create,
    order_credit_run,
    order_settle,
    order_status_change,
)
from rekisteri.ratelimit import limit_hit

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
    sells_on_invoice: bool = False,
) -> NewIntegration:
    """A generic integration gets an API key (`rk_…`); a WooCommerce or Shopify one gets
    the webhook secret its shop signs deliveries with. Only one that `sells_on_invoice`
    may send invoice orders and identity codes."""
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
        sells_on_invoice=sells_on_invoice,
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
    with audited_transaction():
        integration.full_clean()
        integration.save()
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=integration,
            changed_fields=["kind", "name", "sells_on_invoice"],
        )
    return NewIntegration(integration, api_key=api_key, secret=secret)


def integration_revoke(*, actor: Actor, integration: Integration) -> Integration:
    """Stops the integration's key or secret from working, at once and for good."""
    with audited_transaction():
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        if current.revoked_at is None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor, action=Action.UPDATE, obj=current, changed_fields=["revoked_at"]
            )
    return current


def integration_invoice_sales_set(
    *, actor: Actor, integration: Integration, sells_on_invoice: bool
) -> Integration:
    """Allows or stops invoice orders and identity codes from the integration."""
    with audited_transaction():
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        if current.sells_on_invoice != sells_on_invoice:
            current.sells_on_invoice = sells_on_invoice
            current.save(update_fields=["sells_on_invoice"])
            audit_record(
                actor=actor, action=Action.UPDATE, obj=current, changed_fields=["sells_on_invoice"]
            )
    return current


def integration_for_api_key(api_key: str) -> Integration | None:
    """The active integration this API key belongs to, compared in constant time."""
    if not api_key.startswith("rk_") or len(api_key) < API_KEY_PREFIX_LENGTH:
        return None
    # Asked by every API request: written out, it skips the ORM's compiling of the
    # query, which cost more than the database's answer (docs/benchmarks.md).
    for candidate in Integration.objects.raw(
        "SELECT * FROM intake_integration WHERE api_key_prefix = %s AND revoked_at IS NULL",
        [api_key[:API_KEY_PREFIX_LENGTH]],
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
    # Marketing consents the buyer gave at checkout (consents.models.Channel values),
    # and the buyer's browser as evidence of them.
    marketing_consents: tuple[str, ...] = ()
    buyer_ip_address: str = ""
    buyer_user_agent: str = ""
    # The currency the shop charged in; lines are in it until a person gives the amount
    # in euros (rekisteri/intake/inbox.py).
    currency: str = "EUR"
    # The order's total as the shop states it, VAT included: lines that do not add up
    # to it wait for a person.
    stated_total: Decimal | None = None
    # The shop's own payment method id, matched against the integration's invoice ones.
    payment_gateway: str = ""
    # A shop's test notification or test order: proof of a working connection.
    is_test: bool = False
    # When the invoice of an invoice order was paid, as the shop or the API client
    # tells it: the order is settled (`order_settle`).
    paid_at: datetime.datetime | None = None


# Orders are from this century, and a shop's clock may run a little ahead; a time
# later than that would make the buyer look active for years, past retention.
EARLIEST_ORDER_TIME = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
SHOP_CLOCK_AHEAD = datetime.timedelta(days=1)


def _order_times_check(order: ShopOrder) -> None:
    latest = timezone.now() + SHOP_CLOCK_AHEAD
    errors = {
        field: [_("Give a time between the year 2000 and now, such as 2026-11-01T10:00:00Z.")]
        for field, moment in (("placed_at", order.placed_at), ("modified_at", order.modified_at))
        if moment is not None and not EARLIEST_ORDER_TIME <= moment <= latest
    }
    if errors:
        raise ValidationError(errors)


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


# The answer to a doubtful match (the API's and the webhooks'): English, as every
# answer to a machine; it names no customer data and not the identifier that matched.
BUYER_MISMATCH = (
    "The buyer's email address or identity code belongs to an existing customer whose "
    "details differ. The order waits for a person to handle it."
)


class BuyerMismatch(Exception):
    """The buyer's identity code or email leads to a register customer whose details
    differ (see `matching.py`): the order is attached to no one and waits in the inbox
    for a person (rekisteri/intake/attention.py). `customer` is for staff and the audit
    trail only; nothing of it is ever shown to the integration."""

    def __init__(self, *, customer: Customer, matched_by: str) -> None:
        super().__init__(f"doubtful customer match by {matched_by}")
        self.customer = customer
        self.matched_by = matched_by


class CustomerRestricted(Exception):
    """The buyer is a customer whose processing is restricted (GDPR art. 18): the order
    is not taken, and waits in the inbox until the restriction is lifted or the privacy
    officer accepts it on a ground of art. 18(2). Nothing of it is told to the shop."""

    def __init__(self, *, customer: Customer) -> None:
        super().__init__("the customer's processing is restricted")
        self.customer = customer


def _restriction_check(customer: Customer | None, restriction_ground: str) -> None:
    if customer is not None and customer.status == Status.RESTRICTED and not restriction_ground:
        raise CustomerRestricted(customer=customer)


def _details_agree(buyer: ShopCustomer, customer: Customer, *, code_given: bool) -> bool:
    """Whether the buyer is the customer the match found: the same name, and no other
    identity code than the register's (a code given that matched no one differs)."""
    if code_given and customer.has_identity_code:
        return False
    return names_agree(
        given_surname=buyer.surname,
        given_first_names=buyer.first_names,
        surname=customer.surname,
        first_names=customer.first_names,
    )


def _customer_match(buyer: ShopCustomer) -> Customer | None:
    """The register's customer for this buyer, by identity code, then by email; a
    match whose details differ raises BuyerMismatch instead of being taken."""
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
        found = Customer.objects.filter(
            identity_code_index__in=identity_code_indexes(compact)
        ).first()
        if found is not None:
            if not _details_agree(buyer, found, code_given=False):
                raise BuyerMismatch(customer=found, matched_by="identity code")
            return found
    if buyer.email.strip():
        try:
            email = fi.normalize_email(buyer.email)
        except fi.InvalidValue:
            raise ValidationError(
                {"email": [_("Enter a valid email address, such as name@example.fi.")]}
            ) from None
        found = Customer.objects.filter(email=email).order_by("customer_number").first()
        if found is not None and not _details_agree(
            buyer, found, code_given=bool(buyer.identity_code.strip())
        ):
            raise BuyerMismatch(customer=found, matched_by="email")
        return found
    return None


def _customer_for(*, actor: Actor, buyer: ShopCustomer) -> Customer:
    """The register's customer for this buyer: by identity code, then by email, or a
    new customer whose relationship started in the web shop (P10). A new customer is
    made without the code: only an invoice order keeps one (`order_create`)."""
    found = _customer_match(buyer)
    if found is not None:
        return found
    return customer_create(
        actor=actor,
        data=buyer_input(buyer),
        source=Source.WEB_SHOP,
        allow_duplicate=True,
    )


def _identity_code_not_kept(*, actor: Actor, order: Order) -> None:
    """Records that the buyer's identity code came with an order that is not on
    invoice and was used only to find the customer: no credit check or sale on credit
    needs it, so it is not stored (P8). Without the code."""
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=order,
        customer=order.customer,
        changed_fields=[],
        reason=f"identity code not kept: a {order.payment_method} order needs none",
    )


def buyer_input(buyer: ShopCustomer) -> CustomerInput:
    """A new customer's data as a shop's buyer gives it."""
    return CustomerInput(
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
    )


def buyer_agrees(buyer: ShopCustomer, customer: Customer) -> bool:
    """Whether a buyer who gave no identity code is the customer their email found."""
    return _details_agree(buyer, customer, code_given=False)


def order_times_check(order: ShopOrder) -> None:
    _order_times_check(order)


NOT_AN_INVOICE_SELLER_CODE = "not_an_invoice_seller"
NOT_AN_INVOICE_SELLER = _(
    "This integration does not sell on invoice, so it may not send identity codes. "
    "Leave the code out, or ask the administrator to allow invoice sales."
)
NO_INVOICE_SALES = _(
    "This integration does not sell on invoice. Choose another payment method, or ask "
    "the administrator to allow invoice sales."
)


def _invoice_sales_check(*, integration: Integration, order: ShopOrder, check_credit: bool) -> None:
    """Identity codes (and, on the API, invoice orders, which need one) are taken only
    from an integration that sells on invoice. The shops' webhooks read no codes at
    all, so only the API meets this refusal."""
    if integration.sells_on_invoice:
        return
    if order.customer.identity_code.strip():
        raise ValidationError(
            {
                "identity_code": [
                    ValidationError(NOT_AN_INVOICE_SELLER, code=NOT_AN_INVOICE_SELLER_CODE)
                ]
            }
        )
    if check_credit and order.payment_method == PaymentMethod.INVOICE:
        raise ValidationError({"payment_method": [NO_INVOICE_SALES]})


class CreditChecksUsedUp(Exception):
    """The integration has had its credit checks for this hour (answered 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def credit_check_allowance(*, integration: Integration) -> None:
    """Counts one credit check for the integration, or raises CreditChecksUsedUp when
    it has had REKISTERI_CREDIT_CHECKS_PER_HOUR of them this hour: a key that leaked
    (or a shop gone wrong) cannot ask the bureau about person after person."""
    wait = limit_hit(
        f"credit:{integration.pk}", limit=settings.CREDIT_CHECKS_PER_HOUR, window_seconds=3600
    )
    if wait is not None:
        raise CreditChecksUsedUp(wait)


# The way forward through the statuses, for a shop that jumps several at once.
_STATUS_PATH = [
    OrderStatus.RECEIVED,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]


def _advance(
    *, actor: Actor, order: Order, target: str, restriction_ground: str = ""
) -> Order | None:
    """Moves the order towards `target` through the allowed transitions, and returns
    it as it now is; a target behind the current status (or out of reach) changes
    nothing and returns None."""
    if target == order.status:
        return None
    if target == OrderStatus.CANCELLED:
        if OrderStatus.CANCELLED not in order.allowed_statuses():
            return None
        return order_status_change(
            actor=actor, order=order, status=target, restriction_ground=restriction_ground
        )
    if order.status not in _STATUS_PATH or target not in _STATUS_PATH:
        return None
    if not order_is_cleared_for_credit(order):
        return None  # an invoice order waits for its credit decision
    here, there = (
        _STATUS_PATH.index(OrderStatus(order.status)),
        _STATUS_PATH.index(OrderStatus(target)),
    )
    if there <= here:
        return None
    current = order
    for step in _STATUS_PATH[here + 1 : there + 1]:
        if step in current.allowed_statuses():
            current = order_status_change(
                actor=actor, order=current, status=step, restriction_ground=restriction_ground
            )
    return current


def _settle_when_paid(*, actor: Actor, order: Order, paid_at: datetime.datetime | None) -> Order:
    """The order, settled when it is an open invoice order the sender says is paid."""
    if (
        paid_at is None
        or order.payment_method != PaymentMethod.INVOICE
        or order.settled_at is not None
        or order.status == OrderStatus.CANCELLED
    ):
        return order
    return order_settle(actor=actor, order=order, settled_at=paid_at)


def shop_order_receive(
    *,
    actor: Actor,
    integration: Integration,
    order: ShopOrder,
    check_credit: bool = False,
    on_created: Callable[[Order], None] | None = None,
    customer: Customer | None = None,
    restriction_ground: str = "",
) -> tuple[Order, str]:
    """Takes an order from a shop or an API client, however often it arrives.

    With `check_credit` (the orders API), a new invoice order is checked with the
    credit bureau at the time of the order (P12); web shops' webhooks bring orders
    whose invoicing the shop's own payment provider has already decided.

    The first delivery creates the order (and the customer if new); a replay returns
    the same order; a newer update moves its status forward; an update older than
    the one stored is ignored. Concurrent duplicates meet the unique constraint on
    (integration, external id), and the loser returns the winner's order.

    `on_created` is called with a new order inside its transaction, to store what must
    be stored with it or not at all (the API's idempotency key). A `customer` given (a
    person attached the order to them) is taken without matching.

    A new order or an update of a customer whose processing is restricted raises
    CustomerRestricted before anything is asked or stored, unless the privacy officer
    gave a ground of art. 18(2) (`restriction_ground`)."""
    external_id = order.external_id.strip()
    if not external_id:
        raise ValidationError({"external_id": [_("The shop's order id is missing.")]})
    _order_times_check(order)
    _invoice_sales_check(integration=integration, order=order, check_credit=check_credit)
    existing = Order.objects.filter(integration=integration, external_id=external_id).first()
    on_invoice = order.payment_method == PaymentMethod.INVOICE
    if existing is None:
        # Before the bureau is asked or anything is stored about the buyer.
        _restriction_check(customer or _customer_match(order.customer), restriction_ground)
        credit = None
        if check_credit and order.payment_method == PaymentMethod.INVOICE:
            # A doubtful match is refused before the bureau is asked about anyone.
            if customer is None:
                _customer_match(order.customer)
            credit_check_allowance(integration=integration)
            # Asked before the transaction: no lock is held while the bureau answers.
            # Only about the code sent with the order, never a code the register
            # holds: the decision would tell the integration about that person.
            credit = order_credit_run(
                customer=customer, identity_code=order.customer.identity_code, lines=order.lines
            )
        try:
            with audited_transaction():
                buyer = customer or _customer_for(actor=actor, buyer=order.customer)
                created = order_create(
                    actor=actor,
                    customer=buyer,
                    channel=Channel.WEB_SHOP,
                    payment_method=order.payment_method,
                    lines=order.lines,
                    delivery_address=order.delivery_address,
                    notes=order.notes,
                    integration=integration,
                    external_id=external_id,
                    external_modified_at=order.modified_at,
                    placed_at=order.placed_at,
                    credit_outcome=credit,
                    identity_code=order.customer.identity_code if on_invoice else "",
                    restriction_ground=restriction_ground,
                )
                if order.customer.identity_code.strip() and not on_invoice:
                    _identity_code_not_kept(actor=actor, order=created)
                created = (
                    _advance(
                        actor=actor,
                        order=created,
                        target=order.status,
                        restriction_ground=restriction_ground,
                    )
                    or created
                )
                created = _settle_when_paid(actor=actor, order=created, paid_at=order.paid_at)
                if order.marketing_consents:
                    shop_consents_record(
                        actor=actor,
                        order=created,
                        channels=order.marketing_consents,
                        ip_address=order.buyer_ip_address,
                        user_agent=order.buyer_user_agent,
                    )
                if on_created is not None:
                    on_created(created)
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
    _restriction_check(existing.customer, restriction_ground)
    with audited_transaction():
        locked = Order.objects.select_for_update().get(pk=existing.pk)
        if (
            locked.external_modified_at is not None
            and order.modified_at <= locked.external_modified_at
        ):
            return locked, Outcome.STALE
        moved = (
            _advance(
                actor=actor,
                order=locked,
                target=order.status,
                restriction_ground=restriction_ground,
            )
            is not None
        )
        locked.refresh_from_db()
        settled = _settle_when_paid(actor=actor, order=locked, paid_at=order.paid_at)
        moved = moved or settled.settled_at != locked.settled_at
        Order.objects.filter(pk=locked.pk).update(external_modified_at=order.modified_at)
    locked.refresh_from_db()
    return locked, Outcome.UPDATED if moved else Outcome.UNCHANGED


# What a delivery that was already taken returns: the shop sent it again.
DUPLICATE = "duplicate"


def integration_for_webhook(*, public_id: uuid.UUID, kind: str) -> Integration | None:
    """The active shop integration a webhook URL names, or None."""
    return Integration.objects.filter(
        public_id=public_id, kind=kind, revoked_at__isnull=True
    ).first()


def integration_shop_secret_set(*, actor: Actor, integration: Integration, secret: str) -> None:
    """Replaces the webhook secret with the one the shop chose. Shopify signs with its
    own key (the one shown beside the store's webhooks, or the app's client secret), so
    an administrator pastes that here."""
    secret = secret.strip()
    if not secret:
        raise ValidationError({"secret": [_("Give the shop's webhook secret.")]})
    with audited_transaction():
        Integration.objects.filter(pk=integration.pk).update(
            secret_encrypted=crypto.keyring().encrypt(secret, purpose=SECRET_PURPOSE)
        )
        audit_record(actor=actor, action=Action.UPDATE, obj=integration, changed_fields=["secret"])
    integration.refresh_from_db(fields=["secret_encrypted"])


def integration_consumer_credentials(integration: Integration) -> tuple[str, str]:
    """The WooCommerce REST API consumer key and secret, for pulling orders."""
    ring = crypto.keyring()
    if not integration.consumer_key_encrypted or not integration.consumer_secret_encrypted:
        return "", ""
    return (
        ring.decrypt(integration.consumer_key_encrypted, purpose=CONSUMER_KEY_PURPOSE),
        ring.decrypt(integration.consumer_secret_encrypted, purpose=CONSUMER_SECRET_PURPOSE),
    )


def shop_delivery_refuse(
    *,
    actor: Actor,
    integration: Integration | None,
    reason: str,
    customer: Customer | None = None,
) -> None:
    """Records a signed delivery turned away (malformed, invalid, a doubtful match).
    The reason names fields, never their values; `customer` is the one a doubtful match
    led to."""
    if integration is None:
        audit_record(actor=actor, action=Action.PERMISSION_DENIED, reason=reason[:200])
    else:
        audit_record(
            actor=actor,
            action=Action.PERMISSION_DENIED,
            obj=integration,
            customer=customer,
            reason=reason[:200],
        )


def nul_character_path(data: Any) -> str | None:
    """Where a parsed JSON body holds a NUL character, which PostgreSQL cannot store in
    text: the dotted path of the string, or of the object whose key holds it ("body"
    at the top); None when there is none."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or "body"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if "\x00" in key:
                    return path or "body"
                pending.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            pending.extend(
                (f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value)
            )
    return None


def shop_text(data: Mapping[str, Any], key: str) -> str:
    """A string field of a shop's JSON, stripped; anything else reads as empty."""
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def shop_section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of a shop's JSON; anything else reads as empty."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def shop_amount(value: object, *, field: str) -> Decimal:
    """An amount as a shop sends it: a string such as "12.50" (or a JSON number parsed
    as Decimal), never through float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError({field: [_("Enter an amount such as 12.50.")]})
    try:
        amount = Decimal(str(value).strip() or "0")
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount such as 12.50.")]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [_("Enter an amount such as 12.50.")]})
    return amount


def shop_phone(value: object, *, country: str) -> str:
    """A shop's phone number in E.164, or "" when it is not a valid number: shops do
    not check phone numbers, and a bad one is no reason to refuse an order."""
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        return fi.normalize_phone(value, region=country or fi.FINLAND)
    except fi.InvalidValue:
        return ""


def shop_ip_address(value: object) -> str:
    """A buyer's IP address as the shop saw it, or "" when it is not one."""
    if not isinstance(value, str):
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def shop_time(value: object, *, field: str) -> datetime.datetime:
    """A shop's ISO 8601 time; one without an offset is UTC (WooCommerce's *_gmt)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: [_("Give the time, such as 2026-11-01T10:00:00Z.")]})
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            {field: [_("Give the time, such as 2026-11-01T10:00:00Z.")]}
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


# The orders API (rekisteri/intake/api.py) ------------------------------------------


def integration_order_read(
    *, actor: Actor, integration: Integration, order_number: int
) -> Order | None:
    """One of the integration's own orders with its deliveries and returns, the read
    audited; None for an order of anyone else, as for one that does not exist."""
    order = order_get(order_number=order_number)
    if order is None or order.integration_id != integration.pk:
        return None
    audit_record(
        actor=actor, action=Action.VIEW, obj=order, customer=order.customer, reason="api: read"
    )
    integration_mark_used(integration)
    return order


def api_request_refuse(
    *, actor: Actor, action: str, path: str, reason: str, customer: Customer | None = None
) -> None:
    """Records an API request turned away. The reason names fields, never values;
    `customer` is the register's customer a doubtful match led to, so that the attempt
    shows in their history."""
    audit_record(
        actor=actor,
        action=action,
        object_type="url",
        object_id=path[:64],
        customer=customer,
        reason=reason[:200],
    )
