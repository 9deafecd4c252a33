import base64
import hashlib
import time
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from rekisteri import crypto
from rekisteri.accounts.roles import Role


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp's devices
    """A staff member. Accounts are personal: one person, one username.

    Accounts are deactivated, never deleted, so the audit trail keeps its actors."""

    # Set when someone else chose the password (a new account, an administrator's
    # reset): the next sign-in leads to changing it before anything else.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        permissions = [("manage_staff", _("Can create, deactivate and change roles of staff"))]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")


class PledgeAcceptance(models.Model):
    """A staff member accepted a version of the confidentiality pledge."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledge_acceptances"
    )
    version = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    text_digest = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="pledge_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version}"


AUTHENTICATOR_KEY_PURPOSE = "two-factor authenticator key"


def config_url(user: User, key: bytes, *, digits: int = 6, step: int = 30) -> str:
    """The otpauth:// address an app reads from the QR code (as django-otp writes it)."""
    label = str(user.get_username())
    params = urlencode(
        {"secret": base64.b32encode(key), "algorithm": "SHA1", "digits": digits, "period": step}
    )
    issuer = str(settings.OTP_TOTP_ISSUER or "").replace(":", "")
    if issuer:
        label = f"{issuer}:{label}"
        params += f"&issuer={quote(issuer)}"
    return f"otpauth://totp/{quote(label)}?{params}"


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator app: time-based codes (TOTP, RFC 6238). The
    shared secret is stored encrypted with the key ring, never in plain text, and a
    row exists only once a code from the app has confirmed it."""

    key_encrypted: models.TextField[str, str] = models.TextField()
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=30)
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=6)
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=1
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(default=0)
    # The time step of the last accepted code: a code is accepted once.
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    @property
    def bin_key(self) -> bytes:
        return bytes.fromhex(
            crypto.keyring().decrypt(
                self.key_encrypted, purpose=AUTHENTICATOR_KEY_PURPOSE, row=str(self.user_id)
            )
        )

    @property
    def config_url(self) -> str:
        """The otpauth:// address for an authenticator app (the demo prints it)."""
        return config_url(self.user, self.bin_key, digits=self.digits, step=self.step)

    def get_throttle_factor(self) -> int:
        return int(settings.OTP_TOTP_THROTTLE_FACTOR)

    def verify_token(self, token: object) -> bool:
        """django-otp's TOTPDevice check, on the decrypted key."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            value = int(str(token))
        except ValueError:
            verified = False
        else:
            checker = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            checker.time = time.time()
            verified = bool(checker.verify(value, self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = checker.t()
                self.drift = checker.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified


class RecoveryCodes(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's one-time recovery codes (RecoveryCode), kept only as salted
    SHA-256 digests: each code has 80 random bits, so a digest cannot be reversed by
    guessing, and the salt makes a digest useless for any other account."""

    salt: models.CharField[str, str] = models.CharField(max_length=32)

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def digest(self, code: str) -> str:
        return hashlib.sha256(f"{self.salt}:{code}".encode()).hexdigest()

    def get_throttle_factor(self) -> int:
        return int(settings.OTP_STATIC_THROTTLE_FACTOR)

    def verify_token(self, token: object) -> bool:
        """Uses the code up: django-otp's verify_token locks this row for the check,
        so two requests cannot both use one code."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        match = self.codes.filter(digest=self.digest(str(token))).first()
        if match is None:
            self.throttle_increment()
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of device {self.device_id}"


class StaffSession(models.Model):
    """A staff member's signed-in session, so they can see and end their others. Only
    a digest of the session key is kept: the key itself would sign in as them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key_hash = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"


class RoleGrantDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RoleGrant(models.Model):
    """A request to give a staff member a role that opens personal data or the audit
    trail (roles.CONFIRMED_ROLES). The role is not in effect until a privacy officer
    other than the requester and the staff member confirms it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(
        max_length=16, choices=RoleGrantDecision.choices, default=RoleGrantDecision.PENDING
    )

    class Meta:
        permissions = [
            (
                "decide_rolegrant",
                _("Can confirm or refuse grants of the privacy officer's and auditor's roles"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(decision="pending"),
                name="role_grant_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.user_id}: {self.decision}"


class SignInThrottle(models.Model):
    """Failed sign-ins of one account from any address. Past a number of them each
    further attempt waits a delay that doubles per failure up to a cap, so rotating
    addresses buys no more guesses, and nobody can keep the account shut for long."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_throttle"
    )
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.failures} failed sign-ins of {self.user_id}"
