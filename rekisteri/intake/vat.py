"""What a shop charged in: its currency, and its VAT rate as Rekisteri records it.

A Finnish shop selling to consumers elsewhere in the EU charges the buyer's country's
VAT under the One Stop Shop scheme, so a shop's rate is recorded as charged rather
than forced to a Finnish one. A rate the shop states is taken as it is (to one
decimal); a rate Rekisteri has to compute from the tax and the net amount carries the
rounding of cents, so it is snapped to a known rate when it is within that rounding."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.orders.models import VAT_RATES

ONE_DECIMAL = Decimal("0.1")
# A rate is a percentage below 100: OrderLine.vat_rate holds up to 999.9, but no VAT
# anywhere is near 100 %, and a value that large is a shop's bug.
RATE_LIMIT = Decimal(100)
# The most a computed rate is snapped by, in points, however small the amount.
MAX_SNAP = Decimal("0.6")
HALF_CENT = Decimal("0.005")

# The EU member states' standard and reduced rates, 2024-2026: a rate that changed in
# that time keeps its old value too, since a late delivery may carry it.
EU_VAT_RATES: dict[str, str] = {
    "AT": "20 13 10",
    "BE": "21 12 6",
    "BG": "20 9",
    "CY": "19 9 5 3",
    "CZ": "21 15 12 10",
    "DE": "19 7",
    "DK": "25",
    "EE": "24 22 13 9 5",
    "ES": "21 10 4",
    "FI": "25.5 24 14 13.5 10",
    "FR": "20 10 5.5 2.1",
    "GR": "24 13 6",
    "HR": "25 13 5",
    "HU": "27 18 5",
    "IE": "23 13.5 9 4.8",
    "IT": "22 10 5 4",
    "LT": "21 9 5",
    "LU": "17 14 8 3",
    "LV": "21 12 5",
    "MT": "18 7 5",
    "NL": "21 9",
    "PL": "23 8 5",
    "PT": "23 13 6",
    "RO": "21 19 11 9 5",
    "SE": "25 12 6",
    "SI": "22 9.5 5",
    "SK": "23 20 19 10 5",
}
KNOWN_VAT_RATES: tuple[Decimal, ...] = tuple(
    sorted(
        {Decimal(rate) for rates in EU_VAT_RATES.values() for rate in rates.split()}
        | {Decimal(0)}
        | set(VAT_RATES)
    )
)

RATE_OUT_OF_RANGE = _("The VAT rate must be from 0 to 99.9 %.")
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def shop_currency(value: object) -> str:
    """The ISO 4217 code of the shop's currency, upper-case; EUR when the shop names
    none. Any currency is taken (the inbox asks a person for the amount in euros);
    only a value that is no currency code at all is refused."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        code = "?"
    if not code:
        return "EUR"
    if not CURRENCY_CODE.fullmatch(code):
        raise ValidationError({"currency": [_("Give the currency as three letters, such as EUR.")]})
    return code


def _checked(rate: Decimal, *, field: str) -> Decimal:
    # Compared before rounding too: rounding a huge number to one decimal overflows.
    if not rate.is_finite() or not -1 < rate < RATE_LIMIT + 1:
        raise ValidationError({field: [RATE_OUT_OF_RANGE]})
    rounded = rate.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.0"
    if not Decimal(0) <= rounded < RATE_LIMIT:
        raise ValidationError({field: [RATE_OUT_OF_RANGE]})
    return rounded


def stated_vat_rate(percent: Decimal, *, field: str) -> Decimal:
    """A rate the shop states (WooCommerce's rate_percent, Shopify's rate times 100), to
    one decimal: 19 stays 19.0 and 8.1 stays 8.1, whatever country charged it."""
    return _checked(percent, field=field)


def computed_vat_rate(tax: Decimal, net: Decimal, *, field: str) -> Decimal:
    """The rate of `tax` on `net` (net non-zero). Both are rounded to cents, so the
    quotient is off by up to half a cent of tax on the net amount: within that (and
    never more than MAX_SNAP points) it is the nearest known rate, else the quotient
    to one decimal."""
    percent = tax * 100 / net
    error = min(MAX_SNAP, HALF_CENT * 100 / abs(net))
    nearest = min(KNOWN_VAT_RATES, key=lambda rate: abs(rate - percent))
    if abs(nearest - percent) <= error:
        return nearest.quantize(ONE_DECIMAL)
    return _checked(percent, field=field)
