"""Legal holds: a reason to keep a customer's data as it is (a dispute, a claim, an
authority's request). While a hold is in force, retention leaves everything of that
customer alone and the customer is not erased (`erasure.services` asks
`has_legal_hold` and `legal_holds_active`). See docs/erasure.md#legal-holds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure.personal_terms import reason_clean
from rekisteri.privacy.models import LegalHold
from rekisteri.reasons import REASON_MIN_LENGTH

HOLD_REASON_MAX_LENGTH = 2000


def legal_holds_active() -> QuerySet[LegalHold]:
    """Every hold in force; `.values("customer_id")` gives the held customers."""
    return LegalHold.objects.filter(lifted_at__isnull=True)


def has_legal_hold(customer: Customer) -> bool:
    """Whether a legal hold stops erasure and retention for this customer."""
    return legal_holds_active().filter(customer=customer).exists()


def legal_holds_of(customer: Customer) -> QuerySet[LegalHold]:
    """The customer's holds, those in force first, newest first."""
    return (
        LegalHold.objects.filter(customer=customer)
        .select_related("placed_by", "lifted_by")
        .order_by(F("lifted_at").desc(nulls_first=True), "-placed_at", "-id")
    )


def legal_hold_place(*, actor: Actor, customer: Customer, reason: str) -> LegalHold:
    """Stops erasure and retention for the customer until the hold is lifted (for a
    dispute, a claim, an authority's request). The reason stays with the hold; the
    audit event records only that a hold was placed."""
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if current.status == Status.ANONYMISED:
            raise ValidationError(_("The customer has been anonymised: nothing is left to hold."))
        reason = reason_clean(
            customer=current,
            reason=reason,
            min_length=REASON_MIN_LENGTH,
            max_length=HOLD_REASON_MAX_LENGTH,
        )
        hold = LegalHold(
            customer=current, reason=reason, placed_at=timezone.now(), placed_by=actor.user
        )
        hold.full_clean(exclude=["customer", "placed_by"])
        hold.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=hold,
            customer=current,
            changed_fields=["legal_hold"],
            reason="legal hold placed",
        )
    return hold


def legal_hold_lift(*, actor: Actor, hold: LegalHold) -> LegalHold:
    """Ends a hold; erasure and retention apply again (unless another hold is in force)."""
    with audited_transaction():
        current = LegalHold.objects.select_for_update().select_related("customer").get(pk=hold.pk)
        if current.lifted_at is not None:
            raise ValidationError(_("The legal hold has already been lifted."))
        current.lifted_at = timezone.now()
        current.lifted_by = actor.user
        current.save(update_fields=["lifted_at", "lifted_by"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["legal_hold"],
            reason="legal hold lifted",
        )
    return current
