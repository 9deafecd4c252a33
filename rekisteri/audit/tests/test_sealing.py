"""Sealing: committed events get their place in the chain in batches, behind the
writers' backs, and each sealing run leaves a checkpoint in the database, in the file
beside the backups and in the log."""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Callable
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from rekisteri.audit import sealing
from rekisteri.audit.models import Action, AuditCheckpoint, AuditEvent
from rekisteri.audit.sealing import Head, SealRun, audit_seal, checkpoints_from_file
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record, chain_hash, content_mac
from rekisteri.audit.tests.helpers import event_without_mac_insert, record

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
EARLY = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)


def record_events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=SYSTEM, action=Action.VIEW, reason=f"Event {number}")
        for number in range(1, count + 1)
    ]


def checkpoint_lines() -> list[dict[str, Any]]:
    path = settings.REKISTERI_AUDIT_CHECKPOINTS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_sealing_gives_gapless_places_in_id_order_with_chain_hashes(caplog):
    """Answer: how many were sealed and the new head. Database: seq 1, 2, 3 in the order
    the events were inserted (not their times), each linked to the one before, and a
    checkpoint row. Outside: a line in the checkpoint file and one in the log."""
    first = record(SYSTEM, Action.ERASE)
    # Inserted later, though it says it happened earlier: the order is the insertion's.
    second = record(SYSTEM, Action.VIEW, at=EARLY)
    third = record(SYSTEM, Action.EXPORT, reason="Export")

    with caplog.at_level(logging.INFO, logger="rekisteri.audit.sealing"):
        run = audit_seal()

    stored = list(AuditEvent.objects.order_by("id"))
    assert [event.pk for event in stored] == [first.pk, second.pk, third.pk]
    assert [event.seq for event in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS_HASH
    assert [event.prev_hash for event in stored[1:]] == [event.hash for event in stored[:-1]]
    for seq, event in enumerate(stored, start=1):
        assert event.mac == content_mac(event)
        assert event.hash == chain_hash(seq=seq, prev_hash=event.prev_hash, mac=event.mac)
    head = Head(3, stored[2].hash)
    assert run == SealRun(sealed=3, head=head, elected=True)
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.last_seq, checkpoint.last_hash) == (3, head.hash)
    lines = checkpoint_lines()
    assert [(line["seq"], line["hash"]) for line in lines] == [(3, head.hash)]
    assert datetime.datetime.fromisoformat(lines[0]["sealed_at"]) == checkpoint.sealed_at
    assert checkpoints_from_file() == [sealing.FileCheckpoint(3, head.hash, 1)]
    assert [record.getMessage() for record in caplog.records] == [
        f"audit checkpoint seq=3 hash={head.hash}"
    ]


def test_a_second_sealing_with_nothing_waiting_seals_nothing():
    """Nothing new: no event changes, no checkpoint is added anywhere."""
    record_events(2)
    first = audit_seal()
    before = list(AuditEvent.objects.order_by("id").values())

    again = audit_seal()

    assert again == SealRun(sealed=0, head=first.head, elected=True)
    assert list(AuditEvent.objects.order_by("id").values()) == before
    assert AuditCheckpoint.objects.count() == 1
    assert len(checkpoint_lines()) == 1


def test_the_next_sealing_continues_from_the_head_in_batches():
    """Later events continue the chain; a run seals every batch and writes one
    checkpoint for the run."""
    record_events(2)
    first = audit_seal()
    record_events(5)

    run = audit_seal(batch_size=2)

    assert run.sealed == 5
    stored = list(AuditEvent.objects.order_by("id"))
    assert [event.seq for event in stored] == [1, 2, 3, 4, 5, 6, 7]
    assert stored[2].prev_hash == first.head.hash
    assert run.head == Head(7, stored[-1].hash)
    assert list(
        AuditCheckpoint.objects.order_by("last_seq").values_list("last_seq", flat=True)
    ) == [
        2,
        7,
    ]
    assert [line["seq"] for line in checkpoint_lines()] == [2, 7]
    assert audit_chain_verify().is_intact


def test_the_workers_loop_writes_a_checkpoint_at_most_once_a_minute():
    """`checkpoint=False` (the worker's loop, every second) writes one only when the last
    is a minute old; the events are sealed every time."""
    record_events(1)
    audit_seal(checkpoint=False)  # the first ever: due
    record_events(1)

    run = audit_seal(checkpoint=False)

    assert run.sealed == 1
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert list(AuditCheckpoint.objects.values_list("last_seq", flat=True)) == [1]
    checkpoint = AuditCheckpoint.objects.get()
    record_events(1)
    with mock.patch(
        "django.utils.timezone.now",
        return_value=checkpoint.sealed_at + sealing.CHECKPOINT_EVERY,
    ):
        audit_seal(checkpoint=False)
    assert list(
        AuditCheckpoint.objects.order_by("last_seq").values_list("last_seq", flat=True)
    ) == [
        1,
        3,
    ]


def test_an_event_without_a_mac_is_never_sealed_and_verify_names_it():
    """Only events with a MAC of their own get a place (the triggers allow no other)."""
    good = record_events(1)[0]
    forged = event_without_mac_insert(EARLY)

    run = audit_seal()

    assert run.sealed == 1
    assert AuditEvent.objects.get(pk=good.pk).seq == 1
    assert AuditEvent.objects.get(pk=forged.pk).seq is None
    report = audit_chain_verify()
    assert (report.is_intact, report.broken_id, report.problem) == (
        False,
        forged.pk,
        "an unsealed event does not match its MAC",
    )


def run_command(*arguments: str) -> tuple[int, str, str]:
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command(*arguments, stdout=stdout, stderr=stderr)
    except SystemExit as exit:
        return int(exit.code or 0), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def test_the_seal_command_seals_now_and_says_what_it_did():
    """`rekisteri audit seal`: exit 0, how many and the head; again, nothing."""
    record_events(3)

    status, stdout, stderr = run_command("audit", "seal")

    head = AuditEvent.objects.get(seq=3).hash
    assert (status, stdout, stderr) == (0, f"Sealed 3 events; head 3 {head}\n", "")
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert [line["seq"] for line in checkpoint_lines()] == [3]
    assert run_command("audit", "seal") == (0, f"Sealed 0 events; head 3 {head}\n", "")


def test_the_worker_in_batch_mode_seals_at_the_end():
    """`rekisteri worker --batch` runs the queue empty, then seals what is waiting."""
    record_events(2)

    worker = "django_tasks_db.management.commands.db_worker"
    # Neither the test process's signals nor its connection (inside the test's
    # transaction, which the worker would take for a stale one) are the worker's.
    with (
        mock.patch(f"{worker}.Worker.configure_signals"),
        mock.patch(f"{worker}.close_old_connections"),
    ):
        call_command("worker", "--batch", "--no-startup-delay", stdout=StringIO())

    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2]
    assert [line["seq"] for line in checkpoint_lines()] == [2]


def in_thread(work: Callable[[], Any], name: str = "helper") -> Any:
    """Runs `work` in a thread of its own, so with a database connection of its own
    (committing as it goes, unlike the test's), and returns what it returned."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as error:  # handed to the test's thread
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def remove_committed_events(ids: list[int]) -> None:
    """Removes what the threads committed, in a connection of its own and as only a
    superuser could (with the triggers off for that session): the test's own rollback
    cannot, and the next tests expect an empty trail."""

    def remove() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditevent WHERE id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM audit_auditcheckpoint")

    in_thread(remove)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer anyway")
def test_of_two_sealers_at_once_one_is_elected_and_nothing_is_sealed_twice():
    """The first sealer holds the lock in its open transaction; the second (and the
    `audit seal` command) goes away without sealing; the first seals every event once."""
    ids = in_thread(lambda: [event.pk for event in record_events(3)])
    inside, let_go = threading.Event(), threading.Event()
    real_head = sealing.sealed_head

    def head_then_wait() -> Head:
        head = real_head()
        if threading.current_thread().name == "first-sealer":
            inside.set()
            assert let_go.wait(timeout=30)
        return head

    def first_sealer() -> SealRun:
        return audit_seal()

    try:
        with mock.patch("rekisteri.audit.sealing.sealed_head", head_then_wait):
            result: dict[str, Any] = {}
            first = threading.Thread(
                target=lambda: result.update(run=in_thread(first_sealer, "first-sealer"))
            )
            first.start()
            assert inside.wait(timeout=30)
            second = in_thread(audit_seal, "second-sealer")
            command = in_thread(lambda: run_command("audit", "seal"), "seal-command")
            let_go.set()
            first.join(timeout=60)

        assert second == SealRun(sealed=0, head=Head(0, GENESIS_HASH), elected=False)
        assert command == (0, "Another sealer is at work; nothing sealed here.\n", "")
        assert result["run"].sealed == 3
        assert result["run"].elected
        stored = list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))
        assert [event.seq for event in stored] == [1, 2, 3]
        assert in_thread(audit_seal).sealed == 0
        report = audit_chain_verify()
        assert (report.is_intact, report.checked, report.unsealed) == (True, 3, 0)
    finally:
        let_go.set()
        remove_committed_events(ids)
