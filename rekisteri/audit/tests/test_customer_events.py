"""The customer page's "who viewed and changed this customer" list."""

import datetime
import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action
from rekisteri.audit.selectors import customer_audit_events
from rekisteri.audit.services import Actor
from rekisteri.audit.tests.helpers import record, staff_actor
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


def rows(page: str) -> list[list[str]]:
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if "<td" in row
    ]


def test_it_lists_only_this_customers_events_newest_first():
    """Events of other customers, and events of no customer, are left out."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    customer, other = make_customer(), make_customer()
    record(staff_actor(user), Action.VIEW, customer=other)
    record(staff_actor(user), Action.SEARCH)
    viewed = record(staff_actor(user), Action.VIEW, customer=customer)
    revealed = record(staff_actor(user), Action.REVEAL, customer=customer, reason="Credit")

    events = customer_audit_events(customer_id=customer.pk)

    created = events[-1]
    assert created.action == Action.CREATE
    assert [event.pk for event in events] == [revealed.pk, viewed.pk, created.pk]


def test_it_shows_at_most_the_limit():
    """The customer page shows the latest events, not the whole history."""
    customer = make_customer()
    latest = [record(Actor.system("test"), Action.VIEW, customer=customer) for _ in range(4)]

    events = customer_audit_events(customer_id=customer.pk, limit=2)

    assert [event.pk for event in events] == [latest[3].pk, latest[2].pk]


def test_the_partial_shows_time_actor_action_changed_fields_and_reason():
    """Each row says when, who, what, which fields and why, in local time."""
    user = make_staff(Role.PRIVACY_OFFICER, username="pirkko.tietosuoja")
    customer = make_customer()
    record(
        staff_actor(user),
        Action.UPDATE,
        customer=customer,
        at=datetime.datetime(2026, 7, 1, 9, 30, tzinfo=datetime.UTC),
        changed_fields=["street_address", "postal_code"],
        reason="Moved house",
    )

    with translation.override("en"):
        page = render_to_string(
            "audit/_customer_events.html",
            {"events": customer_audit_events(customer_id=customer.pk)},
        )

    assert rows(page)[0] == [
        "1.7.2026 12:30:00",  # Helsinki is UTC+3 in July
        "pirkko.tietosuoja",
        "Update",
        "postal_code, street_address",
        "Moved house",
    ]
    assert rows(page)[1][1:3] == ["test (System)", "Create"]


def test_the_partial_says_when_there_is_nothing_to_show():
    with translation.override("en"):
        page = render_to_string("audit/_customer_events.html", {"events": []})

    assert "No one has viewed or changed this customer yet." in page
    assert "<table>" not in page
