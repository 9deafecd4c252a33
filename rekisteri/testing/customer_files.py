"""Customer files as people export them (CSV, XLSX, and workbooks with a document type
declaration that the readers must refuse), and the steps of an import through the pages."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rekisteri.imports.models import CustomerImport
from rekisteri.testing.factories import fake, fake_email, fake_phone
from rekisteri.testing.identity_codes import identity_code_for
from rekisteri.testing.tasks import run_queued_tasks

HEADER = [
    "Etunimi",
    "Sukunimi",
    "Katuosoite",
    "Postinumero",
    "Postitoimipaikka",
    "Puhelin",
    "Sähköposti",
    "Henkilötunnus",
]


def person(**overrides: str) -> dict[str, str]:
    """A row's cells by header: a fake person with a valid phone and email."""
    first, last = fake.first_name(), fake.last_name()
    values = {
        "Etunimi": first,
        "Sukunimi": last,
        "Katuosoite": fake.street_address(),
        "Postinumero": fake.postcode(),
        "Postitoimipaikka": fake.city(),
        "Puhelin": fake_phone(),
        "Sähköposti": fake_email(first, last),
        "Henkilötunnus": "",
    }
    values.update(overrides)
    return values


def a_code(day: int = 1, individual: int = 901) -> str:
    return identity_code_for(datetime.date(1980, 5, day), individual)


def csv_bytes(
    people: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> bytes:
    header = header or list(people[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in people:
        writer.writerow([row.get(name, "") for name in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, header: list[str]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def uploaded(raw: bytes, name: str = "asiakkaat.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, "application/octet-stream")


def upload(client, raw: bytes, name: str = "asiakkaat.csv"):
    return client.post(reverse("imports:upload"), {"file": uploaded(raw, name)})


def the_import() -> CustomerImport:
    return CustomerImport.objects.get()


def save_columns(client, customer_import: CustomerImport, **changes: str):
    """Posts the columns as guessed, with `changes` (column index as "column_N")."""
    data = {f"column_{index}": target for target, index in customer_import.mapping.items()}
    data.update(changes)
    return client.post(reverse("imports:mapping", args=[customer_import.public_id]), data)


def dry_run(
    client, raw: bytes, *, captured, name: str = "asiakkaat.csv", **changes: str
) -> CustomerImport:
    """Uploads `raw`, saves the guessed columns and runs the dry run in the queue."""
    assert upload(client, raw, name).status_code == 302
    customer_import = the_import()
    assert save_columns(client, customer_import, **changes).status_code == 302
    with captured(execute=True):
        response = client.post(reverse("imports:check", args=[customer_import.public_id]))
    assert response.status_code == 302
    run_queued_tasks()
    customer_import.refresh_from_db()
    return customer_import


def import_after_dry_run(client, customer_import: CustomerImport, *, captured) -> CustomerImport:
    with captured(execute=True):
        response = client.post(reverse("imports:run", args=[customer_import.public_id]))
    assert response.status_code == 302
    run_queued_tasks()
    customer_import.refresh_from_db()
    return customer_import


DOCTYPE = '<!DOCTYPE worksheet [<!ENTITY name "Virtanen">]>'


def with_sheet_xml(raw: bytes, transform) -> bytes:
    """The workbook with its first sheet's XML passed through `transform` (text to
    bytes), every other member as it was."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = transform(data.decode("utf-8"))
            target.writestr(member, data)
    return buffer.getvalue()


def with_doctype(text: str) -> str:
    """The XML with a DOCTYPE after its declaration (or first, without one)."""
    if text.startswith("<?xml"):
        end = text.index("?>") + 2
        return text[:end] + "\n<!-- made by hand -->\n" + DOCTYPE + text[end:]
    return DOCTYPE + text


def declared(text: str, encoding: str) -> str:
    body = text[text.index("?>") + 2 :] if text.startswith("<?xml") else text
    return f'<?xml version="1.0" encoding="{encoding}"?>' + body


DOCTYPE_SHEETS = {
    "utf-8": lambda text: with_doctype(text).encode("utf-8"),
    "utf-16 with a byte order mark": lambda text: with_doctype(declared(text, "UTF-16")).encode(
        "utf-16"
    ),
    "utf-16-le without one": lambda text: with_doctype(declared(text, "UTF-16")).encode(
        "utf-16-le"
    ),
    "utf-16-be without one": lambda text: with_doctype(declared(text, "UTF-16")).encode(
        "utf-16-be"
    ),
    "utf-8 with a byte order mark": lambda text: with_doctype(text).encode("utf-8-sig"),
}


def doctype_workbook(variant: str) -> bytes:
    raw = xlsx_bytes([["Virtanen", "Aino"]], header=["Sukunimi", "Etunimi"])
    return with_sheet_xml(raw, DOCTYPE_SHEETS[variant])
