"""The shops' order JSON mapped to a ShopOrder: whatever a real shop sends is taken as
it is (currency, VAT rates as charged, every status), for the inbox to decide on.

The two samples in samples/ are the vendors' own: the "Retrieve an order" response of
WooCommerce's REST API documentation, and the orders/create payload Shopify's "Send
test notification" delivers. Their names and addresses are the vendors' fake ones."""

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.services import Actor
from rekisteri.intake import shopify, woocommerce
from rekisteri.intake.vat import computed_vat_rate, shop_currency, stated_vat_rate
from rekisteri.orders.models import Channel, Order, OrderStatus, PaymentMethod, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing import shops
from rekisteri.testing.factories import make_customer

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> dict[str, Any]:
    # As the webhooks parse a body: numbers with a fraction as Decimal, never float.
    data: dict[str, Any] = json.loads(
        (SAMPLES / name).read_text(encoding="utf-8"), parse_float=Decimal
    )
    return data


def as_delivered(data: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(json.dumps(data), parse_float=Decimal)
    return parsed


def woocommerce_order(**changes: Any) -> dict[str, Any]:
    """The test shop's order as the webhook parses it, with `changes`."""
    return {**as_delivered(shops.woocommerce_order()), **changes}


def shopify_order(**changes: Any) -> dict[str, Any]:
    return {**as_delivered(shops.shopify_order()), **changes}


# WooCommerce's documented sample ---------------------------------------------------


def test_the_woocommerce_sample_maps_as_the_shop_sent_it():
    order = woocommerce.order_from_payload(sample("woocommerce_order.json"))

    assert order.external_id == "727"
    assert (order.currency, order.stated_total) == ("USD", Decimal("29.35"))
    assert order.status == OrderStatus.CONFIRMED  # processing
    assert (order.payment_gateway, order.payment_method) == ("bacs", PaymentMethod.PREPAID)
    assert order.is_test is False
    # A guest order (customer_id 0): the buyer is the billing details.
    assert (order.customer.first_names, order.customer.surname) == ("John", "Doe")
    assert order.customer.email == "john.doe@example.com"
    assert order.customer.country == "US"
    # California's 7.5 % (0.45 on 6.00, 0.90 on 12.00) is no known VAT rate and is
    # recorded as charged; the untaxed flat rate shipping of a taxed order is 0 %.
    assert [(line.sku, line.quantity, line.unit_price, line.vat_rate) for line in order.lines] == [
        ("93", 2, Decimal("3.225"), Decimal("7.5")),
        ("Bar3", 1, Decimal("12.90"), Decimal("7.5")),
        ("flat_rate", 1, Decimal("10.00"), Decimal("0.0")),
    ]
    gross = [(line.unit_price or Decimal(0)) * line.quantity for line in order.lines]
    assert sum(gross, Decimal(0)) == order.stated_total


# Shopify's test notification ---------------------------------------------------------


def test_the_shopify_test_notification_maps_as_the_shop_sent_it():
    data = sample("shopify_orders_create.json")

    order = shopify.order_from_payload(data)

    assert order.external_id == "820982911946154508"
    assert order.is_test is True
    assert (order.currency, order.stated_total) == ("USD", Decimal("359.97"))
    # Cancelled on 2021-12-31 and its payment voided.
    assert order.status == OrderStatus.CANCELLED
    # `gateway` is null: the first of payment_gateway_names.
    assert (order.payment_gateway, order.payment_method) == ("visa", PaymentMethod.PREPAID)
    # The billing address names the buyer; the email is the order's.
    assert (order.customer.first_names, order.customer.surname) == ("Steve", "Shipper")
    assert order.customer.email == "jon@example.com"
    assert order.customer.country == "US"
    # Prices without tax and no tax charged on the order (an export): 0 %. The order's
    # discount of 20.00 that no item carries is spread over the items, and shipping is
    # its price, as the order's total counts them: the lines add up to 359.97.
    lines = [(line.sku, line.unit_price or Decimal(0), line.vat_rate) for line in order.lines]
    assert [(sku, rate) for sku, _price, rate in lines] == [
        ("SKU2006-001", Decimal("0.0")),
        ("SKU2006-020", Decimal("0.0")),
        ("SKU2006-035", Decimal("0.0")),
        ("shipping", Decimal("0.0")),
    ]
    assert [round(price, 2) for _sku, price, _rate in lines] == [
        Decimal("85.13"),
        Decimal("151.34"),
        Decimal("113.50"),
        Decimal("10.00"),
    ]
    assert round(sum((price for _sku, price, _rate in lines), Decimal(0)), 2) == Decimal("359.97")


def test_the_shopify_sample_is_the_test_notification():
    data = sample("shopify_orders_create.json")

    assert data["test"] is True
    assert data["currency"] == "USD"
    assert data["id"] == 820982911946154508  # the exact integer, beyond 2^53


# Currency ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SEK", "SEK"), ("usd", "USD"), (" eur ", "EUR"), ("", "EUR"), (None, "EUR")],
)
def test_any_currency_is_kept_in_upper_case_and_none_is_euro(value, expected):
    assert woocommerce.order_from_payload(woocommerce_order(currency=value)).currency == expected
    assert shopify.order_from_payload(shopify_order(currency=value)).currency == expected


@pytest.mark.parametrize("value", ["€", "EURO", "E1R", 978])
def test_a_currency_that_is_no_code_is_refused(value):
    with pytest.raises(ValidationError) as error:
        shop_currency(value)
    assert list(error.value.message_dict) == ["currency"]


def test_an_order_in_another_currency_keeps_its_amounts():
    data = woocommerce_order(currency="SEK")
    euro = woocommerce.order_from_payload(woocommerce_order())

    order = woocommerce.order_from_payload(data)

    assert order.currency == "SEK"
    assert [line.unit_price for line in order.lines] == [line.unit_price for line in euro.lines]


# stated_total ------------------------------------------------------------------------


def test_the_stated_total_is_the_shops_total_or_none():
    woo = woocommerce_order(total="123.45")
    no_total = woocommerce_order()
    del no_total["total"]

    assert woocommerce.order_from_payload(woo).stated_total == Decimal("123.45")
    assert woocommerce.order_from_payload(no_total).stated_total is None
    assert shopify.order_from_payload(shopify_order(total_price="99.90")).stated_total == Decimal(
        "99.90"
    )
    assert shopify.order_from_payload(shopify_order(total_price=None)).stated_total is None


def test_a_stated_total_that_is_no_amount_is_refused():
    with pytest.raises(ValidationError) as error:
        woocommerce.order_from_payload(woocommerce_order(total="lots"))
    assert list(error.value.message_dict) == ["total"]


# VAT: One Stop Shop rates as charged -------------------------------------------------


def woocommerce_with_tax(*, rate_percent: object, total: str, tax: str) -> dict[str, Any]:
    data = woocommerce_order(shipping_lines=[], fee_lines=[])
    item = data["line_items"][0]
    item.update(
        {
            "quantity": 1,
            "total": total,
            "total_tax": tax,
            "taxes": [{"id": 7, "total": tax, "subtotal": tax}],
        }
    )
    data["line_items"] = [item]
    tax_line = {"id": 90, "rate_code": "DE-MWST-1", "rate_id": 7, "label": "MwSt."}
    if rate_percent is not None:
        tax_line["rate_percent"] = rate_percent
    data["tax_lines"] = [tax_line]
    return data


@pytest.mark.parametrize(
    ("rate_percent", "expected"),
    [
        (19, "19.0"),  # Germany
        (Decimal("5.5"), "5.5"),  # France, reduced
        (Decimal("8.1"), "8.1"),  # Switzerland
        (27, "27.0"),  # Hungary
        (Decimal("25.5"), "25.5"),
        (0, "0.0"),
        (Decimal("21.04"), "21.0"),  # to one decimal
    ],
)
def test_a_woocommerce_stated_rate_is_taken_as_charged(rate_percent, expected):
    data = woocommerce_with_tax(rate_percent=rate_percent, total="100.00", tax="19.00")

    order = woocommerce.order_from_payload(data)

    assert [line.vat_rate for line in order.lines] == [Decimal(expected)]


def test_a_german_line_is_recorded_at_19_percent_with_its_gross_price():
    data = woocommerce_with_tax(rate_percent=19, total="84.03", tax="15.97")

    (line,) = woocommerce.order_from_payload(data).lines

    assert (line.unit_price, line.vat_rate) == (Decimal("100.00"), Decimal("19.0"))


@pytest.mark.parametrize(
    ("total", "tax", "expected"),
    [
        ("84.03", "15.97", "19.0"),  # Germany, computed 19.005 %
        ("8.40", "2.14", "25.5"),  # Finland, computed 25.476 %: cents rounding
        ("10.00", "2.10", "21.0"),
        ("9.50", "0.52", "5.5"),  # France reduced, computed 5.47 %
        ("6.00", "0.45", "7.5"),  # no known rate within rounding (7 and 8): as computed
        ("200.00", "16.20", "8.1"),  # Switzerland: not snapped to 8, too far for 200.00
    ],
)
def test_a_woocommerce_computed_rate_is_snapped_only_within_rounding(total, tax, expected):
    data = woocommerce_with_tax(rate_percent=None, total=total, tax=tax)

    order = woocommerce.order_from_payload(data)

    assert [line.vat_rate for line in order.lines] == [Decimal(expected)]


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (Decimal("0.19"), "19.0"),
        (Decimal("0.255"), "25.5"),
        (Decimal("0.055"), "5.5"),
        (Decimal("0.081"), "8.1"),
        (Decimal("0.2"), "20.0"),
        (0, "0.0"),
    ],
)
def test_a_shopify_rate_is_taken_as_charged(rate, expected):
    data = shopify_order()
    for item in data["line_items"] + data["shipping_lines"]:
        for tax in item["tax_lines"]:
            tax["rate"] = rate

    order = shopify.order_from_payload(data)

    assert {line.vat_rate for line in order.lines} == {Decimal(expected)}


def test_shopify_items_without_tax_in_a_taxed_order_are_charged_none():
    data = shopify_order()
    data["line_items"][1]["tax_lines"] = []

    order = shopify.order_from_payload(data)

    assert [line.vat_rate for line in order.lines] == [
        Decimal("25.5"),
        Decimal("0.0"),
        Decimal("25.5"),
    ]


def test_a_shop_that_keeps_no_taxes_gets_the_general_rate():
    data = shopify_order(tax_lines=[])
    for item in data["line_items"] + data["shipping_lines"]:
        item["tax_lines"] = []

    order = shopify.order_from_payload(data)

    assert {line.vat_rate for line in order.lines} == {Decimal("25.5")}


@pytest.mark.parametrize(
    "percent",
    [Decimal(100), Decimal("99.96"), Decimal(-1), Decimal("-0.1"), Decimal("1e30"), Decimal("NaN")],
)
def test_a_rate_outside_0_to_99_9_is_refused(percent):
    with pytest.raises(ValidationError) as error:
        stated_vat_rate(percent, field="lines")
    assert list(error.value.message_dict) == ["lines"]


def test_a_computed_rate_outside_0_to_99_9_is_refused():
    with pytest.raises(ValidationError):
        computed_vat_rate(Decimal("150.00"), Decimal("100.00"), field="lines")
    with pytest.raises(ValidationError):
        computed_vat_rate(Decimal("1e30"), Decimal("0.01"), field="lines")
    with pytest.raises(ValidationError):
        woocommerce.order_from_payload(
            woocommerce_with_tax(rate_percent=None, total="100.00", tax="-5.00")
        )


def test_a_shopify_rate_over_100_percent_is_refused():
    data = shopify_order()
    data["line_items"][0]["tax_lines"][0]["rate"] = Decimal("1.5")

    with pytest.raises(ValidationError) as error:
        shopify.order_from_payload(data)
    assert list(error.value.message_dict) == ["lines"]


# Statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pending", OrderStatus.RECEIVED),
        ("processing", OrderStatus.CONFIRMED),
        ("on-hold", OrderStatus.RECEIVED),
        ("completed", OrderStatus.COMPLETED),
        ("cancelled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
        ("trash", OrderStatus.CANCELLED),
        ("checkout-draft", OrderStatus.RECEIVED),
        ("wc-completed", OrderStatus.COMPLETED),
        ("Processing", OrderStatus.CONFIRMED),
    ],
)
def test_every_documented_woocommerce_status_is_taken(value, expected):
    assert woocommerce.order_from_payload(woocommerce_order(status=value)).status == expected


@pytest.mark.parametrize("value", ["shipped", "wc-delivered", "wc-shipped-custom", "", None, 7])
def test_an_unknown_woocommerce_status_keeps_the_order_as_received(value):
    order = woocommerce.order_from_payload(woocommerce_order(status=value))

    assert order.status == OrderStatus.RECEIVED


def test_a_woocommerce_order_without_a_status_is_received():
    data = woocommerce_order()
    del data["status"]

    assert woocommerce.order_from_payload(data).status == OrderStatus.RECEIVED


FULFILLMENTS = [None, "fulfilled", "partial", "restocked", "unfulfilled"]
OLD_FULFILLMENTS = ["pending", "shipped", "unshipped", "any"]


def shopify_status(financial: object, fulfillment: object, **changes: Any) -> str:
    data = {"financial_status": financial, "fulfillment_status": fulfillment, **changes}
    return shopify.status(data)


@pytest.mark.parametrize(
    ("financial", "expected"),
    [
        ("pending", OrderStatus.RECEIVED),
        ("authorized", OrderStatus.RECEIVED),
        ("partially_paid", OrderStatus.RECEIVED),
        ("paid", OrderStatus.CONFIRMED),
        ("partially_refunded", OrderStatus.CONFIRMED),
        ("refunded", OrderStatus.CANCELLED),
        ("voided", OrderStatus.CANCELLED),
        ("expired", OrderStatus.RECEIVED),
        (None, OrderStatus.RECEIVED),
    ],
)
def test_every_documented_shopify_financial_status_is_taken(financial, expected):
    for fulfillment in (None, "unfulfilled", "partial", "restocked", "pending", "unshipped"):
        assert shopify_status(financial, fulfillment) == expected


@pytest.mark.parametrize("fulfillment", ["fulfilled", "shipped"])
def test_a_fulfilled_shopify_order_is_shipped_unless_cancelled(fulfillment):
    assert shopify_status("paid", fulfillment) == OrderStatus.SHIPPED
    assert shopify_status("pending", fulfillment) == OrderStatus.SHIPPED
    assert shopify_status("mostly_paid", fulfillment) == OrderStatus.SHIPPED
    assert shopify_status("refunded", fulfillment) == OrderStatus.CANCELLED
    assert (
        shopify_status("paid", fulfillment, cancelled_at="2026-11-01T10:00:00Z")
        == OrderStatus.CANCELLED
    )


@pytest.mark.parametrize("fulfillment", FULFILLMENTS + OLD_FULFILLMENTS + ["teleported", 3])
@pytest.mark.parametrize("financial", ["mostly_paid", "", 5, ["paid"]])
def test_unknown_shopify_statuses_are_never_refused(financial, fulfillment):
    expected = (
        OrderStatus.SHIPPED if fulfillment in ("fulfilled", "shipped") else OrderStatus.RECEIVED
    )

    assert shopify_status(financial, fulfillment) == expected


def test_an_unknown_shopify_status_maps_the_order_as_received():
    order = shopify.order_from_payload(
        shopify_order(financial_status="mostly_paid", fulfillment_status="pending")
    )

    assert order.status == OrderStatus.RECEIVED


# Guests ------------------------------------------------------------------------------


def test_a_woocommerce_guest_is_named_by_the_billing_details():
    data = woocommerce_order(customer_id=0)

    order = woocommerce.order_from_payload(data)

    billing = data["billing"]
    assert (order.customer.first_names, order.customer.surname, order.customer.email) == (
        billing["first_name"],
        billing["last_name"],
        billing["email"],
    )


def test_missing_names_map_to_empty_strings():
    woo = woocommerce_order(customer_id=0)
    woo["billing"] = {"email": "vieras@example.fi"}
    shop = shopify_order(customer=None, billing_address=None, shipping_address=None)

    woo_buyer = woocommerce.order_from_payload(woo).customer
    shop_buyer = shopify.order_from_payload(shop).customer

    assert (woo_buyer.first_names, woo_buyer.surname, woo_buyer.email) == (
        "",
        "",
        "vieras@example.fi",
    )
    assert (shop_buyer.first_names, shop_buyer.surname) == ("", "")
    assert shop_buyer.email == shopify_order()["email"]


def test_a_shopify_order_without_a_customer_is_named_by_its_billing_address():
    data = shopify_order()
    del data["customer"]

    order = shopify.order_from_payload(data)

    billing = data["billing_address"]
    assert (order.customer.first_names, order.customer.surname) == (
        billing["first_name"],
        billing["last_name"],
    )
    assert order.customer.email == data["email"]
    assert order.marketing_consents == ()


# Test flag and payment gateway -------------------------------------------------------


def test_only_shopify_test_true_is_a_test():
    assert shopify.order_from_payload(shopify_order(test=True)).is_test is True
    assert shopify.order_from_payload(shopify_order(test=False)).is_test is False
    assert shopify.order_from_payload(shopify_order(test="true")).is_test is False
    assert woocommerce.order_from_payload(woocommerce_order()).is_test is False


@pytest.mark.parametrize(
    ("value", "method"),
    [
        ("bacs", PaymentMethod.PREPAID),
        ("klarna_invoice", PaymentMethod.INVOICE),
        ("cod", PaymentMethod.CASH_ON_DELIVERY),
        ("", PaymentMethod.PREPAID),
    ],
)
def test_the_woocommerce_gateway_is_its_payment_method_id(value, method):
    order = woocommerce.order_from_payload(woocommerce_order(payment_method=value))

    assert (order.payment_gateway, order.payment_method) == (value, method)


@pytest.mark.parametrize(
    ("changes", "gateway"),
    [
        ({"gateway": "Cash on Delivery (COD)"}, "Cash on Delivery (COD)"),
        ({"gateway": None, "payment_gateway_names": ["klarna", "shopify_payments"]}, "klarna"),
        ({"gateway": "", "payment_gateway_names": [None, " lasku "]}, "lasku"),
        ({"gateway": None, "payment_gateway_names": []}, ""),
        ({"gateway": None, "payment_gateway_names": None}, ""),
    ],
)
def test_the_shopify_gateway_is_gateway_or_the_first_gateway_name(changes, gateway):
    order = shopify.order_from_payload(shopify_order(**changes))

    assert order.payment_gateway == gateway


def test_the_payment_method_is_still_guessed_from_the_gateway_names():
    order = shopify.order_from_payload(
        shopify_order(gateway="manual", payment_gateway_names=["Cash on Delivery (COD)"])
    )

    assert (order.payment_gateway, order.payment_method) == (
        "manual",
        PaymentMethod.CASH_ON_DELIVERY,
    )


def test_the_samples_are_not_changed_by_mapping():
    data = sample("shopify_orders_create.json")
    before = copy.deepcopy(data)

    shopify.order_from_payload(data)

    assert data == before


# Order lines: a priced line keeps the rate it was charged ----------------------------


def place(lines: list[LineInput]) -> Order:
    return order_create(
        actor=Actor.system("test"),
        customer=make_customer(),
        channel=Channel.WEB_SHOP,
        payment_method=PaymentMethod.PREPAID,
        lines=lines,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("rate", ["19", "19.0", "5.5", "8.1", "27", "0", "99.9", "25.5"])
def test_a_priced_line_takes_any_rate_from_0_to_99_9(rate):
    order = place(
        [LineInput("DE-1", 1, name="Regal", unit_price=Decimal("119.00"), vat_rate=Decimal(rate))]
    )

    assert list(order.lines.values_list("vat_rate", "line_total")) == [
        (Decimal(rate).quantize(Decimal("0.1")), Decimal("119.00"))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rate", [Decimal(100), Decimal("-1"), Decimal("19.05"), Decimal("NaN"), "19", 19.0, True]
)
def test_a_priced_line_with_another_rate_is_refused_and_nothing_stored(rate):
    orders = Order.objects.count()

    with pytest.raises(ValidationError) as error:
        place([LineInput("DE-1", 1, name="Regal", unit_price=Decimal("119.00"), vat_rate=rate)])

    assert error.value.message_dict["lines"] == [
        "Line 1: the VAT rate must be from 0 to 99.9 %, to one decimal."
    ]
    assert Order.objects.count() == orders


@pytest.mark.django_db
def test_a_line_priced_from_a_product_keeps_the_products_rate():
    Product.objects.create(
        sku="KIRJA-1", name="Varastokirja", unit_price=Decimal("24.00"), vat_rate=Decimal("14.0")
    )

    order = place([LineInput("KIRJA-1", 2)])

    assert list(order.lines.values_list("vat_rate", "line_total")) == [
        (Decimal("14.0"), Decimal("48.00"))
    ]


# An invoice paid (the identity code's retention counts from it, P8) ------------------


def test_a_shopify_order_paid_says_when_by_its_update():
    paid = shopify.order_from_payload(
        shopify_order(financial_status="paid", updated_at="2026-11-25T12:00:00+02:00")
    )
    pending = shopify.order_from_payload(shopify_order(financial_status="pending"))

    assert paid.paid_at == datetime.datetime.fromisoformat("2026-11-25T12:00:00+02:00")
    assert pending.paid_at is None


def test_woocommerce_payment_date_is_not_taken_as_an_invoice_paid():
    """WooCommerce sets `date_paid` when an order moves to processing, before an
    invoice is paid: staff mark a WooCommerce invoice paid on the order page."""
    order = woocommerce.order_from_payload(woocommerce_order(date_paid_gmt="2026-11-25T10:00:00"))

    assert order.paid_at is None
