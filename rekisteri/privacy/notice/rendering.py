"""The privacy notice at `/tietosuojaseloste/`, generated from a version of the
register description (`notice.document`): in Finnish and English, and in Swedish when
every text has a Swedish version; as HTML for the pages and as plain text for the diffs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.document import SECTIONS, TEXT_SECTIONS, validate_description

LABELS: dict[str, dict[str, str]] = {
    "fi": {
        "title": "Tietosuojaseloste",
        "introduction": "Johdanto",
        "controller": "Rekisterinpitäjä",
        "contact": "Rekisteriasioista vastaava henkilö ja/tai yhteyshenkilö",
        "register_name": "Rekisterin nimi",
        "purposes": "Henkilötietojen käsittelyn tarkoitus ja oikeusperusteet",
        "data_categories": "Rekisterin tietosisältö",
        "sources": "Säännönmukaiset tietolähteet",
        "recipients": "Tietojen vastaanottajat ja luovutukset",
        "transfers": "Tietojen siirrot EU:n tai ETA:n ulkopuolelle",
        "retention": "Tietojen säilytysajat",
        "credit_decision_logic": "Automaattinen luottopäätös",
        "identity_code_requirement": "Henkilötunnuksen antaminen",
        "staff_instructions": "Ohjeistus",
        "security": "Rekisterin suojauksen periaatteet",
        "rights": "Rekisteröidyn oikeudet",
        "complaint": "Oikeus tehdä valitus valvontaviranomaiselle",
        "legal_basis": "Oikeusperuste",
        "business_id": "Y-tunnus",
        "version": "Versio {version}, julkaistu {date}",
        "preview": "Esikatselu: ei julkaistu",
        "language_name": "Suomeksi",
    },
    "en": {
        "title": "Privacy notice",
        "introduction": "Introduction",
        "controller": "Controller",
        "contact": "Person in charge of register matters and contact person",
        "register_name": "Name of the register",
        "purposes": "Purposes of processing and their legal bases",
        "data_categories": "Content of the register",
        "sources": "Regular sources of data",
        "recipients": "Recipients and disclosures of data",
        "transfers": "Transfers outside the EU or the EEA",
        "retention": "How long the data is kept",
        "credit_decision_logic": "Automated credit decision",
        "identity_code_requirement": "Giving the personal identity code",
        "staff_instructions": "Instructions to staff",
        "security": "Principles of protecting the register",
        "rights": "The data subject's rights",
        "complaint": "The right to lodge a complaint with the supervisory authority",
        "legal_basis": "Legal basis",
        "business_id": "Business ID",
        "version": "Version {version}, published {date}",
        "preview": "Preview: not published",
        "language_name": "In English",
    },
    "sv": {
        "title": "Dataskyddsbeskrivning",
        "introduction": "Inledning",
        "controller": "Personuppgiftsansvarig",
        "contact": "Ansvarig person och kontaktperson i registerärenden",
        "register_name": "Registrets namn",
        "purposes": "Ändamålen med behandlingen och deras rättsliga grunder",
        "data_categories": "Registrets innehåll",
        "sources": "Regelbundna uppgiftskällor",
        "recipients": "Mottagare och utlämnanden av uppgifter",
        "transfers": "Överföringar utanför EU eller EES",
        "retention": "Hur länge uppgifterna sparas",
        "credit_decision_logic": "Automatiskt kreditbeslut",
        "identity_code_requirement": "Att uppge personbeteckningen",
        "staff_instructions": "Anvisningar till personalen",
        "security": "Principer för skyddet av registret",
        "rights": "Den registrerades rättigheter",
        "complaint": "Rätten att lämna in klagomål till tillsynsmyndigheten",
        "legal_basis": "Rättslig grund",
        "business_id": "FO-nummer",
        "version": "Version {version}, publicerad {date}",
        "preview": "Förhandsvisning: inte publicerad",
        "language_name": "På svenska",
    },
}
ENGLISH_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


@dataclass(frozen=True)
class NoticeEntry:
    """One item of a list section; a purpose also has its legal basis."""

    paragraphs: tuple[str, ...]
    legal_basis: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeSection:
    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    entries: tuple[NoticeEntry, ...] = ()
    show_title: bool = True


@dataclass(frozen=True)
class Notice:
    language: str
    title: str
    version_line: str
    legal_basis_label: str
    sections: tuple[NoticeSection, ...] = field(default_factory=tuple)


def notice_languages(content: Mapping[str, Any]) -> list[str]:
    """The languages the notice can be read in: Finnish and English, and Swedish when
    every text has it."""
    try:
        validate_description(content)
    except ValidationError:
        return ["fi", "en"]
    has_swedish = content["register_name"].get("sv")
    return ["fi", "en", "sv"] if has_swedish else ["fi", "en"]


def notice_language(content: Mapping[str, Any], wanted: str | None) -> str:
    """The language to show for a wish like "en-gb" or "sv": the wish if the notice
    has it, else Finnish."""
    language = (wanted or "fi")[:2].lower()
    return language if language in notice_languages(content) else "fi"


def paragraphs(text: str) -> tuple[str, ...]:
    """A text's paragraphs: an empty line separates them; other line breaks are spaces."""
    return tuple(
        " ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _date_in(moment: datetime.datetime, language: str) -> str:
    day = timezone.localtime(moment).date()
    if language == "en":
        return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"


def _version_line(description: RegisterDescription, language: str) -> str:
    labels = LABELS[language]
    if description.published_at is None or description.pk is None:
        return labels["preview"]
    date = _date_in(description.published_at, language)
    return labels["version"].format(version=description.version, date=date)


def _section(content: Mapping[str, Any], key: str, language: str) -> NoticeSection:
    title = LABELS[language][key]
    value = content[key]
    if key == "controller":
        lines = [_sentence(f"{value['name'].strip()}, {value['address'].strip()}")]
        if value.get("business_id", "").strip():
            label = LABELS[language]["business_id"]
            lines.append(_sentence(f"{label}: {value['business_id'].strip()}"))
        return NoticeSection(key, title, tuple(lines))
    if key == "contact":
        reach = [value["name"], value["phone"], value.get("email", "")]
        return NoticeSection(key, title, (_sentence(", ".join(p.strip() for p in reach if p)),))
    if key == "register_name":
        return NoticeSection(key, title, (_sentence(value[language]),))
    if key in TEXT_SECTIONS:
        return NoticeSection(
            key, title, paragraphs(value[language]), show_title=key != "introduction"
        )
    entries = tuple(
        NoticeEntry(
            paragraphs(item["text"][language]),
            paragraphs(item["legal_basis"][language]) if "legal_basis" in item else (),
        )
        for item in value
    )
    return NoticeSection(key, title, entries=entries)


def notice_structure(description: RegisterDescription, language: str) -> Notice:
    """The notice of `description` in `language`, section by section, for a template.
    The description may be unsaved (a preview). `language` must be one of
    `notice_languages(description.content)`."""
    content = description.content
    if language not in notice_languages(content):
        raise ValueError(f"the description has no complete text in {language!r}")
    return Notice(
        language=language,
        title=LABELS[language]["title"],
        version_line=_version_line(description, language),
        legal_basis_label=LABELS[language]["legal_basis"],
        sections=tuple(_section(content, key, language) for key in SECTIONS),
    )


def render_notice(description: RegisterDescription, language: str) -> SafeString:
    """The notice as an HTML fragment (an <article>), every text escaped."""
    notice = notice_structure(description, language)
    return render_to_string("privacy/notice/notice.html", {"notice": notice})


def section_lines(section: NoticeSection, legal_basis_label: str) -> Iterator[str]:
    """A section's lines as plain text, without its title: what `notice_text` prints
    and what `notice.diff` compares."""
    yield from section.paragraphs
    for entry in section.entries:
        first, *rest = entry.paragraphs or ("",)
        yield f"- {first}"
        yield from (f"  {paragraph}" for paragraph in rest)
        if entry.legal_basis:
            basis, *more = entry.legal_basis
            yield f"  {legal_basis_label}: {basis}"
            yield from (f"  {paragraph}" for paragraph in more)


def notice_text(description: RegisterDescription, language: str) -> str:
    """The notice as plain text: the title, then each section's heading and its
    paragraphs (list items start with "- "), an empty line between sections. The
    version line is left out, so two versions differ only where their contents do."""
    notice = notice_structure(description, language)
    blocks = [notice.title]
    for section in notice.sections:
        lines = list(section_lines(section, notice.legal_basis_label))
        blocks.append("\n".join([section.title, *lines] if section.show_title else lines))
    return "\n\n".join(blocks) + "\n"
