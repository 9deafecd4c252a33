"""Reading CSV as spreadsheet programs save it, and XLSX workbooks (rekisteri.spreadsheets).
No database."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from rekisteri import spreadsheets
from rekisteri.spreadsheets import cell_text, file_format, header_key, table_rows
from rekisteri.testing.customer_files import (
    DOCTYPE_SHEETS,
    declared,
    doctype_workbook,
    with_sheet_xml,
    xlsx_bytes,
)

TEXT = "Sukunimi;Etunimi;Postitoimipaikka\r\nJääskeläinen;Öljy-Åke;Mäntsälä\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_it_reads_utf8_with_or_without_bom_and_windows_1252(encoding):
    rows = list(table_rows(TEXT.encode(encoding)))

    assert rows == [
        (1, ["Sukunimi", "Etunimi", "Postitoimipaikka"]),
        (2, ["Jääskeläinen", "Öljy-Åke", "Mäntsälä"]),
    ]


@pytest.mark.parametrize("delimiter", [";", ","])
def test_it_tells_semicolons_from_commas_by_the_header_row(delimiter):
    text = f'Sukunimi{delimiter}Katuosoite\nVirtanen{delimiter}"Kirkkotie 5, as. 3; B"\n'

    rows = list(table_rows(text.encode()))

    assert rows[1] == (2, ["Virtanen", "Kirkkotie 5, as. 3; B"])


def test_rows_are_numbered_as_the_spreadsheet_numbers_them_blank_rows_skipped():
    text = "Sukunimi;Etunimi\n\nVirtanen;Aino\n;\nLaine;Liisa\n"

    assert [number for number, _cells in table_rows(text.encode())] == [1, 3, 5]


def test_it_reads_the_first_sheet_of_a_workbook_as_text():
    raw = xlsx_bytes(
        [
            ["Virtanen", 100, 358401234567.0, datetime.datetime(2024, 3, 1), True],
            [None, None, None, None, None],
            ["Laine", "00100", "040 123 4567", datetime.date(2023, 12, 24), 12.5],
        ],
        header=["Sukunimi", "Postinumero", "Puhelin", "Päivä", "Lupa"],
    )

    rows = list(table_rows(raw))

    assert file_format(raw) == spreadsheets.XLSX
    assert rows == [
        (1, ["Sukunimi", "Postinumero", "Puhelin", "Päivä", "Lupa"]),
        (2, ["Virtanen", "100", "358401234567", "2024-03-01", "true"]),
        (4, ["Laine", "00100", "040 123 4567", "2023-12-24", "12.5"]),
    ]


def test_a_cell_is_text_in_its_plainest_form():
    assert cell_text(None) == ""
    assert cell_text(90650.0) == "90650"
    assert cell_text(False) == "false"
    assert cell_text(datetime.datetime(2024, 3, 1, 14, 30)) == "2024-03-01 14:30:00"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "Old Excel files (.xls) cannot be read. Save the sheet as XLSX or CSV.",
        ),
        (
            "Sukunimi;Etunimi\n".encode("utf-16"),
            "The file is not a text CSV file. Save it as CSV (UTF-8) and try again.",
        ),
        (
            b"PK\x03\x04 not really a zip",
            "The file is not an XLSX workbook or a CSV file. Save the sheet as XLSX or CSV.",
        ),
    ],
    ids=["xls", "utf-16", "broken-zip"],
)
def test_other_files_are_refused_with_what_to_do(raw, message):
    with pytest.raises(ValidationError) as refused:
        list(table_rows(raw))

    assert refused.value.messages == [message]
    assert refused.value.code == "format"


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")

    with pytest.raises(ValidationError) as refused:
        file_format(buffer.getvalue())

    assert refused.value.messages == [
        "The file is not an XLSX workbook or a CSV file. Save the sheet as XLSX or CSV."
    ]


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read(monkeypatch):
    raw = xlsx_bytes([["Virtanen"] * 20] * 200, header=["Sukunimi"] * 20)
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_UNPACKED_BYTES", len(raw))

    with pytest.raises(ValidationError) as refused:
        table_rows(raw)

    assert refused.value.messages == [
        "The workbook is too large to read. Save the sheet as CSV and try again."
    ]


def test_header_keys_ignore_case_accents_and_punctuation():
    assert header_key("Lähiosoite") == header_key("LAHIOSOITE") == "lahiosoite"
    assert header_key(" E-mail ") == "e mail"
    assert header_key("first_names") == "first names"


@pytest.mark.parametrize("variant", list(DOCTYPE_SHEETS))
def test_a_workbook_with_a_document_type_is_refused_in_any_encoding(variant):
    raw = doctype_workbook(variant)

    with pytest.raises(ValidationError) as refused:
        list(table_rows(raw))

    assert refused.value.code == "format"
    assert "document type declaration" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-8-sig", "UTF-8")]
)
def test_a_workbook_whose_xml_is_utf16_without_a_document_type_is_read(encoding, name):
    raw = xlsx_bytes([["Virtanen", "Aino"]], header=["Sukunimi", "Etunimi"])
    recoded = with_sheet_xml(raw, lambda text: declared(text, name).encode(encoding))

    assert list(table_rows(recoded)) == [(1, ["Sukunimi", "Etunimi"]), (2, ["Virtanen", "Aino"])]
