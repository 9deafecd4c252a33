"""How fast a post campaign's address list streams out (P4): a post target group over
the whole register, through the export path the staff view uses, against raw SQL.

- export: `selectors.target_group_export_rows` (the view's queryset, `values_list`
  read through `.iterator(chunk_size=...)`, a server-side cursor on PostgreSQL) and
  `address_csv`, the view's CSV writer, into a sink that only counts the bytes;
- raw: the same rows and columns by hand-written SQL: `COPY (SELECT ...) TO STDOUT
  (FORMAT csv)` on PostgreSQL (the server writes the CSV), a plain cursor on SQLite.

The last line of output is one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from django.db import connection
from django.db.models import F

from rekisteri.consents.models import Channel, ConsentEvent, EventKind, Source
from rekisteri.customers.models import Customer
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.selectors import target_group_export_csv, target_group_members

TARGET_ROWS_PER_S = 200_000
TARGET_RSS_MB = 200
TARGET_RAW_SHARE = 0.5
# A few customers said no, as on a live register: every 100th has a direct marketing
# ban, every 50th (offset) refused post. Derived from the customer number, so reruns
# add nothing.
BAN_EVERY, BAN_AT = 100, 7
REFUSAL_EVERY, REFUSAL_AT = 50, 3
BATCH = 5000


def add_refusals() -> int:
    """Appends the bans and post refusals once (the ledger is append-only; a register
    that has any bench event already has them all). Returns the events added."""
    if ConsentEvent.objects.filter(source=Source.STAFF, staff_user__isnull=True).exists():
        return 0
    from django.utils import timezone

    now = timezone.now()
    remainder = F("customer_number") % BAN_EVERY
    banned = Customer.objects.alias(r=remainder).filter(r=BAN_AT).values_list("pk", flat=True)
    refusing = (
        Customer.objects.alias(r=F("customer_number") % REFUSAL_EVERY)
        .filter(r=REFUSAL_AT)
        .values_list("pk", flat=True)
    )
    events = [
        ConsentEvent(
            customer_id=pk, kind=EventKind.BAN, occurred_at=now, source=Source.STAFF, language="fi"
        )
        for pk in banned.iterator()
    ] + [
        ConsentEvent(
            customer_id=pk,
            channel=Channel.POST,
            kind=EventKind.WITHDRAWAL,
            occurred_at=now,
            source=Source.STAFF,
            language="fi",
        )
        for pk in refusing.iterator()
    ]
    ConsentEvent.objects.bulk_create(events, batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ConsentEvent._meta.db_table}")
    return len(events)


RAW_SQL = """
SELECT c.first_names || ' ' || c.surname, c.street_address, c.postal_code,
       c.post_office, c.country
FROM customers_customer c
WHERE c.status = 'active'
  AND COALESCE((SELECT e.kind FROM consents_consentevent e
                WHERE e.customer_id = c.id AND e.channel = ''
                  AND e.purpose = 'own_direct_marketing'
                ORDER BY e.id DESC LIMIT 1), 'ban_lifted') = 'ban_lifted'
  AND COALESCE((SELECT e.kind FROM consents_consentevent e
                WHERE e.customer_id = c.id AND e.channel = 'post'
                  AND e.purpose = 'own_direct_marketing'
                ORDER BY e.id DESC LIMIT 1), 'grant') = 'grant'
ORDER BY c.customer_number
"""


def raw_path() -> int:
    """Rows of the raw SQL export."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = 0
            with cursor.cursor.copy(f"COPY ({RAW_SQL}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    rows += bytes(block).count(b"\n")
            return rows
        cursor.execute(RAW_SQL)
        rows = 0
        while batch := cursor.fetchmany(BATCH):
            rows += len(batch)
        return rows


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def measure() -> dict[str, Any]:
    """Streams the post group over the whole register both ways, and checks they agree."""
    group = TargetGroup(name="Koko rekisteri", channel=Channel.POST)
    expected = target_group_members(group).count()

    started = time.perf_counter()
    rows = 0
    size = 0
    for chunk in target_group_export_csv(group):
        rows += chunk.count("\n" if isinstance(chunk, str) else b"\n")  # type: ignore[arg-type]
        size += len(chunk)
    export_seconds = time.perf_counter() - started
    rows -= 1  # the header

    started = time.perf_counter()
    raw_rows = raw_path()
    raw_seconds = time.perf_counter() - started

    if not rows == raw_rows == expected:
        raise RuntimeError(f"the paths disagree: export {rows}, raw {raw_rows}, count {expected}")
    return {
        "rows": rows,
        "bytes": size,
        "export_seconds": round(export_seconds, 3),
        "raw_seconds": round(raw_seconds, 3),
        "rows_per_s": round(rows / export_seconds) if export_seconds else 0,
        "raw_rows_per_s": round(raw_rows / raw_seconds) if raw_seconds else 0,
    }


def main(*, customers: int, seed: int, database: Any) -> dict[str, Any]:
    from bench.generate import customer_count, generate_customers

    existing = customer_count()
    if existing >= customers:
        print(f"reusing {existing:,} customers in {database.label}", flush=True)
    else:
        print(f"generating {customers - existing:,} customers into {database.label}", flush=True)
        generate_customers(
            total=customers, seed=seed, progress=lambda line: print(line, flush=True)
        )
    added = add_refusals()
    if added:
        print(f"added {added:,} bans and post refusals to the consent ledger", flush=True)
    measured = measure()
    result = {
        "customers": customer_count(),
        "engine": connection.vendor,
        **measured,
        "raw_share": round(measured["rows_per_s"] / measured["raw_rows_per_s"], 2)
        if measured["raw_rows_per_s"]
        else 0,
        "peak_rss_mb": _peak_rss_mb(),
    }
    result["targets"] = {
        "rows_per_s_at_least_200000": result["rows_per_s"] >= TARGET_ROWS_PER_S,
        "peak_rss_under_200_mb": result["peak_rss_mb"] < TARGET_RSS_MB,
        "at_least_half_raw": result["raw_share"] >= TARGET_RAW_SHARE,
    }
    print(
        f"{result['rows']:,} rows: export {result['rows_per_s']:,} rows/s, "
        f"raw SQL {result['raw_rows_per_s']:,} rows/s ({result['raw_share']}x), "
        f"peak RSS {result['peak_rss_mb']} MB"
    )
    print(json.dumps(result))
    return result
