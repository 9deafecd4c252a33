"""Sealing: committed events get their place in the hash chain, in batches, behind the
writers' backs.

Writers insert events with the MAC of their own content and no chain fields, so they
never wait for each other (audit/services.py). One sealer at a time, elected with a
PostgreSQL advisory lock that it only tries for (a second sealer finds it taken and
goes away; SQLite's writers are one at a time anyway), reads the committed events that
have no `seq` yet, oldest first, and gives each its `seq`, `prev_hash` and `hash` in
one transaction per batch. A sealer killed in the middle of a batch rolls the batch
back; the next one seals the same events again, from the same head. The worker runs it
every second (`rekisteri worker`), and `rekisteri audit seal` runs it on demand.

An event that has committed but is not sealed yet has only its own MAC: deleting it
(with the triggers dropped) would leave no gap in the chain. That window is the sealing
lag, which `rekisteri audit verify` reports and bench/audit_append.py measures.

Each sealing run that sealed something, at most once a minute unless asked for, writes
a checkpoint (the head's `seq` and hash, and the time): a row in AuditCheckpoint, a
line in the checkpoint file beside the backups and a line in the log. A copy outside
the database is what catches a rewrite of the whole table, which would leave a chain
that verifies on its own."""

from __future__ import annotations

import datetime
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.models import AuditCheckpoint, AuditEvent
from rekisteri.audit.services import GENESIS_HASH, chain_hash

logger = logging.getLogger(__name__)

# Any constant works; it names the lock that elects one sealer on PostgreSQL.
SEAL_LOCK_ID = 0x5345414C  # "SEAL"
SEAL_BATCH = 1000
CHECKPOINT_EVERY = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def sealed_head() -> Head:
    """The last sealed event's place and hash; the genesis before any."""
    last = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    if last is None or last[0] is None:
        return Head(0, GENESIS_HASH)
    return Head(last[0], last[1])


def _elected() -> bool:
    """Whether this transaction is the sealer. On PostgreSQL the advisory lock is
    tried, never waited for, and held to the end of the transaction. On SQLite every
    write transaction begins IMMEDIATE (see settings): one writer at a time already."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_ID])
        row = cursor.fetchone()
    return bool(row and row[0])


def _seal_batch(batch_size: int) -> tuple[int, Head] | None:
    """Seals up to `batch_size` events in one transaction. None when another sealer
    holds the lock; (0, head) when nothing waits."""
    with transaction.atomic():
        if not _elected():
            return None
        head = sealed_head()
        # Only events with a MAC of their own can be sealed (the triggers allow no
        # other); one without is reported by `audit verify`, never given a place.
        events = list(
            AuditEvent.objects.filter(seq__isnull=True)
            .exclude(mac="")
            .order_by("id")
            .only("id", "mac")[:batch_size]
        )
        seq, prev_hash = head.seq, head.hash
        ring = crypto.keyring()
        for event in events:
            seq += 1
            event.seq = seq
            event.prev_hash = prev_hash
            event.hash = prev_hash = chain_hash(
                seq=seq, prev_hash=prev_hash, mac=event.mac, ring=ring
            )
        if events:
            _places_write(events)
        return len(events), Head(seq, prev_hash)


# Events per UPDATE statement: 4 bound values each, inside SQLite's limit of 32,766.
UPDATE_BATCH = 1000


def _places_write(events: list[AuditEvent]) -> None:
    """Writes the events' places with one UPDATE ... FROM per thousand events: a
    fraction of the cost of Django's bulk_update, whose CASE per column the database
    parses for every row. On PostgreSQL the places come as four arrays (a short
    statement, parsed once); on SQLite (3.33 and later) as a list of VALUES."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET seq = places.seq, prev_hash = places.prev_hash, "  # noqa: S608  # nosec B608
                "hash = places.hash FROM UNNEST(%s::bigint[], %s::bigint[], %s::varchar[], "
                f"%s::varchar[]) AS places(id, seq, prev_hash, hash) WHERE {table}.id = places.id",
                [
                    [e.pk for e in events],
                    [e.seq for e in events],
                    [e.prev_hash for e in events],
                    [e.hash for e in events],
                ],
            )
            return
        for start in range(0, len(events), UPDATE_BATCH):
            chunk = events[start : start + UPDATE_BATCH]
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH places(id, seq, prev_hash, hash) AS (VALUES {rows}) "  # noqa: S608  # nosec B608
                f"UPDATE {table} SET seq = places.seq, prev_hash = places.prev_hash, "
                f"hash = places.hash FROM places WHERE {table}.id = places.id",
                [value for e in chunk for value in (e.pk, e.seq, e.prev_hash, e.hash)],
            )


@dataclass(frozen=True)
class SealRun:
    sealed: int
    head: Head
    # False when another sealer was at work: this run did nothing.
    elected: bool = True


def audit_seal(*, batch_size: int = SEAL_BATCH, checkpoint: bool = True) -> SealRun:
    """Seals every committed event waiting for its place, a batch at a time, then
    writes a checkpoint if anything was sealed (at most once a minute when
    `checkpoint` is False, as the worker's loop asks)."""
    sealed = 0
    head: Head | None = None
    while True:
        result = _seal_batch(batch_size)
        if result is None:
            return SealRun(sealed, head or sealed_head(), elected=sealed > 0)
        count, head = result
        sealed += count
        if count < batch_size:
            break
    if sealed and (checkpoint or _checkpoint_due()):
        checkpoint_write(head)
    return SealRun(sealed, head)


def _checkpoint_due() -> bool:
    last = AuditCheckpoint.objects.order_by("-last_seq").values_list("sealed_at", flat=True)
    latest = last.first()
    return latest is None or timezone.now() - latest >= CHECKPOINT_EVERY


def checkpoint_path() -> Path:
    return Path(settings.REKISTERI_AUDIT_CHECKPOINTS)


def checkpoint_write(head: Head) -> AuditCheckpoint | None:
    """Records the sealed head in the database, the checkpoint file and the log."""
    if head.seq == 0:
        return None
    now = timezone.now()
    checkpoint, _created = AuditCheckpoint.objects.get_or_create(
        last_seq=head.seq,
        defaults={"last_hash": head.hash, "sealed_at": now},
    )
    line = json.dumps(
        {"seq": head.seq, "hash": head.hash, "sealed_at": now.isoformat()}, sort_keys=True
    )
    path = checkpoint_path()
    # Beside the backups by default: the directory is made private, as the backups make it.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
    logger.info("audit checkpoint seq=%s hash=%s", head.seq, head.hash)
    return checkpoint


def checkpoint_restart(head: Head, reason: str) -> None:
    """Records in the checkpoint file that the chain was legitimately set back to
    `head` (a backup restored): the checkpoints before this line name events the
    restored database never had, or has with other hashes once sealing goes on, so
    `audit verify` compares only the ones after it. The line stays, naming the reason,
    and so does the restore's own event in the trail."""
    line = json.dumps(
        {
            "restart": reason,
            "seq": head.seq,
            "hash": head.hash,
            "sealed_at": timezone.now().isoformat(),
        },
        sort_keys=True,
    )
    path = checkpoint_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
    logger.info("audit checkpoints restart at seq=%s hash=%s: %s", head.seq, head.hash, reason)


@dataclass(frozen=True)
class FileCheckpoint:
    seq: int
    hash: str
    line: int


def checkpoints_from_file(path: Path | None = None) -> list[FileCheckpoint]:
    """The checkpoints kept in the file, in the order written, from the last restart
    (a restored backup) on; a line that is not one is skipped (a torn last line after
    a crash)."""
    path = path or checkpoint_path()
    if not path.exists():
        return []
    found: list[FileCheckpoint] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            data = json.loads(text)
            checkpoint = FileCheckpoint(int(data["seq"]), str(data["hash"]), number)
        except (ValueError, KeyError, TypeError):
            continue
        if "restart" in data:
            found = []
        if checkpoint.seq > 0:  # a restart at the genesis names no event
            found.append(checkpoint)
    return found
