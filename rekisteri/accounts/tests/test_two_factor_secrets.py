"""Two-factor secrets: a set-up key lives only in the session that asked for it, an
authenticator cannot be replaced by a session without it, and the database holds no
authenticator key or recovery code in plain text."""

from __future__ import annotations

import base64
import hashlib
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rekisteri import crypto
from rekisteri.accounts import twofactor
from rekisteri.accounts.models import Authenticator, RecoveryCode, RecoveryCodes
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import (
    SESSION_AUTH_AT,
    SESSION_LOGIN_AT,
    TWO_FACTOR_CHECKED_AT,
)
from rekisteri.accounts.tests.audit_trail import actions
from rekisteri.accounts.tests.authenticators import (
    CODE,
    CUSTOMERS,
    LOGIN,
    SETUP,
    enrolled,
    shown_key,
)
from rekisteri.testing.auth import english_client
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

current_code = twofactor.current_code


def signed_in_with_password(user):
    client = english_client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_key_seen_in_one_session_never_works_after_the_person_sets_up_in_another():
    user = make_staff(Role.PRIVACY_OFFICER)
    phisher = signed_in_with_password(user)  # the password was phished
    seen = shown_key(user, phisher.get(SETUP).content)
    assert not Authenticator.objects.exists()  # nothing stored before a code confirms it

    person = signed_in_with_password(user)
    own = shown_key(user, person.get(SETUP).content)
    assert own.bin_key != seen.bin_key
    assert person.post(SETUP, {"code": current_code(own)}).status_code == 200

    assert Authenticator.objects.get(user=user).bin_key == own.bin_key
    attempt = english_client()
    attempt.post(LOGIN, {"username": user.username, "password": PASSWORD})
    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        for steps in (0, 1):
            refused = attempt.post(CODE, {"code": current_code(seen, steps_ahead=steps)})
            assert refused.status_code == 400
    assert "_auth_user_id" not in attempt.session
    # Nor can the phisher's session, still open, finish its own set-up any more.
    response = phisher.post(SETUP, {"code": current_code(seen, steps_ahead=1)})
    assert response["Location"].startswith(LOGIN)
    assert Authenticator.objects.get(user=user).bin_key == own.bin_key
    starts = [action for action, _reason in actions(user) if action == "two_factor_enroll_start"]
    assert len(starts) == 2


def test_a_password_only_session_cannot_replace_an_enrolled_persons_authenticator():
    user, device, _codes = enrolled(Role.CUSTOMER_SERVICE)
    # A session signed in with the password alone within the middleware's minute, as
    # one started before the person set up their authenticator.
    client = english_client()
    client.force_login(user)
    session = client.session
    session[SESSION_LOGIN_AT] = session[TWO_FACTOR_CHECKED_AT] = timezone.now().timestamp()
    session[SESSION_AUTH_AT] = timezone.now().timestamp()
    session.save()
    attacker_key = twofactor.Enrollment(user=user, bin_key=b"a" * 20)

    assert client.get(CUSTOMERS).status_code == 200  # the session is in use

    response = client.post(SETUP, {"code": current_code(attacker_key)})

    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert list(Authenticator.objects.filter(user=user)) == [device]
    assert Authenticator.objects.get(user=user).bin_key == device.bin_key
    assert actions(user)[-1] == ("session_expired", "")


def test_moving_to_a_new_phone_needs_a_verified_session_confirmed_just_now():
    user, device, _codes = enrolled(Role.ADMINISTRATOR)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.post(CODE, {"code": current_code(device, steps_ahead=1)})
    session = client.session
    session[SESSION_AUTH_AT] = timezone.now().timestamp() - 3600
    session.save()

    stale = client.get(f"{SETUP}?replace=1")
    assert stale.status_code == 302
    assert stale["Location"].startswith("/accounts/confirm/")
    assert client.get(SETUP).status_code == 200  # the state page, no new key
    assert ("two_factor_enroll_start", "") not in actions(user)[-3:]

    session = client.session
    session[SESSION_AUTH_AT] = timezone.now().timestamp()
    session.save()
    new = shown_key(user, client.get(f"{SETUP}?replace=1").content)
    response = client.post(f"{SETUP}?replace=1", {"code": current_code(new)})

    assert response.status_code == 200
    assert Authenticator.objects.get(user=user).bin_key == new.bin_key
    assert actions(user)[-3:] == [
        ("two_factor_enroll_start", ""),
        ("two_factor_enroll", ""),
        ("recovery_codes", "10 codes"),
    ]


def test_the_database_holds_no_authenticator_key_or_recovery_code_in_plain_text():
    user, device, codes = enrolled(Role.PRIVACY_OFFICER)
    key = device.bin_key
    secrets_shown = [
        key.hex(),
        base64.b32encode(key).decode("ascii").rstrip("="),
        *(code.replace("-", "") for code in codes),
    ]

    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith(("accounts_", "otp_", "django_session")):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                rows.extend(repr(row) for row in cursor.fetchall())
    stored = "\n".join(rows).lower()

    for secret in secrets_shown:
        assert secret.lower() not in stored
    assert not TOTPDevice.objects.exists()
    assert not StaticToken.objects.exists()
    assert Authenticator.objects.get(user=user).key_encrypted.startswith("v2:")
    assert RecoveryCode.objects.filter(device__user=user).count() == 10


def test_a_recovery_code_signs_in_once():
    user, _device, codes = enrolled(Role.ADMINISTRATOR)
    first = english_client()
    first.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert first.post(CODE, {"code": codes[3]}).status_code == 302

    second = english_client()
    second.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert second.post(CODE, {"code": codes[3]}).status_code == 400
    assert twofactor.recovery_codes_left(user) == 9


def test_the_migration_moves_plain_keys_and_codes_and_drops_unfinished_set_ups():
    user = make_staff(Role.PRIVACY_OFFICER)
    other = make_staff(Role.ADMINISTRATOR)
    key = bytes(range(20))
    TOTPDevice.objects.create(user=user, name="authenticator", key=key.hex(), confirmed=True)
    TOTPDevice.objects.create(user=other, name="authenticator", confirmed=False)
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token="abcdefghijklmnop")
    migration = import_module("rekisteri.accounts.migrations.0003_two_factor_secrets_protected")

    migration.protect(apps, None)

    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists() and not StaticToken.objects.exists()
    assert not Authenticator.objects.filter(user=other).exists()
    device = Authenticator.objects.get(user=user)
    assert device.bin_key == key
    assert key.hex() not in device.key_encrypted
    digests = RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True)
    assert "abcdefghijklmnop" not in "".join(digests)
    codes = RecoveryCodes.objects.get(user=user)
    assert list(digests) == [hashlib.sha256(f"{codes.salt}:abcdefghijklmnop".encode()).hexdigest()]
    checked = twofactor.second_factor_check(user=user, code="abcd-efgh-ijkl-mnop")
    assert checked.used_recovery_code and checked.device is not None
    assert twofactor.second_factor_check(user=user, code=current_code(device)).device is not None


def test_an_authenticator_key_copied_onto_another_persons_row_does_not_work():
    """The key is bound to its owner: someone able to write to the database cannot
    give their own authenticator to a privacy officer's account."""
    _attacker, own, _codes = enrolled(Role.CUSTOMER_SERVICE)
    victim = make_staff(Role.PRIVACY_OFFICER)
    theirs = twofactor.authenticator_install(user=victim)
    Authenticator.objects.filter(pk=theirs.pk).update(key_encrypted=own.key_encrypted)

    with pytest.raises(crypto.DecryptionError):
        twofactor.second_factor_check(user=victim, code=current_code(own, steps_ahead=1))
