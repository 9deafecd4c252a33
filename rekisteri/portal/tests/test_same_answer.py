"""The portal never tells whether an email is a customer's: a request for a known and
an unknown address gets the same page and status, and does the same work in the
request; the confirmation email goes through the task queue, which retries it when
mail is down (security finding 3)."""

import re
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.privacy.models import RequestStatus, SubjectRequest
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
BROKEN_MAIL = "rekisteri.portal.tests.test_same_answer.BrokenMailBackend"


class BrokenMailBackend(BaseEmailBackend):
    """The SMTP server is down."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def masked(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"CSRF", content)


def ask(email: str, *, kind: str = "access", path: str = "portal:request"):
    data = {"kind": kind, "name": "Aino Virtanen", "email": email}
    if path == "portal:consent_link":
        data = {"email": email}
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse(path), data)


@pytest.mark.parametrize("path", ["portal:request", "portal:consent_link"])
def test_a_known_and_an_unknown_email_get_the_same_answer(path):
    make_customer(email="aino.virtanen@example.fi")

    known = ask("aino.virtanen@example.fi", path=path)
    unknown = ask("ei.asiakas@example.fi", path=path)

    assert (known.status_code, unknown.status_code) == (200, 200)
    assert masked(known.content) == masked(unknown.content)
    # Neither request sends mail itself: both queue the same task.
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_the_confirmation_is_sent_when_the_worker_runs():
    customer = make_customer(email="aino.virtanen@example.fi")
    ask("aino.virtanen@example.fi")
    ask("ei.asiakas@example.fi")
    assert mail.outbox == []

    assert run_queued_tasks() == 2

    assert [message.to for message in mail.outbox] == [[customer.email]]
    known = SubjectRequest.objects.get(requester_email="aino.virtanen@example.fi")
    unknown = SubjectRequest.objects.get(requester_email="ei.asiakas@example.fi")
    assert known.customer == customer and known.verification_sent_at is not None
    assert unknown.customer is None and unknown.verification_sent_at is None
    assert "verification link sent to the email on record" in [
        personal_text_decrypt(event) for event in AuditEvent.objects.filter(object_id=str(known.pk))
    ]


def test_mail_down_answers_the_normal_page_and_the_worker_retries():
    customer = make_customer(email="aino.virtanen@example.fi")
    with override_settings(EMAIL_BACKEND=BROKEN_MAIL):
        response = ask("aino.virtanen@example.fi")
        assert response.status_code == 200
        assert "Request received" in response.content.decode()

        run_queued_tasks()  # the send fails, and is queued again for later

    request = SubjectRequest.objects.get()
    assert request.verification_sent_at is None
    assert request.status == RequestStatus.AWAITING_VERIFICATION
    (failure,) = [
        personal_text_decrypt(event)
        for event in AuditEvent.objects.filter(object_id=str(request.pk))
        if str(personal_text_decrypt(event)).startswith("verification email")
    ]
    assert failure == (
        "verification email failed (SMTPServerDisconnected), attempt 1 of 5: tried again later"
    )
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after is not None and retry.run_after > timezone.now()
    assert mail.outbox == []

    # Mail is up again when the retry's time comes.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    assert run_queued_tasks() == 1

    assert [message.to for message in mail.outbox] == [[customer.email]]
    request.refresh_from_db()
    assert request.verification_sent_at is not None


def test_a_consent_link_is_retried_when_mail_is_down():
    customer = make_customer(email="aino.virtanen@example.fi")
    with override_settings(EMAIL_BACKEND=BROKEN_MAIL):
        response = ask("aino.virtanen@example.fi", path="portal:consent_link")
        assert response.status_code == 200
        run_queued_tasks()

    assert mail.outbox == []
    assert (
        "consent link email failed (SMTPServerDisconnected), attempt 1 of 5: tried again later"
        in [personal_text_decrypt(event) for event in AuditEvent.objects.filter(customer=customer)]
    )
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_queued_tasks() == 1
    assert [message.to for message in mail.outbox] == [[customer.email]]
