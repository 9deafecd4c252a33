"""The dry run: every row checked as the import checks it, a report per row of what is
wrong and why, and nothing stored."""

import csv
import io

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.consents.models import ConsentEvent
from rekisteri.customers.models import Customer
from rekisteri.imports import rows
from rekisteri.imports.models import ImportedConsent, ImportRow, ImportStatus
from rekisteri.testing.customer_files import HEADER, a_code, csv_bytes, dry_run, person
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db

CONSENT_HEADER = [*HEADER, "Sähköpostilupa", "Sähköpostiluvan todiste"]
CHECKSUM = "The check character of the identity code does not match; check the code."
POSTAL_CODE = "A Finnish postal code is five digits, such as 90650."
PHONE = "Enter a valid phone number, such as 040 123 4567 or +46 70 123 4567."
EMAIL = "Enter a valid email address, such as name@example.fi."


def wrong_check_character(code: str) -> str:
    return code[:-1] + ("A" if code[-1] != "A" else "B")


@pytest.fixture
def register():
    """Customers already in the register, whom rows of the file repeat."""
    return {
        "by_email": make_customer(),
        "by_phone": make_customer(),
        "by_code": make_customer(identity_code=a_code(day=3, individual=903)),
    }


@pytest.fixture
def the_file(register):
    first = person(Henkilötunnus=a_code(day=1, individual=901))
    people = [
        first,  # 2: OK
        person(Henkilötunnus=wrong_check_character(a_code(day=2, individual=902))),  # 3
        person(Postinumero="9010A"),  # 4
        person(Puhelin="12345"),  # 5
        person(Sähköposti="aino@"),  # 6
        person(Sähköposti=register["by_email"].email.upper()),  # 7
        person(Sähköposti=first["Sähköposti"]),  # 8
        person(Sähköpostilupa="kyllä", **{"Sähköpostiluvan todiste": "lomake 2024-03-01"}),  # 9
        person(Sähköpostilupa="kyllä"),  # 10: OK, the consent left out
        person(Henkilötunnus=a_code(day=3, individual=903)),  # 11
        person(Puhelin="0" + register["by_phone"].phone.removeprefix("+358")),  # 12
        person(Etunimi="", Sukunimi="🙂"),  # 13
    ]
    return people, csv_bytes(people, header=CONSENT_HEADER)


def report_of(customer_import):
    return [
        (row.number, row.status, row.problems)
        for row in ImportRow.objects.filter(customer_import=customer_import).order_by("number")
    ]


def test_the_dry_run_reports_each_row_and_why(clerk, captured, the_file):
    _people, raw = the_file

    customer_import = dry_run(clerk, raw, captured=captured)

    assert customer_import.status == ImportStatus.CHECKED
    assert report_of(customer_import) == [
        (2, "remarks", [{"field": "identity_code", "message": rows.IDENTITY_CODE_NOT_KEPT}]),
        (3, "refused", [{"field": "identity_code", "message": CHECKSUM}]),
        (4, "refused", [{"field": "postal_code", "message": POSTAL_CODE}]),
        (5, "refused", [{"field": "phone", "message": PHONE}]),
        (6, "refused", [{"field": "email", "message": EMAIL}]),
        (7, "refused", [{"field": "email", "message": rows.DUPLICATE_IN_REGISTER}]),
        (8, "refused", [{"field": "email", "message": rows.DUPLICATE_IN_FILE, "row": 2}]),
        (9, "ok", []),
        (10, "remarks", [{"field": "email_consent_evidence", "message": rows.NO_EVIDENCE}]),
        (11, "refused", [{"field": "identity_code", "message": rows.DUPLICATE_IN_REGISTER}]),
        (12, "refused", [{"field": "phone", "message": rows.DUPLICATE_IN_REGISTER}]),
        (
            13,
            "refused",
            [
                {
                    "field": "surname",
                    "message": "Write the name in letters, without emoji or other symbols.",
                },
                {"field": "first_names", "message": "This field is required."},
            ],
        ),
    ]
    counts = (
        customer_import.rows_total,
        customer_import.rows_done,
        customer_import.rows_ok,
        customer_import.rows_with_remarks,
        customer_import.rows_refused,
        customer_import.consents_imported,
    )
    assert counts == (12, 12, 1, 2, 9, 1)


def test_the_dry_run_stores_nothing_but_its_report(clerk, captured, the_file, register):
    _people, raw = the_file
    customers_before = set(Customer.objects.values_list("pk", flat=True))

    customer_import = dry_run(clerk, raw, captured=captured)

    assert set(Customer.objects.values_list("pk", flat=True)) == customers_before
    assert not ConsentEvent.objects.exists()
    assert not ImportedConsent.objects.exists()
    assert (
        not AuditEvent.objects.filter(
            action=Action.CREATE, object_type__in=["customers.customer", "consents.consentevent"]
        )
        .exclude(actor_label="test")
        .exists()
    )
    assert customer_import.has_file  # for the import to come
    finished = AuditEvent.objects.filter(object_type="imports.customerimport").first()
    assert finished is not None
    assert (finished.actor_label, finished.reason) == (
        "customer import",
        "dry run done: 12 rows, 1 OK, 2 with remarks, 9 refused, 1 consents",
    )


def test_the_page_shows_the_counts_and_the_rows_at_fault_never_a_value(clerk, captured, the_file):
    people, raw = the_file
    customer_import = dry_run(clerk, raw, captured=captured)

    response = clerk.get(reverse("imports:detail", args=[customer_import.public_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Import 3 rows" in page
    assert "Likely the same customer" not in page
    assert "The same as on row 2: likely the same customer." in page
    assert "Consent not imported: the evidence column is empty on this row." in page
    assert f"<td>Evidence of the email consent</td><td>{rows.NO_EVIDENCE}</td>" in page
    for person_ in people:
        if person_["Henkilötunnus"]:
            assert person_["Henkilötunnus"] not in page


def test_the_report_downloads_as_csv_with_row_numbers_fields_and_reasons(clerk, captured, the_file):
    people, raw = the_file
    customer_import = dry_run(clerk, raw, captured=captured)

    response = clerk.get(reverse("imports:report", args=[customer_import.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="import-report-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert lines[:4] == [
        ["Row", "Status", "Field", "Reason"],
        ["2", "OK, with remarks", "Personal identity code", rows.IDENTITY_CODE_NOT_KEPT],
        ["3", "Refused", "Personal identity code", CHECKSUM],
        ["4", "Refused", "Postal code", POSTAL_CODE],
    ]
    assert ["8", "Refused", "Email", "The same as on row 2: likely the same customer."] in lines
    assert ["10", "OK, with remarks", "Evidence of the email consent", rows.NO_EVIDENCE] in lines
    assert len(lines) == 1 + 13  # a line per row, two for the row with two faults
    for person_ in people:
        for value in (person_["Henkilötunnus"], person_["Sähköposti"], person_["Sukunimi"]):
            if value:
                assert value not in text


def test_changing_the_columns_after_a_dry_run_needs_a_new_one(clerk, captured, the_file):
    _people, raw = the_file
    customer_import = dry_run(clerk, raw, captured=captured)

    response = clerk.post(
        reverse("imports:mapping", args=[customer_import.public_id]),
        {
            f"column_{index}": target
            for target, index in customer_import.mapping.items()
            if target != "phone"
        },
    )

    customer_import.refresh_from_db()
    assert response.status_code == 302
    assert customer_import.status == ImportStatus.READY
    assert not ImportRow.objects.exists()
    refused = clerk.post(reverse("imports:run", args=[customer_import.public_id]), follow=True)
    assert "Run the dry run first." in refused.content.decode()
    customer_import.refresh_from_db()
    assert customer_import.status == ImportStatus.READY
