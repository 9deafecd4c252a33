"""The replay log: the acts a restored backup must not lose, kept outside the database.

A withdrawal of consent, an objection (GDPR art. 21), a direct marketing ban and a
restriction (art. 18), and the lifting of a ban or a restriction, are each recorded
twice by the service that does them: a `ReplayLogEntry` row in the act's own
transaction, and a line in the file `REKISTERI_REPLAY_LOG` beside the erasure log, which
a restore does not roll back. Both hold opaque ids only (the customer's public id, the
act's own id), the kind of act, its channel and source, and when. A grant is not
recorded: a restore that loses one leaves the customer with less marketing, not more.

When the line is written errs towards the person's no. An act that says no is forced to
disk before its transaction commits, as an erasure is: should the commit fail, a replay
does what the person asked rather than lose it, and should the file fail, the act fails
with it. A lift is written once its transaction has committed: should the process stop
in between, a restore keeps the ban or the restriction, which is the safe way to fail.
`privacy.replay.services` does again the acts the file has and the table lacks."""

from __future__ import annotations

import datetime
import json
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from rekisteri.consents.models import Channel, Source
from rekisteri.privacy.models import ActKind, ReplayLogEntry

if TYPE_CHECKING:
    from rekisteri.customers.models import Customer

logger = logging.getLogger(__name__)

SAYING_NO = frozenset({ActKind.WITHDRAWAL, ActKind.OBJECTION, ActKind.BAN, ActKind.RESTRICTION})
# The acts that are events of the consent ledger, of the same kind there.
CONSENT_KINDS = frozenset({ActKind.WITHDRAWAL, ActKind.OBJECTION, ActKind.BAN, ActKind.BAN_LIFTED})


@dataclass(frozen=True)
class Act:
    """One act of the replay log, as the file and the table hold it."""

    act_id: uuid.UUID
    customer_public_id: uuid.UUID
    kind: str
    channel: str
    source: str
    done_at: datetime.datetime

    @classmethod
    def of_line(cls, data: Any) -> Act:
        """The act of a line of the file; ValueError, KeyError or TypeError when the line
        is not one the log writes."""
        act = cls(
            act_id=uuid.UUID(data["act"]),
            customer_public_id=uuid.UUID(data["customer"]),
            kind=str(data["kind"]),
            channel=str(data.get("channel", "")),
            source=str(data.get("source", "")),
            done_at=datetime.datetime.fromisoformat(data["at"]),
        )
        if not act.is_well_formed():
            raise ValueError("not an act of the replay log")
        return act

    def is_well_formed(self) -> bool:
        if self.kind not in ActKind.values or self.done_at.tzinfo is None:
            return False
        if self.kind not in CONSENT_KINDS:
            return self.channel == self.source == ""
        channel_kind = self.kind == ActKind.WITHDRAWAL
        return self.source in Source.values and (
            self.channel in Channel.values if channel_kind else self.channel == ""
        )

    @classmethod
    def of_entry(cls, entry: ReplayLogEntry) -> Act:
        return cls(
            act_id=entry.act_id,
            customer_public_id=entry.customer_public_id,
            kind=entry.kind,
            channel=entry.channel,
            source=entry.source,
            done_at=entry.done_at,
        )

    def line(self) -> dict[str, str]:
        data = {
            "act": str(self.act_id),
            "customer": str(self.customer_public_id),
            "kind": self.kind,
            "channel": self.channel,
            "source": self.source,
            "at": self.done_at.astimezone(datetime.UTC).isoformat(),
        }
        return {key: value for key, value in data.items() if value}

    def entry(self) -> ReplayLogEntry:
        return ReplayLogEntry(
            act_id=self.act_id,
            customer_public_id=self.customer_public_id,
            kind=self.kind,
            channel=self.channel,
            source=self.source,
            done_at=self.done_at,
        )


def replay_log_path() -> Path:
    return Path(settings.REKISTERI_REPLAY_LOG)


def jsonl_append(path: Path, records: Iterable[dict[str, str]]) -> None:
    """Appends the records to the file (created 0600), one JSON object a line, and
    forces them to disk before returning. ASCII only: the log holds ids and codes."""
    data = "".join(json.dumps(record) + "\n" for record in records).encode("ascii")
    if not data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _lift_append(act: Act) -> None:
    try:
        jsonl_append(replay_log_path(), [act.line()])
    except OSError:
        # The lift has committed: the person's request stands. Only a restore from an
        # older backup would miss it, and that keeps the ban or restriction.
        logger.exception(
            "replay log: act %s (%s) could not be written to the file", act.act_id, act.kind
        )


def act_record(
    *,
    customer: Customer,
    kind: str,
    done_at: datetime.datetime,
    channel: str = "",
    source: str = "",
) -> Act:
    """Records an act in the replay log (table and file) within the caller's
    transaction; call it as the act's last write. `kind` is an `ActKind`. A lift whose
    line could not be written after its commit is still in the table, and the next
    replay writes it back to the file."""
    act = Act(
        act_id=uuid.uuid4(),
        customer_public_id=customer.public_id,
        kind=ActKind(kind),
        channel=channel,
        source=source,
        done_at=done_at,
    )
    entry = act.entry()
    entry.full_clean(validate_unique=False)
    entry.save(force_insert=True)
    if act.kind in SAYING_NO:
        jsonl_append(replay_log_path(), [act.line()])
    else:
        transaction.on_commit(partial(_lift_append, act))
    return act


def acts_read() -> dict[uuid.UUID, Act]:
    """The acts in the file, by act id, in the order the file has them (a line written
    twice counts once)."""
    path = replay_log_path()
    if not path.exists():
        return {}
    acts: dict[uuid.UUID, Act] = {}
    with path.open(encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                act = Act.of_line(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError):
                logger.warning("replay log line %s is unreadable and was skipped", number)
                continue
            acts.setdefault(act.act_id, act)
    return acts
