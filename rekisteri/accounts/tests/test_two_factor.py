"""Two-factor sign-in: setting it up, signing in with an authenticator code or a recovery
code, slowing down guessing, and an administrator's reset (a lost phone)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import Authenticator, RecoveryCode, RecoveryCodes
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import PENDING_AT
from rekisteri.accounts.tests.audit_trail import actions, audit_trail
from rekisteri.accounts.tests.authenticators import (
    CODE,
    CUSTOMERS,
    LOGIN,
    SETUP,
    current_code,
    enrolled,
    shown_key,
)
from rekisteri.audit.models import AuditEvent, RefusalTally
from rekisteri.testing.auth import english_client, sign_in
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def test_a_privacy_officer_without_an_authenticator_must_set_one_up_before_anything_else():
    user = make_staff(Role.PRIVACY_OFFICER)
    client = english_client()

    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    # (The password page stays open: changing a password someone else set comes first.)
    for path in (CUSTOMERS, "/privacy/requests/", "/accounts/staff/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{SETUP}?next={quote(path, safe='')}",
        )
    page = client.get(SETUP)
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"Your role handles the most sensitive data" in page.content
    assert not Authenticator.objects.filter(user=user).exists()


def test_setting_up_confirms_with_a_code_and_shows_ten_recovery_codes_once():
    user = make_staff(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    key = shown_key(user, client.get(SETUP).content)
    assert shown_key(user, client.get(SETUP).content) == key  # the same in this session
    assert actions(user).count(("two_factor_enroll_start", "")) == 1

    wrong = client.post(SETUP, {"code": f"{(int(current_code(key)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert b"The code is not correct" in wrong.content
    assert not Authenticator.objects.filter(user=user).exists()
    assert ("two_factor_enroll", "") not in actions(user)

    response = client.post(SETUP, {"code": current_code(key)})

    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-7-]{19})</code>", response.content.decode())
    assert len(codes) == len(set(codes)) == 10
    device = Authenticator.objects.get(user=user)
    assert device.bin_key == key.bin_key
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    assert actions(user)[-2:] == [("two_factor_enroll", ""), ("recovery_codes", "10 codes")]
    assert client.get(CUSTOMERS).status_code in (200, 403)  # past the set-up now
    assert client.get("/accounts/staff/").status_code == 200
    state = client.get(SETUP)
    assert b"You have 10 unused recovery codes." in state.content
    assert not any(code.encode() in state.content for code in codes)


def test_signing_in_with_an_authenticator_asks_for_the_code_before_the_session_is_signed_in():
    user, device, _codes = enrolled(Role.PRIVACY_OFFICER)
    client = english_client()

    response = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "/privacy/requests/"}
    )
    assert (response.status_code, response["Location"]) == (
        302,
        f"{CODE}?next=%2Fprivacy%2Frequests%2F",
    )
    assert "_auth_user_id" not in client.session
    assert client.get(CUSTOMERS)["Location"].startswith(LOGIN)

    response = client.post(
        CODE, {"code": current_code(device, steps_ahead=1), "next": "/privacy/requests/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/privacy/requests/")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/privacy/requests/").status_code == 200
    assert actions(user)[-1] == ("login", "")


def test_a_wrong_code_is_refused_audited_and_a_used_code_cannot_be_replayed():
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    code = current_code(device, steps_ahead=1)
    first = english_client()
    first.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert first.post(CODE, {"code": code}).status_code == 302

    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        second = english_client()
        second.post(LOGIN, {"username": user.username, "password": PASSWORD})
        replay = second.post(CODE, {"code": code})
        wrong = second.post(CODE, {"code": "12345"})

    assert replay.status_code == wrong.status_code == 400
    assert b"The code is not correct." in replay.content
    assert "_auth_user_id" not in second.session
    # Wrong codes before sign-in are counted per address and account: the first is an
    # event at once, the count follows when the window closes (audit/refusals.py).
    failures = [reason for action, reason in actions(user) if action == "login_failure"]
    assert failures == ["wrong second factor"]
    tally = RefusalTally.objects.get(subject_id=str(user.pk), action="login_failure")
    assert (tally.reason, tally.count) == ("wrong second factor", 2)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_after_a_wrong_code_even_the_right_one_must_wait():
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.post(CODE, {"code": "99999" + "9"})

    response = client.post(CODE, {"code": current_code(device, steps_ahead=1)})

    assert response.status_code == 429
    assert b"Too many wrong codes. Wait" in response.content
    assert "_auth_user_id" not in client.session


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_five_wrong_codes_send_the_person_back_to_the_password():
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    for _attempt in range(4):
        assert client.post(CODE, {"code": "000001"}).status_code == 400

    response = client.post(CODE, {"code": "000001"})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.post(CODE, {"code": current_code(device, steps_ahead=1)})["Location"].startswith(
        LOGIN
    )
    assert "_auth_user_id" not in client.session


def test_the_code_step_expires_after_five_minutes():
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    session = client.session
    session[PENDING_AT] = session[PENDING_AT] - 301
    session.save()

    response = client.post(CODE, {"code": current_code(device, steps_ahead=1)})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once_and_is_audited():
    user, _device, codes = enrolled(Role.PRIVACY_OFFICER)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})

    response = client.post(CODE, {"code": codes[0].upper().replace("-", " ")}, follow=True)

    assert response.status_code == 200
    assert b"9 codes are left" in response.content
    assert actions(user)[-1] == ("login", "recovery code")
    assert twofactor.recovery_codes_left(user) == 9
    again = english_client()
    again.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert again.post(CODE, {"code": codes[0]}).status_code == 400


def test_new_recovery_codes_replace_the_old_ones():
    user, device, codes = enrolled(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.post(CODE, {"code": current_code(device, steps_ahead=1)})

    response = client.post("/accounts/two-factor/recovery-codes/")

    assert response.status_code == 200
    new_codes = re.findall(r"<code>([a-z2-7-]{19})</code>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert actions(user)[-1] == ("recovery_codes", "10 codes")
    assert twofactor.recovery_codes_left(user) == 10
    again = english_client()
    again.post(LOGIN, {"username": user.username, "password": PASSWORD})
    with override_settings(OTP_STATIC_THROTTLE_FACTOR=0):
        assert again.post(CODE, {"code": codes[0]}).status_code == 400
        assert again.post(CODE, {"code": new_codes[0]}).status_code == 302


def test_customer_service_signs_in_with_the_password_alone_and_may_turn_it_on():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert client.get(CUSTOMERS).status_code == 200

    key = shown_key(user, client.get(SETUP).content)
    assert client.post(SETUP, {"code": current_code(key, steps_ahead=1)}).status_code == 200

    later = english_client()
    response = later.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response["Location"].startswith(CODE)


@override_settings(TWO_FACTOR_REQUIRED_ROLES="all")
def test_it_can_be_required_of_everyone():
    user = make_staff(Role.CUSTOMER_SERVICE)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})

    assert client.get(CUSTOMERS)["Location"] == f"{SETUP}?next=%2Fcustomers%2F"


@override_settings(TWO_FACTOR_REQUIRED_ROLES="privacy_officer,chief")
def test_an_unknown_role_in_the_setting_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="chief"):
        twofactor.required_roles()


def test_a_session_not_confirmed_with_the_accounts_authenticator_is_ended():
    user, _device, _codes = enrolled(Role.CUSTOMER_SERVICE)
    client = Client()
    client.force_login(user)  # a password-only session, e.g. from before it was set up

    response = client.get(CUSTOMERS)

    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert actions(user)[-1] == ("session_expired", "")


def test_an_administrator_resets_a_lost_phone_and_the_next_sign_in_sets_it_up_again():
    # Another administrator: a privacy officer's is reset by another privacy officer
    # (test_separation_of_duties.py).
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    session = english_client()
    session.post(LOGIN, {"username": user.username, "password": PASSWORD})
    session.post(CODE, {"code": current_code(device, steps_ahead=1)})
    administrator = make_staff(Role.ADMINISTRATOR)
    admin_client = sign_in(administrator)
    assert b"Reset two-factor sign-in" in admin_client.get(f"/accounts/staff/{user.pk}/").content

    response = admin_client.post(f"/accounts/staff/{user.pk}/two-factor-reset/")

    assert (response.status_code, response["Location"]) == (302, f"/accounts/staff/{user.pk}/")
    assert not Authenticator.objects.filter(user=user).exists()
    assert not RecoveryCodes.objects.filter(user=user).exists()
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.actor_user_id, event.object_id) == (
        "two_factor_reset",
        administrator.pk,
        str(user.pk),
    )
    # The staff member's open session now leads to setting up a new authenticator.
    assert session.get(CUSTOMERS)["Location"] == f"{SETUP}?next=%2Fcustomers%2F"
    fresh = english_client()
    response = fresh.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/"
    assert fresh.get(CUSTOMERS)["Location"] == f"{SETUP}?next=%2Fcustomers%2F"


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, None])
def test_only_an_administrator_may_reset_and_a_refusal_changes_nothing(role):
    user, _device, _codes = enrolled(Role.ADMINISTRATOR)
    client = sign_in(make_staff(role))
    before = audit_trail()

    response = client.post(f"/accounts/staff/{user.pk}/two-factor-reset/")

    assert response.status_code == 403
    assert Authenticator.objects.filter(user=user, confirmed=True).count() == 1
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    added = audit_trail("action")[len(before) :]
    assert added == [("permission_denied",)]


def test_the_login_pages_write_no_code_or_secret_into_the_audit_trail():
    user, device, codes = enrolled(Role.PRIVACY_OFFICER)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.post(CODE, {"code": codes[1]})
    text = repr(list(AuditEvent.objects.values()))
    assert device.key_encrypted not in text
    assert device.bin_key.hex() not in text
    assert not any(code in text or code.replace("-", "") in text for code in codes)
