"""The register description (P2; GDPR arts. 13 and 14): its schema, its validation
and its published versions.

The register description is one JSON document, published in numbered versions that
are never changed (`RegisterDescription`). The privacy notice at `/tietosuojaseloste/`
is generated from the latest version (`notice.rendering`, the differences between
versions in `notice.diff`); the records of processing read the same document through
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
are fixed per language in `notice.rendering.LABELS`, so a notice is wholly in its own
language whatever the language of the page around it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
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
    reason: str = "",
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
            reason=reason or f"register description version {description.version} published",
        )
    return description


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
