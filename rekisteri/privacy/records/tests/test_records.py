"""The records of processing (GDPR art. 30): made from the register description in force,
the data map and the retention policies; a page and CSV and HTML downloads in the
staff UI's language, for the privacy officer and the auditor only."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RegisterDescription, RetentionPolicy
from rekisteri.privacy.notice.document import current_description, description_publish
from rekisteri.privacy.notice.rendering import paragraphs
from rekisteri.privacy.records import datamap
from rekisteri.privacy.records.selectors import records_csv, records_of_processing
from rekisteri.privacy.retention.services import retention_policy_update
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
PAGE, CSV_URL, HTML_URL = (
    "/privacy/records/",
    "/privacy/records/records.csv",
    "/privacy/records/records.html",
)
CSV_HEADER = [
    "Controller",
    "Contact person",
    "Register",
    "Purpose of the processing",
    "Legal basis",
    "Categories of data subjects",
    "Categories of personal data",
    "Categories of recipients",
    "Transfers to third countries",
    "Time limits for erasure",
    "Technical and organisational security measures",
    "Register description version",
]


def text(fi: str, en: str) -> dict[str, str]:
    return {"fi": fi, "en": en}


def item(key: str, fi: str, en: str) -> dict[str, Any]:
    return {"key": key, "text": text(fi, en)}


def description() -> dict[str, Any]:
    """A register description in the seed's words (seed/tietosuojaseloste.txt)."""
    return {
        "controller": {
            "name": "Adexcon",
            "address": "Hintantie 85 B, 90650 Oulu",
            "business_id": "",
        },
        "contact": {"name": "Ilkka Turunen", "phone": "040 841 4351", "email": ""},
        "register_name": text(
            "Oulunseutuvaraston asiakasrekisteri", "Oulunseutuvarasto's customer register"
        ),
        "introduction": text(
            "Asiakkaiden henkilötietoja kerätään asiakasrekisteriin.",
            "Customers' personal data is collected into a customer register.",
        ),
        "purposes": [
            {
                "key": "customer-relationship",
                "text": text("Asiakassuhteen hoito", "Managing the customer relationship"),
                "legal_basis": text("Sopimus (6 art. 1 b)", "Contract (art. 6(1)(b))"),
            },
            {
                "key": "credit",
                "text": text("Laskulla myynti", "Sales on invoice"),
                "legal_basis": text("Oikeutettu etu (6 art. 1 f)", "Legitimate interest (6(1)(f))"),
            },
            {
                "key": "marketing",
                "text": text("Oma suoramarkkinointi", "Own direct marketing"),
                "legal_basis": text("Suostumus (6 art. 1 a)", "Consent (art. 6(1)(a))"),
            },
        ],
        "data_categories": [
            item("contact", "Yhteystiedot", "Contact data"),
            item("identity-code", "Henkilötunnus", "Personal identity code"),
            item("orders", "Tilaukset ja palautukset", "Orders and returns"),
        ],
        "sources": [item("customer", "Asiakkaalta itseltään", "From the customer")],
        "recipients": [
            item(
                "credit-bureau",
                "Suomen Asiakastieto Oy: luottotietojen tarkistaminen",
                "Suomen Asiakastieto Oy: checking credit data",
            ),
            item(
                "carriers",
                "Kuljetusyhtiöt (Posti, Matkahuolto)",
                "Carriers (Posti, Matkahuolto)",
            ),
            item(
                "authorities",
                "Viranomaiset lakiin perustuvasta pyynnöstä",
                "Authorities on a request based on law",
            ),
        ],
        "transfers": text(
            "Tietoja ei siirretä EU:n tai ETA:n ulkopuolelle.",
            "No data is transferred outside the EU or the EEA.",
        ),
        "retention": [
            {"category": "contact", "text": text("Asiakassuhteen ajan", "For the relationship")},
            {"category": "identity-code", "text": text("Tilauksen ajan", "With the order")},
            {"category": "orders", "text": text("6 vuotta", "6 years (Accounting Act)")},
        ],
        "credit_decision_logic": text("Luottopäätös", "The credit decision"),
        "identity_code_requirement": text("Henkilötunnus laskulla", "Identity code on invoice"),
        "staff_instructions": text(
            "Työntekijöitä sitoo vaitiolovelvollisuus.", "A duty of confidentiality binds staff."
        ),
        "security": [
            item(
                "own-credentials",
                "Jokaisella käyttäjällä on oma käyttäjätunnus ja salasana.",
                "Every user has their own username and password.",
            ),
            item(
                "encryption",
                "Tietokanta ja verkkoliikenne on suojattu salauksella.",
                "The database and network traffic are encrypted.",
            ),
        ],
        "rights": [item("access", "Tarkastusoikeus", "The right of access")],
        "complaint": text("Tietosuojavaltuutettu", "The Data Protection Ombudsman"),
    }


def publish(content: dict[str, Any], note: str = "Testiversio") -> RegisterDescription:
    return description_publish(actor=SYSTEM, content=content, change_note=note)


@pytest.fixture
def published() -> RegisterDescription:
    return publish(description())


def client_for(user: User, language: str = "en") -> Client:
    return sign_in(user, Client(HTTP_ACCEPT_LANGUAGE=language))


def signed_in(role: str, language: str = "en") -> Client:
    return client_for(make_staff(role), language)


def exports() -> list[tuple[str, str, int | None]]:
    """(object type, reason, customer) of every export event."""
    return list(
        AuditEvent.objects.filter(action=Action.EXPORT).values_list(
            "object_type", "reason", "customer_id"
        )
    )


def parsed_csv(content: bytes) -> list[list[str]]:
    decoded = content.decode("utf-8")
    assert decoded.startswith("\ufeff")
    return list(csv.reader(io.StringIO(decoded.removeprefix("\ufeff")), delimiter=";"))


def test_the_urls():
    assert reverse("privacy:records") == PAGE
    assert reverse("privacy:records_csv") == CSV_URL
    assert reverse("privacy:records_html") == HTML_URL


EXPECTED_ENGLISH = [
    "Adexcon",
    "Hintantie 85 B, 90650 Oulu",
    "Ilkka Turunen",
    "040 841 4351",
    "Oulunseutuvarasto&#x27;s customer register",
    "Managing the customer relationship",
    "Contract (art. 6(1)(b))",
    "Sales on invoice",
    "Legitimate interest (6(1)(f))",
    "Own direct marketing",
    "Consent (art. 6(1)(a))",
    "Suomen Asiakastieto Oy: checking credit data",
    "Carriers (Posti, Matkahuolto)",
    "Authorities on a request based on law",
    "No data is transferred outside the EU or the EEA.",
    "6 years (Accounting Act)",
    "Every user has their own username and password.",
    "The database and network traffic are encrypted.",
    "A duty of confidentiality binds staff.",
]
EXPECTED_FINNISH = [
    "Oulunseutuvaraston asiakasrekisteri",
    "Asiakassuhteen hoito",
    "Sopimus (6 art. 1 b)",
    "Laskulla myynti",
    "Oikeutettu etu (6 art. 1 f)",
    "Oma suoramarkkinointi",
    "Suostumus (6 art. 1 a)",
    "Suomen Asiakastieto Oy: luottotietojen tarkistaminen",
    "Kuljetusyhtiöt (Posti, Matkahuolto)",
    "Viranomaiset lakiin perustuvasta pyynnöstä",
    "Tietoja ei siirretä EU:n tai ETA:n ulkopuolelle.",
    "Tilaukset ja palautukset",
    "6 vuotta",
    "Jokaisella käyttäjällä on oma käyttäjätunnus ja salasana.",
    "Työntekijöitä sitoo vaitiolovelvollisuus.",
]


def test_the_auditor_reads_the_records_made_from_the_description_and_the_data_map(published):
    events = AuditEvent.objects.count()

    response = signed_in(Role.AUDITOR).get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    for expected in EXPECTED_ENGLISH:
        assert expected in page
    for category in datamap.categories_in_use():
        assert str(category.label) in page
    for subject in datamap.subjects_in_use():
        assert str(subject.label) in page
    assert "Customer: surname, first names, names as a search key" in page
    assert "Inactive customers" not in page  # the policies by their own labels:
    assert "Customers with no orders or activity" in page
    assert "36 months" in page
    assert f"from version {published.version} of the register description, published on" in page
    assert f'href="{CSV_URL}"' in page and f'href="{HTML_URL}"' in page
    # Reading the records reads no one's personal data: nothing is audited.
    assert AuditEvent.objects.count() == events


def test_the_retention_of_each_category_is_beside_the_notices_words_for_it(published):
    records = records_of_processing("en")

    assert [(item.category, item.text) for item in records.retention] == [
        ("Contact data", "For the relationship"),
        ("Personal identity code", "With the order"),
        ("Orders and returns", "6 years (Accounting Act)"),
    ]


def test_the_records_of_the_description_shipped_name_the_bureau_carriers_and_authorities():
    """Version 1, which migrating publishes from the seed's privacy notice."""
    shipped = current_description()
    purposes = shipped.content["purposes"]

    for language, authorities in (("en", "authority"), ("fi", "viranomaisen")):
        _header, *rows = list(
            csv.reader(io.StringIO(records_csv(language).removeprefix("\ufeff")), delimiter=";")
        )
        assert [row[3] for row in rows] == [
            "\n".join(paragraphs(purpose["text"][language])) for purpose in purposes
        ]
        assert all(row[4] for row in rows)  # every purpose has its legal basis
        assert rows[0][0] == "Adexcon\nHintantie 85 B, 90650 Oulu"
        recipients = rows[0][7]
        for recipient in ("Suomen Asiakastieto Oy", "Posti", "Matkahuolto", authorities):
            assert recipient in recipients
        assert rows[0][11] == str(shipped.version)


def test_the_records_are_in_finnish_when_the_staff_ui_is(published):
    response = signed_in(Role.PRIVACY_OFFICER, language="fi").get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    for expected in EXPECTED_FINNISH:
        assert expected in page
    assert "Managing the customer relationship" not in page
    assert '<html lang="fi">' in page


def test_the_csv_has_a_row_for_each_purpose_with_the_columns_of_article_30(published):
    auditor = make_staff(Role.AUDITOR)

    response = client_for(auditor).get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="records-of-processing-en-{day:%Y%m%d}.csv"'
    )
    header, *rows = parsed_csv(response.content)
    assert header == CSV_HEADER
    assert [(row[3], row[4]) for row in rows] == [
        ("Managing the customer relationship", "Contract (art. 6(1)(b))"),
        ("Sales on invoice", "Legitimate interest (6(1)(f))"),
        ("Own direct marketing", "Consent (art. 6(1)(a))"),
    ]
    row = dict(zip(header, rows[0], strict=True))
    assert row["Controller"] == "Adexcon\nHintantie 85 B, 90650 Oulu"
    assert row["Contact person"] == "Ilkka Turunen\n040 841 4351"
    assert row["Register"] == "Oulunseutuvarasto's customer register"
    assert row["Categories of data subjects"].splitlines() == [
        str(subject.label) for subject in datamap.subjects_in_use()
    ]
    assert row["Categories of personal data"].splitlines() == [
        str(category.label) for category in datamap.categories_in_use()
    ]
    assert row["Categories of recipients"].splitlines() == [
        "Suomen Asiakastieto Oy: checking credit data",
        "Carriers (Posti, Matkahuolto)",
        "Authorities on a request based on law",
    ]
    assert row["Transfers to third countries"] == (
        "No data is transferred outside the EU or the EEA."
    )
    retention = row["Time limits for erasure"].splitlines()
    assert retention[:3] == ["For the relationship", "With the order", "6 years (Accounting Act)"]
    assert retention[3].startswith("Customers with no orders or activity: 36 months, then: ")
    assert row["Technical and organisational security measures"].splitlines() == [
        "Every user has their own username and password.",
        "The database and network traffic are encrypted.",
        "A duty of confidentiality binds staff.",
    ]
    assert row["Register description version"] == str(published.version)
    assert exports() == [("privacy.records", "records of processing (csv, en)", None)]
    assert AuditEvent.objects.get(action=Action.EXPORT).actor_user == auditor


def test_the_csv_in_finnish_has_the_finnish_texts(published):
    response = signed_in(Role.PRIVACY_OFFICER, language="fi").get(CSV_URL)

    _header, *rows = parsed_csv(response.content)
    assert [(row[3], row[4]) for row in rows] == [
        ("Asiakassuhteen hoito", "Sopimus (6 art. 1 b)"),
        ("Laskulla myynti", "Oikeutettu etu (6 art. 1 f)"),
        ("Oma suoramarkkinointi", "Suostumus (6 art. 1 a)"),
    ]
    assert "Suomen Asiakastieto Oy: luottotietojen tarkistaminen" in rows[0][7]
    assert response["Content-Disposition"].endswith(
        f'records-of-processing-fi-{timezone.localdate():%Y%m%d}.csv"'
    )
    assert exports() == [("privacy.records", "records of processing (csv, fi)", None)]


def test_the_html_download_is_a_standalone_printable_file(published):
    response = signed_in(Role.PRIVACY_OFFICER).get(HTML_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="records-of-processing-en-{timezone.localdate():%Y%m%d}.html"'
    )
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    assert "<style>" in page and "@media print" in page
    assert "/static/" not in page and "<script" not in page
    for expected in EXPECTED_ENGLISH:
        assert expected in page
    for category in datamap.categories_in_use():
        assert str(category.label) in page
    assert exports() == [("privacy.records", "records of processing (html, en)", None)]


def test_a_new_version_of_the_description_shows_in_the_records(published):
    changed = copy.deepcopy(description())
    changed["recipients"].append(
        item("accountant", "Tilitoimisto Tase Oy", "Tase Oy, our accounting firm")
    )
    changed["transfers"] = text("Ei siirtoja.", "None, ever.")
    newer = publish(changed, "Tilitoimisto lisätty")
    officer = signed_in(Role.PRIVACY_OFFICER)

    page = officer.get(PAGE).content.decode()
    _header, row = parsed_csv(officer.get(CSV_URL).content)[:2]
    html = officer.get(HTML_URL).content.decode()

    assert newer.version == published.version + 1
    for content in (page, html):
        assert "Tase Oy, our accounting firm" in content
        assert "None, ever." in content
        assert "No data is transferred" not in content
        assert f"from version {newer.version} of the register description" in content
    assert row[7].splitlines()[-1] == "Tase Oy, our accounting firm"
    assert row[8] == "None, ever."
    assert row[11] == str(newer.version)


def test_a_changed_retention_policy_shows_in_the_records(published):
    policy = RetentionPolicy.objects.get(category="inactive_customers")
    retention_policy_update(actor=SYSTEM, policy=policy, months=48, enabled=True)
    retention_policy_update(
        actor=SYSTEM,
        policy=RetentionPolicy.objects.get(category="campaign_messages"),
        months=24,
        enabled=False,
    )

    csv_text = records_csv("en")

    assert "Customers with no orders or activity: 48 months, then: " in csv_text
    assert "Campaign message logs: not in use, kept" in csv_text


def test_the_categories_are_the_data_maps_with_the_fields_that_hold_them(published):
    records = records_of_processing("en")

    assert [category.key for category in records.categories] == [
        category.value for category in datamap.categories_in_use()
    ]
    identity_code = next(c for c in records.categories if c.key == "identity_code")
    assert identity_code.subjects == ["Customers"]
    assert identity_code.fields == [
        "Customer: personal identity code (encrypted), keyed digest of the identity code, "
        "for exact search"
    ]
    staff = next(c for c in records.categories if c.key == "staff_account")
    assert staff.subjects == ["Staff members"]
    assert records.data_subjects == [str(s.label) for s in datamap.subjects_in_use()]
    assert records.language == "en"
    # A language the records are not written in gets Finnish.
    assert records_of_processing("sv").register_name == "Oulunseutuvaraston asiakasrekisteri"


def test_a_cell_that_would_start_a_formula_is_defused(published):
    changed = copy.deepcopy(description())
    changed["purposes"][0]["text"] = text('=HYPERLINK("x")', '=HYPERLINK("x")')
    publish(changed)

    _header, row, *_rows = list(
        csv.reader(io.StringIO(records_csv("en").removeprefix("\ufeff")), delimiter=";")
    )

    assert row[3] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.ADMINISTRATOR])
@pytest.mark.parametrize("url", [PAGE, CSV_URL, HTML_URL])
def test_other_roles_are_refused_and_nothing_is_exported(published, role, url):
    response = signed_in(role).get(url)

    assert response.status_code == 403
    assert exports() == []
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert (denied.object_type, denied.object_id) == ("url", url)


def test_an_anonymous_visitor_is_sent_to_sign_in(published):
    response = Client().get(CSV_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert exports() == []


def test_the_page_is_in_the_navigation_of_those_who_may_read_it(published):
    auditor = signed_in(Role.AUDITOR).get(reverse("audit:log")).content.decode()
    marketing = signed_in(Role.MARKETING).get(reverse("marketing:list")).content.decode()

    assert f'href="{PAGE}"' in auditor
    assert f'href="{PAGE}"' not in marketing
