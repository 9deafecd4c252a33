"""The administrator's backup page: the last good backup, recent runs, and a warning
when the last good one is more than 26 hours old (P15)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.backups.models import BackupRun, RunKind, RunStatus

URL = "/backups/"


def run(*, hours_ago: float, status: str = RunStatus.OK, **fields) -> BackupRun:
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    values = {
        "kind": RunKind.CREATE,
        "status": status,
        "started_at": finished - datetime.timedelta(seconds=40),
        "finished_at": finished,
        "engine": "sqlite",
        "actor_label": "backup create",
        "file_name": f"rekisteri-{finished:%Y%m%dT%H%M%S}Z.rkbackup",
        "sha256": "a" * 64 if status == RunStatus.OK else "",
        "size_bytes": 5 * 1024 * 1024 if status == RunStatus.OK else None,
        "key_id": "k1",
    }
    values.update(fields)
    return BackupRun.objects.create(**values)


def test_the_url_is_the_status_page():
    assert reverse("backups:status") == URL


@pytest.mark.django_db
def test_it_shows_the_last_good_backup_and_whether_it_was_verified(client_as):
    good = run(hours_ago=3, verified_at=timezone.now())
    run(hours_ago=1, status=RunStatus.FAILED, error="pg_dump failed: connection refused")

    response = client_as(Role.ADMINISTRATOR).get(URL)

    assert response.status_code == 200
    status = response.context["status"]
    assert status.last_good == good
    assert status.is_stale is False
    page = response.content.decode()
    assert good.file_name in page
    assert "5.0\xa0MB" in page
    assert "not verified" not in page
    assert "pg_dump failed: connection refused" in page
    assert "older than 26 hours" not in page


@pytest.mark.django_db
def test_it_warns_when_the_last_good_backup_is_older_than_26_hours(client_as):
    run(hours_ago=27, verified_at=timezone.now() - datetime.timedelta(hours=26.5))
    run(hours_ago=2, status=RunStatus.FAILED, error="No space left on device")

    response = client_as(Role.ADMINISTRATOR).get(URL)

    assert response.context["status"].is_stale is True
    assert "The last good backup is older than 26 hours." in response.content.decode()


@pytest.mark.django_db
def test_a_backup_never_verified_is_not_a_good_backup(client_as):
    """One written but never restored and checked may not restore: the last good one
    is the last verified one, and its age counts."""
    verified = run(hours_ago=30, verified_at=timezone.now() - datetime.timedelta(hours=29))
    unverified = run(hours_ago=1)

    response = client_as(Role.ADMINISTRATOR).get(URL)

    status = response.context["status"]
    assert status.last_good == verified
    assert status.is_stale is True
    assert unverified in status.runs
    assert "The last good backup is older than 26 hours." in response.content.decode()


@pytest.mark.django_db
def test_it_warns_when_there_is_no_good_backup_at_all(client_as):
    response = client_as(Role.ADMINISTRATOR).get(URL)

    assert response.context["status"].last_good is None
    assert "There is no good backup yet." in response.content.decode()


@pytest.mark.django_db
def test_it_is_only_for_the_administrator(client_as):
    run(hours_ago=1)

    response = client_as(Role.PRIVACY_OFFICER).get(URL)

    assert response.status_code == 403
    assert b"rkbackup" not in response.content


@pytest.mark.django_db
def test_the_administrator_has_a_link_to_it(client_as):
    response = client_as(Role.ADMINISTRATOR).get(reverse("accounts:staff_list"))

    assert f'href="{URL}"' in response.content.decode()
