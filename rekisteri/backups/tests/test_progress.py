"""A backup's progress (docs/backups.md): `rekisteri backup create --progress` tells its
stages and bytes on stderr; the run's row is made once the snapshot is fixed (so the
backup never holds itself), shows on the administrator's page with its progress while
it is under way, and a run that stopped without a word is ended by the next backup."""

from __future__ import annotations

import datetime
import sqlite3
from contextlib import closing

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.testing.processes import environment, header_of, run, succeed, the_backup

PAGE = "/backups/"
PROGRESS = "/backups/progress/"


def a_run(*, minutes_ago: float, **fields) -> BackupRun:
    progress_at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    values = {
        "kind": RunKind.CREATE,
        "status": RunStatus.RUNNING,
        "started_at": progress_at - datetime.timedelta(minutes=1),
        "finished_at": None,
        "engine": connection.vendor,
        "actor_label": "backup create",
        "bytes_done": 3 * 1024 * 1024,
        "bytes_total": 12 * 1024 * 1024,
        "progress_at": progress_at,
    }
    values.update(fields)
    return BackupRun.objects.create(**values)


def test_the_progress_url():
    assert reverse("backups:progress") == PROGRESS


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite site of its own")
def test_create_tells_its_progress_and_the_backup_does_not_hold_its_own_run(tmp_path):
    site = environment(tmp_path)
    succeed(site, "migrate", "--verbosity", "0")

    result = run(site, "backup", "create", "--progress")

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        "Sealing the audit trail...",
        "Taking a consistent snapshot of the database...",
    ]
    assert lines[2].startswith("Encrypting and writing: 0 bytes of ")
    assert lines[2].endswith(" (0 %)")
    assert lines[-1].startswith("Done: ")
    assert result.stdout.startswith("Backup written: ")
    backup = the_backup(tmp_path)
    with closing(
        sqlite3.connect(f"{(tmp_path / 'rekisteri.sqlite3').as_uri()}?mode=ro", uri=True)
    ) as db:
        rows = db.execute(
            "SELECT status, file_name, bytes_done, bytes_total, progress_at IS NOT NULL,"
            " finished_at IS NOT NULL FROM backups_backuprun"
        ).fetchall()
    [(status, file_name, done, total, has_progress, has_finished)] = rows
    assert (status, file_name, has_progress, has_finished) == ("ok", backup.name, 1, 1)
    assert done == total
    assert total > 0
    assert header_of(backup).manifest.tables["backups_backuprun"] == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite site of its own")
def test_create_without_progress_says_only_its_result(tmp_path):
    site = environment(tmp_path)
    succeed(site, "migrate", "--verbosity", "0")

    result = run(site, "backup", "create")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("Backup written: ")


@pytest.mark.django_db
def test_the_page_shows_a_backup_under_way_with_its_progress(client_as):
    a_run(minutes_ago=1)
    client = client_as(Role.ADMINISTRATOR)

    page = client.get(PAGE).content.decode()
    box = client.get(PROGRESS).content.decode()

    assert "Backup under way" in page
    assert f'hx-get="{PROGRESS}" hx-trigger="every 5s"' in page
    assert "3.0\xa0MB of 12.0\xa0MB written (25 %)." in box
    assert 'max="12582912" value="3145728"' in box
    assert "has likely stopped" not in box
    assert "Under way" in page  # the run in the list of recent runs


@pytest.mark.django_db
def test_the_box_asks_for_the_whole_page_when_no_backup_is_under_way(client_as):
    client = client_as(Role.ADMINISTRATOR)

    response = client.get(PROGRESS, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert "Backup under way" not in client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_a_postgresql_dump_under_way_shows_the_bytes_so_far(client_as):
    a_run(minutes_ago=1, bytes_total=None)

    box = client_as(Role.ADMINISTRATOR).get(PROGRESS).content.decode()

    assert "3.0\xa0MB written so far." in box
    assert "<progress" not in box


@pytest.mark.django_db
def test_a_run_without_progress_for_half_an_hour_is_shown_stalled(client_as):
    a_run(minutes_ago=45)

    box = client_as(Role.ADMINISTRATOR).get(PROGRESS).content.decode()

    assert "the backup has likely stopped" in box


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.CUSTOMER_SERVICE, Role.AUDITOR])
def test_only_the_administrator_sees_the_progress(client_as, role):
    a_run(minutes_ago=1)

    response = client_as(role).get(PROGRESS)

    assert response.status_code == 403
    assert b"Backup under way" not in response.content


@pytest.mark.django_db
def test_the_next_backup_ends_a_run_that_stopped_and_keeps_one_under_way(tmp_path):
    stalled = a_run(minutes_ago=45)
    live = a_run(minutes_ago=2)
    not_a_directory = tmp_path / "backups"
    not_a_directory.write_bytes(b"")

    with pytest.raises(CommandError):
        call_command("backup", "create", "--directory", str(not_a_directory))

    stalled.refresh_from_db()
    live.refresh_from_db()
    assert (stalled.status, stalled.finished_at is not None) == (RunStatus.FAILED, True)
    assert stalled.error.startswith("stopped: no progress since ")
    assert live.status == RunStatus.RUNNING
    event = AuditEvent.objects.get(object_type="backups.backuprun")
    assert (event.action, event.object_id, event.reason) == (
        Action.UPDATE,
        str(stalled.pk),
        stalled.error,
    )
    failed = BackupRun.objects.exclude(pk__in=[stalled.pk, live.pk]).get()
    assert (failed.status, failed.bytes_done) == (RunStatus.FAILED, None)
