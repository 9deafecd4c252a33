"""Files the worker prepares for a staff member to take once: the address list or labels
of a post group (`marketing.address_list_running`) and the customer's own copy for
hand-over (`privacy.access.copy_running`). What is the same for both kinds is here:
the fields of the job's row, its steps from queued to ready, failed or expired, the
progress saves that stop a job no longer running, and the file sealed in its own row
with the key ring. What each kind gathers, who may take it and the reasons its audit
events give stay with the kind; each step here runs in the kind's transaction, which
records its event.

The file is never written to disk (app servers and workers may be different machines)."""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
import zlib
from collections.abc import Callable, Collection
from typing import ClassVar, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto

# A prepared file may be taken this long after it is ready; then it is deleted.
FILE_KEPT_FOR = datetime.timedelta(hours=1)

# The steps both kinds share (each kind words them for its page, and names its own
# step for the file taken: downloaded, handed over).
QUEUED = "queued"
RUNNING = "running"
READY = "ready"
FAILED = "failed"
EXPIRED = "expired"
IN_PROGRESS = (QUEUED, RUNNING)


class JobStopped(Exception):
    """The job expired while it was being prepared."""


class FileUnreadable(Exception):
    """The file is gone, or its key is no longer in the key ring."""


class PreparedFile(models.Model):
    """The row of one prepared file. The file is personal data: encrypted in this row
    (AES-256-GCM over the compressed file, bound to the row), taken once, and emptied
    on taking, expiry or failure; what stays is the counts."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("asked for"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_encrypted = models.TextField(_("file (encrypted)"), blank=True)
    file_size = models.PositiveIntegerField(_("file size"), default=0)
    file_expires_at = models.DateTimeField(_("file deleted at the latest"), null=True, blank=True)

    # Each kind's own: its status and error fields, the statuses in which the file is
    # gone, and the purpose its file is sealed for (a file copied into a row of
    # another kind, or another row, does not decrypt).
    status: str
    error: str
    ENDED: ClassVar[tuple[str, ...]]
    FILE_PURPOSE: ClassVar[str]

    class Meta:
        abstract = True

    @property
    def is_running(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def is_ready(self) -> bool:
        return self.status == READY


J = TypeVar("J", bound=PreparedFile)


def ended_without_file(ended: Collection[str], *, name: str) -> models.CheckConstraint:
    """The constraint of a kind's table: no file is left in a row whose job has ended."""
    return models.CheckConstraint(
        condition=~models.Q(status__in=ended) | models.Q(file_encrypted=""), name=name
    )


def file_sealed(raw: bytes, *, job: PreparedFile) -> str:
    """The file sealed for this job's row: copied into another row it does not decrypt."""
    payload = base64.b64encode(zlib.compress(raw)).decode("ascii")
    return crypto.keyring().encrypt(payload, purpose=job.FILE_PURPOSE, row=str(job.public_id))


def file_read(job: PreparedFile) -> bytes:
    """The file as prepared. Raises FileUnreadable."""
    if not job.file_encrypted:
        raise FileUnreadable
    try:
        payload = crypto.keyring().decrypt(
            job.file_encrypted, purpose=job.FILE_PURPOSE, row=str(job.public_id)
        )
        return zlib.decompress(base64.b64decode(payload))
    except (crypto.DecryptionError, binascii.Error, zlib.error):
        raise FileUnreadable from None


def file_due(job: PreparedFile) -> bool:
    """The file's time is up (or it never had one): it may no longer be taken."""
    return job.file_expires_at is None or timezone.now() >= job.file_expires_at


def job_queue(
    job: J, *, enqueue: Callable[[int], object], exclude: Collection[str] | None = None
) -> J:
    """Saves a new job (made with its kind's fields and `created_by`) as queued, in the
    caller's transaction, which records its event; the worker is given it when that
    commits. `exclude`: fields not to validate."""
    job.status = QUEUED
    job.created_at = timezone.now()
    job.full_clean(exclude=exclude, validate_constraints=False)
    job.save(force_insert=True)
    pk = job.pk
    transaction.on_commit(lambda: enqueue(pk))
    return job


def job_start(locked: models.QuerySet[J]) -> J | None:
    """Marks the queued job of `locked` (the kind's query of one row, for update) as
    running; None when it is not queued (run already, or expired). Records no event:
    nothing a person did, and the job's end is recorded."""
    with transaction.atomic():
        current = locked.first()
        if current is None or current.status != QUEUED:
            return None
        current.status = RUNNING
        current.started_at = timezone.now()
        current.save(update_fields=["status", "started_at"])
    return current


def progress_save(job: PreparedFile, **values: object) -> None:
    """Saves `values` in a job still running, and in `job`. Raises JobStopped when it
    no longer runs (it expired meanwhile): the work stops there."""
    # `status` is each kind's own field, which the type checker does not see here.
    running = type(job)._default_manager.filter(pk=job.pk, status=RUNNING)  # type: ignore[misc]
    saved = running.update(**values)
    if not saved:
        raise JobStopped
    for name, value in values.items():
        setattr(job, name, value)


def job_ready(locked: models.QuerySet[J], raw: bytes, **values: object) -> J | None:
    """Stores the finished file, and `values`, in the running job of `locked`; None
    when it stopped meanwhile. In the caller's transaction, for its event."""
    current = locked.get()
    if current.status != RUNNING:
        return None
    now = timezone.now()
    for name, value in values.items():
        setattr(current, name, value)
    current.status = READY
    current.file_encrypted = file_sealed(raw, job=current)
    current.file_size = len(raw)
    current.finished_at = now
    current.file_expires_at = now + FILE_KEPT_FOR
    current.save()
    return current


def job_failed(locked: models.QuerySet[J], error: str) -> J | None:
    """Ends the job of `locked` as failed, its file deleted; None when it had ended
    already. In the caller's transaction, for its event."""
    current = locked.get()
    if current.status in current.ENDED:
        return None
    current.status = FAILED
    current.error = error
    current.file_encrypted = ""
    current.finished_at = timezone.now()
    current.save()
    return current


def job_expired(locked: models.QuerySet[J]) -> J | None:
    """Ends the job of `locked` as expired and deletes its file, when its time is up;
    None when it is gone, ended or not due. A job still being prepared then stops at
    its next progress save. In the caller's transaction, for its event."""
    current = locked.first()
    if current is None or current.status in current.ENDED or not file_due(current):
        return None
    _expire(current)
    return current


def jobs_expired_now(locked: models.QuerySet[J]) -> list[J]:
    """Ends every job of `locked` not ended yet as expired, its file deleted at once
    whatever its time (a person it may hold was erased); those still being prepared
    stop at their next progress save. In the caller's transaction, for its events."""
    ended = [current for current in locked if current.status not in current.ENDED]
    for current in ended:
        _expire(current)
    return ended


def _expire(current: PreparedFile) -> None:
    current.status = EXPIRED
    current.file_encrypted = ""
    current.finished_at = current.finished_at or timezone.now()
    current.save()
