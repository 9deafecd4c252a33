"""Reads of target groups: who is in a group now, and the rows of its post export."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone

from rekisteri.consents.models import Channel
from rekisteri.consents.selectors import customers_eligible
from rekisteri.customers.models import Customer
from rekisteri.customers.models import Source as CustomerSource
from rekisteri.marketing.address_csv import FORMULA_STARTS, address_csv, address_csv_header_line
from rekisteri.marketing.models import Campaign, CampaignMessage, TargetGroup
from rekisteri.marketing.postal_codes import parse_range
from rekisteri.marketing.restrictions import restricted_digests, without_restricted
from rekisteri.orders.models import Order, OrderLine, OrderStatus

# A count of people under this is shown to marketing as "fewer than 5" (the pages
# say 5): the exact count of a narrow group would tell whether one known person is a
# customer who bought this or lives there (docs/security.md).
FEWEST_COUNT_SHOWN = 5


def count_shown(count: int) -> int | None:
    """A count of people as marketing may see it: None when it is under
    FEWEST_COUNT_SHOWN (the page then says "fewer than 5")."""
    return count if count >= FEWEST_COUNT_SHOWN else None


# What a post campaign needs, and nothing else: no email, phone or identity code.
EXPORT_FIELDS = (
    "first_names",
    "surname",
    "street_address",
    "postal_code",
    "post_office",
    "country",
)
EXPORT_CHUNK_ROWS = 5000


def target_group_list() -> QuerySet[TargetGroup]:
    return TargetGroup.objects.select_related("updated_by").order_by("name", "pk")


def target_group_get(*, pk: int) -> TargetGroup | None:
    return TargetGroup.objects.select_related("created_by", "updated_by").filter(pk=pk).first()


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the register's time zone (Europe/Helsinki)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _purchases() -> QuerySet[Order]:
    """A customer's orders that count as purchases: all but the cancelled ones."""
    return Order.objects.filter(customer=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED)


def _ranges_q(ranges: list[str]) -> Q:
    condition = Q()
    for text in ranges:
        low, high = parse_range(text)
        condition |= Q(postal_code__gte=low, postal_code__lte=high)
    return condition


def target_group_members(group: TargetGroup) -> QuerySet[Customer]:
    """The customers in `group` now: its criteria, all of them (AND), within the
    channel's consent rules. A restricted, anonymised or banned customer is never a
    member; email and SMS members have a live opt-in. `group` need not be saved."""
    return customers_eligible(group.channel, customers=target_group_matches(group))


def target_group_matches(group: TargetGroup) -> QuerySet[Customer]:
    """The customers who meet the criteria of `group`, before any consent rule."""
    customers = Customer.objects.all()
    if group.skus:
        bought = OrderLine.objects.filter(
            order__customer=OuterRef("pk"), sku__in=list(group.skus)
        ).exclude(order__status=OrderStatus.CANCELLED)
        customers = customers.filter(Exists(bought))
    if group.last_order_from or group.last_order_to:
        last_order = _purchases().values("customer").annotate(last=Max("placed_at"))
        customers = customers.alias(last_order_at=Subquery(last_order.values("last")[:1]))
        if group.last_order_from:
            customers = customers.filter(last_order_at__gte=_start_of(group.last_order_from))
        if group.last_order_to:
            next_day = group.last_order_to + datetime.timedelta(days=1)
            customers = customers.filter(last_order_at__lt=_start_of(next_day))
    if group.minimum_total_spent is not None:
        spent = _purchases().values("customer").annotate(total=Sum("total_gross"))
        customers = customers.alias(total_spent=Subquery(spent.values("total")[:1])).filter(
            total_spent__gte=Decimal(group.minimum_total_spent)
        )
    if group.postal_code_ranges:
        customers = customers.filter(_ranges_q(list(group.postal_code_ranges)))
    if group.languages:
        customers = customers.filter(preferred_language__in=list(group.languages))
    return customers


def target_group_export_rows(
    group: TargetGroup, *, digests: frozenset[str] | None = None
) -> Iterator[tuple[str, ...]]:
    """The post export's rows (EXPORT_FIELDS), in customer number order, read in chunks
    (a server-side cursor on PostgreSQL) so that memory stays flat at any size, less the
    members on the ASML restriction list: `digests`, else the list in force, read now
    (RestrictionListUnusable if it cannot be matched). Without a list, rows pass as
    they are read."""
    if digests is None:
        digests = restricted_digests()
    rows = (
        target_group_members(group)
        .order_by("customer_number")
        .values_list(*EXPORT_FIELDS)
        .iterator(chunk_size=EXPORT_CHUNK_ROWS)
    )
    return without_restricted(rows, digests) if digests else rows


def campaign_recipients(campaign: Campaign) -> QuerySet[Customer]:
    """Whom `campaign` may reach now: the members of its target group with an address
    on the channel. With the existing-customer exception (917/2014 § 200), email and
    SMS reach, without an opt-in, the group's customers whose contact details came with
    a purchase (not an import, and an order that was not cancelled) and who have not
    opted out on the channel or banned marketing."""
    matches = target_group_matches(campaign.target_group)
    if campaign.existing_customer_exception:
        matches = matches.exclude(source=CustomerSource.IMPORT).filter(Exists(_purchases()))
    customers = customers_eligible(
        campaign.channel,
        customers=matches,
        not_refused_suffices=campaign.existing_customer_exception,
    )
    address_field = "email" if campaign.channel == Channel.EMAIL else "phone"
    return customers.exclude(**{address_field: ""})


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("target_group").order_by("-created_at", "-pk")


def campaign_get(*, pk: int) -> Campaign | None:
    return (
        Campaign.objects.select_related("target_group", "created_by", "queued_by")
        .filter(pk=pk)
        .first()
    )


def campaign_messages(campaign: Campaign) -> QuerySet[CampaignMessage]:
    """The per-recipient log, by customer number (numbers only: marketing does not see
    customers' details)."""
    return (
        CampaignMessage.objects.filter(campaign=campaign)
        .select_related("customer")
        .only(
            "status",
            "detail",
            "sent_at",
            "unsubscribed_at",
            "customer__customer_number",
        )
        .order_by("customer__customer_number")
    )


def _formula_guarded(alias: str) -> Case:
    """The text of `alias`, a quote put before a first character that would make a
    spreadsheet run the cell as a formula (the rule of address_csv.FORMULA_STARTS)."""
    starts = Q()
    for character in sorted(FORMULA_STARTS):
        starts |= Q(**{f"{alias}__startswith": character})
    return Case(
        When(starts, then=Concat(Value("'"), F(alias), output_field=CharField())),
        default=F(alias),
        output_field=CharField(),
    )


def target_group_export_csv(
    group: TargetGroup, *, digests: frozenset[str] = frozenset()
) -> Iterator[str | bytes]:
    """The post address list as CSV, in chunks. On PostgreSQL, with no restriction list
    to match, the database writes it (COPY ... TO STDOUT): the same rows and cells as
    `address_csv(target_group_export_rows(group))`, which writes it everywhere else."""
    if connection.vendor != "postgresql" or digests:
        return address_csv(target_group_export_rows(group, digests=digests))
    return _copied_csv(group)


def _copied_csv(group: TargetGroup) -> Iterator[str | bytes]:
    yield address_csv_header_line()
    rows = (
        target_group_members(group)
        .order_by("customer_number")
        .alias(
            export_name=Concat(
                F("first_names"), Value(" "), F("surname"), output_field=CharField()
            ),
            export_street=F("street_address"),
            export_office=F("post_office"),
        )
        .annotate(
            guarded_name=_formula_guarded("export_name"),
            guarded_street=_formula_guarded("export_street"),
            guarded_office=_formula_guarded("export_office"),
        )
        .values_list("guarded_name", "guarded_street", "postal_code", "guarded_office", "country")
    )
    sql, params = rows.query.sql_with_params()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy,
    ):
        for block in copy:
            yield bytes(block)
