"""A staff member sees their own signed-in sessions and ends the others; confirming it
is them again gives the session a new id."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from rekisteri.accounts.models import StaffSession
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import SESSION_AUTH_AT
from rekisteri.audit.models import AuditEvent
from rekisteri.testing.auth import english_client
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

URL = "/accounts/sessions/"
LOGIN = "/accounts/login/"


def signed_in(user, address: str = "127.0.0.1"):
    client = english_client()
    client.defaults["REMOTE_ADDR"] = address
    client.defaults["HTTP_USER_AGENT"] = f"Testiselain {address}"
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_sessions_page_lists_the_staff_members_own_sessions_only():
    user = make_staff(Role.CUSTOMER_SERVICE)
    here = signed_in(user, "192.0.2.1")
    signed_in(user, "192.0.2.2")
    signed_in(make_staff(Role.MARKETING), "192.0.2.9")

    response = here.get(URL)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row.record.ip_address, row.current) for row in rows] == [
        ("192.0.2.1", True),
        ("192.0.2.2", False),
    ]
    page = response.content.decode()
    assert "Testiselain 192.0.2.2" in page and "192.0.2.9" not in page
    # No session key is stored, only its digest.
    keys = set(Session.objects.values_list("session_key", flat=True))
    stored = set(StaffSession.objects.values_list("session_key_hash", flat=True))
    assert not keys & stored


def test_ending_another_session_signs_that_browser_out_and_is_audited():
    user = make_staff(Role.CUSTOMER_SERVICE)
    here = signed_in(user, "192.0.2.1")
    there = signed_in(user, "192.0.2.2")
    stranger = signed_in(make_staff(Role.CUSTOMER_SERVICE), "192.0.2.3")
    other = StaffSession.objects.get(user=user, ip_address="192.0.2.2")
    strangers = StaffSession.objects.get(ip_address="192.0.2.3")

    refused = here.post(URL, {"session": strangers.pk})  # not theirs: nothing ends
    assert stranger.get("/customers/").status_code == 200
    response = here.post(URL, {"session": other.pk})

    assert refused.status_code == response.status_code == 302
    assert there.get("/customers/")["Location"].startswith(LOGIN)
    assert here.get("/customers/").status_code == 200
    assert stranger.get("/customers/").status_code == 200
    assert list(StaffSession.objects.filter(user=user).values_list("ip_address", flat=True)) == [
        "192.0.2.1"
    ]
    events = AuditEvent.objects.filter(action="session_end")
    assert list(events.values_list("actor_user_id", "object_id", "reason")) == [
        (user.pk, str(user.pk), "1 sessions")
    ]


def test_ending_all_other_sessions_keeps_this_one():
    user = make_staff(Role.MARKETING)
    here = signed_in(user, "192.0.2.1")
    others = [signed_in(user, f"192.0.2.{n}") for n in (2, 3)]

    here.post(URL, {"session": "others"})

    assert all(c.get("/")["Location"].startswith(LOGIN) for c in others)
    assert here.get("/").status_code == 200
    assert StaffSession.objects.filter(user=user).count() == 1


def test_signing_out_removes_the_session_from_the_list():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = signed_in(user)
    assert StaffSession.objects.filter(user=user).count() == 1

    client.post("/accounts/logout/")

    assert not StaffSession.objects.filter(user=user).exists()


def test_confirming_it_is_you_gives_the_session_a_new_id():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = signed_in(user)
    before = client.cookies["sessionid"].value
    session = client.session
    session[SESSION_AUTH_AT] = 0
    session.save()

    response = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/customers/"})

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get("/customers/").status_code == 200
    assert client.get(URL).context["rows"][0].current  # still listed as this session
