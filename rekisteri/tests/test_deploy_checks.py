"""Production traps are errors of `rekisteri check --deploy`: an SMS backend that only
logs, SMTP without TLS, a database reached without TLS, and no verified backup. Each is
silent once set right, and outside production."""

from __future__ import annotations

import configparser
import datetime
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.crypto import KeyRing

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` in production with its secrets and `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REKISTERI_", "EMAIL_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "REKISTERI_MODE": "production",
            "REKISTERI_DATA_DIR": str(tmp_path),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "rekisteri.example.fi",
            "REKISTERI_KEYS": KeyRing.generate().to_json(),
            **variables,
        }
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "ERROR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def errors_of(result: subprocess.CompletedProcess[str]) -> set[str]:
    return set(re.findall(r"\((rekisteri\.E\d+)\)", result.stdout + result.stderr))


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"REKISTERI_SMS_BACKEND": "console"}, {"rekisteri.E001"}),
        ({"REKISTERI_SMS_BACKEND": "locmem"}, {"rekisteri.E001"}),
        ({"REKISTERI_SMS_BACKEND": "gatewayapi"}, set()),
        ({"EMAIL_HOST": "smtp.example.fi"}, {"rekisteri.E002"}),
        ({"EMAIL_HOST": "smtp.example.fi", "EMAIL_USE_TLS": "true"}, set()),
        ({"EMAIL_HOST": "smtp.example.fi", "EMAIL_USE_SSL": "true"}, set()),
        ({"EMAIL_HOST": "127.0.0.1"}, set()),
        ({"DATABASE_URL": "postgres://rekisteri@db.example.fi:5432/rekisteri"}, {"rekisteri.E003"}),
        (
            {"DATABASE_URL": "postgres://rekisteri@db.example.fi/rekisteri?sslmode=prefer"},
            {"rekisteri.E003"},
        ),
        ({"DATABASE_URL": "postgres://rekisteri@db.example.fi/rekisteri?sslmode=require"}, set()),
        (
            {
                "DATABASE_URL": "postgres://rekisteri@db.example.fi/rekisteri"
                "?sslmode=verify-full&sslrootcert=/etc/rekisteri/db-ca.pem"
            },
            set(),
        ),
        ({"DATABASE_URL": "postgres://rekisteri@127.0.0.1:5432/rekisteri"}, set()),
    ],
)
def test_check_deploy_names_each_trap_and_is_silent_when_it_is_set_right(
    tmp_path, variables, expected
):
    result = deploy_check(tmp_path, **variables)

    assert errors_of(result) == expected, result.stdout + result.stderr
    assert (result.returncode != 0) == bool(expected)


def test_outside_production_the_traps_are_not_reported():
    with override_settings(
        IS_PRODUCTION=False,
        REKISTERI_SMS_BACKEND="console",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="smtp.example.fi",
    ):
        found = run_checks(include_deployment_checks=True)

    assert [message.id for message in found if (message.id or "").startswith("rekisteri.")] == []


def a_backup(*, hours_ago: float, verified: bool) -> BackupRun:
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    return BackupRun.objects.create(
        kind=RunKind.CREATE,
        status=RunStatus.OK,
        started_at=finished - datetime.timedelta(seconds=40),
        finished_at=finished,
        verified_at=finished + datetime.timedelta(minutes=1) if verified else None,
        engine="sqlite",
        actor_label="backup create",
        file_name=f"rekisteri-{finished:%Y%m%dT%H%M%S}Z.rkbackup",
        sha256="a" * 64,
        size_bytes=1024,
        key_id="k1",
    )


def backup_errors() -> list[str]:
    with override_settings(IS_PRODUCTION=True):
        found = run_checks(include_deployment_checks=True, databases=["default"])
    return [message.id for message in found if message.id == "rekisteri.E004"]


@pytest.mark.django_db
def test_no_verified_backup_in_two_days_is_an_error():
    a_backup(hours_ago=60, verified=True)
    a_backup(hours_ago=2, verified=False)

    assert backup_errors() == ["rekisteri.E004"]


@pytest.mark.django_db
def test_no_backup_at_all_is_an_error():
    assert backup_errors() == ["rekisteri.E004"]


@pytest.mark.django_db
def test_a_backup_verified_last_night_passes():
    a_backup(hours_ago=20, verified=True)

    assert backup_errors() == []


def test_the_shipped_backup_timer_verifies_each_backup():
    """The nightly unit the timer starts writes a backup and then verifies it."""
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(ROOT / "deploy/systemd/rekisteri-backup.timer")
    service_name = timer.get("Timer", "Unit", fallback="rekisteri-backup.service")
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read(ROOT / "deploy/systemd" / service_name)

    command = service.get("Service", "ExecStart").split()

    assert command[1:4] == ["backup", "create", "--verify"]
