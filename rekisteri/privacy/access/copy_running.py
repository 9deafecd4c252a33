"""What the worker does for a copy prepared for hand-over (`privacy.access.tasks`):
gathers the customer's own copy a section at a time, saving which sections are done,
and keeps the ZIP encrypted in the copy's row until a privacy officer hands it over;
and deletes a copy nobody handed over in time.

The reasons recorded are in the source language and never hold a value of the copy."""

from __future__ import annotations

import base64
import binascii
import datetime
import logging
import zlib

from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.privacy.access.copy import own_copy_categories
from rekisteri.privacy.access.disclosures import check_own_copy, own_copy_archive
from rekisteri.privacy.models import ACCESS_COPY_ENDED, AccessCopy, AccessCopyStatus

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "prepared copy"
FILE_PURPOSE = "privacy.access_copy"
# A prepared copy waits this long for its hand-over; then it is deleted.
FILE_KEPT_FOR = datetime.timedelta(hours=1)


class FileUnreadable(Exception):
    """The copy is gone, or its key is no longer in the key ring."""


class _Stopped(Exception):
    """The copy expired while it was being prepared."""


def file_sealed(raw: bytes, *, access_copy: AccessCopy) -> str:
    payload = base64.b64encode(zlib.compress(raw)).decode("ascii")
    return crypto.keyring().encrypt(payload, purpose=FILE_PURPOSE, row=str(access_copy.public_id))


def file_read(access_copy: AccessCopy) -> bytes:
    """The ZIP as prepared. Raises FileUnreadable."""
    if not access_copy.file_encrypted:
        raise FileUnreadable
    try:
        payload = crypto.keyring().decrypt(
            access_copy.file_encrypted, purpose=FILE_PURPOSE, row=str(access_copy.public_id)
        )
        return zlib.decompress(base64.b64decode(payload))
    except (crypto.DecryptionError, binascii.Error, zlib.error):
        raise FileUnreadable from None


def access_copy_run(*, copy_id: int) -> AccessCopy | None:
    """Prepares a queued copy once; nothing when it is not queued. Returns the copy
    when it is ready, for its expiry to be queued."""
    with audited_transaction():
        current = (
            AccessCopy.objects.select_for_update(of=("self",))
            .select_related("subject_request__customer")
            .filter(pk=copy_id)
            .first()
        )
        if current is None or current.status != AccessCopyStatus.QUEUED:
            return None
        current.status = AccessCopyStatus.RUNNING
        current.started_at = timezone.now()
        current.save(update_fields=["status", "started_at"])
    subject_request = current.subject_request
    try:
        customer = check_own_copy(subject_request)
    except ValidationError:
        _fail(current, "the request no longer gets a copy")
        return None
    sections = own_copy_categories(customer, include_identity_code=True)
    try:
        _progress_save(current, sections_total=len(sections), sections_done=[])

        def gathered(section: str) -> None:
            _progress_save(current, sections_done=[*current.sections_done, section])

        raw = own_copy_archive(
            subject_request=subject_request, customer=customer, on_section=gathered
        )
    except _Stopped:
        return None
    except Exception:
        logger.exception("prepared copy %s stopped by an error", current.pk)
        _fail(current, "stopped by an error")
        raise
    return _finish(current, raw)


def _progress_save(access_copy: AccessCopy, **values: object) -> None:
    saved = AccessCopy.objects.filter(pk=access_copy.pk, status=AccessCopyStatus.RUNNING).update(
        **values
    )
    if not saved:
        raise _Stopped
    for name, value in values.items():
        setattr(access_copy, name, value)


def _finish(access_copy: AccessCopy, raw: bytes) -> AccessCopy | None:
    with audited_transaction():
        current = (
            AccessCopy.objects.select_for_update(of=("self",))
            .select_related("subject_request__customer")
            .get(pk=access_copy.pk)
        )
        if current.status != AccessCopyStatus.RUNNING:
            return None
        now = timezone.now()
        current.status = AccessCopyStatus.READY
        current.file_encrypted = file_sealed(raw, access_copy=current)
        current.file_size = len(raw)
        current.finished_at = now
        current.file_expires_at = now + FILE_KEPT_FOR
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            customer=current.subject_request.customer,
            changed_fields=["status", "file"],
            reason=f"prepared: {len(current.sections_done)} sections, {len(raw)} bytes",
        )
    return current


def _fail(access_copy: AccessCopy, why: str) -> None:
    with audited_transaction():
        current = (
            AccessCopy.objects.select_for_update(of=("self",))
            .select_related("subject_request__customer")
            .get(pk=access_copy.pk)
        )
        if current.status in ACCESS_COPY_ENDED:
            return
        current.status = AccessCopyStatus.FAILED
        current.error = why
        current.file_encrypted = ""
        current.finished_at = timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            customer=current.subject_request.customer,
            changed_fields=["status"],
            reason=f"failed: {why}",
        )


def access_copy_expire(*, copy_id: int) -> None:
    """Deletes a prepared copy nobody handed over in time; one still being prepared
    stops at its next progress save."""
    with audited_transaction():
        current = (
            AccessCopy.objects.select_for_update(of=("self",))
            .select_related("subject_request__customer")
            .filter(pk=copy_id)
            .first()
        )
        if current is None or current.status in ACCESS_COPY_ENDED:
            return
        if current.file_expires_at is not None and timezone.now() < current.file_expires_at:
            return
        current.status = AccessCopyStatus.EXPIRED
        current.file_encrypted = ""
        current.finished_at = current.finished_at or timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            customer=current.subject_request.customer,
            changed_fields=["status", "file"],
            reason="expired: the copy deleted",
        )
