"""Publishing the register description: a changed description becomes a new version,
audited; an unchanged, invalid or stale one is refused and nothing is written. The
errors name the field at fault by its path."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.diff import notice_diff
from rekisteri.privacy.notice.document import (
    current_description,
    description_content,
    description_publish,
    validate_description,
)
from rekisteri.privacy.notice.rendering import notice_languages, notice_text, render_notice
from rekisteri.privacy.notice.tests.descriptions import default_description, in_swedish
from rekisteri.testing.factories import make_staff

pytestmark = pytest.mark.django_db
NEW_PHONE = "040 123 4567"


@pytest.fixture
def officer_actor() -> Actor:
    user = make_staff(Role.PRIVACY_OFFICER)
    return Actor(type="staff", user=user, label=user.username)


def errors_of(content: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        validate_description(content)
    return raised.value.message_dict


def notice_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.registerdescription"))


def test_publishing_a_changed_description_makes_a_new_version_and_audits_it(officer_actor):
    content = description_content()
    content["contact"]["phone"] = NEW_PHONE

    published = description_publish(
        actor=officer_actor, content=content, change_note="  Uusi   puhelinnumero ", based_on=1
    )

    assert published.version == 2
    assert current_description() == published
    assert published.content["contact"]["phone"] == NEW_PHONE
    assert (published.published_by, published.change_note) == (
        officer_actor.user,
        "Uusi puhelinnumero",
    )
    assert "Ilkka Turunen, 040 123 4567." in notice_text(published, "fi")
    assert description_content(1)["contact"]["phone"] == "040 841 4351"
    [event] = notice_events()
    assert (event.action, event.object_id, event.changed_fields, event.actor_user) == (
        Action.CREATE,
        str(published.pk),
        ["contact"],
        officer_actor.user,
    )
    assert event.reason == "register description version 2 published"


def test_an_unchanged_description_is_refused(officer_actor):
    content = description_content()
    # Only whitespace differs: stored texts are stripped, so this says nothing new.
    content["introduction"]["fi"] = content["introduction"]["fi"] + "  \r\n"

    with pytest.raises(ValidationError) as raised:
        description_publish(actor=officer_actor, content=content, change_note="Ei muutoksia")

    assert raised.value.message_dict == {
        "__all__": ["Nothing has changed: version 1 already says this."]
    }
    assert list(RegisterDescription.objects.values_list("version", flat=True)) == [1]
    assert notice_events() == []


def test_an_edit_of_a_version_someone_else_replaced_is_refused(officer_actor):
    first = description_content()
    first["contact"]["phone"] = NEW_PHONE
    description_publish(actor=officer_actor, content=first, change_note="Puhelin", based_on=1)
    second = description_content(1)
    second["controller"]["business_id"] = "0112038-9"

    with pytest.raises(ValidationError) as raised:
        description_publish(actor=officer_actor, content=second, change_note="Y-tunnus", based_on=1)

    assert "Someone else published version 2" in raised.value.messages[0]
    assert RegisterDescription.objects.count() == 2
    assert current_description().content["controller"]["business_id"] == ""
    assert len(notice_events()) == 1


def test_a_change_note_is_required(officer_actor):
    content = description_content()
    content["contact"]["phone"] = NEW_PHONE

    with pytest.raises(ValidationError) as raised:
        description_publish(actor=officer_actor, content=content, change_note="   ")

    assert raised.value.message_dict == {
        "change_note": ["Say briefly what changed: the version history shows it."]
    }
    assert RegisterDescription.objects.count() == 1
    assert notice_events() == []


def test_an_invalid_description_is_refused_with_nothing_written(officer_actor):
    content = description_content()
    content["purposes"][1]["legal_basis"]["en"] = " "

    with pytest.raises(ValidationError) as raised:
        description_publish(actor=officer_actor, content=content, change_note="Rikki")

    assert raised.value.message_dict == {"purposes.1.legal_basis.en": ["Write this in English."]}
    assert RegisterDescription.objects.count() == 1
    assert notice_events() == []


def test_the_default_description_is_valid():
    validate_description(default_description())


def test_errors_name_each_field_at_fault():
    content = default_description()
    content["controller"]["name"] = ""
    content["controller"]["business_id"] = "1234567-8"
    content["contact"]["phone"] = "12"
    content["contact"]["email"] = "not an address"
    content["register_name"]["fi"] = ""
    content["sources"] = []
    content["rights"][0]["text"] = {"fi": "Oikeus", "en": "Right", "de": "Recht"}
    content["security"][1]["key"] = content["security"][0]["key"]
    content["transfers"] = "Ei siirtoja"

    assert errors_of(content) == {
        "controller.name": ["Give the controller's name."],
        "controller.business_id": [
            "Give a valid business ID, such as 1234567-8, or leave it empty."
        ],
        "contact.phone": ["Give a valid phone number, such as 040 123 4567."],
        "contact.email": [
            "Give a valid email address, such as name@example.fi, or leave it empty."
        ],
        "register_name.fi": ["Write this in Finnish."],
        "sources": ["Give at least one source of data."],
        "rights.0.text.de": ["Unknown field."],
        "security.1.key": ["Two items have the same identifier."],
        "transfers": ["This part is missing or is not a set of fields."],
    }


def test_every_category_of_data_needs_one_retention_period():
    content = default_description()
    content["data_categories"].append(
        {"key": "photos", "text": {"fi": "Valokuvat tilauksista.", "en": "Photos of orders."}}
    )
    content["retention"][0]["category"] = "unknown"
    content["retention"][2]["category"] = "contact"

    assert errors_of(content) == {
        "retention.0.category": ["Choose one of the categories of data."],
        "retention": [
            "Say how long this data is kept: Asiakkaan tilausten käsittelyssä ja toimittamisessa…",
            "Say how long this data is kept: Valokuvat tilauksista.",
        ],
    }


def test_a_retention_category_given_twice_is_refused():
    content = default_description()
    content["retention"].append(copy.deepcopy(content["retention"][0]))

    assert errors_of(content) == {
        "retention.9.category": ["This category already has its retention period above."]
    }


def test_swedish_is_optional_but_all_or_nothing():
    content = default_description()
    content["register_name"]["sv"] = "Oulunseutuvarastos kundregister"

    errors = errors_of(content)

    assert "register_name.sv" not in errors
    assert errors["introduction.sv"] == [
        "Swedish is optional, but once one text has it, every text needs it."
    ]
    assert errors["purposes.0.legal_basis.sv"] == errors["introduction.sv"]
    assert all(path.endswith(".sv") for path in errors)


def test_something_that_is_not_a_description_is_refused():
    assert errors_of(["a list"]) == {"__all__": ["This part is missing or is not a set of fields."]}
    assert errors_of({**default_description(), "extra": 1}) == {"extra": ["Unknown field."]}


def test_a_notice_with_every_text_in_swedish_can_be_read_in_swedish(officer_actor):
    published = description_publish(
        actor=officer_actor, content=in_swedish(default_description()), change_note="Ruotsiksi"
    )

    html = str(render_notice(published, "sv"))

    assert notice_languages(published.content) == ["fi", "en", "sv"]
    assert notice_languages(default_description()) == ["fi", "en"]
    assert '<article class="notice" lang="sv">' in html
    assert "<h1>Dataskyddsbeskrivning</h1>" in html
    assert "Version 2, publicerad" in html
    assert "SV Oulunseutuvarasto&#x27;s customer register." in html
    with pytest.raises(ValueError):
        render_notice(current_description().__class__.objects.get(version=1), "sv")


def test_the_text_is_escaped_in_the_notice(officer_actor):
    content = description_content()
    content["introduction"]["fi"] = "<script>alert(1)</script> & muuta"
    published = description_publish(actor=officer_actor, content=content, change_note="Testi")

    html = str(render_notice(published, "fi"))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; muuta" in html


def test_paragraphs_are_separated_by_an_empty_line(officer_actor):
    content = description_content()
    content["transfers"]["fi"] = "Ensimmäinen\nkappale.\n\n\n\nToinen kappale."
    published = description_publish(actor=officer_actor, content=content, change_note="Kappaleet")

    html = str(render_notice(published, "fi"))

    assert published.content["transfers"]["fi"] == "Ensimmäinen\nkappale.\n\nToinen kappale."
    assert "<p>Ensimmäinen kappale.</p><p>Toinen kappale.</p>" in html


def test_the_diff_marks_removed_added_and_edited_lines(officer_actor):
    content = description_content()
    content["contact"]["phone"] = NEW_PHONE
    del content["recipients"][2]  # the carriers
    content["recipients"].append(
        {
            "key": "accountant",
            "text": {"fi": "Tilitoimisto kirjanpitoa varten.", "en": "The accounting firm."},
        }
    )
    new = description_publish(actor=officer_actor, content=content, change_note="Muutoksia")
    old = RegisterDescription.objects.get(version=1)

    lines = notice_diff(old, new, "fi")

    by_kind: dict[str, list[str]] = {}
    for line in lines:
        by_kind.setdefault(line.kind, []).append(str(line.html))
    assert by_kind["changed"] == [
        "Ilkka Turunen, 040 <del>841</del><ins>123</ins> <del>4351</del><ins>4567</ins>."
    ]
    assert by_kind["removed"] == [
        "<del>- Kuljetusyhtiöt (kuten Posti, Matkahuolto ja DB Schenker): toimitukseen "
        "tarvittavat nimi-, osoite- ja yhteystiedot.</del>"
    ]
    assert by_kind["added"] == ["<ins>- Tilitoimisto kirjanpitoa varten.</ins>"]
    assert by_kind["heading"] == [
        "Rekisteriasioista vastaava henkilö ja/tai yhteyshenkilö",
        "Tietojen vastaanottajat ja luovutukset",
    ]
    assert "Rekisterinpitäjä" in by_kind["unchanged"]
    assert notice_diff(old, old, "fi") == []
