"""Files as WooCommerce and Shopify export their customers, imported as they are:
WooCommerce's one "Name" column split (the last word the surname, with a remark on
each row so split), Shopify's column names, and its "Accepts Email Marketing" taken
as a consent only with evidence (docs/import.md, "Files from WooCommerce and Shopify")."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.customers.models import Customer, Source
from rekisteri.imports.mapping import mapping_guess
from rekisteri.imports.models import ImportedConsent, ImportRow, ImportStatus
from rekisteri.imports.rows import NAME_ONE_WORD, NAME_SPLIT, NO_EVIDENCE_COLUMN
from rekisteri.testing.customer_files import (
    dry_run,
    import_after_dry_run,
    the_import,
    upload,
    xlsx_bytes,
)
from rekisteri.testing.factories import fake, fake_email, fake_phone

pytestmark = pytest.mark.django_db

# WooCommerce → Customers → Download (the customers report's export columns).
WOOCOMMERCE = [
    "Name",
    "Username",
    "Last Active",
    "Sign Up",
    "Email",
    "Orders",
    "Total Spend",
    "AOV",
    "Country / Region",
    "City",
    "Region",
    "Postal Code",
]
# Shopify → Customers → Export (CSV for Excel, Numbers or other spreadsheet programs).
SHOPIFY = [
    "Customer ID",
    "First Name",
    "Last Name",
    "Email",
    "Accepts Email Marketing",
    "Default Address Company",
    "Default Address Address1",
    "Default Address Address2",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Country Code",
    "Default Address Zip",
    "Default Address Phone",
    "Phone",
    "Accepts SMS Marketing",
    "Total Spent",
    "Total Orders",
    "Note",
    "Tax Exempt",
    "Tags",
]
# Older Shopify exports.
SHOPIFY_OLD = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Address1",
    "Address2",
    "City",
    "Province",
    "Province Code",
    "Country",
    "Country Code",
    "Zip",
    "Phone",
    "Accepts Marketing",
    "Total Spent",
    "Total Orders",
    "Tags",
    "Note",
    "Tax Exempt",
]


def shop_file(rows: list[list[str]], *, header: list[str], kind: str) -> tuple[bytes, str]:
    """The file as the shop writes it: CSV with commas (Shopify's with a byte order
    mark), or the same opened in Excel and saved as a workbook."""
    if kind == "xlsx":
        return xlsx_bytes([list(row) for row in rows], header=header), "customers.xlsx"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    encoding = "utf-8-sig" if header[0] == "Customer ID" else "utf-8"
    return buffer.getvalue().encode(encoding), "customers.csv"


def woocommerce_row(name: str, email: str) -> list[str]:
    return [
        name,
        email.split("@")[0],
        "2024-11-02 14:20:11",
        "2023-05-17 09:03:44",
        email,
        "3",
        "147.80",
        "49.27",
        "FI",
        fake.city(),
        "",
        fake.postcode(),
    ]


def shopify_row(first: str, last: str, *, email_marketing: str, phone: str = "") -> list[str]:
    return [
        f"'{fake.random_number(digits=13, fix_len=True)}",
        first,
        last,
        fake_email(first, last),
        email_marketing,
        "",
        fake.street_address(),
        "B 12",
        fake.city(),
        "",
        "FI",
        "'00100",
        "",
        phone,
        "no",
        "120.50",
        "2",
        "",
        "no",
        "kanta-asiakas",
    ]


def report(customer_import) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    rows = ImportRow.objects.filter(customer_import=customer_import).order_by("number")
    return {
        row.number: (row.status, [(p["field"], p["message"]) for p in row.problems]) for row in rows
    }


def test_the_shops_column_names_are_guessed():
    assert mapping_guess(WOOCOMMERCE) == {
        "full_name": 0,
        "email": 4,
        "country": 8,
        "post_office": 9,
        "postal_code": 11,
    }
    assert mapping_guess(SHOPIFY) == {
        "first_names": 1,
        "surname": 2,
        "email": 3,
        "email_consent_unproven": 4,
        "street_address": 6,
        "street_address_2": 7,
        "post_office": 8,
        "country": 10,
        "postal_code": 11,
        "phone": 13,  # the customer's own, not the address's
        "sms_consent_unproven": 14,
        "notes": 17,
    }
    assert mapping_guess(SHOPIFY_OLD) == {
        "first_names": 0,
        "surname": 1,
        "email": 2,
        "street_address": 4,
        "street_address_2": 5,
        "post_office": 6,
        "country": 9,
        "postal_code": 11,
        "phone": 12,
        "email_consent_unproven": 13,
        "notes": 17,
    }
    # Without a "Phone" column the address's phone is taken.
    assert mapping_guess([*SHOPIFY[:13], *SHOPIFY[14:]])["phone"] == 12


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_woocommerce_download_imports_with_its_names_split(clerk, captured, kind):
    emails = [fake_email("Juha-Pekka", "Nieminen"), fake_email("Aino", "Virtanen")]
    emails.append(fake_email("Madonna", "x"))
    rows = [
        woocommerce_row("Juha-Pekka Nieminen", emails[0]),
        woocommerce_row("  Aino   Maria  Virtanen ", emails[1]),
        woocommerce_row("Madonna", emails[2]),
    ]
    raw, name = shop_file(rows, header=WOOCOMMERCE, kind=kind)

    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured, name=name), captured=captured
    )

    assert customer_import.status == ImportStatus.IMPORTED
    imported = Customer.objects.filter(source=Source.IMPORT).order_by("customer_number")
    assert [(c.first_names, c.surname, c.email, c.country) for c in imported] == [
        ("Juha-Pekka", "Nieminen", emails[0], "FI"),
        ("Aino Maria", "Virtanen", emails[1], "FI"),
    ]
    assert report(customer_import) == {
        2: ("remarks", [("full_name", NAME_SPLIT)]),
        3: ("remarks", [("full_name", NAME_SPLIT)]),
        4: ("refused", [("full_name", NAME_ONE_WORD)]),
    }
    assert not Customer.objects.filter(email=emails[2]).exists()
    created = AuditEvent.objects.filter(
        action=Action.CREATE, object_type="customers.customer", customer__in=imported
    )
    assert set(created.values_list("actor_user", flat=True)) == {customer_import.created_by_id}
    assert created.count() == 2
    page = clerk.get(reverse("imports:detail", args=[customer_import.public_id]))
    assert "Name split: the last word taken as the surname" in page.content.decode()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_shopify_export_imports_and_records_no_consent_without_evidence(clerk, captured, kind):
    phone = fake_phone()
    rows = [
        shopify_row("Juha-Pekka", "Nieminen", email_marketing="yes", phone=f"'{phone}"),
        shopify_row("Aino", "Virtanen", email_marketing="no"),
    ]
    raw, name = shop_file(rows, header=SHOPIFY, kind=kind)

    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured, name=name), captured=captured
    )

    assert customer_import.status == ImportStatus.IMPORTED
    assert customer_import.consents_imported == 0
    accepted, declined = Customer.objects.filter(source=Source.IMPORT).order_by("customer_number")
    assert (accepted.first_names, accepted.surname, accepted.phone) == (
        "Juha-Pekka",
        "Nieminen",
        phone,
    )
    assert accepted.street_address == f"{rows[0][6]} B 12"
    assert (accepted.postal_code, accepted.country) == ("00100", "FI")
    assert not ConsentEvent.objects.exists()
    assert not AuditEvent.objects.filter(object_type="consents.consentevent").exists()
    assert report(customer_import) == {
        2: ("remarks", [("email_consent_unproven", NO_EVIDENCE_COLUMN)]),
        3: ("ok", []),
    }
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="customers.customer", customer=declined
    ).exists()


def test_a_shopify_export_with_an_evidence_column_added_imports_the_consent(clerk, captured):
    row = shopify_row("Juha-Pekka", "Nieminen", email_marketing="yes")
    rows = [[*row, "verkkokauppa 2024-03-01"]]
    raw, name = shop_file(rows, header=[*SHOPIFY, "Email consent evidence"], kind="csv")

    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured, name=name), captured=captured
    )

    customer = Customer.objects.get(source=Source.IMPORT)
    grant = ConsentEvent.objects.get(customer=customer)
    assert (grant.kind, grant.channel, grant.source) == (EventKind.GRANT, "email", "import")
    assert ImportedConsent.objects.get().evidence == "verkkokauppa 2024-03-01"
    assert customer_import.consents_imported == 1
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="consents.consentevent", customer=customer
    ).exists()


def test_the_columns_page_shows_the_shopify_consent_as_not_imported(clerk):
    raw, name = shop_file(
        [shopify_row("Aino", "Virtanen", email_marketing="yes")], header=SHOPIFY, kind="csv"
    )
    assert upload(clerk, raw, name).status_code == 302

    page = clerk.get(reverse("imports:mapping", args=[the_import().public_id]))

    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="email_consent_unproven" selected>' in html
    assert "Email marketing consent without evidence (not imported)" in html
