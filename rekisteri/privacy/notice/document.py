"""The register description and the privacy notice generated from it (P2; GDPR arts. 13
and 14).

The register description is one JSON document, published in numbered versions that
are never changed (`RegisterDescription`). The privacy notice at `/tietosuojaseloste/`
is generated from the latest version in Finnish and English (and in Swedish when every
text has a Swedish version); the records of processing read the same document through
`description_content()`.

The document (`Description` below says the same in types)::

    {
      "controller": {"name": str, "address": str, "business_id": str},   # id may be ""
      "contact": {"name": str, "phone": str, "email": str},              # email may be ""
      "register_name": Text,
      "introduction": Text,
      "purposes": [{"key": str, "text": Text, "legal_basis": Text}, ...],
      "data_categories": [{"key": str, "text": Text}, ...],
      "sources": [{"key": str, "text": Text}, ...],
      "recipients": [{"key": str, "text": Text}, ...],     # recipients and disclosures
      "transfers": Text,                                    # outside the EU/EEA
      "retention": [{"category": <a data_categories key>, "text": Text}, ...],
      "credit_decision_logic": Text,                        # art. 13(2)(f), art. 22
      "identity_code_requirement": Text,                    # art. 13(2)(e)
      "staff_instructions": Text,
      "security": [{"key": str, "text": Text}, ...],
      "rights": [{"key": str, "text": Text}, ...],
      "complaint": Text,                                    # art. 13(2)(d)
    }

A Text is ``{"fi": str, "en": str}`` with an optional ``"sv": str``: Finnish and
English are required, Swedish is all or nothing (once one text has it, every text
needs it). An empty line in a text starts a new paragraph. Keys are short slugs
(``[a-z0-9][a-z0-9_-]*``), unique within their list; every data category has exactly
one retention entry. The headings of the notice are not part of the description: they
are fixed per language in `LABELS`, so a notice is wholly in its own language whatever
the language of the page around it.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import gettext as _
from stdnum.fi import ytunnus

from rekisteri import fi
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.privacy.models import RegisterDescription


class Text(TypedDict):
    fi: str
    en: str
    sv: NotRequired[str]


class Controller(TypedDict):
    name: str
    address: str
    business_id: str


class Contact(TypedDict):
    name: str
    phone: str
    email: str


class Item(TypedDict):
    key: str
    text: Text


class Purpose(TypedDict):
    key: str
    text: Text
    legal_basis: Text


class Retention(TypedDict):
    category: str
    text: Text


class Description(TypedDict):
    controller: Controller
    contact: Contact
    register_name: Text
    introduction: Text
    purposes: list[Purpose]
    data_categories: list[Item]
    sources: list[Item]
    recipients: list[Item]
    transfers: Text
    retention: list[Retention]
    credit_decision_logic: Text
    identity_code_requirement: Text
    staff_instructions: Text
    security: list[Item]
    rights: list[Item]
    complaint: Text


# ---- The schema ----------------------------------------------------------------------

REQUIRED_LANGUAGES = ("fi", "en")
LANGUAGES = ("fi", "en", "sv")
PLAIN_SECTIONS: dict[str, tuple[str, ...]] = {
    "controller": ("name", "address", "business_id"),
    "contact": ("name", "phone", "email"),
}
OPTIONAL_PLAIN = frozenset({"controller.business_id", "contact.email"})
TEXT_SECTIONS = (
    "register_name",
    "introduction",
    "transfers",
    "credit_decision_logic",
    "identity_code_requirement",
    "staff_instructions",
    "complaint",
)
# Each list's translatable parts; an item is named by "key" (retention: "category").
LIST_SECTIONS: dict[str, tuple[str, ...]] = {
    "purposes": ("text", "legal_basis"),
    "data_categories": ("text",),
    "sources": ("text",),
    "recipients": ("text",),
    "retention": ("text",),
    "security": ("text",),
    "rights": ("text",),
}
ITEM_NAME = {"retention": "category"}
# The order of the notice: the seed's, with what arts. 13 and 14 add in between.
SECTIONS = (
    "introduction",
    "controller",
    "contact",
    "register_name",
    "purposes",
    "data_categories",
    "sources",
    "recipients",
    "transfers",
    "retention",
    "credit_decision_logic",
    "identity_code_requirement",
    "staff_instructions",
    "security",
    "rights",
    "complaint",
)
PLAIN_LIMIT = 200
NAME_LIMIT = 200
TEXT_LIMIT = 4000
LIST_LIMIT = 40
CHANGE_NOTE_LIMIT = 300
KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def item_name_field(section: str) -> str:
    """The field that names an item of a list section: "key", or "category"."""
    return ITEM_NAME.get(section, "key")


# ---- Validation ----------------------------------------------------------------------


def _missing_text_message(language: str) -> str:
    return {
        "fi": _("Write this in Finnish."),
        "en": _("Write this in English."),
    }[language]


def _empty_list_message(section: str) -> str:
    return {
        "purposes": _("Give at least one purpose."),
        "data_categories": _("Give at least one category of data."),
        "sources": _("Give at least one source of data."),
        "recipients": _("Say who receives the data, or that it is not disclosed."),
        "retention": _("Give the retention period of each category of data."),
        "security": _("Give at least one security measure."),
        "rights": _("Give at least one right."),
    }[section]


def _plain_message(path: str) -> str:
    return {
        "controller.name": _("Give the controller's name."),
        "controller.address": _("Give the controller's address."),
        "controller.business_id": _(
            "Give a valid business ID, such as 1234567-8, or leave it empty."
        ),
        "contact.name": _("Give the contact person's name."),
        "contact.phone": _("Give a valid phone number, such as 040 123 4567."),
        "contact.email": _(
            "Give a valid email address, such as name@example.fi, or leave it empty."
        ),
    }[path]


class _Checker:
    """Collects every error of a description by its path ("purposes.2.legal_basis.en")."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        # Every text's path, and whether it has a Swedish version.
        self.swedish: dict[str, bool] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def mapping(self, path: str, value: object, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.add(path, _("This part is missing or is not a set of fields."))
            return {}
        for name in value:
            if name not in allowed:
                self.add(f"{path}.{name}" if path else str(name), _("Unknown field."))
        return value

    def plain(self, section: str, value: object) -> None:
        fields = self.mapping(section, value, PLAIN_SECTIONS[section])
        for name in PLAIN_SECTIONS[section]:
            path = f"{section}.{name}"
            given = fields.get(name, "")
            if not isinstance(given, str) or len(given) > PLAIN_LIMIT:
                self.add(path, _("At most %(limit)s characters of text.") % {"limit": PLAIN_LIMIT})
            elif (given.strip() or path not in OPTIONAL_PLAIN) and not _plain_is_valid(
                path, given.strip()
            ):
                self.add(path, _plain_message(path))

    def text(self, path: str, value: object, limit: int = TEXT_LIMIT) -> None:
        text = self.mapping(path, value, LANGUAGES)
        if not isinstance(value, Mapping):
            return
        for language in LANGUAGES:
            given = text.get(language, "")
            if not isinstance(given, str):
                self.add(f"{path}.{language}", _("This must be text."))
                continue
            if language in REQUIRED_LANGUAGES and not given.strip():
                self.add(f"{path}.{language}", _missing_text_message(language))
            if len(given) > limit:
                message = _("At most %(limit)s characters.") % {"limit": limit}
                self.add(f"{path}.{language}", message)
        swedish = text.get("sv", "")
        self.swedish[path] = isinstance(swedish, str) and bool(swedish.strip())

    def items(self, section: str, value: object) -> list[Mapping[str, Any]]:
        if not isinstance(value, list):
            self.add(section, _("This part is missing or is not a list."))
            return []
        if not value:
            self.add(section, _empty_list_message(section))
        if len(value) > LIST_LIMIT:
            self.add(section, _("At most %(limit)s items.") % {"limit": LIST_LIMIT})
        name_field = item_name_field(section)
        parts = LIST_SECTIONS[section]
        seen: set[str] = set()
        checked: list[Mapping[str, Any]] = []
        for index, raw in enumerate(value):
            path = f"{section}.{index}"
            item = self.mapping(path, raw, (name_field, *parts))
            checked.append(item)
            name = item.get(name_field)
            if section != "retention":
                if not isinstance(name, str) or not KEY_SHAPE.fullmatch(name):
                    self.add(
                        f"{path}.{name_field}",
                        _("An identifier is lower-case letters, digits, - and _ only."),
                    )
                elif name in seen:
                    self.add(f"{path}.{name_field}", _("Two items have the same identifier."))
            if isinstance(name, str):
                seen.add(name)
            for part in parts:
                self.text(f"{path}.{part}", item.get(part))
        return checked

    def retention(self, items: list[Mapping[str, Any]], categories: dict[str, str]) -> None:
        covered: set[str] = set()
        for index, item in enumerate(items):
            category = item.get("category")
            path = f"retention.{index}.category"
            if not isinstance(category, str) or category not in categories:
                self.add(path, _("Choose one of the categories of data."))
            elif category in covered:
                self.add(path, _("This category already has its retention period above."))
            else:
                covered.add(category)
        for key, label in categories.items():
            if key not in covered:
                message = _("Say how long this data is kept: %(category)s") % {"category": label}
                self.add("retention", message)

    def swedish_all_or_nothing(self) -> None:
        if any(self.swedish.values()):
            message = _("Swedish is optional, but once one text has it, every text needs it.")
            for path, has_swedish in self.swedish.items():
                if not has_swedish:
                    self.add(f"{path}.sv", message)


def _plain_is_valid(path: str, value: str) -> bool:
    if not value:
        return False
    if path == "controller.business_id":
        return bool(ytunnus.is_valid(value))
    try:
        if path == "contact.phone":
            fi.normalize_phone(value)
        elif path == "contact.email":
            fi.normalize_email(value)
    except fi.InvalidValue:
        return False
    return True


def category_label(item: Mapping[str, Any], language: str = "fi", limit: int = 60) -> str:
    """A data category's text cut short, to name it in a message or a choice."""
    text = item.get("text")
    value = text.get(language, "") if isinstance(text, Mapping) else ""
    value = " ".join(value.split()) if isinstance(value, str) else ""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rsplit(" ", 1)[0].rstrip(",.:;") + "…"


def validate_description(content: object) -> None:
    """Raises a ValidationError whose keys are the paths of the fields at fault
    ("contact.phone", "purposes.2.legal_basis.en", "retention"), with every error at
    once; returns None for a description that may be published."""
    checker = _Checker()
    if not isinstance(content, Mapping):
        message = _("This part is missing or is not a set of fields.")
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    description = checker.mapping("", content, SECTIONS)
    for section in SECTIONS:
        value = description.get(section)
        if section in PLAIN_SECTIONS:
            checker.plain(section, value)
        elif section in TEXT_SECTIONS:
            limit = NAME_LIMIT if section == "register_name" else TEXT_LIMIT
            checker.text(section, value, limit)
        elif section != "retention":
            checker.items(section, value)
    retention = checker.items("retention", description.get("retention"))
    categories = {
        item["key"]: category_label(item)
        for item in description.get("data_categories") or []
        if isinstance(item, Mapping) and isinstance(item.get("key"), str)
    }
    checker.retention(retention, categories)
    checker.swedish_all_or_nothing()
    if checker.errors:
        raise ValidationError(checker.errors)


def _clean_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "\n".join(line.rstrip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def description_normalized(content: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `content` as it is stored: texts stripped, line ends made "\\n", at
    most one empty line in a row, and an empty Swedish text left out."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _clean_text(value)
        if isinstance(value, Mapping):
            cleaned = {name: clean(inner) for name, inner in value.items()}
            if cleaned.get("sv") == "":
                del cleaned["sv"]
            return cleaned
        if isinstance(value, list):
            return [clean(inner) for inner in value]
        return copy.deepcopy(value)

    result: dict[str, Any] = clean(content)
    return result


# ---- Reading and publishing ----------------------------------------------------------


def current_description() -> RegisterDescription:
    """The version in force: the latest published. Migration privacy 0005 publishes
    version 1, so there always is one."""
    description = RegisterDescription.objects.order_by("-version").first()
    if description is None:
        raise RegisterDescription.DoesNotExist(
            "No register description: migrate the privacy app (0005 publishes version 1)."
        )
    return description


def description_version(version: int) -> RegisterDescription:
    """One published version; RegisterDescription.DoesNotExist if there is none."""
    return RegisterDescription.objects.get(version=version)


def description_versions() -> list[RegisterDescription]:
    """Every published version, the latest first, with who published it."""
    return list(RegisterDescription.objects.select_related("published_by").order_by("-version"))


def description_content(version: int | None = None) -> dict[str, Any]:
    """The description's document (the schema in this module's docstring): of
    `version`, or of the version in force. A copy: changing it changes nothing."""
    description = current_description() if version is None else description_version(version)
    return copy.deepcopy(dict(description.content))


def _changed_sections(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return [section for section in SECTIONS if before.get(section) != after.get(section)]


def description_publish(
    *,
    actor: Actor,
    content: Mapping[str, Any],
    change_note: str,
    based_on: int | None = None,
) -> RegisterDescription:
    """Publishes `content` as the next version of the register description, audited;
    the privacy notice shows it at once and the earlier versions stay readable.

    Refuses, with nothing written: an invalid description (errors by field path), a
    missing change note, a description identical to the version in force, and, with
    `based_on` (the version the editor started from), an edit of a version that
    someone else has since replaced."""
    validate_description(content)
    note = " ".join(change_note.split())
    if not note:
        message = _("Say briefly what changed: the version history shows it.")
        raise ValidationError({"change_note": [message]})
    if len(note) > CHANGE_NOTE_LIMIT:
        message = _("At most %(limit)s characters.") % {"limit": CHANGE_NOTE_LIMIT}
        raise ValidationError({"change_note": [message]})
    cleaned = description_normalized(content)
    with audited_transaction():
        current = RegisterDescription.objects.select_for_update().order_by("-version").first()
        if current is not None and based_on is not None and current.version != based_on:
            message = _(
                "Someone else published version %(version)s while you were editing, so "
                "your changes were not published. Open the editor again and redo them."
            ) % {"version": current.version}
            raise ValidationError({NON_FIELD_ERRORS: [message]})
        if current is not None and current.content == cleaned:
            message = _("Nothing has changed: version %(version)s already says this.") % {
                "version": current.version
            }
            raise ValidationError({NON_FIELD_ERRORS: [message]})
        description = RegisterDescription(
            version=current.version + 1 if current is not None else 1,
            content=cleaned,
            published_at=timezone.now(),
            published_by=actor.user,
            change_note=note,
        )
        description.full_clean()
        description.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=description,
            changed_fields=_changed_sections(current.content if current else {}, cleaned),
            reason=f"register description version {description.version} published",
        )
    return description


# ---- The notice ----------------------------------------------------------------------

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


def _section_lines(section: NoticeSection, legal_basis_label: str) -> Iterator[str]:
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
        lines = list(_section_lines(section, notice.legal_basis_label))
        blocks.append("\n".join([section.title, *lines] if section.show_title else lines))
    return "\n\n".join(blocks) + "\n"


# ---- Differences between versions ---------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff. `kind`: "heading" (a section that changed), "same",
    "removed", "added", "changed" (one line edited: the words marked inside it) or
    "unchanged" (a whole section without changes, by its title)."""

    kind: str
    html: SafeString


WORDS = re.compile(r"\w+|\s+|[^\w\s]")
SIMILAR_ENOUGH = 0.5


def _words_diff(old: str, new: str) -> SafeString:
    before, after = WORDS.findall(old), WORDS.findall(new)
    parts: list[SafeString] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(format_html("{}", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(after[j1:j2])))
    return format_html_join("", "{}", ((part,) for part in parts))


def _lines_diff(before: list[str], after: list[str]) -> Iterator[DiffLine]:
    def removed(line: str) -> DiffLine:
        return DiffLine("removed", format_html("<del>{}</del>", line))

    def added(line: str) -> DiffLine:
        return DiffLine("added", format_html("<ins>{}</ins>", line))

    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from (DiffLine("same", format_html("{}", line)) for line in before[i1:i2])
            continue
        old_lines, new_lines = before[i1:i2], after[j1:j2]
        for old, new in zip(old_lines, new_lines, strict=False):
            if difflib.SequenceMatcher(None, old, new).ratio() >= SIMILAR_ENOUGH:
                yield DiffLine("changed", _words_diff(old, new))
            else:
                yield removed(old)
                yield added(new)
        yield from (removed(line) for line in old_lines[len(new_lines) :])
        yield from (added(line) for line in new_lines[len(old_lines) :])


def notice_diff(
    old: RegisterDescription, new: RegisterDescription, language: str
) -> list[DiffLine]:
    """What changed in the notice from `old` to `new`, in `language`, section by
    section: a changed section in full, its removed lines in <del> and added ones in
    <ins> (an edited line has the words marked inside it); an unchanged section by its
    title only. Empty when the notices read the same."""
    before = notice_structure(old, language)
    after = notice_structure(new, language)
    lines: list[DiffLine] = []
    for old_section, new_section in zip(before.sections, after.sections, strict=True):
        old_lines = list(_section_lines(old_section, before.legal_basis_label))
        new_lines = list(_section_lines(new_section, after.legal_basis_label))
        if old_lines == new_lines:
            lines.append(DiffLine("unchanged", format_html("{}", new_section.title)))
            continue
        lines.append(DiffLine("heading", format_html("{}", new_section.title)))
        lines.extend(_lines_diff(old_lines, new_lines))
    if all(line.kind == "unchanged" for line in lines):
        return []
    return lines


def diff_counts(lines: list[DiffLine]) -> dict[str, int]:
    """How many lines of each kind a diff has (for a summary)."""
    counts = {"added": 0, "removed": 0, "changed": 0}
    for line in lines:
        if line.kind in counts:
            counts[line.kind] += 1
    return counts


# ---- Helpers for the editor ------------------------------------------------------------


def new_item_key(section: str, text: Mapping[str, Any], taken: set[str]) -> str:
    """An identifier for a new item of a list, from the first words of its English
    (else Finnish) text, such as "newsletters-by-email"; unique among `taken`."""
    source = str(text.get("en") or text.get("fi") or "")
    base = slugify(" ".join(source.split()[:4]))[:32].strip("-_") or section.rstrip("s")
    key, number = base, 2
    while key in taken or not KEY_SHAPE.fullmatch(key):
        key = f"{base[:36]}-{number}"
        number += 1
    return key


# ---- The default description -----------------------------------------------------------

# Oulunseutuvarasto's notice (seed/tietosuojaseloste.txt) sentence by sentence, with its
# obvious typos fixed and the repealed Personal Data Act replaced by the laws in force,
# and what GDPR arts. 13 and 14 require that the seed lacks, as Rekisteri really does it
# (docs/retention.md, docs/subject-requests.md, docs/credit-checks.md). Migration privacy
# 0005 publishes the same document as version 1; a test keeps the two equal.
DEFAULT_DESCRIPTION: Description = {
    "controller": {
        "name": "Adexcon",
        "address": "Hintantie 85 B, 90650 Oulu",
        "business_id": "",
    },
    "contact": {"name": "Ilkka Turunen", "phone": "040 841 4351", "email": ""},
    "register_name": {
        "fi": "Oulunseutuvaraston asiakasrekisteri",
        "en": "Oulunseutuvarasto's customer register",
    },
    "introduction": {
        "fi": (
            "Asiakkaiden henkilötietoja kerätään asiakasrekisteriin eri palveluiden "
            "yhteydessä. Tästä rekisteriselosteesta selviää, mitä tietoja kerätään ja mihin "
            "niitä käytetään. Seloste on EU:n yleisen tietosuoja-asetuksen (2016/679) 13 ja 14 "
            "artiklan mukainen informaatio rekisteröidyille."
        ),
        "en": (
            "Customers' personal data is collected into a customer register in connection "
            "with the company's various services. This register description tells what data "
            "is collected and what it is used for. It is the information that articles 13 "
            "and 14 of the EU General Data Protection Regulation (2016/679) require us to "
            "give the people whose data we process."
        ),
    },
    "purposes": [
        {
            "key": "customer_relationship",
            "text": {
                "fi": (
                    "Rekisteriä käytetään asiakassuhteen hoitoon, asiakasyhteydenpitoon ja "
                    "markkinointiin. Asiakassuhteen hoitoon kuuluvat tilausten käsittely ja "
                    "toimittaminen, palautukset sekä tilauksia koskevat yhteydenotot."
                ),
                "en": (
                    "The register is used for managing the customer relationship, contacting "
                    "customers and marketing. Managing the customer relationship includes "
                    "handling and delivering orders, returns, and contacting the customer "
                    "about their orders."
                ),
            },
            "legal_basis": {
                "fi": (
                    "Asiakassuhteen hoito ja asiakasyhteydenpito: asiakkaan kanssa tehdyn "
                    "sopimuksen täytäntöönpano (tietosuoja-asetuksen 6 artiklan 1 kohdan "
                    "b alakohta). Markkinoinnin oikeusperusteet kerrotaan seuraavissa kohdissa."
                ),
                "en": (
                    "Managing the customer relationship and contacting the customer: "
                    "performance of the contract with the customer (GDPR art. 6(1)(b)). The "
                    "legal bases of marketing are given in the items below."
                ),
            },
        },
        {
            "key": "direct_marketing",
            "text": {
                "fi": (
                    "Rekisterin tietoja käytetään Oulunseutuvaraston omaan "
                    "suoramarkkinointiin, jos asiakas on sen sallinut. Tietoja ei luovuteta "
                    "muille markkinointia varten."
                ),
                "en": (
                    "The register's data is used for Oulunseutuvarasto's own direct "
                    "marketing, if the customer has allowed it. The data is not disclosed to "
                    "others for marketing."
                ),
            },
            "legal_basis": {
                "fi": (
                    "Markkinointi sähköpostilla ja tekstiviestillä: asiakkaan suostumus "
                    "(6 artiklan 1 kohdan a alakohta), jonka asiakas voi peruuttaa milloin "
                    "tahansa. Markkinointi postitse ja puhelimitse: Oulunseutuvaraston "
                    "oikeutettu etu markkinoida omia tuotteitaan asiakkailleen (6 artiklan "
                    "1 kohdan f alakohta); asiakas voi kieltää sen milloin tahansa."
                ),
                "en": (
                    "Marketing by email and text message: the customer's consent "
                    "(art. 6(1)(a)), which the customer may withdraw at any time. Marketing "
                    "by post and phone: Oulunseutuvarasto's legitimate interest in marketing "
                    "its own products to its customers (art. 6(1)(f)); the customer may "
                    "refuse it at any time."
                ),
            },
        },
        {
            "key": "planning_and_targeting",
            "text": {
                "fi": (
                    "Oulunseutuvarasto käyttää näitä ja muita asiakassuhteen aikana "
                    "syntyneitä tietoja tuote- ja palvelutarjonnan suunnitteluun sekä "
                    "tarjonnan kohdistamiseksi asiakaslähtöisesti. Kohdistaminen perustuu "
                    "tilauksiin ja palautuksiin, ja markkinointi kohdistetaan vain "
                    "asiakkaille, joiden valinnat sen sallivat."
                ),
                "en": (
                    "Oulunseutuvarasto uses this data and other data that arises during the "
                    "customer relationship to plan its product and service offering and to "
                    "target its offers to suit its customers. Targeting is based on orders "
                    "and returns, and marketing is directed only to customers whose choices "
                    "allow it."
                ),
            },
            "legal_basis": {
                "fi": (
                    "Oulunseutuvaraston oikeutettu etu kehittää tarjontaansa ja kohdistaa "
                    "markkinointiaan (6 artiklan 1 kohdan f alakohta). Asiakas voi vastustaa "
                    "käsittelyä ja kieltää suoramarkkinoinnin milloin tahansa."
                ),
                "en": (
                    "Oulunseutuvarasto's legitimate interest in developing its offering and "
                    "targeting its marketing (art. 6(1)(f)). The customer may object to the "
                    "processing and ban direct marketing at any time."
                ),
            },
        },
        {
            "key": "credit",
            "text": {
                "fi": (
                    "Kun asiakas tilaa laskulla, henkilötunnuksella tarkistetaan asiakkaan "
                    "luottotiedot ja tehdään luottopäätös, ja henkilötunnusta käytetään "
                    "luottokaupan hoitamiseen."
                ),
                "en": (
                    "When the customer orders on invoice, the personal identity code is used "
                    "to check the customer's credit data and make the credit decision, and to "
                    "run the sale on credit."
                ),
            },
            "legal_basis": {
                "fi": (
                    "Sopimus ja asiakkaan pyynnöstä sitä edeltävät toimenpiteet (6 artiklan "
                    "1 kohdan b alakohta) sekä Oulunseutuvaraston oikeutettu etu arvioida "
                    "luottoriski (6 artiklan 1 kohdan f alakohta). Henkilötunnuksen käsittely "
                    "luotonannossa: tietosuojalain (1050/2018) 29 §."
                ),
                "en": (
                    "The contract and the steps taken at the customer's request before it "
                    "(art. 6(1)(b)), and Oulunseutuvarasto's legitimate interest in assessing "
                    "the credit risk (art. 6(1)(f)). Processing the personal identity code in "
                    "granting credit: the Data Protection Act (1050/2018), section 29."
                ),
            },
        },
        {
            "key": "legal_obligations",
            "text": {
                "fi": "Kirjanpito sekä tietosuojapyyntöjen ja tietojen luovutusten kirjaaminen.",
                "en": "Accounting, and recording data protection requests and disclosures of data.",
            },
            "legal_basis": {
                "fi": (
                    "Rekisterinpitäjän lakisääteiset velvoitteet (6 artiklan 1 kohdan "
                    "c alakohta): kirjanpitolaki (1336/1997) ja tietosuoja-asetuksen "
                    "osoitusvelvollisuus (5 artiklan 2 kohta)."
                ),
                "en": (
                    "The controller's legal obligations (art. 6(1)(c)): the Accounting Act "
                    "(1336/1997) and the accountability required by GDPR art. 5(2)."
                ),
            },
        },
        {
            "key": "security_log",
            "text": {
                "fi": (
                    "Tietoturva: henkilökunnan tekemät asiakastietojen katselut, haut ja "
                    "muutokset kirjataan lokiin väärinkäytösten estämiseksi ja selvittämiseksi."
                ),
                "en": (
                    "Security: every view, search and change of customer data by staff is "
                    "logged, to prevent and investigate misuse."
                ),
            },
            "legal_basis": {
                "fi": (
                    "Rekisterinpitäjän velvoite huolehtia käsittelyn turvallisuudesta "
                    "(32 artikla; 6 artiklan 1 kohdan c alakohta)."
                ),
                "en": (
                    "The controller's obligation to ensure the security of processing "
                    "(art. 32; art. 6(1)(c))."
                ),
            },
        },
    ],
    "data_categories": [
        {
            "key": "contact",
            "text": {
                "fi": (
                    "Asiakkaan yhteystiedot ja tilaamisen mahdollistavat tiedot: sukunimi, "
                    "etunimet, katuosoite, postinumero, postitoimipaikka ja muut "
                    "asiakaskohtaiset tiedot. Muita asiakaskohtaisia tietoja ovat "
                    "asiakasnumero, maa, asiointikieli, tieto siitä, miten asiakassuhde alkoi "
                    "(verkkokauppa, sähköposti tai puhelin), sekä asiakaspalvelun muistiinpanot."
                ),
                "en": (
                    "The customer's contact details and the data that makes ordering possible: "
                    "surname, first names, street address, postal code, post office and other "
                    "customer-specific data. Other customer-specific data is the customer "
                    "number, country, language, how the customer relationship began (web "
                    "shop, email or phone), and customer service's notes."
                ),
            },
        },
        {
            "key": "marketing_ban",
            "text": {
                "fi": "Mahdollinen kielto lähettää hänelle mitään tarjouspostia.",
                "en": "A possible ban on sending offer mail of any kind to the customer.",
            },
        },
        {
            "key": "order_contact",
            "text": {
                "fi": (
                    "Asiakkaan tilausten käsittelyssä ja toimittamisessa tarvittavat tiedot: "
                    "asiakkaan ilmoittama puhelinnumero ja sähköposti yhteydenottoja varten "
                    "sekä henkilötunnus luottotietojen tarkistamiseksi."
                ),
                "en": (
                    "The data needed to handle and deliver the customer's orders: the phone "
                    "number and email the customer gave, for contacting them, and the "
                    "personal identity code for checking credit data."
                ),
            },
        },
        {
            "key": "identity_code",
            "text": {
                "fi": "Luottokaupan ylläpitämiseen tarvittavat tiedot: henkilötunnus.",
                "en": "The data needed to run sales on credit: the personal identity code.",
            },
        },
        {
            "key": "order_history",
            "text": {
                "fi": "Tiedot asiakkaiden tilauksista, toimituksista ja palautuksista.",
                "en": "Data on the customers' orders, deliveries and returns.",
            },
        },
        {
            "key": "payment_and_credit",
            "text": {
                "fi": (
                    "Laskutilausten luottopäätökset: päätös ja sen peruste, "
                    "maksuhäiriömerkintöjen määrä ja luokitus, luottotietoyhtiön viite sekä "
                    "ihmisen tekemä tarkistus perusteluineen. Luottotietoyhtiön vastausta "
                    "sellaisenaan ei tallenneta."
                ),
                "en": (
                    "The credit decisions of invoice orders: the decision and its reason, the "
                    "number and classification of payment default entries, the credit "
                    "bureau's reference, and a person's review with its reasons. The credit "
                    "bureau's answer itself is not stored."
                ),
            },
        },
        {
            "key": "marketing_choices",
            "text": {
                "fi": (
                    "Markkinointiluvat, niiden peruutukset ja suoramarkkinointikiellot "
                    "todisteineen: aika, kanava, lähde, asiakkaalle näytetty teksti sekä "
                    "verkossa annetuista myös IP-osoite ja selaimen tunniste. Asiakkaalle "
                    "lähetetyt markkinointiviestit: kampanja, kanava, lähetysaika ja "
                    "toimituksen tila."
                ),
                "en": (
                    "Marketing consents, their withdrawals and direct marketing bans with "
                    "their evidence: the time, channel and source, the wording shown to the "
                    "customer, and for those given online also the IP address and the "
                    "browser's identifier. The marketing messages sent to the customer: the "
                    "campaign, channel, time of sending and delivery status."
                ),
            },
        },
        {
            "key": "privacy_records",
            "text": {
                "fi": (
                    "Asiakkaan tekemät tietosuojapyynnöt ja asiakkaan tietojen luovutukset: "
                    "kenelle, mitä tietoja, milloin ja millä perusteella."
                ),
                "en": (
                    "The customer's data protection requests and the disclosures of the "
                    "customer's data: to whom, what data, when and on what ground."
                ),
            },
        },
        {
            "key": "access_log",
            "text": {
                "fi": (
                    "Lokitiedot: kuka henkilökunnasta tai mikä järjestelmä on katsonut, "
                    "hakenut tai muuttanut asiakkaan tietoja ja milloin. Lokiin ei tallenneta "
                    "tietojen arvoja, vain muutettujen kenttien nimet."
                ),
                "en": (
                    "Log data: which staff member or system viewed, searched or changed the "
                    "customer's data, and when. The log holds no values of the data, only "
                    "the names of the fields changed."
                ),
            },
        },
    ],
    "sources": [
        {
            "key": "customer",
            "text": {
                "fi": (
                    "Rekisterin yhteys- ja asiakkuustiedot saadaan asiakassuhteen syntyessä ja "
                    "sen aikana asiakkaan rekisterinpitäjälle tekemistä ilmoituksista. "
                    "Asiakassuhde syntyy, kun asiakas tilaa tuotteita verkkokaupasta, "
                    "sähköpostitse tai puhelimitse."
                ),
                "en": (
                    "The register's contact and customer data is obtained from what the "
                    "customer tells the controller when the customer relationship begins and "
                    "during it. The customer relationship begins when the customer orders "
                    "products from the web shop, by email or by phone."
                ),
            },
        },
        {
            "key": "web_shop",
            "text": {
                "fi": (
                    "Verkkokaupasta saadaan siellä tehdyt tilaukset sekä tilauksen yhteydessä "
                    "annetut markkinointiluvat."
                ),
                "en": (
                    "The web shop passes on the orders placed there and the marketing consents "
                    "given with them."
                ),
            },
        },
        {
            "key": "marketing_consent",
            "text": {
                "fi": (
                    "Sähköiseen suoramarkkinointiin (kuten sähköposti, tekstiviestit) "
                    "pyydetään asiakkaalta erikseen suostumus sähköisen viestinnän palveluista "
                    "annetun lain (917/2014) 200 §:n ja EU:n yleisen tietosuoja-asetuksen "
                    "mukaisesti. Jokainen suostumus kirjataan kanavakohtaisesti todisteineen."
                ),
                "en": (
                    "For electronic direct marketing (such as email and text messages), the "
                    "customer's consent is asked separately, as section 200 of the Act on "
                    "Electronic Communications Services (917/2014) and the EU General Data "
                    "Protection Regulation require. Each consent is recorded per channel with "
                    "its evidence."
                ),
            },
        },
        {
            "key": "credit_bureau",
            "text": {
                "fi": (
                    "Asiakkaan tilaushetken mukainen tieto luottokelpoisuudesta tarkistetaan "
                    "Asiakastieto Oy:n järjestelmästä. Kun asiakas tilaa laskulla, Suomen "
                    "Asiakastieto Oy:n luottotietorekisteristä saadaan tieto asiakkaan "
                    "maksuhäiriömerkinnöistä: niiden määrä ja luokitus."
                ),
                "en": (
                    "The customer's creditworthiness at the time of the order is checked from "
                    "Asiakastieto Oy's system. When the customer orders on invoice, Suomen "
                    "Asiakastieto Oy's credit information register gives the customer's "
                    "payment default entries: their number and classification."
                ),
            },
        },
    ],
    "recipients": [
        {
            "key": "disclosures",
            "text": {
                "fi": (
                    "Tietoja kerrotaan tai luovutetaan ulkopuolisille vain lakiin perustuvan "
                    "ilmoitusvelvollisuuden johdosta, kuten asiakkaan omasta pyynnöstä tai "
                    "viranomaisen lakiin perustuvasta pyynnöstä. Jokainen luovutus kirjataan: "
                    "kenelle, mitä tietoja, milloin ja millä perusteella."
                ),
                "en": (
                    "Data is told or disclosed to outsiders only because of a duty to notify "
                    "based on law, such as at the customer's own request or at an authority's "
                    "request based on law. Every disclosure is recorded: to whom, what data, "
                    "when and on what ground."
                ),
            },
        },
        {
            "key": "credit_bureau",
            "text": {
                "fi": (
                    "Suomen Asiakastieto Oy: laskutilauksen yhteydessä asiakkaan henkilötunnus "
                    "luottotietojen tarkistamiseksi."
                ),
                "en": (
                    "Suomen Asiakastieto Oy: the customer's personal identity code with an "
                    "invoice order, to check the customer's credit data."
                ),
            },
        },
        {
            "key": "carriers",
            "text": {
                "fi": (
                    "Kuljetusyhtiöt (kuten Posti, Matkahuolto ja DB Schenker): toimitukseen "
                    "tarvittavat nimi-, osoite- ja yhteystiedot."
                ),
                "en": (
                    "Carriers (such as Posti, Matkahuolto and DB Schenker): the name, address "
                    "and contact details a delivery needs."
                ),
            },
        },
        {
            "key": "processors",
            "text": {
                "fi": (
                    "Sähköpostin ja tekstiviestien välityspalvelut henkilötietojen "
                    "käsittelijöinä, kun asiakkaalle lähetetään viestejä. Käsittelijät "
                    "käsittelevät tietoja vain Oulunseutuvaraston lukuun."
                ),
                "en": (
                    "Email and text message delivery services, as processors, when messages "
                    "are sent to the customer. Processors process the data only on "
                    "Oulunseutuvarasto's behalf."
                ),
            },
        },
    ],
    "transfers": {
        "fi": "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
        "en": (
            "The data is not transferred outside the European Union or the European Economic Area."
        ),
    },
    "retention": [
        {
            "category": "contact",
            "text": {
                "fi": (
                    "Yhteystiedot ja muut asiakaskohtaiset tiedot säilytetään asiakassuhteen "
                    "ajan. Kun asiakkaalla ei ole ollut tilauksia, markkinointilupiin "
                    "liittyviä tapahtumia eikä muuta toimintaa 36 kuukauteen (yleinen "
                    "vanhentumisaika, vanhentumislaki 728/2003, 4 §), asiakkaan tiedot "
                    'anonymisoidaan: nimi korvataan merkinnällä "Poistettu asiakas" ja '
                    "yhteystiedot, henkilötunnus ja muistiinpanot poistetaan."
                ),
                "en": (
                    "Contact details and other customer-specific data are kept for the "
                    "customer relationship. When the customer has had no orders, no events "
                    "about marketing consents and no other activity for 36 months (the general "
                    "limitation period, Limitation Act 728/2003, section 4), the customer's "
                    'data is anonymised: the name is replaced by "Poistettu asiakas" (deleted '
                    "customer) and the contact details, identity code and notes are removed."
                ),
            },
        },
        {
            "category": "marketing_ban",
            "text": {
                "fi": (
                    "Suoramarkkinointikielto on voimassa, kunnes asiakas itse pyytää sen "
                    "poistamista, ja se säilytetään niin kauan kuin asiakkaan tiedot ovat "
                    "rekisterissä, jotta sitä voidaan noudattaa."
                ),
                "en": (
                    "A direct marketing ban is in force until the customer asks for it to be "
                    "lifted, and it is kept as long as the customer's data is in the register, "
                    "so that it can be honoured."
                ),
            },
        },
        {
            "category": "order_contact",
            "text": {
                "fi": (
                    "Puhelinnumero, sähköposti ja henkilötunnus säilytetään asiakassuhteen "
                    "ajan, ja ne poistetaan, kun asiakkaan tiedot anonymisoidaan, tai "
                    "aiemmin asiakkaan pyynnöstä."
                ),
                "en": (
                    "The phone number, email and identity code are kept for the customer "
                    "relationship, and they are removed when the customer's data is "
                    "anonymised, or earlier at the customer's request."
                ),
            },
        },
        {
            "category": "identity_code",
            "text": {
                "fi": (
                    "Henkilötunnus säilytetään salattuna asiakassuhteen ajan, ja se poistetaan, "
                    "kun asiakkaan tiedot anonymisoidaan, tai aiemmin asiakkaan pyynnöstä."
                ),
                "en": (
                    "The personal identity code is kept encrypted for the customer "
                    "relationship, and it is removed when the customer's data is anonymised, "
                    "or earlier at the customer's request."
                ),
            },
        },
        {
            "category": "order_history",
            "text": {
                "fi": (
                    "Tilaukset ja laskut ovat kirjanpitoaineistoa: ne säilytetään kuusi vuotta "
                    "sen vuoden lopusta, jona tilikausi päättyi (kirjanpitolaki 1336/1997, "
                    "2 luku 10 §). Sen jälkeen tilauksesta poistetaan vastaanottajan nimi, "
                    "toimitusosoite, muistiinpanot, toimitusten seurantakoodit ja palautusten "
                    "syyt; tilausrivit, summat ja päivämäärät jäävät kirjanpitoa varten."
                ),
                "en": (
                    "Orders and invoices are accounting records: they are kept for six years "
                    "from the end of the year in which the financial year ended (Accounting "
                    "Act 1336/1997, chapter 2, section 10). After that the recipient's name, "
                    "the delivery address, notes, the tracking codes of deliveries and the "
                    "reasons of returns are removed from the order; its lines, totals and "
                    "dates stay for the accounts."
                ),
            },
        },
        {
            "category": "payment_and_credit",
            "text": {
                "fi": (
                    "Maksuhäiriömerkintöjen määrä ja luokitus, luottotietoyhtiön viite ja "
                    "ihmisen tekemän tarkistuksen perustelu poistetaan 12 kuukauden kuluttua "
                    "luottotietojen tarkistamisesta. Päätös ja sen peruste säilyvät tilauksen "
                    "mukana sen säilytysajan."
                ),
                "en": (
                    "The number and classification of payment default entries, the credit "
                    "bureau's reference and the reasons of a person's review are removed 12 "
                    "months after the credit check. The decision and its reason stay with the "
                    "order for as long as the order is kept."
                ),
            },
        },
        {
            "category": "marketing_choices",
            "text": {
                "fi": (
                    "Markkinointilupa on voimassa, kunnes asiakas peruuttaa sen. Lupien, "
                    "peruutusten ja kieltojen tapahtumat säilytetään todisteena siitä, mitä "
                    "asiakas on sallinut; niiden IP-osoite ja selaimen tunniste poistetaan "
                    "24 kuukauden kuluttua luvan päättäneestä peruutuksesta tai kiellosta. "
                    "Lähetettyjen markkinointiviestien tiedot poistetaan 24 kuukauden kuluttua "
                    "kampanjan lähettämisen päättymisestä."
                ),
                "en": (
                    "A marketing consent is in force until the customer withdraws it. The "
                    "events of consents, withdrawals and bans are kept as evidence of what the "
                    "customer allowed; their IP address and browser identifier are removed 24 "
                    "months after the withdrawal or ban that ended the consent. The records of "
                    "marketing messages sent are deleted 24 months after the campaign finished "
                    "sending."
                ),
            },
        },
        {
            "category": "privacy_records",
            "text": {
                "fi": (
                    "Tietosuojapyynnöt ja tietojen luovutukset säilytetään niin kauan kuin "
                    "niitä tarvitaan sen osoittamiseen, että pyyntöihin on vastattu ja "
                    "luovutuksille on ollut peruste. Kun asiakkaan tiedot poistetaan, niistä "
                    "poistetaan asiakkaan nimi ja yhteystiedot."
                ),
                "en": (
                    "Data protection requests and disclosures are kept as long as they are "
                    "needed to show that the requests were answered and that the disclosures "
                    "had a ground. When the customer's data is erased, the customer's name and "
                    "contact details are removed from them."
                ),
            },
        },
        {
            "category": "access_log",
            "text": {
                "fi": (
                    "Loki on muuttumaton: sen tapahtumia ei poisteta eikä muuteta. Tapahtumissa "
                    "ei ole henkilötietojen arvoja, ja kun asiakkaan tiedot on anonymisoitu, "
                    "tapahtumia ei voi enää yhdistää häneen."
                ),
                "en": (
                    "The log cannot be changed: its events are neither deleted nor altered. "
                    "The events hold no values of personal data, and once the customer's data "
                    "has been anonymised, they can no longer be connected to the customer."
                ),
            },
        },
    ],
    "credit_decision_logic": {
        "fi": (
            "Kun asiakas tilaa laskulla, luottopäätös tehdään automaattisesti tilaushetkellä. "
            "Ensin tilauksen summaa verrataan suurimpaan laskulla myytävään summaan: sen "
            "ylittävä laskutilaus hylätään kysymättä asiakkaan luottotietoja.\n\n"
            "Muuten Suomen Asiakastieto Oy:ltä tarkistetaan henkilötunnuksella, onko "
            "asiakkaalla maksuhäiriömerkintöjä. Jos merkintöjä ei ole, lasku hyväksytään. Jos "
            "merkintöjä on, laskutilaus hylätään. Jos luottotietoyhtiö ei tunne henkilöä, "
            "henkilötunnus on virheellinen tai vastausta ei saada, päätöksen tekee ihminen: "
            "laskua ei koskaan hyväksytä automaattisesti ilman luottotietoyhtiön vastausta.\n\n"
            "Päätös koskee vain maksutapaa. Laskutilaus, jota ei ole hyväksytty, ei etene "
            "ennen kuin ihminen on hyväksynyt sen; tilauksen voi maksaa myös ennakkoon tai "
            "postiennakolla. Asiakkaalla on oikeus vaatia, että ihminen tarkastelee päätöksen "
            "uudelleen, esittää oma näkemyksensä ja riitauttaa päätös (tietosuoja-asetuksen "
            "22 artikla)."
        ),
        "en": (
            "When the customer orders on invoice, the credit decision is made automatically "
            "at the time of the order. First the order total is compared with the largest "
            "total sold on invoice: an invoice order over it is declined without asking for "
            "the customer's credit data.\n\n"
            "Otherwise Suomen Asiakastieto Oy is asked, with the personal identity code, "
            "whether payment default entries are recorded on the customer. If there are none, "
            "the invoice is approved. If there are, the invoice order is declined. If the "
            "credit bureau does not know the person, the identity code is invalid or no "
            "answer comes, a person decides: an invoice is never approved automatically "
            "without the credit bureau's answer.\n\n"
            "The decision concerns only the payment method. An invoice order that has not "
            "been approved does not go ahead until a person approves it; the order can also "
            "be paid in advance or cash on delivery. The customer has the right to have a "
            "person review the decision, to express their point of view and to contest the "
            "decision (GDPR art. 22)."
        ),
    },
    "identity_code_requirement": {
        "fi": (
            "Henkilötunnuksen antaminen ei ole lakisääteistä, eikä asiakkaan ole pakko antaa "
            "sitä: asiakkaaksi voi tulla ja tilata ilman sitä. Henkilötunnus on kuitenkin "
            "edellytys laskulla tilaamiselle. Ilman sitä luottotietoja ei voida tarkistaa eikä "
            "tilausta voi maksaa laskulla; tilauksen voi silloin maksaa ennakkoon tai "
            "postiennakolla.\n\n"
            "Annettu henkilötunnus tallennetaan salattuna. Sitä käytetään luottotietojen "
            "tarkistamiseen ja luottokaupan hoitamiseen, ja sen avulla tunnistetaan myös, onko "
            "tilaaja jo asiakas, jotta samasta henkilöstä ei synny kahta asiakastietoa. "
            "Henkilötunnus näytetään henkilökunnalle peitettynä; sen näkeminen vaatii erillisen "
            "oikeuden ja perustelun, ja jokainen katselu kirjataan."
        ),
        "en": (
            "Giving the personal identity code is not required by law, and the customer does "
            "not have to give it: anyone can become a customer and order without it. The "
            "identity code is, however, required for ordering on invoice. Without it the "
            "credit data cannot be checked and the order cannot be paid on invoice; it can "
            "then be paid in advance or cash on delivery.\n\n"
            "An identity code that is given is stored encrypted. It is used to check credit "
            "data and to run sales on credit, and also to recognise whether the person "
            "ordering is already a customer, so that the same person does not get two "
            "customer records. Staff see the identity code masked; seeing it needs a separate "
            "right and a reason, and every time it is seen is logged."
        ),
    },
    "staff_instructions": {
        "fi": (
            "Työntekijämme on ohjeistettu ja koulutettu ymmärtämään gdpr-asetuksen "
            "vaatimukset tietojenkäsittelyyn ja käsittelemään tietoja turvallisesti ja "
            "eettisesti. Jokainen työntekijä sitoutuu vaitiolovelvollisuuteen ja "
            "tietojenkäsittelyn sääntöihin ennen kuin pääsee käsittelemään asiakastietoja."
        ),
        "en": (
            "Our employees have been instructed and trained to understand the requirements "
            "the GDPR sets for processing data and to handle data securely and ethically. "
            "Every employee commits to the duty of confidentiality and the rules of data "
            "processing before they can handle customer data."
        ),
    },
    "security": [
        {
            "key": "designated_users",
            "text": {
                "fi": (
                    "Konekielinen aineisto: asiakastietoja sisältävän järjestelmän käyttöön ja "
                    "asiakastietojen muuttamiseen ovat oikeutettuja vain erikseen sovitut "
                    "työntekijät. Kullakin käyttäjällä on oma käyttäjätunnus ja salasana "
                    "järjestelmään."
                ),
                "en": (
                    "Data in electronic form: only specifically designated employees are "
                    "entitled to use the system containing customer data and to change "
                    "customer data. Each user has their own username and password to the "
                    "system."
                ),
            },
        },
        {
            "key": "data_centres",
            "text": {
                "fi": (
                    "Asiakasrekisteri ja sitä käsittelevät tietojärjestelmän laitteistot "
                    "sijaitsevat suljetuissa konesaleissa."
                ),
                "en": (
                    "The customer register and the hardware of the information system that "
                    "processes it are located in closed data centres."
                ),
            },
        },
        {
            "key": "backups",
            "text": {
                "fi": (
                    "Häiriötilanteiden varalta tiedot varmistetaan säännönmukaisesti "
                    "varmuuskopioimalla."
                ),
                "en": "In case of disruptions, the data is regularly secured by backups.",
            },
        },
        {
            "key": "encryption",
            "text": {
                "fi": (
                    "Tietokanta ja verkkoliikenne on suojattu palomurein, salauksella sekä "
                    "muilla teknisillä keinoilla. Henkilötunnus tallennetaan lisäksi erikseen "
                    "salattuna."
                ),
                "en": (
                    "The database and the network traffic are protected with firewalls, "
                    "encryption and other technical means. The personal identity code is, in "
                    "addition, stored encrypted on its own."
                ),
            },
        },
        {
            "key": "confidentiality",
            "text": {
                "fi": (
                    "Vaitiolovelvollisuus sitoo asiakasrekisteritietoja käsitteleviä työntekijöitä."
                ),
                "en": (
                    "A duty of confidentiality binds the employees who handle customer "
                    "register data."
                ),
            },
        },
        {
            "key": "audit_log",
            "text": {
                "fi": (
                    "Jokainen asiakastietojen katselu, haku ja muutos kirjataan lokiin, jota ei "
                    "voi jälkikäteen muuttaa huomaamatta."
                ),
                "en": (
                    "Every view, search and change of customer data is recorded in a log that "
                    "cannot be altered afterwards without it being noticed."
                ),
            },
        },
    ],
    "rights": [
        {
            "key": "access",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus saada tietää, mitä tietoja hänestä on tallennettu, "
                    "ja saada niistä kopio (tietosuoja-asetuksen 15 artikla)."
                ),
                "en": (
                    "The customer has the right to know what data is stored about them and to "
                    "get a copy of it (GDPR art. 15)."
                ),
            },
        },
        {
            "key": "rectification",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus vaatia virheellisen tai puutteellisen tiedon "
                    "oikaisemista (16 artikla)."
                ),
                "en": (
                    "The customer has the right to have inaccurate or incomplete data "
                    "rectified (art. 16)."
                ),
            },
        },
        {
            "key": "erasure",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus vaatia tietojensa poistamista (17 artikla). Tietoja, "
                    "jotka laki velvoittaa säilyttämään, kuten kirjanpitoon kuuluvia tilauksia, "
                    "ei poisteta ennen säilytysajan päättymistä; niistä poistetaan asiakkaan "
                    "nimi ja yhteystiedot."
                ),
                "en": (
                    "The customer has the right to have their data erased (art. 17). Data the "
                    "law requires us to keep, such as orders that belong to the accounts, is "
                    "not deleted before its retention period ends; the customer's name and "
                    "contact details are removed from it."
                ),
            },
        },
        {
            "key": "restriction",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus vaatia tietojensa käsittelyn rajoittamista (18 artikla)."
                ),
                "en": (
                    "The customer has the right to have the processing of their data "
                    "restricted (art. 18)."
                ),
            },
        },
        {
            "key": "portability",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus saada itse antamansa tiedot koneluettavassa muodossa "
                    "ja siirtää ne toiselle rekisterinpitäjälle (20 artikla)."
                ),
                "en": (
                    "The customer has the right to receive the data they gave us in a "
                    "machine-readable format and to transmit it to another controller "
                    "(art. 20)."
                ),
            },
        },
        {
            "key": "objection",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus vastustaa oikeutettuun etuun perustuvaa käsittelyä "
                    "ja kieltää suoramarkkinointi milloin tahansa (21 artikla). Kielto koskee "
                    "kaikkia markkinointikanavia."
                ),
                "en": (
                    "The customer has the right to object to processing based on legitimate "
                    "interest and to ban direct marketing at any time (art. 21). The ban "
                    "covers every marketing channel."
                ),
            },
        },
        {
            "key": "withdraw_consent",
            "text": {
                "fi": (
                    "Asiakas voi peruuttaa antamansa suostumuksen milloin tahansa; peruutus ei "
                    "vaikuta sitä ennen tapahtuneen käsittelyn lainmukaisuuteen. "
                    "Markkinointiviestien peruutuslinkki ja tietosuojasivujemme "
                    "markkinointivalinnat toimivat heti."
                ),
                "en": (
                    "The customer may withdraw a consent at any time; withdrawing does not "
                    "affect the lawfulness of processing before it. The unsubscribe link in "
                    "marketing messages and the marketing choices on our privacy pages take "
                    "effect at once."
                ),
            },
        },
        {
            "key": "human_review",
            "text": {
                "fi": (
                    "Asiakkaalla on oikeus vaatia, että ihminen tarkastelee automaattisen "
                    "luottopäätöksen (22 artikla)."
                ),
                "en": (
                    "The customer has the right to have a person review an automated credit "
                    "decision (art. 22)."
                ),
            },
        },
        {
            "key": "how_to_use",
            "text": {
                "fi": (
                    "Oikeuksiaan voi käyttää tietosuojasivuillamme, joilla pyynnön voi tehdä "
                    "verkossa, tai ottamalla yhteyttä rekisteriasioista vastaavaan henkilöön. "
                    "Henkilöllisyys varmistetaan ennen kuin tietoja annetaan tai muutetaan. "
                    "Pyyntöön vastataan kuukauden kuluessa sen saapumisesta; jos pyyntöjä on "
                    "paljon tai ne ovat monimutkaisia, aikaa voidaan jatkaa enintään kahdella "
                    "kuukaudella, ja siitä ja sen syystä kerrotaan pyytäjälle."
                ),
                "en": (
                    "The customer can use these rights on our privacy pages, where a request "
                    "can be made online, or by contacting the person in charge of register "
                    "matters. The person's identity is verified before any data is given out "
                    "or changed. A request is answered within one month of its arrival; if "
                    "there are many requests or they are complex, the time may be extended by "
                    "at most two months, and the requester is told so and why."
                ),
            },
        },
    ],
    "complaint": {
        "fi": (
            "Asiakkaalla on oikeus tehdä valitus valvontaviranomaiselle, jos hän katsoo, että "
            "hänen henkilötietojensa käsittelyssä rikotaan tietosuoja-asetusta: "
            "Tietosuojavaltuutetun toimisto, www.tietosuoja.fi, tietosuoja@om.fi."
        ),
        "en": (
            "The customer has the right to lodge a complaint with the supervisory authority "
            "if they consider that the processing of their personal data infringes the GDPR: "
            "the Office of the Data Protection Ombudsman (Tietosuojavaltuutetun toimisto), "
            "www.tietosuoja.fi, tietosuoja@om.fi."
        ),
    },
}
