"""What the worker does for a prepared address list (`marketing.tasks`): goes through
the post group's members once, leaves out those on the ASML restriction list, writes
the CSV or the labels PDF, and stores it encrypted for its maker to download once; and
deletes a file nobody downloaded in time.

Progress is saved every PROGRESS_ROWS members; a list that expired meanwhile stops at
its next save. The file is never written to disk (app servers and workers may be
different machines)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator

from django.utils import timezone

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.marketing.address_csv import address_csv
from rekisteri.marketing.address_list_files import file_sealed
from rekisteri.marketing.labels import labels_pdf
from rekisteri.marketing.models import (
    ADDRESS_LIST_ENDED,
    AddressList,
    AddressListError,
    AddressListKind,
    AddressListStatus,
)
from rekisteri.marketing.restrictions import (
    RestrictionListUnusable,
    restricted_digests,
    without_restricted,
)
from rekisteri.marketing.selectors import (
    target_group_export_rows,
    target_group_matches,
    target_group_members,
)

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "address list"
PROGRESS_ROWS = 2000
# A prepared file may be downloaded this long after it is ready; then it is deleted.
FILE_KEPT_FOR = datetime.timedelta(hours=1)


class _Stopped(Exception):
    """The list expired while it was being prepared."""


def address_list_run(*, list_id: int) -> AddressList | None:
    """Prepares a queued list once; nothing when it is not queued (run already, or
    expired). Returns the list when its file is ready, for its expiry to be queued."""
    with audited_transaction():
        current = (
            AddressList.objects.select_for_update()
            .select_related("target_group")
            .filter(pk=list_id)
            .first()
        )
        if current is None or current.status != AddressListStatus.QUEUED:
            return None
        current.status = AddressListStatus.RUNNING
        current.started_at = timezone.now()
        current.save(update_fields=["status", "started_at"])
    try:
        digests = restricted_digests()
    except RestrictionListUnusable:
        _fail(current, AddressListError.RESTRICTION_LIST_UNUSABLE)
        return None
    try:
        raw = _file_written(current, digests)
    except _Stopped:
        return None
    except Exception:
        logger.exception("address list %s stopped by an error", current.pk)
        _fail(current, AddressListError.UNEXPECTED)
        raise
    return _finish(current, raw)


def _file_written(address_list: AddressList, digests: frozenset[str]) -> bytes:
    group = address_list.target_group
    members = target_group_members(group).count()
    _progress_save(
        address_list,
        rows_total=members,
        left_out_consents=max(0, target_group_matches(group).count() - members),
    )
    counted = _counted(address_list, target_group_export_rows(group, digests=frozenset()))
    rows = without_restricted(counted, digests) if digests else counted
    if address_list.kind == AddressListKind.LABELS:
        pdf = labels_pdf(_written(address_list, rows))
        raw = pdf.content
    else:
        raw = "".join(address_csv(_written(address_list, rows))).encode("utf-8")
    address_list.left_out_restriction_list = address_list.rows_done - address_list.rows_written
    return raw


def _counted(
    address_list: AddressList, rows: Iterable[tuple[str, ...]]
) -> Iterator[tuple[str, ...]]:
    """`rows` as they are, the members gone through counted and saved now and then."""
    for row in rows:
        address_list.rows_done += 1
        if address_list.rows_done % PROGRESS_ROWS == 0:
            _progress_save(
                address_list,
                rows_done=address_list.rows_done,
                rows_written=address_list.rows_written,
            )
        yield row


def _written(
    address_list: AddressList, rows: Iterable[tuple[str, ...]]
) -> Iterator[tuple[str, ...]]:
    for row in rows:
        address_list.rows_written += 1
        yield row


def _progress_save(address_list: AddressList, **counts: int) -> None:
    saved = AddressList.objects.filter(pk=address_list.pk, status=AddressListStatus.RUNNING).update(
        **counts
    )
    if not saved:
        raise _Stopped
    for name, value in counts.items():
        setattr(address_list, name, value)


def _finish(address_list: AddressList, raw: bytes) -> AddressList | None:
    with audited_transaction():
        current = AddressList.objects.select_for_update().get(pk=address_list.pk)
        if current.status != AddressListStatus.RUNNING:
            return None
        now = timezone.now()
        current.rows_done = address_list.rows_done
        current.rows_written = address_list.rows_written
        current.left_out_restriction_list = address_list.left_out_restriction_list
        current.status = AddressListStatus.READY
        current.file_encrypted = file_sealed(raw, address_list=current)
        current.file_size = len(raw)
        current.finished_at = now
        current.file_expires_at = now + FILE_KEPT_FOR
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason=f"prepared: {current.rows_written} rows of {current.rows_done} members, "
            f"{current.left_out_restriction_list} on the restriction list; "
            f"{current.left_out_consents} left out by consents and bans",
        )
    return current


def _fail(address_list: AddressList, error: str) -> None:
    with audited_transaction():
        current = AddressList.objects.select_for_update().get(pk=address_list.pk)
        if current.status in ADDRESS_LIST_ENDED:
            return
        current.status = AddressListStatus.FAILED
        current.error = error
        current.file_encrypted = ""
        current.finished_at = timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status"],
            reason=f"failed: {error}",
        )


def address_list_expire(*, list_id: int) -> None:
    """Deletes the file of a list nobody downloaded in time; a list still being
    prepared then stops at its next progress save."""
    with audited_transaction():
        current = AddressList.objects.select_for_update().filter(pk=list_id).first()
        if current is None or current.status in ADDRESS_LIST_ENDED:
            return
        if current.file_expires_at is not None and timezone.now() < current.file_expires_at:
            return
        current.status = AddressListStatus.EXPIRED
        current.file_encrypted = ""
        current.finished_at = current.finished_at or timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason="expired: the file deleted",
        )
