"""The replay log: every withdrawal, objection, ban and restriction (and lift) is kept
outside the database by opaque ids, and a replay after a restore does again, in order
and once, the acts the restored database lost."""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import event_reasons_read
from rekisteri.consents.models import Channel, ConsentEvent, EventKind, Source
from rekisteri.consents.selectors import consent_state
from rekisteri.consents.services import (
    consent_grant,
    consent_withdraw,
    marketing_ban,
    marketing_ban_lift,
    marketing_object,
)
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure.services import customer_restrict, customer_restriction_lift
from rekisteri.privacy.models import ReplayLogEntry
from rekisteri.privacy.replay.services import Outcome, Replayed, acts_replay, replay_all
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REPLAYER = Actor.system("replay")
REASON = "Asiakas pyysi puhelimessa"


@pytest.fixture(autouse=True)
def replay_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    settings.REKISTERI_REPLAY_LOG = tmp_path / "replay-log.jsonl"
    return settings.REKISTERI_REPLAY_LOG


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Backup:
    """What a backup taken now holds of the ledger, the statuses and the replay log's
    table; `restore` puts the database back so (the audit trail is left alone)."""

    def __init__(self) -> None:
        self.last_event = ConsentEvent.objects.order_by("-id").values_list("id", flat=True)[0]
        self.statuses = dict(Customer.objects.values_list("pk", "status"))
        self.acts = set(ReplayLogEntry.objects.values_list("pk", flat=True))

    def restore(self) -> None:
        ConsentEvent.objects.filter(id__gt=self.last_event).delete()
        for pk, status in self.statuses.items():
            Customer.objects.filter(pk=pk).update(status=status)
        ReplayLogEntry.objects.exclude(pk__in=self.acts).delete()


def customer_with_email_consent():
    customer = make_customer()
    consent_grant(actor=SYSTEM, customer=customer, channel=Channel.EMAIL, source=Source.STAFF)
    return customer


def test_each_act_goes_to_the_table_and_the_file_by_opaque_ids_only(
    replay_log, django_capture_on_commit_callbacks
):
    customer = customer_with_email_consent()
    assert lines(replay_log) == []  # a grant is not replayed
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(
            actor=SYSTEM, customer=customer, channel=Channel.EMAIL, source=Source.EMAIL
        )
        marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
        marketing_ban_lift(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
        marketing_object(actor=SYSTEM, customer=customer, source=Source.PRIVACY_PORTAL)
        customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
        customer_restriction_lift(actor=SYSTEM, customer=customer, reason=REASON)

    # A lift is written once its transaction commits, which in a test is at the end.
    written = sorted(
        lines(replay_log), key=lambda line: datetime.datetime.fromisoformat(line["at"])
    )
    entries = list(ReplayLogEntry.objects.order_by("id"))
    events = list(ConsentEvent.objects.filter(customer=customer).order_by("id"))[1:]
    customer.refresh_from_db()
    assert [(line["kind"], line.get("channel"), line.get("source")) for line in written] == [
        ("withdrawal", "email", "email"),
        ("ban", None, "phone_call"),
        ("ban_lifted", None, "phone_call"),
        ("objection", None, "privacy_portal"),
        ("restriction", None, None),
        ("restriction_lifted", None, None),
    ]
    assert {line["customer"] for line in written} == {str(customer.public_id)}
    assert [line["act"] for line in written] == [str(entry.act_id) for entry in entries]
    assert [entry.done_at.isoformat() for entry in entries] == [line["at"] for line in written]
    assert [entry.done_at for entry in entries[:4]] == [event.occurred_at for event in events]
    assert entries[5].done_at == customer.updated_at
    assert {key for line in written for key in line} <= {
        "act",
        "customer",
        "kind",
        "channel",
        "source",
        "at",
    }
    text = replay_log.read_text().casefold()
    for value in (customer.surname, customer.first_names, customer.email, customer.phone):
        # As a word: a first name such as "Anne" is inside the key "channel".
        assert not re.search(rf"\b{re.escape(value.casefold())}\b", text)


def test_a_replay_after_a_restore_does_each_lost_act_again_in_order(
    replay_log, django_capture_on_commit_callbacks
):
    consenting = customer_with_email_consent()
    restricted = make_customer()
    backup = Backup()
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(
            actor=SYSTEM, customer=consenting, channel=Channel.EMAIL, source=Source.EMAIL
        )
        marketing_ban(actor=SYSTEM, customer=consenting, source=Source.PHONE_CALL)
        marketing_ban_lift(actor=SYSTEM, customer=consenting, source=Source.PHONE_CALL)
        marketing_object(actor=SYSTEM, customer=consenting, source=Source.PRIVACY_PORTAL)
        customer_restrict(actor=SYSTEM, customer=restricted, reason=REASON)
    acts = list(ReplayLogEntry.objects.order_by("id"))
    backup.restore()
    assert consent_state(consenting).allows(Channel.EMAIL)
    last_event = AuditEvent.objects.order_by("-id")[0].pk

    replayed = acts_replay(actor=REPLAYER)

    assert replayed == [
        Replayed(kind, channel, act.done_at, customer.public_id, customer.customer_number, done)
        for (kind, channel, customer), act, done in zip(
            [
                ("withdrawal", "email", consenting),
                ("ban", "", consenting),
                ("ban_lifted", "", consenting),
                ("objection", "", consenting),
                ("restriction", "", restricted),
            ],
            acts,
            [Outcome.DONE] * 5,
            strict=True,
        )
    ]
    state = consent_state(consenting)
    assert (state.banned, state.channels[Channel.EMAIL].reason) == (True, "banned")
    ledger = ConsentEvent.objects.filter(customer=consenting, id__gt=backup.last_event)
    assert list(ledger.order_by("id").values_list("kind", "channel", "source", "occurred_at")) == [
        (EventKind.WITHDRAWAL, "email", "email", acts[0].done_at),
        (EventKind.BAN, "", "phone_call", acts[1].done_at),
        (EventKind.BAN_LIFTED, "", "phone_call", acts[2].done_at),
        (EventKind.OBJECTION, "", "privacy_portal", acts[3].done_at),
    ]
    assert Customer.objects.get(pk=restricted.pk).status == Status.RESTRICTED
    events = event_reasons_read(list(AuditEvent.objects.filter(id__gt=last_event).order_by("id")))
    assert [
        # `reason_text` is what event_reasons_read sets: the reason as a reader sees it.
        (event.customer_id, event.action, event.actor_label, event.reason_text)  # type: ignore[attr-defined]
        for event in events
    ] == [
        (consenting.pk, Action.CREATE, "replay", "replay log replay: withdrawal email (email)"),
        (
            consenting.pk,
            Action.CREATE,
            "replay",
            "replay log replay: ban all channels (phone_call)",
        ),
        (
            consenting.pk,
            Action.CREATE,
            "replay",
            "replay log replay: ban_lifted all channels (phone_call)",
        ),
        (
            consenting.pk,
            Action.CREATE,
            "replay",
            "replay log replay: objection all channels (privacy_portal)",
        ),
        (restricted.pk, Action.UPDATE, "replay", "replay log replay: restricted (art. 18)"),
    ]
    assert set(ReplayLogEntry.objects.values_list("act_id", flat=True)) == {
        act.act_id for act in acts
    }
    assert len(lines(replay_log)) == 5

    # Once done again, an act is in the database: replaying again changes nothing.
    audit_after = AuditEvent.objects.count()
    assert acts_replay(actor=REPLAYER) == []
    assert AuditEvent.objects.count() == audit_after
    assert ConsentEvent.objects.filter(customer=consenting, id__gt=backup.last_event).count() == 4
    assert len(lines(replay_log)) == 5


def test_a_lift_that_no_longer_applies_and_an_unknown_customer_change_nothing(
    replay_log, django_capture_on_commit_callbacks
):
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
        customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
        customer_restriction_lift(actor=SYSTEM, customer=customer, reason=REASON)
        marketing_ban_lift(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
    stranger = uuid.uuid4()
    with replay_log.open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "act": str(uuid.uuid4()),
                    "customer": str(stranger),
                    "kind": "ban",
                    "source": "email",
                    "at": "2026-12-01T10:00:00+00:00",
                }
            )
            + "\n"
        )
    # The backup: the lifts are lost, but the database says the same already.
    ReplayLogEntry.objects.filter(kind__in=["ban_lifted", "restriction_lifted"]).delete()
    audit_before = AuditEvent.objects.count()
    events_before = ConsentEvent.objects.count()
    Customer.objects.filter(pk=customer.pk).update(status=Status.ACTIVE)
    ConsentEvent.objects.filter(customer=customer).order_by("-id")[0].delete()

    replayed = acts_replay(actor=REPLAYER)

    assert [(act.kind, act.customer_number, act.outcome) for act in replayed] == [
        ("ban", None, Outcome.NO_CUSTOMER),
        ("restriction_lifted", customer.customer_number, Outcome.UNCHANGED),
        ("ban_lifted", customer.customer_number, Outcome.DONE),
    ]
    assert consent_state(customer).banned is False
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE
    assert AuditEvent.objects.count() == audit_before + 1
    assert ConsentEvent.objects.count() == events_before
    assert ReplayLogEntry.objects.count() == 5
    assert acts_replay(actor=REPLAYER) == []


def test_a_withdrawal_whose_commit_fails_keeps_its_line_and_a_lift_leaves_none(
    replay_log, django_capture_on_commit_callbacks
):
    """Each failure errs towards the person's no: a replay does the withdrawal, and keeps
    the ban whose lift never committed."""
    customer = make_customer()
    marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        consent_withdraw(actor=SYSTEM, customer=customer, channel=Channel.POST, source=Source.EMAIL)
        marketing_ban_lift(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
        raise RuntimeError("the commit fails")

    assert [line["kind"] for line in lines(replay_log)] == ["ban", "withdrawal"]
    assert ReplayLogEntry.objects.count() == 1
    replayed = acts_replay(actor=REPLAYER)
    assert [(act.kind, act.outcome) for act in replayed] == [("withdrawal", Outcome.DONE)]
    assert not consent_state(customer).allows(Channel.POST)
    assert consent_state(customer).banned is True


def test_the_file_gets_back_what_only_the_table_lists(replay_log):
    customer = make_customer()
    marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
    written = lines(replay_log)
    replay_log.unlink()

    assert acts_replay(actor=REPLAYER) == []

    assert lines(replay_log) == written


def test_an_unreadable_line_is_skipped_and_the_rest_replayed(replay_log, caplog):
    customer = make_customer()
    marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
    ReplayLogEntry.objects.all().delete()
    ConsentEvent.objects.all().delete()
    good = replay_log.read_text()
    bad = dict(json.loads(good), act=str(uuid.uuid4()), kind="grant")
    replay_log.write_text('{"act": "not-an-id"\n' + json.dumps(bad) + "\n" + good)

    with caplog.at_level(logging.WARNING, logger="rekisteri.privacy.replay.log"):
        replayed = acts_replay(actor=REPLAYER)

    assert [record.getMessage() for record in caplog.records] == [
        "replay log line 1 is unreadable and was skipped",
        "replay log line 2 is unreadable and was skipped",
    ]
    assert [(act.kind, act.outcome) for act in replayed] == [("ban", Outcome.DONE)]
    assert consent_state(customer).banned is True


def test_the_command_replays_both_logs_and_lists_what_it_did(replay_log):
    customer = make_customer()
    marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
    entry = ReplayLogEntry.objects.get()
    entry.delete()
    ConsentEvent.objects.all().delete()
    out = io.StringIO()

    call_command("replay", stdout=out)

    when = timezone.localtime(entry.done_at)
    assert out.getvalue() == (
        f"Replay log {replay_log} replayed: 1 act(s) done again, 0 left as they were.\n"
        f"Erasure log {replay_log.parent / 'erasure-log.jsonl'} replayed: 0 erased again.\n"
        f"  {when:%Y-%m-%d %H:%M:%S %Z}  ban  customer {customer.customer_number} "
        f"({customer.public_id}): done again\n"
    )
    assert replay_all(actor=REPLAYER).lines() == []
