"""The disclosure register (P17) and an authority's request: only the data asked for
leaves, and every disclosure is recorded with its audit event."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.access.disclosures import authority_export, disclosure_record
from rekisteri.privacy.models import Disclosure
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.identity_codes import identity_code_for

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CODE = identity_code_for(datetime.date(1990, 2, 3), 931)
AUTHORITY_URL = reverse("privacy:authority_export")
REQUEST = {
    "recipient": "Oulun poliisilaitos, rikostutkinta",
    "legal_ground": "Poliisilaki 872/2011 4 luku 3 §",
    "reference": "5500/R/1234/26",
}


@pytest.fixture
def customer():
    customer = make_customer(
        surname="Korhonen",
        first_names="Liisa",
        email="liisa.korhonen@example.fi",
        identity_code=CODE,
    )
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price="89.90")
    order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    return customer


def signed_in(client, user):
    return sign_in(user, client)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.EXPORT).order_by("id"))


def test_a_disclosure_is_recorded_with_an_export_audit_event(customer, staff):
    officer = staff(Role.PRIVACY_OFFICER)

    disclosure = disclosure_record(
        actor=Actor(type="staff", user=officer, label=officer.username),
        customer=customer,
        recipient_kind="other",
        recipient="  Perintätoimisto   Esimerkki Oy ",
        legal_ground="Asiakkaan kirjallinen suostumus",
        reference="",
        categories=["orders", "name", "orders"],
    )

    disclosure.refresh_from_db()
    assert disclosure.customer == customer
    assert (disclosure.recipient_kind, disclosure.recipient) == (
        "other",
        "Perintätoimisto Esimerkki Oy",
    )
    assert disclosure.categories == ["name", "orders"]
    assert disclosure.disclosed_by == officer
    [event] = exports()
    assert (event.object_type, event.object_id) == ("privacy.disclosure", str(disclosure.pk))
    assert event.customer_id == customer.pk
    assert event.actor_user == officer
    assert event.changed_fields == ["name", "orders"]
    assert personal_text_decrypt(event) == "disclosure to other: Asiakkaan kirjallinen suostumus"


def test_bad_input_names_every_bad_field_and_stores_nothing(customer):
    with pytest.raises(ValidationError) as raised:
        disclosure_record(
            actor=SYSTEM,
            customer=customer,
            recipient_kind="neighbour",
            recipient=" ",
            legal_ground="",
            reference="x" * 201,
            categories=["everything"],
        )

    assert raised.value.message_dict == {
        "recipient_kind": ["Choose an authority, the data subject or other."],
        "recipient": ["Name the recipient."],
        "legal_ground": ["Give the legal ground: the statute or the request."],
        "reference": ["Keep the reference under 200 characters."],
        "categories": ["Choose the data from the list."],
    }
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_the_authority_gets_only_the_fields_asked_for(customer, privacy_officer_client):
    response = privacy_officer_client.post(
        AUTHORITY_URL,
        {**REQUEST, "customer_number": customer.customer_number, "categories": ["name", "email"]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="disclosure-{customer.customer_number}-'
    )
    document = json.loads(response.content)
    assert document["data"] == {
        "customer": {
            "surname": "Korhonen",
            "first_names": "Liisa",
            "email": "liisa.korhonen@example.fi",
        }
    }
    assert document["fields"] == ["name", "email"]
    assert (document["recipient"], document["legal_ground"], document["reference"]) == (
        REQUEST["recipient"],
        REQUEST["legal_ground"],
        REQUEST["reference"],
    )
    text = response.content.decode("utf-8")
    for absent in (CODE, customer.phone, customer.street_address, "HYL-120"):
        assert absent not in text
    [disclosure] = Disclosure.objects.all()
    assert disclosure.recipient_kind == "authority"
    assert disclosure.categories == ["name", "email"]
    assert disclosure.reference == "5500/R/1234/26"
    assert disclosure.disclosed_by is not None
    [event] = exports()
    assert event.customer_id == customer.pk
    assert event.changed_fields == ["email", "name"]


def test_orders_and_the_identity_code_go_when_asked_for(customer, privacy_officer_client):
    response = privacy_officer_client.post(
        AUTHORITY_URL,
        {
            **REQUEST,
            "customer_number": customer.customer_number,
            "categories": ["identity_code", "orders"],
        },
    )

    document = json.loads(response.content)
    assert document["data"]["customer"] == {"identity_code": CODE}
    [order] = document["data"]["orders"]
    assert [line["sku"] for line in order["lines"]] == ["HYL-120"]
    assert Disclosure.objects.get().categories == ["identity_code", "orders"]


def test_the_identity_code_needs_the_permission_to_reveal_it(customer):
    """A staff member who may record disclosures but not reveal identity codes."""
    clerk = make_staff(None)
    clerk.user_permissions.add(Permission.objects.get(codename="add_disclosure"))

    with pytest.raises(ValidationError) as raised:
        authority_export(
            actor=Actor(type="staff", user=clerk, label=clerk.username),
            customer=customer,
            fields=["name", "identity_code"],
            **REQUEST,
        )

    assert raised.value.message_dict == {
        "fields": ["You may not disclose the identity code: leave it out."]
    }
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_the_form_shows_every_error_and_records_nothing(customer, privacy_officer_client):
    response = privacy_officer_client.post(
        AUTHORITY_URL, {"customer_number": "999999", "recipient": "", "legal_ground": ""}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["recipient"] == ["This field is required."]
    assert errors["legal_ground"] == ["This field is required."]
    assert errors["categories"] == ["This field is required."]
    assert Disclosure.objects.count() == 0

    unknown = privacy_officer_client.post(
        AUTHORITY_URL, {**REQUEST, "customer_number": "999999", "categories": ["name"]}
    )
    assert unknown.status_code == 400
    assert unknown.context["form"].errors["customer_number"] == ["No customer has this number."]
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_the_form_offers_the_identity_code_only_to_those_who_may_reveal_it(
    customer, privacy_officer_client, client
):
    page = privacy_officer_client.get(AUTHORITY_URL)
    assert page.status_code == 200
    assert b'value="identity_code"' in page.content

    clerk = make_staff(None)
    clerk.user_permissions.add(Permission.objects.get(codename="add_disclosure"))
    signed_in(client, clerk)
    response = client.post(
        AUTHORITY_URL,
        {**REQUEST, "customer_number": customer.customer_number, "categories": ["identity_code"]},
    )
    assert response.status_code == 400
    assert b'value="identity_code"' not in response.content
    assert Disclosure.objects.count() == 0


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_others_may_not_answer_an_authority_and_nothing_leaves(customer, client_as, role):
    response = client_as(role).post(
        AUTHORITY_URL,
        {**REQUEST, "customer_number": customer.customer_number, "categories": ["name"]},
    )

    assert response.status_code == 403
    # The email, not the surname: the signed-in staff member may share a Faker surname.
    assert b"liisa.korhonen@example.fi" not in response.content
    assert Disclosure.objects.count() == 0
    assert exports() == []
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_the_register_lists_disclosures_newest_first_in_pages(
    customer, privacy_officer_client, monkeypatch
):
    monkeypatch.setattr("rekisteri.privacy.access.views.REGISTER_PAGE_SIZE", 2)
    for number in range(3):
        disclosure_record(
            actor=SYSTEM,
            customer=customer,
            recipient_kind="authority",
            recipient=f"Verohallinto {number}",
            legal_ground="Verotusmenettelylaki 1558/1995 19 §",
            reference=f"VH-{number}",
            categories=["name", "address"],
        )

    first = privacy_officer_client.get(reverse("privacy:disclosures"))
    assert first.status_code == 200
    rows = [row for row, _labels in first.context["rows"]]
    assert [row.reference for row in rows] == ["VH-2", "VH-1"]
    assert "Name, Address" in first.content.decode()
    assert "Verotusmenettelylaki 1558/1995 19 §" in first.content.decode()
    next_before = first.context["page"].next_before
    assert next_before == rows[-1].pk

    second = privacy_officer_client.get(reverse("privacy:disclosures"), {"before": next_before})
    assert [row.reference for row, _labels in second.context["rows"]] == ["VH-0"]
    assert second.context["page"].next_before is None


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_only_the_privacy_officer_sees_the_register(customer, client_as, role):
    disclosure_record(
        actor=SYSTEM,
        customer=customer,
        recipient_kind="authority",
        recipient="Verohallinto",
        legal_ground="Verotusmenettelylaki",
        reference="",
        categories=["name"],
    )

    response = client_as(role).get(reverse("privacy:disclosures"))

    assert response.status_code == 403
    assert b"Verohallinto" not in response.content
