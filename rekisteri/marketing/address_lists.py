"""Prepared address lists and labels of a post target group (docs/marketing.md): asked
for on the group's page, prepared by the worker (`address_list_running`), downloaded
once by the staff member who asked. Each step validates first, then writes with its
audit event in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.models import User
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import Channel
from rekisteri.marketing.models import (
    AddressList,
    AddressListError,
    AddressListKind,
    AddressListStatus,
    TargetGroup,
)
from rekisteri.marketing.restrictions import restricted_digests
from rekisteri.marketing.services import (
    ExportNotAllowed,
    target_group_export_record,
    target_group_labels_record,
)
from rekisteri.marketing.tasks import prepare_address_list
from rekisteri.prepared_files import FileUnreadable, file_due, file_read, job_queue

CONTENT_TYPES = {
    AddressListKind.CSV: "text/csv; charset=utf-8",
    AddressListKind.LABELS: "application/pdf",
}
# Lists shown on a group's page: the staff member's own, newest first.
SHOWN_ON_GROUP_PAGE = 5


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


def address_list_for(*, user: User, public_id: uuid.UUID) -> AddressList | None:
    """The staff member's own prepared list, else None: another's is not theirs to see."""
    return (
        AddressList.objects.select_related("target_group")
        .filter(public_id=public_id, created_by=user)
        .first()
    )


def address_lists_of(*, user: User, group: TargetGroup) -> QuerySet[AddressList]:
    """The staff member's latest lists of `group`."""
    lists = AddressList.objects.filter(created_by=user, target_group=group)
    return lists.order_by("-created_at", "-pk")[:SHOWN_ON_GROUP_PAGE]


def address_list_start(*, actor: Actor, group: TargetGroup, kind: str) -> AddressList:
    """Queues the address list (CSV) or the labels (PDF) of a post group for the worker.
    ExportNotAllowed for another channel; RestrictionListUnusable when the list in force
    cannot be matched: then nothing is queued."""
    if group.channel != Channel.POST:
        raise ExportNotAllowed
    if kind not in AddressListKind.values:
        raise ValidationError(_("Choose the address list or the labels."), code="kind")
    restricted_digests()
    with audited_transaction():
        address_list = job_queue(
            AddressList(target_group=group, kind=kind, created_by=actor.user),
            enqueue=prepare_address_list.enqueue,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=address_list,
            changed_fields=["status"],
            reason=f"{kind} of target group {group.name!r} asked for",
        )
    return address_list


def address_list_download(*, actor: Actor, address_list: AddressList) -> Download:
    """The prepared file, once: it is deleted as it is handed out. Audited as the
    export it is (how many rows leave), as the direct download was before."""
    with audited_transaction():
        current = (
            AddressList.objects.select_for_update()
            .select_related("target_group")
            .get(pk=address_list.pk)
        )
        if current.status != AddressListStatus.READY or file_due(current):
            raise ValidationError(
                _("This file has been downloaded already or has expired. Prepare it again."),
                code="gone",
            )
        try:
            raw = file_read(current)
        except FileUnreadable:
            raise ValidationError(
                AddressListError.FILE_UNREADABLE.label, code="unreadable"
            ) from None
        current.status = AddressListStatus.DOWNLOADED
        current.file_encrypted = ""
        current.downloaded_at = timezone.now()
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason="downloaded, the file deleted",
        )
        group = current.target_group
        if current.kind == AddressListKind.LABELS:
            target_group_labels_record(actor=actor, group=group, labels=current.rows_written)
        else:
            target_group_export_record(actor=actor, group=group, rows=current.rows_written)
    day = timezone.localdate(current.finished_at)
    suffix = "-labels" if current.kind == AddressListKind.LABELS else ""
    extension = "pdf" if current.kind == AddressListKind.LABELS else "csv"
    return Download(
        content=raw,
        content_type=CONTENT_TYPES[AddressListKind(current.kind)],
        filename=f"target-group-{group.pk}{suffix}-{day:%Y%m%d}.{extension}",
    )
