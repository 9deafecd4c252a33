"""Erasure (GDPR art. 17): the dry run, the refusals, and the proof that an erased
person is nowhere in the database while the kept accounting records still add up."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri import fi
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.models import ConsentEvent
from rekisteri.credit.models import CreditCheck, Decision
from rekisteri.customers.models import Customer, Status
from rekisteri.intake.models import IdempotencyKey
from rekisteri.marketing.models import CampaignMessage
from rekisteri.orders.models import Delivery, Order, OrderLine, Product, Return
from rekisteri.orders.services import (
    LineInput,
    delivery_create,
    order_create,
    order_status_change,
    return_create,
)
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.models import Disclosure, ErasureLogEntry, LegalHold, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.retention import holds
from rekisteri.testing.auth import sign_in
from rekisteri.testing.database import database_rows, found_in_database
from rekisteri.testing.everything import api_order, customer_with_everything, person
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö sähköpostitse"
# Tables whose rows change with any request: the test client's session.
VOLATILE_TABLES = {"django_session"}


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    return settings.REKISTERI_ERASURE_LOG


@pytest.fixture
def products(db):
    return [
        Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90")),
        Product.objects.create(
            sku="KIRJA-1",
            name="Varastokirja",
            unit_price=Decimal("24.00"),
            vat_rate=Decimal("14.0"),
        ),
    ]


def signed_in(role: str) -> Client:
    return sign_in(make_staff(role), Client(HTTP_ACCEPT_LANGUAGE="en"))


def erase_url(customer: Customer) -> str:
    return reverse("privacy:erase", args=[customer.customer_number])


# Reading the whole database ---------------------------------------------------------


def database_snapshot() -> list[tuple[str, str, str]]:
    return sorted(database_rows(skip=VOLATILE_TABLES))


def books(customer: Customer) -> tuple[object, ...]:
    orders = Order.objects.filter(customer=customer)
    lines = OrderLine.objects.filter(order__customer=customer)
    return (
        orders.count(),
        orders.aggregate(gross=Sum("total_gross"), vat=Sum("total_vat")),
        lines.count(),
        lines.aggregate(total=Sum("line_total")),
        Return.objects.filter(order__customer=customer).aggregate(refunds=Sum("refund_amount")),
        sorted(orders.values_list("order_number", "status", "payment_method", "placed_at")),
    )


def test_an_erased_person_is_nowhere_in_the_database_and_the_books_still_add_up(
    products, erasure_log
):
    who = person()
    customer = customer_with_everything(who=who).customer
    api_order(who)
    officer = signed_in(Role.PRIVACY_OFFICER)
    officer.get(reverse("customers:detail", args=[customer.customer_number]))
    officer.post(
        reverse("customers:reveal", args=[customer.customer_number]),
        {"reason": "Asiakkaan oma tarkastuspyyntö"},
    )
    officer.post(reverse("customers:search"), {"q": who["identity_code"]})
    request = SubjectRequest.objects.get(customer=customer)
    # The identity code is stored only as ciphertext and blind index: look for those too.
    who["identity_code_ciphertext"] = customer.identity_code_encrypted
    who["identity_code_index"] = customer.identity_code_index
    assert {what for what, _table, _column in found_in_database(who)} == set(who) - {
        "identity_code"
    }
    books_before = books(customer)
    assert books_before[0] == 3
    assert books_before[1] == {"gross": Decimal("365.70"), "vat": Decimal("66.59")}

    response = officer.post(
        erase_url(customer),
        {"reason": REASON, "confirm": "on", "subject_request": str(request.public_id)},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.customer_number])
    assert found_in_database(who) == set()
    assert books(customer) == books_before
    customer.refresh_from_db()
    name = f"Poistettu asiakas {customer.customer_number}"
    assert (customer.surname, customer.first_names, customer.status) == (
        name,
        "",
        Status.ANONYMISED,
    )
    assert (customer.identity_code_encrypted, customer.identity_code_index) == ("", "")
    assert set(Order.objects.filter(customer=customer).values_list("delivery_name", flat=True)) == {
        f"Asiakas {customer.customer_number}"
    }
    assert not Delivery.objects.exclude(tracking_code="").exists()
    assert CreditCheck.objects.get().effective_decision == Decision.APPROVED
    assert CreditCheck.objects.filter(provider_reference="", override_reason="").count() == 1
    assert ConsentEvent.objects.get().ip_address is None
    assert not IdempotencyKey.objects.exists()
    request.refresh_from_db()
    assert (request.requester_name, request.requester_email, request.details) == (name, "", "")
    assert Disclosure.objects.get().reference == "5500/R/1234/26, [poistettu]"
    assert LegalHold.objects.get().reason == "Reklamaatio käsittelyssä, viite 2026-17"
    assert CampaignMessage.objects.filter(customer=customer).count() == 1
    event = AuditEvent.objects.filter(action=Action.ERASE).get()
    assert (event.customer_id, event.object_type, event.reason) == (
        customer.pk,
        "customers.customer",
        f"erasure (art. 17): {REASON} (subject request {request.public_id})",
    )
    entry = ErasureLogEntry.objects.get()
    assert entry.customer_public_id == customer.public_id
    lines = erasure_log.read_text().splitlines()
    assert [json.loads(line)["customer"] for line in lines] == [str(customer.public_id)]
    assert set(json.loads(lines[0])) == {"customer", "erased_at"}
    page = officer.get(reverse("customers:detail", args=[customer.customer_number]))
    assert "This customer has been erased." in page.content.decode()
    assert not any(term.casefold() in page.content.decode().casefold() for term in who.values())


def test_the_dry_run_shows_what_is_erased_and_kept_and_changes_nothing(products):
    customer = make_customer(with_identity_code=True, notes="Asiakas toivoo kirjepostia")
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    delivery_create(actor=SYSTEM, order=order, carrier="posti", tracking_code="JJFI6400001")
    old = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("KIRJA-1", 1)],
        placed_at=timezone.now() - datetime.timedelta(days=365 * 8),
    )
    order_status_change(actor=SYSTEM, order=old, status="cancelled")
    officer = signed_in(Role.PRIVACY_OFFICER)
    before = database_snapshot()

    response = officer.get(erase_url(customer))

    assert response.status_code == 200
    assert database_snapshot() == before
    plan = response.context["plan"]
    assert plan.refusals == []
    assert [(item.category, item.count) for item in plan.erased] == [
        ("The customer's own data", 1),
        ("Delivery addresses and notes of orders", 2),
        ("Tracking codes of deliveries", 1),
        (
            "Reasons about the customer in the audit trail",
            AuditEvent.objects.filter(customer=customer).exclude(personal_reason="").count(),
        ),
    ]
    assert plan.erased[-1].count == 1  # "status cancelled"
    assert plan.erased[0].what == (
        f"Replaced by the pseudonym Poistettu asiakas {customer.customer_number}; "
        "removed: name, address, phone, email, identity code, notes."
    )
    kept = {item.category: item for item in plan.kept}
    this_year = timezone.localdate().year
    inside = kept["Orders and invoices in their accounting period"]
    assert (inside.count, inside.until, inside.ground) == (
        1,
        datetime.date(this_year + 6, 12, 31),
        "Kirjanpitolaki 2:10 §",
    )
    assert kept["Orders past their accounting period"].count == 1
    assert kept["Audit events"].count == AuditEvent.objects.filter(customer=customer).count()
    page = response.content.decode()
    assert "Kirjanpitolaki 2:10 §" in page
    # Not the name (the header shows the staff member's own, maybe the same surname).
    assert customer.surname not in page[page.index("<main") : page.index("</main>")]
    assert 'name="confirm"' in page


def test_an_open_invoice_refuses_the_erasure_and_nothing_changes(products):
    customer = make_customer(with_identity_code=True)
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 1)],
    )
    officer = signed_in(Role.PRIVACY_OFFICER)
    before = database_snapshot()

    response = officer.post(erase_url(customer), {"reason": REASON, "confirm": "on"})

    assert response.status_code == 409
    assert response.context["refusals"] == [
        f"Order {order.order_number} is on invoice and not completed or cancelled: its "
        "invoice may still be open."
    ]
    assert database_snapshot() == before
    assert "The customer was not erased, and nothing was changed" in response.content.decode()


def test_an_unsettled_return_refuses_the_erasure(products):
    customer = make_customer()
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    return_create(actor=SYSTEM, order=order, quantities={order.lines.get().pk: 1}, reason="Rikki")
    before = database_snapshot()

    with pytest.raises(erasure.ErasureRefused) as refused:
        erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    assert refused.value.refusals == [
        f"A return of order {order.order_number} is not settled: a refund may still be owed."
    ]
    assert database_snapshot() == before


def test_a_legal_hold_refuses_the_erasure_and_nothing_changes():
    customer = make_customer()
    hold = holds.legal_hold_place(
        actor=SYSTEM, customer=customer, reason="Riita-asia käräjäoikeudessa, asia L 26/1234"
    )
    officer = signed_in(Role.PRIVACY_OFFICER)
    before = database_snapshot()

    response = officer.post(erase_url(customer), {"reason": REASON, "confirm": "on"})

    placed = timezone.localtime(hold.placed_at).strftime("%d.%m.%Y")
    assert response.status_code == 409
    assert response.context["refusals"] == [
        f"A legal hold placed on {placed} is in force: lift it first if it has ended."
    ]
    assert database_snapshot() == before


def test_an_anonymised_customer_is_not_erased_again():
    customer = make_customer()
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    before = database_snapshot()

    with pytest.raises(erasure.ErasureRefused) as refused:
        erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    assert refused.value.refusals == ["The customer has already been anonymised."]
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"reason": "Pyyntö", "confirm": "on"},
            {"reason": ["Give the reason in at least 10 characters."]},
        ),
        ({"reason": REASON}, {"confirm": ["This field is required."]}),
    ],
)
def test_a_short_reason_or_no_confirmation_is_refused_and_nothing_changes(data, errors):
    customer = make_customer()
    officer = signed_in(Role.PRIVACY_OFFICER)
    before = database_snapshot()

    response = officer.post(erase_url(customer), data)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert database_snapshot() == before


@pytest.mark.parametrize("field", ["surname", "email", "phone", "identity_code"])
def test_a_reason_with_the_persons_own_data_is_refused_and_never_reaches_the_audit_log(field):
    code = random_identity_code()
    customer = make_customer(identity_code=code)
    mention = {
        "surname": customer.surname,
        "email": customer.email.upper(),
        "phone": fi.format_phone(customer.phone),
        "identity_code": random_identity_code(),  # any identity code at all
    }[field]
    officer = signed_in(Role.PRIVACY_OFFICER)
    before = database_snapshot()

    response = officer.post(
        erase_url(customer), {"reason": f"Pyyntö: {mention} soitti", "confirm": "on"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "reason": [
            "Do not write the customer's name, contact data or any identity code in the "
            "reason: it is kept in the audit log, which is never changed."
        ]
    }
    assert database_snapshot() == before
    assert code not in response.content.decode()


def test_a_request_of_another_customer_is_refused():
    customer, other = make_customer(), make_customer()
    request = subject_request_record(
        actor=SYSTEM,
        kind="erasure",
        received_via="email",
        received_at=timezone.now(),
        customer=other,
        name="Toinen Asiakas",
        verification_note="Soitettu takaisin ja tarkistettu",
    )

    with pytest.raises(ValidationError) as refused:
        erasure.customer_erase(
            actor=SYSTEM, customer=customer, subject_request=request, reason=REASON
        )

    assert refused.value.message_dict == {
        "subject_request": ["Choose a request of this customer's, of the right kind."]
    }
    customer.refresh_from_db()
    assert customer.status == Status.ACTIVE


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING])
def test_customer_service_and_marketing_cannot_erase_and_nothing_changes(role):
    customer = make_customer()
    client = signed_in(role)
    before = database_snapshot()
    audit_before = AuditEvent.objects.count()

    page = client.get(erase_url(customer))
    response = client.post(erase_url(customer), {"reason": REASON, "confirm": "on"})

    assert (page.status_code, response.status_code) == (403, 403)
    new_events = AuditEvent.objects.order_by("id")[audit_before:]
    assert [event.action for event in new_events] == [Action.PERMISSION_DENIED] * 2
    assert [row for row in database_snapshot() if row[0] != AuditEvent._meta.db_table] == [
        row for row in before if row[0] != AuditEvent._meta.db_table
    ]
    customer.refresh_from_db()
    assert customer.status == Status.ACTIVE


def test_the_customer_page_links_the_privacy_officer_to_the_erasure_only():
    customer = make_customer()
    detail = reverse("customers:detail", args=[customer.customer_number])

    officer_page = signed_in(Role.PRIVACY_OFFICER).get(detail).content.decode()
    service_page = signed_in(Role.CUSTOMER_SERVICE).get(detail).content.decode()

    assert erase_url(customer) in officer_page
    assert erase_url(customer) not in service_page
    assert reverse("privacy:legal_hold", args=[customer.customer_number]) not in service_page


def test_orders_are_minimised_on_their_own_and_again_changes_nothing(products):
    customer = make_customer()
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="email",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 2)],
        notes="Jätä oven taakse",
    )
    held = make_customer()
    held_order = order_create(
        actor=SYSTEM,
        customer=held,
        channel="email",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    holds.legal_hold_place(actor=SYSTEM, customer=held, reason="Viranomaisen pyyntö 2026/88")

    changed = erasure.orders_minimise(
        actor=SYSTEM, orders=Order.objects.filter(pk__in=[order.pk, held_order.pk])
    )
    again = erasure.orders_minimise(actor=SYSTEM, orders=Order.objects.filter(pk=order.pk))

    assert (changed, again) == (1, 0)
    order.refresh_from_db()
    assert (
        order.delivery_name,
        order.delivery_street_address,
        order.delivery_postal_code,
        order.delivery_post_office,
        order.notes,
        order.total_gross,
    ) == (f"Asiakas {customer.customer_number}", "", "", "", "", Decimal("179.80"))
    held_order.refresh_from_db()
    assert held_order.delivery_name == f"{held.first_names} {held.surname}"
    event = AuditEvent.objects.filter(object_type="orders.order", action=Action.UPDATE).get()
    assert (event.customer_id, event.reason, personal_text_decrypt(event)) == (
        customer.pk,
        "",
        "orders minimised: 1",
    )
    customer.refresh_from_db()
    assert customer.status == Status.ACTIVE


def test_the_request_page_link_preselects_the_erasure_request():
    customer = make_customer()
    request = subject_request_record(
        actor=SYSTEM,
        kind="erasure",
        received_via="phone",
        received_at=timezone.now(),
        customer=customer,
        name="Asiakas itse",
        verification_note="Soitettu takaisin rekisterissä olevaan numeroon",
    )

    response = signed_in(Role.PRIVACY_OFFICER).get(
        erase_url(customer), {"request": str(request.public_id)}
    )

    assert response.status_code == 200
    assert f'<option value="{request.public_id}" selected>' in response.content.decode()
