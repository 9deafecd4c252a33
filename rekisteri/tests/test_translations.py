"""Finnish is the default language and complete; English is the source language."""

import gettext
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "fi" / "LC_MESSAGES"


def test_every_finnish_message_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue.translated_entries()) > 200


def test_the_compiled_catalogue_matches_the_source():
    """`make messages` compiles the .mo; a stale one would show old wordings."""
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.django_db
def test_the_sign_in_page_is_finnish_by_default_and_english_on_request():
    finnish = Client().get(reverse("accounts:login"))
    english = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="fi">' in finnish.content.decode()
    assert "Kirjaudu sisään" in finnish.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "Sign in" in english.content.decode()


@pytest.mark.django_db
def test_staff_switch_the_language_from_any_page():
    client = Client()

    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    page = client.get(reverse("accounts:login"))

    assert response.status_code == 302
    assert "Sign in" in page.content.decode()
    assert "Suomeksi" in page.content.decode()
