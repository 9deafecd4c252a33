"""Customer files as people export them, and the steps of an import through the pages."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rekisteri.accounts.roles import Role
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


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks (the tasks queued) of a block."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def clerk(customer_service_client):
    return customer_service_client


@pytest.fixture
def marketing_client(client_as):
    return client_as(Role.MARKETING)
