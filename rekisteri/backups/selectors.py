"""Reading the backup record: the administrator's status page and `backup list`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.backups.services import NAME_PATTERN, PRE_RESTORE, STALLED_AFTER, SUFFIX

# A daily backup, and two hours' grace for a slow or late one.
STALE_AFTER = datetime.timedelta(hours=26)
RECENT_RUNS = 20


@dataclass(frozen=True)
class RunningBackup:
    run: BackupRun
    # No progress for STALLED_AFTER: the run has likely stopped (the next backup ends it).
    is_stalled: bool

    @property
    def percent(self) -> int | None:
        if not self.run.bytes_total:
            return None
        return min(100, 100 * (self.run.bytes_done or 0) // self.run.bytes_total)


@dataclass(frozen=True)
class BackupStatus:
    last_good: BackupRun | None
    runs: list[BackupRun]
    is_stale: bool
    stale_after_hours: int
    running: list[RunningBackup]


def backups_running(*, now: datetime.datetime | None = None) -> list[RunningBackup]:
    """The backups under way, newest first, with their progress."""
    now = now or timezone.now()
    runs = BackupRun.objects.filter(status=RunStatus.RUNNING).order_by("-started_at", "-id")
    return [
        RunningBackup(run, (run.progress_at or run.started_at) < now - STALLED_AFTER)
        for run in runs
    ]


def last_good_backup() -> BackupRun | None:
    """The newest backup that was written whole and then verified (restored into a
    scratch database and found to match its manifest): one never verified may not
    restore, so it does not count as good."""
    return (
        BackupRun.objects.filter(
            kind=RunKind.CREATE, status=RunStatus.OK, verified_at__isnull=False
        )
        .order_by("-finished_at", "-id")
        .first()
    )


def backup_status(*, now: datetime.datetime | None = None) -> BackupStatus:
    """The last good backup, the recent runs, and whether the last good one is too old
    (or missing) for a daily schedule."""
    now = now or timezone.now()
    last_good = last_good_backup()
    is_stale = (
        last_good is None
        or last_good.finished_at is None
        or now - last_good.finished_at > STALE_AFTER
    )
    runs = list(BackupRun.objects.order_by("-started_at", "-id")[:RECENT_RUNS])
    return BackupStatus(
        last_good,
        runs,
        is_stale,
        int(STALE_AFTER.total_seconds() // 3600),
        backups_running(now=now),
    )


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    run: BackupRun | None


def backup_files(directory: Path) -> list[BackupFile]:
    """The backups in `directory`, newest first, each with its recorded run if any."""
    if not directory.is_dir():
        return []
    paths = sorted(
        (
            p
            for p in directory.iterdir()
            if p.is_file()
            and (NAME_PATTERN.fullmatch(p.name) or p.name.endswith(PRE_RESTORE + SUFFIX))
        ),
        key=lambda p: p.name,
        reverse=True,
    )
    runs = {
        run.file_name: run
        for run in BackupRun.objects.filter(
            kind=RunKind.CREATE, file_name__in=[p.name for p in paths]
        ).order_by("started_at")
    }
    return [BackupFile(p, p.stat().st_size, runs.get(p.name)) for p in paths]
