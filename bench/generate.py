"""Fake customers in bulk for benchmarks: COPY on PostgreSQL, executemany on SQLite.

The services are far too slow for a million rows (each one validates, audits and
takes the number counter), so the generator writes the table directly, with the
values the services would have stored: normalised phone and email, `name_key`
from `fi.name_key`, the identity code encrypted and blind-indexed with the key ring
in use. Everything a search needs to be re-found is derived from the customer
number (`phone_of`, `identity_code_of`), so no plaintext identity code is kept
anywhere outside the database's ciphertext.
"""

from __future__ import annotations

import datetime
import math
import random
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from rekisteri import crypto, fi
from rekisteri.customers.models import (
    IDENTITY_CODE_PURPOSE,
    Customer,
    CustomerNumberCounter,
    Language,
    Source,
    Status,
)
from rekisteri.running_numbers import running_numbers_move_to
from rekisteri.testing.identity_codes import CENTURY_SIGNS, identity_code_for

FIRST_NUMBER = 1001
POOL_SIZE = 2000
CHUNK_ROWS = 50_000
IDENTITY_CODE_SHARE = 40  # per cent of customers

# Birth dates of the fake identity codes, and the bijections that spread customer
# numbers over identity codes and phone numbers: each multiplier is coprime with its
# modulus, so no two customer numbers ever share a code or a phone.
BIRTH_FIRST = datetime.date(1925, 1, 1)
BIRTH_DAYS = (datetime.date(2005, 12, 31) - BIRTH_FIRST).days + 1
IDENTITY_CODE_SPACE = BIRTH_DAYS * 100  # individual numbers 900-999
IDENTITY_CODE_STEP = 1_000_003
PHONE_SPACE = 2 * 10**7  # +35840xxxxxxx and +35850xxxxxxx
PHONE_STEP = 7_654_321
assert math.gcd(IDENTITY_CODE_SPACE, IDENTITY_CODE_STEP) == 1
assert math.gcd(PHONE_SPACE, PHONE_STEP) == 1
MAX_CUSTOMERS = min(IDENTITY_CODE_SPACE, PHONE_SPACE)

SOURCES = (Source.WEB_SHOP, Source.EMAIL, Source.PHONE, Source.IMPORT)
SOURCE_WEIGHTS = (60, 15, 20, 5)
LANGUAGES = (Language.FINNISH, Language.SWEDISH, Language.ENGLISH)
LANGUAGE_WEIGHTS = (90, 6, 4)
HISTORY = datetime.timedelta(days=8 * 365)


def has_identity_code(number: int) -> bool:
    """Whether the generator gave this customer an identity code (about 40 per cent)."""
    return (number * 2654435761 & 0xFFFFFFFF) % 100 < IDENTITY_CODE_SHARE


def identity_code_of(number: int) -> str:
    """The fake identity code (individual number 900-999) of customer `number`."""
    position = (number - FIRST_NUMBER) * IDENTITY_CODE_STEP % IDENTITY_CODE_SPACE
    birth_date = BIRTH_FIRST + datetime.timedelta(days=position // 100)
    signs = CENTURY_SIGNS[birth_date.year // 100 * 100]
    return identity_code_for(birth_date, 900 + position % 100, signs[number % len(signs)])


def phone_of(number: int) -> str:
    """The mobile number of customer `number` in E.164, as `fi.normalize_phone` gives it."""
    position = (number - FIRST_NUMBER) * PHONE_STEP % PHONE_SPACE
    operator = "40" if position < 10**7 else "50"
    return f"+358{operator}{position % 10**7:07d}"


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "-"))


@dataclass(frozen=True)
class Pools:
    """Names and addresses drawn from Faker once; rows pick from them."""

    surnames: list[str]
    first_names: list[str]
    addresses: list[tuple[str, str, str]]

    @classmethod
    def draw(cls, seed: int, size: int = POOL_SIZE) -> Pools:
        fake = Faker("fi_FI")
        fake.seed_instance(seed)
        return cls(
            surnames=[fake.last_name() for _ in range(size)],
            first_names=[fake.first_name() for _ in range(size)],
            addresses=[(fake.street_address(), fake.postcode(), fake.city()) for _ in range(size)],
        )


@dataclass(frozen=True)
class GenerateResult:
    created: int
    total: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


class _RowMaker:
    """Builds table rows (tuples in `columns` order) for a range of customer numbers."""

    KNOWN = (
        "customer_number",
        "public_id",
        "surname",
        "first_names",
        "street_address",
        "postal_code",
        "post_office",
        "country",
        "phone",
        "email",
        "preferred_language",
        "identity_code_encrypted",
        "identity_code_index",
        "notes",
        "source",
        "status",
        "created_at",
        "updated_at",
        "last_activity_at",
        "version",
        "name_key",
    )

    def __init__(self, *, pools: Pools, seed: int, total: int) -> None:
        self.pools = pools
        self.rng = random.Random(seed)
        self.ring = crypto.keyring()
        self.vendor = connection.vendor
        self.now = timezone.now().replace(microsecond=0)
        self.total = total
        self.surnames = [(s, fi.name_key(s), _ascii(s)) for s in pools.surnames]
        self.first_names = [(f, _ascii(f)) for f in pools.first_names]
        # Columns added to the model later get their default, so the generator keeps
        # working (the benchmark still measures the fields it knows).
        fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {
            f.column: f.get_db_prep_save(f.get_default(), connection)
            for f in fields
            if f.column not in self.KNOWN
        }
        missing = {f.column for f in fields if f.name in self.KNOWN} ^ set(self.KNOWN)
        if missing:
            raise RuntimeError(f"the Customer model no longer has columns {sorted(missing)}")

    def _timestamp(self, moment: datetime.datetime) -> str:
        if self.vendor == "sqlite":  # Django keeps naive UTC text on SQLite
            return moment.replace(tzinfo=None).isoformat(" ")
        return moment.isoformat(" ")

    def rows(self, first: int, last: int) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        ring = self.ring
        span = HISTORY.total_seconds()
        start = self.now - HISTORY
        for number in range(first, last + 1):
            surname, _surname_key, surname_ascii = rng.choice(self.surnames)
            first_name, first_ascii = rng.choice(self.first_names)
            first_names = first_name
            if rng.random() < 0.3:
                first_names = f"{first_name} {rng.choice(self.first_names)[0]}"
            street, postal_code, post_office = rng.choice(self.pools.addresses)
            # Customer numbers grow with time, as the services hand them out.
            share = (number - FIRST_NUMBER + rng.random()) / self.total
            created = start + datetime.timedelta(seconds=span * min(share, 1.0))
            active = created + datetime.timedelta(
                seconds=rng.random() * (self.now - created).total_seconds()
            )
            public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            encrypted = index = ""
            if has_identity_code(number):
                code = identity_code_of(number)
                # Bound to the row as customers.services binds it: the public id.
                encrypted = ring.encrypt(code, purpose=IDENTITY_CODE_PURPOSE, row=str(public_id))
                index = ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
            values = {
                "customer_number": number,
                "public_id": public_id.hex,
                "surname": surname,
                "first_names": first_names,
                "street_address": street,
                "postal_code": postal_code,
                "post_office": post_office,
                "country": fi.FINLAND,
                "phone": phone_of(number),
                "email": f"{first_ascii}.{surname_ascii}.{number}@example.fi",
                "preferred_language": rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0],
                "identity_code_encrypted": encrypted,
                "identity_code_index": index,
                "notes": "",
                "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
                "status": Status.ACTIVE,
                "created_at": self._timestamp(created),
                "updated_at": self._timestamp(created),
                "last_activity_at": self._timestamp(active),
                "version": 1,
                "name_key": fi.name_key(f"{surname} {first_names}"),
                **self.defaults,
            }
            yield tuple(values[column] for column in self.columns)


def _write_postgresql(table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)


def _write_sqlite(table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    raw = connection.connection
    # The names are the model's, quoted; the values are parameters.
    raw.executemany(
        f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})",  # nosec B608
        rows,
    )


def customer_count() -> int:
    return Customer.objects.count()


def analyze() -> None:
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute(f"ANALYZE {table}")  # a test's transaction: VACUUM cannot run
        elif connection.vendor == "postgresql":
            # Sets the visibility map too, as autovacuum would on a live register.
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("ANALYZE")


def generate_customers(
    *,
    total: int,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Adds fake customers until the register holds customer numbers 1001..1000+total.

    Customers already there (from an earlier run with the same key ring) are kept."""
    if total > MAX_CUSTOMERS:
        raise ValueError(f"the generator makes at most {MAX_CUSTOMERS} unique customers")
    started = time.perf_counter()
    last_existing = Customer.objects.order_by("-customer_number").values_list(
        "customer_number", flat=True
    ).first() or (FIRST_NUMBER - 1)
    last = FIRST_NUMBER + total - 1
    maker = _RowMaker(pools=Pools.draw(seed), seed=seed + last_existing, total=total)
    write = _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
    table = Customer._meta.db_table
    for first in range(last_existing + 1, last + 1, CHUNK_ROWS):
        chunk_last = min(first + CHUNK_ROWS - 1, last)
        with transaction.atomic():
            write(table, maker.columns, maker.rows(first, chunk_last))
        if progress:
            done = chunk_last - last_existing
            elapsed = time.perf_counter() - started
            progress(
                f"  {chunk_last - FIRST_NUMBER + 1:>9} customers ({done / elapsed:,.0f} rows/s)"
            )
    created = max(0, last - last_existing)
    if created:
        running_numbers_move_to(CustomerNumberCounter, max(last, last_existing))
        analyze()
    return GenerateResult(
        created=created, total=customer_count(), seconds=time.perf_counter() - started
    )
