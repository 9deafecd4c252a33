"""The record of every backup made and every restore done (P15)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    CREATE = "create", _("Backup")
    RESTORE = "restore", _("Restore")


class RunStatus(models.TextChoices):
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class BackupRun(models.Model):
    """One `rekisteri backup create` or `restore`: when, which file, how it ended.

    Recorded when the run ends, so that a backup never holds a half-written record of
    itself. The file's SHA-256 is of the encrypted file as written, so a copy can be
    matched to its run. `error` holds a one-line reason, never personal data."""

    kind = models.CharField(max_length=16, choices=RunKind.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    actor_label = models.CharField(max_length=150, blank=True)
    engine = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

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
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.file_name or '-'}"
