"""Sessions end after 30 idle minutes, 12 hours after sign-in, and when the account is
deactivated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import SESSION_LOGIN_AT
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff

PAGE = "/accounts/password/"
TO_LOGIN = f"/accounts/login/?next={PAGE}"

pytestmark = pytest.mark.django_db


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_every_request_renews_the_idle_time():
    """A session about to run out gets the full idle time again from each request."""
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = sign_in(make_staff(None))
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(seconds=30)
    )

    assert client.get(PAGE).status_code == 200

    remaining = session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_requests_within_a_minute_of_a_renewal_do_not_rewrite_the_session():
    """Renewal is at most once a minute, so page views do not all write the session."""
    client = sign_in(make_staff(None))
    client.get(PAGE)
    renewed = session_row(client).expire_date

    client.get(PAGE)
    client.get(PAGE)

    assert session_row(client).expire_date == renewed


def test_an_idle_session_has_ended():
    """After 30 minutes without a request the session is gone and sign-in is asked for."""
    client = sign_in(make_staff(None))
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == TO_LOGIN


def test_a_session_ends_twelve_hours_after_sign_in_however_active():
    """At the absolute limit the session is ended, audited as session_expired, and the
    staff member is sent to sign in again."""
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    user = make_staff(None)
    client = sign_in(user)
    session = client.session
    session[SESSION_LOGIN_AT] = (timezone.now() - timedelta(hours=12, seconds=1)).timestamp()
    session.save()

    response = client.get(PAGE, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Your session has ended. Please sign in again."
    ]
    assert "_auth_user_id" not in client.session
    assert audit_trail() == [("session_expired", user.pk, str(user.pk), [])]


def test_a_session_just_under_twelve_hours_old_still_works():
    """Until the limit the session carries on, with nothing in the audit log."""
    client = sign_in(make_staff(None))
    session = client.session
    session[SESSION_LOGIN_AT] = (timezone.now() - timedelta(hours=11, minutes=59)).timestamp()
    session.save()

    assert client.get(PAGE).status_code == 200
    assert audit_trail() == []


def test_a_deactivated_staff_members_session_is_refused_at_once(admin_client):
    """When an administrator deactivates an account, its open session stops working on
    the very next request."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    their_client = sign_in(user)
    assert their_client.get(PAGE).status_code == 200

    admin_client.post(
        f"/accounts/staff/{user.pk}/",
        {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "roles": [Role.CUSTOMER_SERVICE],
        },
    )

    user.refresh_from_db()
    assert user.is_active is False
    response = their_client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == TO_LOGIN
