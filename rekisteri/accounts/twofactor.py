"""Two-factor sign-in: an authenticator app's time-based codes (TOTP, RFC 6238) and ten
one-time recovery codes, both django-otp devices of the accounts app: the shared secret
encrypted with the key ring, the recovery codes kept as salted digests.

Setting up keeps the new secret in the session only (encrypted), so a secret someone
else once saw on the page never becomes a working authenticator; a row is made when a
code from the app confirms it.

Required for the roles in settings.TWO_FACTOR_REQUIRED_ROLES ("all" for everyone);
anyone else may set it up for themselves, and once set up it is always asked.
Every change is audited; a code or secret never is. An administrator's reset (a lost
phone) is one of the changes to accounts in `services` (`two_factor_reset`)."""

from __future__ import annotations

import base64
import math
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.oath import TOTP, totp

from rekisteri import crypto
from rekisteri.accounts.models import (
    AUTHENTICATOR_KEY_PURPOSE,
    Authenticator,
    RecoveryCode,
    RecoveryCodes,
    User,
    config_url,
)
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import ENROLLMENT_SESSION_KEY
from rekisteri.accounts.staff_sessions import is_recently_authenticated
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10  # 80 bits, 16 base32 letters
AUTHENTICATOR_KEY_BYTES = 20  # RFC 6238's and the apps' usual SHA-1 key length
ENROLLMENT_KEY_PURPOSE = "two-factor enrollment key"


def required_roles() -> frozenset[str] | None:
    """The roles that must use two-factor sign-in; None when everyone must."""
    value = settings.TWO_FACTOR_REQUIRED_ROLES
    if value == "all":
        return None
    roles = frozenset(name for name in value.split(",") if name)
    unknown = sorted(roles - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(
            f"REKISTERI_TWO_FACTOR_ROLES names unknown roles: {', '.join(unknown)}"
        )
    return roles


def is_required(user: User) -> bool:
    roles = required_roles()
    if roles is None:
        return True
    return user.groups.filter(name__in=roles).exists()


def authenticator(user: User) -> Authenticator | None:
    device: Authenticator | None
    device = Authenticator.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return device


def is_enrolled(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, confirmed=True).exists())


def is_verified(request: HttpRequest) -> bool:
    """The session's sign-in was confirmed with a device the staff member still has
    (django-otp's middleware looks the session's device up on each request)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


class TotpKey(Protocol):
    """An authenticator's key and settings: a stored Authenticator, or an Enrollment."""

    @property
    def step(self) -> int: ...

    @property
    def t0(self) -> int: ...

    @property
    def digits(self) -> int: ...

    @property
    def drift(self) -> int: ...

    @property
    def bin_key(self) -> bytes: ...

    @property
    def config_url(self) -> str: ...


@dataclass(frozen=True)
class Enrollment:
    """An authenticator being set up in one session; its key is nowhere else."""

    user: User
    bin_key: bytes
    step: int = 30
    t0: int = 0
    digits: int = 6
    drift: int = 0

    @property
    def config_url(self) -> str:
        return config_url(self.user, self.bin_key, digits=self.digits, step=self.step)


def secret(device: TotpKey) -> str:
    """The shared secret as authenticator apps take it typed in (base32, in groups)."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def current_code(device: TotpKey, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now, or `steps_ahead` steps of 30 s later
    (accepted one step early), for the demo's `--code` and the tests."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - steps_ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def qr_code_svg(device: TotpKey) -> SafeString:
    """The otpauth:// address as a QR code, inline SVG (no script, no style)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    # segno writes the SVG itself; the data is only in the QR modules' path.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703


def may_enroll(request: HttpRequest) -> bool:
    """Whether this session may set up an authenticator. Replacing one the staff member
    already has takes a session verified with it and confirmed again just now: a
    password alone must never swap a person's second factor for someone else's."""
    if not is_enrolled(request.user):  # type: ignore[arg-type]
        return True
    return is_verified(request) and is_recently_authenticated(request)


def enrollment_start(*, request: HttpRequest) -> Enrollment:
    """The authenticator being set up in this session: a new random key the first
    time, kept encrypted in this session only until a code confirms it (audited)."""
    if not may_enroll(request):
        raise PermissionDenied
    user = request.user
    assert isinstance(user, User)
    ring = crypto.keyring()
    held = request.session.get(ENROLLMENT_SESSION_KEY)
    if isinstance(held, dict) and held.get("user") == user.pk:
        try:
            token = str(held["key"])
            key = bytes.fromhex(
                ring.decrypt(token, purpose=ENROLLMENT_KEY_PURPOSE, row=str(user.pk))
            )
        except (crypto.DecryptionError, KeyError, ValueError):
            pass  # e.g. the key it was made with is gone: start afresh
        else:
            return Enrollment(user=user, bin_key=key)
    key = secrets.token_bytes(AUTHENTICATOR_KEY_BYTES)
    with audited_transaction():
        request.session[ENROLLMENT_SESSION_KEY] = {
            "user": user.pk,
            "key": ring.encrypt(key.hex(), purpose=ENROLLMENT_KEY_PURPOSE, row=str(user.pk)),
        }
        audit_record(
            actor=Actor.from_request(request), action=Action.TWO_FACTOR_ENROLL_START, obj=user
        )
    return Enrollment(user=user, bin_key=key)


def enrollment_confirm(*, request: HttpRequest, enrollment: Enrollment, code: str) -> list[str]:
    """Confirms the session's new authenticator with a code it shows, replaces any
    earlier one, marks the session verified and returns ten new recovery codes (shown
    once). The code cannot be used again to sign in (its time step is recorded)."""
    if not may_enroll(request):
        raise PermissionDenied
    user = enrollment.user
    checker = TOTP(enrollment.bin_key, enrollment.step, enrollment.t0, enrollment.digits, 0)
    checker.time = time.time()  # one instant, so t() below is the step that matched
    compact = "".join(code.split())
    if not (compact.isdigit() and checker.verify(int(compact), tolerance=1)):
        raise ValidationError({"code": [_("The code is not correct. Try the newest code.")]})
    with audited_transaction():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one set-up at a time
        if not may_enroll(request):  # asked again under the lock: another session's
            raise PermissionDenied  # set-up may have finished in the meantime
        Authenticator.objects.filter(user=user).delete()
        device = Authenticator.objects.create(
            user=user,
            name=AUTHENTICATOR_NAME,
            confirmed=True,
            key_encrypted=crypto.keyring().encrypt(
                enrollment.bin_key.hex(), purpose=AUTHENTICATOR_KEY_PURPOSE, row=str(user.pk)
            ),
            step=enrollment.step,
            t0=enrollment.t0,
            digits=enrollment.digits,
            drift=checker.drift,
            last_t=checker.t(),
        )
        codes = _recovery_codes_replace(user)
        audit_record(actor=Actor.from_request(request), action=Action.TWO_FACTOR_ENROLL, obj=user)
        audit_record(
            actor=Actor.from_request(request),
            action=Action.RECOVERY_CODES,
            obj=user,
            reason=f"{len(codes)} codes",
        )
        request.session.pop(ENROLLMENT_SESSION_KEY, None)
        otp_login(request, device)
    return codes


def authenticator_install(*, user: User, key: bytes | None = None) -> Authenticator:
    """An authenticator made without the set-up page: the demo's users and the tests'.
    Not audited; a staff member's own authenticator comes from enrollment_confirm."""
    key = key if key is not None else secrets.token_bytes(AUTHENTICATOR_KEY_BYTES)
    device: Authenticator = Authenticator.objects.create(
        user=user,
        name=AUTHENTICATOR_NAME,
        confirmed=True,
        key_encrypted=crypto.keyring().encrypt(
            key.hex(), purpose=AUTHENTICATOR_KEY_PURPOSE, row=str(user.pk)
        ),
    )
    return device


def recovery_codes_issue(*, request: HttpRequest) -> list[str]:
    """Ten new recovery codes for the signed-in staff member; the old ones stop working."""
    actor = Actor.from_request(request)
    user = actor.user
    assert user is not None
    with audited_transaction():
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=actor, action=Action.RECOVERY_CODES, obj=user, reason=f"{len(codes)} codes"
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return int(RecoveryCode.objects.filter(device__user=user).count())


def _recovery_codes_replace(user: User) -> list[str]:
    """Ten new codes; only their salted digests are stored."""
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(
        user=user, name=RECOVERY_NAME, confirmed=True, salt=secrets.token_hex(16)
    )
    codes = [
        base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii").lower()
        for _i in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=device.digest(code)) for code in codes
    )
    return [format_recovery_code(code) for code in codes]


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class Verification:
    device: Device | None
    used_recovery_code: bool = False
    wait_seconds: int = 0


def second_factor_check(*, user: User, code: str) -> Verification:
    """Checks an authenticator code (six digits) or a recovery code (used up).
    Wrong codes slow the next try down (1, 2, 4, ... seconds), per device."""
    compact = "".join(code.split()).replace("-", "").lower()
    if compact.isdigit():
        device: Device | None = authenticator(user)
        recovery = False
    else:
        device = RecoveryCodes.objects.filter(user=user).first()
        recovery = True
    if device is None or not compact:
        return Verification(device=None)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
        return Verification(device=None, wait_seconds=max(1, math.ceil(wait)))
    return Verification(device=_verify(device, compact), used_recovery_code=recovery)


def _verify(device: Device, code: str) -> Device | None:
    """django-otp's check: the device locked for the check, so one code is accepted once."""
    verified: Device | None = verify_token(device.user, device.persistent_id, code)
    return verified
