"""`rekisteri backup create | verify FILE | restore FILE | list`: encrypted backups
(docs/backups.md). Every fault exits non-zero with a one-line reason."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.backups import selectors, services
from rekisteri.backups.fileformat import BackupFileError
from rekisteri.backups.services import BackupError


def size(count: int) -> str:
    """A size for people, without the locale's separators: 1 byte, 2.0 KiB, 3.5 MiB."""
    if count < 1024:
        return "1 byte" if count == 1 else f"{count} bytes"
    amount, units = count / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while amount >= 1024 and len(units) > 1:
        amount /= 1024
        units.pop(0)
    return f"{amount:.1f} {units[0]}"


class Command(BaseCommand):
    help = "Encrypted backups: create, verify, restore and list them."
    # Run by schedulers, where start-up time adds up; the checks are for serving the app
    # (they import every view), and `rekisteri check` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        create = subcommands.add_parser(
            "create", help="Write an encrypted backup of the database into the backup directory."
        )
        create.add_argument("--directory", type=Path, help="Instead of REKISTERI_BACKUP_DIR.")
        create.add_argument(
            "--rotate",
            action="store_true",
            help="Then remove old backups: keep the newest daily, weekly and monthly ones "
            "(REKISTERI_BACKUP_KEEP_DAILY, _WEEKLY, _MONTHLY).",
        )
        create.add_argument(
            "--verify", action="store_true", help="Then verify the new backup (backup verify)."
        )
        create.add_argument(
            "--progress",
            action="store_true",
            help="Tell the stages and the bytes written on stderr (the default on a terminal).",
        )
        verify = subcommands.add_parser(
            "verify",
            help="Decrypt a backup into a scratch database and check it against its manifest. "
            "Exits 1 on any fault.",
        )
        verify.add_argument("file", type=Path)
        restore = subcommands.add_parser(
            "restore",
            help="Replace the database with a backup (stop the app first), then replay the "
            "replay log and the erasure log.",
        )
        restore.add_argument("file", type=Path)
        restore.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        listing = subcommands.add_parser("list", help="The backups in the backup directory.")
        listing.add_argument("--directory", type=Path, help="Instead of REKISTERI_BACKUP_DIR.")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        actor = Actor.system(f"backup {subcommand}")
        try:
            if subcommand == "create":
                self.create(
                    actor,
                    options["directory"],
                    options["rotate"],
                    options["verify"],
                    progress=options["progress"] or self.stderr.isatty(),
                )
            elif subcommand == "verify":
                self.verify(actor, options["file"])
            elif subcommand == "restore":
                self.restore(actor, options["file"], confirmed=options["yes"])
            else:
                self.list(options["directory"])
        except BackupFileError as error:
            raise CommandError(f"Backup refused: {error}.") from None
        except BackupError as error:
            raise CommandError(f"Backup {subcommand} failed: {error}.") from None

    def create(
        self,
        actor: Actor,
        directory: Path | None,
        rotate: bool,
        verify: bool,
        *,
        progress: bool = False,
    ) -> None:
        directory = directory or Path(settings.REKISTERI_BACKUP_DIR)
        report = self.report_progress if progress else None
        run = services.backup_create(actor=actor, directory=directory, report=report)
        self.stdout.write(
            f"Backup written: {directory / run.file_name} "
            f"({size(run.size_bytes or 0)}, key {run.key_id})."
        )
        if verify:
            self.verify(actor, directory / run.file_name)
        if rotate:
            removed = services.backup_rotate(
                directory,
                keep_daily=settings.REKISTERI_BACKUP_KEEP_DAILY,
                keep_weekly=settings.REKISTERI_BACKUP_KEEP_WEEKLY,
                keep_monthly=settings.REKISTERI_BACKUP_KEEP_MONTHLY,
            )
            names = ", ".join(path.name for path in removed) or "none"
            self.stdout.write(f"Rotation removed {len(removed)} old backup(s): {names}.")

    def report_progress(self, stage: str, done: int, total: int | None) -> None:
        """One line on stderr per stage, and per PROGRESS_BYTES written: stdout keeps
        only the results, which scripts read."""
        if stage == services.Stage.SEALING:
            line = "Sealing the audit trail..."
        elif stage == services.Stage.SNAPSHOT:
            line = "Taking a consistent snapshot of the database..."
        elif stage == services.Stage.WRITING and total:
            line = (
                f"Encrypting and writing: {size(done)} of {size(total)} ({100 * done // total} %)"
            )
        elif stage == services.Stage.WRITING:
            line = f"Encrypting and writing: {size(done)} so far"
        else:
            line = f"Done: {size(done)} read."
        self.stderr.write(line)

    def verify(self, actor: Actor, path: Path) -> None:
        report = services.backup_verify(path, actor=actor)
        if not report.is_ok:
            raise CommandError(
                f"Backup {path.name} failed verification: {'; '.join(report.problems)}."
            )
        self.stdout.write(
            f"Backup {path.name} verified: {report.tables} tables and {report.rows} rows match "
            f"the manifest; audit trail intact, {report.audit_events} events, head "
            f"{report.header.manifest.audit_head_hash}."
        )

    def restore(self, actor: Actor, path: Path, *, confirmed: bool) -> None:
        if not confirmed:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Restoring replaces the whole database: stop the app, then run again "
                    "with --yes."
                )
            answer = input(
                f"Replace the whole database with {path.name}? The app must be stopped. "
                "Type yes to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was restored.")
        report = services.backup_restore(path, actor=actor)
        made = timezone.localtime(report.header.created_at)
        self.stdout.write(
            f"Restored the database from {path.name} (made {made:%Y-%m-%d %H:%M %Z}). The "
            f"database as it was is kept in {report.previous}. Replay log replayed: "
            f"{len(report.replay.done)} act(s) done again. Erasure log replayed: "
            f"{report.erased_again} customer(s) erased again."
        )
        for line in report.replay.lines():
            self.stdout.write(f"  {line}")

    def list(self, directory: Path | None) -> None:
        directory = directory or Path(settings.REKISTERI_BACKUP_DIR)
        files = selectors.backup_files(directory)
        if not files:
            self.stdout.write(f"No backups in {directory}.")
            return
        for file in files:
            run = file.run
            if run is None:
                state = "no run recorded here"
            elif run.verified_at:
                state = f"verified {timezone.localtime(run.verified_at):%Y-%m-%d %H:%M}"
            else:
                state = "not verified"
            self.stdout.write(f"{file.path.name}  {size(file.size)}  {state}")
