"""Printable address labels of a post target group: A4 sheets of labels as PDF.

The text is set in the PDF core font Helvetica in Windows-1252, which every PDF
reader has, so no font file is needed: it covers the Finnish alphabet (å ä ö š ž)
and most Western European letters. A letter outside it is printed without its
diacritics (Ł as L, ő as o), and one with no Latin form as "?" (docs/marketing.md)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation
from django_countries import countries
from fpdf import FPDF
from fpdf.fonts import CoreFont

ENCODING = "cp1252"
FONT = "Helvetica"
FONT_SIZE = 10.0
SMALLEST_FONT_SIZE = 7.0
LINE_HEIGHT_MM = 4.6
PADDING_MM = 5.0
HOME_COUNTRY = "FI"
# Letters that do not decompose into a base letter and a mark.
LATIN_FORMS = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t"}
)


@dataclass(frozen=True)
class Sheet:
    """A sheet of equal labels edge to edge, centred on the page."""

    columns: int = 3
    rows: int = 8
    label_width_mm: float = 70.0
    label_height_mm: float = 37.0
    page_width_mm: float = 210.0
    page_height_mm: float = 297.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, position: int) -> tuple[float, float]:
        """The top left corner of the label at `position` (0 first) on its page."""
        row, column = divmod(position, self.columns)
        left = (self.page_width_mm - self.columns * self.label_width_mm) / 2
        top = (self.page_height_mm - self.rows * self.label_height_mm) / 2
        return left + column * self.label_width_mm, top + row * self.label_height_mm


A4_3X8 = Sheet()


@dataclass(frozen=True)
class LabelsPdf:
    content: bytes
    labels: int


def printable(text: str) -> str:
    """`text` in the font's encoding: a letter outside it loses its diacritics, and
    one with no Latin form becomes "?"."""
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        return "".join(_printable_letter(letter) for letter in text.translate(LATIN_FORMS))


def _printable_letter(letter: str) -> str:
    for candidate in (letter, _without_marks(letter)):
        try:
            candidate.encode(ENCODING)
        except UnicodeEncodeError:
            continue
        return candidate or "?"
    return "?"


def _without_marks(letter: str) -> str:
    decomposed = unicodedata.normalize("NFKD", letter)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def address_lines(row: tuple[str, ...]) -> list[str]:
    """The lines of one label for an export row (first names, surname, street address,
    postal code, post office, country): the country's English name, in capitals, only
    for an address abroad."""
    first_names, surname, street_address, postal_code, post_office, country = row[:6]
    lines = [f"{first_names} {surname}", street_address, f"{postal_code} {post_office.upper()}"]
    if country and country != HOME_COUNTRY:
        with translation.override("en"):
            lines.append(str(countries.name(country)).upper() or country)
    return [printable(" ".join(line.split())) for line in lines if line.strip()]


class _LabelWriter:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.core_fonts_encoding = ENCODING
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margin(0)
        self.pdf.set_font(FONT, size=FONT_SIZE)
        font = self.pdf.current_font
        if not isinstance(font, CoreFont):
            raise TypeError(f"{FONT} is not a core font")
        self.font = font
        self.count = 0

    def write(self, lines: list[str]) -> None:
        position = self.count % self.sheet.per_page
        if position == 0:
            self.pdf.add_page()
        left, top = self.sheet.origin(position)
        room = self.sheet.label_width_mm - 2 * PADDING_MM
        # The block of lines in the middle of the label, the first baseline one line in.
        y = top + (self.sheet.label_height_mm - len(lines) * LINE_HEIGHT_MM) / 2 + LINE_HEIGHT_MM
        for line in lines:
            self._line(left + PADDING_MM, y, line, room)
            y += LINE_HEIGHT_MM
        self.count += 1

    def _line(self, x: float, y: float, text: str, room: float) -> None:
        """A line too long for the label is set smaller, down to a size still legible,
        and then cut: it must not run onto the next label."""
        width = self._width_mm(text)
        size = FONT_SIZE
        if width > room:
            size = max(SMALLEST_FONT_SIZE, math.floor(2 * FONT_SIZE * room / width) / 2)
            while width * size / FONT_SIZE > room and len(text) > 1:
                text = text[:-2] + "…"
                width = self._width_mm(text)
            self.pdf.set_font_size(size)
        self.pdf.text(x, y, text)
        if size != FONT_SIZE:
            self.pdf.set_font_size(FONT_SIZE)

    def _width_mm(self, text: str) -> float:
        """The width of `text` at FONT_SIZE: the font's own table, without the layout
        work of FPDF.get_string_width, which would take most of the time."""
        normalized = self.pdf.normalize_text(text)
        points = self.font.get_text_width(normalized, FONT_SIZE, None)[1]
        return points / self.pdf.k


def labels_pdf(rows: Iterable[tuple[str, ...]], *, sheet: Sheet = A4_3X8) -> LabelsPdf:
    """A PDF of address labels for export rows, in their order, `sheet.per_page` a
    page. Rows are consumed one by one and the PDF is built in memory: for 50,000
    labels a 2 to 4 MB file, at most some 15 MB on the way."""
    writer = _LabelWriter(sheet)
    for row in rows:
        writer.write(address_lines(row))
    if writer.count == 0:
        writer.pdf.add_page()
    return LabelsPdf(content=bytes(writer.pdf.output()), labels=writer.count)
