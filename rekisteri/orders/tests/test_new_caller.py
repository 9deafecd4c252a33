"""A phone or email order from a caller who is not in the register: the customer is
created inside the order flow, with the customer page's checks and duplicate warning
(P1, P5, P10), and staff go straight on to the order form for them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db

NEW_CALLER = {
    "surname": "Kettunen",
    "first_names": "Alvar",
    "street_address": "Pakkahuoneenkatu 8",
    "postal_code": "90100",
    "post_office": "Oulu",
    "country": "FI",
    "phone": "040 7654 321",
    "email": "alvar.kettunen@example.fi",
    "preferred_language": "fi",
    "notes": "",
    "source": "phone",
}


def test_a_search_that_finds_no_one_opens_the_new_customers_form_with_the_name(
    customer_service_client,
):
    make_customer(surname="Nieminen")

    response = customer_service_client.post(
        reverse("orders:create_find"), {"q": "Kettunen Alvar"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "No customer matches the search." in body
    form = response.context["new_caller"]
    assert (form["surname"].value(), form["first_names"].value()) == ("Kettunen", "Alvar")
    assert 'id="new-caller" hx-swap-oob="true"' in body
    assert f'action="{reverse("orders:create_new_caller")}"' in body
    assert "identity_code" not in form.fields
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("search", "field", "value"),
    [("040 7654 321", "phone", "040 7654 321"), ("a.k@example.fi", "email", "a.k@example.fi")],
)
def test_a_phone_or_email_searched_for_starts_the_form(
    customer_service_client, search, field, value
):
    response = customer_service_client.post(reverse("orders:create_find"), {"q": search})

    assert response.context["new_caller"][field].value() == value


def test_a_search_with_results_offers_the_new_customer_step_as_a_link(customer_service_client):
    make_customer(surname="Kettunen")

    response = customer_service_client.post(reverse("orders:create_find"), {"q": "kettunen"})

    assert response.context["new_caller"] is None
    assert reverse("orders:create_new_caller") in response.content.decode()


def test_saving_the_new_caller_creates_the_customer_and_opens_their_order_form(
    customer_service_client,
):
    response = customer_service_client.post(reverse("orders:create_new_caller"), NEW_CALLER)

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:create", args=[customer.customer_number])
    assert (customer.surname, customer.phone, customer.source) == (
        "Kettunen",
        "+358407654321",
        "phone",
    )
    assert not customer.has_identity_code
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="customers.customer")
    assert event.customer_id == customer.pk
    assert not Order.objects.exists()
    page = customer_service_client.get(response["Location"])
    assert "Now record the order." in page.content.decode()
    assert page.context["form"].fields["channel"].widget.attrs["autofocus"] is True


def test_bad_input_shows_the_customer_pages_errors_and_stores_nothing(customer_service_client):
    data = {**NEW_CALLER, "surname": "Kettunen 🙂", "postal_code": "9010", "email": "ei osoite"}

    response = customer_service_client.post(reverse("orders:create_new_caller"), data)

    form = response.context["new_caller"]
    assert response.status_code == 400
    assert set(form.errors) == {"surname", "postal_code", "email"}
    assert form.errors["postal_code"] == ["A Finnish postal code is five digits, such as 90650."]
    assert form.fields["surname"].widget.attrs["autofocus"] is True
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CREATE).exists()


def test_no_way_to_reach_the_caller_is_refused_as_on_the_customer_page(customer_service_client):
    data = {**NEW_CALLER, "phone": "", "email": "", "street_address": ""}

    response = customer_service_client.post(reverse("orders:create_new_caller"), data)

    assert response.status_code == 400
    assert response.context["new_caller"].errors["phone"] == [
        "Give at least one way to reach the customer: phone, email or full address."
    ]
    assert not Customer.objects.exists()


def test_a_likely_duplicate_is_warned_of_with_an_order_link_and_created_only_when_ticked(
    customer_service_client,
):
    existing = make_customer(phone="0407654321")

    response = customer_service_client.post(reverse("orders:create_new_caller"), NEW_CALLER)

    body = response.content.decode()
    assert response.status_code == 200
    assert "This customer may already be in the register." in body
    assert response.context["duplicates"] == [existing]
    assert reverse("orders:create", args=[existing.customer_number]) in body
    assert response.context["new_caller"].fields["allow_duplicate"].widget.attrs["autofocus"]
    assert Customer.objects.count() == 1

    response = customer_service_client.post(
        reverse("orders:create_new_caller"), {**NEW_CALLER, "allow_duplicate": "on"}
    )

    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_a_role_that_cannot_create_customers_is_refused_and_nothing_changes(client):
    """Taking orders does not by itself let one add people to the register."""
    user = make_staff(None)
    user.user_permissions.add(
        Permission.objects.get(codename="add_order", content_type__app_label="orders"),
        Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )
    staff = sign_in(user)
    events_before = list(AuditEvent.objects.values_list("id", flat=True))

    refused = staff.post(reverse("orders:create_new_caller"), NEW_CALLER)
    found = staff.post(reverse("orders:create_find"), {"q": "Kettunen Alvar"})

    assert refused.status_code == 403
    assert not Customer.objects.exists()
    assert (
        list(
            AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).values_list("id", flat=True)
        )
        == events_before
    )
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
    assert found.status_code == 200
    assert found.context["new_caller"] is None
    assert reverse("orders:create_new_caller") not in found.content.decode()
