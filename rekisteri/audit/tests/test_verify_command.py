"""`rekisteri audit verify` proves the chain whole, or names the first broken event."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record

pytestmark = pytest.mark.django_db


def record_events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=Actor.system("test"), action=Action.VIEW, reason=f"Event {number}")
        for number in range(1, count + 1)
    ]


def run_verify() -> tuple[int, str, str]:
    """Runs the command as the console would; returns (exit status, stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=stdout, stderr=stderr)
    except SystemExit as exit:
        return int(exit.code or 0), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def tamper(*statements: str) -> None:
    """Runs SQL as an attacker with DDL rights would: first out of the triggers' way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Settles the inserts' deferred foreign key checks, which PostgreSQL would
            # otherwise hold against ALTER TABLE in this same (test) transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER audit_auditevent_no_delete")
        for statement in statements:
            cursor.execute(statement)


def test_it_reports_an_intact_chain_with_its_length_and_head():
    """An untouched trail passes: exit 0, the number of events and the last hash."""
    events = record_events(3)

    status, stdout, stderr = run_verify()

    assert status == 0
    assert stdout == f"Audit trail intact: 3 events, head {events[-1].hash}\n"
    assert stderr == ""


def test_an_empty_trail_is_intact_at_the_genesis_hash():
    """With no events yet the head is the genesis hash."""
    status, stdout, _stderr = run_verify()

    assert status == 0
    assert stdout == f"Audit trail intact: 0 events, head {GENESIS_HASH}\n"


def test_it_catches_a_row_altered_behind_the_applications_back():
    """A changed value no longer matches its MAC: exit 1, naming that event."""
    events = record_events(4)
    tamper("UPDATE audit_auditevent SET reason = 'Nothing to see here' WHERE seq = 2")

    status, stdout, stderr = run_verify()

    assert status == 1
    assert stdout == ""
    assert stderr == (
        f"Audit trail broken at event seq 2 (id {events[1].pk}): "
        "its content does not match its hash (altered)\n"
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


def test_the_subcommand_is_required():
    """`audit` alone is a usage error, not a silent success."""
    with pytest.raises(CommandError, match="subcommand"):
        call_command("audit")
