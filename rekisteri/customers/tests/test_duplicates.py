"""Likely duplicates: the list customer service reviews, and the customer page's own
possible duplicates (issue 19)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers import duplicates
from rekisteri.customers.duplicates import Reason, duplicate_pairs
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db

URL = reverse("customers:duplicates")


def pair_rows(response) -> list[tuple[int, int, str]]:
    """(kept number, other number, reasons) of each row of the list, as shown."""
    rows = []
    for pair in response.context["page"].pairs:
        reasons = ", ".join(str(reason.label) for reason in pair.reasons)
        rows.append((pair.kept.customer_number, pair.other.customer_number, reasons))
    return rows


def merge_link(kept: Customer, other: Customer) -> str:
    return reverse("customers:merge", args=[kept.customer_number, other.customer_number])


def test_pairs_by_email_phone_and_name_and_address_are_listed_with_why(
    customer_service_client,
):
    by_email = make_customer(email="aino.virtanen@example.fi")
    by_email_too = make_customer(email="Aino.Virtanen@EXAMPLE.fi")
    by_phone = make_customer(phone="040 111 2233")
    by_phone_too = make_customer(phone="+358401112233")
    at_home = make_customer(
        surname="Mäkelä", first_names="Eero", street_address="Isokatu 3 B", postal_code="90100"
    )
    at_home_too = make_customer(
        surname="MÄKELÄ", first_names="eero", street_address="isokatu 3 b", postal_code="90100"
    )
    unrelated = make_customer(surname="Mäkelä", first_names="Eero", postal_code="90500")

    response = customer_service_client.get(URL)

    assert response.status_code == 200
    assert pair_rows(response) == [
        (at_home.customer_number, at_home_too.customer_number, "same name and address"),
        (by_phone.customer_number, by_phone_too.customer_number, "same phone"),
        (by_email.customer_number, by_email_too.customer_number, "same email"),
    ]
    body = response.content.decode()
    assert merge_link(by_email, by_email_too) in body
    assert re.search(rf"\b{unrelated.customer_number}\b", body) is None
    assert "Same name and address" in body


def test_a_shared_identity_code_is_named_but_never_shown(customer_service_client):
    code = random_identity_code()
    first = make_customer(identity_code=code)
    second = make_customer(identity_code=code)

    response = customer_service_client.get(URL)

    assert pair_rows(response) == [
        (first.customer_number, second.customer_number, "same identity code")
    ]
    body = response.content.decode()
    assert "Same identity code" in body
    assert code not in body
    assert first.identity_code_index not in body


def test_one_pair_matching_several_ways_is_one_row_with_every_reason(customer_service_client):
    first = make_customer(email="sama@example.fi", phone="0401234000")
    second = make_customer(email="sama@example.fi", phone="0401234000")

    response = customer_service_client.get(URL)

    assert pair_rows(response) == [
        (first.customer_number, second.customer_number, "same email, same phone")
    ]


def test_erased_and_merged_away_customers_are_not_duplicates(customer_service_client):
    make_customer(email="poistettu@example.fi")
    erased = make_customer(email="poistettu@example.fi")
    Customer.objects.filter(pk=erased.pk).update(status=Status.ANONYMISED)

    response = customer_service_client.get(URL)

    assert pair_rows(response) == []
    assert "No likely duplicates" in response.content.decode()


def test_a_group_of_three_gives_the_oldest_with_each_other():
    oldest, middle, newest = (make_customer(phone="0405550001") for _ in range(3))

    page = duplicate_pairs(before=None, limit=10)

    assert [(p.kept.pk, p.other.pk) for p in page.pairs] == [
        (oldest.pk, newest.pk),
        (oldest.pk, middle.pk),
    ]


def test_the_list_pages_by_groups_newest_first_in_a_fixed_number_of_queries():
    groups = [[make_customer(email=f"ryhma{n}@example.fi") for _ in range(2)] for n in range(5)]

    with CaptureQueriesContext(connection) as queries:
        first = duplicate_pairs(before=None, limit=3)
    second = duplicate_pairs(before=first.next_cursor, limit=3)

    newest_first = [group[1].customer_number for group in reversed(groups)]
    assert [p.other.customer_number for p in first.pairs] == newest_first[:3]
    assert first.next_cursor == newest_first[2]
    assert [p.other.customer_number for p in second.pairs] == newest_first[3:]
    assert second.next_cursor is None
    # A GROUP BY per kind of match, the oldest of the groups, the members of a kind.
    assert len(queries) == len(Reason) + 2


def test_a_huge_group_shows_some_records_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(duplicates, "OTHERS_PER_GROUP", 2)
    made = [make_customer(phone="0405550002") for _ in range(5)]

    page = duplicate_pairs(before=None, limit=10)

    assert [(p.other.pk, p.more) for p in page.pairs] == [(made[4].pk, 0), (made[3].pk, 2)]


def test_the_customer_page_shows_its_possible_duplicates(customer_service_client):
    customer = make_customer(email="jussi.kallio@example.fi")
    twin = make_customer(email="jussi.kallio@example.fi")
    make_customer()

    response = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    )

    assert [(p.other.pk, p.reasons) for p in response.context["duplicates"]] == [
        (twin.pk, [Reason.EMAIL])
    ]
    body = response.content.decode()
    assert "Possible duplicates of this customer" in body
    assert merge_link(customer, twin) in body
    assert reverse("customers:merge_start", args=[customer.customer_number]) in body


def test_marketing_may_not_see_the_list_and_it_is_recorded(client_as):
    make_customer(email="sama2@example.fi")
    make_customer(email="sama2@example.fi")

    response = client_as("marketing").get(URL)

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()
