"""`rekisteri demo`: demo staff for every role and a few hundred fake customers.

Idempotent: running it again resets the demo passwords and tops the customers up to
the asked number, never duplicating them. All personal data is fake (Faker fi_FI,
example.fi addresses, temporary identity codes 900-999)."""

import os
import random
import secrets
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from faker import Faker

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Source
from rekisteri.customers.services import CustomerInput, customer_create
from rekisteri.testing.identity_codes import random_identity_code

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

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        password = os.environ.get("REKISTERI_DEMO_PASSWORD") or (
            "demo-" + secrets.token_urlsafe(12)
        )
        if len(password) < 12:
            raise CommandError("REKISTERI_DEMO_PASSWORD must be at least 12 characters.")
        self._staff(password)
        created = self._customers(options["customers"])
        self.stdout.write(f"Demo customers: {Customer.objects.count()} ({created} new).")
        self.stdout.write("Demo logins (each signs the confidentiality pledge on first sign-in):")
        for username, role, _first, _last in DEMO_STAFF:
            self.stdout.write(f"  {username:<15} {Role(role).label!s:<18} password: {password}")

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
