"""`rekisteri demo`: demo staff for every role, and a few hundred fake customers with two
years of history (`rekisteri/management/demo_history.py`): orders, deliveries, returns,
consents, campaigns, subject requests and breaches, each at its own moment.

Idempotent: running it again resets the demo passwords and tops the customers up to
the asked number (the customers added later are new today, with no history), never
duplicating anything. All personal data is fake (Faker fi_FI, example.fi addresses,
temporary identity codes 900-999, kept only with invoice orders)."""

import datetime
import json
import os
import random
import secrets
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from faker import Faker

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.sealing import audit_seal
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Source
from rekisteri.customers.services import customer_create
from rekisteri.intake.inbox import delivery_store, inbox_drain
from rekisteri.intake.models import DeliverySource, Integration, IntegrationKind
from rekisteri.intake.services import integration_create
from rekisteri.management.demo_history import (
    DEMO_SHOP,
    HISTORY_DAYS,
    History,
    customer_input,
    products_save,
)
from rekisteri.orders.models import Order

DEMO_STAFF = (
    ("asiakaspalvelu", Role.CUSTOMER_SERVICE, "Aino", "Asiakaspalvelija"),
    ("markkinointi", Role.MARKETING, "Matti", "Markkinoija"),
    ("tietosuoja", Role.PRIVACY_OFFICER, "Tiina", "Tietosuojavastaava"),
    ("yllapito", Role.ADMINISTRATOR, "Ylermi", "Ylläpitäjä"),
    ("tarkastaja", Role.AUDITOR, "Taru", "Tarkastaja"),
)


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
        made = self._history(options["customers"])
        created = made or self._customers(options["customers"])
        self.stdout.write(f"Demo customers: {Customer.objects.count()} ({created} new).")
        products_save(Actor.system("demo"))
        self.stdout.write(f"Demo orders: {Order.objects.count()}.")
        self._shop_inbox()
        # The worker seals the audit trail every second; the demo leaves it sealed.
        audit_seal()
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

    def _history(self, wanted: int) -> int:
        """Two years of history with `wanted` customers, when there is none yet (no
        orders): returns how many customers it made."""
        missing = wanted - Customer.objects.count()
        if Order.objects.exists() or missing <= 0:
            return 0
        History(customers=missing, now=timezone.now()).run()
        self.stdout.write(
            f"Demo history: {HISTORY_DAYS // 7} weeks of orders, deliveries, returns, consents, "
            "campaigns, subject requests and breaches."
        )
        return missing

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
        now = timezone.now().astimezone(datetime.UTC)  # WooCommerce's *_gmt fields are UTC
        # Two of the register's customers ordered; the third buyer, new, paid in crowns.
        known = list(Customer.objects.exclude(email="").order_by("customer_number")[:2])
        for number, currency in ((5001, "EUR"), (5002, "EUR"), (5003, "SEK")):
            buyer = known.pop(0) if known and currency == "EUR" else None
            first = buyer.first_names if buyer else fake.first_name()
            last = buyer.surname if buyer else fake.last_name()
            email = buyer.email if buyer else f"{first}.{last}.{number}@example.fi".lower()
            # Placed in the shop over the last few days.
            placed = now - datetime.timedelta(days=number - 5000, hours=number % 7)
            body = {
                "id": number,
                "status": "processing",
                "currency": currency,
                "total": "89.90",
                "date_created_gmt": f"{placed:%Y-%m-%dT%H:%M:%S}",
                "date_modified_gmt": f"{placed + datetime.timedelta(seconds=5):%Y-%m-%dT%H:%M:%S}",
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

    @transaction.atomic
    def _staff(self, password: str) -> None:
        for username, role, first_name, last_name in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.fi",
                },
            )
            if created:
                # They did the demo's two years of work (demo_history.py).
                user.date_joined = timezone.now() - datetime.timedelta(days=HISTORY_DAYS + 1)
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
        """Tops the customers up to `wanted`: new today, with no orders, so with no
        identity code (one is kept only with an invoice order, P8)."""
        missing = wanted - Customer.objects.count()
        if missing <= 0:
            return 0
        fake = Faker("fi_FI")
        fake.seed_instance(Customer.objects.count())
        rng = random.Random(Customer.objects.count())
        actor = Actor.system("demo")
        sources = [Source.WEB_SHOP, Source.WEB_SHOP, Source.EMAIL, Source.PHONE]
        for _number in range(missing):
            customer_create(
                actor=actor,
                data=customer_input(fake, rng),
                source=rng.choice(sources),
                allow_duplicate=True,
            )
        return missing
