"""Production traps as errors of `rekisteri check --deploy` (docs/security.md): settings
with which production would run, and seem to work, while personal data leaves the
machine unprotected or a backup is never proven to restore.

Each check says nothing outside production. The backup check reads the database, so
it runs only when asked to (`rekisteri check --deploy --database default`), as
Django's own database checks do.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils import timezone

# A nightly backup verified, with a missed night's grace.
VERIFIED_BACKUP_WITHIN = datetime.timedelta(hours=48)
# sslmode values that refuse a connection without TLS.
TLS_SSLMODES = frozenset({"require", "verify-ca", "verify-full"})
RECORDING_SMS_BACKENDS = frozenset({"console", "locmem"})


def _is_local(host: str) -> bool:
    from rekisteri.settings import is_local_host

    return is_local_host(host)


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    backend = settings.REKISTERI_SMS_BACKEND
    if not settings.IS_PRODUCTION or backend not in RECORDING_SMS_BACKENDS:
        return []
    return [
        Error(
            f"REKISTERI_SMS_BACKEND is {backend!r}: text messages are not sent but written "
            "to the log or kept in memory (numbers and texts) and marked sent.",
            hint="Set REKISTERI_SMS_BACKEND=gatewayapi and REKISTERI_SMS_GATEWAY_TOKEN "
            "(docs/sms.md).",
            id="rekisteri.E001",
        )
    ]


@register(Tags.security, deploy=True)
def email_tls_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    if (
        not settings.IS_PRODUCTION
        or settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend"
        or settings.EMAIL_USE_TLS
        or settings.EMAIL_USE_SSL
        or _is_local(settings.EMAIL_HOST)
    ):
        return []
    return [
        Error(
            f"Email goes to {settings.EMAIL_HOST} over SMTP without TLS: messages and the "
            "SMTP password cross the network in plain text.",
            hint="Set EMAIL_USE_TLS=true (STARTTLS, port 587) or EMAIL_USE_SSL=true "
            "(port 465), or relay through a mail server on this machine.",
            id="rekisteri.E002",
        )
    ]


@register(Tags.security, deploy=True)
def database_tls_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    if not settings.IS_PRODUCTION:
        return []
    return list(_database_tls_errors(settings.DATABASES.items()))


def _database_tls_errors(databases: Iterable[tuple[str, dict[str, Any]]]) -> Iterable[Error]:
    for alias, database in databases:
        if "postgresql" not in str(database.get("ENGINE", "")):
            continue
        host = str(database.get("HOST") or "")
        sslmode = str((database.get("OPTIONS") or {}).get("sslmode", ""))
        if _is_local(host) or sslmode in TLS_SSLMODES:
            continue
        yield Error(
            f"The database {alias!r} at {host} is reached without requiring TLS "
            f"(sslmode={sslmode or 'prefer'}): the register's data could cross the "
            "network in plain text.",
            hint="Add ?sslmode=require to DATABASE_URL, better "
            "?sslmode=verify-full&sslrootcert=<CA file> (deploy/README.md).",
            id="rekisteri.E003",
        )


@register(Tags.database, deploy=True)
def verified_backup_check(
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if not settings.IS_PRODUCTION or not databases or "default" not in databases:
        return []
    from rekisteri.backups.selectors import last_good_backup

    last = last_good_backup()
    verified_at = last.verified_at if last is not None else None
    if verified_at is not None and timezone.now() - verified_at <= VERIFIED_BACKUP_WITHIN:
        return []
    hours = int(VERIFIED_BACKUP_WITHIN.total_seconds() // 3600)
    return [
        Error(
            f"No backup has been verified in the last {hours} hours: nothing shows that "
            "the backups would restore.",
            hint="Schedule `rekisteri backup create --verify --rotate` nightly "
            "(deploy/systemd/rekisteri-backup.service, docs/backups.md).",
            id="rekisteri.E004",
        )
    ]
