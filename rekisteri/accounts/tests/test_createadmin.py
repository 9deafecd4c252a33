"""`rekisteri createadmin`: the first administrator from the console."""

from __future__ import annotations

import getpass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import user_roles
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.audit.models import ActorType, AuditEvent

STRONG = "Saimaannorppa-ui-2026"
ARGUMENTS = (
    "--username=ville.heikkinen",
    "--email=ville.heikkinen@example.fi",
    "--first-name=Ville",
    "--last-name=Heikkinen",
)

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("createadmin", *arguments, stdout=out)
    return out.getvalue()


def test_it_creates_an_administrator_with_the_password_from_the_environment(monkeypatch):
    """The account gets the administrator role and the creation is audited as the system."""
    monkeypatch.setenv("REKISTERI_ADMIN_PASSWORD", STRONG)

    output = run(*ARGUMENTS, "--no-input")

    assert "Administrator ville.heikkinen created." in output
    user = User.objects.get(username="ville.heikkinen")
    assert (user.first_name, user.last_name, user.email) == (
        "Ville",
        "Heikkinen",
        "ville.heikkinen@example.fi",
    )
    assert user.check_password(STRONG)
    assert user_roles(user) == [Role.ADMINISTRATOR]
    assert user.has_perm("accounts.manage_staff")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_type, event.actor_user, event.actor_label) == (
        "create",
        ActorType.SYSTEM,
        None,
        "createadmin",
    )
    assert (event.object_id, event.changed_fields) == (
        str(user.pk),
        ["email", "first_name", "last_name", "roles", "username"],
    )


def test_it_asks_for_the_password_twice(monkeypatch):
    monkeypatch.delenv("REKISTERI_ADMIN_PASSWORD", raising=False)
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    run(*ARGUMENTS)

    assert User.objects.get(username="ville.heikkinen").check_password(STRONG)


def test_it_refuses_two_different_passwords(monkeypatch):
    monkeypatch.delenv("REKISTERI_ADMIN_PASSWORD", raising=False)
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match=r"The two passwords do not match\."):
        run(*ARGUMENTS)

    assert User.objects.count() == 0
    assert audit_trail() == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("lyhyt-ss-1", "This password is too short"),
        ("1qaz2wsx3edc", "This password is too common."),
        ("ville.heikkinen", "The password is too similar to the username."),
    ],
)
def test_it_refuses_a_weak_password(monkeypatch, password, message):
    """A weak password is an error (a non-zero exit), and nothing is stored."""
    monkeypatch.setenv("REKISTERI_ADMIN_PASSWORD", password)

    with pytest.raises(CommandError, match=message):
        run(*ARGUMENTS, "--no-input")

    assert User.objects.count() == 0
    assert audit_trail() == []


def test_without_input_the_password_must_be_in_the_environment(monkeypatch):
    monkeypatch.delenv("REKISTERI_ADMIN_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="REKISTERI_ADMIN_PASSWORD"):
        run(*ARGUMENTS, "--no-input")

    assert User.objects.count() == 0


def test_it_refuses_a_taken_username(monkeypatch):
    monkeypatch.setenv("REKISTERI_ADMIN_PASSWORD", STRONG)
    run(*ARGUMENTS, "--no-input")

    with pytest.raises(CommandError, match="already exists"):
        run(*ARGUMENTS, "--no-input")

    assert User.objects.count() == 1
    assert audit_trail("action") == [("create",)]
