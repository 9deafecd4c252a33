"""The decision policy, as a pure function: the bureau's report, the order total and
the administrator's rules in; a decision and its reason out. A failure or a timeout
never becomes an approval."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rekisteri.credit.models import Decision
from rekisteri.credit.providers import Answer, CreditReport


@dataclass(frozen=True)
class Rules:
    decline_on_payment_defaults: bool
    max_invoice_total: Decimal
    decline_unknown_person: bool


def over_limit(order_total: Decimal, rules: Rules) -> bool:
    """Checked first: an order over the limit is declined without asking the bureau,
    so no one's credit data is processed for an order that cannot pass anyway."""
    return order_total > rules.max_invoice_total


def decide(report: CreditReport, *, rules: Rules) -> tuple[str, str]:
    if report.answer == Answer.NO_DEFAULTS:
        return Decision.APPROVED, "no_payment_defaults"
    if report.answer == Answer.DEFAULTS:
        if rules.decline_on_payment_defaults:
            return Decision.DECLINED, "payment_defaults"
        return Decision.REFERRED, "payment_defaults"
    if report.answer == Answer.UNKNOWN_PERSON:
        if rules.decline_unknown_person:
            return Decision.DECLINED, "unknown_person"
        return Decision.REFERRED, "unknown_person"
    if report.answer == Answer.INVALID_IDENTITY_CODE:
        return Decision.REFERRED, "invalid_identity_code"
    if report.answer == Answer.TIMEOUT:
        return Decision.REFERRED, "timeout"
    code = f":{report.error_code}" if report.error_code else ""
    return Decision.REFERRED, f"error{code}"[:48]
