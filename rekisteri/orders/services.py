"""Writes of orders, deliveries and returns. Each validates first, then writes the
change, its audit event and the customer's last activity in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri import crypto, fi
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.services import (
    ORDER_SOURCES,
    order_consents_check,
    order_consents_record,
)
from rekisteri.credit.services import (
    CreditOutcome,
    credit_check_record,
    credit_check_run,
    order_is_cleared_for_credit,
)
from rekisteri.customers.models import Customer, HeldChangeKind, Status
from rekisteri.customers.restriction import (
    RESTRICTED_MEANWHILE,
    change_hold,
    processing_restricted,
)
from rekisteri.customers.services import (
    IDENTITY_CODE_MESSAGES,
    IDENTITY_CODE_OTHER_STORED,
    customer_identity_code_keep,
    identity_code_decrypt,
    identity_code_differs,
)
from rekisteri.inserts import rows_insert
from rekisteri.orders.confirmations import (
    CONFIRMED_CHANNELS,
    confirmation_channel_of,
    confirmation_language_of,
    tells_of_credit_check,
)
from rekisteri.orders.models import (
    ORDER_TRANSITIONS,
    RETURN_TRANSITIONS,
    VAT_RATES,
    Carrier,
    Channel,
    ConfirmationChannel,
    ConfirmationStatus,
    Delivery,
    DeliveryStatus,
    Order,
    OrderConfirmation,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    Product,
    Return,
    ReturnLine,
    ReturnStatus,
)
from rekisteri.orders.tasks import send_order_confirmation
from rekisteri.running_numbers import next_running_number, running_numbers_reserve
from rekisteri.versioning import version_bump, version_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from rekisteri.consents.models import ConsentText
    from rekisteri.intake.models import Integration

CENT = Decimal("0.01")
NO_IDENTITY_CODE_FOR_INVOICE = _(
    "An invoice order needs the customer's personal identity code for the credit check. "
    "Give it with the order, or choose another payment method."
)
IDENTITY_CODE_ONLY_FOR_INVOICE = _(
    "Only an invoice order needs the identity code (for the credit check and the sale on "
    "credit): leave it empty, or choose invoice."
)
# An invoice order whose credit decision is not an approval may still be cancelled.
CREDIT_GATED_STATUSES = (
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)
MAX_QUANTITY = 100_000
# Amounts are stored with twelve digits, two of them cents.
MAX_AMOUNT = Decimal(10) ** 10


@dataclass(frozen=True)
class LineInput:
    """One order line. Staff give a product code and a quantity and the product's
    current price applies; a web shop gives its own name and price as sold."""

    sku: str
    quantity: int
    name: str = ""
    unit_price: Decimal | None = None
    vat_rate: Decimal | None = None


@dataclass(frozen=True)
class AddressInput:
    name: str
    street_address: str = ""
    postal_code: str = ""
    post_office: str = ""
    country: str = fi.FINLAND


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT included in a VAT-inclusive amount."""
    return money(gross * rate / (Decimal(100) + rate))


def address_of(customer: Customer) -> AddressInput:
    return AddressInput(
        name=f"{customer.first_names} {customer.surname}",
        street_address=customer.street_address,
        postal_code=customer.postal_code,
        post_office=customer.post_office,
        country=str(customer.country),
    )


def _line_vat_rate(rate: object) -> Decimal | None:
    """The VAT rate of a line priced by its sender (a shop or an API client), to one
    decimal, or None when it is no rate. Any rate a shop charged is taken: a Finnish
    shop charges a consumer elsewhere in the EU that country's VAT (One Stop Shop).
    Lines priced from a product keep the product's Finnish rate."""
    if isinstance(rate, bool) or not isinstance(rate, Decimal | int):
        return None
    rate = Decimal(rate)
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(100):
        return None
    rounded = rate.quantize(Decimal("0.1"))
    return rounded + 0 if rounded == rate else None  # + 0: no "-0.0"


def _clean_lines(lines: Sequence[LineInput]) -> list[OrderLine]:
    """Order lines priced and checked, or a ValidationError naming each bad line."""
    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    skus = {line.sku.strip() for line in lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    errors: list[StrOrPromise] = []
    cleaned = []
    for number, line in enumerate(lines, start=1):
        sku = line.sku.strip()
        product = products.get(sku)
        if not isinstance(line.quantity, int) or not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(
                _("Line %(number)s: the quantity must be a whole number from 1 to 100000.")
                % {"number": number}
            )
            continue
        if line.unit_price is None:
            if product is None or not product.is_active:
                errors.append(
                    _("Line %(number)s: no product has the code %(sku)s.")
                    % {"number": number, "sku": sku[:64]}
                )
                continue
            name, unit_price, vat_rate = product.name, product.unit_price, product.vat_rate
        else:
            name = line.name.strip() or (product.name if product else "")
            unit_price = line.unit_price
            vat_rate = (
                line.vat_rate
                if line.vat_rate is not None
                else (product.vat_rate if product else VAT_RATES[0])
            )
            try:
                valid_price = unit_price.is_finite() and unit_price >= 0
            except (InvalidOperation, AttributeError):
                valid_price = False
            if not valid_price:
                errors.append(
                    _("Line %(number)s: the price must be zero or more.") % {"number": number}
                )
                continue
            rate = _line_vat_rate(vat_rate)
            if rate is None:
                errors.append(
                    _("Line %(number)s: the VAT rate must be from 0 to 99.9 %%, to one decimal.")
                    % {"number": number}
                )
                continue
            vat_rate = rate
            if not sku or not name:
                errors.append(
                    _("Line %(number)s: a product code and a name are needed.") % {"number": number}
                )
                continue
        # Compared before rounding: rounding a huge price to cents overflows.
        if unit_price >= MAX_AMOUNT or money(unit_price) * line.quantity >= MAX_AMOUNT:
            errors.append(_("Line %(number)s: the amount is too large.") % {"number": number})
            continue
        cleaned.append(
            OrderLine(
                line_number=number,
                product=product,
                sku=sku[:64],
                name=name[:200],
                unit_price=money(unit_price),
                vat_rate=vat_rate,
                quantity=line.quantity,
                # From the price before rounding: a shop's line of 2 for 6.45 in all
                # stays 6.45 (not twice 3.23), so the order's total is the shop's.
                line_total=money(unit_price * line.quantity),
            )
        )
    if errors:
        raise ValidationError({"lines": errors})
    return cleaned


def _clean_address(address: AddressInput) -> dict[str, str]:
    errors: dict[str, list[StrOrPromise]] = {}
    name = " ".join(address.name.split())
    country = (address.country or fi.FINLAND).upper()
    postal_code = " ".join(address.postal_code.split())
    if not name:
        errors["delivery_name"] = [_("Whom is the order delivered to?")]
    if country not in countries:
        errors["delivery_country"] = [_("Choose a country from the list.")]
    elif postal_code:
        try:
            postal_code = fi.normalize_postal_code(postal_code, country=country)
        except fi.InvalidValue:
            errors["delivery_postal_code"] = [
                _("A Finnish postal code is five digits, such as 90650.")
                if country == fi.FINLAND
                else _("Enter a postal code of letters, digits, spaces and hyphens.")
            ]
    if errors:
        raise ValidationError(errors)
    return {
        "delivery_name": name[:260],
        "delivery_street_address": " ".join(address.street_address.split())[:200],
        "delivery_postal_code": postal_code,
        "delivery_post_office": " ".join(address.post_office.split())[:100],
        "delivery_country": country,
    }


def _next_order_number() -> int:
    return next_running_number(OrderNumberCounter)


def _lines_and_address(
    lines: Sequence[LineInput],
    delivery_address: AddressInput | None,
    customer: Customer,
    errors: dict[str, list[Any]],
) -> tuple[list[OrderLine], dict[str, str]]:
    """An order's checked lines and delivery address (the customer's own when none is
    given); what is wrong with them goes into `errors`, with the caller's own."""
    order_lines: list[OrderLine] = []
    address: dict[str, str] = {}
    try:
        order_lines = _clean_lines(lines)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        address = _clean_address(delivery_address or address_of(customer))
    except ValidationError as error:
        errors.update(error.message_dict)
    return order_lines, address


def _order_built(
    *,
    actor: Actor,
    customer: Customer,
    channel: str,
    payment_method: str,
    order_lines: list[OrderLine],
    address: dict[str, str],
    notes: str,
    integration: Integration | None,
    external_id: str,
    external_modified_at: datetime.datetime | None,
    placed_at: datetime.datetime | None,
    status: str,
    now: datetime.datetime,
) -> Order:
    """The order of checked lines and address, not saved and without its number."""
    order = Order(
        customer=customer,
        channel=channel,
        integration=integration,
        external_id=external_id[:64],
        external_modified_at=external_modified_at,
        status=status,
        payment_method=payment_method,
        total_gross=sum((line.line_total for line in order_lines), Decimal("0.00")),
        total_vat=sum(
            (vat_of(line.line_total, line.vat_rate) for line in order_lines), Decimal("0.00")
        ),
        created_by_user=actor.user,
        created_by_label=actor.label or actor.type,
        notes=notes.strip(),
        placed_at=placed_at or now,
        created_at=now,
        updated_at=now,
        **address,
    )
    # The database enforces the foreign keys, the unique numbers and the checks.
    order.full_clean(
        exclude=["customer", "integration", "created_by_user", "order_number"],
        validate_unique=False,
        validate_constraints=False,
    )
    return order


# What the audit event of a new order names.
ORDER_CREATED_FIELDS = ["lines", "channel", "payment_method", "delivery_address", "status"]


@dataclass(frozen=True)
class NewShopOrder:
    """A web shop's order ready to store in a batch (`shop_orders_store`)."""

    order: Order
    lines: list[OrderLine]


def shop_order_built(
    *,
    actor: Actor,
    customer: Customer,
    payment_method: str,
    lines: Sequence[LineInput],
    delivery_address: AddressInput | None,
    notes: str,
    integration: Integration,
    external_id: str,
    external_modified_at: datetime.datetime | None,
    placed_at: datetime.datetime | None,
    now: datetime.datetime,
) -> NewShopOrder:
    """What `order_create` checks and makes of a web shop's order that is received and
    not on invoice, not saved: for the inbox's batches, which store many at once. Raises
    ValidationError as `order_create` does."""
    errors: dict[str, list[Any]] = {}
    if payment_method not in PaymentMethod.values or payment_method == PaymentMethod.INVOICE:
        errors["payment_method"] = [_("Choose a payment method.")]
    if customer.status == Status.ANONYMISED:
        errors["customer"] = [_("An anonymised customer cannot order.")]
    order_lines, address = _lines_and_address(lines, delivery_address, customer, errors)
    if errors:
        raise ValidationError(errors)
    order = _order_built(
        actor=actor,
        customer=customer,
        channel=Channel.WEB_SHOP,
        payment_method=payment_method,
        order_lines=order_lines,
        address=address,
        notes=notes,
        integration=integration,
        external_id=external_id,
        external_modified_at=external_modified_at,
        placed_at=placed_at,
        status=OrderStatus.RECEIVED,
        now=now,
    )
    return NewShopOrder(order, order_lines)


def shop_orders_store(built: Sequence[NewShopOrder]) -> None:
    """Stores orders made by `shop_order_built` (their customers stored already) with
    a few statements, in the caller's transaction, and moves each customer's last
    activity. The caller writes their audit events (a CREATE each naming
    ORDER_CREATED_FIELDS, as `order_create` does) with the rest of its batch."""
    if not built:
        return
    numbers = running_numbers_reserve(OrderNumberCounter, len(built))
    for item, number in zip(built, numbers, strict=True):
        item.order.order_number = number
    rows_insert([item.order for item in built])
    for item in built:
        for line in item.lines:
            line.order = item.order
    rows_insert([line for item in built for line in item.lines])
    latest: dict[int, datetime.datetime] = {}
    for item in built:
        customer_id = item.order.customer_id
        latest[customer_id] = max(
            item.order.placed_at, latest.get(customer_id, item.order.placed_at)
        )
    for customer_id, moment in latest.items():
        Customer.objects.filter(pk=customer_id, last_activity_at__lt=moment).update(
            last_activity_at=moment
        )


def order_credit_run(
    *, customer: Customer | None, identity_code: str, lines: Sequence[LineInput]
) -> CreditOutcome:
    """The credit decision for an invoice order about to be made, for a caller that
    makes the order inside a transaction of its own (the customer may not exist yet,
    in which case the code must come with the order)."""
    order_lines = _clean_lines(lines)
    if customer is None and not identity_code.strip():
        raise ValidationError({"payment_method": [NO_IDENTITY_CODE_FOR_INVOICE]})
    compact = (
        _identity_code_for_credit(customer, identity_code)
        if customer is not None
        else _identity_code_for_credit(None, identity_code)
    )
    total = sum((line.line_total for line in order_lines), Decimal("0.00"))
    return credit_check_run(identity_code=compact, order_total=total)


def _identity_code_for_credit(customer: Customer | None, given: str) -> str:
    """The code to check: the one given with the order, else the customer's stored one."""
    if given.strip():
        try:
            return fi.normalize_identity_code(
                given, allow_temporary=settings.ACCEPT_TEMPORARY_IDENTITY_CODES
            )
        except fi.InvalidValue as error:
            raise ValidationError(
                {"identity_code": [IDENTITY_CODE_MESSAGES[error.reason]]}
            ) from None
    if customer is not None and customer.has_identity_code:
        return identity_code_decrypt(crypto.keyring(), customer)
    raise ValidationError({"payment_method": [NO_IDENTITY_CODE_FOR_INVOICE]})


def _touch_customer(customer: Customer, moment: datetime.datetime) -> None:
    """The customer's last activity follows their orders (never moves back)."""
    Customer.objects.filter(pk=customer.pk, last_activity_at__lt=moment).update(
        last_activity_at=moment
    )


def order_create(
    *,
    actor: Actor,
    customer: Customer,
    channel: str,
    payment_method: str,
    lines: Sequence[LineInput],
    delivery_address: AddressInput | None = None,
    notes: str = "",
    integration: Integration | None = None,
    external_id: str = "",
    external_modified_at: datetime.datetime | None = None,
    placed_at: datetime.datetime | None = None,
    status: str = OrderStatus.RECEIVED,
    check_credit: bool = False,
    identity_code: str = "",
    credit_outcome: CreditOutcome | None = None,
    consents: Sequence[ConsentText] = (),
    confirm: bool = False,
    restriction_ground: str = "",
) -> Order:
    """Records an order for a customer (P9, P10), with its lines priced and totalled.

    With `check_credit`, an invoice order is checked with the credit bureau at the time
    of the order (P12), with `identity_code` or the customer's stored one, and the
    decision is kept with the order; other payment methods are never checked. An
    `identity_code` given with an invoice order is kept on the customer, for the sale
    on credit (P8); any other order takes none (a ValidationError). A caller
    inside a transaction of its own asks first (`order_credit_run`) and passes the
    `credit_outcome`, so no lock is held while the bureau answers.

    `consents` are the wordings a customer agreed to on the phone or by email while
    ordering (P3, P11): each is a grant with the order as its evidence, written in the
    order's transaction, so that the order and its consents are saved whole or not at
    all. Consents a restricted or anonymised customer cannot be given refuse the order.

    With `confirm`, a phone or email order queues its confirmation to the customer
    (`order_confirmation_queue`) in the order's transaction.

    A restricted customer's order waits for the privacy officer (ChangeHeld,
    `customers.restriction`) unless `restriction_ground` (art. 18(2)) is given: no
    credit check is made and nothing is stored of it but the held change."""
    if consents and channel not in ORDER_SOURCES:
        raise ValueError(f"consents are taken with orders by phone or email, not {channel!r}")
    # Asked first: a customer who cannot be given consents is refused before the
    # bureau is asked about them.
    order_consents_check(customer=customer, channels=[text.channel for text in consents])
    errors: dict[str, list[Any]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose how the order came: web shop, email or phone.")]
    if payment_method not in PaymentMethod.values:
        errors["payment_method"] = [_("Choose a payment method.")]
    if status not in OrderStatus.values:
        errors["status"] = [_("Unknown order status.")]
    if customer.status == Status.ANONYMISED:
        errors["customer"] = [_("An anonymised customer cannot order.")]
    order_lines, address = _lines_and_address(lines, delivery_address, customer, errors)
    if not errors and processing_restricted(customer, ground=restriction_ground):
        raise change_hold(
            actor=actor,
            customer=customer,
            kind=HeldChangeKind.ORDER_CREATE,
            payload={
                "channel": channel,
                "payment_method": payment_method,
                "lines": [vars(line) for line in lines],
                "delivery_address": vars(delivery_address) if delivery_address else None,
                "notes": notes,
                "status": status,
                "check_credit": check_credit,
                "identity_code": identity_code,
                "confirm": confirm,
            },
            changed_fields=ORDER_CREATED_FIELDS,
        )
    compact = ""
    code_given = bool(identity_code.strip())
    if code_given and payment_method != PaymentMethod.INVOICE:
        errors["identity_code"] = [IDENTITY_CODE_ONLY_FOR_INVOICE]
    needs_check = check_credit and payment_method == PaymentMethod.INVOICE and not credit_outcome
    if (needs_check or code_given) and not errors:
        try:
            compact = _identity_code_for_credit(customer, identity_code)
        except ValidationError as error:
            errors.update(error.message_dict)
    if code_given and compact and identity_code_differs(customer, compact):
        errors["identity_code"] = [IDENTITY_CODE_OTHER_STORED]
    if errors:
        raise ValidationError(errors)
    total_gross = sum((line.line_total for line in order_lines), Decimal("0.00"))
    # The bureau is asked before the transaction: no lock is held while it answers.
    outcome = credit_outcome or (
        credit_check_run(identity_code=compact, order_total=total_gross) if needs_check else None
    )
    now = timezone.now()
    with audited_transaction():
        if not restriction_ground and _restricted_locked(customer):
            raise ValidationError(RESTRICTED_MEANWHILE)
        order = _order_built(
            actor=actor,
            customer=customer,
            channel=channel,
            payment_method=payment_method,
            order_lines=order_lines,
            address=address,
            notes=notes,
            integration=integration,
            external_id=external_id,
            external_modified_at=external_modified_at,
            placed_at=placed_at,
            status=status,
            now=now,
        )
        order.order_number = _next_order_number()
        order.save(force_insert=True)
        for line in order_lines:
            line.order = order
        OrderLine.objects.bulk_create(order_lines)
        _touch_customer(customer, order.placed_at)
        if code_given:
            customer_identity_code_keep(actor=actor, customer=customer, compact=compact)
        if outcome is not None:
            credit_check_record(actor=actor, order=order, outcome=outcome)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=order,
            customer=customer,
            changed_fields=ORDER_CREATED_FIELDS,
        )
        if consents:
            order_consents_record(
                actor=actor, order=order, texts=consents, source=ORDER_SOURCES[channel]
            )
        # A restricted customer's order waited above, and is confirmed when it is made.
        if confirm and channel in CONFIRMED_CHANNELS:
            order_confirmation_queue(actor=actor, order=order)
    return order


def _restricted_locked(customer: Customer) -> bool:
    """Whether the customer is restricted, their row locked against a restriction
    arriving before the caller's transaction ends (`customer_restrict` locks it too)."""
    return (
        Customer.objects.select_for_update()
        .filter(pk=customer.pk, status=Status.RESTRICTED)
        .exists()
    )


def order_status_change(
    *,
    actor: Actor,
    order: Order,
    status: str,
    expected_version: int | None = None,
    restriction_ground: str = "",
) -> Order:
    """Moves an order to another status, along the allowed transitions only. The order
    of a restricted customer keeps its status: the change waits for the privacy
    officer (ChangeHeld) unless `restriction_ground` (art. 18(2)) is given."""
    if status != order.status and processing_restricted(order.customer, ground=restriction_ground):
        version_check(Order.objects.get(pk=order.pk), expected_version)
        raise change_hold(
            actor=actor,
            customer=order.customer,
            kind=HeldChangeKind.ORDER_STATUS,
            order=order,
            payload={"status": status, "expected_version": expected_version},
            changed_fields=["status"],
        )
    with audited_transaction():
        current = Order.objects.select_for_update().get(pk=order.pk)
        version_check(current, expected_version)
        if status == current.status:
            return current
        if not restriction_ground and _restricted_locked(current.customer):
            raise ValidationError(RESTRICTED_MEANWHILE)
        if status in CREDIT_GATED_STATUSES and not order_is_cleared_for_credit(current):
            raise ValidationError(
                {
                    "status": [
                        _(
                            "This invoice order goes ahead only when its credit check is "
                            "approved, or a person approves it on review."
                        )
                    ]
                }
            )
        if status not in ORDER_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {
                    "status": [
                        _("An order that is %(current)s cannot become %(new)s.")
                        % {
                            "current": current.get_status_display(),
                            "new": OrderStatus(status).label
                            if status in OrderStatus.values
                            else status[:32],
                        }
                    ]
                }
            )
        current.status = status
        current.updated_at = timezone.now()
        version_bump(current)
        current.save(update_fields=["status", "updated_at", "version"])
        _touch_customer(current.customer, current.updated_at)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["status"],
            reason=f"status {status}",
        )
    return current


def order_settle(
    *,
    actor: Actor,
    order: Order,
    settled_at: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Order:
    """Records that an invoice order's invoice was paid (by staff on the order page, or
    a shop's or API client's paid status), at `settled_at` or now: the sale on credit
    is over, and the retention of the customer's identity code counts from it (P8).
    A time in the future or before the order was placed is taken as now or as the
    placing. An order already paid is returned as it is."""
    with audited_transaction():
        current = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
        version_check(current, expected_version)
        if current.payment_method != PaymentMethod.INVOICE:
            raise ValidationError(
                _("Only an invoice order is paid later: this one was paid when it was placed.")
            )
        if current.status == OrderStatus.CANCELLED:
            raise ValidationError(_("A cancelled order has no invoice to pay."))
        if current.settled_at is not None:
            return current
        now = timezone.now()
        current.settled_at = max(min(settled_at or now, now), current.placed_at)
        current.updated_at = now
        version_bump(current)
        current.save(update_fields=["settled_at", "updated_at", "version"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["settled_at"],
            reason="invoice paid",
        )
    return current


def delivery_create(
    *, actor: Actor, order: Order, carrier: str, tracking_code: str = ""
) -> Delivery:
    if carrier not in Carrier.values:
        raise ValidationError({"carrier": [_("Choose a carrier.")]})
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("A cancelled order is not delivered."))
    with audited_transaction():
        delivery = Delivery(
            order=order,
            carrier=carrier,
            tracking_code=" ".join(tracking_code.split())[:64],
            created_at=timezone.now(),
        )
        delivery.full_clean(exclude=["order"])
        delivery.save()
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=delivery,
            customer=order.customer,
            changed_fields=["carrier", "tracking_code"],
        )
    return delivery


def delivery_status_change(*, actor: Actor, delivery: Delivery, status: str) -> Delivery:
    """Preparing → shipped → delivered, stamping the times."""
    order_of_steps = [DeliveryStatus.PREPARING, DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED]
    with audited_transaction():
        current = Delivery.objects.select_for_update().select_related("order").get(pk=delivery.pk)
        if status not in DeliveryStatus.values or order_of_steps.index(
            DeliveryStatus(status)
        ) <= order_of_steps.index(DeliveryStatus(current.status)):
            raise ValidationError(
                {"status": [_("A delivery moves from preparing to shipped to delivered.")]}
            )
        now = timezone.now()
        current.status = status
        if status in (DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED) and not current.shipped_at:
            current.shipped_at = now
        if status == DeliveryStatus.DELIVERED:
            current.delivered_at = now
        current.save(update_fields=["status", "shipped_at", "delivered_at"])
        _touch_customer(current.order.customer, now)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.order.customer,
            changed_fields=["status"],
            reason=f"delivery {status}",
        )
    return current


def return_create(*, actor: Actor, order: Order, quantities: dict[int, int], reason: str) -> Return:
    """Records a return of some lines of an order. `quantities` maps order line ids to
    how many come back; no more can come back than were sold (earlier returns count)."""
    reason = reason.strip()
    errors: dict[str, list[StrOrPromise]] = {}
    if not reason:
        errors["reason"] = [_("Say why the goods are returned.")]
    wanted = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not wanted:
        errors["lines"] = [_("Choose at least one line and how many come back.")]
    with audited_transaction():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        lines = {line.pk: line for line in locked.lines.all()}
        already: dict[int, int] = {}
        for returned in ReturnLine.objects.filter(return_request__order=locked).exclude(
            return_request__status=ReturnStatus.REJECTED
        ):
            already[returned.order_line_id] = already.get(returned.order_line_id, 0) + (
                returned.quantity
            )
        for line_id, quantity in wanted.items():
            line = lines.get(line_id)
            if line is None or quantity < 0:
                errors.setdefault("lines", []).append(_("Choose lines of this order."))
            elif quantity > line.quantity - already.get(line_id, 0):
                errors.setdefault("lines", []).append(
                    _("At most %(count)s of %(name)s can still come back.")
                    % {"count": line.quantity - already.get(line_id, 0), "name": line.name}
                )
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        return_request = Return.objects.create(
            order=locked, reason=reason, created_at=now, updated_at=now
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(return_request=return_request, order_line=lines[line_id], quantity=qty)
            for line_id, qty in sorted(wanted.items())
        )
        _touch_customer(locked.customer, now)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=return_request,
            customer=locked.customer,
            changed_fields=["lines", "reason"],
        )
    return return_request


def return_status_change(
    *, actor: Actor, return_request: Return, status: str, refund_amount: Decimal | None = None
) -> Return:
    """Requested → received → refunded, or rejected; a refund names its amount."""
    with audited_transaction():
        current = (
            Return.objects.select_for_update().select_related("order").get(pk=return_request.pk)
        )
        if status not in RETURN_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {"status": [_("That change of a return's status is not allowed.")]}
            )
        changed = ["status"]
        if status == ReturnStatus.REFUNDED:
            limit = current.order.total_gross
            if refund_amount is None or not Decimal(0) <= refund_amount <= limit:
                raise ValidationError(
                    {
                        "refund_amount": [
                            _("The refund must be from 0 to %(limit)s €.") % {"limit": limit}
                        ]
                    }
                )
            current.refund_amount = money(refund_amount)
            changed.append("refund_amount")
        current.status = status
        current.updated_at = timezone.now()
        current.save()
        _touch_customer(current.order.customer, current.updated_at)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.order.customer,
            changed_fields=changed,
            reason=f"return {status}",
        )
    return current


def product_save(
    *,
    actor: Actor,
    product: Product | None,
    sku: str,
    name: str,
    unit_price: Decimal,
    vat_rate: Decimal,
    is_active: bool,
) -> Product:
    """Creates or changes a product; orders keep their own snapshot of it."""
    product = product or Product()
    product.sku, product.name = sku.strip(), " ".join(name.split())
    product.unit_price, product.vat_rate, product.is_active = unit_price, vat_rate, is_active
    with audited_transaction():
        product.full_clean()
        created = product.pk is None
        product.save()
        audit_record(
            actor=actor,
            action=Action.CREATE if created else Action.UPDATE,
            obj=product,
            changed_fields=["sku", "name", "unit_price", "vat_rate", "is_active"],
        )
    return product


def order_record_view(*, actor: Actor, order: Order) -> None:
    """Records that a person read an order, which is the customer's personal data."""
    audit_record(actor=actor, action=Action.VIEW, obj=order, customer=order.customer)


def order_confirmation_queue(*, actor: Actor, order: Order) -> OrderConfirmation:
    """Queues the confirmation of a phone or email order to its customer (P7, P12, GDPR
    art. 13): by email, else by SMS, else recorded as not sent so that staff see it on
    the order page. Called in the order's transaction, the task is stored with the
    order: the worker sees it when the order is committed, and never an order that was
    rolled back. An order that waits (its customer restricted) is confirmed when it is
    made, by its maker calling this."""
    customer = order.customer
    channel = confirmation_channel_of(customer)
    with audited_transaction():
        confirmation = OrderConfirmation.objects.create(
            order=order,
            channel=channel,
            status=(
                ConfirmationStatus.NOT_SENT
                if channel == ConfirmationChannel.NONE
                else ConfirmationStatus.QUEUED
            ),
            language=confirmation_language_of(customer),
            tells_of_credit_check=tells_of_credit_check(order),
            requested_at=timezone.now(),
            requested_by_label=actor.label or actor.type,
            detail="no email or mobile number" if channel == ConfirmationChannel.NONE else "",
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=confirmation,
            customer=customer,
            changed_fields=["channel", "status", "language", "tells_of_credit_check"],
            reason=(
                "order confirmation not sent: no email or mobile number"
                if channel == ConfirmationChannel.NONE
                else f"order confirmation by {channel}"
            ),
        )
        if channel != ConfirmationChannel.NONE:
            send_order_confirmation.enqueue(confirmation.pk, 1)
    return confirmation


def order_confirmation_send_again(*, actor: Actor, order: Order) -> OrderConfirmation:
    """Customer service sends a phone or email order's confirmation again (the customer
    did not get it, or their contact data was mended), to the contact data on record now."""
    if order.channel not in CONFIRMED_CHANNELS:
        raise ValidationError(_("The web shop confirms its own orders."))
    if order.customer.status != Status.ACTIVE:
        raise ValidationError(
            _("No confirmation is sent to an erased customer or one whose data is restricted.")
        )
    return order_confirmation_queue(actor=actor, order=order)
