"""Uploading a customer file and matching its columns: the file is stored encrypted
with the columns guessed; a file that cannot be used stores nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.imports import services
from rekisteri.imports.files import file_read
from rekisteri.imports.models import CustomerImport, ImportStatus
from rekisteri.testing.customer_files import (
    HEADER,
    a_code,
    csv_bytes,
    doctype_workbook,
    person,
    save_columns,
    the_import,
    upload,
    xlsx_bytes,
)
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_encrypted_with_the_columns_guessed(clerk, captured):
    aino = person(Sukunimi="Väisänen", Henkilötunnus=a_code())
    raw = csv_bytes([aino], encoding="cp1252")

    with captured(execute=True):
        response = upload(clerk, raw)

    customer_import = the_import()
    assert response.status_code == 302
    assert response.url == reverse("imports:mapping", args=[customer_import.public_id])
    assert (customer_import.status, customer_import.file_format) == (ImportStatus.MAPPING, "csv")
    assert customer_import.file_size == len(raw)
    assert customer_import.mapping == {
        "first_names": 0,
        "surname": 1,
        "street_address": 2,
        "postal_code": 3,
        "post_office": 4,
        "phone": 5,
        "email": 6,
        "identity_code": 7,
    }
    assert file_read(customer_import) == raw
    assert "Väisänen".encode("cp1252") not in customer_import.file_encrypted.encode()
    assert aino["Sähköposti"] not in customer_import.file_encrypted
    assert customer_import.file_expires_at - customer_import.created_at == services.FILE_KEPT_FOR
    event = AuditEvent.objects.get(object_type="imports.customerimport")
    assert (event.action, event.changed_fields) == (Action.CREATE, ["file"])
    assert event.reason == f"customer file uploaded: csv, {len(raw)} bytes"
    expiry = DBTaskResult.objects.get()
    assert expiry.task_path == "rekisteri.imports.tasks.expire_customer_import"
    assert expiry.run_after == customer_import.file_expires_at


def test_the_column_page_shows_the_guess_with_an_example_but_never_an_identity_code(clerk):
    code = a_code()
    aino = person(Henkilötunnus=code)
    upload(clerk, csv_bytes([aino]))
    customer_import = the_import()

    response = clerk.get(reverse("imports:mapping", args=[customer_import.public_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert aino["Sukunimi"] in page
    assert '<option value="surname" selected>Surname</option>' in page
    assert code not in page
    assert "••••••-••••" in page
    assert (
        AuditEvent.objects.filter(action=Action.VIEW, object_type="imports.customerimport").count()
        == 1
    )


def test_saving_the_columns_makes_the_import_ready_and_shows_the_first_rows(clerk):
    code = a_code()
    people = [person(Henkilötunnus=code, Postitoimipaikka="Kempele"), person()]
    upload(clerk, csv_bytes(people))
    customer_import = the_import()

    response = save_columns(clerk, customer_import, column_4="")

    customer_import.refresh_from_db()
    assert response.status_code == 302
    assert customer_import.status == ImportStatus.READY
    assert "post_office" not in customer_import.mapping
    event = AuditEvent.objects.filter(action=Action.UPDATE).get()
    assert event.changed_fields == ["mapping"]
    assert event.reason == (
        "columns matched: surname, first_names, street_address, postal_code, phone, email, "
        "identity_code"
    )
    page = clerk.get(reverse("imports:detail", args=[customer_import.public_id]))
    content = page.content.decode()
    assert people[0]["Sähköposti"] in content and people[1]["Sukunimi"] in content
    assert "Kempele" not in content  # a column not imported is not shown
    assert code not in content


def test_columns_that_break_a_rule_are_refused_and_nothing_changes(clerk):
    upload(clerk, csv_bytes([person()]))
    customer_import = the_import()

    twice = save_columns(clerk, customer_import, column_5="email")
    no_names = save_columns(clerk, customer_import, column_1="")

    assert twice.status_code == 400
    assert "Each field can come from one column only." in twice.content.decode()
    assert no_names.status_code == 400
    assert "Choose the columns of the surname and the first names." in no_names.content.decode()
    customer_import.refresh_from_db()
    assert customer_import.status == ImportStatus.MAPPING
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_an_xlsx_workbook_is_read_like_a_csv_file(clerk):
    raw = xlsx_bytes([["Aino", "Virtanen", "Kauppurienkatu 12", 90100]], header=HEADER[:4])

    upload(clerk, raw, name="asiakkaat.xlsx")

    customer_import = the_import()
    assert customer_import.file_format == "xlsx"
    assert customer_import.mapping == {
        "first_names": 0,
        "surname": 1,
        "street_address": 2,
        "postal_code": 3,
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\r\n\r\n;;\r\n", "The file is empty."),
        (b"Etunimi;Sukunimi\r\n", "The file has a header row but no customers under it."),
        (b"x" * (services.MAX_FILE_BYTES + 1), "The file is larger than 20 MB."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
            "Old Excel files (.xls) cannot be read. Save the sheet as XLSX or CSV.",
        ),
        (
            "Etunimi;Sukunimi\nAino;Virtanen\n".encode("utf-16"),
            "The file is not a text CSV file. Save it as CSV (UTF-8) and try again.",
        ),
        (
            b"%PDF-1.7\n\x00\x01binary",
            "The file is not a text CSV file. Save it as CSV (UTF-8) and try again.",
        ),
    ],
    ids=["empty-upload", "blank-rows", "header-only", "too-large", "xls", "utf-16", "pdf"],
)
def test_a_file_that_cannot_be_used_is_refused_and_nothing_is_stored(clerk, raw, message):
    audit_before = AuditEvent.objects.count()

    response = upload(clerk, raw)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CustomerImport.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_workbook_whose_utf16_sheet_declares_a_document_type_is_refused(clerk):
    audit_before = AuditEvent.objects.count()

    response = upload(clerk, doctype_workbook("utf-16 with a byte order mark"), "asiakkaat.xlsx")

    assert response.status_code == 400
    assert "document type declaration" in response.content.decode()
    assert not CustomerImport.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_file_copied_into_another_imports_row_does_not_decrypt(clerk):
    """The sealed file is bound to its import's row, not only to the field."""
    from rekisteri.imports.files import FileUnreadable

    raw = csv_bytes([person()])
    assert upload(clerk, raw).status_code == 302
    assert upload(clerk, csv_bytes([person()])).status_code == 302
    first, second = CustomerImport.objects.order_by("pk")
    CustomerImport.objects.filter(pk=second.pk).update(file_encrypted=first.file_encrypted)
    second.refresh_from_db()

    assert file_read(first) == raw
    with pytest.raises(FileUnreadable):
        file_read(second)


def test_a_discarded_import_loses_its_file_at_once(clerk):
    upload(clerk, csv_bytes([person()]))
    customer_import = the_import()

    response = clerk.post(reverse("imports:discard", args=[customer_import.public_id]))

    customer_import.refresh_from_db()
    assert response.status_code == 302
    assert (customer_import.status, customer_import.file_encrypted) == (ImportStatus.DISCARDED, "")
    event = AuditEvent.objects.filter(action=Action.UPDATE).get()
    assert (event.changed_fields, event.reason) == (
        ["file", "status"],
        "discarded, the file deleted",
    )
    page = clerk.get(reverse("imports:detail", args=[customer_import.public_id]))
    assert "The import was discarded and its file deleted." in page.content.decode()
    assert (
        clerk.get(reverse("imports:mapping", args=[customer_import.public_id])).status_code == 302
    )


def test_a_file_nobody_imports_is_deleted_when_it_expires(clerk, captured):
    with captured(execute=True):
        upload(clerk, csv_bytes([person()]))
    customer_import = the_import()
    DBTaskResult.objects.update(run_after=timezone.now())

    assert run_queued_tasks() == 1

    customer_import.refresh_from_db()
    assert (customer_import.status, customer_import.file_encrypted) == (ImportStatus.EXPIRED, "")
    event = AuditEvent.objects.filter(action=Action.UPDATE).get()
    assert (event.actor_label, event.reason) == ("customer import", "expired: the file deleted")


def test_the_list_shows_only_the_staff_members_own_imports(clerk, client_as):
    upload(clerk, csv_bytes([person()]))
    colleague = client_as(Role.CUSTOMER_SERVICE)

    mine = clerk.get(reverse("imports:list")).content.decode()
    theirs = colleague.get(reverse("imports:list")).content.decode()

    detail = reverse("imports:detail", args=[the_import().public_id])
    assert detail in mine
    assert detail not in theirs
