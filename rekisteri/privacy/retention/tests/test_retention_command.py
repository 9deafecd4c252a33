"""`rekisteri retention show`, `rekisteri retention run --dry-run` and `rekisteri
retention run`: what the scheduler runs every night, and what it prints."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.marketing.models import CampaignMessage
from rekisteri.privacy.models import RetentionPolicy
from rekisteri.privacy.retention.services import RULES, retention_cutoff
from rekisteri.privacy.retention.tests.backdated import (
    at,
    campaign_finished,
    legal_hold_on,
    message_to,
)
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db


def retention(*args: str) -> str:
    stdout = io.StringIO()
    call_command("retention", *args, stdout=stdout)
    return stdout.getvalue()


def block(category: str, months: int, due: int, held_back: int, done: str | None) -> list[str]:
    """What the command says of one policy."""
    rule = RULES[category]
    cutoff = retention_cutoff(category=category, months=months, today=timezone.localdate())
    lines = [
        f"{category} ({months} months)",
        f"  cut-off: {cutoff.isoformat()}",
        f"  due: {due}",
        f"  held back by a legal hold: {held_back}",
    ]
    if done is not None:
        lines.append(f"  done: {done}")
    lines += [
        f"  what: {rule.action}",
        "  why: " + str(rule.reason).format(cutoff=cutoff.isoformat(), months=months),
    ]
    return lines


def expected(*, dry_run: bool, messages_due: int, held_back: int = 0) -> str:
    done = None if dry_run else "0"
    lines = ["Dry run: nothing is changed."] if dry_run else []
    lines += [
        *block("inactive_customers", 36, 0, 0, done),
        *block("orders", 72, 0, 0, done),
        *block("consent_evidence", 24, 0, 0, done),
        *block("credit_checks", 12, 0, 0, done),
        *block(
            "campaign_messages",
            24,
            messages_due,
            held_back,
            None if dry_run else str(messages_due),
        ),
        *block("shop_deliveries", 1, 0, 0, done),
        *block("identity_codes", 3, 0, 0, done),
        *block("audit_events", 120, 0, 0, "nothing (report only)"),
        "unconfirmed portal requests (7 days)",
        "  due: 0",
        *([] if dry_run else ["  done: 0"]),
        "  what: delete",
        "  why: anyone can make a request for any email; nobody confirmed these",
        *access_log_block(dry_run=dry_run, due=0),
    ]
    return "\n".join(lines) + "\n"


def access_log_block(*, dry_run: bool, due: int, attempts: int = 0, sign_ins: int = 0) -> list[str]:
    """What the command says of the staff's sign-in records (security review finding 11)."""
    cutoff = timezone.now() - datetime.timedelta(days=90)
    return [
        "access log (90 days)",
        f"  cut-off: {cutoff.date().isoformat()}",
        f"  due: {due} ({attempts} attempts, {sign_ins} sign-ins)",
        *([] if dry_run else [f"  done: {due}"]),
        "  what: delete the records of sign-in attempts and sign-ins",
        "  why: recorded more than 90 days ago",
    ]


@pytest.fixture
def old_message() -> CampaignMessage:
    """A message of a campaign sent in 2020: past the 24 months of campaign messages."""
    return message_to(make_customer(), campaign_finished(at(datetime.date(2020, 3, 3))))


def test_show_lists_the_policies():
    RetentionPolicy.objects.filter(category="credit_checks").update(months=18, enabled=False)

    assert retention("show") == (
        "inactive_customers: 36 months, in use\n"
        "orders: 72 months, in use\n"
        "consent_evidence: 24 months, in use\n"
        "credit_checks: 18 months, not in use\n"
        "campaign_messages: 24 months, in use\n"
        "shop_deliveries: 1 months, in use\n"
        "identity_codes: 3 months, in use\n"
        "audit_events: 120 months, in use\n"
    )


def test_a_dry_run_says_what_would_be_done_and_why_and_changes_nothing(old_message):
    events = AuditEvent.objects.count()

    output = retention("run", "--dry-run")

    assert output == expected(dry_run=True, messages_due=1)
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()
    assert AuditEvent.objects.count() == events


def test_a_run_does_it_and_says_what_was_done(old_message):
    output = retention("run")

    assert output == expected(dry_run=False, messages_due=1)
    assert not CampaignMessage.objects.filter(pk=old_message.pk).exists()
    events = AuditEvent.objects.filter(object_type="privacy.retentionpolicy").order_by("id")
    assert [(e.action, e.actor_type, e.actor_label) for e in events] == [
        (Action.ERASE, "system", "retention"),
        (Action.UPDATE, "system", "retention"),
    ]


def test_a_legal_hold_is_reported_as_held_back(old_message):
    legal_hold_on(old_message.customer)

    output = retention("run")

    assert output == expected(dry_run=False, messages_due=0, held_back=1)
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()


def test_a_policy_not_in_use_says_so():
    RetentionPolicy.objects.exclude(category="orders").update(enabled=False)

    output = retention("run", "--dry-run")

    not_in_use = "  not in use: nothing is done"
    assert output.splitlines() == [
        "Dry run: nothing is changed.",
        *["inactive_customers (36 months)", not_in_use],
        *block("orders", 72, 0, 0, None),
        *["consent_evidence (24 months)", not_in_use],
        *["credit_checks (12 months)", not_in_use],
        *["campaign_messages (24 months)", not_in_use],
        *["shop_deliveries (1 months)", not_in_use],
        *["identity_codes (3 months)", not_in_use],
        *["audit_events (120 months)", not_in_use],
        "unconfirmed portal requests (7 days)",
        "  due: 0",
        "  what: delete",
        "  why: anyone can make a request for any email; nobody confirmed these",
        *access_log_block(dry_run=True, due=0),
    ]
