"""The shops' inbox: every authentic delivery is stored before it is answered, and the
worker turns it into an order later, or leaves it for a person.

A shop's webhook sender wants a 2xx within seconds and does not care what we make of
the order; WooCommerce never retries a failed delivery and Shopify gives up after
hours. So the answer depends only on whether the delivery is authentic (its key or
signature, its size, JSON that parses), and nothing a shop sends is thrown away:
another currency, a field left empty or a buyer who matches a customer of another
name waits in the list customer service works from (`rekisteri/intake/attention.py`).

Storing is one INSERT in autocommit, and the receipt is the row itself; the audit
trail records what became of the delivery, when it is processed. The body is
encrypted with the key ring, bound to its row, and purged by the retention run a set
time after the delivery became an order (or at once when the customer is erased)."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from rekisteri import crypto, fi
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import (
    Actor,
    audit_event_build,
    audit_record,
    audit_records_insert,
    audited_transaction,
)
from rekisteri.audit.subject_keys import SubjectKeys
from rekisteri.customers.models import Customer, CustomerNumberCounter, Source, Status
from rekisteri.customers.services import (
    customer_built,
    customer_created_fields,
    customer_input_clean,
)
from rekisteri.inserts import row_insert_unless_taken, rows_insert
from rekisteri.intake import payloads, shopify, woocommerce
from rekisteri.intake.models import (
    DeliverySource,
    DeliveryState,
    InboxDelivery,
    Integration,
    IntegrationKind,
)
from rekisteri.intake.services import (
    NOT_AN_INVOICE_SELLER_CODE,
    BuyerMismatch,
    CreditChecksUsedUp,
    CustomerRestricted,
    Outcome,
    ShopOrder,
    buyer_agrees,
    buyer_input,
    integration_actor,
    nul_character_path,
    order_times_check,
    shop_order_receive,
)
from rekisteri.orders.models import Order, OrderStatus, PaymentMethod
from rekisteri.orders.services import (
    ORDER_CREATED_FIELDS,
    NewShopOrder,
    shop_order_built,
    shop_orders_store,
)
from rekisteri.running_numbers import running_numbers_reserve

logger = logging.getLogger(__name__)

BODY_PURPOSE = "intake.inbox.body"
# A batch holds its rows locked on PostgreSQL (other workers skip them); SQLite has
# one writer, and a long batch there would keep the webhooks' own inserts waiting.
BATCH_SIZE = 200
SQLITE_BATCH_SIZE = 50
# A batch stops taking more after this long: on SQLite its transaction holds the one
# write lock, and a webhook's insert waits for it (busy timeout 20 s) under any load.
BATCH_SECONDS = 1.0
# A delivery that fails for a reason not its own (a bug, the bureau away) is tried
# again later, with a growing pause, and then left for a person.
MAX_ATTEMPTS = 8


# The unique index `inbox_delivery_once` (models.py) as ON CONFLICT names it.
ONCE_PER_KEY = "(integration_id, delivery_key) WHERE NOT (delivery_key = '')"


class Reason:
    """Why a delivery waits for a person (the list's filter and its help text)."""

    CURRENCY = "currency"
    INVALID = "invalid"
    IDENTITY_CODE = "identity_code"
    BUYER_MISMATCH = "buyer_mismatch"
    LINES_TOTAL = "lines_total"
    NOT_AN_ORDER = "not_an_order"
    FAILED = "failed"
    RESTRICTED = "restricted"


class NulCharacter(ValueError):
    """The JSON holds a NUL character (which PostgreSQL cannot store in text) at `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(f"a NUL character at {path}")
        self.path = path


class DeliveryKeyReused(Exception):
    """An API client sent an Idempotency-Key again with another body."""


@dataclass(frozen=True)
class Stored:
    """A delivery in the inbox; `repeated` when its key had already brought it."""

    delivery: InboxDelivery
    repeated: bool = False


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def delivery_store(
    *,
    integration: Integration,
    source: str,
    body: bytes,
    topic: str = "",
    delivery_key: str = "",
    digest: str = "",
    state: str = DeliveryState.WAITING,
    compare_digest: bool = False,
    ip_address: str | None = None,
    request_id: str = "",
) -> Stored:
    """Stores an authentic delivery, encrypted, and returns its receipt.

    The same `delivery_key` again (a shop's retry, a client's Idempotency-Key) returns
    the first delivery and stores nothing; with `compare_digest`, one whose body
    differs raises DeliveryKeyReused. `body` must be UTF-8 (it parsed as JSON)."""
    public_id = uuid.uuid4()
    now = timezone.now()
    delivery = InboxDelivery(
        public_id=public_id,
        integration=integration,
        source=source,
        topic=topic[:60],
        delivery_key=delivery_key[:255],
        body_digest=digest or body_digest(body),
        body_encrypted=crypto.keyring().encrypt(
            body.decode("utf-8"), purpose=BODY_PURPOSE, row=str(public_id)
        ),
        received_at=now,
        ip_address=ip_address,
        request_id=request_id[:64],
        state=state,
        processed_at=now if state != DeliveryState.WAITING else None,
    )
    if not delivery.delivery_key:
        delivery.save(force_insert=True)
        return Stored(delivery)
    # One statement, no transaction: the acknowledgement's whole cost in the database.
    if row_insert_unless_taken(delivery, conflict=ONCE_PER_KEY):
        return Stored(delivery)
    first = InboxDelivery.objects.filter(
        integration=integration, delivery_key=delivery.delivery_key
    ).first()
    if first is None:  # taken, and gone since? Rows are never deleted: cannot happen
        raise IntegrityError("a delivery key was taken by no delivery")
    if compare_digest and first.body_digest != delivery.body_digest:
        raise DeliveryKeyReused
    return Stored(first, repeated=True)


def delivery_body(delivery: InboxDelivery) -> bytes:
    """The delivery's body as it came, or b"" once purged."""
    if not delivery.body_encrypted:
        return b""
    return (
        crypto.keyring()
        .decrypt(delivery.body_encrypted, purpose=BODY_PURPOSE, row=str(delivery.public_id))
        .encode("utf-8")
    )


def _refuse_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not a number")


def json_parses(body: bytes) -> bool:
    """Whether the body is JSON at all: what a delivery must be to be stored (one that
    is not an order object still waits for a person to look at it)."""
    try:
        json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


def json_object(body: bytes) -> Mapping[str, Any]:
    """The body's JSON object with numbers kept exact: integers as int (Shopify's ids
    exceed 2^53), decimals as Decimal; ValueError when it is not one."""

    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, RecursionError) as error:
        raise ValueError(str(error)) from None
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    path = nul_character_path(data)
    if path is not None:
        raise NulCharacter(path)
    return data


# Processing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """What a person gave to accept a delivery that waited: the amount in euros of an
    order in another currency, corrected buyer details, or the customer to attach it
    to (no matching then). Empty values leave the shop's own."""

    euro_total: Decimal | None = None
    surname: str = ""
    first_names: str = ""
    email: str = ""
    identity_code: str = ""
    customer: Customer | None = None
    # The privacy officer's ground of GDPR art. 18(2) for taking the order of a
    # customer whose processing is restricted (`privacy.restriction`).
    restriction_ground: str = ""


# Where each kind of delivery is read: the mapping of its JSON to a ShopOrder.
def _mapper(delivery: InboxDelivery) -> Callable[[Mapping[str, Any]], ShopOrder]:
    kind = delivery.integration.kind
    if kind == IntegrationKind.WOOCOMMERCE:
        return woocommerce.order_from_payload
    if kind == IntegrationKind.SHOPIFY:
        return shopify.order_from_payload
    return payloads.order_from_payload


def _fields(error: ValidationError) -> str:
    """The fields an error names and its messages: never the values sent."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in sorted(error.message_dict.items())
        )[:500]
    return " ".join(str(m) for m in error.messages)[:500]


def _reason(error: ValidationError) -> str:
    """IDENTITY_CODE for a code that is not valid; INVALID for the rest, such as a
    code from an integration that may send none (valid or not)."""
    codes = (
        [item.code for item in error.error_dict["identity_code"]]
        if hasattr(error, "error_dict") and "identity_code" in error.error_dict
        else []
    )
    if codes and NOT_AN_INVOICE_SELLER_CODE not in codes:
        return Reason.IDENTITY_CODE
    return Reason.INVALID


def _is_invoice(order: ShopOrder, integration: Integration) -> bool:
    names = {
        name.strip().lower()
        for name in integration.invoice_payment_methods.replace(",", "\n").splitlines()
        if name.strip()
    }
    return bool(order.payment_gateway) and order.payment_gateway.strip().lower() in names


def _in_euros(order: ShopOrder, euro_total: Decimal) -> ShopOrder:
    """The order with each line's price scaled so that the total is `euro_total`, to
    the cent: the last line takes the cent that rounding the others leaves over."""
    total = sum(
        ((line.unit_price or Decimal(0)) * line.quantity for line in order.lines), Decimal(0)
    )
    if total <= 0:
        raise ValidationError({"euro_total": ["The order's lines have no amount to convert."]})
    factor = euro_total / total
    cent = Decimal("0.01")
    lines = [
        replace(line, unit_price=(line.unit_price or Decimal(0)) * factor) for line in order.lines
    ]
    # Each line's total is rounded to the cent when the order is made.
    rounded = sum(
        (
            ((line.unit_price or Decimal(0)) * line.quantity).quantize(cent, rounding=ROUND_HALF_UP)
            for line in lines
        ),
        Decimal(0),
    )
    last = lines[-1]
    if rounded != euro_total and isinstance(last.quantity, int) and last.quantity > 0:
        lines[-1] = replace(
            last,
            unit_price=(last.unit_price or Decimal(0)) + (euro_total - rounded) / last.quantity,
        )
    note = f"{order.currency} {total:.2f} = EUR {euro_total:.2f}"
    return replace(
        order,
        lines=lines,
        currency="EUR",
        stated_total=None,
        notes=f"{order.notes}\n{note}".strip(),
    )


def _copy_waits(delivery: InboxDelivery) -> bool:
    """Whether an earlier delivery of the same order with the same body waits for a
    person (a shop's repeat, or the catch-up sync's copy of a webhook's order)."""
    return (
        InboxDelivery.objects.filter(
            integration_id=delivery.integration_id,
            external_id=delivery.external_id,
            body_digest=delivery.body_digest,
            state=DeliveryState.ATTENTION,
        )
        .exclude(pk=delivery.pk)
        .exists()
    )


def _lines_add_up(order: ShopOrder) -> bool:
    """Whether the lines make the total the shop states, within a cent a line. Lines
    with a quantity of no use are left to the order's own checks, which name them."""
    if order.stated_total is None or any(
        not isinstance(line.quantity, int) or line.quantity <= 0 for line in order.lines
    ):
        return True
    total = sum(
        ((line.unit_price or Decimal(0)) * line.quantity for line in order.lines), Decimal(0)
    )
    return abs(total - order.stated_total) <= Decimal("0.01") * max(len(order.lines), 1)


def _corrected(order: ShopOrder, correction: Correction) -> ShopOrder:
    buyer = order.customer
    buyer = replace(
        buyer,
        surname=correction.surname or buyer.surname,
        first_names=correction.first_names or buyer.first_names,
        email=correction.email or buyer.email,
        identity_code=correction.identity_code or buyer.identity_code,
    )
    order = replace(order, customer=buyer)
    if correction.euro_total is not None and order.currency != "EUR":
        order = _in_euros(order, correction.euro_total)
    return order


@dataclass(frozen=True)
class Result:
    """What became of a delivery: an outcome of `Outcome`, or "attention" with a reason."""

    outcome: str
    reason: str = ""
    detail: str = ""
    customer: Customer | None = None


ATTENTION = "attention"
TEST = "test"


def _result(delivery: InboxDelivery, correction: Correction | None) -> Result:
    """Maps and receives one delivery inside the caller's savepoint."""
    try:
        data = json_object(delivery_body(delivery))
    except NulCharacter as nul:
        return Result(ATTENTION, Reason.INVALID, f"{nul.path}: Null characters are not allowed.")
    except ValueError:
        return Result(ATTENTION, Reason.NOT_AN_ORDER, "The body is not one JSON object.")
    try:
        order = _mapper(delivery)(data)
    except ValidationError as error:
        return Result(ATTENTION, Reason.INVALID, _fields(error))
    if order.is_test:
        return Result(TEST)
    delivery.external_id = order.external_id[:64]
    if correction is not None:
        try:
            order = _corrected(order, correction)
        except ValidationError as error:
            return Result(ATTENTION, Reason.INVALID, _fields(error))
    result = _received(delivery, order, correction)
    if result.outcome == ATTENTION and correction is None and _copy_waits(delivery):
        # Another copy of this very order waits for a person: one item, not two.
        return Result(Outcome.UNCHANGED)
    return result


def _received(delivery: InboxDelivery, order: ShopOrder, correction: Correction | None) -> Result:
    """The mapped order received into the register, or why it waits for a person."""
    integration = delivery.integration
    if order.currency.upper() != "EUR":
        return Result(ATTENTION, Reason.CURRENCY, f"currency: {order.currency[:3]}")
    if not _lines_add_up(order):
        return Result(ATTENTION, Reason.LINES_TOTAL, "lines: the lines do not add up to the total")
    check_credit = delivery.source == DeliverySource.API
    if _is_invoice(order, integration):
        order = replace(order, payment_method=PaymentMethod.INVOICE)
        check_credit = True
    actor = _actor(delivery)
    try:
        received, outcome = shop_order_receive(
            actor=actor,
            integration=integration,
            order=order,
            check_credit=check_credit,
            customer=correction.customer if correction else None,
            restriction_ground=correction.restriction_ground if correction else "",
        )
    except BuyerMismatch as mismatch:
        return Result(ATTENTION, Reason.BUYER_MISMATCH, str(mismatch), customer=mismatch.customer)
    except CustomerRestricted as restricted:
        return Result(
            ATTENTION,
            Reason.RESTRICTED,
            "customer: the customer's processing is restricted (GDPR art. 18)",
            customer=restricted.customer,
        )
    except ValidationError as error:
        return Result(ATTENTION, _reason(error), _fields(error))
    delivery.order = received
    audit_record(
        actor=actor,
        action={Outcome.CREATED: Action.CREATE, Outcome.UPDATED: Action.UPDATE}.get(
            outcome, Action.VIEW
        ),
        obj=received,
        customer=received.customer,
        reason=f"{_source(delivery)}: {outcome}"[:200],
    )
    return Result(outcome)


def _actor(delivery: InboxDelivery) -> Actor:
    """The integration as the audit trail sees it, from the address it sent from."""
    return integration_actor(
        delivery.integration, ip_address=delivery.ip_address, request_id=delivery.request_id
    )


def _source(delivery: InboxDelivery) -> str:
    kind = delivery.integration.kind
    return f"{kind} {delivery.topic}".strip() if delivery.source != "api" else "api"


def _apply(delivery: InboxDelivery, result: Result, now: datetime.datetime) -> None:
    """Writes what became of the delivery into its row (not saved)."""
    delivery.processed_at = now
    delivery.next_attempt_at = None
    delivery.reason, delivery.detail = result.reason, result.detail[:500]
    delivery.customer = result.customer
    if result.outcome == ATTENTION:
        delivery.state = DeliveryState.ATTENTION
    elif result.outcome == TEST:
        delivery.state = DeliveryState.TEST
    else:
        delivery.state = DeliveryState.DONE
        delivery.outcome = result.outcome


_SAVED_FIELDS = [
    "state",
    "outcome",
    "reason",
    "detail",
    "external_id",
    "order",
    "customer",
    "attempts",
    "next_attempt_at",
    "processed_at",
]


def _audit_attention(delivery: InboxDelivery, result: Result) -> None:
    audit_record(
        actor=_actor(delivery),
        action=Action.CREATE,
        obj=delivery,
        customer=result.customer,
        reason=f"{_source(delivery)}: needs attention: {result.reason}"[:200],
    )


def delivery_process(delivery: InboxDelivery, *, correction: Correction | None = None) -> Result:
    """Processes one delivery now, in a savepoint of the caller's transaction: it
    becomes an order (or updates one), a test notification, or waits for a person.
    A failure not of the delivery's own making leaves it waiting for a later try."""
    now = timezone.now()
    delivery.attempts += 1
    try:
        with audited_transaction():
            result = _result(delivery, correction)
            _apply(delivery, result, now)
            if result.outcome == ATTENTION:
                _audit_attention(delivery, result)
            elif result.outcome == TEST:
                Integration.objects.filter(pk=delivery.integration_id).update(test_received_at=now)
            delivery.save(update_fields=_SAVED_FIELDS)
    except CreditChecksUsedUp as used_up:
        # Waiting for the hour's checks is no failed attempt.
        delivery.attempts -= 1
        delivery.order = None
        delivery.next_attempt_at = now + datetime.timedelta(seconds=used_up.retry_after)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return Result(Outcome.UNCHANGED, "credit_checks_used_up")
    except Exception as error:
        # The error's text may quote the data; the log names only its kind.
        logger.error(  # the traceback could show the body's values
            "delivery %s failed (%s); it will be tried again", delivery.pk, type(error).__name__
        )
        delivery.order = None
        if delivery.attempts >= MAX_ATTEMPTS:
            result = Result(ATTENTION, Reason.FAILED, type(error).__name__)
            with audited_transaction():
                _apply(delivery, result, now)
                _audit_attention(delivery, result)
                delivery.save(update_fields=_SAVED_FIELDS)
            return result
        pause = datetime.timedelta(seconds=min(2**delivery.attempts * 5, 3600))
        delivery.next_attempt_at = now + pause
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return Result(Outcome.UNCHANGED, "retry")
    return result


def deliveries_waiting() -> QuerySet[InboxDelivery]:
    now = timezone.now()
    return InboxDelivery.objects.filter(state=DeliveryState.WAITING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


# The batch path ---------------------------------------------------------------------
#
# Most deliveries are a new, received order, paid or paid on delivery, from a buyer
# known by email or new: those of a batch are made together with a few statements (the
# customers, orders and lines as multi-row INSERTs, their audit events as one) instead
# of some sixteen each. Anything else (an update, an invoice order, consents, another
# currency, a doubtful buyer, what the order's checks refuse) goes the one-by-one way
# below, which is the reference: the batch path makes exactly what it would make.


@dataclass
class _Fast:
    delivery: InboxDelivery
    order: ShopOrder
    email: str
    customer: Customer | None = None
    new_customer: bool = False
    built: NewShopOrder | None = None


def _fast_candidate(delivery: InboxDelivery) -> _Fast | None:
    """The delivery's order when the batch path can make it, else None."""
    if delivery.attempts:
        return None  # tried before: one by one, with its failures counted
    try:
        order = _mapper(delivery)(json_object(delivery_body(delivery)))
        order_times_check(order)
        email = fi.normalize_email(order.customer.email) if order.customer.email else ""
    except (ValueError, ValidationError, fi.InvalidValue):
        return None
    if (
        order.is_test
        or not email
        or not order.external_id.strip()
        or order.currency.upper() != "EUR"
        or order.status != OrderStatus.RECEIVED
        or order.payment_method == PaymentMethod.INVOICE
        or order.customer.identity_code.strip()
        or order.marketing_consents
        or _is_invoice(order, delivery.integration)
        or not _lines_add_up(order)
    ):
        return None
    delivery.external_id = order.external_id.strip()[:64]
    return _Fast(delivery, replace(order, external_id=delivery.external_id), email)


def _fast_customers(fast: list[_Fast], now: datetime.datetime) -> list[_Fast]:
    """Gives each its customer: the one its email finds (when the names agree), or a
    new one made once for every delivery of that email. Drops those that cannot."""
    found: dict[str, Customer] = {}
    for customer in Customer.objects.filter(email__in={item.email for item in fast}).order_by(
        "-customer_number"
    ):
        found[customer.email] = customer  # the lowest number last: the one matching takes
    made: dict[str, Customer | None] = {}
    kept: list[_Fast] = []
    for item in fast:
        buyer = item.order.customer
        if item.email in found:
            item.customer = found[item.email]
            if not buyer_agrees(buyer, item.customer):
                continue  # a doubtful match: one by one, to wait for a person
            if item.customer.status == Status.RESTRICTED:
                continue  # one by one, to wait for the privacy officer
        else:
            if item.email not in made:
                try:
                    values, _code = customer_input_clean(buyer_input(buyer), "")
                    made[item.email] = customer_built(
                        values=values, compact="", source=Source.WEB_SHOP, now=now
                    )
                except ValidationError:
                    made[item.email] = None
            new = made[item.email]
            if new is None:
                continue
            # The same buyer twice in a batch: the second is the first's customer, and
            # one whose name differs from the first's is doubtful, as it would be after.
            if any(other.customer is new for other in kept) and not buyer_agrees(buyer, new):
                continue
            item.customer, item.new_customer = new, True
        kept.append(item)
    return kept


def _fast_batch(batch: list[InboxDelivery]) -> set[int]:
    """Makes the batch's plain new orders together (see above); returns the ids of the
    deliveries it made. Any failure undoes all of it and leaves them to one by one."""
    now = timezone.now()
    fast: list[_Fast] = []
    taken: set[tuple[int, str]] = set()
    for delivery in batch:
        item = _fast_candidate(delivery)
        if item is None or (delivery.integration_id, delivery.external_id) in taken:
            continue
        taken.add((delivery.integration_id, delivery.external_id))
        fast.append(item)
    if not fast:
        return set()
    existing = set(
        Order.objects.filter(
            integration_id__in={item.delivery.integration_id for item in fast},
            external_id__in={item.delivery.external_id for item in fast},
        ).values_list("integration_id", "external_id")
    )
    fast = [
        item
        for item in fast
        if (item.delivery.integration_id, item.delivery.external_id) not in existing
    ]
    fast = _fast_customers(fast, now)
    for item in fast:
        order = item.order
        assert item.customer is not None
        try:
            item.built = shop_order_built(
                actor=_actor(item.delivery),
                customer=item.customer,
                payment_method=order.payment_method,
                lines=order.lines,
                delivery_address=order.delivery_address,
                notes=order.notes,
                integration=item.delivery.integration,
                external_id=order.external_id,
                external_modified_at=order.modified_at,
                placed_at=order.placed_at,
                now=now,
            )
        except ValidationError:
            item.built = None
    fast = [item for item in fast if item.built is not None]
    if not fast:
        return set()
    try:
        with transaction.atomic():
            _fast_store(fast, now)
    except DatabaseError as error:
        logger.error(  # the traceback could quote a value
            "a batch of %s deliveries could not be made together (%s); one by one instead",
            len(fast),
            type(error).__name__,
        )
        for item in fast:  # as they were claimed (never tried: see _fast_candidate)
            delivery = item.delivery
            delivery.state, delivery.outcome, delivery.attempts = DeliveryState.WAITING, "", 0
            delivery.order, delivery.processed_at = None, None
        return set()
    return {item.delivery.pk for item in fast}


def _fast_store(fast: list[_Fast], now: datetime.datetime) -> None:
    new_customers: list[Customer] = []
    for item in fast:
        customer = item.customer
        if (
            item.new_customer
            and customer is not None
            and customer.pk is None
            and all(customer is not other for other in new_customers)
        ):
            new_customers.append(customer)
    if new_customers:
        numbers = running_numbers_reserve(CustomerNumberCounter, len(new_customers))
        for customer, number in zip(new_customers, numbers, strict=True):
            customer.customer_number = number
        rows_insert(new_customers)
    # The orders take their new customers' ids as they are stored (as bulk_create does).
    shop_orders_store([item.built for item in fast if item.built is not None])
    keys = SubjectKeys().load(item.customer.pk for item in fast if item.customer is not None)
    trail: list[AuditEvent] = []
    announced: set[int] = set()
    for item in fast:
        actor, owner, order = _actor(item.delivery), item.customer, item.built
        assert owner is not None and order is not None
        if item.new_customer and owner.pk not in announced:
            announced.add(owner.pk)
            values, _code = customer_input_clean(buyer_input(item.order.customer), "")
            trail.append(
                audit_event_build(
                    actor=actor,
                    action=Action.CREATE,
                    obj=owner,
                    customer=owner,
                    changed_fields=customer_created_fields(values, ""),
                    occurred_at=now,
                )
            )
        trail.append(
            audit_event_build(
                actor=actor,
                action=Action.CREATE,
                obj=order.order,
                customer=owner,
                changed_fields=ORDER_CREATED_FIELDS,
                occurred_at=now,
            )
        )
        trail.append(
            audit_event_build(
                actor=actor,
                action=Action.CREATE,
                obj=order.order,
                customer=owner,
                reason=f"{_source(item.delivery)}: {Outcome.CREATED}"[:200],
                occurred_at=now,
                keys=keys,
            )
        )
        delivery = item.delivery
        delivery.attempts += 1
        _apply(delivery, Result(Outcome.CREATED), now)
        delivery.order = order.order
    audit_records_insert(trail)
    InboxDelivery.objects.bulk_update([item.delivery for item in fast], _SAVED_FIELDS)


def inbox_process(*, limit: int | None = None) -> Counter[str]:
    """Processes a batch of waiting deliveries, oldest first, in one transaction; on
    PostgreSQL rows another worker holds are skipped. Returns the count of each result
    ("created", "updated", "attention", "test", ...)."""
    size = limit or (SQLITE_BATCH_SIZE if connection.vendor == "sqlite" else BATCH_SIZE)
    counts: Counter[str] = Counter()
    with transaction.atomic():
        batch = list(
            deliveries_waiting()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("integration")
            .order_by("id")[:size]
        )
        made = _fast_batch(batch)
        if made:  # (a Counter with a zero in it is not empty)
            counts[Outcome.CREATED] += len(made)
        started = time.monotonic()
        for delivery in batch:
            if delivery.pk in made:
                continue
            counts[delivery_process(delivery).outcome] += 1
            if time.monotonic() - started > BATCH_SECONDS:
                break  # the rest wait for the next batch; the lock is held no longer
    return counts


def inbox_drain(*, limit: int | None = None) -> Counter[str]:
    """Processes batches until nothing is waiting (or `limit` deliveries are done)."""
    total: Counter[str] = Counter()
    while True:
        counts = inbox_process()
        total.update(counts)
        if not counts or (limit is not None and sum(total.values()) >= limit):
            return total


def delivery_process_now(delivery: InboxDelivery) -> InboxDelivery:
    """Processes one delivery at once if it is still waiting and no worker holds it
    (RFC 7240 `Prefer: wait`); returns the row as it now is."""
    with transaction.atomic():
        locked = (
            InboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("integration")
            .filter(pk=delivery.pk, state=DeliveryState.WAITING)
            .first()
        )
        if locked is not None:
            delivery_process(locked)
            return locked
    return InboxDelivery.objects.select_related("integration").get(pk=delivery.pk)
