"""The breach register's services: recording a breach, the 72-hour clock to the
notification of the authority (GDPR art. 33), the decision and its reasons, and the
reminders to the privacy officers."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.breaches.tests.breach_steps import breach_events, decide, notify, record
from rekisteri.privacy.models import Breach, BreachDecision
from rekisteri.testing.factories import make_staff
from rekisteri.versioning import Conflict

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
HOUR = datetime.timedelta(hours=1)
HELSINKI = ZoneInfo("Europe/Helsinki")


# Recording ----------------------------------------------------------------------------


def test_a_breach_is_recorded_with_its_facts_and_audited():
    officer = make_staff(Role.PRIVACY_OFFICER)
    detected = timezone.now() - 2 * HOUR

    breach = record(
        detected,
        actor=Actor(type=ActorType.STAFF, user=officer, label=officer.username),
        occurred_at=detected - 24 * HOUR,
        summary="  Asiakaslista   lähti väärälle vastaanottajalle ",
        data_categories=["names", "identity_codes", "names"],
    )

    breach.refresh_from_db()
    assert breach.detected_at == detected
    assert breach.occurred_at == detected - 24 * HOUR
    assert breach.summary == "Asiakaslista lähti väärälle vastaanottajalle"
    assert breach.data_categories == ["names", "identity_codes"]
    assert (breach.people_affected, breach.records_affected) == (120, 130)
    assert breach.recorded_by == officer
    assert breach.decision == BreachDecision.UNDECIDED
    assert breach_events() == [(Action.CREATE, "breach recorded")]


def test_unknown_numbers_of_people_and_records_are_allowed():
    breach = record(people_affected=None, records_affected=None)

    breach.refresh_from_db()
    assert (breach.people_affected, breach.records_affected) == (None, None)


def test_a_breach_with_bad_facts_is_refused_and_nothing_is_stored():
    now = timezone.now()

    with pytest.raises(ValidationError) as refused:
        record(
            now + HOUR,
            occurred_at=now + 2 * HOUR,
            summary="   ",
            description="",
            data_categories=["names", "shoe_sizes"],
            people_affected=-1,
        )

    assert set(refused.value.message_dict) == {
        "detected_at",
        "occurred_at",
        "summary",
        "description",
        "data_categories",
        "people_affected",
    }
    assert refused.value.message_dict["detected_at"] == [
        "The time of detection cannot be in the future."
    ]
    assert not Breach.objects.exists()
    assert breach_events() == []


def test_the_breach_cannot_have_occurred_after_it_was_detected():
    detected = timezone.now() - HOUR

    with pytest.raises(ValidationError) as refused:
        record(detected, occurred_at=detected + datetime.timedelta(minutes=1))

    assert refused.value.message_dict == {
        "occurred_at": ["The breach cannot have occurred after it was detected."]
    }
    assert not Breach.objects.exists()


def test_an_update_with_a_stale_version_changes_nothing():
    breach = record()
    breaches.breach_update(
        actor=SYSTEM, breach=breach, version=1, **_facts(breach, people_affected=150)
    )

    with pytest.raises(Conflict):
        breaches.breach_update(
            actor=SYSTEM, breach=breach, version=1, **_facts(breach, people_affected=10)
        )

    breach.refresh_from_db()
    assert (breach.people_affected, breach.version) == (150, 2)
    assert breach_events() == [
        (Action.CREATE, "breach recorded"),
        (Action.UPDATE, "breach updated"),
    ]
    assert AuditEvent.objects.filter(object_type="privacy.breach").latest("id").changed_fields == [
        "people_affected"
    ]


def _facts(breach, **overrides):
    names = ["detected_at", "occurred_at", "summary", "description", "data_categories"]
    names += ["people_affected", "records_affected", "likely_consequences", "measures_taken"]
    return {name: getattr(breach, name) for name in names} | overrides


def test_a_time_given_back_to_the_minute_keeps_its_seconds():
    """The form shows times to the minute: saving it unchanged does not move the clock."""
    detected = timezone.now().replace(second=42, microsecond=123456) - HOUR
    breach = record(detected)

    updated = breaches.breach_update(
        actor=SYSTEM,
        breach=breach,
        version=1,
        **_facts(breach, detected_at=detected.replace(second=0, microsecond=0)),
    )

    assert updated.detected_at == detected


def test_the_time_of_detection_is_fixed_once_the_authority_is_notified():
    detected = timezone.now() - 10 * HOUR
    breach = notify(decide(record(detected)), detected + 5 * HOUR)

    with pytest.raises(ValidationError) as refused:
        breaches.breach_update(
            actor=SYSTEM,
            breach=breach,
            version=breach.version,
            **_facts(breach, detected_at=detected - 80 * HOUR),
        )

    assert list(refused.value.message_dict) == ["detected_at"]
    breach.refresh_from_db()
    assert breach.detected_at == detected


# The 72-hour clock --------------------------------------------------------------------


def test_the_deadline_is_exactly_72_hours_after_the_detection_across_daylight_saving():
    # Summer time began in Finland on 30 March 2025 at 03:00: 72 hours from 14:00 on
    # the 28th end at 15:00 on the 31st, Helsinki time.
    breach = record(datetime.datetime(2025, 3, 28, 14, 0, tzinfo=HELSINKI))
    detected = datetime.datetime(2025, 3, 28, 12, 0, tzinfo=datetime.UTC)

    deadline = breaches.notification_deadline(breach)

    assert deadline == datetime.datetime(2025, 3, 31, 12, 0, tzinfo=datetime.UTC)
    assert deadline.astimezone(HELSINKI).hour == 15
    assert breaches.hours_left(breach, now=detected) == 72.0
    assert breaches.hours_left(breach, now=detected + 71.5 * HOUR) == 0.5
    assert breaches.hours_left(breach, now=deadline) == 0.0
    assert breaches.hours_left(breach, now=deadline.astimezone(HELSINKI) - HOUR) == 1.0


def test_the_clock_shows_hours_left_and_how_much_it_is_overdue():
    detected = timezone.now() - 100 * HOUR
    breach = record(detected)

    early = breaches.breach_clock(breach, now=detected + datetime.timedelta(hours=30, minutes=20))
    late = breaches.breach_clock(breach, now=detected + 80 * HOUR + datetime.timedelta(minutes=10))

    assert early.running and not early.overdue and not early.urgent
    assert early.whole_hours_left == 41
    assert late.running and late.overdue and late.urgent
    assert late.hours_left == pytest.approx(-8 - 1 / 6)
    assert late.hours_overdue == 9


def test_the_clock_runs_until_a_decision_not_to_notify():
    breach = record(timezone.now() - 80 * HOUR)
    assert breaches.clock_running(breach)

    breach = decide(breach, BreachDecision.NOTIFY)
    assert breaches.clock_running(breach)

    breach = decide(
        breach, BreachDecision.NOT_NOTIFY, "Salattu levy, avain ei vuotanut: ei riskiä."
    )

    assert not breaches.clock_running(breach)
    assert not breaches.breach_clock(breach).overdue
    assert breach.decided_at is not None


def test_the_clock_stops_when_the_authority_is_notified():
    detected = timezone.now() - 30 * HOUR
    breach = decide(record(detected))

    breach = notify(breach, detected + 20 * HOUR, late_reason="Tätä ei tarvita ajoissa.")

    breach.refresh_from_db()
    assert not breaches.clock_running(breach)
    assert breach.authority_notified_at == detected + 20 * HOUR
    assert breach.authority_reference == "TSV/1234/2026"
    assert breach.late_notification_reason == ""
    assert breaches.breach_clock(breach).hours_late == 0
    assert breach_events()[-1] == (Action.UPDATE, "authority notified within 72 hours")


# The decision -------------------------------------------------------------------------


def test_the_decision_is_recorded_with_who_when_and_why():
    officer = make_staff(Role.PRIVACY_OFFICER)
    breach = record()

    decided = breaches.breach_decide(
        actor=Actor(type=ActorType.STAFF, user=officer, label=officer.username),
        breach=breach,
        decision=BreachDecision.NOT_NOTIFY,
        reason="  Tiedot olivat vahvasti salattuja.  ",
        version=1,
    )

    decided.refresh_from_db()
    assert decided.decision == BreachDecision.NOT_NOTIFY
    assert decided.decision_reason == "Tiedot olivat vahvasti salattuja."
    assert decided.decided_by == officer
    assert decided.decided_at is not None
    assert timezone.now() - decided.decided_at < datetime.timedelta(seconds=10)
    assert decided.version == 2
    assert breach_events()[-1] == (Action.UPDATE, "decision: not_notify")


@pytest.mark.parametrize(
    ("decision", "reason", "fields"),
    [
        ("notify", "lyhyt", {"reason"}),
        ("undecided", "Tämä on riittävän pitkä perustelu.", {"decision"}),
        ("maybe", "", {"decision", "reason"}),
    ],
)
def test_a_decision_needs_a_choice_and_a_reason_of_ten_characters(decision, reason, fields):
    breach = record()

    with pytest.raises(ValidationError) as refused:
        breaches.breach_decide(
            actor=SYSTEM, breach=breach, decision=decision, reason=reason, version=1
        )

    assert set(refused.value.message_dict) == fields
    breach.refresh_from_db()
    assert (breach.decision, breach.decision_reason, breach.decided_at) == ("undecided", "", None)
    assert breach_events() == [(Action.CREATE, "breach recorded")]


def test_the_decision_cannot_change_once_the_authority_is_notified():
    detected = timezone.now() - 5 * HOUR
    breach = notify(decide(record(detected)), detected + HOUR)

    with pytest.raises(ValidationError, match="already been notified"):
        decide(breach, BreachDecision.NOT_NOTIFY, "Ei riskiä sittenkään, arvioitiin uudelleen.")

    breach.refresh_from_db()
    assert breach.decision == BreachDecision.NOTIFY


# The notification of the authority ----------------------------------------------------


def test_a_late_notification_needs_the_reasons_for_the_delay():
    detected = timezone.now() - 80 * HOUR
    breach = decide(record(detected))

    with pytest.raises(ValidationError) as refused:
        notify(breach, detected + 79 * HOUR, late_reason="  ")

    assert list(refused.value.message_dict) == ["late_reason"]
    breach.refresh_from_db()
    assert breach.authority_notified_at is None
    assert breaches.clock_running(breach)
    events_before = breach_events()

    notified = notify(
        breach, detected + 79 * HOUR, late_reason="Laajuus selvisi vasta lokien analyysissä."
    )

    notified.refresh_from_db()
    assert notified.authority_notified_at == detected + 79 * HOUR
    assert notified.late_notification_reason == "Laajuus selvisi vasta lokien analyysissä."
    assert breaches.breach_clock(notified).hours_late == 7
    assert breach_events() == [
        *events_before,
        (Action.UPDATE, "authority notified 7 h after the 72-hour deadline"),
    ]


def test_a_notification_exactly_at_the_deadline_is_on_time():
    detected = timezone.now() - 73 * HOUR
    breach = notify(decide(record(detected)), detected + 72 * HOUR)

    assert breach.late_notification_reason == ""
    assert breaches.breach_clock(breach).hours_late == 0


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (-HOUR, "before the breach was detected"),
        (20 * HOUR, "cannot be in the future"),
    ],
)
def test_the_time_of_the_notification_must_be_between_detection_and_now(offset, message):
    detected = timezone.now() - 10 * HOUR
    breach = decide(record(detected))

    with pytest.raises(ValidationError, match=message):
        notify(breach, detected + offset)

    breach.refresh_from_db()
    assert breach.authority_notified_at is None


def test_the_authority_is_notified_only_after_the_decision_to_notify():
    detected = timezone.now() - 10 * HOUR
    breach = record(detected)

    with pytest.raises(ValidationError, match="decision to notify"):
        notify(breach, detected + HOUR)

    breach.refresh_from_db()
    assert breach.authority_notified_at is None


# Reminders ----------------------------------------------------------------------------


@pytest.fixture
def officer():
    officer = make_staff(Role.PRIVACY_OFFICER, email="tietosuoja@example.fi")
    make_staff(Role.PRIVACY_OFFICER, email="")
    make_staff(Role.PRIVACY_OFFICER, email="entinen@example.fi", is_active=False)
    make_staff(Role.CUSTOMER_SERVICE, email="asiakaspalvelu@example.fi")
    make_staff(Role.MARKETING, email="markkinointi@example.fi")
    return officer


def test_a_reminder_goes_to_the_privacy_officers_when_less_than_24_hours_are_left(officer):
    now = timezone.now()
    soon = record(now - 49 * HOUR, summary="Kadonnut muistitikku")
    record(now - 47 * HOUR, summary="Väärin osoitettu kirje")  # 25 hours left: not yet

    count = breaches.breaches_remind(now=now)

    assert count == 1
    assert [message.to for message in mail.outbox] == [[officer.email]]
    body = mail.outbox[0].body
    assert "Kadonnut muistitikku" in body
    assert "23 h" in body
    assert "Väärin osoitettu kirje" not in body
    assert f"/privacy/breaches/{soon.public_id}/" in body
    soon.refresh_from_db()
    assert soon.reminded_at == now
    assert breach_events(soon)[-1] == (
        Action.UPDATE,
        "72-hour reminder sent to 1 privacy officers",
    )


def test_a_breach_is_reminded_of_at_most_once_in_six_hours(officer):
    now = timezone.now()
    record(now - 50 * HOUR)
    assert breaches.breaches_remind(now=now) == 1

    assert breaches.breaches_remind(now=now + datetime.timedelta(hours=5, minutes=59)) == 0
    assert len(mail.outbox) == 1

    assert breaches.breaches_remind(now=now + 6 * HOUR) == 1
    assert len(mail.outbox) == 2


def test_an_overdue_breach_is_reminded_of_with_how_late_it_is(officer):
    now = timezone.now()
    record(now - 100 * HOUR, summary="Murto varastoon")

    assert breaches.breaches_remind(now=now) == 1

    body = mail.outbox[0].body
    assert "Murto varastoon" in body
    assert "28 h" in body


def test_no_reminder_when_the_clock_has_stopped(officer):
    now = timezone.now()
    not_notified = record(now - 60 * HOUR)
    decide(not_notified, BreachDecision.NOT_NOTIFY, "Tiedot olivat salattuja, ei riskiä.")
    notified = decide(record(now - 70 * HOUR))
    notify(notified, now - HOUR)

    assert breaches.breaches_remind(now=now) == 0

    assert mail.outbox == []
    assert Breach.objects.filter(reminded_at__isnull=False).count() == 0


def test_the_reminder_command_reports_how_many_breaches_it_reminded_of(officer, capsys):
    record(timezone.now() - 60 * HOUR)

    call_command("breaches", "remind")

    assert capsys.readouterr().out == "Breaches in the reminder: 1\n"
    assert [message.to for message in mail.outbox] == [[officer.email]]
