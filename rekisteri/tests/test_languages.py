"""Customers read Rekisteri in Finnish, Swedish or English; staff in Finnish or English.

A customer whose language is Swedish gets the privacy notice, the portal, unsubscribing
and every message in Swedish; a public page follows the browser (Accept-Language) and
its language switch; a staff page asked for in Swedish is Finnish (docs/languages.md)."""

import gettext
import importlib
import re
from pathlib import Path
from urllib.parse import urlencode

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.consents.models import ConsentEvent, Source
from rekisteri.consents.selectors import consent_text_current
from rekisteri.marketing import services as marketing
from rekisteri.marketing import sms
from rekisteri.marketing.models import CampaignMessage
from rekisteri.marketing.services import CampaignInput, TargetGroupInput
from rekisteri.marketing.tokens import unsubscribe_token
from rekisteri.portal.sending import consent_token
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.breaches.sending import breach_notice_email, contact_lines
from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.document import current_description, description_publish
from rekisteri.privacy.requests.sending import verification_email_send
from rekisteri.privacy.requests.services import subject_request_submit
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
SWEDISH_BROWSER = "sv-FI,sv;q=0.9,en;q=0.5"
LOCALE = Path(__file__).resolve().parents[1] / "locale" / "sv" / "LC_MESSAGES"
SWEDISH_NOTICE = importlib.import_module("rekisteri.privacy.migrations.0013_swedish_notice")


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.REKISTERI_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def swedish_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=SWEDISH_BROWSER)


def text(response) -> str:
    return str(response.content.decode())


def campaign_to(customer, channel: str) -> None:
    """A campaign on `channel` sent to `customer`, who has opted in to it."""
    consents.consent_grant(actor=SYSTEM, customer=customer, channel=channel, source=Source.STAFF)
    group = marketing.target_group_save(
        actor=SYSTEM, data=TargetGroupInput(name=f"Ryhmä {channel}", channel=channel)
    )
    campaign = marketing.campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Kevätale",
            channel=channel,
            target_group=group,
            subject="Vårens erbjudanden" if channel == "email" else "",
            body="Hyllor -20 % hela april.",
        ),
    )
    marketing.campaign_send(actor=SYSTEM, campaign=campaign, version=campaign.version)


def send_campaign(customer, channel: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        campaign_to(customer, channel)
    run_queued_tasks()


# ---- Public pages -------------------------------------------------------------------


def test_the_privacy_notice_is_swedish_for_a_swedish_browser():
    """Migration privacy 0014 gave the default description its Swedish texts."""
    response = swedish_client().get(reverse("privacy_notice"))

    page = text(response)
    assert response.status_code == 200
    assert '<html lang="sv">' in page
    assert '<article class="notice" lang="sv">' in page
    assert "Dataskyddsbeskrivning" in page
    assert "Den registrerades rättigheter" in page
    assert "Dataombudsmannens byrå" in page
    assert "not yet available in Swedish" not in page
    assert response["Content-Language"] == "sv"


def test_a_notice_without_swedish_is_shown_in_finnish_and_says_so():
    stripped = _without_swedish(current_description().content)
    description_publish(actor=SYSTEM, content=stripped, change_note="Ilman ruotsia")

    page = text(swedish_client().get(reverse("privacy_notice")))

    assert '<html lang="sv">' in page
    assert '<article class="notice" lang="fi">' in page
    assert "Rekisteröidyn oikeudet" in page
    assert "Dataskyddsbeskrivningen finns ännu inte på svenska" in page


def _without_swedish(value):
    if isinstance(value, dict):
        return {name: _without_swedish(inner) for name, inner in value.items() if name != "sv"}
    if isinstance(value, list):
        return [_without_swedish(inner) for inner in value]
    return value


def test_the_portal_is_swedish_for_a_swedish_browser_and_switches_to_finnish():
    client = swedish_client()

    page = text(client.get(reverse("portal:index")))

    assert '<html lang="sv">' in page
    assert "Dina uppgifter och ditt dataskydd" in page
    assert "dataombudsmannen" in page
    # The switch names each other language in that language.
    assert 'value="fi" class="link-button" lang="fi">Suomeksi</button>' in page
    assert 'value="en" class="link-button" lang="en">In English</button>' in page
    assert 'value="sv"' not in page

    response = client.post(reverse("set_language"), {"language": "fi", "next": "/tietosuoja/"})
    finnish = text(client.get(reverse("portal:index")))

    assert response.status_code == 302
    assert '<html lang="fi">' in finnish
    assert 'value="sv" class="link-button" lang="sv">På svenska</button>' in finnish


def test_the_portal_switch_chooses_swedish_over_the_browser():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("set_language"), {"language": "sv", "next": "/tietosuoja/"})

    page = text(client.get(reverse("portal:request")))

    assert '<html lang="sv">' in page
    assert "Gör en begäran om dina uppgifter" in page
    assert "Tillgång till egna uppgifter (art. 15)" in page


def test_the_unsubscribe_page_is_swedish_and_its_switch_is_a_link_that_sets_no_cookie(
    django_capture_on_commit_callbacks,
):
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")
    send_campaign(customer, "email", django_capture_on_commit_callbacks)
    message = CampaignMessage.objects.get(customer=customer)
    path = f"{reverse('unsubscribe')}?{urlencode({'t': unsubscribe_token(message)})}"

    response = swedish_client().get(path)

    page = text(response)
    assert response.status_code == 200
    assert '<html lang="sv">' in page
    assert "Avregistrera dig från marknadsföring" in page
    assert not response.cookies
    finnish_link = re.search(r'<a href="([^"]+)" lang="fi" hreflang="fi">Suomeksi</a>', page)
    assert finnish_link is not None
    assert "t=" in finnish_link.group(1) and "kieli=fi" in finnish_link.group(1)

    english = swedish_client().get(
        reverse("unsubscribe")
        + finnish_link.group(1).replace("&amp;", "&").replace("kieli=fi", "kieli=en")
    )

    assert '<html lang="en">' in text(english)
    assert "Unsubscribe from marketing" in text(english)
    assert not english.cookies
    # Only reading the page in another language changes nothing.
    assert not ConsentEvent.objects.filter(customer=customer, kind="withdrawal").exists()


def test_a_consent_given_on_a_swedish_page_records_the_swedish_wording_shown():
    """The evidence of a consent is the wording the person read (art. 7(1))."""
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")
    client = swedish_client()
    path = f"{reverse('portal:consents')}?{urlencode({'t': consent_token(customer)})}"
    wording = consent_text_current(channel="email")
    assert wording is not None

    page = text(client.get(path))
    client.post(
        reverse("portal:consents"),
        {"t": consent_token(customer), "change": "grant", "channel": "email", "text": wording.pk},
    )

    assert wording.text_sv in page
    assert "Dina marknadsföringsval" in page
    grant = ConsentEvent.objects.get(customer=customer, kind="grant")
    assert (grant.language, grant.text) == ("sv", wording)


# ---- Staff pages --------------------------------------------------------------------


def test_a_staff_page_asked_for_in_swedish_is_finnish():
    client = swedish_client()

    page = text(client.get(reverse("accounts:login")))

    assert '<html lang="fi">' in page
    assert "Kirjaudu sisään" in page
    # The staff switch offers English only: Swedish is for customers' pages.
    assert 'lang="en">In English</button>' in page
    assert "På svenska" not in page
    asked = text(client.get(reverse("accounts:login") + "?kieli=sv"))
    assert '<html lang="fi">' in asked


def test_a_signed_in_staff_member_with_swedish_chosen_reads_finnish():
    client = swedish_client()
    sign_in(make_staff("customer_service"), client)
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})

    response = client.get(reverse("customers:list"))

    assert response.status_code == 200
    assert '<html lang="fi">' in text(response)
    assert response["Content-Language"] == "fi"
    assert "På svenska" not in text(response)


# ---- Messages -----------------------------------------------------------------------


def test_a_swedish_customer_gets_the_consent_link_in_swedish():
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")

    Client(HTTP_ACCEPT_LANGUAGE="fi").post(
        reverse("portal:consent_link"), {"email": customer.email}
    )
    run_queued_tasks()

    [message] = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == f"Dina marknadsföringsval hos {settings.BUSINESS_NAME}"
    assert "Här är länken till dina marknadsföringsval" in message.body
    assert "/tietosuoja/markkinointi/valinnat/?t=" in message.body


def test_a_request_made_in_swedish_is_confirmed_in_swedish():
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")

    swedish_client().post(
        reverse("portal:request"),
        {"kind": "access", "name": "Stina Lindholm", "email": customer.email},
    )
    run_queued_tasks()

    [message] = mail.outbox
    assert message.subject == f"Bekräfta din begäran till {settings.BUSINESS_NAME}"
    assert "Vi har tagit emot en begäran som gäller dina personuppgifter" in message.body
    assert "Begäran: Tillgång till egna uppgifter (art. 15)" in message.body


def test_a_request_sent_again_by_staff_goes_in_the_requests_language():
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")
    request = subject_request_submit(
        kind="access", name="Stina Lindholm", email=customer.email, language="sv"
    )

    verification_email_send(request, customer)

    assert "Öppna den här länken inom 24 timmar" in mail.outbox[-1].body


def test_a_swedish_customers_campaign_email_and_sms_carry_a_swedish_opt_out(
    django_capture_on_commit_callbacks,
):
    customer = make_customer(
        email="stina.lindholm@example.fi", phone="+358401234567", preferred_language="sv"
    )

    send_campaign(customer, "email", django_capture_on_commit_callbacks)
    send_campaign(customer, "sms", django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert isinstance(email, EmailMultiAlternatives)
    assert "Om du inte längre vill få marknadsföring från" in email.body
    assert "Avregistreringen är kostnadsfri och gäller genast." in email.body
    [html, _] = email.alternatives[0]
    assert '<html lang="sv">' in str(html)
    [text_message] = sms.outbox
    assert "\nStoppa marknadsföringen: http" in text_message.body


def test_a_swedish_customers_breach_notice_has_a_swedish_frame():
    customer = make_customer(email="stina.lindholm@example.fi", preferred_language="sv")
    breach = breaches.breach_record(
        actor=SYSTEM,
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Kundlistan skickades till fel mottagare",
        description="Rapporten skickades till fel samarbetspartner.",
        data_categories=["names"],
        people_affected=1,
        records_affected=1,
        likely_consequences="Nätfiske.",
        measures_taken="Mottagaren ombads radera meddelandet.",
    )

    message = breach_notice_email(breach=breach, customer=customer)

    assert "Det här meddelandet gäller en personuppgiftsincident hos" in message.body
    assert "rätt att lämna in ett klagomål till dataombudsmannen" in message.body
    assert "Adexcon" in message.body
    # Who to contact: the controller's lines in Swedish, not the Finnish ones.
    lines = contact_lines("sv")
    assert lines[0].startswith("Personuppgiftsansvarig: ")
    assert any(line.startswith("Kontaktperson i registerärenden: ") for line in lines)
    assert all(line in message.body for line in lines)
    assert not any(line in message.body for line in contact_lines("fi"))
    assert "Rekisterinpitäjä" not in message.body


def test_a_finnish_customer_still_gets_finnish():
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="fi")

    swedish_client().post(reverse("portal:consent_link"), {"email": customer.email})
    run_queued_tasks()

    assert mail.outbox[0].subject == f"{settings.BUSINESS_NAME}: markkinointivalintasi"


# ---- The catalogue -------------------------------------------------------------------


def test_the_swedish_catalogue_is_compiled_from_its_source():
    """`make messages` compiles the .mo; a stale one would show old wordings. Staff-only
    messages may stay untranslated: no staff page is shown in Swedish."""
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    assert len(catalogue.translated_entries()) > 100
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif not entry.msgctxt:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_the_swedish_texts_are_added_only_to_the_untouched_default():
    default = importlib.import_module(
        "rekisteri.privacy.migrations.0005_default_register_description"
    ).DESCRIPTION
    edited = {**default, "transfers": {"fi": "Muutettu.", "en": "Changed."}}

    assert SWEDISH_NOTICE.with_swedish(edited) is None
    assert SWEDISH_NOTICE.with_swedish(default)["transfers"]["sv"].startswith("Uppgifterna")
    latest = RegisterDescription.objects.order_by("-version").first()
    assert latest is not None
    assert latest.change_note == SWEDISH_NOTICE.CHANGE_NOTE
    assert latest.published_by is None
