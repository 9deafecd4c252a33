"""The decision policy as a table: every answer of the bureau under every rule. A
failure or a timeout is never an approval."""

from decimal import Decimal

import pytest

from rekisteri.credit.models import Decision
from rekisteri.credit.policy import Rules, decide, over_limit
from rekisteri.credit.providers import Answer, CreditReport

STRICT = Rules(
    decline_on_payment_defaults=True,
    max_invoice_total=Decimal("1500.00"),
    decline_unknown_person=True,
)
LENIENT = Rules(
    decline_on_payment_defaults=False,
    max_invoice_total=Decimal("1500.00"),
    decline_unknown_person=False,
)

TABLE = [
    (CreditReport(Answer.NO_DEFAULTS), STRICT, Decision.APPROVED, "no_payment_defaults"),
    (
        CreditReport(Answer.NO_DEFAULTS, default_count=0, error_code="EIR"),
        STRICT,
        Decision.APPROVED,
        "no_payment_defaults",
    ),
    (
        CreditReport(Answer.DEFAULTS, default_count=2, classification_code="MHL2"),
        STRICT,
        Decision.DECLINED,
        "payment_defaults",
    ),
    (
        CreditReport(Answer.DEFAULTS, default_count=2, classification_code="MHL2"),
        LENIENT,
        Decision.REFERRED,
        "payment_defaults",
    ),
    (CreditReport(Answer.UNKNOWN_PERSON), STRICT, Decision.DECLINED, "unknown_person"),
    (CreditReport(Answer.UNKNOWN_PERSON), LENIENT, Decision.REFERRED, "unknown_person"),
    (
        CreditReport(Answer.INVALID_IDENTITY_CODE, error_code="VC6"),
        STRICT,
        Decision.REFERRED,
        "invalid_identity_code",
    ),
    (CreditReport(Answer.TIMEOUT), STRICT, Decision.REFERRED, "timeout"),
    (CreditReport(Answer.TIMEOUT), LENIENT, Decision.REFERRED, "timeout"),
    (CreditReport(Answer.ERROR, error_code="VA2"), STRICT, Decision.REFERRED, "error:VA2"),
    (CreditReport(Answer.ERROR, error_code="501"), LENIENT, Decision.REFERRED, "error:501"),
    (
        CreditReport(Answer.ERROR, error_code="http_500"),
        STRICT,
        Decision.REFERRED,
        "error:http_500",
    ),
    (CreditReport(Answer.ERROR), STRICT, Decision.REFERRED, "error"),
    (CreditReport("something new"), STRICT, Decision.REFERRED, "error"),
]


@pytest.mark.parametrize(("report", "rules", "decision", "reason"), TABLE)
def test_the_policy_decides_as_the_table_says(report, rules, decision, reason):
    assert decide(report, rules=rules) == (decision, reason)


@pytest.mark.parametrize("answer", [Answer.ERROR, Answer.TIMEOUT, "unheard of"])
@pytest.mark.parametrize("rules", [STRICT, LENIENT])
def test_a_failure_is_never_an_approval(answer, rules):
    decision, _reason = decide(CreditReport(answer), rules=rules)

    assert decision != Decision.APPROVED


@pytest.mark.parametrize(
    ("total", "expected"),
    [(Decimal("1499.99"), False), (Decimal("1500.00"), False), (Decimal("1500.01"), True)],
)
def test_the_invoice_limit_is_inclusive(total, expected):
    assert over_limit(total, STRICT) is expected
