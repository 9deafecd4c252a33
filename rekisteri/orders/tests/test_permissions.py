"""Only customer service and the privacy officer work with orders and products (P13).
Every other role is refused with 403, the refusal is audited, and nothing changes."""

from typing import Any

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.orders.models import Delivery, Order, OrderLine, Product, Return
from rekisteri.orders.services import delivery_create, return_create
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
REFUSED_ROLES = [Role.MARKETING, Role.ADMINISTRATOR, Role.AUDITOR]
MODELS = (Order, OrderLine, Delivery, Return, Product)

# url name: (method, data); the arguments come from the order made in each test.
REQUESTS = {
    "orders:list": ("get", {}),
    "orders:create_find": ("post", {"q": "Virtanen"}),
    "orders:create": ("post", {"channel": "phone", "payment_method": "invoice"}),
    "orders:detail": ("get", {}),
    "orders:status": ("post", {"status": "confirmed", "version": "1"}),
    "orders:delivery_add": ("post", {"carrier": "posti", "tracking_code": "JJFI1"}),
    "orders:delivery_status": ("post", {"status": "shipped"}),
    "orders:return_add": ("post", {"reason": "Rikki"}),
    "orders:return_status": ("post", {"status": "received"}),
    "orders:product_list": ("get", {}),
    "orders:product_create": (
        "post",
        {"sku": "UUSI-1", "name": "Uusi", "unit_price": "1.00", "vat_rate": "25.5"},
    ),
    "orders:product_edit": (
        "post",
        {"sku": "HYL-120", "name": "Halpa", "unit_price": "1.00", "vat_rate": "25.5"},
    ),
    "orders:product_lookup": ("get", {"sku": "HYL-120"}),
}


def url_of(name, order, products):
    delivery, return_request = order.deliveries.get(), order.returns.get()
    kwargs = {
        "orders:create": {"customer_number": order.customer.customer_number},
        "orders:detail": {"order_number": order.order_number},
        "orders:status": {"order_number": order.order_number},
        "orders:delivery_add": {"order_number": order.order_number},
        "orders:delivery_status": {"order_number": order.order_number, "delivery_id": delivery.pk},
        "orders:return_add": {"order_number": order.order_number},
        "orders:return_status": {
            "order_number": order.order_number,
            "return_id": return_request.pk,
        },
        "orders:product_edit": {"pk": products[0].pk},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def order(place_order):
    order = place_order(make_customer(surname="Virtanen"))
    delivery_create(actor=ACTOR, order=order, carrier="matkahuolto")
    return_create(
        actor=ACTOR, order=order, quantities={order.lines.first().pk: 1}, reason="Väärä väri"
    )
    return order


def snapshot() -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS
    }
    rows["events"] = list(
        AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).values_list("id", flat=True)
    )
    return rows


@pytest.mark.parametrize("role", REFUSED_ROLES)
@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_role_without_order_permissions_is_refused_and_nothing_changes(
    client_as, order, products, role, name
):
    method, data = REQUESTS[name]
    url = url_of(name, order, products)
    before = snapshot()

    response = getattr(client_as(role), method)(url, data)

    assert response.status_code == 403
    assert snapshot() == before
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert (denied.object_type, denied.object_id) == ("url", url[:64])


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_an_anonymous_visitor_is_sent_to_sign_in(client, order, products, name):
    method, data = REQUESTS[name]
    before = snapshot()

    response = getattr(client, method)(url_of(name, order, products), data)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER])
@pytest.mark.parametrize("name", ["orders:list", "orders:detail", "orders:product_list"])
def test_customer_service_and_the_privacy_officer_see_orders(
    client_as, order, products, role, name
):
    response = client_as(role).get(url_of(name, order, products))

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).exists()
