"""`rekisteri audit verify` proves the trail whole, or names the first thing wrong: in
the sealed chain, in an event still waiting to be sealed, or against the checkpoints
kept in the database and in the file beside the backups."""

from __future__ import annotations

import datetime
import json
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.sealing import Head, audit_seal, checkpoint_restart
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record, chain_hash, content_mac
from rekisteri.audit.tests.helpers import format_one_events_insert, record, tamper

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def record_events(count: int, *, sealed: bool = True) -> list[AuditEvent]:
    events = [
        audit_record(actor=SYSTEM, action=Action.VIEW, reason=f"Event {number}")
        for number in range(1, count + 1)
    ]
    if sealed:
        audit_seal()
    return [AuditEvent.objects.get(pk=event.pk) for event in events]


def run_verify() -> tuple[int, str, str]:
    """Runs the command as the console would; returns (exit status, stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=stdout, stderr=stderr)
    except SystemExit as exit:
        return int(exit.code or 0), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def test_it_reports_an_intact_chain_with_its_length_and_head():
    """An untouched, sealed trail passes: exit 0, the number of events, the last hash,
    nothing waiting, and the checkpoint in the database and the file compared."""
    events = record_events(3)

    status, stdout, stderr = run_verify()

    assert status == 0
    assert stdout == (
        f"Audit trail intact: 3 events, head {events[-1].hash}\n"
        "Not sealed yet: 0 events; checkpoints compared: 2\n"
    )
    assert stderr == ""


def test_an_empty_trail_is_intact_at_the_genesis_hash():
    """With no events yet the head is the genesis hash."""
    status, stdout, _stderr = run_verify()

    assert status == 0
    assert stdout == (
        f"Audit trail intact: 0 events, head {GENESIS_HASH}\n"
        "Not sealed yet: 0 events; checkpoints compared: 0\n"
    )


def test_events_waiting_to_be_sealed_are_counted_with_the_sealing_lag():
    """Unsealed events with their own MACs are intact; the oldest's wait is the lag."""
    sealed = record_events(2)
    record(SYSTEM, Action.VIEW, at=NOW - datetime.timedelta(seconds=7))
    record(SYSTEM, Action.EXPORT, at=NOW - datetime.timedelta(seconds=2))

    report = audit_chain_verify(now=NOW)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        status, stdout, stderr = run_verify()

    assert (report.is_intact, report.checked, report.unsealed) == (True, 2, 2)
    assert report.sealing_lag == datetime.timedelta(seconds=7)
    assert report.head_hash == sealed[-1].hash
    assert (status, stderr) == (0, "")
    assert stdout == (
        f"Audit trail intact: 2 events, head {sealed[-1].hash}\n"
        "Not sealed yet: 2 events, the oldest waiting 7.0 s; checkpoints compared: 2\n"
    )


def test_it_catches_an_unsealed_event_altered():
    """Before it has a place, an event is still covered by its own MAC."""
    record_events(2)
    waiting = record_events(2, sealed=False)
    tamper(
        "UPDATE audit_auditevent SET reason = 'Nothing to see here' WHERE id = %s",
        params=[waiting[1].pk],
    )

    status, stdout, stderr = run_verify()

    assert (status, stdout) == (1, "")
    assert stderr == (
        f"Audit trail broken at event id {waiting[1].pk}: "
        "an unsealed event does not match its MAC\n"
    )


def test_it_catches_a_sealed_event_altered():
    """A changed value no longer matches its MAC: exit 1, naming that event."""
    events = record_events(4)
    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see here' WHERE seq = 2")

    status, stdout, stderr = run_verify()

    assert status == 1
    assert stdout == ""
    assert stderr == (
        f"Audit trail broken at event seq 2 (id {events[1].pk}): "
        "its content does not match its MAC (altered)\n"
    )


def test_it_catches_a_sealed_event_whose_mac_was_rewritten_to_fit():
    """Altered with its MAC recomputed (the key in hand): the chain hash still tells."""
    events = record_events(3)
    forged = AuditEvent.objects.get(seq=2)
    forged.reason = "Nothing to see here"
    tamper(
        "UPDATE audit_auditevent SET reason = %s, mac = %s WHERE seq = 2",
        params=[forged.reason, content_mac(forged)],
    )

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        f"Audit trail broken at event seq 2 (id {events[1].pk}): "
        "its hash does not match its place in the chain (altered)\n"
    )


def test_it_catches_a_deleted_row():
    """A gap in seq names the event after it and the missing one."""
    events = record_events(4)
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")

    status, stdout, stderr = run_verify()

    assert status == 1
    assert stdout == ""
    assert stderr == (
        f"Audit trail broken at event seq 3 (id {events[2].pk}): event 2 is missing before it\n"
    )


def test_it_catches_the_first_event_deleted():
    """Removing the start of the chain is noticed too."""
    events = record_events(3)
    tamper("DELETE FROM audit_auditevent WHERE seq = 1")

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        f"Audit trail broken at event seq 2 (id {events[1].pk}): event 1 is missing before it\n"
    )


def test_it_names_a_run_of_deleted_rows():
    """Several consecutive events missing are reported as one range."""
    events = record_events(5)
    tamper("DELETE FROM audit_auditevent WHERE seq IN (2, 3)")

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        f"Audit trail broken at event seq 4 (id {events[3].pk}): "
        "events 2 to 3 are missing before it\n"
    )


def test_it_catches_the_last_sealed_event_deleted():
    """Cutting off the end leaves no gap: the checkpoint names the lost head."""
    record_events(3)
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        "Audit trail broken at its checkpoints: the chain ends at 2 but the checkpoint in "
        "the database names event 3\n"
    )


def test_it_catches_a_rewritten_link():
    """An event whose prev_hash no longer names its predecessor breaks the chain."""
    events = record_events(3)
    tamper("UPDATE audit_auditevent SET prev_hash = hash WHERE seq = 3")

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        f"Audit trail broken at event seq 3 (id {events[2].pk}): "
        "its link to the previous event does not match\n"
    )


def test_it_names_the_first_of_several_breaks():
    """With an altered row and a later gap, the earliest damage is reported."""
    events = record_events(5)
    tamper(
        "UPDATE audit_auditevent SET action = 'search' WHERE seq = 2",
        "DELETE FROM audit_auditevent WHERE seq = 4",
    )

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr.startswith(f"Audit trail broken at event seq 2 (id {events[1].pk}): ")


def rechain_everything(reason: str) -> str:
    """Rewrites one event and re-chains the whole table consistently, as someone with
    the key and the database in hand could; returns the new head's hash."""
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq"):
        if event.seq == 2:
            event.reason = reason
        event.mac = content_mac(event)
        event.prev_hash = prev_hash
        assert event.seq is not None
        event.hash = prev_hash = chain_hash(seq=event.seq, prev_hash=prev_hash, mac=event.mac)
        tamper(
            "UPDATE audit_auditevent SET reason = %s, mac = %s, prev_hash = %s, hash = %s"
            " WHERE id = %s",
            params=[event.reason, event.mac, event.prev_hash, event.hash, event.pk],
        )
    return prev_hash


def test_a_rewrite_of_the_whole_table_is_caught_by_the_checkpoints():
    """The rewritten chain verifies on its own; the checkpoint in the database does not
    fit it, and once that is rewritten too, the file beside the backups still tells."""
    record_events(3)
    new_head = rechain_everything("Nothing to see here")
    assert audit_chain_verify(with_file=False).problem == (
        "event 3 does not have the hash its checkpoint in the database recorded"
    )

    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditcheckpoint SET last_hash = %s", [new_head])
    status, stdout, stderr = run_verify()

    assert audit_chain_verify(with_file=False).is_intact
    assert (status, stdout) == (1, "")
    assert stderr == (
        "Audit trail broken at its checkpoints: event 3 does not have the hash its "
        "checkpoint file line 1 recorded\n"
    )


def test_a_checkpoint_file_line_past_the_end_is_reported():
    """The file names a head the database has lost (the whole chain cut back)."""
    record_events(2)
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint")

    report = audit_chain_verify()

    assert report.problem == "the chain ends at 1 but the checkpoint file line 1 names event 2"


def test_a_restored_backup_restarts_the_file_checkpoints_at_its_head():
    """After a restore the chain is legitimately back at the backup's head: the file
    says so, and only the checkpoints after that line are compared."""
    record_events(2)
    backup_head = AuditEvent.objects.get(seq=2)
    record_events(2)  # sealed after the backup: lost with the restore
    lines_before = settings.REKISTERI_AUDIT_CHECKPOINTS.read_text().splitlines()
    tamper("DELETE FROM audit_auditevent WHERE seq > 2")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE last_seq > 2")
    assert not audit_chain_verify().is_intact

    checkpoint_restart(Head(2, backup_head.hash), "restored rekisteri-test.rkbackup")
    record_events(1)

    lines = settings.REKISTERI_AUDIT_CHECKPOINTS.read_text().splitlines()
    assert lines[: len(lines_before)] == lines_before
    assert json.loads(lines[len(lines_before)])["restart"] == "restored rekisteri-test.rkbackup"
    status, stdout, _stderr = run_verify()
    assert status == 0
    assert stdout.splitlines()[1] == "Not sealed yet: 0 events; checkpoints compared: 4"


def test_old_events_of_chain_format_one_and_new_ones_after_them_verify():
    """Events written before sealing existed keep their chain; sealing continues it."""
    old = format_one_events_insert(2)
    new = record_events(2)

    report = audit_chain_verify()

    assert [event.seq for event in new] == [3, 4]
    assert new[0].prev_hash == AuditEvent.objects.get(pk=old[1]).hash
    assert (report.is_intact, report.checked, report.head_hash) == (True, 4, new[-1].hash)


def test_an_altered_old_event_is_caught():
    """An event of format 1 is checked against its hash over content and place."""
    old = format_one_events_insert(3)
    tamper("UPDATE audit_auditevent SET reason = 'Altered' WHERE id = %s", params=[old[1]])

    status, _stdout, stderr = run_verify()

    assert status == 1
    assert stderr == (
        f"Audit trail broken at event seq 2 (id {old[1]}): "
        "its content does not match its hash (altered)\n"
    )


def test_the_subcommand_is_required():
    """`audit` alone is a usage error, not a silent success."""
    with pytest.raises(CommandError, match="subcommand"):
        call_command("audit")
