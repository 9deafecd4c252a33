"""The privacy officer's decisions on what waited while a customer's processing was
restricted (GDPR art. 18): the changes staff asked for (`customers.restriction`) and
the shops' orders in the inbox (reason "restricted").

A change is applied only on a ground of art. 18(2) (the person's consent, a legal
claim, another person's rights, an important public interest), or after the
restriction was lifted; or it is rejected. Each decision locks what it decides, runs
the service that applies the change with the ground (so that it is not kept waiting
again), and writes its audit event in the same transaction: a refusal changes
nothing. The kept request is cleared once decided: it is needed no longer."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import (
    Customer,
    HeldChange,
    HeldChangeKind,
    HeldChangeState,
    RestrictionGround,
    Status,
)
from rekisteri.customers.restriction import held_changes_waiting, held_payload
from rekisteri.customers.services import CustomerInput, customer_update
from rekisteri.intake.attention import delivery_correct
from rekisteri.intake.inbox import Correction, Reason
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.orders.models import Order
from rekisteri.orders.services import AddressInput, LineInput, order_create, order_status_change
from rekisteri.privacy.erasure.personal_terms import reason_clean
from rekisteri.reasons import REASON_MIN_LENGTH
from rekisteri.versioning import Conflict

# The grounds of art. 18(2) on which a restricted customer's data may be processed.
GROUNDS_WHILE_RESTRICTED = (
    RestrictionGround.CONSENT,
    RestrictionGround.LEGAL_CLAIMS,
    RestrictionGround.OTHER_PERSON,
    RestrictionGround.PUBLIC_INTEREST,
)
ALREADY_DECIDED = _("This change has already been decided.")
CHANGED_SINCE = _(
    "The data was changed after this change was asked for. Reject it, and have it asked "
    "for again if it is still needed."
)


def deliveries_waiting_for_restriction() -> QuerySet[InboxDelivery]:
    """The shops' orders that wait because their customer's processing is restricted."""
    return (
        InboxDelivery.objects.filter(state=DeliveryState.ATTENTION, reason=Reason.RESTRICTED)
        .select_related("customer", "integration")
        .order_by("received_at", "pk")
    )


def waiting_count() -> int:
    """What waits for the privacy officer's decision: the start page's figure."""
    return held_changes_waiting().count() + deliveries_waiting_for_restriction().count()


def held_change_get(*, public_id: Any) -> HeldChange | None:
    return (
        HeldChange.objects.select_related("customer", "order", "requested_by", "decided_by")
        .filter(public_id=public_id)
        .first()
    )


def held_change_view_record(*, actor: Actor, held: HeldChange) -> None:
    """The privacy officer read what was asked: it is the customer's data."""
    with audited_transaction():
        audit_record(actor=actor, action=Action.VIEW, obj=held, customer=held.customer)


def _ground_for(customer: Customer, ground: str) -> str:
    """The ground the decision records: one of art. 18(2) while the customer is
    restricted; "lifted" once they are active again."""
    if customer.status == Status.ANONYMISED:
        raise ValidationError(_("The customer has been anonymised: reject the change."))
    if customer.status == Status.ACTIVE:
        return RestrictionGround.LIFTED
    if ground not in GROUNDS_WHILE_RESTRICTED:
        raise ValidationError(
            {
                "ground": [
                    _(
                        "The processing is restricted: choose the ground of GDPR art. 18(2) "
                        "on which the change may be made."
                    )
                ]
            }
        )
    return ground


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _change_apply(*, actor: Actor, held: HeldChange, customer: Customer, ground: str) -> None:
    """Makes the change as it was asked, with the ground, so that it is not held again."""
    data = held_payload(held)
    if held.kind == HeldChangeKind.CUSTOMER_UPDATE:
        customer_update(
            actor=actor,
            customer=customer,
            expected_version=customer.version,
            data=CustomerInput(**data["data"]),
            identity_code=data["identity_code"],
            remove_identity_code=data["remove_identity_code"],
            restriction_ground=ground,
        )
    elif held.kind == HeldChangeKind.ORDER_CREATE:
        address = data["delivery_address"]
        # An invoice order's credit check is made now, when the order is made: the
        # bureau is asked only once processing may go on.
        held.order = order_create(
            actor=actor,
            customer=customer,
            channel=data["channel"],
            payment_method=data["payment_method"],
            lines=[
                LineInput(
                    sku=line["sku"],
                    quantity=line["quantity"],
                    name=line["name"],
                    unit_price=_decimal(line["unit_price"]),
                    vat_rate=_decimal(line["vat_rate"]),
                )
                for line in data["lines"]
            ],
            delivery_address=AddressInput(**address) if address else None,
            notes=data["notes"],
            status=data["status"],
            check_credit=data["check_credit"],
            identity_code=data["identity_code"],
            confirm=data["confirm"],
            restriction_ground=ground,
        )
    else:
        assert held.order_id is not None  # a status change is always of an order
        order = Order.objects.select_related("customer").get(pk=held.order_id)
        order_status_change(
            actor=actor,
            order=order,
            status=data["status"],
            expected_version=data["expected_version"],
            restriction_ground=ground,
        )


def _locked_waiting(held: HeldChange) -> tuple[HeldChange, Customer]:
    locked = HeldChange.objects.select_for_update().get(pk=held.pk)
    if locked.state != HeldChangeState.WAITING:
        raise ValidationError(ALREADY_DECIDED)
    customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
    return locked, customer


def _asked(held: HeldChange) -> str:
    at = timezone.localtime(held.requested_at).strftime("%d.%m.%Y %H:%M")
    return f"asked by {held.requested_by_label} on {at}"


def _decided(locked: HeldChange, *, actor: Actor, state: str, now: datetime.datetime) -> None:
    locked.state = state
    locked.decided_by = actor.user
    locked.decided_at = now
    locked.payload_encrypted = ""
    locked.save(
        update_fields=[
            "state",
            "decided_by",
            "decided_at",
            "ground",
            "decision_reason",
            "payload_encrypted",
            "order",
        ]
    )


def held_change_apply(*, actor: Actor, held: HeldChange, ground: str, reason: str) -> HeldChange:
    """Applies a change that waited, on `ground` (art. 18(2)) while the customer is
    restricted, or because the restriction has been lifted since. Raises
    ValidationError when it is decided already, the ground or reason will not do, or
    the change itself is refused now (a product gone, the data changed meanwhile);
    then nothing is changed."""
    with audited_transaction():
        locked, customer = _locked_waiting(held)
        ground = _ground_for(customer, ground)
        reason = reason_clean(customer=customer, reason=reason, min_length=REASON_MIN_LENGTH)
        try:
            _change_apply(actor=actor, held=locked, customer=customer, ground=ground)
        except Conflict:
            raise ValidationError(CHANGED_SINCE) from None
        locked.ground, locked.decision_reason = ground, reason
        _decided(locked, actor=actor, state=HeldChangeState.APPLIED, now=timezone.now())
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            customer=customer,
            changed_fields=["state", "ground", "decision_reason"],
            reason=f"held change applied (art. 18(2): {ground}): {reason}; {_asked(locked)}",
        )
    return locked


def held_change_reject(*, actor: Actor, held: HeldChange, reason: str) -> HeldChange:
    """Rejects a change that waited: it is never made. Raises ValidationError when it
    is decided already or the reason will not do; then nothing is changed."""
    with audited_transaction():
        locked, customer = _locked_waiting(held)
        reason = reason_clean(customer=customer, reason=reason, min_length=REASON_MIN_LENGTH)
        locked.decision_reason = reason
        _decided(locked, actor=actor, state=HeldChangeState.REJECTED, now=timezone.now())
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            customer=customer,
            changed_fields=["state", "decision_reason"],
            reason=f"held change rejected: {reason}; {_asked(locked)}",
        )
    return locked


def restricted_delivery_accept(
    *, actor: Actor, delivery: InboxDelivery, ground: str, reason: str
) -> InboxDelivery:
    """Takes a shop's order that waits because its customer's processing is restricted,
    on a ground of art. 18(2): it becomes an order as the shop sent it. (Once the
    restriction is lifted the inbox takes such orders by itself.) Raises
    ValidationError as `delivery_correct` does, or for a ground or reason that will
    not do; then nothing is changed."""
    customer = delivery.customer
    if delivery.reason != Reason.RESTRICTED or customer is None:
        raise ValidationError(_("This delivery does not wait for the restriction."))
    customer.refresh_from_db()
    if customer.status != Status.RESTRICTED:
        raise ValidationError(
            _("The restriction has been lifted: the order is taken from the inbox as any other.")
        )
    ground = _ground_for(customer, ground)
    reason = reason_clean(customer=customer, reason=reason, min_length=REASON_MIN_LENGTH)
    with audited_transaction():
        accepted = delivery_correct(
            actor=actor, delivery=delivery, correction=Correction(restriction_ground=ground)
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=accepted,
            customer=customer,
            changed_fields=["state", "order"],
            reason=f"shop order taken while restricted (art. 18(2): {ground}): {reason}",
        )
    return accepted
