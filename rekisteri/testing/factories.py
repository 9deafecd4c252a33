"""Fake but realistic test data (Faker fi_FI, example.fi, temporary identity codes).

Customers are made through `customer_create`, as everything else makes them."""

from __future__ import annotations

import itertools
import random

from faker import Faker

from rekisteri.accounts.models import PledgeAcceptance, User
from rekisteri.accounts.pledge import PLEDGE_VERSION, pledge_digest
from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Source
from rekisteri.customers.services import CustomerInput, customer_create
from rekisteri.testing.identity_codes import random_identity_code

fake = Faker("fi_FI")
PASSWORD = "Kissa-istuu-puussa-42"


def fake_email(first_names: str, surname: str) -> str:
    local = f"{first_names.split()[0]}.{surname}".lower()
    local = local.translate(str.maketrans("äöå", "aoa"))
    return f"{local}.{random.randrange(10**6)}@example.fi"


def fake_phone() -> str:
    return f"+35840{random.randrange(10**7):07d}"


def customer_input(**overrides: str) -> CustomerInput:
    surname = overrides.pop("surname", fake.last_name())
    first_names = overrides.pop("first_names", fake.first_name())
    values = {
        "surname": surname,
        "first_names": first_names,
        "street_address": fake.street_address(),
        "postal_code": fake.postcode(),
        "post_office": fake.city(),
        "phone": fake_phone(),
        "email": fake_email(first_names, surname),
    }
    values.update(overrides)
    return CustomerInput(**values)


def make_customer(
    *, identity_code: str = "", with_identity_code: bool = False, **overrides: str
) -> Customer:
    source = overrides.pop("source", Source.PHONE)
    if with_identity_code and not identity_code:
        identity_code = random_identity_code()
    return customer_create(
        actor=Actor.system("test"),
        data=customer_input(**overrides),
        source=source,
        identity_code=identity_code,
        allow_duplicate=True,
    )


_staff_numbers = itertools.count(1)


def make_user(**fields: object) -> User:
    """A staff account with fake details and the test password."""
    number = next(_staff_numbers)
    values: dict[str, object] = {
        "username": f"staff{number}",
        "first_name": fake.first_name(),
        "last_name": fake.last_name(),
    }
    values.update(fields)
    values.setdefault("email", f"{values['username']}@example.fi")
    user = User(**values)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_staff(role: str | None, *, accepted_pledge: bool = True, **fields: object) -> User:
    """A staff member with one role (or none) who has accepted the pledge."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    user = make_user(**fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=Role(role)))
    if accepted_pledge:
        PledgeAcceptance.objects.create(
            user=user,
            version=PLEDGE_VERSION,
            language="fi",
            text_digest=pledge_digest("fi"),
            accepted_at=timezone.now(),
        )
    return user
