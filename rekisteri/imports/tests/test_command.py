"""`rekisteri import customers FILE [--dry-run] [--mapping ...] [--report PATH]`: the
same import from the command line, audited as the system, its file never stored."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.customers.models import Customer, Source
from rekisteri.imports import rows
from rekisteri.imports.models import CustomerImport, ImportStatus
from rekisteri.testing.customer_files import HEADER, a_code, csv_bytes, person

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("import", "customers", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + f"[{error}]", error.returncode
    return out.getvalue(), 0


@pytest.fixture
def good_and_bad(tmp_path):
    people = [person(Henkilötunnus=a_code()), person(Sähköposti="aino@"), person()]
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(csv_bytes(people, encoding="cp1252"))
    return people, path


def test_a_dry_run_reports_the_rows_stores_nothing_and_exits_1_for_a_refused_row(good_and_bad):
    people, path = good_and_bad

    output, status = run(str(path), "--dry-run")

    assert status == 1
    assert output.splitlines() == [
        "Dry run: nothing is stored.",
        "Columns: first_names = column 1, surname = column 2, street_address = column 3, "
        "postal_code = column 4, post_office = column 5, phone = column 6, email = column 7, "
        "identity_code = column 8",
        "Rows: 3; would be imported: 2 (1 with remarks); refused: 1; consents would be "
        "imported: 0.",
        f"Row 2: ok, with remarks: Personal identity code: {rows.IDENTITY_CODE_NOT_KEPT}",
        "Row 3: refused: Email: Enter a valid email address, such as name@example.fi.",
        "[Rows refused: 1.]",
    ]
    assert not Customer.objects.exists()
    customer_import = CustomerImport.objects.get()
    assert (customer_import.status, customer_import.created_by) == (ImportStatus.CHECKED, None)
    assert customer_import.file_encrypted == ""
    assert people[0]["Henkilötunnus"] not in output


def test_the_import_creates_the_good_rows_as_the_system_and_writes_the_report(
    good_and_bad, tmp_path
):
    people, path = good_and_bad
    report = tmp_path / "raportti.csv"

    output, status = run(str(path), "--report", str(report))

    assert status == 1
    created = Customer.objects.order_by("customer_number")
    assert [(c.email, c.source) for c in created] == [
        (people[0]["Sähköposti"], Source.IMPORT),
        (people[2]["Sähköposti"], Source.IMPORT),
    ]
    events = AuditEvent.objects.filter(action=Action.CREATE, object_type="customers.customer")
    assert {(e.actor_type, e.actor_label) for e in events} == {
        (ActorType.SYSTEM, "customer import")
    }
    assert f"Report written to {report}." in output
    lines = list(csv.reader(io.StringIO(report.read_text("utf-8-sig")), delimiter=";"))
    assert lines == [
        ["Row", "Status", "Field", "Reason"],
        ["2", "OK, with remarks", "Personal identity code", rows.IDENTITY_CODE_NOT_KEPT],
        ["3", "Refused", "Email", "Enter a valid email address, such as name@example.fi."],
        ["4", "OK", "", ""],
    ]


def test_a_file_whose_every_row_is_good_exits_0(tmp_path):
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(csv_bytes([person(), person()], delimiter=","))

    _dry, dry_status = run(str(path), "--dry-run")
    real, real_status = run(str(path))

    assert (dry_status, real_status) == (0, 0)
    assert "Rows: 2; imported: 2 (0 with remarks); refused: 0" in real
    assert Customer.objects.count() == 2


def test_the_columns_can_be_given_by_name_or_number(tmp_path):
    aino = person()
    path = tmp_path / "lista.csv"
    mapping = '{"first_names": "nimi 1", "surname": 2, "email": "Posti"}'
    path.write_bytes(
        csv_bytes(
            [{"Nimi 1": "Aino", "Nimi 2": "Virtanen", "Posti": aino["Sähköposti"]}],
            header=["Nimi 1", "Nimi 2", "Posti"],
        )
    )

    _output, status = run(str(path), "--mapping", mapping)

    customer = Customer.objects.get()
    assert status == 0
    assert (customer.first_names, customer.surname, customer.email) == (
        "Aino",
        "Virtanen",
        aino["Sähköposti"],
    )


@pytest.mark.parametrize(
    ("content", "mapping", "message"),
    [
        (b"", "auto", "The file is empty."),
        (
            csv_bytes([person()], header=HEADER[:2]),
            '{"surname": "Sukunimi"}',
            "Choose the columns of the surname and the first names.",
        ),
        (
            csv_bytes([person()], header=HEADER[:2]),
            '{"surname": "Nimi"}',
            "--mapping: no column 'Nimi' in the file's first row.",
        ),
        (
            csv_bytes([person()], header=HEADER[:2]),
            "[1, 2]",
            '--mapping is "auto" or a JSON object such as {"surname": "Sukunimi"}.',
        ),
    ],
    ids=["empty", "no-first-names", "no-such-column", "not-an-object"],
)
def test_nothing_is_done_with_a_file_or_mapping_that_cannot_be_used(
    tmp_path, content, mapping, message
):
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(content)
    audit_before = AuditEvent.objects.count()

    output, status = run(str(path), "--mapping", mapping)

    assert status == 2
    assert output == f"[{message}]"
    assert not CustomerImport.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_missing_file_is_an_error(tmp_path):
    output, status = run(str(tmp_path / "ei-ole.csv"))

    assert status == 2
    assert "No such file or directory" in output
