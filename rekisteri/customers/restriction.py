"""Changes kept waiting while a customer's processing is restricted (GDPR art. 18).

While restricted, the data is only stored. A change staff ask for (an edit of the
customer, a new order, a change of an order's status) is not applied: the service
that would apply it keeps it as a held change instead (what, who asked, when) and
raises ChangeHeld, and the privacy officers are told by email. The privacy officer
applies it on a ground of art. 18(2) or rejects it (`privacy.restriction`).

The services check before their own transaction (a held change is kept whatever
the caller does next) and again under the row lock: a restriction that arrives in
between refuses the change rather than let it through."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import (
    Customer,
    HeldChange,
    HeldChangeKind,
    HeldChangeState,
    Status,
)

logger = logging.getLogger(__name__)

PAYLOAD_PURPOSE = "customers.held_change"
NOTIFY_ACTOR = "restriction notice"
RESTRICTED_MEANWHILE = _(
    "The customer's processing was restricted just now: nothing was changed. Send the "
    "change again; it will wait for the privacy officer."
)

# What staff see when their change was kept waiting.
HELD_MESSAGE = _(
    "The customer's processing is restricted, so the change was not made: it waits for "
    "the privacy officer, who has been told."
)


class ChangeHeld(Exception):
    """The customer's processing is restricted: the change was kept waiting for the
    privacy officer, not applied. The text names no personal data."""

    def __init__(self, held: HeldChange) -> None:
        super().__init__(f"change held for the privacy officer: {held.public_id}")
        self.held = held


def processing_restricted(customer: Customer, *, ground: str = "") -> bool:
    """Whether a change of `customer` must wait: their processing is restricted now (a
    fresh read, not the caller's copy) and no ground of art. 18(2) was given."""
    if ground:
        return False
    return Customer.objects.filter(pk=customer.pk, status=Status.RESTRICTED).exists()


def held_payload(held: HeldChange) -> dict[str, Any]:
    """What was asked, as `change_hold` kept it."""
    if not held.payload_encrypted:
        return {}
    plain = crypto.keyring().decrypt(
        held.payload_encrypted, purpose=PAYLOAD_PURPOSE, row=str(held.public_id)
    )
    data: dict[str, Any] = json.loads(plain)
    return data


def change_hold(
    *,
    actor: Actor,
    customer: Customer,
    kind: str,
    payload: dict[str, Any],
    changed_fields: Sequence[str],
    order: Any = None,
) -> ChangeHeld:
    """Keeps a change of a restricted customer waiting for the privacy officer, with
    its audit event, and emails the privacy officers. Returns the exception for the
    caller to raise."""
    now = timezone.now()
    held = HeldChange(
        customer=customer,
        kind=kind,
        order=order,
        changed_fields=list(changed_fields),
        requested_by=actor.user,
        requested_by_label=(actor.label or actor.type)[:150],
        requested_at=now,
    )
    held.payload_encrypted = crypto.keyring().encrypt(
        json.dumps(payload, ensure_ascii=False, default=str),
        purpose=PAYLOAD_PURPOSE,
        row=str(held.public_id),
    )
    with audited_transaction():
        held.full_clean(exclude=["customer", "order", "requested_by"], validate_unique=False)
        held.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=held,
            customer=customer,
            changed_fields=list(changed_fields),
            reason=f"held while the processing is restricted (art. 18): {kind}",
        )
    _officers_tell(held)
    return ChangeHeld(held)


def held_changes_waiting() -> QuerySet[HeldChange]:
    """The changes that wait for the privacy officer, the oldest first."""
    return (
        HeldChange.objects.filter(state=HeldChangeState.WAITING)
        .exclude(customer__status=Status.ANONYMISED)
        .select_related("customer", "order", "requested_by")
        .order_by("requested_at", "pk")
    )


def _officers_tell(held: HeldChange) -> None:
    """Emails the privacy officers that a change waits. The email names the customer by
    number only. A failed send is recorded and does not undo the hold: the start page
    and the list show every change that waits."""
    from rekisteri.accounts.models import User
    from rekisteri.accounts.roles import Role

    officers = list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
        .distinct()
    )
    if not officers:
        return
    with translation.override("fi"):
        subject = gettext("A change waits for your decision: customer %(number)s") % {
            "number": held.customer.customer_number
        }
        body = render_to_string(
            "customers/email/held_change.txt",
            {
                "held": held,
                "kind": HeldChangeKind(held.kind).label,
                "number": held.customer.customer_number,
                "list_url": settings.PUBLIC_URL + reverse("privacy:held_changes"),
            },
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, officers)
    except Exception as error:
        logger.error("held change notice not sent (%s)", type(error).__name__)
        reason = f"notice to the privacy officers failed ({type(error).__name__})"
    else:
        reason = f"notice sent to {len(officers)} privacy officers"
    with audited_transaction():
        audit_record(
            actor=Actor.system(NOTIFY_ACTOR),
            action=Action.UPDATE,
            obj=held,
            customer=held.customer,
            reason=reason,
        )
