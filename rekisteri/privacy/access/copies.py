"""The customer's own copy prepared in the background for a privacy officer to hand
over (docs/subject-requests.md): asked for on the request's page, gathered by the
worker a section at a time (`copy_running`), handed over once. The hand-over records
the same disclosure to the data subject as the direct hand-over does."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.prepared_files import IN_PROGRESS, FileUnreadable, file_due, file_read, job_queue
from rekisteri.privacy.access.copy import DataCategory, archive_filename
from rekisteri.privacy.access.disclosures import check_own_copy, record_own_copy
from rekisteri.privacy.access.tasks import prepare_access_copy
from rekisteri.privacy.models import AccessCopy, AccessCopyStatus, SubjectRequest


@dataclass(frozen=True)
class HandedOver:
    content: bytes
    filename: str


def access_copy_latest(subject_request: SubjectRequest) -> AccessCopy | None:
    """The request's newest prepared copy, for its page."""
    return AccessCopy.objects.filter(subject_request=subject_request).order_by("-pk").first()


def access_copy_get(*, subject_request: SubjectRequest, public_id: str) -> AccessCopy | None:
    """A prepared copy of this request (another request's is not found)."""
    return AccessCopy.objects.filter(subject_request=subject_request, public_id=public_id).first()


def section_labels(access_copy: AccessCopy) -> list[str]:
    """The sections gathered, by the names the copy's page gives them."""
    labels = dict(DataCategory.choices)
    return [str(labels.get(section, section)) for section in access_copy.sections_done]


def access_copy_prepare(*, actor: Actor, subject_request: SubjectRequest) -> AccessCopy:
    """Queues the customer's own copy for the worker. ValidationError (nothing queued)
    when the request gets no copy, or one is being prepared already."""
    with audited_transaction():
        current = (
            SubjectRequest.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=subject_request.pk)
        )
        customer = check_own_copy(current)
        if AccessCopy.objects.filter(subject_request=current, status__in=IN_PROGRESS).exists():
            raise ValidationError(_("The copy is being prepared already."), code="running")
        access_copy = job_queue(
            AccessCopy(subject_request=current, created_by=actor.user),
            enqueue=prepare_access_copy.enqueue,
            exclude=["subject_request"],
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=access_copy,
            customer=customer,
            changed_fields=["status"],
            reason=f"copy for hand-over asked for: {current.kind} request",
        )
    return access_copy


def access_copy_handover(*, actor: Actor, access_copy: AccessCopy) -> HandedOver:
    """The prepared copy, once: deleted as it is handed over, and recorded as a
    disclosure to the data subject made by the staff member, as the direct hand-over
    is. ValidationError (nothing recorded) when it is gone or the request no longer
    gets a copy."""
    with audited_transaction():
        subject_request = (
            SubjectRequest.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=access_copy.subject_request_id)
        )
        customer = check_own_copy(subject_request)
        current = AccessCopy.objects.select_for_update().get(pk=access_copy.pk)
        if current.status != AccessCopyStatus.READY or file_due(current):
            raise ValidationError(
                _("This copy has been handed over already or has expired. Prepare it again."),
                code="gone",
            )
        try:
            content = file_read(current)
        except FileUnreadable:
            raise ValidationError(
                _("The prepared copy could not be decrypted. Prepare it again."),
                code="unreadable",
            ) from None
        current.status = AccessCopyStatus.HANDED_OVER
        current.file_encrypted = ""
        current.handed_over_at = timezone.now()
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=customer,
            changed_fields=["status", "file"],
            reason="handed over, the copy deleted",
        )
        record_own_copy(actor=actor, subject_request=subject_request, customer=customer)
    return HandedOver(content=content, filename=archive_filename(customer))
