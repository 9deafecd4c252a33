"""What the worker does for a prepared address list (`marketing.tasks`): goes through
the post group's members once, leaves out those on the ASML restriction list, writes
the CSV or the labels PDF, and stores it encrypted for its maker to download once; and
deletes a file nobody downloaded in time. The steps every prepared file shares are in
`rekisteri.prepared_files`.

Progress is saved every PROGRESS_ROWS members; a list that expired meanwhile stops at
its next save."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.marketing.address_csv import address_csv
from rekisteri.marketing.labels import labels_pdf
from rekisteri.marketing.models import AddressList, AddressListError, AddressListKind
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
from rekisteri.prepared_files import (
    JobStopped,
    job_expired,
    job_failed,
    job_ready,
    job_start,
    progress_save,
)

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "address list"
PROGRESS_ROWS = 2000


def address_list_run(*, list_id: int) -> AddressList | None:
    """Prepares a queued list once; nothing when it is not queued (run already, or
    expired). Returns the list when its file is ready, for its expiry to be queued."""
    current = job_start(
        AddressList.objects.select_for_update().select_related("target_group").filter(pk=list_id)
    )
    if current is None:
        return None
    try:
        digests = restricted_digests()
    except RestrictionListUnusable:
        _fail(current, AddressListError.RESTRICTION_LIST_UNUSABLE)
        return None
    try:
        raw = _file_written(current, digests)
    except JobStopped:
        return None
    except Exception:
        logger.exception("address list %s stopped by an error", current.pk)
        _fail(current, AddressListError.UNEXPECTED)
        raise
    return _finish(current, raw)


def _file_written(address_list: AddressList, digests: frozenset[str]) -> bytes:
    group = address_list.target_group
    members = target_group_members(group).count()
    progress_save(
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
            progress_save(
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


def _finish(address_list: AddressList, raw: bytes) -> AddressList | None:
    with audited_transaction():
        current = job_ready(
            AddressList.objects.select_for_update().filter(pk=address_list.pk),
            raw,
            rows_done=address_list.rows_done,
            rows_written=address_list.rows_written,
            left_out_restriction_list=address_list.left_out_restriction_list,
        )
        if current is None:
            return None
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
        current = job_failed(
            AddressList.objects.select_for_update().filter(pk=address_list.pk), error
        )
        if current is None:
            return
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
        current = job_expired(AddressList.objects.select_for_update().filter(pk=list_id))
        if current is None:
            return
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason="expired: the file deleted",
        )
