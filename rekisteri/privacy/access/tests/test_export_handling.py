"""What the customer's own copy tells beyond the data itself (GDPR art. 15(1)): who
handled the data, by role and business, when and for what purpose (CJEU C-579/21,
Pankki S), the legal holds on it, and the breaches that concerned it with the notice
sent. The customer's own only, never another's."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Product
from rekisteri.privacy.access.copy import access_archive, subject_data
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.models import LegalHold
from rekisteri.testing.everything import api_order, customer_with_everything, person
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
NOTICE_SUBJECT = "Tietoturvaloukkaus: asiakastietojasi on voinut päätyä ulkopuolisille"
NOTICE_BODY = "Hyvä asiakkaamme,\n\nlähetimme asiakaslistan väärälle vastaanottajalle."


def iso(moment: Any) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


@pytest.fixture
def products(db: None) -> None:
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    Product.objects.create(
        sku="KIRJA-1", name="Varastokirja", unit_price=Decimal("24.00"), vat_rate=Decimal("14.0")
    )


@pytest.fixture
def ours(products: None) -> Customer:
    """A customer with data of every kind, an order from the web shop's API, and the
    customer page viewed by customer service."""
    who = person()
    customer = customer_with_everything(who=who).customer
    api_order(who)
    return customer


@pytest.fixture
def theirs(products: None) -> Customer:
    return customer_with_everything(who=person()).customer


def breach_told_to(*customers: Customer, django_capture_on_commit_callbacks: Any) -> None:
    """A breach that concerned `customers`, and its notice sent to them."""
    breach = breaches.breach_record(
        actor=SYSTEM,
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Asiakaslista lähti väärälle vastaanottajalle",
        description="Tilausraportti lähetettiin väärälle yhteistyökumppanille.",
        data_categories=["names", "contact_details"],
        people_affected=len(customers),
        records_affected=len(customers),
        likely_consequences="Tietojenkalastelu.",
        measures_taken="Vastaanottajaa pyydettiin poistamaan viesti.",
    )
    breaches.breach_subjects_add(
        actor=SYSTEM, breach=breach, customer_numbers=[c.customer_number for c in customers]
    )
    breach.refresh_from_db()
    breaches.breach_notice_update(
        actor=SYSTEM,
        breach=breach,
        people_must_be_told=True,
        notice_subject=NOTICE_SUBJECT,
        notice_body=NOTICE_BODY,
        version=breach.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)
    run_queued_tasks()


def test_the_copy_says_who_handled_the_data_by_role_and_business_when_and_why(
    ours: Customer, customer_service_client: Client
):
    response = customer_service_client.get(reverse("customers:detail", args=[ours.customer_number]))
    assert response.status_code == 200
    clerk = response.wsgi_request.user

    data = subject_data(ours, include_identity_code=False, language="en")

    trail = AuditEvent.objects.filter(customer=ours).order_by("id")
    assert [(row["occurred_at"], row["action"]) for row in data["processing"]] == [
        (iso(event.occurred_at), event.action) for event in trail
    ]
    viewed = trail.get(action=Action.VIEW, actor_user_id=clerk.pk)
    [row] = [r for r in data["processing"] if r["actor_type"] == ActorType.STAFF]
    assert row == {
        "occurred_at": iso(viewed.occurred_at),
        "actor_type": "staff",
        "roles": ["customer_service"],
        "business": settings.BUSINESS_NAME,
        "integration": None,
        "action": "view",
        "object_type": "customers.customer",
        "changed_fields": [],
        "purpose": "customer_relationship",
    }
    shop = [r for r in data["processing"] if r["actor_type"] == ActorType.INTEGRATION]
    assert shop and {(r["integration"], r["business"]) for r in shop} == {
        ("Verkkokauppa", settings.BUSINESS_NAME)
    }
    assert {r["purpose"] for r in shop} == {"orders_and_deliveries"}
    credit = [r for r in data["processing"] if r["action"] == Action.CREDIT_CHECK]
    assert credit and {r["purpose"] for r in credit} == {"credit_decision"}
    # The staff member is named by role only.
    text = json.dumps(data, ensure_ascii=False)
    assert clerk.get_username() not in text
    assert "actor_label" not in text and 'ip_address": "127' not in text


def test_the_readable_page_names_the_business_the_role_and_the_purpose(
    ours: Customer, customer_service_client: Client
):
    customer_service_client.get(reverse("customers:detail", args=[ours.customer_number]))

    archive = access_archive(customer=ours, language="en", include_identity_code=False)

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
    assert "Who handled your data, when and for what purpose" in html
    assert f"<td>{settings.BUSINESS_NAME}: Customer service</td>" in html
    assert "Managing the customer relationship and customer service" in html
    assert f"{settings.BUSINESS_NAME}: Verkkokauppa (web shop or other connected system)" in html
    assert "Credit decision on an invoice order" in html


def test_the_copy_gives_the_legal_holds_on_the_data(ours: Customer):
    hold = LegalHold.objects.get(customer=ours)

    data = subject_data(ours, include_identity_code=False, language="en")

    assert data["legal_holds"] == [
        {
            "placed_at": iso(hold.placed_at),
            "lifted_at": iso(hold.lifted_at),
            "reason": "Reklamaatio käsittelyssä, viite 2026-17",
        }
    ]
    archive = access_archive(customer=ours, language="fi", include_identity_code=False)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
    assert "Tietojesi säilyttäminen oikeudellisen syyn vuoksi" in html
    assert "Reklamaatio käsittelyssä, viite 2026-17" in html


def test_the_copy_gives_the_breach_notice_sent_to_the_person(
    ours: Customer, theirs: Customer, django_capture_on_commit_callbacks: Any
):
    breach_told_to(
        ours, theirs, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    data = subject_data(ours, include_identity_code=False, language="en")

    [notice] = data["breach_notices"]
    assert notice["notice_status"] == "sent"
    assert (notice["notice_subject"], notice["notice_body"]) == (NOTICE_SUBJECT, NOTICE_BODY)
    assert notice["notified_at"] is not None and notice["added_at"] is not None
    archive = access_archive(customer=ours, language="en", include_identity_code=False)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
    assert "Data breaches that concerned your data" in html
    assert "<td>Sent</td>" in html and NOTICE_SUBJECT in html


def test_a_notice_not_yet_sent_shows_that_the_breach_concerned_the_person_without_a_draft(
    ours: Customer,
):
    breach = breaches.breach_record(
        actor=SYSTEM,
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Kadonnut muistitikku",
        description="Muistitikku katosi.",
        data_categories=["names"],
        people_affected=1,
        records_affected=1,
        likely_consequences="Ei arvioitu.",
        measures_taken="Etsitään.",
    )
    breaches.breach_subjects_add(
        actor=SYSTEM, breach=breach, customer_numbers=[ours.customer_number]
    )
    breach.refresh_from_db()
    breaches.breach_notice_update(
        actor=SYSTEM,
        breach=breach,
        people_must_be_told=True,
        notice_subject="Luonnos",
        notice_body="Luonnos, ei vielä lähetetty.",
        version=breach.version,
    )

    [notice] = subject_data(ours, include_identity_code=False, language="en")["breach_notices"]

    assert notice["notice_status"] == "pending"
    assert (notice["notified_at"], notice["notice_subject"], notice["notice_body"]) == (
        None,
        None,
        None,
    )


def test_the_new_sections_hold_nothing_of_another_customer(
    ours: Customer,
    theirs: Customer,
    customer_service_client: Client,
    django_capture_on_commit_callbacks: Any,
):
    breach_told_to(theirs, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    customer_service_client.get(reverse("customers:detail", args=[theirs.customer_number]))

    data = subject_data(ours, include_identity_code=False, language="en")

    assert data["breach_notices"] == []
    assert len(data["legal_holds"]) == 1
    assert not any(r["actor_type"] == ActorType.STAFF for r in data["processing"])
    assert len(data["processing"]) == AuditEvent.objects.filter(customer=ours).count()
    text = json.dumps(data, ensure_ascii=False)
    assert theirs.email not in text and str(theirs.public_id) not in text
