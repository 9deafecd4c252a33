"""The public privacy portal: requests confirmed through the email on record, and the
customer's own marketing choices through an emailed link (no staff sign-in)."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rekisteri.audit.models import AuditEvent
from rekisteri.consents.models import ConsentEvent
from rekisteri.consents.selectors import consent_state, consent_text_current
from rekisteri.portal.sending import consent_token
from rekisteri.privacy.models import PortalAttempt, RequestStatus, SubjectRequest
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    found = re.search(r"https?://[^\s]+", message.body)
    assert found is not None
    return found.group(0).split("8000", 1)[-1]


def token_in(link: str) -> str:
    """The token of an emailed link: in its query string, never in its path."""
    [token] = parse_qs(urlsplit(link).query)["t"]
    assert token not in urlsplit(link).path
    return token


def submit(client, email="aino.virtanen@example.fi", kind="access", **extra):
    """A request on the portal; the worker then sends the confirmation (if any)."""
    response = client.post(
        reverse("portal:request"),
        {"kind": kind, "name": "Aino Virtanen", "email": email, **extra},
    )
    run_queued_tasks()
    return response


def confirm(client, link: str):
    """The confirmation page's button: it posts the link's token in the form's body."""
    return client.post(reverse("portal:verify"), {"t": token_in(link)})


def test_a_request_is_confirmed_by_the_link_sent_to_the_email_on_record():
    customer = make_customer(email="aino.virtanen@example.fi")
    client = Client()

    response = submit(client, email="Aino.Virtanen@example.fi")

    assert response.status_code == 200
    assert "If the email address is in our register" in response.content.decode() or (
        "Jos sähköpostiosoite" in response.content.decode()
    )
    request = SubjectRequest.objects.get()
    assert (request.customer, request.status) == (customer, RequestStatus.AWAITING_VERIFICATION)
    assert [m.to for m in mail.outbox] == [[customer.email]]
    path = link_in(mail.outbox[0])

    # Opening the link only asks; a mail scanner's GET confirms nothing.
    assert client.get(path).status_code == 200
    request.refresh_from_db()
    assert request.verified_at is None

    assert confirm(client, path).status_code == 200
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.verification_method == "email_link"
    assert AuditEvent.objects.filter(
        object_type="privacy.subjectrequest", actor_type="customer"
    ).exists()


def test_an_unknown_email_gets_the_same_answer_and_no_mail():
    known = submit(Client(), email="tuntematon@example.fi")

    assert known.status_code == 200
    assert not mail.outbox
    request = SubjectRequest.objects.get()
    assert request.customer is None


def test_bad_input_gets_clear_messages_and_nothing_is_stored():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("portal:request"), {"kind": "access", "name": " ", "email": "ei-osoite"}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Give your name." in content
    assert "Give a valid email address" in content
    assert not SubjectRequest.objects.exists()


def test_an_objection_is_carried_out_when_confirmed():
    customer = make_customer(email="aino.virtanen@example.fi")
    client = Client()
    submit(client, kind="objection")

    confirm(client, link_in(mail.outbox[0]))

    assert consent_state(customer).banned
    assert SubjectRequest.objects.get().status == RequestStatus.COMPLETED


def test_a_link_older_than_a_day_or_forged_is_refused(monkeypatch):
    make_customer(email="aino.virtanen@example.fi")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 25 * 3600)
    submit(Client())
    monkeypatch.setattr(time, "time", real_time)
    path = link_in(mail.outbox[0])

    assert confirm(Client(), path).status_code == 404
    assert Client().post(reverse("portal:verify"), {"t": "forged:token"}).status_code == 404
    assert SubjectRequest.objects.get().verified_at is None


def test_the_portal_limits_requests_per_email_from_one_address():
    make_customer(email="aino.virtanen@example.fi")
    client = Client()
    for _ in range(3):
        assert submit(client).status_code == 200

    response = submit(client)

    assert response.status_code == 429
    assert SubjectRequest.objects.count() == 3
    assert PortalAttempt.objects.exists()
    assert not PortalAttempt.objects.filter(key_digest__contains="example.fi").exists()


def test_the_customer_manages_consents_through_the_emailed_link():
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="fi")
    client = Client(HTTP_USER_AGENT="Testiselain/1.0")

    client.post(reverse("portal:consent_link"), {"email": customer.email})
    run_queued_tasks()
    link = link_in(mail.outbox[0])
    page = client.get(link)
    path, token = reverse("portal:consents"), token_in(link)
    text = consent_text_current(channel="email")
    assert text is not None
    assert text.text_fi in page.content.decode()

    client.post(path, {"t": token, "change": "grant", "channel": "email", "text": text.pk})
    assert consent_state(customer).allows("email")
    grant = ConsentEvent.objects.get(customer=customer, kind="grant")
    assert (grant.source, grant.text, grant.user_agent) == (
        "privacy_portal",
        text,
        "Testiselain/1.0",
    )
    assert grant.ip_address == "127.0.0.1"

    client.post(path, {"t": token, "change": "ban"})
    assert consent_state(customer).banned
    assert not consent_state(customer).allows("email")


def test_an_unknown_email_gets_no_consent_link_but_the_same_page():
    response = Client().post(reverse("portal:consent_link"), {"email": "ei.asiakas@example.fi"})
    run_queued_tasks()

    assert response.status_code == 200
    assert not mail.outbox


def test_a_stale_wording_is_not_recorded_as_given():
    customer = make_customer()
    path, token = reverse("portal:consents"), consent_token(customer)
    sms_text = consent_text_current(channel="sms")
    assert sms_text is not None

    response = Client().post(
        path, {"t": token, "change": "grant", "channel": "email", "text": sms_text.pk}
    )

    assert response.status_code == 400
    assert not ConsentEvent.objects.filter(customer=customer).exists()


def test_the_portal_speaks_english_on_request():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("portal:index"))

    assert response.status_code == 200
    assert "Your data and privacy" in response.content.decode()
    assert "Data Protection Ombudsman" in response.content.decode()
