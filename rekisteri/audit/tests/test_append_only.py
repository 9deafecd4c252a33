"""The database itself refuses to change or remove audit events, whoever asks."""

from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor, audit_record

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
def test_the_database_refuses_to_change_or_delete_an_event(
    tamper: Callable[[AuditEvent], None],
):
    """UPDATE and DELETE fail in the database, and the row stays as it was."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
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
