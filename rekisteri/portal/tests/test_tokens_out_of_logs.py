"""The keys of emailed links (confirmation, marketing choices, a copy's download,
unsubscribe) never sit in a URL's path, which access logs keep: they travel in the
query string, which neither `rekisteri serve` nor the nginx of deploy/ logs, and the
pages post them back in a form's body (security finding 10)."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.management.commands.serve import ACCESS_LOG_FORMAT
from rekisteri.marketing.tokens import unsubscribe_url
from rekisteri.portal.sending import consent_link_url, consent_token
from rekisteri.privacy.access.disclosures import access_delivery_create, access_delivery_url
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
NGINX_CONF = Path(settings.BASE_DIR) / "deploy" / "nginx" / "rekisteri.conf"


def split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    [token] = parse_qs(parts.query)["t"]
    return parts.path, token


def test_the_access_logs_keep_no_query_string_or_referrer():
    # gunicorn: %(U)s is the path alone; %(r)s (request line), %(q)s (query) and
    # %(f)s (referrer) would carry a link's token.
    assert "%(U)s" in ACCESS_LOG_FORMAT
    for carrier in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert carrier not in ACCESS_LOG_FORMAT
    [log_format] = re.findall(r"log_format rekisteri (.*?);", NGINX_CONF.read_text(), re.S)
    assert "$uri" in log_format
    for carrier in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert carrier not in log_format + " "


def test_every_emailed_link_carries_its_token_outside_the_path():
    customer = make_customer(email="aino.virtanen@example.fi")
    request = subject_request_record(
        actor=Actor.system("test"),
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name="Aino Virtanen",
        email=customer.email,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla.",
    )
    delivery = access_delivery_create(actor=Actor.system("test"), subject_request=request)

    links = {
        "/tietosuoja/markkinointi/valinnat/": consent_link_url(customer),
        "/tietosuoja/lataa/": access_delivery_url(delivery),
    }
    for bare_path, link in links.items():
        path, token = split(link)
        assert path == bare_path
        assert token and token not in path
    assert split(unsubscribe_url("abc:def")) == ("/unsubscribe/", "abc:def")


def test_the_flows_post_the_token_and_redirect_nowhere():
    """From the emailed link to the deed, no answer is a redirect: no Location header
    can carry a token into a log."""
    customer = make_customer(email="aino.virtanen@example.fi")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = [
        client.post(
            reverse("portal:request"),
            {"kind": "access", "name": "Aino Virtanen", "email": customer.email},
        )
    ]
    run_queued_tasks()
    link = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert link is not None
    path, token = split(link.group(0))
    assert path == "/tietosuoja/vahvista/"

    page = client.get(f"{path}?t={token}")
    assert f'<form method="post" action="{path}">' in page.content.decode()
    assert f'name="t" value="{token}"' in page.content.decode()
    answers += [page, client.post(path, {"t": token})]
    consents = reverse("portal:consents")
    consent = consent_token(customer)
    answers += [
        client.get(consents, {"t": consent}),
        client.post(consents, {"t": consent, "change": "ban"}),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 200]
    assert all("Location" not in answer for answer in answers)
    assert customer.subject_requests.get().status == "open"
