"""What the worker does for a copy prepared for hand-over (`privacy.access.tasks`):
gathers the customer's own copy a section at a time, saving which sections are done,
and keeps the ZIP encrypted in the copy's row until a privacy officer hands it over;
and deletes a copy nobody handed over in time. The steps every prepared file shares are
in `rekisteri.prepared_files`.

The reasons recorded are in the source language and never hold a value of the copy."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.prepared_files import (
    JobStopped,
    job_expired,
    job_failed,
    job_ready,
    job_start,
    progress_save,
)
from rekisteri.privacy.access.copy import own_copy_categories
from rekisteri.privacy.access.disclosures import check_own_copy, own_copy_archive
from rekisteri.privacy.models import AccessCopy

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "prepared copy"


def _locked(copy_id: int) -> QuerySet[AccessCopy]:
    """The copy for update, with its customer (the audit events are about them)."""
    return (
        AccessCopy.objects.select_for_update(of=("self",))
        .select_related("subject_request__customer")
        .filter(pk=copy_id)
    )


def access_copy_run(*, copy_id: int) -> AccessCopy | None:
    """Prepares a queued copy once; nothing when it is not queued. Returns the copy
    when it is ready, for its expiry to be queued."""
    current = job_start(_locked(copy_id))
    if current is None:
        return None
    subject_request = current.subject_request
    try:
        customer = check_own_copy(subject_request)
    except ValidationError:
        _fail(current, "the request no longer gets a copy")
        return None
    sections = own_copy_categories(customer, include_identity_code=True)
    try:
        progress_save(current, sections_total=len(sections), sections_done=[])

        def gathered(section: str) -> None:
            progress_save(current, sections_done=[*current.sections_done, section])

        raw = own_copy_archive(
            subject_request=subject_request, customer=customer, on_section=gathered
        )
    except JobStopped:
        return None
    except Exception:
        logger.exception("prepared copy %s stopped by an error", current.pk)
        _fail(current, "stopped by an error")
        raise
    return _finish(current, raw)


def _finish(access_copy: AccessCopy, raw: bytes) -> AccessCopy | None:
    with audited_transaction():
        current = job_ready(_locked(access_copy.pk), raw)
        if current is None:
            return None
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
        current = job_failed(_locked(access_copy.pk), why)
        if current is None:
            return
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
        current = job_expired(_locked(copy_id))
        if current is None:
            return
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            customer=current.subject_request.customer,
            changed_fields=["status", "file"],
            reason="expired: the copy deleted",
        )
