"""Printable address labels of a post group: A4 sheets of 3 by 8, the same people as the
address list, and every download on record (P4, P11, P13)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.marketing.labels import address_lines, labels_pdf, printable
from rekisteri.marketing.models import RestrictionList
from rekisteri.marketing.restrictions import restriction_list_import
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.testing.address_lists import prepared_download
from rekisteri.testing.factories import fake, make_customer

SYSTEM = Actor.system("test")


def page_texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def fake_rows(count: int) -> list[tuple[str, ...]]:
    return [
        (fake.first_name(), fake.last_name(), fake.street_address(), "90100", "OULU", "FI")
        for _ in range(count)
    ]


@pytest.mark.parametrize(("labels", "pages"), [(0, 1), (1, 1), (24, 1), (25, 2), (49, 3)])
def test_a_sheet_holds_24_labels(labels, pages):
    pdf = labels_pdf(fake_rows(labels))

    assert pdf.labels == labels
    assert len(page_texts(pdf.content)) == pages


def test_a_label_holds_the_name_street_address_postal_code_and_post_office():
    rows = [
        ("Väinö Öljymäki", "Jääskeläinen", "Kärkitie 4 as 2", "90500", "Oulu", "FI"),
        ("Aino", "Virtanen", "Isokatu 1 A 2", "90100", "OULU", "FI"),
    ]

    text = page_texts(labels_pdf(rows).content)[0]

    assert text.splitlines() == [
        "Väinö Öljymäki Jääskeläinen",
        "Kärkitie 4 as 2",
        "90500 OULU",
        "Aino Virtanen",
        "Isokatu 1 A 2",
        "90100 OULU",
    ]


def test_an_address_abroad_ends_with_the_country_in_english_capitals():
    lines = address_lines(("Karin", "Lindqvist", "Storgatan 5", "111 22", "Stockholm", "SE"))

    assert lines == ["Karin Lindqvist", "Storgatan 5", "111 22 STOCKHOLM", "SWEDEN"]


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("Šimkus Žaneta", "Šimkus Žaneta"),  # Windows-1252 has š and ž
        ("Łukasz Wójcik", "Lukasz Wójcik"),
        ("Dvořák Ősz", "Dvorák Osz"),
        ("Иван", "????"),
    ],
)
def test_letters_outside_the_font_lose_their_marks_or_become_a_question_mark(text, printed):
    assert printable(text) == printed


def test_a_line_too_long_for_the_label_is_cut_and_stays_on_it():
    street = "Pitkäkatu " + "Ylimääräinen " * 10

    text = page_texts(labels_pdf([("Aino", "Virtanen", street, "90100", "OULU", "FI")]).content)[0]

    street_line = text.splitlines()[1]
    assert street_line.startswith("Pitkäkatu Ylimääräinen")
    assert street_line.endswith("…")
    assert len(street_line) < len(street)


# The download ---------------------------------------------------------------


def a_group(channel: str = "post"):
    return target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Postitus", channel=channel))


def download(client, group):
    return prepared_download(client, reverse("marketing:labels", args=[group.pk]))


def test_marketing_downloads_labels_of_the_members_less_the_restriction_list(client_as):
    group = a_group()
    make_customer(first_names="Tuomas", surname="Hämäläinen", street_address="Linnankatu 3")
    listed = make_customer(
        first_names="Aino", surname="Virtanen", street_address="Isokatu 1", postal_code="90100"
    )
    banned = make_customer(first_names="Eero", surname="Salminen")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source="phone_call")
    restriction_list_import(
        actor=SYSTEM,
        file=SimpleUploadedFile(
            "asml.csv", b"sukunimi;etunimet;lahiosoite;postinumero\nVirtanen;Aino;Isokatu 1;90100\n"
        ),
    )

    response = download(client_as(Role.MARKETING), group)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="target-group-{group.pk}-labels-'
    )
    assert response["Cache-Control"].startswith("max-age=0")
    text = "\n".join(page_texts(response.content))
    assert text.startswith("Tuomas Hämäläinen\nLinnankatu 3\n")
    assert listed.surname not in text and banned.surname not in text
    audit = AuditEvent.objects.get(action=Action.EXPORT)
    assert (audit.actor_user, audit.object_type, audit.object_id, audit.customer_id) == (
        response.wsgi_request.user,
        "marketing.targetgroup",
        str(group.pk),
        None,
    )
    assert audit.reason == "post address labels of 'Postitus': 1 labels"
    assert audit.changed_fields == [
        "country",
        "name",
        "post_office",
        "postal_code",
        "street_address",
    ]


def test_the_post_group_page_offers_labels_beside_the_address_list(client_as):
    group = a_group()

    page = client_as(Role.MARKETING).get(reverse("marketing:detail", args=[group.pk]))

    assert reverse("marketing:labels", args=[group.pk]) in page.content.decode()
    assert reverse("marketing:export", args=[group.pk]) in page.content.decode()


def test_a_list_digested_under_another_key_stops_the_labels(client_as):
    group = a_group()
    make_customer()
    RestrictionList.objects.create(imported_at=timezone.now(), key_id="0123456789abcdef")

    response = download(client_as(Role.MARKETING), group)

    assert response.status_code == 409
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.parametrize("channel", ["email", "sms", "phone"])
def test_only_a_post_group_has_labels(client_as, channel):
    group = a_group(channel)
    make_customer()

    response = download(client_as(Role.MARKETING), group)

    assert response.status_code == 400
    assert response.content.decode() == "Only a post target group has address labels to print."
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR, Role.AUDITOR]
)
def test_other_roles_get_no_labels_and_the_refusal_is_audited(client_as, role):
    group = a_group()
    make_customer()

    response = download(client_as(role), group)

    assert response.status_code == 403
    assert response["Content-Type"] != "application/pdf"
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse("marketing:labels", args=[group.pk])
