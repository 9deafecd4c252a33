"""The unsubscribe link of every campaign message, end to end: a real SMTP server
(aiosmtpd) receives the campaign, and the link in the received message's headers opts
the recipient out in one click (RFC 8058), without cookies or a CSRF token."""

import email
import email.policy
import logging
import re
import socket
from urllib.parse import urlencode

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents import services as consents
from rekisteri.consents.models import ConsentEvent, Source
from rekisteri.consents.selectors import consent_state
from rekisteri.marketing import services
from rekisteri.marketing.models import CampaignMessage
from rekisteri.marketing.services import CampaignInput
from rekisteri.marketing.tokens import unsubscribe_token
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    """A port free now (aiosmtpd's controller checks its port by connecting, so it
    cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings, monkeypatch):
    # The fake server's protocol log records every envelope address, as a real mail
    # server's does on its own host: that log is not Rekisteri's (the log guard).
    monkeypatch.setattr(logging.getLogger("mail.log"), "disabled", True)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.PUBLIC_URL = "https://rekisteri.example.fi"
    yield inbox
    controller.stop()


def opted_in(address: str):
    customer = make_customer(email=address, preferred_language="fi")
    consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source=Source.STAFF)
    return customer


def sent_campaign(django_capture_on_commit_callbacks):
    group = services.target_group_save(
        actor=SYSTEM, data=services.TargetGroupInput(name="Uutiskirje", channel="email")
    )
    campaign = services.campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Uutiskirje",
            channel="email",
            target_group=group,
            subject="Syksyn uutuudet",
            body="Uusia hyllyjä <tulossa> & paljon muuta.",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send(actor=SYSTEM, campaign=campaign, version=campaign.version)
    run_queued_tasks()
    return campaign


def one_click_path(received) -> str:
    urls = re.findall(r"<([^>]+)>", received["List-Unsubscribe"])
    https = next(url for url in urls if url.startswith("https://"))
    # The token is in the query string, which no access log keeps; the path is bare.
    assert https.startswith("https://rekisteri.example.fi/unsubscribe/?t=")
    return str(https).removeprefix("https://rekisteri.example.fi")


def unsubscribe_path(token: str) -> str:
    return f"{reverse('unsubscribe')}?{urlencode({'t': token})}"


def test_the_campaign_arrives_over_smtp_and_one_click_unsubscribes(
    smtp_server, django_capture_on_commit_callbacks
):
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)

    [received] = smtp_server.messages
    assert received["To"] == anna.email
    assert received["Subject"] == "Syksyn uutuudet"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:" in received["List-Unsubscribe"]
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Uusia hyllyjä <tulossa> & paljon muuta." in text
    assert "Uusia hyllyjä &lt;tulossa&gt; &amp; paljon muuta." in html  # escaped, never markup
    path = one_click_path(received)
    assert path in text.replace("https://rekisteri.example.fi", "")
    assert anna.email not in path

    # What a mail client does: a POST with the one-click body, no cookies, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, ONE_CLICK)

    assert response.status_code == 200
    assert not response.cookies
    assert not consent_state(anna).allows("email")
    [withdrawal] = ConsentEvent.objects.filter(customer=anna, kind="withdrawal")
    assert (withdrawal.channel, withdrawal.source) == ("email", "unsubscribe_link")
    assert withdrawal.ip_address == "127.0.0.1"
    audit = AuditEvent.objects.get(customer_id=anna.pk, actor_type="customer")
    assert personal_text_decrypt(audit) == "withdrawal email (unsubscribe_link)"
    assert CampaignMessage.objects.get(customer=anna).unsubscribed_at is not None

    # Again: the same answer, and nothing new is written.
    again = client.post(path, ONE_CLICK)
    assert again.status_code == 200
    assert ConsentEvent.objects.filter(customer=anna, kind="withdrawal").count() == 1


def test_a_get_only_asks_and_changes_nothing(smtp_server, django_capture_on_commit_callbacks):
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)
    path = one_click_path(smtp_server.messages[0])
    events_before = ConsentEvent.objects.count()

    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert b"Do you want to stop receiving marketing" in response.content
    assert b'name="List-Unsubscribe" value="One-Click"' in response.content
    assert not response.cookies
    assert ConsentEvent.objects.count() == events_before
    assert consent_state(anna).allows("email")


def test_a_post_without_the_one_click_body_changes_nothing(django_capture_on_commit_callbacks):
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)
    token = unsubscribe_token(CampaignMessage.objects.get(customer=anna))

    response = Client().post(unsubscribe_path(token), {"other": "x"})

    assert response.status_code == 400
    assert consent_state(anna).allows("email")


@pytest.mark.parametrize("token", ["", "not-a-token", "0" * 32 + ":forged", "a" * 500])
def test_a_forged_or_damaged_token_is_refused_without_a_trace(token):
    events_before = AuditEvent.objects.count()

    response = Client().post(unsubscribe_path(token), ONE_CLICK)

    assert response.status_code == 404
    assert AuditEvent.objects.count() == events_before
    if token:
        legacy = reverse("unsubscribe_legacy", args=[token])
        assert Client().post(legacy, ONE_CLICK).status_code == 404
        assert AuditEvent.objects.count() == events_before


def test_a_link_sent_with_the_token_in_its_path_still_unsubscribes(
    django_capture_on_commit_callbacks,
):
    """Messages sent before the token moved to the query string carry it in the path:
    their opt-out must keep working."""
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)
    token = unsubscribe_token(CampaignMessage.objects.get(customer=anna))
    legacy = reverse("unsubscribe_legacy", args=[token])

    assert Client().get(legacy).status_code == 200
    assert consent_state(anna).allows("email")
    assert Client().post(legacy, ONE_CLICK).status_code == 200
    assert not consent_state(anna).allows("email")


def test_the_page_speaks_finnish_by_default(django_capture_on_commit_callbacks):
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)
    token = unsubscribe_token(CampaignMessage.objects.get(customer=anna))

    response = Client().post(unsubscribe_path(token), ONE_CLICK)

    assert response.status_code == 200
    assert "Oulunseutuvarasto" in response.content.decode()
    assert 'lang="fi"' in response.content.decode()


def test_an_anonymised_customer_can_still_unsubscribe(django_capture_on_commit_callbacks):
    anna = opted_in("anna.virtanen@example.fi")
    sent_campaign(django_capture_on_commit_callbacks)
    token = unsubscribe_token(CampaignMessage.objects.get(customer=anna))
    type(anna).objects.filter(pk=anna.pk).update(status="restricted")

    response = Client().post(unsubscribe_path(token), ONE_CLICK)

    assert response.status_code == 200
    assert ConsentEvent.objects.filter(customer=anna, kind="withdrawal").count() == 1
