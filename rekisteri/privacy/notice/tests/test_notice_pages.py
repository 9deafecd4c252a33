"""The privacy notice's pages: the public notice at /tietosuojaseloste/ (Finnish by
default, English by Accept-Language or the language switch, printable), its versions and
what changed; and the privacy officer's editor (preview, publish, errors on the fields).
Anyone else is refused and nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.document import (
    LIST_SECTIONS,
    PLAIN_SECTIONS,
    TEXT_SECTIONS,
    current_description,
    description_content,
    description_publish,
)
from rekisteri.privacy.notice.tests.descriptions import in_swedish
from rekisteri.testing.factories import make_staff

pytestmark = pytest.mark.django_db
NOTICE = "/tietosuojaseloste/"
VERSIONS = "/tietosuojaseloste/versiot/"
EDIT = "/privacy/notice/edit/"
STAFF_VERSIONS = "/privacy/notice/"
NEW_PHONE = "040 123 4567"


def form_data(content: dict[str, Any], **extra: str) -> dict[str, str]:
    """The editor's fields for `content`: "<section>-<field>", "<section>-<language>",
    "<list>-<row>-<field>[-<language>]"."""
    data: dict[str, str] = {"based_on": str(current_description().version)}
    for section in PLAIN_SECTIONS:
        for name, value in content[section].items():
            data[f"{section}-{name}"] = value
    for section in TEXT_SECTIONS:
        for language, value in content[section].items():
            data[f"{section}-{language}"] = value
    for section in LIST_SECTIONS:
        for row, item in enumerate(content[section]):
            for name, value in item.items():
                if isinstance(value, dict):
                    for language, text in value.items():
                        data[f"{section}-{row}-{name}-{language}"] = text
                else:
                    data[f"{section}-{row}-{name}"] = value
    data.update(extra)
    return data


def changed_phone() -> dict[str, Any]:
    content = description_content()
    content["contact"]["phone"] = NEW_PHONE
    return content


def publish_phone_change() -> RegisterDescription:
    return description_publish(
        actor=Actor.system("test"), content=changed_phone(), change_note="Uusi puhelinnumero"
    )


def page(response):
    return response.content.decode()


def test_the_urls():
    assert reverse("privacy_notice") == NOTICE
    assert reverse("privacy_notice_versions") == VERSIONS
    assert reverse("privacy_notice_version", args=[3]) == "/tietosuojaseloste/versiot/3/"
    assert reverse("privacy_notice_diff", args=[1, 2]) == "/tietosuojaseloste/muutokset/1/2/"
    assert reverse("privacy:notice_versions") == STAFF_VERSIONS
    assert reverse("privacy:notice_edit") == EDIT


def test_the_notice_is_public_and_in_finnish_by_default():
    response = Client().get(NOTICE)

    html = page(response)
    assert response.status_code == 200
    assert '<html lang="fi">' in html
    assert '<article class="notice" lang="fi">' in html
    assert "<h1>Tietosuojaseloste</h1>" in html
    assert "<h2>Rekisterinpitäjä</h2>" in html
    assert "<p>Adexcon, Hintantie 85 B, 90650 Oulu.</p>" in html
    assert "<p>Ilkka Turunen, 040 841 4351.</p>" in html
    assert "<p>Oulunseutuvaraston asiakasrekisteri.</p>" in html
    assert "Versio 1, julkaistu" in html
    assert "<h1>Privacy notice</h1>" not in html
    assert f'href="{VERSIONS}"' in html
    assert 'href="/tietosuoja/"' in html


def test_the_notice_is_in_english_with_accept_language_en():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(NOTICE)

    html = page(response)
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert '<article class="notice" lang="en">' in html
    assert "<h1>Privacy notice</h1>" in html
    assert "<h2>Controller</h2>" in html
    assert "<p>Oulunseutuvarasto&#x27;s customer register.</p>" in html
    assert "Version 1, published" in html
    assert "Tietosuojaseloste" not in html


def test_the_language_switch_turns_the_notice_into_english_and_back():
    client = Client()

    switched = client.post(reverse("set_language"), {"language": "en", "next": NOTICE})
    english = page(client.get(NOTICE))
    client.post(reverse("set_language"), {"language": "fi", "next": NOTICE})
    finnish = page(client.get(NOTICE))

    assert (switched.status_code, switched["Location"]) == (302, NOTICE)
    assert "<h1>Privacy notice</h1>" in english
    assert 'name="language" value="fi"' in english
    assert "<h1>Tietosuojaseloste</h1>" in finnish


def test_the_notice_page_is_printable_without_inline_styles_or_scripts():
    html = page(Client().get(NOTICE))
    stylesheet = (
        Path(__file__).resolve().parents[3] / "static" / "rekisteri" / "rekisteri.css"
    ).read_text()
    print_rules = stylesheet[stylesheet.index("@media print") :]

    assert "rekisteri/rekisteri.css" in html
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert 'class="notice-page"' in html
    assert "body:has(.notice-page) .site-header, .notice-page .no-print { display: none; }" in (
        print_rules
    )


def test_a_published_change_shows_on_the_notice_and_the_old_version_stays_readable():
    publish_phone_change()

    current = page(Client().get(NOTICE))
    old = page(Client().get("/tietosuojaseloste/versiot/1/"))
    versions = page(Client().get(VERSIONS))

    assert "<p>Ilkka Turunen, 040 123 4567.</p>" in current
    assert "Versio 2, julkaistu" in current
    assert "040 841 4351" not in current
    assert "<p>Ilkka Turunen, 040 841 4351.</p>" in old
    assert "Versio 1, julkaistu" in old
    assert 'href="/tietosuojaseloste/"' in old
    assert "Uusi puhelinnumero" in versions
    assert "Ensimmäinen versio / First version" in versions
    assert 'href="/tietosuojaseloste/versiot/1/"' in versions
    assert 'href="/tietosuojaseloste/muutokset/1/2/"' in versions


def test_the_diff_page_marks_what_changed_in_the_pages_language():
    publish_phone_change()

    finnish = page(Client().get("/tietosuojaseloste/muutokset/1/2/"))
    english = page(Client(HTTP_ACCEPT_LANGUAGE="en").get("/tietosuojaseloste/muutokset/1/2/"))

    assert "Ilkka Turunen, 040 <del>841</del><ins>123</ins> <del>4351</del><ins>4567</ins>." in (
        finnish
    )
    assert '<h3 class="diff-heading">Rekisteriasioista vastaava henkilö ja/tai yhteyshenkilö' in (
        finnish
    )
    assert '<p class="diff-unchanged">Rekisterinpitäjä:' in finnish
    assert '<h3 class="diff-heading">Person in charge of register matters and contact person' in (
        english
    )
    assert "Lines added: 0, removed: 0, edited: 1." in english


def test_a_version_that_does_not_exist_is_not_found():
    assert Client().get("/tietosuojaseloste/versiot/9/").status_code == 404
    assert Client().get("/tietosuojaseloste/muutokset/1/9/").status_code == 404


def test_a_notice_complete_in_swedish_is_offered_in_swedish():
    description_publish(
        actor=Actor.system("test"),
        content=in_swedish(description_content()),
        change_note="På svenska",
    )

    finnish = page(Client().get(NOTICE))
    swedish = page(Client().get(NOTICE + "?kieli=sv"))

    assert 'value="sv" class="link-button" lang="sv">På svenska</button>' in finnish
    assert '<article class="notice" lang="sv">' in swedish
    assert "<h1>Dataskyddsbeskrivning</h1>" in swedish
    # Without a complete Swedish text, ?kieli=sv gives the Finnish notice.
    assert '<article class="notice" lang="fi">' in page(
        Client().get("/tietosuojaseloste/versiot/1/?kieli=sv")
    )


# ---- The editor ---------------------------------------------------------------------


def notice_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.registerdescription"))


def test_the_editor_shows_every_text_in_both_languages(privacy_officer_client):
    response = privacy_officer_client.get(EDIT)

    html = page(response)
    assert response.status_code == 200
    assert 'name="contact-phone" value="040 841 4351"' in html
    assert 'name="register_name-fi" value="Oulunseutuvaraston asiakasrekisteri"' in html
    assert 'name="purposes-0-legal_basis-en"' in html
    # The categories of data and their retention are written from the sources.
    assert 'name="retention-0-category"' not in html
    assert 'name="data_categories-0-text-fi"' not in html
    assert 'name="based_on" value="1"' in html
    # One empty block to add an item to each list.
    assert 'name="recipients-4-text-fi"' in html
    assert "Add a recipient" in html
    assert 'value="preview"' in html and 'value="publish"' in html


def test_preview_shows_the_notice_and_the_changes_and_writes_nothing(privacy_officer_client):
    events = AuditEvent.objects.count()

    response = privacy_officer_client.post(
        EDIT, form_data(changed_phone(), action="preview", change_note="Puhelin")
    )

    html = page(response)
    assert response.status_code == 200
    assert "Preview: not published" in html
    assert "<p>Ilkka Turunen, 040 123 4567.</p>" in html
    assert "<del>841</del><ins>123</ins>" in html
    assert f'name="contact-phone" value="{NEW_PHONE}"' in html
    assert 'name="change_note" value="Puhelin"' in html
    assert RegisterDescription.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_publish_through_the_editor_changes_the_public_notice(privacy_officer_client):
    response = privacy_officer_client.post(
        EDIT, form_data(changed_phone(), action="publish", change_note="Uusi puhelinnumero")
    )

    assert response.status_code == 302 and response.url == STAFF_VERSIONS
    published = current_description()
    assert (published.version, published.change_note) == (2, "Uusi puhelinnumero")
    assert published.content == changed_phone()
    assert "<p>Ilkka Turunen, 040 123 4567.</p>" in page(Client().get(NOTICE))
    [event] = notice_events()
    assert (event.action, event.changed_fields) == (Action.CREATE, ["contact"])
    assert event.actor_user == published.published_by
    listing = page(privacy_officer_client.get(STAFF_VERSIONS))
    assert "Version 2 of the privacy notice is published." in listing
    assert "Uusi puhelinnumero" in listing


def test_an_item_is_added_in_the_empty_block_and_removed_by_its_box(privacy_officer_client):
    content = description_content()
    data = form_data(
        content,
        action="publish",
        change_note="Tilitoimisto vastaanottajaksi, kuljetusyhtiöt pois",
        **{
            "recipients-2-remove": "on",
            "recipients-4-text-fi": "Tilitoimisto: laskut kirjanpitoa varten.",
            "recipients-4-text-en": "The accounting firm: invoices for the accounts.",
        },
    )

    response = privacy_officer_client.post(EDIT, data)

    assert response.status_code == 302
    recipients = current_description().content["recipients"]
    assert [item["key"] for item in recipients] == [
        "disclosures",
        "credit_bureau",
        "processors",
        "the-accounting-firm-invoices",
    ]
    assert recipients[-1]["text"] == {
        "fi": "Tilitoimisto: laskut kirjanpitoa varten.",
        "en": "The accounting firm: invoices for the accounts.",
    }


def test_errors_are_shown_on_their_fields_and_nothing_is_published(privacy_officer_client):
    content = description_content()
    content["purposes"][0]["text"]["fi"] = ""
    content["contact"]["phone"] = "puhelin"
    data = form_data(content, action="publish", change_note="Rikki")

    response = privacy_officer_client.post(EDIT, data)

    form = response.context["form"]
    assert response.status_code == 400
    assert form.errors["purposes-0-text-fi"] == ["Write this in Finnish."]
    assert form.errors["contact-phone"] == ["Give a valid phone number, such as 040 123 4567."]
    html = page(response)
    assert "Nothing was published: correct the marked fields." in html
    assert RegisterDescription.objects.count() == 1
    assert notice_events() == []


def test_publishing_the_same_description_again_is_refused(privacy_officer_client):
    response = privacy_officer_client.post(
        EDIT, form_data(description_content(), action="publish", change_note="Sama")
    )

    assert response.status_code == 400
    assert "Nothing has changed: version 1 already says this." in page(response)
    assert RegisterDescription.objects.count() == 1
    assert notice_events() == []


def test_after_a_preview_a_new_item_has_its_identifier_and_a_new_empty_block(
    privacy_officer_client,
):
    data = form_data(description_content(), action="preview", change_note="Uusi oikeus")
    data["rights-9-text-fi"] = "Oikeus saada tietää tietoturvaloukkauksesta."
    data["rights-9-text-en"] = "The right to be told of a personal data breach."

    response = privacy_officer_client.post(EDIT, data)

    html = page(response)
    assert response.status_code == 200
    assert 'name="rights-9-key" value="the-right-to-be"' in html
    assert 'name="rights-10-text-fi"' in html
    assert "<p>Oikeus saada tietää tietoturvaloukkauksesta.</p>" in html
    assert "<ins>- The right to be told of a personal data breach.</ins>" in html
    assert RegisterDescription.objects.count() == 1


def test_customer_service_cannot_publish_and_nothing_changes(customer_service_client):
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()

    response = customer_service_client.post(
        EDIT, form_data(changed_phone(), action="publish", change_note="Ei saa")
    )

    assert response.status_code == 403
    assert RegisterDescription.objects.count() == 1
    assert current_description().content["contact"]["phone"] == "040 841 4351"
    assert notice_events() == []
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == denied + 1
    assert customer_service_client.get(STAFF_VERSIONS).status_code == 403


def test_the_auditor_reads_the_versions_but_cannot_edit(client_as):
    auditor = client_as(Role.AUDITOR)

    listing = auditor.get(STAFF_VERSIONS)

    assert listing.status_code == 200
    assert "Ensimmäinen versio / First version" in page(listing)
    assert 'href="/privacy/notice/edit/"' not in page(listing)
    assert auditor.get(EDIT).status_code == 403
    assert auditor.post(EDIT, form_data(changed_phone(), action="publish")).status_code == 403
    assert RegisterDescription.objects.count() == 1


def test_the_privacy_officer_finds_the_notice_in_the_navigation(privacy_officer_client):
    html = page(privacy_officer_client.get(STAFF_VERSIONS))

    # The navigation's link, marked as the page being read.
    assert f'<a href="{STAFF_VERSIONS}" aria-current="page">Privacy notice</a>' in html
    assert 'href="/privacy/notice/edit/"' in html
    assert "Installed with Rekisteri" in html


def test_the_portal_links_the_notice():
    assert f'href="{NOTICE}"' in page(Client().get("/tietosuoja/"))


def test_an_editor_of_a_replaced_version_is_told_and_nothing_is_published(
    privacy_officer_client,
):
    data = form_data(description_content(), action="publish", change_note="Y-tunnus")
    data["controller-business_id"] = "0112038-9"
    publish_phone_change()

    response = privacy_officer_client.post(EDIT, data)

    assert response.status_code == 400
    assert "Someone else published version 2 while you were editing" in page(response)
    assert current_description().version == 2
    assert current_description().content["controller"]["business_id"] == ""


def test_a_staff_member_without_a_role_is_refused(client_as):
    nobody = client_as(None)

    assert nobody.get(STAFF_VERSIONS).status_code == 403
    assert nobody.get(NOTICE).status_code == 200


def test_the_publisher_is_named_in_the_staff_list_only(privacy_officer_client):
    officer = make_staff(Role.PRIVACY_OFFICER, first_name="Iida", last_name="Ilvesmäki")
    description_publish(
        actor=Actor(type="staff", user=officer, label=officer.username),
        content=changed_phone(),
        change_note="Puhelin",
    )

    assert "Iida Ilvesmäki" in page(privacy_officer_client.get(STAFF_VERSIONS))
    assert "Iida Ilvesmäki" not in page(Client().get(VERSIONS))
