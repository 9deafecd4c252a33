"""Re-authentication: exports, erasure, revealing an identity code and role changes need
a password or an authenticator code given within the last REAUTH_SECONDS."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.models import Authenticator, User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import SESSION_AUTH_AT
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.accounts.tests.authenticators import current_code
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import PASSWORD, make_customer, make_staff

pytestmark = pytest.mark.django_db

CONFIRM = "/accounts/confirm/"


def stale(user: User) -> Client:
    """Signed in, but the password was last given longer ago than the limit."""
    return sign_in(user, confirmed_at=timezone.now().timestamp() - settings.REAUTH_SECONDS - 1)


def new_events(before: int) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(id__gt=before).order_by("id").values_list("action", "reason")
    )


def last_id() -> int:
    event = AuditEvent.objects.order_by("-id").first()
    return event.pk if event else 0


def test_revealing_an_identity_code_after_the_limit_asks_to_confirm_and_reveals_nothing():
    customer = make_customer(with_identity_code=True)
    client = stale(make_staff(Role.PRIVACY_OFFICER))
    detail = f"/customers/{customer.customer_number}/"
    before = last_id()

    response = client.post(
        f"{detail}identity-code/",
        {"reason": "Asiakas pyysi tarkistusta"},
        HTTP_REFERER=f"http://testserver{detail}",
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next={quote('http://testserver' + detail, safe='')}"
    assert new_events(before) == []


def test_an_htmx_request_is_sent_to_confirm_by_htmx_redirect():
    customer = make_customer(with_identity_code=True)
    client = stale(make_staff(Role.PRIVACY_OFFICER))

    response = client.post(
        f"/customers/{customer.customer_number}/identity-code/",
        {"reason": "Asiakas pyysi tarkistusta"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(CONFIRM)
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_confirming_with_the_password_lets_the_reveal_through_and_is_audited():
    customer = make_customer(with_identity_code=True)
    user = make_staff(Role.PRIVACY_OFFICER)
    client = stale(user)
    before = last_id()

    page = client.get(CONFIRM, {"next": f"/customers/{customer.customer_number}/"})
    assert page.status_code == 200
    assert b'name="password"' in page.content and b'name="code"' in page.content
    response = client.post(
        CONFIRM, {"password": PASSWORD, "next": f"/customers/{customer.customer_number}/"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/customers/{customer.customer_number}/",
    )
    assert new_events(before) == [("reauthenticate", "password")]
    revealed = client.post(
        f"/customers/{customer.customer_number}/identity-code/",
        {"reason": "Asiakas pyysi tarkistusta"},
    )
    assert revealed.status_code == 200
    assert AuditEvent.objects.filter(action="reveal", actor_user=user).count() == 1


def test_an_authenticator_code_also_confirms():
    user = make_staff(Role.ADMINISTRATOR)
    client = stale(user)
    device = Authenticator.objects.get(user=user)
    before = last_id()

    response = client.post(CONFIRM, {"code": current_code(device), "next": "/accounts/staff/new/"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/staff/new/")
    assert new_events(before) == [("reauthenticate", "code")]
    assert client.get("/accounts/staff/new/").status_code == 200


def test_a_wrong_password_is_refused_audited_and_changes_nothing():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = stale(user)
    confirmed_at = client.session[SESSION_AUTH_AT]
    before = last_id()

    response = client.post(CONFIRM, {"password": "ei-tama-salasana-1", "next": "/"})
    empty = client.post(CONFIRM, {"next": "/"})

    assert response.status_code == empty.status_code == 400
    assert b"Your password is incorrect." in response.content
    assert b"Type your password." in empty.content
    assert b'name="code"' not in response.content  # no authenticator, no code field
    assert client.session[SESSION_AUTH_AT] == confirmed_at
    assert new_events(before) == [("login_failure", "confirmation")]


def test_repeated_wrong_passwords_lock_the_account_out():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = stale(user)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(CONFIRM, {"password": "ei-tama-salasana-1", "next": "/"})

    response = client.post(CONFIRM, {"password": PASSWORD, "next": "/"})

    assert response.status_code == 429
    assert not AuditEvent.objects.filter(action="reauthenticate").exists()


def test_the_erasure_page_asks_to_confirm_first():
    customer = make_customer()
    client = stale(make_staff(Role.PRIVACY_OFFICER))
    path = f"/privacy/customers/{customer.customer_number}/erasure/"

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next={quote(path, safe='')}"


def test_a_role_change_after_the_limit_changes_nothing():
    target = make_staff(Role.CUSTOMER_SERVICE)
    client = stale(make_staff(Role.ADMINISTRATOR))
    before = audit_trail()

    response = client.post(
        f"/accounts/staff/{target.pk}/",
        {
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": target.email,
            "roles": [Role.ADMINISTRATOR],
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert list(target.groups.values_list("name", flat=True)) == [Role.CUSTOMER_SERVICE]
    assert audit_trail() == before


def test_an_export_after_the_limit_exports_nothing():
    group = target_group_save(
        actor=Actor.system("test"),
        data=TargetGroupInput(name="Syyskirje", channel="post"),
    )
    client = stale(make_staff(Role.MARKETING))
    before = last_id()

    response = client.post(f"/marketing/{group.pk}/export/")

    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert new_events(before) == []


def test_within_the_limit_nothing_is_asked():
    customer = make_customer()
    client = sign_in(make_staff(Role.PRIVACY_OFFICER))

    response = client.get(f"/privacy/customers/{customer.customer_number}/erasure/")

    assert response.status_code == 200


def test_the_confirmation_page_returns_only_to_this_site():
    client = stale(make_staff(Role.CUSTOMER_SERVICE))

    response = client.post(CONFIRM, {"password": PASSWORD, "next": "https://evil.example/"})

    assert (response.status_code, response["Location"]) == (302, "/")
