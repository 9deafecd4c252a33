"""Credit checks for sales on invoice (P8, P12): asking the bureau at the time of the
order, keeping the decision with the order, a person's review of it, and the policy.

The check runs before the order's transaction (it waits for the network); its
result is recorded inside that transaction, with its audit event."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.credit.models import CreditCheck, CreditPolicy, Decision
from rekisteri.credit.policy import Rules, decide, over_limit
from rekisteri.credit.providers import Answer, CreditProvider, CreditReport
from rekisteri.reasons import reason_collapse, reason_too_short

if TYPE_CHECKING:
    from rekisteri.orders.models import Order

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreditOutcome:
    """A decision made at the time of an order, not yet stored."""

    decision: str
    reason_code: str
    provider: str
    checked_at: datetime.datetime
    report: CreditReport | None  # None when the policy decided without asking


def credit_policy() -> CreditPolicy:
    policy, _created = CreditPolicy.objects.get_or_create(pk=1)
    return policy


def _rules(policy: CreditPolicy) -> Rules:
    return Rules(
        decline_on_payment_defaults=policy.decline_on_payment_defaults,
        max_invoice_total=policy.max_invoice_total,
        decline_unknown_person=policy.decline_unknown_person,
    )


class UnconfiguredProvider:
    """Stands in when no bureau is configured: every check is an error, which the
    policy refers to a person, never an approval."""

    name = "unconfigured"

    def check(self, *, identity_code: str) -> CreditReport:
        return CreditReport(answer=Answer.ERROR, error_code="not_configured")


def credit_provider() -> CreditProvider:
    """The bureau the environment names (the Asiakastieto client, pointed at the real
    service or at the local simulator)."""
    from rekisteri.credit.asiakastieto import AsiakastietoClient, AsiakastietoConfig

    try:
        return AsiakastietoClient(AsiakastietoConfig.from_environment())
    except ImproperlyConfigured as error:
        logger.error("credit checks are not configured: %s", error)
        return UnconfiguredProvider()


def credit_check_run(
    *, identity_code: str, order_total: Decimal, provider: CreditProvider | None = None
) -> CreditOutcome:
    """Asks the bureau about the buyer of an invoice order and applies the policy.
    Writes nothing: `credit_check_record` keeps the outcome with the order."""
    rules = _rules(credit_policy())
    now = timezone.now()
    if over_limit(order_total, rules):
        return CreditOutcome(Decision.DECLINED, "over_limit", "policy", now, None)
    provider = provider or credit_provider()
    report = provider.check(identity_code=identity_code)
    decision, reason = decide(report, rules=rules)
    return CreditOutcome(decision, reason, provider.name, timezone.now(), report)


def credit_check_record(*, actor: Actor, order: Order, outcome: CreditOutcome) -> CreditCheck:
    """Keeps the decision with the order, in the order's transaction, and audits it."""
    report = outcome.report
    with audited_transaction():
        check = CreditCheck.objects.create(
            order=order,
            checked_at=outcome.checked_at,
            requested_by_user=actor.user,
            requested_by_label=(actor.label or actor.type)[:150],
            provider=outcome.provider,
            is_simulated=bool(report and report.is_simulated),
            decision=outcome.decision,
            reason_code=outcome.reason_code,
            classification_code=report.classification_code[:16] if report else "",
            default_count=report.default_count if report else None,
            provider_reference=report.provider_reference[:64] if report else "",
        )
        audit_record(
            actor=actor,
            action=Action.CREDIT_CHECK,
            obj=check,
            customer=order.customer,
            reason=f"{outcome.decision}: {outcome.reason_code}",
        )
    return check


def credit_decision_override(
    *, actor: Actor, check: CreditCheck, decision: str, reason: str
) -> CreditCheck:
    """A person's review of an automated decision (GDPR art. 22), with its reason."""
    reason = reason_collapse(reason)
    errors: dict[str, list[object]] = {}
    if decision not in Decision.values or decision == Decision.REFERRED:
        errors["decision"] = [_("Choose approved or declined.")]
    if reason_too_short(reason):
        errors["reason"] = [_("Say why (at least 10 characters).")]
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        current = (
            CreditCheck.objects.select_for_update()
            .select_related("order__customer")
            .get(pk=check.pk)
        )
        current.override_decision = decision
        current.override_reason = reason
        current.overridden_by = actor.user
        current.overridden_at = timezone.now()
        current.save()
        audit_record(
            actor=actor,
            action=Action.CREDIT_OVERRIDE,
            obj=current,
            customer=current.order.customer,
            changed_fields=["override_decision"],
            reason=f"{decision}: {reason}"[:500],
        )
    return current


def credit_policy_update(
    *,
    actor: Actor,
    decline_on_payment_defaults: bool,
    max_invoice_total: Decimal,
    decline_unknown_person: bool,
) -> CreditPolicy:
    if max_invoice_total is None or max_invoice_total < 0:
        raise ValidationError({"max_invoice_total": [_("The limit must be zero or more.")]})
    with audited_transaction():
        policy = CreditPolicy.objects.select_for_update().get_or_create(pk=1)[0]
        values = {
            "decline_on_payment_defaults": decline_on_payment_defaults,
            "max_invoice_total": max_invoice_total,
            "decline_unknown_person": decline_unknown_person,
        }
        changed = [name for name, value in values.items() if getattr(policy, name) != value]
        for name in changed:
            setattr(policy, name, values[name])
        policy.updated_at = timezone.now()
        policy.updated_by_label = (actor.label or actor.type)[:150]
        policy.full_clean()
        policy.save()
        if changed:
            audit_record(actor=actor, action=Action.UPDATE, obj=policy, changed_fields=changed)
    return policy


def credit_check_for(*, order: Order) -> CreditCheck | None:
    """The order's credit check with its reviewer, or None for an order never checked."""
    return CreditCheck.objects.select_related("overridden_by").filter(order=order).first()


def order_is_cleared_for_credit(order: Order) -> bool:
    """Whether an order may go ahead: yes unless it has a credit decision (after any
    review) that is not an approval. Orders never checked (prepaid, cash on delivery,
    a web shop's own invoice provider) go ahead."""
    check = CreditCheck.objects.filter(order=order).first()
    return check is None or check.effective_decision == Decision.APPROVED
