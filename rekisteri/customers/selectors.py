"""Reads of the customer register: the list, the search and duplicate candidates.

Lists page by keys (never OFFSET, never COUNT), so a page costs the same at the
millionth customer as at the first."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from rekisteri import crypto, fi
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer, Status

LIST_FIELDS = (
    "id",
    "customer_number",
    "surname",
    "first_names",
    "post_office",
    "phone",
    "email",
    "status",
    "name_key",
)
KEY_RANGE_END = "\U0010ffff"


@dataclass(frozen=True)
class CustomerPage:
    customers: list[Customer]
    next_cursor: str  # empty on the last page


def _listing() -> QuerySet[Customer]:
    # A record merged into another is found only by its number, as the kept one.
    return Customer.objects.only(*LIST_FIELDS).exclude(status=Status.MERGED)


def customer_list(*, after: int | None, limit: int) -> CustomerPage:
    """The newest customers first; `after` is the last customer number already shown."""
    customers = _listing().order_by("-customer_number")
    if after is not None:
        customers = customers.filter(customer_number__lt=after)
    rows = list(customers[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return CustomerPage(rows, str(rows[-1].customer_number) if more else "")


def _encode_cursor(name_key: str, number: int) -> str:
    raw = json.dumps([name_key, number]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_cursor(cursor: str) -> tuple[str, int] | None:
    try:
        key, number = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, TypeError, UnicodeError):
        return None
    if not isinstance(key, str) or not isinstance(number, int):
        return None
    return key, number


def customer_search(*, term: fi.SearchTerm, cursor: str, limit: int) -> CustomerPage:
    """Customers matching one search term: exact for number, email, phone and identity
    code (through its blind index); a name by the prefix of "surname first names"."""
    customers = _listing()
    if term.kind == "number":
        customers = customers.filter(customer_number=_number_current(int(term.value)))
    elif term.kind == "email":
        customers = customers.filter(email=term.value)
    elif term.kind == "phone":
        customers = customers.filter(phone=term.value)
    elif term.kind == "identity_code":
        # Every index key's digest: codes indexed before and during a key rotation too.
        indexes = crypto.keyring().blind_indexes(term.value, purpose=IDENTITY_CODE_PURPOSE)
        customers = customers.filter(identity_code_index__in=indexes)
    else:
        return _name_search(term.value, cursor, limit)
    rows = list(customers.order_by("customer_number")[: limit + 1])
    return CustomerPage(rows[:limit], "")


def _name_search(prefix: str, cursor: str, limit: int) -> CustomerPage:
    """Customers whose "surname first names" starts with the typed text, in name order."""
    customers = _listing().filter(name_key__gte=prefix, name_key__lt=prefix + KEY_RANGE_END)
    position = _decode_cursor(cursor) if cursor else None
    if position is not None:
        key, number = position
        customers = customers.filter(
            Q(name_key__gt=key) | Q(name_key=key, customer_number__gt=number)
        )
    rows = list(customers.order_by("name_key", "customer_number")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode_cursor(rows[-1].name_key, rows[-1].customer_number) if more else ""
    return CustomerPage(rows, next_cursor)


def customer_duplicates(
    *, email: str, phone: str, identity_code_indexes: Collection[str]
) -> list[Customer]:
    """Customers who share the email, phone or identity code (any of its blind indexes,
    `identity_code_indexes`): likely the same person."""
    match = Q()
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    if identity_code_indexes:
        match |= Q(identity_code_index__in=list(identity_code_indexes))
    if not match:
        return []
    return list(_listing().filter(match).order_by("customer_number")[:10])


@dataclass(frozen=True)
class TakenValues:
    """Which of the values asked about a customer in the register already has."""

    emails: frozenset[str]
    phones: frozenset[str]
    identity_code_indexes: frozenset[str]


def customer_values_taken(
    *, emails: Collection[str], phones: Collection[str], identity_code_indexes: Collection[str]
) -> TakenValues:
    """`customer_duplicates` for a batch (an import's): the emails, phones and identity
    code blind indexes of the batch that customers in the register have, in one query."""
    emails, phones, indexes = set(emails), set(phones), set(identity_code_indexes)
    match = Q()
    if emails:
        match |= Q(email__in=emails)
    if phones:
        match |= Q(phone__in=phones)
    if indexes:
        match |= Q(identity_code_index__in=indexes)
    if not match:
        return TakenValues(frozenset(), frozenset(), frozenset())
    found = list(
        Customer.objects.filter(match).values_list("email", "phone", "identity_code_index")
    )
    return TakenValues(
        emails=frozenset(email for email, _phone, _index in found if email in emails),
        phones=frozenset(phone for _email, phone, _index in found if phone in phones),
        identity_code_indexes=frozenset(index for _e, _p, index in found if index in indexes),
    )


def _number_current(number: int) -> int:
    """The number searched for, or, for a record merged into another (`customers.merging`),
    the kept record's number. A search then reads the kept record by its number alone, on
    the same index as any search by number (bench/customer_search.py checks the plan)."""
    kept = (
        Customer.objects.filter(customer_number=number, merged_into__isnull=False)
        .values_list("merged_into__customer_number", flat=True)
        .first()
    )
    return kept if kept is not None else number


def customer_get(*, customer_number: int) -> Customer | None:
    """The customer of that number; for a record merged into another (`customers.merging`),
    the record it was merged into."""
    return customer_current(Customer.objects.filter(customer_number=customer_number).first())


def customer_by_public_id(public_id: uuid.UUID | str) -> Customer | None:
    """The customer of that public id, following a merge as `customer_get` does."""
    return customer_current(Customer.objects.filter(public_id=public_id).first())


def customer_current(customer: Customer | None) -> Customer | None:
    """`customer`, or the record it was merged into (a query only then)."""
    if customer is None or customer.merged_into_id is None:
        return customer
    return Customer.objects.get(pk=customer.merged_into_id)


def customer_and_merged_ids(customer_id: int) -> QuerySet[Customer, Any]:
    """The ids of the customer and of the records merged into it, as a subquery: what
    is still stored on those records (their audit events, their consent ledgers) is the
    customer's too."""
    return Customer.objects.filter(Q(pk=customer_id) | Q(merged_into_id=customer_id)).values("pk")
