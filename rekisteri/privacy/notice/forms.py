"""The editor of the register description: every text as a field, Finnish and English
side by side (Swedish optional), and each list as one block per item, with an empty
block at the end to add one.

The rules are the service's (`notice.validate_description`): this form only builds the
document from the fields (`content()`) and puts the service's errors, whose keys are
paths like "purposes.2.legal_basis.en", back on the fields they name
(`add_service_errors`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BoundField
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.notice.document import (
    CHANGE_NOTE_LIMIT,
    LIST_LIMIT,
    LIST_SECTIONS,
    NAME_LIMIT,
    PLAIN_LIMIT,
    PLAIN_SECTIONS,
    SECTIONS,
    TEXT_LIMIT,
    TEXT_SECTIONS,
    category_label,
    item_name_field,
    new_item_key,
)
from rekisteri.privacy.notice.sources import GENERATED_PURPOSES, GENERATED_SECTIONS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EXTRA_ROWS = 1
# A list can be edited up to its limit plus a few rows being added at once.
MAX_ROWS = LIST_LIMIT + 5
ROW_FIELD = re.compile(r"(?P<section>[a-z_]+)-(?P<row>\d+)-")
# The retention select's value for a category added in the same edit, by its block.
NEW_CATEGORY = "new-"
# What the privacy officer writes; the rest is written from the live sources.
EDITED_TEXT_SECTIONS = tuple(name for name in TEXT_SECTIONS if name not in GENERATED_SECTIONS)
EDITED_LIST_SECTIONS = {
    name: parts for name, parts in LIST_SECTIONS.items() if name not in GENERATED_SECTIONS
}
LANGUAGE_NAMES = {"fi": _("Finnish"), "en": _("English"), "sv": _("Swedish")}

SECTION_TITLES: dict[str, StrOrPromise] = {
    "introduction": _("Introduction"),
    "controller": _("Controller"),
    "contact": _("Contact person for register matters"),
    "register_name": _("Name of the register"),
    "purposes": _("Purposes and their legal bases"),
    "data_categories": _("Categories of data"),
    "sources": _("Sources of data"),
    "recipients": _("Recipients and disclosures"),
    "transfers": _("Transfers outside the EU and the EEA"),
    "retention": _("Retention periods"),
    "credit_decision_logic": _("Logic of the automated credit decision"),
    "identity_code_requirement": _("Giving the personal identity code"),
    "staff_instructions": _("Instructions to staff"),
    "security": _("Security measures"),
    "rights": _("The data subject's rights"),
    "complaint": _("The right to complain to the Data Protection Ombudsman"),
}
SECTION_HELP: dict[str, StrOrPromise] = {
    "introduction": _("The opening paragraph: what the register is and what this notice tells."),
    "controller": _("Who decides on the processing (GDPR art. 13(1)(a))."),
    "contact": _("Whom customers contact in register matters (GDPR art. 13(1)(a)-(b))."),
    "purposes": _(
        "What the data is used for, and the legal basis of each purpose "
        "(GDPR arts. 6 and 13(1)(c))."
    ),
    "data_categories": _(
        "What the register holds about a customer (GDPR art. 14(1)(d)). Every category "
        "needs a retention period below."
    ),
    "sources": _("Where the data comes from (GDPR art. 14(2)(f))."),
    "recipients": _("Who receives data, and when it is disclosed (GDPR art. 13(1)(e))."),
    "transfers": _(
        "Whether data goes outside the EU or the EEA, and on which safeguard (GDPR art. 13(1)(f))."
    ),
    "retention": _(
        "How long each category of data is kept, or how the period is decided "
        "(GDPR art. 13(2)(a)). Compare with the retention policies in use, listed below."
    ),
    "credit_decision_logic": _(
        "How the automated credit decision is made, and what it means for the customer "
        "(GDPR arts. 13(2)(f) and 22). Compare with the credit policy in use, below."
    ),
    "identity_code_requirement": _(
        "Whether the customer must give the identity code, and what follows if they do not "
        "(GDPR art. 13(2)(e))."
    ),
    "rights": _("The customer's rights and how to use them (GDPR arts. 13(2)(b)-(c))."),
    "complaint": _("The right to complain to the supervisory authority (GDPR art. 13(2)(d))."),
}
PLAIN_LABELS: dict[str, StrOrPromise] = {
    "controller-name": _("Name"),
    "controller-address": _("Address"),
    "controller-business_id": _("Business ID (optional)"),
    "contact-name": _("Name"),
    "contact-phone": _("Phone"),
    "contact-email": _("Email (optional)"),
}
# Each list's block titles: an item, and the empty block that adds one.
ITEM_TITLES: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "purposes": (_("Purpose %(number)s"), _("Add a purpose")),
    "data_categories": (_("Category %(number)s"), _("Add a category of data")),
    "sources": (_("Source %(number)s"), _("Add a source")),
    "recipients": (_("Recipient %(number)s"), _("Add a recipient")),
    "retention": (_("Retention period %(number)s"), _("Add a retention period")),
    "security": (_("Measure %(number)s"), _("Add a measure")),
    "rights": (_("Right %(number)s"), _("Add a right")),
}
PART_LABELS: dict[str, StrOrPromise] = {
    "purposes-text": _("Purpose"),
    "purposes-legal_basis": _("Legal basis"),
}
GENERATED_HELP: dict[str, StrOrPromise] = {
    "data_categories": _(
        "Written by Rekisteri from its data map: a category is listed when the register "
        "holds it about customers. When it changes, the versions page shows the new text "
        "waiting to be published."
    ),
    "retention": _(
        "Written by Rekisteri from the retention policies below. When a policy changes, "
        "the versions page shows the new text waiting to be published."
    ),
    "credit_decision_logic": _(
        "Written by Rekisteri from the credit policy below. When the policy changes, the "
        "versions page shows the new text waiting to be published."
    ),
}
GENERATED_PURPOSES_HELP = _(
    "Rekisteri adds the marketing that reaches customers without an opt-in while it is in "
    "use: the campaigns under the existing-customer exception (917/2014 § 200) and the "
    "opt-out channels (post, phone)."
)
PARAGRAPH_HELP = _("An empty line starts a new paragraph.")


@dataclass
class TextFields:
    """One translatable text: its Finnish, English and Swedish fields."""

    label: StrOrPromise
    fi: BoundField
    en: BoundField
    sv: BoundField

    @property
    def swedish_open(self) -> bool:
        return bool(self.sv.errors or self.sv.value())


@dataclass
class ItemBlock:
    title: str
    texts: list[TextFields]
    hidden: list[BoundField]
    category: BoundField | None
    remove: BoundField | None
    is_new: bool


@dataclass
class SectionBlock:
    key: str
    title: StrOrPromise
    help: StrOrPromise
    errors: list[str]
    fields: list[BoundField] = field(default_factory=list)
    texts: list[TextFields] = field(default_factory=list)
    items: list[ItemBlock] = field(default_factory=list)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class DescriptionForm(ServiceErrorsForm):
    change_note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=CHANGE_NOTE_LIMIT,
        help_text=_(
            "Shown in the public version history, for example: "
            "“Added the SMS service as a recipient.”"
        ),
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        content: Mapping[str, Any],
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=dict(initial or {}))
        content = editable_content(content)
        self.section_errors: dict[str, list[str]] = {}
        self._rows = self._row_counts(content)
        # Which form row each item of the built document came from, to place errors.
        self._row_of: dict[tuple[str, int], int] = {}
        # The identifiers given to new items, by their block.
        self._new_keys: dict[tuple[str, int], str] = {}
        self._add_fields(content)

    # ---- Fields ----------------------------------------------------------------------

    def _row_counts(self, content: Mapping[str, Any]) -> dict[str, int]:
        if not self.is_bound:
            return {section: len(content[section]) + EXTRA_ROWS for section in EDITED_LIST_SECTIONS}
        counts = dict.fromkeys(EDITED_LIST_SECTIONS, 0)
        for name in self.data:
            found = ROW_FIELD.match(name)
            if found and found["section"] in counts:
                row = int(found["row"])
                counts[found["section"]] = max(counts[found["section"]], min(row + 1, MAX_ROWS))
        return counts

    def _add_text(
        self, prefix: str, label: StrOrPromise, initial: Any, *, limit: int, long: bool
    ) -> None:
        for language, language_name in LANGUAGE_NAMES.items():
            value = initial.get(language, "") if isinstance(initial, Mapping) else ""
            self.fields[f"{prefix}-{language}"] = forms.CharField(
                label=f"{label} ({language_name})",
                required=False,
                max_length=limit,
                initial=value,
                widget=_textarea() if long else forms.TextInput(),
                help_text=PARAGRAPH_HELP if long and language == "fi" else "",
            )

    def _add_fields(self, content: Mapping[str, Any]) -> None:
        for section, names in PLAIN_SECTIONS.items():
            for name in names:
                self.fields[f"{section}-{name}"] = forms.CharField(
                    label=PLAIN_LABELS[f"{section}-{name}"],
                    required=False,
                    max_length=PLAIN_LIMIT,
                    initial=content[section].get(name, ""),
                )
        for section in EDITED_TEXT_SECTIONS:
            is_name = section == "register_name"
            self._add_text(
                section,
                SECTION_TITLES[section],
                content[section],
                limit=NAME_LIMIT if is_name else TEXT_LIMIT,
                long=not is_name,
            )
        choices = self._category_choices(content) if "retention" in EDITED_LIST_SECTIONS else []
        for section, parts in EDITED_LIST_SECTIONS.items():
            items = content[section]
            for row in range(self._rows[section]):
                item = items[row] if not self.is_bound and row < len(items) else {}
                self._add_item(section, parts, row, item, choices)

    def _add_item(
        self,
        section: str,
        parts: tuple[str, ...],
        row: int,
        item: Mapping[str, Any],
        choices: list[tuple[str, str]],
    ) -> None:
        prefix = f"{section}-{row}"
        if section == "retention":
            self.fields[f"{prefix}-category"] = forms.CharField(
                label=_("Category of data"),
                required=False,
                initial=item.get("category", ""),
                widget=forms.Select(choices=choices),
                help_text=_("A category added above can be chosen here after Preview."),
            )
        else:
            self.fields[f"{prefix}-key"] = forms.CharField(
                required=False, initial=item.get("key", ""), widget=forms.HiddenInput
            )
        for part in parts:
            label = PART_LABELS.get(f"{section}-{part}", _("Text"))
            self._add_text(f"{prefix}-{part}", label, item.get(part), limit=TEXT_LIMIT, long=True)
        self.fields[f"{prefix}-remove"] = forms.BooleanField(
            label=_("Remove this item"), required=False
        )

    def _category_choices(self, content: Mapping[str, Any]) -> list[tuple[str, str]]:
        choices = [("", str(_("Choose the category of data")))]
        if not self.is_bound:
            items = content["data_categories"]
            return choices + [(item["key"], category_label(item)) for item in items]
        for row in range(self._rows["data_categories"]):
            prefix = f"data_categories-{row}"
            key = str(self.data.get(f"{prefix}-key", "")).strip()
            label = category_label({"text": {"fi": str(self.data.get(f"{prefix}-text-fi", ""))}})
            if key:
                choices.append((key, label))
            elif label and not self.data.get(f"{prefix}-remove"):
                # Not yet named: chosen by its block, named when the document is built.
                choices.append((f"{NEW_CATEGORY}{row}", label))
        return choices

    # ---- The document ----------------------------------------------------------------

    def _text(self, prefix: str) -> dict[str, str]:
        return {
            language: self.cleaned_data.get(f"{prefix}-{language}", "")
            for language in LANGUAGE_NAMES
        }

    def content(self) -> dict[str, Any]:
        """The register description the fields say (call after is_valid()). An empty
        block and a block marked for removal are left out; a new item gets an
        identifier from its words."""
        data = self.cleaned_data
        result: dict[str, Any] = {
            section: {name: data.get(f"{section}-{name}", "") for name in names}
            for section, names in PLAIN_SECTIONS.items()
        }
        for section in EDITED_TEXT_SECTIONS:
            result[section] = self._text(section)
        for section, parts in EDITED_LIST_SECTIONS.items():
            result[section] = self._items(section, parts)
        # The generated sections are left out: `sources.content_from_sources` adds them.
        return {section: result[section] for section in SECTIONS if section in result}

    def _items(self, section: str, parts: tuple[str, ...]) -> list[dict[str, Any]]:
        data = self.cleaned_data
        name_field = item_name_field(section)
        taken = {
            data.get(f"{section}-{row}-{name_field}", "") for row in range(self._rows[section])
        }
        items: list[dict[str, Any]] = []
        for row in range(self._rows[section]):
            prefix = f"{section}-{row}"
            texts = {part: self._text(f"{prefix}-{part}") for part in parts}
            name = data.get(f"{prefix}-{name_field}", "")
            # An untouched empty block adds nothing; an item emptied by hand stays, so
            # that its missing texts are pointed out rather than it silently vanishing.
            is_empty = not name and not any(any(text.values()) for text in texts.values())
            if data.get(f"{prefix}-remove") or is_empty:
                continue
            if not name and section != "retention":
                name = new_item_key(section, texts["text"], taken)
                taken.add(name)
                self._new_keys[(section, row)] = name
            elif section == "retention" and name.startswith(NEW_CATEGORY):
                block = name.removeprefix(NEW_CATEGORY)
                if block.isdigit():
                    name = self._new_keys.get(("data_categories", int(block)), name)
            self._row_of[(section, len(items))] = row
            items.append({name_field: name, **texts})
        return items

    # ---- Errors ----------------------------------------------------------------------

    def add_service_errors(self, error: ValidationError) -> None:
        """Puts each of the service's errors on the field its path names; an error of a
        whole list, or of a hidden identifier, goes to its section."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for path, messages in error.message_dict.items():
            if path == NON_FIELD_ERRORS:
                self.add_error(None, messages)
                continue
            name = self._field_for(path)
            if name is not None and not self.fields[name].widget.is_hidden:
                self.add_error(name, messages)
            else:
                self.section_errors.setdefault(path.split(".")[0], []).extend(messages)

    def _field_for(self, path: str) -> str | None:
        parts = path.split(".")
        if parts[0] in LIST_SECTIONS and len(parts) > 1 and parts[1].isdigit():
            row = self._row_of.get((parts[0], int(parts[1])))
            if row is None:
                return None
            parts[1] = str(row)
        name = "-".join(parts)
        return name if name in self.fields else None

    @property
    def has_problems(self) -> bool:
        return bool(self.errors or self.section_errors)

    # ---- The page --------------------------------------------------------------------

    def _text_fields(self, prefix: str, label: StrOrPromise) -> TextFields:
        return TextFields(
            label=label,
            fi=self[f"{prefix}-fi"],
            en=self[f"{prefix}-en"],
            sv=self[f"{prefix}-sv"],
        )

    def layout(self) -> list[SectionBlock]:
        """The sections in the notice's order, with their fields, for the template."""
        blocks = []
        for section in SECTIONS:
            block = SectionBlock(
                key=section,
                title=SECTION_TITLES[section],
                help=SECTION_HELP.get(section, ""),
                errors=self.section_errors.get(section, []),
            )
            if section == "purposes":
                block.help = format_lazy("{} {}", block.help, GENERATED_PURPOSES_HELP)
            if section in GENERATED_SECTIONS:
                block.help = GENERATED_HELP[section]
            elif section in PLAIN_SECTIONS:
                block.fields = [self[f"{section}-{name}"] for name in PLAIN_SECTIONS[section]]
            elif section in EDITED_TEXT_SECTIONS:
                block.texts = [self._text_fields(section, SECTION_TITLES[section])]
            else:
                block.items = [self._item_block(section, row) for row in range(self._rows[section])]
            blocks.append(block)
        return blocks

    def _item_block(self, section: str, row: int) -> ItemBlock:
        prefix = f"{section}-{row}"
        texts = [
            self._text_fields(f"{prefix}-{part}", PART_LABELS.get(f"{section}-{part}", _("Text")))
            for part in LIST_SECTIONS[section]
        ]
        name = self[f"{prefix}-{item_name_field(section)}"]
        is_new = not name.value() and not any(
            text.fi.value() or text.en.value() or text.sv.value() for text in texts
        )
        item_title, new_title = ITEM_TITLES[section]
        return ItemBlock(
            title=str(new_title) if is_new else str(item_title) % {"number": row + 1},
            texts=texts,
            hidden=[] if section == "retention" else [name],
            category=name if section == "retention" else None,
            remove=None if is_new else self[f"{prefix}-remove"],
            is_new=is_new,
        )


class PendingPublishForm(ServiceErrorsForm):
    """Publishing the notice waiting on the versions page: the version it was read
    against and the fingerprint of the text read."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)


def editable_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """`content` without the items of the purposes that are written from the live
    sources (the marketing that reaches customers without an opt-in)."""
    purposes = [
        item for item in content.get("purposes") or [] if item.get("key") not in GENERATED_PURPOSES
    ]
    return {**content, "purposes": purposes}
