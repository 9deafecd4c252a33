"""Production refuses to start without its secrets; development needs nothing."""

import os
import subprocess
import sys

import pytest

CHECK = "import django; django.setup(); from django.conf import settings; print(settings.MODE)"


def run_settings(env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKISTERI_")}
    env.pop("DATABASE_URL", None)
    env.pop("SECRET_KEY", None)
    env.pop("ALLOWED_HOSTS", None)
    env.update(
        {"DJANGO_SETTINGS_MODULE": "rekisteri.settings", "REKISTERI_DATA_DIR": str(tmp_path)}
    )
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_starts_with_no_setup(tmp_path):
    result = run_settings({}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "development"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SECRET_KEY, ALLOWED_HOSTS, REKISTERI_KEYS"),
        ({"SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS, REKISTERI_KEYS"),
        ({"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "rekisteri.example.fi"}, "REKISTERI_KEYS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, given, missing):
    result = run_settings({"REKISTERI_MODE": "production", **given}, tmp_path)

    assert result.returncode != 0
    assert "refuses to start in production without" in result.stderr
    assert missing in result.stderr


def test_production_starts_with_its_secrets(tmp_path):
    from rekisteri.crypto import KeyRing

    result = run_settings(
        {
            "REKISTERI_MODE": "production",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "rekisteri.example.fi",
            "REKISTERI_KEYS": KeyRing.generate().to_json(),
        },
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production"


def test_an_unknown_mode_is_refused(tmp_path):
    result = run_settings({"REKISTERI_MODE": "staging"}, tmp_path)

    assert result.returncode != 0
    assert "REKISTERI_MODE must be one of" in result.stderr
