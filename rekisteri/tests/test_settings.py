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
    ("given", "named"),
    [
        ({"ALLOWED_HOSTS": "rekisteri.example.fi"}, "ALLOWED_HOSTS names rekisteri.example.fi"),
        ({"ALLOWED_HOSTS": "localhost,*"}, "ALLOWED_HOSTS names *"),
        ({"ALLOWED_HOSTS": "192.0.2.10"}, "ALLOWED_HOSTS names 192.0.2.10"),
        (
            {"DATABASE_URL": "postgres://rekisteri@db.example.fi:5432/rekisteri"},
            "DATABASE_URL points to db.example.fi",
        ),
    ],
)
@pytest.mark.parametrize("mode", [{}, {"REKISTERI_MODE": "development"}])
def test_development_refuses_to_serve_beyond_this_machine(tmp_path, given, named, mode):
    """Its secret key is public: with REKISTERI_MODE unset or development, a public
    host name or a database elsewhere means someone forgot production mode."""
    result = run_settings({**mode, **given}, tmp_path)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert named in message
    assert "set REKISTERI_MODE=production and SECRET_KEY" in message


def test_development_starts_with_local_names_only(tmp_path):
    result = run_settings(
        {
            "ALLOWED_HOSTS": "localhost,127.0.0.1,[::1],rekisteri.localhost",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rekisteri",
        },
        tmp_path,
    )

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


def test_production_settings_pass_the_deployment_checks_with_no_warnings(tmp_path):
    """`manage.py check --deploy`: HSTS (with subdomains and preload), secure cookies,
    SSL redirect, a long secret key, DEBUG off."""
    import secrets
    from pathlib import Path

    from rekisteri.crypto import KeyRing

    env = {k: v for k, v in os.environ.items() if not k.startswith("REKISTERI_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "REKISTERI_MODE": "production",
            "REKISTERI_DATA_DIR": str(tmp_path),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "rekisteri.example.fi",
            "REKISTERI_KEYS": KeyRing.generate().to_json(),
        }
    )
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    result = subprocess.run(
        [sys.executable, str(manage), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


LANGUAGE_COOKIE = (
    "import django; django.setup(); from django.test import Client; "
    "response = Client().post('/i18n/setlang/', {'language': 'en', 'next': '/'}, "
    "secure=True, headers={'host': 'rekisteri.example.fi'}); "
    "print(response.cookies.output())"
)


def test_production_keeps_the_language_cookie_to_https_and_this_host(tmp_path):
    from rekisteri.crypto import KeyRing

    env = {k: v for k, v in os.environ.items() if not k.startswith("REKISTERI_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "rekisteri.settings",
            "REKISTERI_MODE": "production",
            "REKISTERI_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "rekisteri.example.fi",
            "REKISTERI_KEYS": KeyRing.generate().to_json(),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", LANGUAGE_COOKIE], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    cookie = result.stdout.strip()
    assert cookie.startswith("Set-Cookie: __Host-rekisteri-language=en;")
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Domain" not in cookie


@pytest.mark.django_db
def test_every_page_forbids_caching_and_unused_browser_features(client):
    from django.urls import reverse

    for response in (client.get(reverse("accounts:login")), client.get(reverse("portal:index"))):
        assert "no-store" in response["Cache-Control"]
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
