"""The merge pages: two records side by side, a choice for each value that differs, and
the merge; refusals that change nothing (issue 19)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Status
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.tests.unchanged import database_state

pytestmark = pytest.mark.django_db


def merge_url(kept: Customer, other: Customer) -> str:
    return reverse("customers:merge", args=[kept.customer_number, other.customer_number])


def aino(*, email: str, post_office: str = "Oulu") -> Customer:
    return make_customer(
        surname="Virtanen",
        first_names="Aino",
        street_address="Isokatu 3",
        postal_code="90100",
        post_office=post_office,
        phone="0401234567",
        email=email,
    )


def a_pair(*, post_office: str = "Oulu") -> tuple[Customer, Customer]:
    """Two records of Aino Virtanen: an older one by phone, a newer one from the shop
    with another email."""
    kept = aino(email="aino.virtanen@example.fi")
    return kept, aino(email="aino.v@example.fi", post_office=post_office)


def an_order(customer: Customer) -> Order:
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Hylly", "unit_price": Decimal("89.90")}
    )
    return order_create(
        actor=Actor.system("test"),
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )


def merge_post(kept: Customer, other: Customer, **choices: str) -> dict[str, object]:
    return {"kept_version": kept.version, "other_version": other.version, **choices}


class NothingChanged:
    """The database as it was, but for the audit events of the page's views."""

    def __init__(self) -> None:
        self.state = database_state()
        self.last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    def check(self, *, allowed: set[str]) -> None:
        after = database_state()
        assert sorted(label for label in after if after[label] != self.state[label]) == []
        new = AuditEvent.objects.filter(id__gt=self.last_id or 0)
        assert set(new.values_list("action", flat=True)) <= allowed


def test_the_page_shows_both_records_side_by_side_with_a_choice_where_they_differ(
    customer_service_client,
):
    kept, other = a_pair()
    an_order(other)

    response = customer_service_client.get(merge_url(kept, other))

    assert response.status_code == 200
    body = response.content.decode()
    assert "aino.virtanen@example.fi" in body
    assert "aino.v@example.fi" in body
    form = response.context["form"]
    assert [choice.name for choice in form.differing] == ["email"]
    assert form["email"].value() == "kept"
    assert 'name="surname"' not in body  # the same on both: nothing to choose
    assert merge_url(other, kept) in body  # swap which is kept
    assert "Orders: 1" in body
    assert "Merge the records" in body
    views = AuditEvent.objects.filter(action=Action.VIEW).values_list("customer_id", flat=True)
    assert sorted(views) == sorted([kept.pk, other.pk])


def test_merging_keeps_the_chosen_values_and_moves_the_orders(customer_service_client):
    kept, other = a_pair(post_office="Kempele")
    order = an_order(other)

    response = customer_service_client.post(
        merge_url(kept, other), merge_post(kept, other, email="other", post_office="kept")
    )

    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[kept.customer_number])
    kept.refresh_from_db()
    other.refresh_from_db()
    order.refresh_from_db()
    assert (kept.email, kept.post_office, kept.phone) == (
        "aino.v@example.fi",
        "Oulu",
        "+358401234567",
    )
    assert (other.status, other.merged_into_id, other.email) == (Status.MERGED, kept.pk, "")
    assert order.customer_id == kept.pk
    (merge_event,) = [
        event
        for event in AuditEvent.objects.filter(action=Action.UPDATE, customer=kept)
        if "merged_records" in event.changed_fields
    ]
    assert "email" in merge_event.changed_fields
    assert "post_office" not in merge_event.changed_fields
    assert merge_event.actor_type == "staff"
    page = customer_service_client.get(response.url)
    assert f"Customer {other.customer_number} was merged into this customer." in (
        page.content.decode()
    )


def test_the_merged_away_number_leads_to_the_kept_customer(customer_service_client):
    kept, other = a_pair()
    merged = customer_service_client.post(
        merge_url(kept, other), merge_post(kept, other, email="kept")
    )
    assert merged.status_code == 302, merged.content.decode()

    response = customer_service_client.get(
        reverse("customers:detail", args=[other.customer_number]), follow=True
    )

    assert response.redirect_chain == [
        (reverse("customers:detail", args=[kept.customer_number]), 302)
    ]
    assert response.context["customer"].pk == kept.pk
    assert (
        f"Customer {other.customer_number} was merged into customer {kept.customer_number}."
        in response.content.decode()
    )


def test_identity_codes_that_differ_block_the_merge_and_a_post_changes_nothing(
    customer_service_client,
):
    kept = make_customer(identity_code=random_identity_code(), email="koodi1@example.fi")
    other = make_customer(identity_code=random_identity_code(), email="koodi2@example.fi")

    page = customer_service_client.get(merge_url(kept, other))

    body = page.content.decode()
    assert "These records cannot be merged" in body
    assert "different identity codes" in body
    assert "Merge the records" not in body
    unchanged = NothingChanged()
    refused = customer_service_client.post(
        merge_url(kept, other), merge_post(kept, other, email="other")
    )

    assert refused.status_code == 400
    assert "different identity codes" in refused.content.decode()
    unchanged.check(allowed={Action.VIEW})


def test_a_record_changed_meanwhile_refuses_the_merge_and_the_page_shows_it_anew(
    customer_service_client,
):
    kept, other = a_pair()
    stale = merge_post(kept, other, email="other")
    Customer.objects.filter(pk=other.pk).update(version=other.version + 1)
    unchanged = NothingChanged()

    response = customer_service_client.post(merge_url(kept, other), stale)

    assert response.status_code == 400
    assert "was changed after you opened the merge" in response.content.decode()
    unchanged.check(allowed={Action.VIEW})
    # The page shows the records as they are now, with the choice made kept.
    form = response.context["form"]
    assert (form["other_version"].value(), form["email"].value()) == (other.version + 1, "other")
    again = customer_service_client.post(
        merge_url(kept, other), {**stale, "other_version": other.version + 1}
    )
    assert again.status_code == 302


def test_a_choice_outside_the_two_records_is_a_form_error(customer_service_client):
    kept, other = a_pair()
    unchanged = NothingChanged()

    response = customer_service_client.post(
        merge_url(kept, other), merge_post(kept, other, email="third")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    unchanged.check(allowed={Action.VIEW})


def test_marketing_may_not_merge_and_nothing_changes(client_as):
    kept, other = a_pair()
    marketing = client_as(Role.MARKETING)
    unchanged = NothingChanged()

    response = marketing.post(merge_url(kept, other), merge_post(kept, other, email="other"))

    assert response.status_code == 403
    unchanged.check(allowed={Action.PERMISSION_DENIED})
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_the_auditor_may_not_open_the_merge_page(client_as):
    kept, other = a_pair()
    auditor = client_as(Role.AUDITOR)
    unchanged = NothingChanged()

    response = auditor.get(merge_url(kept, other))

    assert response.status_code == 403
    assert "aino.v@example.fi" not in response.content.decode()
    unchanged.check(allowed={Action.PERMISSION_DENIED})


def test_merge_with_another_record_asks_the_number_and_opens_the_merge(
    customer_service_client,
):
    kept, other = a_pair()
    url = reverse("customers:merge_start", args=[kept.customer_number])

    page = customer_service_client.get(url)
    response = customer_service_client.get(url, {"other": other.customer_number})

    assert page.status_code == 200
    assert [pair.other.pk for pair in page.context["pairs"]] == [other.pk]
    assert response.status_code == 302
    assert response.url == merge_url(kept, other)


@pytest.mark.parametrize("number", ["99999", "self"])
def test_merge_with_another_record_refuses_an_unknown_or_the_same_number(
    customer_service_client, number
):
    kept, _other = a_pair()
    url = reverse("customers:merge_start", args=[kept.customer_number])

    response = customer_service_client.get(
        url, {"other": kept.customer_number if number == "self" else number}
    )

    assert response.status_code == 400
    assert "Give the number of another customer" in response.content.decode()
