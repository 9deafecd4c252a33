"""The list of orders, newest first, a page at a time by order number."""

import pytest
from django.urls import reverse

from rekisteri.orders import views

pytestmark = pytest.mark.django_db


def test_the_list_shows_orders_newest_first(customer_service_client, place_order):
    first, second = place_order(), place_order(channel="email")

    response = customer_service_client.get(reverse("orders:list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert [o.order_number for o in response.context["orders"]] == [
        second.order_number,
        first.order_number,
    ]
    assert reverse("orders:detail", args=[first.order_number]) in body
    assert reverse("customers:detail", args=[first.customer.customer_number]) in body
    assert "203.80&nbsp;€" in body
    assert "Email" in body
    assert response.context["next_before"] is None


def test_the_list_pages_by_order_number_without_counting(
    customer_service_client, place_order, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "ORDER_PAGE_SIZE", 2)
    numbers = [place_order().order_number for _ in range(3)]

    with django_assert_max_num_queries(10) as queries:
        first_page = customer_service_client.get(reverse("orders:list"))
    second_page = customer_service_client.get(
        reverse("orders:list"), {"before": first_page.context["next_before"]}
    )

    assert [o.order_number for o in first_page.context["orders"]] == [numbers[2], numbers[1]]
    assert first_page.context["next_before"] == numbers[1]
    assert f"?before={numbers[1]}" in first_page.content.decode()
    assert [o.order_number for o in second_page.context["orders"]] == [numbers[0]]
    assert second_page.context["next_before"] is None
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def test_an_empty_list_says_so(customer_service_client):
    response = customer_service_client.get(reverse("orders:list"))

    assert "No orders yet." in response.content.decode()
