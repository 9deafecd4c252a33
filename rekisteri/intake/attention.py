"""The deliveries that wait for a person, and what customer service does with them.

A shop's delivery that cannot be taken as it stands (another currency, a field left
empty, a buyer who matches a customer of another name) waits in the inbox in state
ATTENTION (`rekisteri/intake/inbox.py`). A person accepts it with corrections,
attaches it to a customer they chose, or discards it with a reason. Each of these
locks the delivery, checks it still waits, and writes its audit event in the same
transaction; a refusal leaves the delivery and the register as they were.

Also here: the daily reminder to customer service while the list is not empty, what
a delivery's page shows of the order as the shop sent it, and the integration page's
figures and its one setting (the invoice payment methods)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import Count, Min, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rekisteri import fi
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Status
from rekisteri.intake import inbox
from rekisteri.intake.inbox import Correction, Reason
from rekisteri.intake.models import (
    DeliveryState,
    InboxDelivery,
    Integration,
    IntegrationKind,
)

REMINDER_ACTOR = "attention reminder"
REMINDER_OBJECT = "intake.attention_reminder"
INTEGRATION_DAYS = 30
MASK = "••••••-••••"

REASONS: dict[str, Any] = {
    Reason.CURRENCY: gettext_lazy("Another currency than the euro"),
    Reason.INVALID: gettext_lazy("Missing or invalid details"),
    Reason.IDENTITY_CODE: gettext_lazy("The identity code is not valid"),
    Reason.BUYER_MISMATCH: gettext_lazy("The buyer matches a customer whose details differ"),
    Reason.LINES_TOTAL: gettext_lazy("The lines do not add up to the total"),
    Reason.NOT_AN_ORDER: gettext_lazy("Not an order that can be read"),
    Reason.FAILED: gettext_lazy("Processing failed again and again"),
    Reason.RESTRICTED: gettext_lazy("The customer's processing is restricted"),
}

# The Correction's fields as the resolution names them (never their values).
CORRECTED_FIELDS = ("euro_total", "surname", "first_names", "email", "identity_code")


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


# Reads --------------------------------------------------------------------------------


def deliveries_needing_attention() -> QuerySet[InboxDelivery]:
    """The deliveries that wait for a person, those waiting longest first (the partial
    index inbox_attention holds exactly these rows)."""
    return (
        InboxDelivery.objects.filter(state=DeliveryState.ATTENTION)
        .select_related("integration")
        .order_by("received_at", "pk")
    )


def attention_count() -> int:
    """How many deliveries wait for a person: one COUNT over the partial index."""
    return InboxDelivery.objects.filter(state=DeliveryState.ATTENTION).count()


def delivery_get(*, public_id: Any) -> InboxDelivery | None:
    return (
        InboxDelivery.objects.select_related("integration", "customer", "order", "resolved_by")
        .filter(public_id=public_id)
        .first()
    )


def delivery_view_record(*, actor: Actor, delivery: InboxDelivery) -> None:
    """A person read the delivery's page: it shows the buyer's details as sent."""
    customer = delivery.customer or (delivery.order.customer if delivery.order else None)
    with audited_transaction():
        audit_record(actor=actor, action=Action.VIEW, obj=delivery, customer=customer)


def customer_by_number(number: int) -> Customer:
    """The customer staff chose by number; a clear error when there is none."""
    customer = Customer.objects.filter(customer_number=number).first()
    if customer is None:
        raise ValidationError(
            {"customer_number": [_("No customer has the number %(number)s.") % {"number": number}]}
        )
    return customer


# What the shop sent, as a page shows it ------------------------------------------------


@dataclass(frozen=True)
class SentLine:
    name: str
    quantity: str
    unit_price: str
    vat_rate: str


@dataclass(frozen=True)
class SentOrder:
    """The main facts of a delivery's body, read leniently (the body may be why it
    waits), with every identity code in it masked; `raw` is the whole JSON, indented."""

    buyer_name: str = ""
    email: str = ""
    address: list[str] = field(default_factory=list)
    lines: list[SentLine] = field(default_factory=list)
    currency: str = ""
    total: str = ""
    raw: str = ""
    is_purged: bool = False
    is_readable: bool = True

    @property
    def is_euro(self) -> bool:
        return self.currency.upper() in ("", "EUR")


_CODE_IN_TEXT = re.compile(fi.IDENTITY_CODE.pattern, re.IGNORECASE)


def _masked(value: Any) -> Any:
    """The value with every identity code in its texts masked: the page shows the code
    to no one, whatever the shop put where."""
    if isinstance(value, str):
        return _CODE_IN_TEXT.sub(MASK, value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return value


def _text(data: Any, *keys: str) -> str:
    for key in keys:
        value = data.get(key) if isinstance(data, Mapping) else None
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f} %"


def _address(*parts: str) -> list[str]:
    return [part for part in parts if part.strip()]


def _woocommerce(data: Mapping[str, Any]) -> SentOrder:
    billing = _section(data, "billing")
    rates = {
        _text(tax, "rate_id"): _decimal(tax.get("rate_percent"))
        for tax in _items(data, "tax_lines")
    }
    lines = []
    for item in _items(data, "line_items"):
        quantity = _decimal(item.get("quantity"))
        total, tax = _decimal(item.get("total")), _decimal(item.get("total_tax"))
        price = (
            ((total + tax) / quantity).quantize(Decimal("0.01"))
            if quantity and total is not None and tax is not None
            else _decimal(item.get("price"))
        )
        taxes = _items(item, "taxes")
        rate = rates.get(_text(taxes[0], "id")) if taxes else None
        lines.append(
            SentLine(
                _text(item, "name", "sku"),
                _text(item, "quantity"),
                str(price or ""),
                _percent(rate),
            )
        )
    return SentOrder(
        buyer_name=" ".join(_address(_text(billing, "first_name"), _text(billing, "last_name"))),
        email=_text(billing, "email"),
        address=_address(
            _text(billing, "address_1"),
            _text(billing, "address_2"),
            f"{_text(billing, 'postcode')} {_text(billing, 'city')}".strip(),
            _text(billing, "country"),
        ),
        lines=lines,
        currency=_text(data, "currency"),
        total=_text(data, "total"),
    )


def _shopify(data: Mapping[str, Any]) -> SentOrder:
    billing = _section(data, "billing_address") or _section(data, "shipping_address")
    buyer = _section(data, "customer")
    lines = []
    for item in _items(data, "line_items"):
        taxes = _items(item, "tax_lines")
        rate = _decimal(taxes[0].get("rate")) if taxes else None
        lines.append(
            SentLine(
                _text(item, "name", "title", "sku"),
                _text(item, "quantity"),
                _text(item, "price"),
                _percent(rate * 100 if rate is not None else None),
            )
        )
    name = " ".join(
        _address(
            _text(billing, "first_name") or _text(buyer, "first_name"),
            _text(billing, "last_name") or _text(buyer, "last_name"),
        )
    )
    return SentOrder(
        buyer_name=name,
        email=_text(data, "email", "contact_email") or _text(buyer, "email"),
        address=_address(
            _text(billing, "address1"),
            _text(billing, "address2"),
            f"{_text(billing, 'zip')} {_text(billing, 'city')}".strip(),
            _text(billing, "country_code", "country"),
        ),
        lines=lines,
        currency=_text(data, "currency"),
        total=_text(data, "total_price"),
    )


def _generic(data: Mapping[str, Any]) -> SentOrder:
    buyer = _section(data, "customer")
    lines = []
    total = Decimal(0)
    for item in _items(data, "lines"):
        price, quantity = _decimal(item.get("unit_price")), _decimal(item.get("quantity"))
        if price is not None and quantity is not None:
            total += price * quantity
        lines.append(
            SentLine(
                _text(item, "name", "sku"),
                _text(item, "quantity"),
                _text(item, "unit_price"),
                _percent(_decimal(item.get("vat_rate"))),
            )
        )
    return SentOrder(
        buyer_name=" ".join(_address(_text(buyer, "first_names"), _text(buyer, "surname"))),
        email=_text(buyer, "email"),
        address=_address(
            _text(buyer, "street_address"),
            f"{_text(buyer, 'postal_code')} {_text(buyer, 'post_office')}".strip(),
            _text(buyer, "country"),
        ),
        lines=lines,
        currency=_text(data, "currency") or "EUR",
        total=f"{total:.2f}" if lines else "",
    )


_READERS = {
    IntegrationKind.WOOCOMMERCE: _woocommerce,
    IntegrationKind.SHOPIFY: _shopify,
    IntegrationKind.GENERIC: _generic,
}


def sent_order(delivery: InboxDelivery) -> SentOrder:
    """What the shop sent, for the delivery's page (no audit: its view does that)."""
    body = inbox.delivery_body(delivery)
    if not body:
        return SentOrder(is_purged=True, is_readable=False)
    try:
        data = json.loads(body)
    except ValueError:
        return SentOrder(is_readable=False)
    data = _masked(data)
    raw = json.dumps(data, indent=2, ensure_ascii=False)
    if not isinstance(data, dict):
        return SentOrder(raw=raw, is_readable=False)
    read = _READERS.get(IntegrationKind(delivery.integration.kind), _generic)
    try:
        order = read(data)
    except (TypeError, ValueError, ArithmeticError):
        return SentOrder(raw=raw, is_readable=False)
    return SentOrder(**{**vars(order), "raw": raw})


# Writes -------------------------------------------------------------------------------


class _NotTaken(Exception):
    """Raised inside the transaction to roll back a delivery that would still wait."""

    def __init__(self, result: inbox.Result) -> None:
        super().__init__(result.reason)
        self.result = result


def _locked(delivery: InboxDelivery) -> InboxDelivery:
    """The delivery locked for this transaction, if it still waits for a person."""
    locked = (
        InboxDelivery.objects.select_for_update(of=("self",))
        .select_related("integration")
        .filter(pk=delivery.pk)
        .first()
    )
    if locked is None or locked.state != DeliveryState.ATTENTION:
        raise ValidationError(
            _("This delivery no longer waits for a person: someone has already handled it.")
        )
    return locked


def _not_taken_message(result: inbox.Result) -> str:
    if result.reason == Reason.CURRENCY:
        return _("The order is not in euros: give its amount in euros.")
    if result.outcome == inbox.ATTENTION:
        return _("The delivery still cannot be taken (%(reason)s: %(detail)s).") % {
            "reason": reason_label(result.reason),
            "detail": result.detail,
        }
    return _("The delivery could not be processed now. Try again in a moment.")


def _accept(
    *, actor: Actor, delivery: InboxDelivery, correction: Correction, resolution: str
) -> InboxDelivery:
    """Processes the delivery with the correction; anything short of an order rolls
    the whole attempt back (the processing's own audit events with it)."""
    try:
        with audited_transaction():
            locked = _locked(delivery)
            result = inbox.delivery_process(locked, correction=correction)
            if locked.state != DeliveryState.DONE or locked.order is None:
                raise _NotTaken(result)
            locked.resolved_by = actor.user
            locked.resolution = resolution[:500]
            locked.save(update_fields=["resolved_by", "resolution"])
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=locked,
                customer=locked.order.customer,
                changed_fields=["state", "order", "resolution", "resolved_by"],
                reason=resolution[:200],
            )
    except _NotTaken as not_taken:
        raise ValidationError(_not_taken_message(not_taken.result)) from None
    return locked


def delivery_correct(
    *, actor: Actor, delivery: InboxDelivery, correction: Correction
) -> InboxDelivery:
    """Accepts a waiting delivery with corrections (the amount in euros of an order in
    another currency, the buyer's names, email or identity code): it becomes an order
    as if the shop had sent it so. The resolution names the fields corrected."""
    if correction.customer is not None:
        raise ValueError("attach a delivery to a customer with delivery_attach")
    if correction.euro_total is not None and correction.euro_total <= 0:
        raise ValidationError({"euro_total": [_("Give the amount in euros, more than zero.")]})
    corrected = [name for name in CORRECTED_FIELDS if getattr(correction, name) not in ("", None)]
    resolution = (
        f"corrected: {', '.join(corrected)}" if corrected else "accepted without corrections"
    )
    return _accept(actor=actor, delivery=delivery, correction=correction, resolution=resolution)


def delivery_attach(
    *,
    actor: Actor,
    delivery: InboxDelivery,
    customer: Customer,
    euro_total: Decimal | None = None,
) -> InboxDelivery:
    """Accepts a waiting delivery as the order of a customer staff chose (no matching);
    an order in another currency needs its amount in euros too."""
    if customer.status == Status.ANONYMISED:
        raise ValidationError(
            {"customer_number": [_("This customer has been erased: choose another.")]}
        )
    if euro_total is not None and euro_total <= 0:
        raise ValidationError({"euro_total": [_("Give the amount in euros, more than zero.")]})
    resolution = f"attached to customer {customer.customer_number}"
    if euro_total is not None:
        resolution += "; corrected: euro_total"
    return _accept(
        actor=actor,
        delivery=delivery,
        correction=Correction(customer=customer, euro_total=euro_total),
        resolution=resolution,
    )


def delivery_discard(*, actor: Actor, delivery: InboxDelivery, reason: str) -> InboxDelivery:
    """Discards a waiting delivery (a duplicate, a test order, a shop's mistake) for
    the reason staff gave; the delivery itself stays, as it came."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the delivery is discarded.")]})
    with audited_transaction():
        locked = _locked(delivery)
        locked.state = DeliveryState.DISCARDED
        locked.resolution = reason[:500]
        locked.resolved_by = actor.user
        locked.full_clean(validate_unique=False, validate_constraints=False)
        locked.save(update_fields=["state", "resolution", "resolved_by"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            customer=locked.customer,
            changed_fields=["state", "resolution", "resolved_by"],
            reason=reason[:200],
        )
    return locked


# The daily reminder -------------------------------------------------------------------


def _reminded_today(now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditEvent.objects.filter(
        occurred_at__gte=day_start, object_type=REMINDER_OBJECT, actor_label=REMINDER_ACTOR
    ).exists()


def attention_remind(*, now: datetime.datetime | None = None) -> int:
    """Emails customer service how many deliveries wait for a person and since when,
    at most once a (Finnish) day, and only while some wait; returns how many waited
    when it sent, else 0. The audit event of each reminder is what tells a later run
    that today's has gone: it is kept anyway, and needs no table of its own."""
    from rekisteri.accounts.models import User
    from rekisteri.accounts.roles import Role

    now = now or timezone.now()
    summary = InboxDelivery.objects.filter(state=DeliveryState.ATTENTION).aggregate(
        count=Count("pk"), oldest=Min("received_at")
    )
    count: int = summary["count"]
    if not count or _reminded_today(now):
        return 0
    recipients = list(
        User.objects.filter(groups__name=Role.CUSTOMER_SERVICE, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
        .distinct()
    )
    if recipients:
        with translation.override("fi"):
            body = render_to_string(
                "intake/email/attention_reminder.txt",
                {
                    "count": count,
                    "oldest": summary["oldest"],
                    "list_url": settings.PUBLIC_URL + reverse("intake:attention_list"),
                },
            )
            subject = _("Web shop orders waiting for a person: %(count)d") % {"count": count}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    with audited_transaction():
        audit_record(
            actor=Actor.system(REMINDER_ACTOR),
            action=Action.CREATE,
            object_type=REMINDER_OBJECT,
            object_id=timezone.localdate(now).isoformat(),
            reason=f"{count} deliveries needing attention; reminder sent to "
            f"{len(recipients)} customer service staff",
        )
    return count


# Integrations -------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegrationFigures:
    """The integration page's figures: the last delivery, deliveries by state over the
    last days, and what waits now."""

    last_received_at: datetime.datetime | None
    last_state: str
    by_state: list[tuple[str, int]]
    waiting: int
    attention: int
    days: int = INTEGRATION_DAYS


def integration_figures(
    integration: Integration, *, now: datetime.datetime | None = None
) -> IntegrationFigures:
    now = now or timezone.now()
    deliveries = InboxDelivery.objects.filter(integration=integration)
    last = deliveries.order_by("-received_at", "-pk").values("received_at", "state").first()
    since = now - datetime.timedelta(days=INTEGRATION_DAYS)
    counts = {
        row["state"]: row["count"]
        for row in deliveries.filter(received_at__gte=since)
        .values("state")
        .annotate(count=Count("pk"))
        .order_by()
    }
    now_waiting = deliveries.filter(
        state__in=[DeliveryState.WAITING, DeliveryState.ATTENTION]
    ).aggregate(
        waiting=Count("pk", filter=Q(state=DeliveryState.WAITING)),
        attention=Count("pk", filter=Q(state=DeliveryState.ATTENTION)),
    )
    return IntegrationFigures(
        last_received_at=last["received_at"] if last else None,
        last_state=str(DeliveryState(last["state"]).label) if last else "",
        by_state=[(str(state.label), counts.get(state.value, 0)) for state in DeliveryState],
        waiting=now_waiting["waiting"],
        attention=now_waiting["attention"],
    )


def integration_invoice_methods_set(
    *, actor: Actor, integration: Integration, methods: str
) -> Integration:
    """Sets the shop's payment methods whose orders are on invoice, one gateway id per
    line (blank lines and repeats dropped). Only a shop that sells on invoice has any."""
    names: list[str] = []
    for line in methods.replace("\r", "").split("\n"):
        name = line.strip()
        if name and name.lower() not in {known.lower() for known in names}:
            names.append(name)
    if names and not integration.sells_on_invoice:
        raise ValidationError(
            {
                "invoice_payment_methods": [
                    _("This shop does not sell on invoice, so none of its methods bill later.")
                ]
            }
        )
    if integration.revoked_at is not None:
        raise ValidationError(_("This integration has been revoked."))
    with audited_transaction():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        locked.invoice_payment_methods = "\n".join(names)
        locked.full_clean(validate_unique=False, validate_constraints=False)
        locked.save(update_fields=["invoice_payment_methods"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changed_fields=["invoice_payment_methods"],
        )
    integration.invoice_payment_methods = locked.invoice_payment_methods
    return locked
