"""The audit log page: who may see it, its filters and its pages."""

from __future__ import annotations

import datetime
import html
import re
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.tests.helpers import record, staff_actor
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db

LOG_URL = "/audit/"
HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def shown_ids(response) -> list[int]:
    """The id of each event row on the page, top to bottom."""
    return [int(pk) for pk in re.findall(r'<tr id="event-(\d+)"', response.content.decode())]


def older_link(response) -> str | None:
    found = re.search(r'<a href="([^"]*)" rel="next">', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def test_the_url_is_audit_log():
    assert reverse("audit:log") == LOG_URL


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_privacy_officers_and_auditors_see_the_log(client_as, role):
    """Both roles with audit.view_auditevent get the page with every event on it."""
    first = record(Actor.system("retention"), Action.ERASE)
    second = record(Actor.system("retention"), Action.EXPORT)

    response = client_as(role).get(LOG_URL)

    assert response.status_code == 200
    assert shown_ids(response) == [second.pk, first.pk]


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.ADMINISTRATOR, None])
def test_other_staff_are_refused_and_the_attempt_is_audited(client_as, role):
    """Without audit.view_auditevent: 403, no events shown, one permission_denied event."""
    record(Actor.system("retention"), Action.ERASE, reason="Secret reason")
    client = client_as(role)
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.get(LOG_URL, {"action": Action.ERASE}, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 403
    assert b"Secret reason" not in response.content
    user = response.wsgi_request.user
    new_events = list(AuditEvent.objects.filter(id__gt=last_id))
    assert len(new_events) == 1
    denied = new_events[0]
    assert denied.action == Action.PERMISSION_DENIED
    assert denied.actor_type == ActorType.STAFF
    assert denied.actor_user_id == user.pk
    assert denied.actor_label == user.username
    assert denied.object_type == "url"
    assert denied.object_id == LOG_URL
    assert denied.customer_id is None
    assert denied.changed_fields == []
    assert denied.reason == ""
    assert denied.ip_address == "198.51.100.7"
    assert denied.request_id == response["X-Request-ID"]


def test_anonymous_visitors_are_sent_to_sign_in():
    """No session: a redirect to the login page, and nothing about events leaks."""
    response = Client().get(LOG_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={LOG_URL}"


def test_the_columns_show_the_event(privacy_officer_client):
    """Local time, actor, translated action, object, linked customer number and the rest."""
    user = make_staff(Role.CUSTOMER_SERVICE, username="aino.asiakaspalvelu")
    customer = make_customer()
    event = record(
        staff_actor(user),
        Action.UPDATE,
        customer=customer,
        at=datetime.datetime(2026, 3, 10, 10, 0, 5, tzinfo=datetime.UTC),
        obj=customer,
        changed_fields=["phone", "email"],
        reason="Customer called",
    )

    response = privacy_officer_client.get(
        LOG_URL, {"customer": customer.customer_number}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(rf'<tr id="event-{event.pk}">(.*?)</tr>', page, re.DOTALL)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)
    ]
    assert cells == [
        "10.3.2026 12:00:05",  # Helsinki is UTC+2 in March
        "aino.asiakaspalvelu",
        "Update",
        f"customers.customer {customer.pk}",
        str(customer.customer_number),
        "email, phone",
        "Customer called",
        "192.0.2.10",
        "req-0123…",
    ]
    detail = reverse("customers:detail", kwargs={"customer_number": customer.customer_number})
    assert f'<a href="{detail}">{customer.customer_number}</a>' in row.group(1)


def test_it_filters_by_customer_number(privacy_officer_client):
    """Only the events of that customer, newest first."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    customer, other = make_customer(), make_customer()
    created = AuditEvent.objects.get(customer=customer, action=Action.CREATE)
    viewed = record(staff_actor(user), Action.VIEW, customer=customer)
    record(staff_actor(user), Action.VIEW, customer=other)
    updated = record(staff_actor(user), Action.UPDATE, customer=customer)

    response = privacy_officer_client.get(LOG_URL, {"customer": customer.customer_number})

    assert shown_ids(response) == [updated.pk, viewed.pk, created.pk]


def test_it_filters_by_actor_username(privacy_officer_client):
    """Only what that staff member did."""
    aino, eino = make_staff(Role.CUSTOMER_SERVICE), make_staff(Role.CUSTOMER_SERVICE)
    first = record(staff_actor(aino), Action.SEARCH)
    record(staff_actor(eino), Action.SEARCH)
    second = record(staff_actor(aino), Action.VIEW)

    response = privacy_officer_client.get(LOG_URL, {"actor": aino.username})

    assert shown_ids(response) == [second.pk, first.pk]


def test_it_filters_by_action(privacy_officer_client):
    """Only events of the chosen action."""
    actor = Actor.system("test")
    first = record(actor, Action.REVEAL, reason="Credit decision")
    record(actor, Action.VIEW)
    second = record(actor, Action.REVEAL, reason="Debt collection")

    response = privacy_officer_client.get(LOG_URL, {"action": Action.REVEAL})

    assert shown_ids(response) == [second.pk, first.pk]


def test_the_date_range_is_whole_days_in_helsinki_time_both_ends_included(
    privacy_officer_client,
):
    """since=10 and until=11 March cover 10 March 00:00 to 11 March 23:59:59 local."""
    actor = Actor.system("test")

    def at(day: int, hour: int, minute: int = 0, second: int = 0) -> AuditEvent:
        moment = datetime.datetime(2026, 3, day, hour, minute, second, tzinfo=HELSINKI)
        return record(actor, Action.VIEW, at=moment)

    at(9, 23, 59, 59)
    first_inside = at(10, 0)
    last_inside = at(11, 23, 59, 59)
    at(12, 0)

    response = privacy_officer_client.get(LOG_URL, {"since": "2026-03-10", "until": "2026-03-11"})

    assert response.status_code == 200
    assert shown_ids(response) == [last_inside.pk, first_inside.pk]


def test_one_day_range_and_filters_combine(privacy_officer_client):
    """Filters narrow each other down; since and until may be the same day."""
    aino = make_staff(Role.CUSTOMER_SERVICE)
    day = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=HELSINKI)
    wanted = record(staff_actor(aino), Action.UPDATE, at=day)
    record(staff_actor(aino), Action.VIEW, at=day)
    record(staff_actor(aino), Action.UPDATE, at=day + datetime.timedelta(days=1))
    record(Actor.system("test"), Action.UPDATE, at=day)

    response = privacy_officer_client.get(
        LOG_URL,
        {
            "actor": aino.username,
            "action": Action.UPDATE,
            "since": "2026-06-01",
            "until": "2026-06-01",
        },
    )

    assert shown_ids(response) == [wanted.pk]


def test_it_pages_back_with_an_older_events_link(privacy_officer_client, settings):
    """Pages follow the id (keyset), keep the filters, and the last page has no link."""
    settings.AUDIT_PAGE_SIZE = 2
    actor = Actor.system("test")
    events = [record(actor, Action.EXPORT) for _ in range(5)]
    record(actor, Action.VIEW)
    newest_first = [event.pk for event in reversed(events)]

    first = privacy_officer_client.get(LOG_URL, {"action": Action.EXPORT})
    assert shown_ids(first) == newest_first[0:2]
    second = privacy_officer_client.get(older_link(first))
    assert shown_ids(second) == newest_first[2:4]
    third = privacy_officer_client.get(older_link(second))
    assert shown_ids(third) == newest_first[4:5]
    assert older_link(third) is None
    assert older_link(first) == f"{LOG_URL}?action=export&before={newest_first[1]}"


def test_an_exactly_full_last_page_has_no_older_link(privacy_officer_client, settings):
    """The page fetches one row more than it shows, so it never offers an empty page."""
    settings.AUDIT_PAGE_SIZE = 2
    actor = Actor.system("test")
    events = [record(actor, Action.EXPORT) for _ in range(2)]

    response = privacy_officer_client.get(LOG_URL, {"action": Action.EXPORT})

    assert shown_ids(response) == [events[1].pk, events[0].pk]
    assert older_link(response) is None


def test_the_page_never_counts_rows_and_its_queries_do_not_grow(privacy_officer_client):
    """Keyset paging: no COUNT(*), and as many queries for 30 events as for 3."""
    actor = Actor.system("test")
    customer = make_customer()

    def queries_for_page() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = privacy_officer_client.get(LOG_URL)
        assert response.status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    queries_for_page()  # the session's first request checks the pledge once
    for _ in range(3):
        record(actor, Action.VIEW, customer=customer)
    few = queries_for_page()
    for _ in range(27):
        record(actor, Action.VIEW, customer=customer)
    many = queries_for_page()

    assert len(many) == len(few)
    assert not [sql for sql in many if "COUNT(" in sql.upper()]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"customer": "abc"}, "Enter a whole number."),
        ({"customer": "99999999"}, "No customer has the number 99999999."),
        ({"customer": "9" * 30}, "Ensure this value is less than or equal to"),
        ({"actor": "nobody-here"}, "No staff member has the username nobody-here."),
        ({"action": "delete_everything"}, "Select a valid choice."),
        ({"since": "31.2.2026"}, "Enter a valid date."),
        ({"since": "2026-03-12", "until": "2026-03-10"}, "The end date is before the start date."),
        ({"before": "-1"}, "Ensure this value is greater than or equal to 1."),
        ({"before": "x"}, "Enter a whole number."),
    ],
)
def test_an_invalid_filter_gives_a_clear_error_and_no_events(
    privacy_officer_client, query, message
):
    """The page explains what is wrong and shows no unfiltered events instead."""
    record(Actor.system("test"), Action.VIEW)

    response = privacy_officer_client.get(LOG_URL, query, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert 'role="alert"' in response.content.decode()
    assert shown_ids(response) == []


def test_viewing_the_log_writes_nothing_to_it(privacy_officer_client):
    """Reading the log is not itself an event: the chain does not grow."""
    record(Actor.system("test"), Action.VIEW)
    count_before = AuditEvent.objects.count()

    privacy_officer_client.get(LOG_URL)

    assert AuditEvent.objects.count() == count_before
