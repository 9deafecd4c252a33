"""The customer's own copy in Swedish (GDPR art. 15 with art. 12(1)): a Swedish speaker
gets the readable page and the art. 15 information in Swedish, with the same data as
in any other language, and no word of the copy is missing from the Swedish text."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.privacy.access.article15 import CONTROLLER_LABELS, INFORMATION
from rekisteri.privacy.access.copy import access_archive, subject_data
from rekisteri.privacy.access.disclosures import access_delivery_create, access_delivery_download
from rekisteri.privacy.access.page import PRIVACY_LABELS, PURPOSES, TEXTS
from rekisteri.privacy.models import Disclosure, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")

SWEDISH_HEADINGS = (
    "<h1>Dina uppgifter</h1>",
    '<h2 id="contact">Kontaktuppgifter</h2>',
    "<h2>Beställningar</h2>",
    "<h2>Vem som behandlade dina uppgifter, när och för vilket ändamål</h2>",
    '<h2 id="information">Information om behandlingen</h2>',
    "<h3>Personuppgiftsansvarig</h3>",
    "<h3>Dina rättigheter</h3>",
)


def opened(content: bytes) -> tuple[str, dict[str, Any]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["index.html", "data.json"]
        html = archive.read("index.html").decode("utf-8")
        data: dict[str, Any] = json.loads(archive.read("data.json"))
    return html, data


def request_for(customer: Customer) -> SubjectRequest:
    return subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name=f"{customer.first_names} {customer.surname}",
        email=customer.email,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla ja osoitteella.",
    )


def assert_swedish(html: str, data: dict[str, Any]) -> None:
    assert '<html lang="sv">' in html
    for heading in SWEDISH_HEADINGS:
        assert heading in html
    assert "dataombudsmannens byrå" in html
    assert "Omat tietosi" not in html
    assert "Your data" not in html
    assert data["language"] == "sv"
    [rights] = [s for s in data["article_15"] if s["key"] == "rights"]
    assert rights["title"] == "Dina rättigheter"


def test_a_swedish_copy_is_in_swedish_with_the_same_data_and_keys():
    customer = make_customer(preferred_language="sv", email="sofia.lindqvist@example.fi")

    html, data = opened(
        access_archive(customer=customer, language="sv", include_identity_code=False)
    )

    assert_swedish(html, data)
    # Finland Swedish writes times like Finnish: "7.12.2026 kl. 17.35".
    assert " kl. " in html
    # Only the words change: the JSON keys and the data are those of a Finnish copy.
    finnish = subject_data(customer, include_identity_code=False, language="fi")
    assert data.keys() == finnish.keys()
    assert data["customer"] == finnish["customer"]
    assert [s["key"] for s in data["article_15"]] == [s["key"] for s in finnish["article_15"]]


@pytest.mark.parametrize("language", ["sv", "sv-FI", "SV"])
def test_the_customers_swedish_is_the_copys_language(language):
    customer = make_customer(preferred_language="sv")

    assert subject_data(customer, include_identity_code=False)["language"] == "sv"
    html, data = opened(
        access_archive(customer=customer, language=language, include_identity_code=False)
    )
    assert_swedish(html, data)


def test_a_swedish_speaker_downloads_the_copy_in_swedish():
    customer = make_customer(preferred_language="sv")
    delivery = access_delivery_create(actor=SYSTEM, subject_request=request_for(customer))

    html, data = opened(access_delivery_download(delivery=delivery, ip_address=None))

    assert_swedish(html, data)
    assert Disclosure.objects.get().customer == customer


def test_a_request_made_in_swedish_gets_a_swedish_copy():
    # A Finnish-speaking customer who asked on the portal's Swedish page.
    customer = make_customer(preferred_language="fi")
    subject_request = request_for(customer)
    SubjectRequest.objects.filter(pk=subject_request.pk).update(language="sv")
    subject_request.refresh_from_db()
    delivery = access_delivery_create(actor=SYSTEM, subject_request=subject_request)

    html, data = opened(access_delivery_download(delivery=delivery, ip_address=None))

    assert_swedish(html, data)


def test_staff_hand_a_swedish_speaker_a_swedish_copy(client_as):
    customer = make_customer(preferred_language="sv")
    subject_request = request_for(customer)

    response = client_as(Role.PRIVACY_OFFICER).post(
        reverse("privacy:access_handover", kwargs={"public_id": subject_request.public_id})
    )

    assert response.status_code == 200
    assert_swedish(*opened(response.content))


def test_a_finnish_or_english_copy_stays_as_it_was():
    finnish = make_customer(preferred_language="fi")
    english = make_customer(preferred_language="en")

    html, data = opened(
        access_archive(customer=finnish, language="fi", include_identity_code=False)
    )
    assert '<html lang="fi">' in html and "<h1>Omat tietosi</h1>" in html
    assert data["language"] == "fi"
    html, data = opened(
        access_archive(customer=english, language="en", include_identity_code=False)
    )
    assert '<html lang="en">' in html and "<h1>Your data</h1>" in html
    assert data["language"] == "en"


@pytest.mark.parametrize(
    "words", [TEXTS, PRIVACY_LABELS, PURPOSES], ids=["TEXTS", "PRIVACY_LABELS", "PURPOSES"]
)
def test_every_word_of_the_copy_has_a_swedish_text(words):
    # A key added for Finnish must get its Swedish (and English) words too.
    for language in ("sv", "en"):
        assert sorted(set(words["fi"]) - set(words[language])) == []
        assert all(text.strip() for text in words[language].values())


def test_every_section_of_the_information_has_a_swedish_text():
    assert [s.key for s in INFORMATION["sv"]] == [s.key for s in INFORMATION["fi"]]
    assert [len(s.items) for s in INFORMATION["sv"]] == [len(s.items) for s in INFORMATION["fi"]]
    assert len(CONTROLLER_LABELS["sv"]) == len(CONTROLLER_LABELS["fi"])
