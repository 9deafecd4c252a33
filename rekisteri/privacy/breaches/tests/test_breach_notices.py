"""The people affected by a breach and the notice to them (GDPR art. 34): listing
them by customer number, and the background sending through the email backend with
its outcome recorded per recipient."""

import datetime
import re
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.breaches.tests.breach_steps import add
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.models import BreachSubject
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
SUBJECT = "Tietoturvaloukkaus: asiakastietojasi on voinut päätyä ulkopuolisille"
BODY = (
    "Hyvä asiakkaamme,\n\n9.3. lähetimme asiakaslistan väärälle vastaanottajalle. "
    "Listalla oli nimesi ja sähköpostiosoitteesi. Ole varovainen, jos saat "
    "epäilyttäviä viestejä."
)


def record():
    return breaches.breach_record(
        actor=SYSTEM,
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Asiakaslista lähti väärälle vastaanottajalle",
        description="Tilausraportti lähetettiin väärälle yhteistyökumppanille.",
        data_categories=["names", "contact_details"],
        people_affected=4,
        records_affected=4,
        likely_consequences="Tietojenkalastelu.",
        measures_taken="Vastaanottajaa pyydettiin poistamaan viesti.",
    )


def write_notice(breach, *, must_be_told=True, subject=SUBJECT, body=BODY):
    breach.refresh_from_db()
    return breaches.breach_notice_update(
        actor=SYSTEM,
        breach=breach,
        people_must_be_told=must_be_told,
        notice_subject=subject,
        notice_body=body,
        version=breach.version,
    )


def send(breach, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = breaches.breach_notices_send(actor=SYSTEM, breach=breach)
    run_queued_tasks()
    return queued


def outcomes(breach):
    return {
        subject.customer.customer_number: (subject.notice_status, subject.detail)
        for subject in BreachSubject.objects.filter(breach=breach).select_related("customer")
    }


def breach_reasons():
    return list(
        AuditEvent.objects.filter(object_type="privacy.breach")
        .order_by("id")
        .values_list("reason", flat=True)
    )


# Listing the people affected ----------------------------------------------------------


def test_adding_people_is_idempotent_and_counts_only_the_new():
    breach = record()
    first, second, third = make_customer(), make_customer(), make_customer()

    assert add(breach, first, second) == 2
    assert add(breach, second, third, third) == 1
    assert add(breach, first) == 0

    assert set(outcomes(breach)) == {c.customer_number for c in (first, second, third)}
    assert set(BreachSubject.objects.values_list("notice_status", flat=True)) == {"pending"}
    assert breach_reasons() == [
        "breach recorded",
        "people affected added: 2",
        "people affected added: 1",
    ]


def test_an_unknown_customer_number_adds_no_one():
    breach = record()
    known = make_customer()

    with pytest.raises(ValidationError) as refused:
        breaches.breach_subjects_add(
            actor=SYSTEM,
            breach=breach,
            customer_numbers=[known.customer_number, 99999999, 10**30],
        )

    assert refused.value.message_dict == {
        "customer_numbers": [
            f"No customer has these numbers: 99999999, {10**30}. No one was added."
        ]
    }
    assert not BreachSubject.objects.exists()
    assert breach_reasons() == ["breach recorded"]


def test_adding_needs_at_least_one_number():
    breach = record()

    with pytest.raises(ValidationError, match="at least one customer number"):
        breaches.breach_subjects_add(actor=SYSTEM, breach=breach, customer_numbers=[])

    assert not BreachSubject.objects.exists()


# Sending the notice -------------------------------------------------------------------


def test_each_person_gets_the_notice_in_their_language_and_each_outcome_is_recorded(
    django_capture_on_commit_callbacks, settings
):
    settings.BUSINESS_NAME = "Oulunseutuvarasto"
    breach = record()
    finnish = make_customer(email="aino.virtanen@example.fi")
    english = make_customer(email="john.smith@example.fi", preferred_language="en")
    without_email = make_customer(email="")
    erased = make_customer(email="poistettava@example.fi")
    add(breach, finnish, english, without_email, erased)
    erasure.customer_erase(actor=SYSTEM, customer=erased, reason="Asiakkaan oma poistopyyntö")
    write_notice(breach)

    queued = send(breach, django_capture_on_commit_callbacks)

    assert queued == 4
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["aino.virtanen@example.fi", "john.smith@example.fi"]
    for message in mail.outbox:
        assert message.subject == SUBJECT
        assert message.body.startswith(BODY + "\n")
        assert message.from_email.startswith("Oulunseutuvarasto <")
    assert "Rekisterinpitäjä: Adexcon, Hintantie 85 B, 90650 Oulu." in (
        by_address["aino.virtanen@example.fi"].body
    )
    english_body = by_address["john.smith@example.fi"].body
    # The controller as the published register description names it.
    assert "Controller: Adexcon, Hintantie 85 B, 90650 Oulu." in english_body
    assert "personal data breach at Oulunseutuvarasto" in english_body
    assert outcomes(breach) == {
        finnish.customer_number: ("sent", ""),
        english.customer_number: ("sent", ""),
        without_email.customer_number: ("no_email", ""),
        erased.customer_number: ("no_email", "anonymised"),
    }
    assert not BreachSubject.objects.filter(notified_at__isnull=True).exists()
    assert breach_reasons()[-2:] == [
        "breach notices queued: 4",
        "breach notices: 2 sent, 2 without an email address, 0 failed",
    ]
    assert not AuditEvent.objects.filter(reason__contains="@").exists()


def test_a_person_is_sent_the_notice_once_and_people_added_later_get_it_too(
    django_capture_on_commit_callbacks,
):
    breach = record()
    first = make_customer(email="eka@example.fi")
    add(breach, first)
    write_notice(breach)
    send(breach, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError, match="No one listed is waiting"):
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)
    later = make_customer(email="toka@example.fi")
    add(breach, first, later)
    assert send(breach, django_capture_on_commit_callbacks) == 1

    assert [message.to for message in mail.outbox] == [["eka@example.fi"], ["toka@example.fi"]]


def test_two_sends_queued_at_once_send_each_notice_once(django_capture_on_commit_callbacks):
    breach = record()
    add(breach, make_customer(email="eka@example.fi"), make_customer(email="toka@example.fi"))
    write_notice(breach)

    with django_capture_on_commit_callbacks(execute=True):
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)

    assert run_queued_tasks() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["eka@example.fi", "toka@example.fi"]


class RefusingBackend(EmailBackend):
    """A mail server that refuses one address, as an SMTP server does."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["kiinni@example.fi"]:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


def test_a_failed_notice_is_recorded_and_sent_again_by_the_next_send(
    django_capture_on_commit_callbacks,
):
    breach = record()
    refused = make_customer(email="kiinni@example.fi")
    accepted = make_customer(email="auki@example.fi")
    add(breach, refused, accepted)
    write_notice(breach)

    with override_settings(
        EMAIL_BACKEND="rekisteri.privacy.breaches.tests.test_breach_notices.RefusingBackend"
    ):
        send(breach, django_capture_on_commit_callbacks)

    assert outcomes(breach) == {
        refused.customer_number: ("failed", "SMTPRecipientsRefused"),
        accepted.customer_number: ("sent", ""),
    }
    assert breach_reasons()[-1] == "breach notices: 1 sent, 0 without an email address, 1 failed"

    assert send(breach, django_capture_on_commit_callbacks) == 1

    assert outcomes(breach)[refused.customer_number] == ("sent", "")
    assert [message.to for message in mail.outbox] == [["auki@example.fi"], ["kiinni@example.fi"]]


class BrokenBackend(EmailBackend):
    """A mail library that fails in a way no one expected."""

    def send_messages(self, messages):
        raise RuntimeError("unexpected")


def test_notices_left_unsent_by_a_crashed_sender_wait_for_the_next_send(
    django_capture_on_commit_callbacks,
):
    breach = record()
    add(breach, make_customer(email="eka@example.fi"), make_customer(email="toka@example.fi"))
    write_notice(breach)

    with (
        override_settings(
            EMAIL_BACKEND="rekisteri.privacy.breaches.tests.test_breach_notices.BrokenBackend"
        ),
        pytest.raises(AssertionError, match="send_breach_notices failed"),
    ):
        send(breach, django_capture_on_commit_callbacks)

    assert not BreachSubject.objects.filter(notified_at__isnull=False).exists()
    assert send(breach, django_capture_on_commit_callbacks) == 2
    assert len(mail.outbox) == 2


def test_a_send_takes_over_notices_claimed_by_a_sender_that_died(
    django_capture_on_commit_callbacks,
):
    breach = record()
    add(breach, make_customer(email="eka@example.fi"), make_customer(email="toka@example.fi"))
    write_notice(breach)
    lost, busy = BreachSubject.objects.order_by("pk")
    BreachSubject.objects.filter(pk=lost.pk).update(
        notified_at=timezone.now() - breaches.CLAIM_TIMEOUT - datetime.timedelta(minutes=1)
    )
    BreachSubject.objects.filter(pk=busy.pk).update(notified_at=timezone.now())

    assert send(breach, django_capture_on_commit_callbacks) == 1

    assert [message.to for message in mail.outbox] == [["eka@example.fi"]]
    assert outcomes(breach)[lost.customer.customer_number] == ("sent", "")
    assert outcomes(breach)[busy.customer.customer_number] == ("pending", "")


@pytest.mark.parametrize(
    ("must_be_told", "subject", "body", "message"),
    [
        (False, SUBJECT, BODY, "must be told"),
        (True, "", BODY, "subject and text"),
        (True, SUBJECT, "", "subject and text"),
    ],
)
def test_sending_needs_the_decision_to_tell_and_the_notice(
    must_be_told, subject, body, message, django_capture_on_commit_callbacks
):
    breach = record()
    add(breach, make_customer(email="aino@example.fi"))
    write_notice(breach, must_be_told=must_be_told, subject=subject, body=body)
    reasons_before = breach_reasons()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match=message),
    ):
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)

    assert not DBTaskResult.objects.exists()
    assert mail.outbox == []
    assert breach_reasons() == reasons_before
    assert outcomes(breach) == {
        BreachSubject.objects.get().customer.customer_number: ("pending", "")
    }


def test_the_notice_is_fixed_once_sending_has_begun(django_capture_on_commit_callbacks):
    breach = record()
    add(breach, make_customer(email="aino@example.fi"))
    write_notice(breach)
    send(breach, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError, match="can no longer be changed"):
        write_notice(breach, body="Toinen teksti, jota kukaan ei saanut.")

    breach.refresh_from_db()
    assert breach.notice_body == BODY


def test_the_notice_subject_is_one_line():
    breach = record()

    with pytest.raises(ValidationError) as refused:
        write_notice(breach, subject="Ensimmäinen rivi\nBcc: joku@example.fi")

    assert list(refused.value.message_dict) == ["notice_subject"]
    breach.refresh_from_db()
    assert (breach.notice_subject, breach.people_must_be_told) == ("", False)


def test_nothing_is_sent_when_the_notice_was_withdrawn_before_the_sender_ran(
    django_capture_on_commit_callbacks,
):
    breach = record()
    add(breach, make_customer(email="aino@example.fi"))
    write_notice(breach)
    with django_capture_on_commit_callbacks(execute=True):
        breaches.breach_notices_send(actor=SYSTEM, breach=breach)

    write_notice(breach, must_be_told=False)
    run_queued_tasks()

    assert mail.outbox == []
    assert set(outcomes(breach).values()) == {("pending", "")}


def test_the_notice_audit_trail_names_no_one(django_capture_on_commit_callbacks):
    breach = record()
    customer = make_customer(email="aino.virtanen@example.fi", surname="Virtanen")
    add(breach, customer)
    write_notice(breach)

    send(breach, django_capture_on_commit_callbacks)

    events = AuditEvent.objects.filter(object_type="privacy.breach")
    assert events.filter(action=Action.UPDATE).count() == 4
    for reason in events.values_list("reason", flat=True):
        assert "Virtanen" not in reason
        assert "aino" not in reason
        # A customer number can be the year in a date of the reason (customer 2026).
        assert not re.search(rf"(?<![\d./-]){customer.customer_number}(?![\d./-])", reason)
