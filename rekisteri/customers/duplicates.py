"""Likely duplicates: pairs of live customers (not erased, not merged away) who share an
email, a phone, an identity code (its blind index; no code is decrypted) or a name and
an address. Customer service reviews them and merges those that are one person.

The register is read by GROUP BY on the indexed columns, a page of groups at a time,
newest group first: the customer number that made a group a duplicate last. Within a
kind of match each customer is in one group at most, so a group's newest number is a
cursor that no other group of that kind shares."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Q, QuerySet, TextChoices, Window
from django.db.models.functions import Lower, RowNumber
from django.utils.translation import gettext_lazy as _

from rekisteri.customers.models import Customer, Status

# Customers shown with each group on a page besides its oldest: a phone number shared
# by a hundred records (a switchboard) is not a hundred duplicates to review at once.
OTHERS_PER_GROUP = 10
PAIR_FIELDS = (
    "id",
    "customer_number",
    "surname",
    "first_names",
    "street_address",
    "postal_code",
    "post_office",
    "phone",
    "email",
    "identity_code_index",
    "name_key",
    "status",
    "created_at",
)


class Reason(TextChoices):
    EMAIL = "email", _("same email")
    PHONE = "phone", _("same phone")
    IDENTITY_CODE = "identity_code", _("same identity code")
    NAME_AND_ADDRESS = "name_and_address", _("same name and address")


# What each kind of match groups by. Emails are stored lower-cased and phones in E.164
# (customers.services normalises every write, and the search relies on it), so equal
# columns are equal addresses and numbers. Street addresses are stored with single
# spaces; their case is folded here (on SQLite, ASCII letters only).
_KEYS: dict[Reason, dict[str, F | Lower]] = {
    Reason.EMAIL: {"key_email": F("email")},
    Reason.PHONE: {"key_phone": F("phone")},
    Reason.IDENTITY_CODE: {"key_identity_code": F("identity_code_index")},
    Reason.NAME_AND_ADDRESS: {
        "key_name": F("name_key"),
        "key_street": Lower("street_address"),
        "key_postal_code": F("postal_code"),
    },
}
_NOT_BLANK: dict[Reason, Q] = {
    Reason.EMAIL: ~Q(email=""),
    Reason.PHONE: ~Q(phone=""),
    Reason.IDENTITY_CODE: ~Q(identity_code_index=""),
    Reason.NAME_AND_ADDRESS: ~Q(street_address="") & ~Q(postal_code=""),
}


@dataclass(frozen=True)
class DuplicatePair:
    # The record a merge keeps unless staff swap them: the older one in the list, the
    # customer asked about in `duplicates_of`.
    kept: Customer
    other: Customer
    reasons: list[Reason]
    # On the last pair of a group cut at OTHERS_PER_GROUP: how many more records match.
    more: int = 0


@dataclass(frozen=True)
class DuplicatePage:
    pairs: list[DuplicatePair]
    next_cursor: int | None  # show groups whose newest customer number is below this


def live_customers() -> QuerySet[Customer]:
    """Customers who may be merged: not erased, not merged into another record."""
    return Customer.objects.exclude(status__in=[Status.ANONYMISED, Status.MERGED]).filter(
        merged_into__isnull=True
    )


def match_reasons(first: Customer, second: Customer) -> list[Reason]:
    """Why two customers look like one person, compared on the stored (normalised)
    values."""
    reasons = []
    if first.email and first.email == second.email:
        reasons.append(Reason.EMAIL)
    if first.phone and first.phone == second.phone:
        reasons.append(Reason.PHONE)
    if first.identity_code_index and first.identity_code_index == second.identity_code_index:
        reasons.append(Reason.IDENTITY_CODE)
    if (
        first.street_address
        and first.postal_code
        and first.name_key == second.name_key
        and first.street_address.lower() == second.street_address.lower()
        and first.postal_code == second.postal_code
    ):
        reasons.append(Reason.NAME_AND_ADDRESS)
    return reasons


@dataclass(frozen=True)
class _Group:
    reason: Reason
    key: tuple[str, ...]
    oldest: int
    newest: int
    size: int


def _groups(reason: Reason, *, before: int | None, limit: int) -> list[_Group]:
    """The `limit` newest groups of customers who match by `reason`."""
    keys = _KEYS[reason]
    groups = (
        live_customers()
        .filter(_NOT_BLANK[reason])
        .annotate(**keys)
        .values(*keys)
        .annotate(size=Count("id"), oldest=Min("customer_number"), newest=Max("customer_number"))
        .filter(size__gt=1)
    )
    if before is not None:
        groups = groups.filter(newest__lt=before)
    return [
        _Group(reason, tuple(row[name] for name in keys), row["oldest"], row["newest"], row["size"])
        for row in groups.order_by("-newest")[:limit]
    ]


def _members(reason: Reason, groups: list[_Group]) -> dict[tuple[str, ...], list[Customer]]:
    """The newest OTHERS_PER_GROUP customers of each group, by the group's key."""
    keys = _KEYS[reason]
    match = Q()
    for group in groups:
        match |= Q(**dict(zip(keys, group.key, strict=True)))
    rows = (
        live_customers()
        .only(*PAIR_FIELDS)
        .annotate(**keys)
        .filter(match)
        .annotate(
            place=Window(
                RowNumber(), partition_by=list(keys.values()), order_by=F("customer_number").desc()
            )
        )
        .filter(place__lte=OTHERS_PER_GROUP)
        .order_by("-customer_number")
    )
    members: dict[tuple[str, ...], list[Customer]] = {}
    for customer in rows:
        members.setdefault(tuple(getattr(customer, name) for name in keys), []).append(customer)
    return members


def duplicate_pairs(*, before: int | None, limit: int) -> DuplicatePage:
    """A page of likely duplicates: `limit` groups' worth, the groups whose newest
    customer came last first, each group as pairs of its oldest customer and each other.
    `before` is the previous page's `next_cursor`. A pair in two groups of different
    kinds that fall on different pages is shown on both, with all its reasons."""
    found = [
        group for reason in Reason for group in _groups(reason, before=before, limit=limit + 1)
    ]
    newest = sorted({group.newest for group in found}, reverse=True)
    on_page = set(newest[:limit])
    groups = [group for group in found if group.newest in on_page]
    next_cursor = newest[limit - 1] if len(newest) > limit else None
    oldest = {
        customer.customer_number: customer
        for customer in live_customers()
        .only(*PAIR_FIELDS)
        .filter(customer_number__in={group.oldest for group in groups})
    }
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    for reason in Reason:
        of_reason = [group for group in groups if group.reason == reason]
        if not of_reason:
            continue
        members = _members(reason, of_reason)
        for group in of_reason:
            others = [c for c in members.get(group.key, []) if c.customer_number != group.oldest]
            for place, other in enumerate(others, start=1):
                kept = oldest[group.oldest]
                more = group.size - 1 - len(others) if place == len(others) else 0
                pairs.setdefault(
                    (kept.customer_number, other.customer_number),
                    DuplicatePair(kept, other, match_reasons(kept, other), more),
                )
    ordered = sorted(pairs.values(), key=_newest_first)
    return DuplicatePage(ordered, next_cursor)


def _newest_first(pair: DuplicatePair) -> tuple[int, int]:
    return (-pair.other.customer_number, -pair.kept.customer_number)


def duplicates_of(customer: Customer, *, limit: int = 10) -> list[DuplicatePair]:
    """The live customers who look like `customer`'s duplicates, as pairs that keep
    `customer`; none for a customer who is erased or merged away."""
    if customer.status in (Status.ANONYMISED, Status.MERGED) or customer.merged_into_id:
        return []
    match = Q()
    if customer.email:
        match |= Q(email=customer.email)
    if customer.phone:
        match |= Q(phone=customer.phone)
    if customer.identity_code_index:
        match |= Q(identity_code_index=customer.identity_code_index)
    if customer.street_address and customer.postal_code:
        match |= Q(
            name_key=customer.name_key,
            postal_code=customer.postal_code,
            street_address__iexact=customer.street_address,
        )
    if not match:
        return []
    found = (
        live_customers()
        .only(*PAIR_FIELDS)
        .filter(match)
        .exclude(pk=customer.pk)
        .order_by("customer_number")[:limit]
    )
    return [DuplicatePair(customer, other, match_reasons(customer, other)) for other in found]
