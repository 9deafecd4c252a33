"""Who is in a target group (P4): every criterion holds, and always within the channel's
consent rules (P3, P6, P11)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.customers.models import Customer, Status
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.selectors import target_group_members
from rekisteri.orders.models import OrderStatus, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def products() -> None:
    Product.objects.create(sku="HYL-120", name="Hylly", unit_price=Decimal("89.90"))
    Product.objects.create(sku="LAT-10", name="Lattiamatto", unit_price=Decimal("20.00"))


def helsinki(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def buy(customer: Customer, sku: str, quantity: int = 1, *, placed_at=None, status=None) -> None:
    order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput(sku, quantity)],
        placed_at=placed_at,
        status=status or OrderStatus.RECEIVED,
    )


def members(**criteria: object) -> list[int]:
    group = TargetGroup(name="Testi", **{"channel": "post", **criteria})
    return sorted(target_group_members(group).values_list("customer_number", flat=True))


def numbers(*customers: Customer) -> list[int]:
    return sorted(c.customer_number for c in customers)


def test_without_criteria_a_post_group_is_every_active_customer_who_did_not_refuse():
    first, second = make_customer(), make_customer()

    assert members() == numbers(first, second)


def test_it_takes_customers_who_bought_any_of_the_products():
    shelf, carpet, neither = make_customer(), make_customer(), make_customer()
    buy(shelf, "HYL-120")
    buy(carpet, "LAT-10")
    buy(neither, "LAT-10", status=OrderStatus.CANCELLED)

    assert members(skus=["HYL-120"]) == numbers(shelf)
    assert members(skus=["HYL-120", "LAT-10"]) == numbers(shelf, carpet)


def test_it_compares_the_last_order_date_in_helsinki_time():
    """Only the latest order counts: a customer who ordered in January and again in
    March has March as the last order date. A cancelled order does not count."""
    january, march, late = make_customer(), make_customer(), make_customer()
    buy(january, "LAT-10", placed_at=helsinki(datetime.date(2026, 1, 10)))
    buy(march, "LAT-10", placed_at=helsinki(datetime.date(2026, 1, 10)))
    buy(march, "LAT-10", placed_at=helsinki(datetime.date(2026, 3, 31), hour=23))
    buy(late, "LAT-10", placed_at=helsinki(datetime.date(2026, 1, 5)))
    buy(late, "LAT-10", placed_at=helsinki(datetime.date(2026, 6, 1)), status="cancelled")

    window = {"last_order_from": datetime.date(2026, 1, 1)}
    assert members(**window, last_order_to=datetime.date(2026, 1, 31)) == numbers(january, late)
    assert members(last_order_from=datetime.date(2026, 3, 31)) == numbers(march)
    assert members(last_order_to=datetime.date(2026, 3, 30)) == numbers(january, late)


def test_it_sums_what_the_customer_spent_on_orders_not_cancelled():
    big, small, cancelled = make_customer(), make_customer(), make_customer()
    buy(big, "HYL-120", 2)  # 179.80
    buy(small, "LAT-10")  # 20.00
    buy(small, "LAT-10")  # 40.00 in all
    buy(cancelled, "HYL-120", 5, status=OrderStatus.CANCELLED)

    assert members(minimum_total_spent=Decimal("40.00")) == numbers(big, small)
    assert members(minimum_total_spent=Decimal("40.01")) == numbers(big)


def test_it_takes_postal_codes_within_any_range():
    oulu = make_customer(postal_code="90100")
    edge = make_customer(postal_code="90999")
    kempele = make_customer(postal_code="90440")
    helsinki_customer = make_customer(postal_code="00100")

    assert members(postal_code_ranges=["90100-90999"]) == numbers(oulu, edge, kempele)
    ranges = ["90100-90100", "00100-00990"]
    assert members(postal_code_ranges=ranges) == numbers(oulu, helsinki_customer)


def test_it_takes_the_preferred_languages():
    finnish = make_customer(preferred_language="fi")
    swedish = make_customer(preferred_language="sv")
    make_customer(preferred_language="en")

    assert members(languages=["sv"]) == numbers(swedish)
    assert members(languages=["fi", "sv"]) == numbers(finnish, swedish)


def test_every_criterion_must_hold():
    both = make_customer(preferred_language="sv", postal_code="90100")
    make_customer(preferred_language="sv", postal_code="00100")
    only_bought = make_customer(preferred_language="fi", postal_code="90100")
    buy(both, "HYL-120")
    buy(only_bought, "HYL-120")

    assert members(skus=["HYL-120"], languages=["sv"], postal_code_ranges=["90100"]) == (
        numbers(both)
    )


def test_banned_refusing_restricted_and_anonymised_customers_are_never_members():
    member = make_customer()
    banned, objecting, refused = make_customer(), make_customer(), make_customer()
    restricted, anonymised = make_customer(), make_customer()
    for customer in (member, banned, objecting, refused, restricted, anonymised):
        buy(customer, "HYL-120")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source="phone_call")
    consents.marketing_object(actor=SYSTEM, customer=objecting, source="email")
    consents.consent_withdraw(actor=SYSTEM, customer=refused, channel="post", source="email")
    Customer.objects.filter(pk=restricted.pk).update(status=Status.RESTRICTED)
    Customer.objects.filter(pk=anonymised.pk).update(status=Status.ANONYMISED)

    assert members(skus=["HYL-120"]) == numbers(member)
    assert members(skus=["HYL-120"], channel="phone") == numbers(member, refused)


def test_email_and_sms_groups_take_only_customers_with_a_live_opt_in():
    opted_in, never_asked, withdrew, banned_after = (make_customer() for _ in range(4))
    for customer in (opted_in, withdrew, banned_after):
        consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")
    consents.consent_withdraw(actor=SYSTEM, customer=withdrew, channel="email", source="email")
    consents.marketing_ban(actor=SYSTEM, customer=banned_after, source="phone_call")
    consents.consent_grant(actor=SYSTEM, customer=never_asked, channel="sms", source="email")

    assert members(channel="email") == numbers(opted_in)
    assert members(channel="sms") == numbers(never_asked)


def test_a_ban_after_the_group_was_saved_takes_the_customer_out_at_once():
    customer = make_customer()
    group = TargetGroup.objects.create(
        name="Kaikki", channel="post", created_at=timezone.now(), updated_at=timezone.now()
    )
    assert list(target_group_members(group)) == [customer]

    consents.marketing_ban(actor=SYSTEM, customer=customer, source="phone_call")

    assert list(target_group_members(group)) == []
