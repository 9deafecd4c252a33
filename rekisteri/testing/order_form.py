"""The staff order form as a browser posts it, for the tests of orders, credit checks
and bad input."""

from __future__ import annotations


def order_post(
    rows: tuple[tuple[str, str], ...] = (("HYL-120", "2"), ("KIRJA-1", "1")), /, **overrides: str
) -> dict[str, str]:
    """The order form as a browser sends it: eight line rows (sku, quantity), the unused
    ones empty, and the other fields changed by `overrides`."""
    data: dict[str, str] = {
        "channel": "phone",
        # Invoice orders run a credit check: rekisteri/credit/tests covers those.
        "payment_method": "prepaid",
        "delivery_name": "Aino Virtanen",
        "delivery_street_address": "Kauppurienkatu 12 A 3",
        "delivery_postal_code": "90100",
        "delivery_post_office": "Oulu",
        "delivery_country": "FI",
        "notes": "",
        "lines-TOTAL_FORMS": "8",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "8",
    }
    for index in range(8):
        sku, quantity = rows[index] if index < len(rows) else ("", "")
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = quantity
    data.update(overrides)
    return data
