"""The ASML direct marketing restriction list: people who refused addressed direct
mail, delivered to marketers as a name and address file. Only keyed digests of its
rows are kept, enough to match customers out of a post export, nothing to read back.
How rows are normalised and matched, and what that misses: docs/marketing.md."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.crypto import keyring
from rekisteri.customers.models import Customer
from rekisteri.marketing.models import RestrictionEntry, RestrictionList
from rekisteri.spreadsheets import csv_delimiter, decode_csv, header_key

PURPOSE = "asml-restriction"
KEY_CHECK_PURPOSE = "asml-restriction-key"
MAX_FILE_BYTES = 50 * 1024 * 1024
BATCH = 5000
POSTAL_CODE = re.compile(r"[0-9]{5}")
# Whitespace, punctuation and combining marks (after NFKD): everything but letters
# and digits. Dropping the marks makes "MAKELA" in a 7-bit file match "Mäkelä".
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
# The same, and a word that marks a flat after it: "Kirkkotie 5 as. 3" is "Kirkkotie 5 3".
STREET_NOISE = re.compile(r"[\W_]+(?:(?:as|asunto|bst|bostad)\b[\W_]*)?")
HEADERS = {
    "surname": ("sukunimi", "surname", "last name", "family name"),
    "first_names": ("etunimet", "etunimi", "first names", "first name", "given names"),
    "street_address": ("lähiosoite", "katuosoite", "street address", "address"),
    "postal_code": ("postinumero", "postal code", "postcode", "zip code"),
}


class RejectReason(models.TextChoices):
    NO_SURNAME = "surname", _("no surname")
    NO_FIRST_NAME = "first_name", _("no first name")
    NO_STREET_ADDRESS = "street_address", _("no street address")
    BAD_POSTAL_CODE = "postal_code", _("the postal code is not five digits")


class RestrictionListUnusable(Exception):
    """The list in force was digested with another index key, so nobody would match:
    sending then would ignore the list, so nothing is sent until it is imported again."""


@dataclass(frozen=True)
class Rejection:
    row: int
    reason: RejectReason


@dataclass(frozen=True)
class ParsedList:
    digests: frozenset[str]
    rows_read: int
    rejections: tuple[Rejection, ...]


@dataclass(frozen=True)
class ImportResult:
    restriction_list: RestrictionList
    rejections: tuple[Rejection, ...]


# Normalisation -----------------------------------------------------------------


def _folded(text: str) -> str:
    """Case folded, compatibility forms unified and diacritics split off (NFKD, which
    does what NFKC does and also decomposes "ä" into "a" and a combining mark)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text.casefold())


def _surname(text: str) -> str:
    return NOT_ALPHANUMERIC.sub("", _folded(text))


def _first_given_name(first_names: str) -> str:
    words = _folded(first_names).split()
    return NOT_ALPHANUMERIC.sub("", words[0]) if words else ""


def _street(text: str) -> str:
    # A space in front, so that a flat word first in the text is seen too.
    return STREET_NOISE.sub("", " " + _folded(text))


def _postal_code(text: str) -> str:
    if len(text) == 5 and text.isascii() and text.isdigit():
        return text  # as the register stores them: a million times an export
    code = "".join(text.split())
    return code if POSTAL_CODE.fullmatch(code) else ""


KeyMaker = Callable[[str, str, str, str], str | None]


def _key_maker() -> KeyMaker:
    """`restriction_key` for many rows: surnames and given names repeat, so each is
    normalised once a run."""
    surnames: dict[str, str] = {}
    given_names: dict[str, str] = {}

    def key(surname: str, first_names: str, street_address: str, postal_code: str) -> str | None:
        code = _postal_code(postal_code)
        family = surnames.get(surname)
        if family is None:
            family = surnames[surname] = _surname(surname)
        given = given_names.get(first_names)
        if given is None:
            given = given_names[first_names] = _first_given_name(first_names)
        street = _street(street_address)
        if not (code and family and given and street):
            return None
        return f"{family}|{given}|{street}|{code}"

    return key


def restriction_key(
    *, surname: str, first_names: str, street_address: str, postal_code: str
) -> str | None:
    """The text digested for a person: surname, first given name, street address and
    postal code, normalised, joined with "|"; None when a part is missing or the postal
    code is not five digits (nothing to match on)."""
    return _key_maker()(surname, first_names, street_address, postal_code)


def _digester() -> Callable[[str], str]:
    return keyring().blind_indexer(purpose=PURPOSE)


def _digesters() -> list[Callable[[str], str]]:
    """One per index key in the ring. While a key rotation is under way, or keeps the
    old index key for the list in force (`rekisteri.key_rotation`), that list was
    digested with the old key: rows are matched under each key."""
    ring = keyring()
    return [ring.blind_indexer(purpose=PURPOSE, key_id=key_id) for key_id in ring.index_ids]


def key_check(key_id: str | None = None) -> str:
    """Names the index key a list was digested with, without revealing it: the active
    index key, or the ring's index key `key_id`."""
    return keyring().blind_index("key check", purpose=KEY_CHECK_PURPOSE, key_id=key_id)[:16]


def restriction_list_index_key(restriction_list: RestrictionList) -> str | None:
    """The id of the ring's index key `restriction_list` was digested with; None when
    the ring no longer holds it."""
    ids = keyring().index_ids
    return next((key_id for key_id in ids if key_check(key_id) == restriction_list.key_id), None)


# Reading the file ----------------------------------------------------------------


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    names = [header_key(cell) for cell in header]
    for column, aliases in HEADERS.items():
        keys = {header_key(alias) for alias in aliases}
        index = next((i for i, name in enumerate(names) if name in keys), None)
        if index is not None:
            found[column] = index
    missing = [column for column in HEADERS if column not in found]
    if missing:
        raise ValidationError(
            _(
                "The first row must name the columns: sukunimi, etunimet, lähiosoite and "
                "postinumero (or surname, first names, street address and postal code)."
            ),
            code="header",
        )
    return found


def _reason(cells: dict[str, str]) -> RejectReason:
    """Why a row gave no key: the first part it lacks."""
    if not _surname(cells["surname"]):
        return RejectReason.NO_SURNAME
    if not _first_given_name(cells["first_names"]):
        return RejectReason.NO_FIRST_NAME
    if not _street(cells["street_address"]):
        return RejectReason.NO_STREET_ADDRESS
    return RejectReason.BAD_POSTAL_CODE


def restriction_file_parse(text: str) -> ParsedList:
    """Reads the rows of a restriction list file (a header row first; ';' or ','
    between cells) into digests, with the rows rejected and why. Never keeps a name."""
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    # Numbered as a spreadsheet numbers them, blank rows included, the header first.
    records = (
        (number, cells)
        for number, cells in enumerate(reader, start=1)
        if any(cell.strip() for cell in cells)
    )
    _number, header = next(records, (0, []))
    if not header:
        raise ValidationError(_("The file is empty."), code="empty")
    columns = _columns(header)
    key_of, digest = _key_maker(), _digester()
    digests: set[str] = set()
    rejections: list[Rejection] = []
    rows_read = 0
    for row_number, cells in records:
        rows_read += 1
        values = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        key = key_of(
            values["surname"],
            values["first_names"],
            values["street_address"],
            values["postal_code"],
        )
        if key is None:
            rejections.append(Rejection(row_number, _reason(values)))
        else:
            digests.add(digest(key))
    return ParsedList(frozenset(digests), rows_read, tuple(rejections))


def _read(file: IO[bytes]) -> str:
    raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(megabytes)s MB.") % {"megabytes": MAX_FILE_BYTES >> 20},
            code="size",
        )
    return decode_csv(raw)


# Writes ----------------------------------------------------------------------


def restriction_list_import(*, actor: Actor, file: IO[bytes]) -> ImportResult:
    """Imports an ASML restriction list file: it becomes the list in force, and the
    entries of older lists are deleted (their import records stay). The whole file is
    read before anything is written; a file with no usable row stores nothing. The
    audit event holds counts only."""
    parsed = restriction_file_parse(_read(file))
    if not parsed.digests:
        raise ValidationError(
            _("The file has no row with a name, street address and postal code."),
            code="no_rows",
        )
    with audited_transaction():
        restriction_list = RestrictionList(
            imported_at=timezone.now(),
            imported_by=actor.user,
            rows_read=parsed.rows_read,
            rows_rejected=len(parsed.rejections),
            key_id=key_check(),
        )
        restriction_list.full_clean()
        restriction_list.save()
        RestrictionEntry.objects.bulk_create(
            (RestrictionEntry(restriction_list=restriction_list, digest=d) for d in parsed.digests),
            batch_size=BATCH,
        )
        older = RestrictionEntry.objects.exclude(restriction_list=restriction_list)
        deleted, _counts = older.delete()  # one DELETE: nothing refers to an entry
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=restriction_list,
            reason=(
                f"ASML restriction list: {parsed.rows_read} rows read, "
                f"{len(parsed.rejections)} rejected, {len(parsed.digests)} entries stored, "
                f"{deleted} entries of older lists deleted"
            ),
        )
    return ImportResult(restriction_list, parsed.rejections)


# Reads -----------------------------------------------------------------------


def restriction_list_history() -> QuerySet[RestrictionList]:
    return RestrictionList.objects.select_related("imported_by").order_by("-imported_at", "-pk")


def restriction_list_in_force() -> RestrictionList | None:
    return RestrictionList.objects.order_by("-imported_at", "-pk").first()


def restricted_digests() -> frozenset[str]:
    """The digests of the list in force (empty without one). Raises
    RestrictionListUnusable if it was digested with an index key the ring lacks."""
    in_force = restriction_list_in_force()
    if in_force is None:
        return frozenset()
    if restriction_list_index_key(in_force) is None:
        raise RestrictionListUnusable
    entries = RestrictionEntry.objects.filter(restriction_list=in_force)
    return frozenset(entries.values_list("digest", flat=True).iterator(chunk_size=BATCH))


def _matcher(digests: frozenset[str]) -> Callable[[tuple[str, ...]], bool]:
    """Whether a row that starts (first names, surname, street address, postal code)
    is on the list."""
    key_of, digesters = _key_maker(), _digesters()

    def is_restricted(row: tuple[str, ...]) -> bool:
        key = key_of(row[1], row[0], row[2], row[3])
        return key is not None and any(digest(key) in digests for digest in digesters)

    return is_restricted


def without_restricted(
    rows: Iterable[tuple[str, ...]], digests: frozenset[str]
) -> Iterator[tuple[str, ...]]:
    """`rows` (first names, surname, street address, postal code, ...) less those on
    the list."""
    is_restricted = _matcher(digests)
    return (row for row in rows if not is_restricted(row))


def restricted_count(customers: QuerySet[Customer], digests: frozenset[str]) -> int:
    """How many of `customers` are on the list of `digests` (no query without one)."""
    if not digests:
        return 0
    is_restricted = _matcher(digests)
    rows = customers.values_list("first_names", "surname", "street_address", "postal_code")
    return sum(1 for row in rows.iterator(chunk_size=BATCH) if is_restricted(row))
