"""Reading the tables people keep lists of customers and addresses in: CSV as
spreadsheet programs save it (Finnish Excel writes Windows-1252 and ';' between
cells; others UTF-8, with or without a byte order mark, and ',') and XLSX workbooks.

Rows are numbered as a spreadsheet numbers them, blank rows included, the header
first, so that a report's "row 12" is row 12 on the reader's screen. Errors are
ValidationErrors with a code and a message that names no cell's value."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX = "xlsx"
CSV = "csv"
ZIP_MAGIC = b"PK\x03\x04"
# Compound File Binary: Excel 97-2003 (.xls), among others.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A workbook unpacks to some ten times its size; one that would unpack to much more is
# a decompression bomb, not a customer list. The zip directory's sizes bind: Python
# never unpacks more of a member than its entry declares.
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024
# How much of a member's start is read for its XML prolog: a workbook's is a line.
MAX_XML_PROLOG_CHARACTERS = 64 * 1024
# XML's own encoding detection (XML 1.0, appendix F): byte order marks, then the first
# bytes of "<?xml" in each encoding. The longest first: UTF-32's mark starts as UTF-16's.
XML_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\xef\xbb\xbf", "utf-8"),
)
# Whitespace and punctuation: everything but letters and digits.
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")

Row = tuple[int, list[str]]


def decode_csv(raw: bytes) -> str:
    """The text of a CSV file: UTF-8 (a byte order mark dropped), else Windows-1252,
    else Latin-1. Raises ValidationError (code "format") for a binary file."""
    if b"\x00" in raw:
        raise ValidationError(
            _("The file is not a text CSV file. Save it as CSV (UTF-8) and try again."),
            code="format",
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def csv_delimiter(text: str) -> str:
    """';' when the first line has at least as many of them as commas (and one), else ','."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    return ";" if first_line.count(";") >= max(first_line.count(","), 1) else ","


def header_key(cell: str) -> str:
    """A column name without case, accents or punctuation: "Lähiosoite" and
    "LAHIOSOITE" are "lahiosoite", "street_address" is "street address"."""
    folded = unicodedata.normalize("NFKD", cell.casefold())
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(NOT_ALPHANUMERIC.sub(" ", letters).split())


def csv_rows(text: str) -> Iterator[Row]:
    """The rows of CSV text that have a non-blank cell, with their row numbers."""
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            yield number, cells


def file_format(raw: bytes) -> str:
    """XLSX or CSV, by the file's content (its name may say anything). Raises
    ValidationError (code "format") for other spreadsheet and binary files."""
    if raw.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise _not_readable() from None
        if "xl/workbook.xml" in names:
            return XLSX
        raise _not_readable()
    if raw.startswith(OLE2_MAGIC):
        raise ValidationError(
            _("Old Excel files (.xls) cannot be read. Save the sheet as XLSX or CSV."),
            code="format",
        )
    return CSV


def _not_readable() -> ValidationError:
    return ValidationError(
        _("The file is not an XLSX workbook or a CSV file. Save the sheet as XLSX or CSV."),
        code="format",
    )


def table_rows(raw: bytes) -> Iterator[Row]:
    """The non-blank rows of a CSV file or of an XLSX workbook's first sheet, as text,
    numbered as the spreadsheet numbers them. Raises ValidationError (code "format")
    for a file that is neither, before the first row."""
    if file_format(raw) == XLSX:
        return xlsx_rows(raw)
    return csv_rows(decode_csv(raw))


def xlsx_rows(raw: bytes) -> Iterator[Row]:
    """The non-blank rows of the workbook's first sheet, each cell as text (see
    `cell_text`). Raises ValidationError (code "format") for a damaged workbook or one
    that would unpack to more than MAX_XLSX_UNPACKED_BYTES, before the first row."""
    import openpyxl  # here: only an XLSX upload pays for importing it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise _not_readable() from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ValidationError(
            _("The workbook is too large to read. Save the sheet as CSV and try again."),
            code="format",
        )
    _refuse_document_types(raw)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _not_readable() from None
    if not workbook.worksheets:
        workbook.close()
        raise _not_readable()
    return _sheet_rows(workbook)


def _refuse_document_types(raw: bytes) -> None:
    """Raises ValidationError (code "format") when any member of the workbook is XML
    with a document type declaration, in whatever encoding: a DTD can define entities
    that expand to gigabytes or read files, and no spreadsheet program writes one. The
    XML parser is not trusted to refuse it (defusedxml is not a dependency)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for member in archive.infolist():
            with archive.open(member) as stream:
                if _prolog_declares_a_document_type(stream):
                    raise ValidationError(
                        _(
                            "The workbook holds XML with a document type declaration, which "
                            "Rekisteri does not read. Save the sheet as XLSX or CSV again."
                        ),
                        code="format",
                    )


def _prolog_declares_a_document_type(stream: IO[bytes]) -> bool:
    """Whether the XML prolog (before the first element) of a member holds a `<!...>`
    that is not a comment: a DOCTYPE, or anything else a parser could read as markup
    declarations. A member that is not XML answers False; a prolog too long to be a
    workbook's answers True."""
    head = stream.read(4)
    encoding = next((name for mark, name in XML_ENCODINGS if head.startswith(mark)), "utf-8")
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head).lstrip("\ufeff")
    while True:
        prolog = _skip_prolog_items(text)
        if prolog is not None:
            return prolog
        if len(text) > MAX_XML_PROLOG_CHARACTERS:
            return True
        chunk = stream.read(4096)
        if not chunk:
            return False
        text += decoder.decode(chunk)


def _skip_prolog_items(text: str) -> bool | None:
    """True for a declaration, False at the first element or at what is not XML, None
    when `text` ends before either."""
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        rest = text[position:]
        if len(rest) < 4:
            return None
        if not rest.startswith("<"):
            return False
        if rest.startswith(("<?", "<!--")):
            terminator = "?>" if rest.startswith("<?") else "-->"
            end = rest.find(terminator, 2)
            if end < 0:
                return None
            position += end + len(terminator)
            continue
        return rest.startswith("<!")


def _sheet_rows(workbook: Workbook) -> Iterator[Row]:
    try:
        sheet = workbook.worksheets[0]
        # The stored dimensions may be wrong (some programs write A1:A1): read to the end.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if any(cell.strip() for cell in cells):
                yield number, cells
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A cell's value as the spreadsheet shows it in its plainest form: a whole number
    without ".0", a date as 2024-03-01, TRUE and FALSE as "true" and "false"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
