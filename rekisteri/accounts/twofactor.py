"""Two-factor sign-in: an authenticator app's time-based codes (TOTP, RFC 6238) and ten
one-time recovery codes, both on django-otp's devices.

Required for the roles in settings.TWO_FACTOR_REQUIRED_ROLES ("all" for everyone);
anyone else may set it up for themselves, and once set up it is always asked.
Every change is audited; a code or secret never is."""

from __future__ import annotations

import base64
import math
import secrets
from dataclasses import dataclass

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10  # 80 bits, 16 base32 letters


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


def authenticator(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def is_enrolled(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def is_verified(request: HttpRequest) -> bool:
    """The session's sign-in was confirmed with a device the staff member still has
    (django-otp's middleware looks the session's device up on each request)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def secret(device: TOTPDevice) -> str:
    """The shared secret as authenticator apps take it typed in (base32, in groups)."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
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


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// address as a QR code, inline SVG (no script, no style)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    # segno writes the SVG itself; the data is only in the QR modules' path.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703


def enrollment_start(*, user: User) -> TOTPDevice:
    """The authenticator being set up: a new secret, shown until a code confirms it.
    Nothing changes for signing in until then, so it is not audited yet."""
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def enrollment_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str]:
    """Confirms the authenticator with a code it shows, replaces any earlier one, marks
    the session verified and returns ten new recovery codes (shown once)."""
    user = device.user
    verified = _verify(device, code)
    if verified is None:
        raise ValidationError({"code": [_("The code is not correct. Try the newest code.")]})
    with audited_transaction():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(actor=Actor.from_request(request), action=Action.TWO_FACTOR_ENROLL, obj=user)
        audit_record(
            actor=Actor.from_request(request),
            action=Action.RECOVERY_CODES,
            obj=user,
            reason=f"{len(codes)} codes",
        )
        otp_login(request, device)
    return codes


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
    tokens = StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME)
    return int(tokens.count())


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [
        base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii").lower()
        for _i in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
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
        device = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
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


def two_factor_reset(*, actor: Actor, user: User) -> None:
    """An administrator removes a staff member's authenticator and recovery codes (a
    lost phone). Where two-factor sign-in is required, the next sign-in sets it up anew."""
    with audited_transaction():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action=Action.TWO_FACTOR_RESET, obj=user)
