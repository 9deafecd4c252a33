"""`rekisteri demo`: demo staff for every role, a few hundred fake customers, products
and orders.

Idempotent: running it again resets the demo passwords and tops the customers up to
the asked number, never duplicating them. All personal data is fake (Faker fi_FI,
example.fi addresses, temporary identity codes 900-999)."""

import json
import os
import random
import secrets
from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from faker import Faker

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent
from rekisteri.consents.services import consent_grant, marketing_ban
from rekisteri.customers.models import Customer, Source
from rekisteri.customers.services import CustomerInput, customer_create
from rekisteri.intake.inbox import delivery_store, inbox_drain
from rekisteri.intake.models import DeliverySource, Integration, IntegrationKind
from rekisteri.intake.services import integration_create
from rekisteri.marketing.models import Campaign
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.orders.models import Channel, Order, OrderStatus, PaymentMethod, Product
from rekisteri.orders.services import (
    LineInput,
    delivery_create,
    delivery_status_change,
    order_create,
    order_status_change,
    product_save,
    return_create,
)
from rekisteri.testing.identity_codes import random_identity_code

DEMO_PRODUCTS = (
    ("HYL-120", "Varastohylly 120 cm", "89.90", "25.5"),
    ("HYL-180", "Varastohylly 180 cm", "129.00", "25.5"),
    ("LAA-50", "Muovilaatikko 50 l", "14.90", "25.5"),
    ("LAA-80", "Muovilaatikko 80 l", "19.90", "25.5"),
    ("KAR-10", "Muuttolaatikko, 10 kpl", "24.50", "25.5"),
    ("TEI-50", "Pakkausteippi 50 mm", "3.90", "25.5"),
    ("KIR-01", "Varastoinnin käsikirja", "29.00", "14.0"),
    ("KUP-01", "Säilytyskuponki", "0.00", "0.0"),
)

DEMO_STAFF = (
    ("asiakaspalvelu", Role.CUSTOMER_SERVICE, "Aino", "Asiakaspalvelija"),
    ("markkinointi", Role.MARKETING, "Matti", "Markkinoija"),
    ("tietosuoja", Role.PRIVACY_OFFICER, "Tiina", "Tietosuojavastaava"),
    ("yllapito", Role.ADMINISTRATOR, "Ylermi", "Ylläpitäjä"),
    ("tarkastaja", Role.AUDITOR, "Taru", "Tarkastaja"),
)


DEMO_SHOP = "Verkkokauppa (demo)"


class Command(BaseCommand):
    help = "Load demo staff (one per role) and fake customers. Safe to run again."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument(
            "--code",
            metavar="USERNAME",
            help="Print a demo user's current authenticator code (for trying the demo "
            "without an authenticator app) and do nothing else.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        if options["code"]:
            self._print_code(options["code"])
            return
        password = os.environ.get("REKISTERI_DEMO_PASSWORD") or (
            "demo-" + secrets.token_urlsafe(12)
        )
        if len(password) < 12:
            raise CommandError("REKISTERI_DEMO_PASSWORD must be at least 12 characters.")
        self._staff(password)
        created = self._customers(options["customers"])
        self.stdout.write(f"Demo customers: {Customer.objects.count()} ({created} new).")
        self._products()
        orders = self._orders()
        self.stdout.write(f"Demo orders: {Order.objects.count()} ({orders} new).")
        self._consents()
        self._campaigns()
        self._shop_inbox()
        self.stdout.write(
            "Customers' pages in Finnish, Swedish or English by the browser's language, or "
            "?kieli=fi|sv|en: /tietosuojaseloste/ and /tietosuoja/."
        )
        self.stdout.write("Demo logins (each signs the confidentiality pledge on first sign-in):")
        for username, role, _first, _last in DEMO_STAFF:
            self.stdout.write(f"  {username:<15} {Role(role).label!s:<28} password: {password}")
        self.stdout.write(
            "Two-factor sign-in: add these keys to an authenticator app, or print the "
            "current code with `rekisteri demo --code USERNAME`:"
        )
        for username, _role, _first, _last in DEMO_STAFF:
            device = twofactor.authenticator(User.objects.get(username=username))
            if device is not None:
                self.stdout.write(f"  {username:<15} key: {twofactor.secret(device)}")
                self.stdout.write(f"  {'':<15} {device.config_url}")

    def _products(self) -> None:
        actor = Actor.system("demo")
        for sku, name, price, vat in DEMO_PRODUCTS:
            if not Product.objects.filter(sku=sku).exists():
                product_save(
                    actor=actor,
                    product=None,
                    sku=sku,
                    name=name,
                    unit_price=Decimal(price),
                    vat_rate=Decimal(vat),
                    is_active=True,
                )

    def _orders(self) -> int:
        """Orders for every third customer, some delivered, a few returned (once)."""
        if Order.objects.exists():
            return 0
        actor = Actor.system("demo")
        rng = random.Random(2026)
        skus = [sku for sku, *_rest in DEMO_PRODUCTS]
        customers = list(Customer.objects.order_by("customer_number")[::3])
        for customer in customers:
            order = order_create(
                actor=actor,
                customer=customer,
                channel={Source.WEB_SHOP: Channel.WEB_SHOP, Source.EMAIL: Channel.EMAIL}.get(
                    Source(customer.source), Channel.PHONE
                ),
                payment_method=rng.choice(PaymentMethod.values),
                lines=[LineInput(sku, rng.randint(1, 3)) for sku in rng.sample(skus, 2)],
            )
            if rng.random() < 0.6:
                order = order_status_change(actor=actor, order=order, status=OrderStatus.CONFIRMED)
                delivery = delivery_create(
                    actor=actor,
                    order=order,
                    carrier=rng.choice(["posti", "matkahuolto"]),
                    tracking_code=f"JJFI{rng.randrange(10**12):012d}",
                )
                order = order_status_change(actor=actor, order=order, status=OrderStatus.SHIPPED)
                delivery_status_change(actor=actor, delivery=delivery, status="shipped")
                delivery_status_change(actor=actor, delivery=delivery, status="delivered")
                order = order_status_change(actor=actor, order=order, status=OrderStatus.DELIVERED)
                if rng.random() < 0.15:
                    line = order.lines.first()
                    assert line is not None
                    return_create(
                        actor=actor,
                        order=order,
                        quantities={line.pk: 1},
                        reason="Väärä koko",
                    )
        return len(customers)

    def _shop_inbox(self) -> None:
        """A WooCommerce shop whose deliveries went through the inbox: two became
        orders and one, in Swedish crowns, waits for customer service (once)."""
        if Integration.objects.filter(name=DEMO_SHOP).exists():
            return
        integration = integration_create(
            actor=Actor.system("demo"),
            kind=IntegrationKind.WOOCOMMERCE,
            name=DEMO_SHOP,
            shop_url="https://kauppa.example.fi",
        ).integration
        fake = Faker("fi_FI")
        fake.seed_instance(2026)
        # Two of the register's customers ordered; the third buyer, new, paid in crowns.
        known = list(Customer.objects.exclude(email="").order_by("customer_number")[:2])
        for number, currency in ((5001, "EUR"), (5002, "EUR"), (5003, "SEK")):
            buyer = known.pop(0) if known and currency == "EUR" else None
            first = buyer.first_names if buyer else fake.first_name()
            last = buyer.surname if buyer else fake.last_name()
            email = buyer.email if buyer else f"{first}.{last}.{number}@example.fi".lower()
            body = {
                "id": number,
                "status": "processing",
                "currency": currency,
                "total": "89.90",
                "date_created_gmt": "2026-11-02T10:15:04",
                "date_modified_gmt": "2026-11-02T10:15:09",
                "payment_method": "bacs",
                "billing": {
                    "first_name": first,
                    "last_name": last,
                    "address_1": fake.street_address(),
                    "postcode": fake.postcode(),
                    "city": fake.city(),
                    "country": "FI",
                    "email": email,
                },
                "shipping": {},
                "line_items": [
                    {
                        "name": "Hylly 120 cm",
                        "sku": "HYL-120",
                        "product_id": 93,
                        "quantity": 1,
                        "total": "71.63",
                        "total_tax": "18.27",
                        "taxes": [{"id": 1, "total": "18.27"}],
                    }
                ],
                "tax_lines": [{"rate_id": 1, "rate_percent": 25.5}],
            }
            delivery_store(
                integration=integration,
                source=DeliverySource.WEBHOOK,
                body=json.dumps(body).encode(),
                topic="order.created",
            )
        inbox_drain()

    def _consents(self) -> None:
        """Email opt-ins for some customers, SMS for fewer, a few bans (once)."""
        if ConsentEvent.objects.exists():
            return
        actor = Actor.system("demo")
        rng = random.Random(2027)
        for customer in Customer.objects.order_by("customer_number"):
            draw = rng.random()
            if draw < 0.05:
                marketing_ban(actor=actor, customer=customer, source="phone_call")
                continue
            if draw < 0.45:
                consent_grant(
                    actor=actor,
                    customer=customer,
                    channel="email",
                    source="web_shop_checkout",
                    language=customer.preferred_language,
                )
            if draw < 0.15:
                consent_grant(
                    actor=actor,
                    customer=customer,
                    channel="sms",
                    source="phone_call",
                    language=customer.preferred_language,
                )

    def _campaigns(self) -> None:
        """An email target group with a draft campaign to try sending (once)."""
        if Campaign.objects.exists():
            return
        actor = Actor.system("demo")
        group = target_group_save(
            actor=actor, data=TargetGroupInput(name="Sähköpostiuutiskirje", channel="email")
        )
        campaign_save(
            actor=actor,
            data=CampaignInput(
                name="Syksyn uutiskirje",
                channel="email",
                target_group=group,
                subject="Syksyn uutuudet varastolta",
                body="Hei!\n\nSyksyn uudet hyllyt ja laatikot ovat tulleet.\n\nTervetuloa!",
            ),
        )

    @transaction.atomic
    def _staff(self, password: str) -> None:
        for username, role, first_name, last_name in DEMO_STAFF:
            user, _created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.fi",
                },
            )
            user.is_active = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            if twofactor.is_required(user) and twofactor.authenticator(user) is None:
                twofactor.authenticator_install(user=user)

    def _print_code(self, username: str) -> None:
        if username not in {name for name, _role, _first, _last in DEMO_STAFF}:
            raise CommandError(f"{username} is not a demo user.")
        user = User.objects.filter(username=username).first()
        device = twofactor.authenticator(user) if user is not None else None
        if device is None:
            raise CommandError(f"{username} has no authenticator; run `rekisteri demo` first.")
        self.stdout.write(twofactor.current_code(device))

    def _customers(self, wanted: int) -> int:
        missing = wanted - Customer.objects.count()
        if missing <= 0:
            return 0
        fake = Faker("fi_FI")
        fake.seed_instance(Customer.objects.count())
        rng = random.Random(Customer.objects.count())
        actor = Actor.system("demo")
        sources = [Source.WEB_SHOP, Source.WEB_SHOP, Source.EMAIL, Source.PHONE]
        for number in range(missing):
            surname, first_names = fake.last_name(), fake.first_name()
            if rng.random() < 0.3:
                first_names += " " + fake.first_name()
            local = f"{first_names.split()[0]}.{surname}".lower()
            local = local.translate(str.maketrans("äöå", "aoa"))
            customer_create(
                actor=actor,
                data=CustomerInput(
                    surname=surname,
                    first_names=first_names,
                    street_address=fake.street_address(),
                    postal_code=fake.postcode(),
                    post_office=fake.city(),
                    phone=f"+3584{rng.choice('05')}{rng.randrange(10**7):07d}",
                    email=f"{local}{rng.randrange(1000)}@example.fi",
                    preferred_language=rng.choice(["fi", "fi", "fi", "sv", "en"]),
                ),
                source=rng.choice(sources),
                identity_code=random_identity_code(rng) if number % 3 == 0 else "",
                allow_duplicate=True,
            )
        return missing
