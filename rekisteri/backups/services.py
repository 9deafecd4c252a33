"""Encrypted backups and verified restores (P15, P16).

`backup_create` writes a consistent snapshot of the database, encrypted and
authenticated with a key of the key ring (`fileformat`), records the run and audits it.
`backup_verify` restores a backup into a scratch database and checks it against its
manifest. `backup_restore` refuses a tampered file or a wrong key before it touches the
live database, then replaces it, brings the schema up to date, and replays the replay
log and the erasure log (`privacy.replay`), so that no withdrawal, ban, objection,
restriction or erasure made since the backup is lost. `backup_rotate` keeps the newest
daily, weekly and monthly backups and removes the rest.

Decrypted copies exist only in a private (0700) working directory under the data
directory, and only while a command runs.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.models import Action
from rekisteri.audit.sealing import audit_seal, checkpoint_restart, sealed_head
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.backups import databases, fileformat
from rekisteri.backups.fileformat import BackupFileError, Header
from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.privacy.replay.services import Replay, replay_all

logger = logging.getLogger(__name__)

SUFFIX = ".rkbackup"
# rekisteri-20260131T020000Z.rkbackup, or -1, -2 … after it when made in the same second.
NAME_PATTERN = re.compile(r"rekisteri-(\d{8}T\d{6})Z(?:-(\d+))?\.rkbackup")
PRE_RESTORE = "-pre-restore"
ERROR_MAX_LENGTH = 300
# A running backup's progress is saved (and told) every this many bytes read.
PROGRESS_BYTES = 8 * 1024 * 1024
# A run under way whose progress has not moved for this long has stopped: its process
# was killed or its machine went down.
STALLED_AFTER = datetime.timedelta(minutes=30)


class Stage:
    """The steps of `backup_create`, as its progress tells them."""

    SEALING = "sealing"  # the audit trail's committed events get their place in the chain
    SNAPSHOT = "snapshot"  # a consistent snapshot of the database is fixed
    WRITING = "writing"  # the snapshot is read, encrypted and written to the file
    WRITTEN = "written"


# stage, bytes read so far, of how many (None: not known before the end).
ProgressReport = Callable[[str, int, int | None], None]


class BackupError(Exception):
    """A backup, verification or restore could not be done. The message is one line,
    safe to show and to log: it never holds personal data."""


@dataclass(frozen=True)
class WrittenBackup:
    path: Path
    size: int
    sha256: str
    header: Header


@dataclass(frozen=True)
class VerifyReport:
    path: Path
    header: Header
    sha256: str
    tables: int
    rows: int
    audit_events: int
    problems: list[str]

    @property
    def is_ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RestoreReport:
    run: BackupRun
    header: Header
    previous: Path  # where the database as it was before the restore is kept
    replay: Replay  # what the replay and erasure logs had done again

    @property
    def erased_again(self) -> int:
        return len(self.replay.erased_again)


class _Hashing:
    """Passes bytes through, counting them into a SHA-256 and a size."""

    def __init__(
        self,
        read: Callable[[int], bytes] | None = None,
        write: Callable[[bytes], object] | None = None,
    ) -> None:
        self._read, self._write = read, write
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int, /) -> bytes:
        assert self._read is not None
        data = self._read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def write(self, data: bytes, /) -> object:
        assert self._write is not None
        self.digest.update(data)
        self.size += len(data)
        return self._write(data)


class _Progress:
    """A backup's progress: told to `report` (the command's console) and, once its
    snapshot is fixed, kept in its run's row for the status page. The row is made
    only then, so that no backup holds the record of itself."""

    def __init__(
        self, *, actor: Actor, started_at: datetime.datetime, report: ProgressReport | None
    ):
        self.actor, self.started_at, self.report = actor, started_at, report
        self.run: BackupRun | None = None
        self.done = 0
        self.total: int | None = None
        self._saved = 0

    def stage(self, stage: str) -> None:
        if self.report is not None:
            self.report(stage, self.done, self.total)

    def snapshot_fixed(self, total: int | None) -> None:
        self.total = total
        self.run = _run_record(
            kind=RunKind.CREATE,
            actor=self.actor,
            started_at=self.started_at,
            status=RunStatus.RUNNING,
            bytes_done=0,
            bytes_total=total,
            progress_at=timezone.now(),
        )
        self.stage(Stage.WRITING)

    def add(self, count: int) -> None:
        self.done += count
        if self.run is not None and self.done - self._saved >= PROGRESS_BYTES:
            self._saved = self.done
            BackupRun.objects.filter(pk=self.run.pk).update(
                bytes_done=self.done, progress_at=timezone.now()
            )
            self.stage(Stage.WRITING)

    def reading(self, source: fileformat.Readable) -> fileformat.Readable:
        """`source`, its bytes counted as they are read."""
        return _Counted(source, self.add)


class _Counted:
    """Reads `source`, telling `counted` how many bytes each read gave."""

    def __init__(self, source: fileformat.Readable, counted: Callable[[int], None]) -> None:
        self._source, self._counted = source, counted

    def read(self, size: int, /) -> bytes:
        data = self._source.read(size)
        self._counted(len(data))
        return data


@contextmanager
def _workspace() -> Iterator[Path]:
    """A private directory for decrypted copies, beside the live data (not /tmp, which
    may be small or in memory), removed with everything in it."""
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".backup-work-") as path:
        yield Path(path)


def _safe_error(error: BaseException) -> str:
    """A one-line reason for the run record and the console. Our own errors and those of
    the file system and the engines say what failed; anything else only its kind."""
    known = (
        BackupError,
        BackupFileError,
        databases.DatabaseError,
        crypto.KeyRingError,
        OSError,
        sqlite3.Error,
    )
    text = " ".join(str(error).split()) if isinstance(error, known) else ""
    if not text:
        logger.error("backup failed unexpectedly", exc_info=error)
        text = f"unexpected {type(error).__name__}; see the log"
    return text[:ERROR_MAX_LENGTH]


@contextmanager
def _one_line_failures() -> Iterator[None]:
    """The file system's and the engines' errors as BackupError; BackupFileError (not a
    backup, tampered, wrong key) passes as it is."""
    try:
        yield
    except (databases.DatabaseError, crypto.KeyRingError, OSError, sqlite3.Error) as error:
        raise BackupError(_safe_error(error)) from error


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _free_path(directory: Path, created_at: datetime.datetime, suffix: str) -> Path:
    stamp = created_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"rekisteri-{stamp}{suffix}{SUFFIX}"
    number = 0
    while path.exists():
        number += 1
        path = directory / f"rekisteri-{stamp}-{number}{suffix}{SUFFIX}"
    return path


def _encrypt_live_database(
    destination: fileformat.Writable,
    created_at: datetime.datetime,
    progress: _Progress | None = None,
) -> Header:
    ring = crypto.keyring()
    engine = connection.vendor
    if engine == "sqlite":
        with _workspace() as work:
            snapshot = work / "snapshot.sqlite3"
            manifest = databases.sqlite_snapshot(snapshot)
            with snapshot.open("rb") as file:
                source: fileformat.Readable = file
                if progress is not None:
                    progress.snapshot_fixed(snapshot.stat().st_size)
                    source = progress.reading(file)
                return fileformat.encrypt(
                    source,
                    destination,
                    ring=ring,
                    engine=engine,
                    manifest=manifest,
                    created_at=created_at,
                ).header
    if engine == "postgresql":
        with (
            databases.postgresql_snapshot() as (snapshot_id, manifest),
            databases.postgresql_dump(snapshot_id) as dump,
        ):
            assert dump.stdout is not None
            source = dump.stdout
            if progress is not None:
                # Made on the app's own connection, outside the exported snapshot.
                progress.snapshot_fixed(None)
                source = progress.reading(dump.stdout)
            return fileformat.encrypt(
                source,
                destination,
                ring=ring,
                engine=engine,
                manifest=manifest,
                created_at=created_at,
            ).header
    raise BackupError(f"backups of a {engine} database are not supported")


def _backup_write(
    directory: Path, *, suffix: str = "", progress: _Progress | None = None
) -> WrittenBackup:
    """Writes a backup of the live database into `directory` (made 0700 if new) as a
    file of mode 0600: first under a hidden partial name, renamed when complete."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created_at = timezone.now()
    path = _free_path(directory, created_at, suffix)
    partial = directory / f".{path.name}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            sink = _Hashing(write=file.write)
            header = _encrypt_live_database(sink, created_at, progress)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
        _fsync_directory(directory)
    finally:
        partial.unlink(missing_ok=True)
    return WrittenBackup(path, sink.size, sink.digest.hexdigest(), header)


def _run_record(
    *, kind: str, actor: Actor, started_at: datetime.datetime, **fields: object
) -> BackupRun:
    running = fields.get("status") == RunStatus.RUNNING
    run = BackupRun(
        kind=kind,
        started_at=started_at,
        finished_at=None if running else timezone.now(),
        actor_label=actor.label[:150] or actor.type,
        engine=connection.vendor,
        **fields,
    )
    run.full_clean()
    run.save(force_insert=True)
    return run


def _run_finish(run: BackupRun, **fields: object) -> BackupRun:
    """The result of a run that was under way."""
    current = BackupRun.objects.select_for_update().get(pk=run.pk)
    for name, value in fields.items():
        setattr(current, name, value)
    current.finished_at = timezone.now()
    current.full_clean()
    current.save()
    return current


def backup_runs_stalled_close(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Ends the runs still "under way" whose progress has not moved for STALLED_AFTER:
    their process was killed or their machine went down. Returns how many."""
    now = now or timezone.now()
    with audited_transaction():
        stalled = BackupRun.objects.select_for_update().filter(
            status=RunStatus.RUNNING, progress_at__lt=now - STALLED_AFTER
        )
        for run in stalled:
            run.status = RunStatus.FAILED
            run.finished_at = now
            run.error = "stopped: no progress since " + (
                f"{run.progress_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"
                if run.progress_at
                else "it started"
            )
            run.save(update_fields=["status", "finished_at", "error"])
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=run,
                changed_fields=["status"],
                reason=run.error,
            )
    return len(stalled)


def backup_create(
    *, actor: Actor, directory: Path | None = None, report: ProgressReport | None = None
) -> BackupRun:
    """Writes an encrypted backup of the whole database to `directory` (default
    REKISTERI_BACKUP_DIR) and records the run, and an audit event when it succeeds.
    Its stages and the bytes written are told to `report`, and kept in the run's row
    while it is under way (the status page shows them).

    Raises BackupError with a one-line reason when it fails; the failed run is
    recorded with that reason, and no partial file is left behind."""
    directory = Path(directory or settings.REKISTERI_BACKUP_DIR)
    started_at = timezone.now()
    progress = _Progress(actor=actor, started_at=started_at, report=report)
    try:
        backup_runs_stalled_close(actor=actor)
        # What has committed gets its place in the chain first, so the backup's
        # manifest names the head of everything it holds.
        progress.stage(Stage.SEALING)
        audit_seal()
        progress.stage(Stage.SNAPSHOT)
        written = _backup_write(directory, progress=progress)
    except Exception as error:
        message = _safe_error(error)
        try:
            if progress.run is not None:
                with transaction.atomic():
                    _run_finish(progress.run, status=RunStatus.FAILED, error=message)
            else:
                _run_record(
                    kind=RunKind.CREATE,
                    actor=actor,
                    started_at=started_at,
                    status=RunStatus.FAILED,
                    error=message,
                )
        except Exception:
            # The database may be what failed; the console and the log still say why.
            logger.exception("the failed backup could not be recorded")
        raise BackupError(message) from error
    manifest = written.header.manifest
    assert progress.run is not None
    with audited_transaction():
        run = _run_finish(
            progress.run,
            status=RunStatus.OK,
            file_name=written.path.name,
            size_bytes=written.size,
            sha256=written.sha256,
            key_id=written.header.key_id,
            bytes_done=progress.done,
            progress_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=run,
            reason=f"backup {written.path.name} written: {manifest.rows} rows "
            f"in {len(manifest.tables)} tables",
        )
    logger.info("backup %s written, %s bytes", written.path.name, written.size)
    progress.stage(Stage.WRITTEN)
    return run


def _reading_ring() -> crypto.KeyRing:
    """The key ring and the keys `keys rotate` retired (the retired keys file beside the
    key file): a backup made before a rotation names a key the ring no longer holds.
    New backups are always made with the ring's active key."""
    return crypto.keyring_with_retired()


def _decrypt_file(path: Path, target: Path, ring: crypto.KeyRing) -> tuple[Header, str, int]:
    """Decrypts `path` into the new file `target`; only when it returns is every chunk
    authentic. Returns the header, and the encrypted file's SHA-256 and size."""
    with path.open("rb") as file, target.open("xb") as plain:
        source = _Hashing(read=file.read)
        result = fileformat.decrypt(source, plain, ring=ring)
    return result.header, source.digest.hexdigest(), source.size


def _open_backup(path: Path) -> Path:
    if not path.is_file():
        raise BackupError(f"there is no backup file {path}")
    return path


def _check_payload(header: Header, payload: Path) -> tuple[list[str], int, int, int]:
    """Restores the decrypted payload into a scratch database and compares it with the
    manifest. Returns the problems, and the tables, rows and audit events found."""
    if header.engine == "sqlite":
        problems = databases.sqlite_integrity_problems(payload)
        if problems:
            return problems, 0, 0, 0
        scratch = databases.sqlite_scratch(payload)
    elif connection.vendor != "postgresql":
        return ["a PostgreSQL backup is verified where DATABASE_URL names PostgreSQL"], 0, 0, 0
    else:
        try:
            databases.postgresql_archive_check(payload)
        except databases.DatabaseError as error:
            return [str(error)], 0, 0, 0
        scratch = databases.postgresql_scratch(payload)
    try:
        with scratch as alias:
            return _compare(alias, header)
    except databases.DatabaseError as error:
        return [str(error)], 0, 0, 0


def _compare(alias: str, header: Header) -> tuple[list[str], int, int, int]:
    manifest = header.manifest
    counts = databases.table_counts(alias)
    problems = []
    missing = sorted(set(manifest.tables) - set(counts))
    extra = sorted(set(counts) - set(manifest.tables))
    if missing:
        problems.append(f"tables missing: {', '.join(missing[:5])}")
    if extra:
        problems.append(f"tables not in the manifest: {', '.join(extra[:5])}")
    differ = [t for t in sorted(counts) if t in manifest.tables and counts[t] != manifest.tables[t]]
    problems += [
        f"table {table} has {counts[table]} rows, the manifest says {manifest.tables[table]}"
        for table in differ[:5]
    ]
    if databases.AUDIT_TABLE not in counts:
        problems.append("the audit trail's table is missing")
        return problems, len(counts), sum(counts.values()), 0
    if not databases.AUDIT_TRIGGERS[header.engine] <= databases.audit_triggers(alias):
        problems.append("the audit trail's append-only triggers are missing")
    chain_problems, events = databases.audit_chain_problems(alias, manifest)
    return problems + chain_problems, len(counts), sum(counts.values()), events


def backup_verify(path: Path, *, actor: Actor) -> VerifyReport:
    """Decrypts the backup into a scratch database (SQLite: a temporary file;
    PostgreSQL: a throwaway `<name>_verify_<random>` database, dropped afterwards) and
    checks it: SQLite's integrity and foreign key checks or a clean pg_restore, every
    table's row count against the manifest, the append-only triggers, and the audit
    chain walked to the head the manifest recorded.

    Raises BackupFileError for a file that is not a backup, is tampered with or needs
    a key the ring lacks. A backup that passes marks its run verified (audited)."""
    with _one_line_failures(), _workspace() as work:
        payload = work / "payload"
        header, sha256, _size = _decrypt_file(_open_backup(path), payload, _reading_ring())
        problems, tables, rows, events = _check_payload(header, payload)
    report = VerifyReport(path, header, sha256, tables, rows, events, problems)
    if report.is_ok:
        _mark_verified(sha256=sha256, actor=actor)
    return report


def _mark_verified(*, sha256: str, actor: Actor) -> None:
    with audited_transaction():
        runs = BackupRun.objects.select_for_update().filter(
            kind=RunKind.CREATE, status=RunStatus.OK, sha256=sha256
        )
        for run in runs:
            run.verified_at = timezone.now()
            run.save(update_fields=["verified_at"])
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=run,
                changed_fields=["verified_at"],
                reason=f"backup {run.file_name} verified",
            )


def _unknown_migrations(header: Header) -> list[str]:
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    return sorted(set(header.manifest.migrations) - known)


def _restore_replace(path: Path) -> tuple[Header, str, int, Path]:
    """Steps 1-3 of `backup_restore`: check everything, keep the old, replace."""
    engine = connection.vendor
    with _workspace() as work:
        payload = work / "payload"
        header, sha256, size = _decrypt_file(_open_backup(path), payload, _reading_ring())
        if header.engine != engine:
            raise BackupError(
                f"the backup is of a {header.engine} database; this Rekisteri uses {engine}"
            )
        unknown = _unknown_migrations(header)
        if unknown:
            raise BackupError(
                "the backup was made by a newer Rekisteri: it has migrations this one "
                f"lacks ({', '.join(unknown[:3])})"
            )
        if engine == "sqlite":
            databases.sqlite_live_path()
            problems, *_counts = _check_payload(header, payload)
            if problems:
                raise BackupError(f"the backup does not pass its checks: {problems[0]}")
            previous = databases.sqlite_replace(payload)
        else:
            databases.postgresql_archive_check(payload)
            directory = Path(settings.REKISTERI_BACKUP_DIR)
            previous = _backup_write(directory, suffix=PRE_RESTORE).path
            databases.postgresql_replace(payload, header.manifest)
    return header, sha256, size, previous


def _restore_complete(actor: Actor) -> Replay:
    """Steps 4-6 of `backup_restore`, on the restored database."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)
    databases.audit_triggers_ensure()
    return replay_all(actor=actor)


def backup_restore(path: Path, *, actor: Actor) -> RestoreReport:
    """Replaces the live database with the backup. Stop the app first.

    Nothing is touched until the whole file has been decrypted and every chunk's tag
    checked, and the backup was found to fit: its engine is this one's, it holds no
    migration this code lacks, and (SQLite) the copy passes the checks of
    `backup_verify`; otherwise BackupFileError or BackupError. Then the database as it
    is is kept (SQLite: `<database>.pre-restore`; PostgreSQL: an encrypted backup
    `…-pre-restore.rkbackup` in the backup directory) and replaced, `migrate` brings
    the schema up to this code's, the audit table's triggers are checked, and the
    replay log and the erasure log are replayed (`replay_all`): every withdrawal, ban,
    objection and restriction (and lift) made after the backup is done again in order,
    and anyone erased after it is erased again.
    The restore is recorded and audited in the restored database."""
    started_at = timezone.now()
    with _one_line_failures():
        header, sha256, size, previous = _restore_replace(path)
    logger.info("database restored from %s", path.name)
    if header.key_id not in crypto.keyring().encryption:
        logger.warning(
            "the backup was made with key %s, which a rotation retired: run `rekisteri keys "
            "rotate` before starting the app, or the restored identity codes cannot be read",
            header.key_id,
        )
    try:
        replay = _restore_complete(actor)
    except Exception as error:
        raise BackupError(
            f"the database was replaced with {path.name}, but completing the restore "
            f"failed: {_safe_error(error)}. Run `rekisteri migrate` and `rekisteri replay` "
            f"before starting the app; the previous database is in {previous}"
        ) from error
    # The chain is back at the backup's head: the audit checkpoints kept outside the
    # database start again from there (rekisteri/audit/sealing.py).
    checkpoint_restart(sealed_head(), f"restored {path.name}")
    with audited_transaction():
        run = _run_record(
            kind=RunKind.RESTORE,
            actor=actor,
            started_at=started_at,
            status=RunStatus.OK,
            file_name=path.name,
            size_bytes=size,
            sha256=sha256,
            key_id=header.key_id,
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=run,
            reason=f"database restored from backup {path.name} made "
            f"{header.created_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
            f"replay log replayed, {len(replay.done)} act(s) done again; "
            f"erasure log replayed, {len(replay.erased_again)} erased again",
        )
    return RestoreReport(run, header, previous, replay)


def _made_at(path: Path) -> datetime.datetime:
    match = NAME_PATTERN.fullmatch(path.name)
    assert match is not None
    return datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=datetime.UTC)


def _newest_first_key(path: Path) -> tuple[datetime.datetime, int]:
    match = NAME_PATTERN.fullmatch(path.name)
    assert match is not None
    return _made_at(path), int(match.group(2) or 0)


def backup_rotate(
    directory: Path, keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 12
) -> list[Path]:
    """Removes the backups in `directory` that no rule keeps: the newest of each of the
    last `keep_daily` days that have one, of the last `keep_weekly` ISO weeks and of the
    last `keep_monthly` months (UTC, from the file names). The newest backup is always
    kept. Only files named as `backup_create` names them are considered. Returns the
    removed files; their runs are marked removed."""
    if keep_daily < 1 or keep_weekly < 0 or keep_monthly < 0:
        raise ValueError("keep at least one daily backup, and no negative counts")
    found = [p for p in directory.iterdir() if NAME_PATTERN.fullmatch(p.name) and p.is_file()]
    newest_first = sorted(found, key=_newest_first_key, reverse=True)
    periods: list[tuple[Callable[[datetime.datetime], object], int]] = [
        (lambda t: t.date(), keep_daily),
        (lambda t: t.isocalendar()[:2], keep_weekly),
        (lambda t: (t.year, t.month), keep_monthly),
    ]
    kept: set[Path] = set()
    for period, count in periods:
        seen: set[object] = set()
        for path in newest_first:
            bucket = period(_made_at(path))
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.add(bucket)
            kept.add(path)
    removed = [path for path in newest_first if path not in kept]
    for path in removed:
        path.unlink()
    if removed:
        BackupRun.objects.filter(
            kind=RunKind.CREATE, file_name__in=[p.name for p in removed], removed_at__isnull=True
        ).update(removed_at=timezone.now())
        logger.info("rotation removed %s backup(s)", len(removed))
    return removed
