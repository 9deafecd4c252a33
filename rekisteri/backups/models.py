"""The record of every backup made and every restore done (P15)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    CREATE = "create", _("Backup")
    RESTORE = "restore", _("Restore")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Under way")
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class BackupRun(models.Model):
    """One `rekisteri backup create` or `restore`: when, which file, how it ended.

    A backup's row is made once its snapshot is fixed (so that a backup never holds a
    half-written record of itself), is "running" with its progress while the file is
    written, and gets its result when the run ends; a failure before the snapshot is
    recorded when it happens. The file's SHA-256 is of the encrypted file as written,
    so a copy can be matched to its run. `error` holds a one-line reason, never
    personal data."""

    kind = models.CharField(max_length=16, choices=RunKind.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    engine = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The progress of a run under way: bytes of the database read into the file, of
    # how many (SQLite's snapshot has a size; PostgreSQL's dump is a stream), and when
    # they were last saved.
    bytes_done = models.PositiveBigIntegerField(null=True, blank=True)
    bytes_total = models.PositiveBigIntegerField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status", "-finished_at"], name="backups_run_last_good"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="ok", kind="create") | ~models.Q(sha256=""),
                name="backups_run_good_backup_has_digest",
            ),
            models.CheckConstraint(
                condition=models.Q(status="running", finished_at__isnull=True)
                | (~models.Q(status="running") & models.Q(finished_at__isnull=False)),
                name="backups_run_finished_unless_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.file_name or '-'}"
