"""The database itself refuses to change or remove audit events, whoever asks. The one
UPDATE it allows is the sealing: an unsealed event with a MAC of its own gets its place
in the chain (`seq`, `prev_hash`, `hash`), and nothing else of it changes."""

from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.sealing import audit_seal
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record, chain_hash
from rekisteri.audit.tests.helpers import event_without_mac_insert

pytestmark = pytest.mark.django_db


def _orm_queryset_update(event: AuditEvent) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(reason="Rewritten")


def _orm_save(event: AuditEvent) -> None:
    event.reason = "Rewritten"
    event.save()


def _orm_instance_delete(event: AuditEvent) -> None:
    event.delete()


def _orm_queryset_delete(event: AuditEvent) -> None:
    AuditEvent.objects.all().delete()


def _sql_update(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s, action = %s WHERE id = %s",
            ["Rewritten", Action.SEARCH, event.pk],
        )


def _sql_delete(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def _sql_delete_everything(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")


@pytest.mark.parametrize(
    "tamper",
    [
        _orm_queryset_update,
        _orm_save,
        _orm_instance_delete,
        _orm_queryset_delete,
        _sql_update,
        _sql_delete,
        _sql_delete_everything,
    ],
    ids=lambda tamper: tamper.__name__.strip("_"),
)
@pytest.mark.parametrize("sealed", [False, True], ids=["unsealed", "sealed"])
def test_the_database_refuses_to_change_or_delete_an_event(
    tamper: Callable[[AuditEvent], None], sealed: bool
):
    """UPDATE and DELETE fail in the database, sealed or not, and the row stays as it was."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    if sealed:
        audit_seal()
        event.refresh_from_db()
        assert event.seq == 1
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        tamper(event)

    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before
    assert AuditEvent.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_to_truncate_the_audit_trail():
    """TRUNCATE skips row triggers, so a statement trigger refuses it separately."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW)
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            # Checks the deferred foreign keys of the insert now: PostgreSQL will not
            # truncate a table with such checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


def _seal_sql(event: AuditEvent, extra: str = "", params: tuple[str, ...] = ()) -> None:
    """The sealer's own UPDATE, in plain SQL, with something more set if `extra`."""
    hash = chain_hash(seq=1, prev_hash=GENESIS_HASH, mac=event.mac)
    with connection.cursor() as cursor:
        cursor.execute(
            # `extra` is one of this module's own fragments, never input.
            f"UPDATE audit_auditevent SET seq = 1, prev_hash = %s, hash = %s{extra} WHERE id = %s",  # noqa: S608
            [GENESIS_HASH, hash, *params, event.pk],
        )


def test_the_database_allows_the_sealing_of_an_unsealed_event():
    """Answer: no error. Database: the place is set, the content is as it was."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    _seal_sql(event)

    after = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert (after["seq"], after["prev_hash"]) == (1, GENESIS_HASH)
    assert after["hash"] == chain_hash(seq=1, prev_hash=GENESIS_HASH, mac=event.mac)
    assert {
        key: value for key, value in after.items() if key not in {"seq", "prev_hash", "hash"}
    } == {key: value for key, value in before.items() if key not in {"seq", "prev_hash", "hash"}}


@pytest.mark.parametrize(
    ("extra", "params"),
    [
        (", reason = %s", ("Rewritten",)),
        (", mac = %s", ("0" * 64,)),
        (", personal_reason = %s", ("ciphertext",)),
        (", occurred_at = occurred_at + INTERVAL '1 hour'", ()),
    ],
    ids=["reason", "mac", "personal_reason", "occurred_at"],
)
def test_the_sealing_update_may_change_nothing_else(extra, params):
    """A sealing that also alters the content is refused as any other UPDATE."""
    if "INTERVAL" in extra and connection.vendor == "sqlite":
        extra = ", occurred_at = datetime(occurred_at, '+1 hour')"
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        _seal_sql(event, extra, params)

    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


def test_the_database_refuses_to_seal_a_sealed_event_again():
    """Once placed, an event's place, link and hash are as permanent as its content."""
    audit_record(actor=Actor.system("test"), action=Action.VIEW)
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW)
    audit_seal()
    event.refresh_from_db()
    before = AuditEvent.objects.filter(pk=event.pk).values().get()

    changes: list[tuple[str, list[int | str]]] = [
        ("UPDATE audit_auditevent SET seq = 7 WHERE id = %s", [event.pk]),
        (
            "UPDATE audit_auditevent SET seq = NULL, prev_hash = '', hash = '' WHERE id = %s",
            [event.pk],
        ),
        ("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, event.pk]),
    ]
    for statement, params in changes:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():  # noqa: SIM117
            with connection.cursor() as cursor:
                cursor.execute(statement, params)

    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before


def test_the_database_refuses_to_seal_an_event_without_a_mac():
    """Only an event with a MAC of its own can be given a place."""
    event = event_without_mac_insert(timezone.now())

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        _seal_sql(event)

    assert AuditEvent.objects.get(pk=event.pk).seq is None
