"""How long a customer's own copy takes to build: `privacy.access.copy.access_archive` (the
ZIP of `index.html` and `data.json`, identity code included) for a customer with N
orders.

The customer is made through the services, as customer service and the web shop make
them (so the rows are exactly what the register holds): N orders of one to four lines
over three years, a fifth of them on invoice with their credit decision, a delivery for
nine orders in ten (most of them shipped), a return for one in twenty, and a handful of
consent events. A kept database reuses the customer made for the same N.

The archive is built once to warm up, then `runs` times; the figures are the best and
the median wall time, the median of `subject_data` alone (the queries and the JSON-ready
dict), the queries of one archive and its size. The last line is one JSON object.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from faker import Faker

from bench.generate import identity_code_of
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.credit.models import Decision
from rekisteri.credit.services import CreditOutcome
from rekisteri.customers.models import Customer
from rekisteri.customers.services import CustomerInput, customer_create
from rekisteri.orders.models import Product
from rekisteri.orders.services import (
    LineInput,
    delivery_create,
    delivery_status_change,
    order_create,
    return_create,
)
from rekisteri.privacy.access.copy import access_archive, subject_data

TARGET_MS = 500.0
PRODUCTS = 40
ACTOR = Actor.system("bench subject_access")
CARRIERS = ("posti", "matkahuolto", "db_schenker")
CHANNELS = ("web_shop", "email", "phone")
CHANNEL_WEIGHTS = (70, 10, 20)


def marker(orders: int) -> str:
    """The note that finds a kept customer of this benchmark again."""
    return f"bench subject_access: {orders} orders"


def catalogue(rng: random.Random) -> list[str]:
    """The bench's products (made once per database); their codes."""
    kinds = ("Hylly", "Laatikko", "Teline", "Kärry", "Kaappi", "Lokerikko", "Kiinnike")
    products = [
        Product(
            sku=f"BENCH-SA-{number:03d}",
            name=f"{rng.choice(kinds)} {number}",
            unit_price=Decimal(rng.randrange(490, 39990)) / 100,
            vat_rate=Decimal("25.5"),
        )
        for number in range(1, PRODUCTS + 1)
    ]
    Product.objects.bulk_create(products, ignore_conflicts=True)
    return [product.sku for product in products]


def make_subject(*, orders: int, seed: int) -> Customer:
    """A customer with `orders` orders and everything that goes with them."""
    rng = random.Random(seed)
    fake = Faker("fi_FI")
    fake.seed_instance(seed)
    skus = catalogue(rng)
    surname, first_names = fake.last_name(), fake.first_name()
    customer = customer_create(
        actor=ACTOR,
        data=CustomerInput(
            surname=surname,
            first_names=first_names,
            street_address=fake.street_address(),
            postal_code=fake.postcode(),
            post_office=fake.city(),
            phone=f"+35840{rng.randrange(10**7):07d}",
            email=f"bench.subject.{seed}.{rng.randrange(10**6)}@example.fi",
            notes=marker(orders),
        ),
        source="web_shop",
        identity_code=identity_code_of(1001 + seed % 10**6),
        allow_duplicate=True,
    )
    consents.consent_grant(
        actor=ACTOR, customer=customer, channel="email", source=ConsentSource.WEB_SHOP_CHECKOUT
    )
    consents.consent_grant(actor=ACTOR, customer=customer, channel="sms", source="staff")
    consents.consent_withdraw(
        actor=ACTOR, customer=customer, channel="sms", source=ConsentSource.UNSUBSCRIBE_LINK
    )
    start = timezone.now() - datetime.timedelta(days=3 * 365)
    step = datetime.timedelta(days=3 * 365) / max(orders, 1)
    for number in range(orders):
        placed_at = start + step * number
        invoice = rng.random() < 0.2
        order = order_create(
            actor=ACTOR,
            customer=customer,
            channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            payment_method="invoice" if invoice else "prepaid",
            lines=[
                LineInput(sku, rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(1, 4))
            ],
            placed_at=placed_at,
            credit_outcome=CreditOutcome(
                Decision.APPROVED, "no_payment_defaults", "asiakastieto", placed_at, None
            )
            if invoice
            else None,
        )
        if rng.random() < 0.9:
            delivery = delivery_create(
                actor=ACTOR,
                order=order,
                carrier=rng.choice(CARRIERS),
                tracking_code=f"JJFI{rng.randrange(10**14):014d}",
            )
            if rng.random() < 0.8:
                delivery_status_change(actor=ACTOR, delivery=delivery, status="shipped")
        if rng.random() < 0.05:
            line = order.lines.first()
            assert line is not None
            return_create(
                actor=ACTOR, order=order, quantities={line.pk: 1}, reason="Ei sopinut tilaan"
            )
    consents.marketing_ban(actor=ACTOR, customer=customer, source="phone_call")
    return customer


def subject(*, orders: int, seed: int) -> tuple[Customer, float | None]:
    """The kept customer with `orders` orders, or a new one; seconds spent making it."""
    kept = Customer.objects.filter(notes=marker(orders)).order_by("-pk").first()
    if kept is not None:
        return kept, None
    started = time.perf_counter()
    customer = make_subject(orders=orders, seed=seed)
    return customer, time.perf_counter() - started


def measure(customer: Customer, *, runs: int) -> dict[str, Any]:
    """Times the archive (after one warm-up build) and `subject_data` alone."""
    with CaptureQueriesContext(connection) as queries:
        archive = access_archive(customer=customer, language="fi", include_identity_code=True)
    archive_ms, data_ms = [], []
    for _ in range(runs):
        started = time.perf_counter()
        access_archive(customer=customer, language="fi", include_identity_code=True)
        archive_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        subject_data(customer, include_identity_code=True)
        data_ms.append((time.perf_counter() - started) * 1000)
    return {
        "ms": round(statistics.median(archive_ms), 1),
        "best_ms": round(min(archive_ms), 1),
        "worst_ms": round(max(archive_ms), 1),
        "data_ms": round(statistics.median(data_ms), 1),
        "queries": len(queries.captured_queries),
        "bytes": len(archive),
    }


def main(*, orders: int, runs: int, seed: int, database: Any) -> dict[str, Any]:
    customer, made_in = subject(orders=orders, seed=seed)
    if made_in is not None:
        print(f"made a customer with {orders} orders in {made_in:.1f} s ({database.label})")
    held = subject_data(customer, include_identity_code=True)
    result: dict[str, Any] = {
        "engine": connection.vendor,
        "orders": len(held["orders"]),
        "lines": sum(len(order["lines"]) for order in held["orders"]),
        "deliveries": len(held["deliveries"]),
        "returns": len(held["returns"]),
        "credit_checks": len(held["credit_checks"]),
        "consent_events": len(held["consent_events"]),
        "runs": runs,
        **measure(customer, runs=runs),
        "make_seconds": round(made_in, 1) if made_in is not None else None,
        "load_average": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    result["target_met"] = result["ms"] <= TARGET_MS
    print(
        f"access archive of a customer with {result['orders']} orders ({result['lines']} "
        f"lines, {result['deliveries']} deliveries, {result['returns']} returns, "
        f"{result['credit_checks']} credit decisions, {result['consent_events']} consent "
        f"events) on {result['engine']}, {runs} runs after a warm-up"
    )
    print(
        f"  archive ms: median {result['ms']}, best {result['best_ms']}, worst "
        f"{result['worst_ms']}; subject_data alone median {result['data_ms']} ms; "
        f"{result['queries']} queries; {result['bytes']:,} bytes"
    )
    print(f"target median <= {TARGET_MS:g} ms: {'met' if result['target_met'] else 'MISSED'}")
    print(json.dumps(result))
    return result
