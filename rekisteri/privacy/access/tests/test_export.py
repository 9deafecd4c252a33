"""The customer's own copy (GDPR arts. 15 and 20): every category of data held about
them, nobody else's, in their language, the identity code only in their own copy."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentText, EventKind, Source
from rekisteri.customers.models import Customer
from rekisteri.customers.services import customer_input_of, customer_update
from rekisteri.orders.models import ConfirmationStatus, OrderConfirmation, Product
from rekisteri.orders.services import (
    LineInput,
    delivery_create,
    order_confirmation_queue,
    order_create,
)
from rekisteri.privacy.access.copy import (
    ARCHIVE_FILES,
    DataCategory,
    access_archive,
    customer_data,
    subject_data,
)
from rekisteri.privacy.models import Disclosure, RequestKind
from rekisteri.testing.everything import Everything, customer_with_everything
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import identity_code_for

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CODE = identity_code_for(datetime.date(1984, 5, 17), 923)
OTHER_CODE = identity_code_for(datetime.date(1984, 5, 17), 924)


def iso(moment: datetime.datetime) -> str:
    """Finnish time with its offset, to the second, as the copy gives times."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


@pytest.fixture
def products(db: None) -> None:
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    Product.objects.create(
        sku="KIRJA-1", name="Varastokirja", unit_price=Decimal("24.00"), vat_rate=Decimal("14.0")
    )


def everything_for(customer: Customer, *, campaign_name: str, tracking_code: str) -> Everything:
    """Orders (one on invoice with its credit decision), a delivery, a return not yet
    received, a consent given to staff and a marketing ban, a campaign message, an
    access request and a disclosure."""
    return customer_with_everything(
        customer,
        settled=False,
        consent_source=Source.STAFF,
        consent_ended_by=EventKind.BAN,
        request_kind=RequestKind.ACCESS,
        campaign_name=campaign_name,
        tracking_code=tracking_code,
    )


@pytest.fixture
def aino(products: None) -> Everything:
    customer = make_customer(
        surname="Virtanen",
        first_names="Aino",
        email="aino.virtanen@example.fi",
        phone="+358401234567",
        identity_code=CODE,
        notes="Soittaa mieluiten aamuisin.",
    )
    return everything_for(customer, campaign_name="Kevät", tracking_code="JJFI64526500012345")


@pytest.fixture
def eino(products: None) -> Everything:
    """Another customer with data of every kind, and the same surname."""
    customer = make_customer(
        surname="Virtanen",
        first_names="Eino",
        email="eino.virtanen@example.fi",
        phone="+358409876543",
        identity_code=OTHER_CODE,
        notes="Toinen asiakas.",
    )
    return everything_for(customer, campaign_name="Syksy", tracking_code="JJFI64526500099999")


def test_the_copy_holds_every_category_held_about_the_customer(aino: Everything, eino: Everything):
    """Contact data, the identity code, orders with lines, deliveries, returns, the credit
    decision, the consent ledger, the campaign message, the request and the disclosure."""
    data = subject_data(aino.customer, include_identity_code=True)

    customer = aino.customer
    assert data["format"] == "rekisteri.subject-data.v1"
    assert data["language"] == "fi"
    assert datetime.datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert data["customer"] == {
        "customer_number": customer.customer_number,
        "public_id": str(customer.public_id),
        "preferred_language": "fi",
        "source": "phone",
        "status": "active",
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "last_activity_at": iso(Customer.objects.get(pk=customer.pk).last_activity_at),
        "surname": "Virtanen",
        "first_names": "Aino",
        "street_address": customer.street_address,
        "postal_code": customer.postal_code,
        "post_office": customer.post_office,
        "country": "FI",
        "phone": "+358401234567",
        "email": "aino.virtanen@example.fi",
        "identity_code": CODE,
        "notes": "Soittaa mieluiten aamuisin.",
    }
    invoice, prepaid = data["orders"]
    assert invoice["order_number"] == aino.invoice_order.order_number
    assert (invoice["channel"], invoice["payment_method"]) == ("phone", "invoice")
    assert (invoice["total_gross"], invoice["total_vat"]) == ("203.80", "39.48")
    assert invoice["delivery_name"] == "Aino Virtanen"
    assert invoice["lines"] == [
        {
            "line_number": 1,
            "sku": "HYL-120",
            "name": "Hylly 120 cm",
            "unit_price": "89.90",
            "vat_rate": "25.5",
            "quantity": 2,
            "line_total": "179.80",
        },
        {
            "line_number": 2,
            "sku": "KIRJA-1",
            "name": "Varastokirja",
            "unit_price": "24.00",
            "vat_rate": "14.0",
            "quantity": 1,
            "line_total": "24.00",
        },
    ]
    assert prepaid["order_number"] == aino.prepaid_order.order_number
    assert [line["quantity"] for line in prepaid["lines"]] == [3]
    [delivery] = data["deliveries"]
    assert delivery["order_number"] == aino.invoice_order.order_number
    assert (delivery["carrier"], delivery["tracking_code"], delivery["status"]) == (
        "posti",
        "JJFI64526500012345",
        "shipped",
    )
    assert delivery["shipped_at"] is not None
    [returned] = data["returns"]
    assert returned["order_number"] == aino.invoice_order.order_number
    assert (returned["reason"], returned["status"], returned["refund_amount"]) == (
        "Väärä koko",
        "requested",
        "0.00",
    )
    assert returned["lines"] == [
        {"line_number": 1, "sku": "HYL-120", "name": "Hylly 120 cm", "quantity": 1}
    ]
    [credit_check] = data["credit_checks"]
    assert credit_check["order_number"] == aino.invoice_order.order_number
    assert (credit_check["decision"], credit_check["reason_code"]) == (
        "approved",
        "no_payment_defaults",
    )
    assert credit_check["effective_decision"] == "approved"
    grant, ban = data["consent_events"]
    text = ConsentText.objects.get(channel="email", version=1)
    assert (grant["kind"], grant["channel"], grant["source"]) == ("grant", "email", "staff")
    assert (grant["wording_version"], grant["wording"]) == (1, text.text_fi)
    assert (ban["kind"], ban["channel"], ban["wording"]) == ("ban", "", None)
    [message] = data["campaign_messages"]
    assert (message["campaign"], message["subject"], message["status"]) == (
        "Kevät",
        "Kevät: tarjous",
        "sent",
    )
    [request] = data["subject_requests"]
    assert request["id"] == str(aino.subject_request.public_id)
    assert (request["kind"], request["status"], request["email_given"]) == (
        "access",
        "open",
        "aino.virtanen@example.fi",
    )
    [disclosure] = data["disclosures"]
    assert disclosure == {
        "disclosed_at": iso(aino.disclosure.disclosed_at),
        "recipient_kind": "authority",
        "recipient": "Oulun poliisilaitos",
        "legal_ground": "Poliisilaki 872/2011 4 luku 3 §",
        "reference": f"R/{customer.customer_number}",
        "categories": ["name", "orders"],
        "subject_request": None,
    }
    assert [section["key"] for section in data["article_15"]] == [
        "controller",
        "purposes",
        "categories",
        "recipients",
        "retention",
        "sources",
        "automated_decisions",
        "rights",
    ]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_the_copy_holds_nothing_of_another_customer_with_similar_data(
    aino: Everything, eino: Everything
):
    data = subject_data(aino.customer, include_identity_code=True)
    text = json.dumps(data, ensure_ascii=False)

    other = eino.customer
    for value in (
        other.email,
        other.phone,
        OTHER_CODE,
        str(other.public_id),
        "Eino",
        "Toinen asiakas.",
        "Syksy",
        "JJFI64526500099999",
        str(eino.subject_request.public_id),
        f"R/{other.customer_number}",
    ):
        assert value not in text
    # A customer number is a short number that a date can hold too (customer 2026 in
    # the year 2026), so it is looked for among the copy's values, not in its text.
    assert other.customer_number not in _leaves(data)
    assert str(other.customer_number) not in _leaves(data)
    ours = {aino.invoice_order.order_number, aino.prepaid_order.order_number}
    assert {order["order_number"] for order in data["orders"]} == ours
    for key in ("deliveries", "returns", "credit_checks"):
        assert {row["order_number"] for row in data[key]} <= ours
    assert len(data["consent_events"]) == 2


def test_the_copy_gives_the_customers_order_confirmations_and_no_one_elses(
    aino: Everything, eino: Everything
):
    """Art. 15: when each confirmation was asked for and sent, by which channel and how
    it went; never the address it went to, nor another customer's confirmation."""
    sent_at = timezone.now()
    ours = order_confirmation_queue(actor=SYSTEM, order=aino.invoice_order)
    OrderConfirmation.objects.filter(pk=ours.pk).update(
        status=ConfirmationStatus.SENT, sent_at=sent_at, attempts=1
    )
    theirs = order_confirmation_queue(actor=SYSTEM, order=eino.invoice_order)

    data = subject_data(aino.customer, include_identity_code=False, language="en")

    assert data["order_confirmations"] == [
        {
            "order_number": aino.invoice_order.order_number,
            "requested_at": iso(ours.requested_at),
            "sent_at": iso(sent_at),
            "channel": "email",
            "status": "sent",
        }
    ]
    assert theirs.order.order_number not in _leaves(data["order_confirmations"])
    archive = access_archive(customer=aino.customer, language="en", include_identity_code=False)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
        assert (
            json.loads(opened.read("data.json"))["order_confirmations"]
            == (data["order_confirmations"])
        )
    section = html.partition("<h2>Order confirmations</h2>")[2].partition("<h2>")[0]
    assert str(aino.invoice_order.order_number) in section
    assert "<td>Sent</td>" in section
    assert str(theirs.order.order_number) not in section
    assert "aino.virtanen@example.fi" not in section


def test_the_identity_code_is_there_only_when_included(aino: Everything):
    without = subject_data(aino.customer, include_identity_code=False)
    archive = access_archive(customer=aino.customer, language="fi", include_identity_code=False)

    assert "identity_code" not in without["customer"]
    assert CODE not in json.dumps(without)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        for name in ARCHIVE_FILES:
            assert CODE not in opened.read(name).decode("utf-8")

    included = access_archive(customer=aino.customer, language="fi", include_identity_code=True)
    with zipfile.ZipFile(io.BytesIO(included)) as opened:
        assert json.loads(opened.read("data.json"))["customer"]["identity_code"] == CODE
        assert CODE in opened.read("index.html").decode("utf-8")


def test_the_archive_holds_index_html_and_data_json(aino: Everything):
    archive = access_archive(customer=aino.customer, language="fi", include_identity_code=True)

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.namelist() == ["index.html", "data.json"]
        assert opened.testzip() is None
        data = json.loads(opened.read("data.json"))
        html = opened.read("index.html").decode("utf-8")
    expected = subject_data(aino.customer, include_identity_code=True)
    assert {key: value for key, value in data.items() if key != "generated_at"} == {
        key: value for key, value in expected.items() if key != "generated_at"
    }
    assert str(aino.invoice_order.order_number) in html
    assert "JJFI64526500012345" in html
    assert "Oulun poliisilaitos" in html


def test_the_readable_page_is_in_finnish_for_finnish_speakers(aino: Everything):
    # Swedish speakers get a Swedish page: test_copy_swedish.py.
    for language in ("fi", "fi-FI"):
        archive = access_archive(
            customer=aino.customer, language=language, include_identity_code=True
        )
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            html = opened.read("index.html").decode("utf-8")
            data = json.loads(opened.read("data.json"))

        assert '<html lang="fi">' in html
        assert "<h1>Omat tietosi</h1>" in html
        assert "<h2>Tilaukset</h2>" in html
        assert "Ennakkomaksu" in html  # a payment method, from the message catalogue
        assert "203,80 €" in html
        assert "Tietosuojavaltuutetun toimisto" in html
        assert "Your data" not in html
        assert data["article_15"][0]["title"] == "Rekisterinpitäjä"


def test_the_readable_page_is_in_english_for_english_speakers(aino: Everything):
    archive = access_archive(customer=aino.customer, language="en", include_identity_code=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
        data = json.loads(opened.read("data.json"))

    assert '<html lang="en">' in html
    assert "<h1>Your data</h1>" in html
    assert "<h2>Orders</h2>" in html
    assert "€203.80" in html
    assert "Office of the Data Protection Ombudsman" in html
    assert "Omat tietosi" not in html
    assert data["article_15"][0]["title"] == "Controller"


def test_the_readable_page_escapes_what_people_typed(products: None):
    customer = make_customer(notes="<script>alert(1)</script> & co")
    archive = access_archive(customer=customer, language="fi", include_identity_code=False)

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html


def test_the_number_of_queries_does_not_grow_with_the_orders(aino: Everything):
    """The same queries whatever the number of orders: none per order. One per
    category (orders, returns and who handled the data two), the customer and the
    register description."""
    with CaptureQueriesContext(connection) as few:
        subject_data(aino.customer, include_identity_code=True)
    for _ in range(5):
        order = order_create(
            actor=SYSTEM,
            customer=aino.customer,
            channel="email",
            payment_method="prepaid",
            lines=[LineInput("HYL-120", 1)],
            confirm=True,
        )
        delivery_create(actor=SYSTEM, order=order, carrier="matkahuolto")
    with CaptureQueriesContext(connection) as many:
        data = subject_data(aino.customer, include_identity_code=True)

    assert len(data["orders"]) == 7
    assert len(data["order_confirmations"]) == 5
    assert len(many.captured_queries) == len(few.captured_queries) == 16


def test_making_a_copy_writes_nothing(aino: Everything):
    """The export functions only read; the services that hand a copy out record it."""
    events = AuditEvent.objects.count()
    disclosures = Disclosure.objects.count()

    access_archive(customer=aino.customer, language="fi", include_identity_code=True)

    assert AuditEvent.objects.count() == events
    assert Disclosure.objects.count() == disclosures


def test_customer_data_gives_only_the_categories_asked_for(aino: Everything):
    data = customer_data(aino.customer, categories=[DataCategory.NAME, DataCategory.RETURNS])

    assert data == {
        "customer": {"surname": "Virtanen", "first_names": "Aino"},
        "returns": subject_data(aino.customer, include_identity_code=False)["returns"],
    }
    with pytest.raises(ValueError, match="unknown data categories"):
        customer_data(aino.customer, categories=["everything"])


def test_the_copy_is_of_the_customer_as_stored_now(aino: Everything):
    """An instance loaded before a change gives the data after it."""
    stale = aino.customer
    changed = dataclasses.replace(customer_input_of(stale), email="aino.uusi@example.fi")
    customer_update(actor=SYSTEM, customer=stale, expected_version=stale.version, data=changed)

    data = subject_data(stale, include_identity_code=False)

    assert data["customer"]["email"] == "aino.uusi@example.fi"
