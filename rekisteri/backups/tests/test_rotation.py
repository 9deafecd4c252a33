"""Rotation keeps the newest daily, weekly and monthly backups and removes the rest."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.backups.services import backup_rotate

START = datetime.datetime(2026, 1, 1, 2, 0, tzinfo=datetime.UTC)


def name(moment: datetime.datetime) -> str:
    return f"rekisteri-{moment:%Y%m%dT%H%M%S}Z.rkbackup"


def nightly(directory, days: int) -> list[str]:
    """A backup at 02:00 UTC every night for `days` nights from 1 January 2026."""
    names = [name(START + datetime.timedelta(days=day)) for day in range(days)]
    for file_name in names:
        (directory / file_name).write_bytes(b"backup")
    return names


def present(directory) -> set[str]:
    return {path.name for path in directory.iterdir()}


@pytest.mark.django_db
def test_a_year_of_nightly_backups_leaves_7_daily_4_weekly_12_monthly(tmp_path):
    names = nightly(tmp_path, 365)

    removed = backup_rotate(tmp_path, keep_daily=7, keep_weekly=4, keep_monthly=12)

    daily = set(names[-7:])  # 25-31 December
    # The ISO weeks' last backups: 31 and 27 December (kept as daily), 20 and 13 December.
    weekly = {name(datetime.datetime(2026, 12, d, 2, 0, tzinfo=datetime.UTC)) for d in (20, 13)}
    # The months' last backups; December's is 31 December (daily).
    monthly = {
        name(datetime.datetime(2026, month, day, 2, 0, tzinfo=datetime.UTC))
        for month, day in [
            (11, 30),
            (10, 31),
            (9, 30),
            (8, 31),
            (7, 31),
            (6, 30),
            (5, 31),
            (4, 30),
            (3, 31),
            (2, 28),
            (1, 31),
        ]
    }
    assert present(tmp_path) == daily | weekly | monthly
    assert len(present(tmp_path)) == 7 + 2 + 11
    assert len(removed) == 365 - 20


@pytest.mark.django_db
def test_several_backups_a_day_keep_the_newest_of_each_day(tmp_path):
    day = START
    names = [name(day), name(day.replace(hour=12)), name(day.replace(hour=23))]
    for file_name in names:
        (tmp_path / file_name).write_bytes(b"backup")

    backup_rotate(tmp_path, keep_daily=1, keep_weekly=0, keep_monthly=0)

    assert present(tmp_path) == {names[2]}


@pytest.mark.django_db
def test_of_backups_made_in_the_same_second_the_last_numbered_is_the_newest(tmp_path):
    names = [
        "rekisteri-20260101T020000Z.rkbackup",
        "rekisteri-20260101T020000Z-1.rkbackup",
        "rekisteri-20260101T020000Z-2.rkbackup",
    ]
    for file_name in names:
        (tmp_path / file_name).write_bytes(b"backup")

    backup_rotate(tmp_path, keep_daily=1, keep_weekly=0, keep_monthly=0)

    assert present(tmp_path) == {names[2]}


@pytest.mark.django_db
def test_other_files_are_never_touched(tmp_path):
    nightly(tmp_path, 30)
    others = {
        "rekisteri-20250101T020000Z-pre-restore.rkbackup",
        ".rekisteri-20250101T020000Z.rkbackup.partial",
        "notes.txt",
        "rekisteri.sqlite3",
    }
    for other in others:
        (tmp_path / other).write_bytes(b"x")

    backup_rotate(tmp_path, keep_daily=1, keep_weekly=0, keep_monthly=0)

    assert present(tmp_path) == others | {name(START + datetime.timedelta(days=29))}


@pytest.mark.django_db
def test_removed_backups_runs_are_marked_removed(tmp_path):
    names = nightly(tmp_path, 3)
    for file_name in names:
        BackupRun.objects.create(
            kind=RunKind.CREATE,
            status=RunStatus.OK,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            engine="sqlite",
            file_name=file_name,
            sha256="a" * 64,
        )

    removed = backup_rotate(tmp_path, keep_daily=2, keep_weekly=0, keep_monthly=0)

    assert [path.name for path in removed] == [names[0]]
    marked = BackupRun.objects.filter(removed_at__isnull=False)
    assert list(marked.values_list("file_name", flat=True)) == [names[0]]


def test_keeping_no_daily_backup_is_refused(tmp_path):
    nightly(tmp_path, 2)

    with pytest.raises(ValueError, match="at least one daily"):
        backup_rotate(tmp_path, keep_daily=0)

    assert len(present(tmp_path)) == 2
