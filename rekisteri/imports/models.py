"""Imports of an existing customer list (docs/import.md).

The uploaded file is personal data: it is kept encrypted, only until its import ends,
is discarded or expires, and never outside the database (app servers and workers may
be different machines). What stays afterwards is the report: row numbers, statuses
and the names of the fields at fault, never a value."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Columns to be matched")
    READY = "ready", _("Ready for the dry run")
    CHECKING = "checking", _("Dry run under way")
    CHECKED = "checked", _("Dry run done")
    IMPORTING = "importing", _("Import under way")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Stopped by an error")
    DISCARDED = "discarded", _("Discarded")
    EXPIRED = "expired", _("Expired")


# The file is gone in these; nothing more can be done with the import.
ENDED = (ImportStatus.IMPORTED, ImportStatus.FAILED, ImportStatus.DISCARDED, ImportStatus.EXPIRED)
RUNNING = (ImportStatus.CHECKING, ImportStatus.IMPORTING)


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class RowStatus(models.TextChoices):
    OK = "ok", _("OK")
    REMARKS = "remarks", _("OK, with remarks")
    REFUSED = "refused", _("Refused")


class CustomerImport(models.Model):
    """One uploaded customer file, from the upload through the dry run to the import."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # None for an import from the command line.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"))
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices)
    file_format = models.CharField(_("file format"), max_length=8, choices=FileFormat.choices)
    file_size = models.PositiveIntegerField(_("file size"))
    # AES-256-GCM over the compressed file; emptied when the import ends.
    file_encrypted = models.TextField(_("uploaded file (encrypted)"), blank=True)
    file_expires_at = models.DateTimeField(_("file deleted at the latest"))
    # Field name -> column index (0-based), see `mapping.Target`.
    mapping = models.JSONField(_("columns matched to fields"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows handled"), default=0)
    rows_ok = models.PositiveIntegerField(_("rows OK"), default=0)
    rows_with_remarks = models.PositiveIntegerField(_("rows OK, with remarks"), default=0)
    rows_refused = models.PositiveIntegerField(_("rows refused"), default=0)
    consents_imported = models.PositiveIntegerField(_("consents imported"), default=0)
    # The start of the dry run or the import under way (or last done).
    run_started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_creator")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=ENDED) | models.Q(file_encrypted=""),
                name="import_ended_without_file",
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.public_id}"

    @property
    def has_file(self) -> bool:
        return bool(self.file_encrypted)

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def rows_accepted(self) -> int:
        """Rows imported (or, after a dry run, that would be), with remarks or without."""
        return self.rows_ok + self.rows_with_remarks


class ImportRow(models.Model):
    """The outcome of one row of the file: the report. No value of the row is kept."""

    customer_import = models.ForeignKey(
        CustomerImport,
        on_delete=models.CASCADE,
        related_name="rows",
        verbose_name=_("customer import"),
    )
    number = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("status"), max_length=8, choices=RowStatus.choices)
    # [{"field": "email", "message": "...", "row": 12}]: the field at fault (a
    # `mapping.Target`, or "" for the whole row), why, in the source language, and
    # the earlier row it repeats, if any.
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_import", "number"], name="importrow_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.number}: {self.status}"


class ImportedConsent(models.Model):
    """The evidence an imported consent was given with (docs/import.md, consents). The
    consent itself is an ordinary event of the ledger."""

    consent_event = models.OneToOneField(
        "consents.ConsentEvent",
        on_delete=models.PROTECT,
        related_name="import_evidence",
        verbose_name=_("consent event"),
    )
    customer_import = models.ForeignKey(
        CustomerImport,
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=_("customer import"),
    )
    evidence = models.CharField(_("evidence of the consent"), max_length=200)

    class Meta:
        verbose_name = _("imported consent")
        verbose_name_plural = _("imported consents")

    def __str__(self) -> str:
        return f"evidence of consent event {self.consent_event_id}"
