"""Moves django-otp's plain authenticator seeds and recovery codes into the accounts
app's models: seeds encrypted with the key ring, recovery codes as salted digests.
Unconfirmed authenticators (a set-up never finished) are dropped, and the plain rows
deleted. Going back restores nothing: the plain values are gone for good."""

import hashlib
import secrets

from django.db import migrations

# As models.AUTHENTICATOR_KEY_PURPOSE and RecoveryCodes.digest: a migration does not
# call the models' own code, which may change later.
AUTHENTICATOR_KEY_PURPOSE = "two-factor authenticator key"


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def protect(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    StaticDevice = apps.get_model("otp_static", "StaticDevice")
    StaticToken = apps.get_model("otp_static", "StaticToken")
    Authenticator = apps.get_model("accounts", "Authenticator")
    RecoveryCodes = apps.get_model("accounts", "RecoveryCodes")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")

    confirmed = list(TOTPDevice.objects.filter(confirmed=True).order_by("pk"))
    if confirmed:
        from rekisteri import crypto

        ring = crypto.keyring()
        for device in confirmed:
            Authenticator.objects.create(
                user_id=device.user_id,
                name=device.name,
                confirmed=True,
                key_encrypted=ring.encrypt(
                    device.key, purpose=AUTHENTICATOR_KEY_PURPOSE, row=str(device.user_id)
                ),
                step=device.step,
                t0=device.t0,
                digits=device.digits,
                tolerance=device.tolerance,
                drift=device.drift,
                last_t=device.last_t,
                throttling_failure_timestamp=device.throttling_failure_timestamp,
                throttling_failure_count=device.throttling_failure_count,
                last_used_at=device.last_used_at,
            )
    for device in StaticDevice.objects.order_by("pk"):
        tokens = list(StaticToken.objects.filter(device=device).values_list("token", flat=True))
        if not tokens:
            continue
        salt = secrets.token_hex(16)
        codes = RecoveryCodes.objects.create(
            user_id=device.user_id,
            name=device.name,
            confirmed=True,
            salt=salt,
            throttling_failure_timestamp=device.throttling_failure_timestamp,
            throttling_failure_count=device.throttling_failure_count,
            last_used_at=device.last_used_at,
        )
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=codes, digest=_digest(salt, token)) for token in set(tokens)
        )
    StaticToken.objects.all().delete()
    StaticDevice.objects.all().delete()
    TOTPDevice.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_authenticators_recovery_codes_staff_sessions"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(protect, migrations.RunPython.noop)]
