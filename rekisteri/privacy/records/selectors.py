"""The records of processing activities (GDPR art. 30(1)), generated, never written by
hand: the controller, the purposes with their legal bases, the recipients, transfers,
retention and security measures come from the published register description
(`privacy.notice`), the same one the privacy notice is made from; the categories of
data and of data subjects come from the data map (`privacy.records.datamap`), which the tests
hold to every field of every model; the retention periods in force come from the
retention policies. Read as a page, or downloaded as CSV or as a standalone HTML file.

The CSV has one row per processing activity (a purpose of the description) with the
columns of art. 30(1); a cell with several items has one per line. It is UTF-8 with a
byte order mark and `;` between cells, as spreadsheet programs in Finnish expect; a
cell that would start a formula gets a leading quote. See docs/data-map.md."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.marketing.address_csv import FORMULA_STARTS
from rekisteri.privacy.notice.document import current_description
from rekisteri.privacy.notice.rendering import paragraphs
from rekisteri.privacy.records import datamap
from rekisteri.privacy.retention.services import RULES, retention_policies

LANGUAGES = ("fi", "en")
AUDIT_OBJECT_TYPE = "privacy.records"
CSV_DELIMITER = ";"
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class Activity:
    """One processing activity: a purpose of the description and its legal basis."""

    key: str
    purpose: str
    legal_basis: str


@dataclass(frozen=True)
class CategoryRecord:
    """A category of personal data the register holds, from the data map."""

    key: str
    label: str
    subjects: list[str]
    # "Customer: surname, first names", one item per model.
    fields: list[str]


@dataclass(frozen=True)
class RetentionItem:
    """How long the description says a category of its own is kept."""

    category: str
    text: str


@dataclass(frozen=True)
class RetentionRecord:
    """A retention policy in force."""

    label: str
    months: int
    enabled: bool
    action: str


@dataclass(frozen=True)
class RecordsDocument:
    language: str
    generated_at: datetime.datetime
    description_version: int
    published_at: datetime.datetime
    register_name: str
    controller: list[str]
    contact: list[str]
    activities: list[Activity]
    data_subjects: list[str]
    categories: list[CategoryRecord]
    described_categories: list[str]  # the description's own words for the same
    recipients: list[str]
    transfers: list[str]
    retention: list[RetentionItem]
    retention_policies: list[RetentionRecord]
    security: list[str]


def records_language(language: str) -> str:
    """The records are in Finnish or English; any other language gets Finnish."""
    return language if language in LANGUAGES else "fi"


# Reading the description's content (its schema: `privacy.notice.document`) ----------


def _text(text: Mapping[str, str], language: str) -> str:
    """A Text of the description in `language`, its paragraphs one per line."""
    return "\n".join(paragraphs(text[language]))


def _texts(items: Iterable[Mapping[str, Any]], language: str) -> list[str]:
    return [_text(item["text"], language) for item in items]


def _controller(content: Mapping[str, Any]) -> list[str]:
    controller = content["controller"]
    lines = [controller["name"], controller["address"]]
    if controller.get("business_id"):
        lines.append(_("Business ID: %(id)s") % {"id": controller["business_id"]})
    return lines


def _contact(content: Mapping[str, Any]) -> list[str]:
    contact = content["contact"]
    return [line for line in (contact["name"], contact["phone"], contact.get("email")) if line]


def _activities(content: Mapping[str, Any], language: str) -> list[Activity]:
    return [
        Activity(
            key=purpose["key"],
            purpose=_text(purpose["text"], language),
            legal_basis=_text(purpose["legal_basis"], language),
        )
        for purpose in content["purposes"]
    ]


def _retention(content: Mapping[str, Any], language: str) -> list[RetentionItem]:
    """Each category of the description with how long it is kept."""
    categories = {item["key"]: item["text"] for item in content["data_categories"]}
    return [
        RetentionItem(
            category=_text(categories[item["category"]], language),
            text=_text(item["text"], language),
        )
        for item in content["retention"]
    ]


# Reading the data map --------------------------------------------------------------


def _field_label(model_label: str, field_name: str, entry: datamap.Entry) -> str:
    field = apps.get_model(model_label)._meta.get_field(field_name)
    return str(entry.label or getattr(field, "verbose_name", field_name))


def _categories() -> list[CategoryRecord]:
    records = []
    for category in datamap.categories_in_use():
        fields = datamap.personal_fields(category)
        by_model: dict[str, list[str]] = {}
        for model_label, field_name, entry in fields:
            label = _field_label(model_label, field_name, entry)
            by_model.setdefault(model_label, []).append(label)
        subjects = {subject for _model, _field, entry in fields for subject in entry.subjects}
        records.append(
            CategoryRecord(
                key=category.value,
                label=str(category.label),
                subjects=[str(subject.label) for subject in datamap.Subject if subject in subjects],
                fields=[
                    f"{capfirst(apps.get_model(label)._meta.verbose_name)}: {', '.join(names)}"
                    for label, names in by_model.items()
                ],
            )
        )
    return records


def _retention_policies() -> list[RetentionRecord]:
    return [
        RetentionRecord(
            label=policy.get_category_display(),
            months=policy.months,
            enabled=policy.enabled,
            action=str(RULES[policy.category].action),
        )
        for policy in retention_policies()
    ]


# The document ----------------------------------------------------------------------


def records_of_processing(language: str) -> RecordsDocument:
    """The records of processing in `language` ("fi" or "en"), from the register
    description in force, the data map and the retention policies."""
    language = records_language(language)
    description = current_description()
    content = description.content
    with translation.override(language):
        return RecordsDocument(
            language=language,
            generated_at=timezone.now(),
            description_version=description.version,
            published_at=description.published_at,
            register_name=_text(content["register_name"], language),
            controller=_controller(content),
            contact=_contact(content),
            activities=_activities(content, language),
            data_subjects=[str(subject.label) for subject in datamap.subjects_in_use()],
            categories=_categories(),
            described_categories=_texts(content["data_categories"], language),
            recipients=_texts(content["recipients"], language),
            transfers=[_text(content["transfers"], language)],
            retention=_retention(content, language),
            retention_policies=_retention_policies(),
            security=[
                *_texts(content["security"], language),
                _text(content["staff_instructions"], language),
            ],
        )


def _policy_line(policy: RetentionRecord) -> str:
    if not policy.enabled:
        return _("%(data)s: not in use, kept") % {"data": policy.label}
    return _("%(data)s: %(months)s months, then: %(action)s") % {
        "data": policy.label,
        "months": policy.months,
        "action": policy.action,
    }


def _cell(lines: Iterable[str]) -> str:
    text = "\n".join(line for line in lines if line)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def records_csv(language: str) -> str:
    """The records as CSV text (the byte order mark first): one row per activity."""
    document = records_of_processing(language)
    with translation.override(document.language):
        header = [
            _("Controller"),
            _("Contact person"),
            _("Register"),
            _("Purpose of the processing"),
            _("Legal basis"),
            _("Categories of data subjects"),
            _("Categories of personal data"),
            _("Categories of recipients"),
            _("Transfers to third countries"),
            _("Time limits for erasure"),
            _("Technical and organisational security measures"),
            _("Register description version"),
        ]
        retention = [
            *(item.text for item in document.retention),
            *map(_policy_line, document.retention_policies),
        ]
    shared = {
        "controller": _cell(document.controller),
        "contact": _cell(document.contact),
        "register": _cell([document.register_name]),
        "subjects": _cell(document.data_subjects),
        "categories": _cell(category.label for category in document.categories),
        "recipients": _cell(document.recipients),
        "transfers": _cell(document.transfers),
        "retention": _cell(retention),
        "security": _cell(document.security),
        "version": str(document.description_version),
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    for activity in document.activities:
        writer.writerow(
            [
                shared["controller"],
                shared["contact"],
                shared["register"],
                _cell([activity.purpose]),
                _cell([activity.legal_basis]),
                shared["subjects"],
                shared["categories"],
                shared["recipients"],
                shared["transfers"],
                shared["retention"],
                shared["security"],
                shared["version"],
            ]
        )
    return BYTE_ORDER_MARK + buffer.getvalue()


def records_html(language: str) -> str:
    """The records as a standalone, printable HTML file."""
    document = records_of_processing(language)
    with translation.override(document.language):
        return render_to_string("privacy/records/export.html", {"records": document})


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


FORMATS = {
    "csv": (records_csv, "text/csv; charset=utf-8"),
    "html": (records_html, "text/html; charset=utf-8"),
}


def records_download(*, actor: Actor, language: str, file_format: str) -> Download:
    """The records as a file ("csv" or "html"), recorded in the audit log as an export
    (what and in which language; nothing personal is named)."""
    build, content_type = FORMATS[file_format]
    language = records_language(language)
    content = build(language)
    with audited_transaction():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            object_type=AUDIT_OBJECT_TYPE,
            reason=f"records of processing ({file_format}, {language})",
        )
    day = timezone.localdate()
    return Download(
        content=content.encode("utf-8"),
        content_type=content_type,
        filename=f"records-of-processing-{language}-{day:%Y%m%d}.{file_format}",
    )
