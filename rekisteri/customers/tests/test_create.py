"""Creating customers through the staff page (P1, P5, P7, P8, P10)."""

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers.models import Customer, CustomerNumberCounter
from rekisteri.running_numbers import running_numbers_last
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db


def valid_post(**overrides):
    data = {
        "surname": "Virtanen",
        "first_names": "Aino Maria",
        "street_address": "Kauppurienkatu 12 A 3",
        "postal_code": "90100",
        "post_office": "Oulu",
        "country": "FI",
        "phone": "040 123 4567",
        "email": "Aino.Virtanen@Example.fi",
        "preferred_language": "fi",
        "notes": "",
        "identity_code": "",
        "source": "phone",
    }
    data.update(overrides)
    return data


def test_it_creates_a_customer_with_normalised_data(customer_service_client):
    """Phone is stored in E.164, email in lower case; the source is recorded."""
    last_number = running_numbers_last(CustomerNumberCounter)

    response = customer_service_client.post(reverse("customers:create"), valid_post())

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.customer_number])
    assert customer.customer_number == last_number + 1
    assert (customer.surname, customer.first_names) == ("Virtanen", "Aino Maria")
    assert customer.phone == "+358401234567"
    assert customer.email == "aino.virtanen@example.fi"
    assert customer.source == "phone"
    assert customer.name_key == "virtanen aino maria"
    assert customer.version == 1
    assert not customer.has_identity_code


def test_it_records_the_creation_in_the_audit_log_without_values(customer_service_client):
    customer_service_client.post(reverse("customers:create"), valid_post())

    customer = Customer.objects.get()
    event = AuditEvent.objects.get(action=Action.CREATE)
    assert event.customer_id == customer.pk
    assert event.actor_label.startswith("staff")
    assert event.object_type == "customers.customer"
    assert event.object_id == str(customer.pk)
    assert event.changed_fields == sorted(
        [
            "surname",
            "first_names",
            "street_address",
            "postal_code",
            "post_office",
            "country",
            "phone",
            "email",
            "preferred_language",
            "source",
        ]
    )
    assert "Virtanen" not in str(event.__dict__)


def test_customer_numbers_run_in_sequence(customer_service_client):
    last_number = running_numbers_last(CustomerNumberCounter)

    for email in ("a@example.fi", "b@example.fi", "c@example.fi"):
        customer_service_client.post(reverse("customers:create"), valid_post(email=email, phone=""))

    assert list(Customer.objects.order_by("id").values_list("customer_number", flat=True)) == [
        last_number + 1,
        last_number + 2,
        last_number + 3,
    ]


def test_the_form_asks_no_identity_code_and_one_sent_anyway_is_not_stored(
    customer_service_client,
):
    """P8: the code is given with an invoice order (rekisteri/orders/tests/
    test_identity_code_entry.py), never with the customer alone."""
    page = customer_service_client.get(reverse("customers:create"), HTTP_ACCEPT_LANGUAGE="en")
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(identity_code=random_identity_code())
    )

    customer = Customer.objects.get()
    assert 'name="identity_code"' not in page.content.decode()
    assert "it is given with an invoice order" in page.content.decode()
    assert response.status_code == 302
    assert (customer.identity_code_encrypted, customer.identity_code_index) == ("", "")
    assert "identity_code" not in AuditEvent.objects.get(action=Action.CREATE).changed_fields


BAD_INPUT = [
    ("surname", "", "This field is required."),
    ("postal_code", "9010", "A Finnish postal code is five digits"),
    ("postal_code", "FI-90100", "A Finnish postal code is five digits"),
    ("phone", "123", "Enter a valid phone number"),
    ("phone", "040 123 45678 9", "Enter a valid phone number"),
    ("email", "aino.virtanen@", "Enter a valid email address"),
    ("email", "aino virtanen@example.fi", "Enter a valid email address"),
    ("country", "XX", "Select a valid choice"),
    ("preferred_language", "de", "Select a valid choice"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT, ids=lambda v: str(v)[:20])
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(
    customer_service_client, field, value, message
):
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(**{field: value}), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Customer.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.CREATE).exists()


def test_a_customer_needs_some_way_to_be_reached(customer_service_client):
    response = customer_service_client.post(
        reverse("customers:create"),
        valid_post(phone="", email="", street_address=""),
    )

    assert "at least one way to reach the customer" in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_foreign_address_keeps_its_own_postal_code_format(customer_service_client):
    customer_service_client.post(
        reverse("customers:create"),
        valid_post(
            country="SE", postal_code="113 51", post_office="Stockholm", phone="+46 70 123 45 67"
        ),
    )

    customer = Customer.objects.get()
    assert (customer.country.code, customer.postal_code) == ("SE", "113 51")
    assert customer.phone == "+46701234567"


@pytest.mark.parametrize("shared", ["email", "phone"])
def test_it_warns_of_a_likely_duplicate_and_links_to_it(customer_service_client, shared):
    code = random_identity_code()
    existing = make_customer(email="aino@example.fi", phone="+358401234567", identity_code=code)
    post = valid_post(email="other@example.fi", phone="050 765 4321")
    post[shared] = {"email": "AINO@example.fi", "phone": "040 123 4567"}[shared]

    response = customer_service_client.post(reverse("customers:create"), post)

    body = response.content.decode()
    assert response.status_code == 200
    assert "may already be in the register" in body
    assert reverse("customers:detail", args=[existing.customer_number]) in body
    assert Customer.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CREATE).count() == 1


def test_a_duplicate_is_created_when_staff_confirm_it_is_another_person(
    customer_service_client,
):
    make_customer(email="aino@example.fi")

    response = customer_service_client.post(
        reverse("customers:create"), valid_post(email="aino@example.fi", allow_duplicate="on")
    )

    assert response.status_code == 302
    assert Customer.objects.filter(email="aino@example.fi").count() == 2


@pytest.mark.parametrize("role", ["marketing", "administrator", "auditor", None])
def test_roles_without_the_permission_cannot_create_and_nothing_is_stored(client_as, role):
    client = client_as(role)

    response = client.post(reverse("customers:create"), valid_post())

    assert response.status_code == 403
    assert Customer.objects.count() == 0
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse("customers:create")
    assert denied.actor_type == "staff"


def test_messages_are_in_finnish_by_default(customer_service_client):
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(postal_code="123"), HTTP_ACCEPT_LANGUAGE="fi"
    )

    assert "Suomalainen postinumero on viisi numeroa" in response.content.decode()


def test_every_bad_field_is_reported_at_once(customer_service_client):
    response = customer_service_client.post(
        reverse("customers:create"),
        valid_post(postal_code="123", phone="12", email="aino@"),
    )

    errors = response.context["form"].errors
    assert set(errors) == {"postal_code", "phone", "email"}
    assert Customer.objects.count() == 0


FINNISH_MESSAGES = [
    ("surname", "", "Tämä kenttä on pakollinen."),
    ("first_names", "", "Tämä kenttä on pakollinen."),
    ("postal_code", "9010", "Suomalainen postinumero on viisi numeroa"),
    ("phone", "123", "Anna kelvollinen puhelinnumero"),
    ("email", "aino.virtanen@", "Anna kelvollinen sähköpostiosoite"),
    ("surname", "x" * 101, "Tämän arvon tulee olla enintään 100 merkkiä pitkä"),
]


@pytest.mark.parametrize(("field", "value", "message"), FINNISH_MESSAGES, ids=lambda v: str(v)[:20])
def test_bad_input_gets_its_message_in_finnish(customer_service_client, field, value, message):
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(**{field: value}), HTTP_ACCEPT_LANGUAGE="fi"
    )

    assert message in response.content.decode()
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "length"),
    [("surname", 100), ("first_names", 150), ("street_address", 200), ("post_office", 100)],
)
def test_overlong_values_are_refused(customer_service_client, field, length):
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(**{field: "a" * (length + 1)})
    )

    assert f"at most {length} characters" in response.content.decode()
    assert Customer.objects.count() == 0


def test_the_first_names_are_required(customer_service_client):
    response = customer_service_client.post(
        reverse("customers:create"), valid_post(first_names=" ")
    )

    assert response.context["form"].errors["first_names"] == ["This field is required."]
    assert Customer.objects.count() == 0
