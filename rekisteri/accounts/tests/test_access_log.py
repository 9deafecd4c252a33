"""The records django-axes keeps of signing in (security review finding 11): only real
accounts, and only for settings.ACCESS_LOG_DAYS, deleted by the retention run."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def post_login(client: Client, username: str, password: str):
    return client.post(URL, {"username": username, "password": password})


def test_a_name_that_is_no_account_is_not_stored(client):
    """Someone typed their password into the username field: it is kept nowhere."""
    user = make_staff(Role.CUSTOMER_SERVICE)

    post_login(client, "Kissa-istuu-puussa-42", "väärä")
    post_login(client, user.username, "väärä")

    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        (user.username, 1)
    ]
    assert not AccessFailureLog.objects.exists()
    assert not AuditEvent.objects.filter(actor_label="Kissa-istuu-puussa-42").exists()


def test_a_name_that_is_no_account_is_locked_out_like_an_account(client):
    """The answers do not tell whether the account exists."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    other = Client()

    unknown = [post_login(client, "ei.tunnettu", f"arvaus-{n}").status_code for n in range(6)]
    known = [post_login(other, user.username, f"arvaus-{n}").status_code for n in range(6)]

    assert unknown == known == [200, 200, 200, 200, 429, 429]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [user.username]


def old(model, moment: datetime.datetime, **fields: object) -> None:
    row = model.objects.create(
        user_agent="Firefox", ip_address="198.51.100.7", http_accept="text/html", **fields
    )
    model.objects.filter(pk=row.pk).update(attempt_time=moment)


def retention(*args: str) -> list[str]:
    stdout = io.StringIO()
    call_command("retention", *args, stdout=stdout)
    lines = stdout.getvalue().splitlines()
    start = lines.index("access log (90 days)")
    return lines[start : start + 6]


def test_the_retention_run_deletes_sign_in_records_older_than_the_period():
    user = make_staff(Role.CUSTOMER_SERVICE)
    now = timezone.now()
    long_ago, lately = now - datetime.timedelta(days=91), now - datetime.timedelta(days=89)
    old(AccessAttempt, long_ago, username=user.username, failures_since_start=1)
    old(AccessFailureLog, long_ago, username=user.username)
    old(AccessLog, long_ago, username=user.username)
    old(AccessLog, lately, username=user.username)
    cutoff = (now - datetime.timedelta(days=90)).date().isoformat()

    plan = retention("run", "--dry-run")

    assert plan[:5] == [
        "access log (90 days)",
        f"  cut-off: {cutoff}",
        "  due: 3 (2 attempts, 1 sign-ins)",
        "  what: delete the records of sign-in attempts and sign-ins",
        "  why: recorded more than 90 days ago",
    ]
    assert (AccessAttempt.objects.count(), AccessLog.objects.count()) == (1, 2)
    assert not AuditEvent.objects.filter(object_type="axes.accesslog").exists()

    run = retention("run")

    assert run[:4] == [
        "access log (90 days)",
        f"  cut-off: {cutoff}",
        "  due: 3 (2 attempts, 1 sign-ins)",
        "  done: 3",
    ]
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()
    assert list(AccessLog.objects.values_list("attempt_time", flat=True)) == [lately]
    event = AuditEvent.objects.get(object_type="axes.accesslog")
    assert (event.action, event.actor_label, event.reason) == (
        Action.ERASE,
        "retention",
        f"access log before {cutoff} (90 days): 2 attempts, 1 sign-ins",
    )


def test_a_sign_in_is_still_recorded_for_its_period(client):
    user = make_staff(Role.CUSTOMER_SERVICE)

    post_login(client, user.username, PASSWORD)

    assert list(AccessLog.objects.values_list("username", flat=True)) == [user.username]
