"""`rekisteri backup` in the test process: its refusals, which come before any database
is read or written, its record of a failed run, and its list. (Whole backups, verified
and restored, are in the end-to-end tests.)"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.backups import fileformat
from rekisteri.backups.databases import libpq_environment, libpq_parameters
from rekisteri.backups.management.commands.backup import size
from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.crypto import KeyRing, keyring

MANIFEST = fileformat.Manifest(tables={}, audit_head_seq=0, audit_head_hash="0" * 64)


def sealed_file(path, *, ring=None, payload=b"x" * 5000, engine="sqlite", manifest=MANIFEST):
    with path.open("wb") as file:
        fileformat.encrypt(
            io.BytesIO(payload),
            file,
            ring=ring or keyring(),
            engine=engine,
            manifest=manifest,
            created_at=timezone.now(),
            chunk_size=1024,
        )
    return path


def test_restore_without_yes_and_without_a_terminal_refuses_before_reading_the_file(tmp_path):
    with pytest.raises(CommandError, match="stop the app, then run again with --yes"):
        call_command("backup", "restore", str(tmp_path / "missing.rkbackup"))


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    path = tmp_path / "rekisteri.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + bytes(4000))

    with pytest.raises(CommandError) as raised:
        call_command("backup", "verify", str(path))

    assert str(raised.value) == "Backup refused: the file is not a Rekisteri backup."


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"failed: there is no backup file .*nowhere"):
        call_command("backup", "verify", str(tmp_path / "nowhere.rkbackup"))


@pytest.mark.parametrize("subcommand", ["verify", "restore"])
def test_a_tampered_file_is_refused_by_verify_and_restore(tmp_path, subcommand):
    path = sealed_file(tmp_path / "backup.rkbackup")
    data = bytearray(path.read_bytes())
    data[-1500] ^= 0x80  # in chunk 3 of 0-4: the last is 904 + 16 bytes
    path.write_bytes(bytes(data))

    with pytest.raises(CommandError) as raised:
        call_command(
            "backup", subcommand, str(path), *(["--yes"] if subcommand == "restore" else [])
        )

    assert str(raised.value) == (
        "Backup refused: the file is tampered or damaged (chunk 3 failed authentication)."
    )


def test_a_backup_of_a_key_that_is_not_in_the_ring_is_refused(tmp_path):
    path = sealed_file(tmp_path / "backup.rkbackup", ring=KeyRing.generate(key_id="k42"))

    with pytest.raises(CommandError) as raised:
        call_command("backup", "restore", str(path), "--yes")

    assert str(raised.value) == (
        "Backup refused: the key 'k42' this backup was made with is not in the key ring."
    )


def test_a_backup_of_the_other_engine_is_refused_before_anything_is_touched(tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    path = sealed_file(tmp_path / "backup.rkbackup", engine=other)

    with pytest.raises(CommandError) as raised:
        call_command("backup", "restore", str(path), "--yes")

    assert str(raised.value) == (
        f"Backup restore failed: the backup is of a {other} database; this Rekisteri uses "
        f"{connection.vendor}."
    )


def test_a_backup_made_by_a_newer_rekisteri_is_refused_before_anything_is_touched(tmp_path):
    manifest = fileformat.Manifest(
        tables={},
        audit_head_seq=0,
        audit_head_hash="0" * 64,
        migrations=("audit.0001_initial", "backups.9001_from_the_future"),
    )
    path = sealed_file(tmp_path / "backup.rkbackup", engine=connection.vendor, manifest=manifest)

    with pytest.raises(CommandError) as raised:
        call_command("backup", "restore", str(path), "--yes")

    assert str(raised.value) == (
        "Backup restore failed: the backup was made by a newer Rekisteri: it has migrations "
        "this one lacks (backups.9001_from_the_future)."
    )


@pytest.mark.django_db
def test_a_failed_backup_is_recorded_with_its_reason_and_leaves_no_file(tmp_path):
    not_a_directory = tmp_path / "backups"
    not_a_directory.write_bytes(b"")
    events_before = AuditEvent.objects.count()

    with pytest.raises(CommandError, match=r"^Backup create failed: \[Errno 17\] File exists"):
        call_command("backup", "create", "--directory", str(not_a_directory))

    run = BackupRun.objects.get()
    assert (run.kind, run.status, run.file_name, run.sha256) == ("create", "failed", "", "")
    assert run.error.startswith("[Errno 17] File exists: ")
    assert run.finished_at is not None
    assert run.actor_label == "backup create"
    assert AuditEvent.objects.count() == events_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_backup_is_refused_inside_a_transaction_rather_than_waiting_forever(tmp_path):
    """The test runs in a transaction: SQLite's backup API would wait for it to end."""
    with pytest.raises(CommandError, match="cannot be taken inside a database transaction"):
        call_command("backup", "create", "--directory", str(tmp_path))

    assert BackupRun.objects.get().status == RunStatus.FAILED
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_list_shows_each_backup_with_its_size_and_whether_it_was_verified(tmp_path, capsys):
    names = ["rekisteri-20260301T020000Z.rkbackup", "rekisteri-20260302T020000Z.rkbackup"]
    for name in names:
        (tmp_path / name).write_bytes(b"x" * 2048)
    (tmp_path / "rekisteri-20260302T090000Z-pre-restore.rkbackup").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    verified = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)
    for name, verified_at in zip(names, [None, verified], strict=True):
        BackupRun.objects.create(
            kind=RunKind.CREATE,
            status=RunStatus.OK,
            started_at=verified,
            finished_at=verified,
            engine="sqlite",
            file_name=name,
            sha256="a" * 64,
            verified_at=verified_at,
        )

    call_command("backup", "list", "--directory", str(tmp_path))

    assert capsys.readouterr().out == (
        "rekisteri-20260302T090000Z-pre-restore.rkbackup  1 byte  no run recorded here\n"
        "rekisteri-20260302T020000Z.rkbackup  2.0 KiB  verified 2026-03-02 05:00\n"
        "rekisteri-20260301T020000Z.rkbackup  2.0 KiB  not verified\n"
    )


@pytest.mark.django_db
def test_list_of_an_empty_directory_says_so(tmp_path, capsys):
    call_command("backup", "list", "--directory", str(tmp_path / "none"))

    assert capsys.readouterr().out == f"No backups in {tmp_path / 'none'}.\n"


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (2 * 1024**4, "2.0 TiB"),
    ],
)
def test_sizes_are_shown_without_the_locales_separators(count, shown):
    assert size(count) == shown


def test_the_database_password_goes_to_the_client_tools_in_their_environment():
    """pg_dump and pg_restore get the connection from libpq's variables: a password on
    the command line would show in `ps` to every user of the machine."""
    parameters = libpq_parameters(
        {
            "NAME": "rekisteri",
            "HOST": "db.example.fi",
            "PORT": 5433,
            "USER": "rekisteri",
            "PASSWORD": "salainen-sana",
            "OPTIONS": {"sslmode": "verify-full", "pool": True, "assume_role": "x"},
        }
    )

    variables = libpq_environment(parameters)

    assert parameters == {
        "dbname": "rekisteri",
        "host": "db.example.fi",
        "port": "5433",
        "user": "rekisteri",
        "password": "salainen-sana",
        "sslmode": "verify-full",
    }
    assert {k: v for k, v in variables.items() if k.startswith("PG")} == {
        "PGDATABASE": "rekisteri",
        "PGHOST": "db.example.fi",
        "PGPORT": "5433",
        "PGUSER": "rekisteri",
        "PGPASSWORD": "salainen-sana",
        "PGSSLMODE": "verify-full",
    }
