"""From one row of the file to what the import writes: the customer's data as the
customer services take it, the consents whose evidence holds, the ban, and what is
wrong. No database: `imports.batches` validates the customer's data as the services
do and looks for duplicates in the register.

A reason is kept as its source-language text (a msgid) and translated when shown,
so that the report reads in each reader's language."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from django_countries import countries

from rekisteri import fi
from rekisteri.customers.models import Language
from rekisteri.customers.services import CustomerInput
from rekisteri.imports.mapping import CONSENTS, UNPROVEN, Target
from rekisteri.spreadsheets import header_key

EVIDENCE_MAX_LENGTH = 200
# A consent or ban cell, compared by `header_key` (no case or accents): "Kyllä", "X".
YES = frozenset({"kylla", "k", "joo", "on", "yes", "y", "x", "1", "true", "tosi", "ja"})
NO = frozenset({"", "ei", "e", "no", "n", "0", "false", "epatosi", "nej"})
LANGUAGES = {
    **{name: Language.FINNISH for name in ("fi", "suomi", "finnish", "finska")},
    **{name: Language.SWEDISH for name in ("sv", "ruotsi", "swedish", "svenska")},
    **{name: Language.ENGLISH for name in ("en", "englanti", "english", "engelska")},
}
# Countries by the names a Finnish list may give them; English names django-countries knows.
COUNTRIES = {
    "suomi": "FI",
    "ruotsi": "SE",
    "sverige": "SE",
    "norja": "NO",
    "norge": "NO",
    "tanska": "DK",
    "danmark": "DK",
    "viro": "EE",
    "eesti": "EE",
    "saksa": "DE",
    "deutschland": "DE",
    "islanti": "IS",
}
# 2024-03-01 or 1.3.2024, not inside a longer run of digits.
EVIDENCE_DATE = re.compile(
    r"(?<![0-9])(?:([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}))(?![0-9])"
)
EVIDENCE_WORD = re.compile(r"[^\W\d_]{3,}")

# Why a row is refused, or a consent on it left out. gettext_noop: kept untranslated,
# translated when shown (`problem_text`).
DUPLICATE_IN_FILE = gettext_noop("The same as on row %(row)s: likely the same customer.")
DUPLICATE_IN_REGISTER = gettext_noop(
    "A customer in the register has the same: likely the same customer."
)
BATCH_FAILED = gettext_noop(
    "Not imported: the database refused to store the rows around this one, so none of "
    "them was stored. Import this row again."
)
BAN_UNKNOWN = gettext_noop(
    "Write kyllä or ei (yes or no): the customer is not imported without knowing whether "
    "they banned direct marketing."
)
CONSENT_UNKNOWN = gettext_noop(
    "Consent not imported: write kyllä or ei (yes or no) in this column."
)
# An import brings no invoice order, so no credit check or sale on credit needs the
# code (P8): it only finds the customer already in the register, and is not stored.
IDENTITY_CODE_NOT_KEPT = gettext_noop(
    "Identity code not stored: it is kept only with an invoice order, for the credit check."
)
NO_EVIDENCE = gettext_noop("Consent not imported: the evidence column is empty on this row.")
EVIDENCE_TOO_LONG = gettext_noop(
    "Consent not imported: the evidence is longer than 200 characters."
)
EVIDENCE_NOT_ENOUGH = gettext_noop(
    "Consent not imported: the evidence must give the date the consent was given and how, "
    "such as “lomake 2024-03-01”."
)
EVIDENCE_IN_FUTURE = gettext_noop(
    "Consent not imported: the date in the evidence is in the future."
)
EVIDENCE_PERSONAL = gettext_noop(
    "Consent not imported: the evidence must not hold an email address or an identity code."
)
NO_EVIDENCE_COLUMN = gettext_noop(
    "Consent not imported: the file has no column of its evidence (when and how it was given)."
)
# A shop's one "Name" column: the last word is taken as the surname (docs/import.md).
NAME_SPLIT = gettext_noop(
    "Name split: the last word taken as the surname, the words before it as the first "
    "names. Check it on the customer's page."
)
NAME_ONE_WORD = gettext_noop(
    "The name is one word: the surname cannot be told from the first names. Write the "
    "first names and the surname, or use columns of their own."
)
# Characters a shop's export puts before a phone number or a postal code so that a
# spreadsheet keeps it as text ("'+358401234567", "'00100").
TEXT_MARK = "'"


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row: the field (a Target value, "" for the row), why (a
    msgid), and the earlier row it repeats."""

    field: str
    message: str
    row: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.row is not None:
            data["row"] = self.row
        return data


@dataclass(frozen=True)
class RowInput:
    """One row of the file, ready for the services."""

    number: int
    data: CustomerInput
    identity_code: str
    consents: tuple[tuple[str, str], ...]  # (channel, evidence) of each consent to record
    banned: bool
    remarks: tuple[Problem, ...]  # consents left out; the customer is still imported
    problems: tuple[Problem, ...]  # the row is refused before anything is tried


# `header_key` of the words the consent, ban and language columns repeat on every
# row ("Kyllä", "ei", "suomi"), worked out once. Only these: no cell of a file is kept
# after its run.
_WORDS = {
    spelling: header_key(spelling)
    for word in (*YES, *NO, *LANGUAGES, "kyllä", "epätosi")
    for spelling in (word, word.capitalize(), word.upper())
}


def _word(cell: str) -> str:
    known = _WORDS.get(cell)
    return header_key(cell) if known is None else known


def row_input(
    number: int, cells: Sequence[str], mapping: Mapping[str, int], *, today: datetime.date
) -> RowInput:
    def cell(target: str) -> str:
        index = mapping.get(target)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    country = _country(cell(Target.COUNTRY))
    remarks: list[Problem] = []
    problems: list[Problem] = []
    surname, first_names = cell(Target.SURNAME), cell(Target.FIRST_NAMES)
    if Target.FULL_NAME in mapping:
        words = cell(Target.FULL_NAME).split()
        if len(words) == 1:
            problems.append(Problem(Target.FULL_NAME, NAME_ONE_WORD))
        elif words:
            surname, first_names = words[-1], " ".join(words[:-1])
            remarks.append(Problem(Target.FULL_NAME, NAME_SPLIT))
    street = " ".join(filter(None, (cell(Target.STREET_ADDRESS), cell(Target.STREET_ADDRESS_2))))
    data = CustomerInput(
        surname=surname,
        first_names=first_names,
        street_address=street,
        postal_code=_postal_code(cell(Target.POSTAL_CODE).lstrip(TEXT_MARK), country=country),
        post_office=cell(Target.POST_OFFICE),
        country=country,
        phone=cell(Target.PHONE).lstrip(TEXT_MARK),
        email=cell(Target.EMAIL),
        preferred_language=_language(cell(Target.PREFERRED_LANGUAGE)),
        notes=cell(Target.NOTES),
    )
    consents: list[tuple[str, str]] = []
    for channel, (consent, evidence_target) in CONSENTS.items():
        if consent not in mapping:
            continue
        answer = _word(cell(consent))
        if answer in NO:
            continue
        if answer not in YES:
            remarks.append(Problem(consent, CONSENT_UNKNOWN))
            continue
        evidence = " ".join(cell(evidence_target).split())
        fault = evidence_fault(evidence, today=today)
        if fault:
            remarks.append(Problem(evidence_target, fault))
        else:
            consents.append((channel, evidence))
    for unproven in UNPROVEN.values():
        # Whatever the cell says, no consent is recorded: a yes only gets its remark.
        if unproven in mapping and _word(cell(unproven)) not in NO:
            remarks.append(Problem(unproven, NO_EVIDENCE_COLUMN))
    if cell(Target.IDENTITY_CODE):
        remarks.append(Problem(Target.IDENTITY_CODE, IDENTITY_CODE_NOT_KEPT))
    ban = _word(cell(Target.MARKETING_BAN))
    if ban not in YES | NO:
        problems.append(Problem(Target.MARKETING_BAN, BAN_UNKNOWN))
    return RowInput(
        number=number,
        data=data,
        identity_code=cell(Target.IDENTITY_CODE),
        consents=tuple(consents),
        banned=ban in YES,
        remarks=tuple(remarks),
        problems=tuple(problems),
    )


def evidence_fault(evidence: str, *, today: datetime.date) -> str:
    """Why `evidence` does not count as evidence of a consent, or "" when it does: it
    names the date the consent was given (2024-03-01 or 1.3.2024, a real date, not in
    the future) and how, in a word of three letters or more, in at most 200
    characters, without an email address or an identity code."""
    if not evidence:
        return NO_EVIDENCE
    if len(evidence) > EVIDENCE_MAX_LENGTH:
        return EVIDENCE_TOO_LONG
    if "@" in evidence or fi.IDENTITY_CODE.search(evidence.upper()):
        return EVIDENCE_PERSONAL
    dates = [_date(match) for match in EVIDENCE_DATE.finditer(evidence)]
    given = [date for date in dates if date is not None]
    if not given or not EVIDENCE_WORD.search(EVIDENCE_DATE.sub(" ", evidence)):
        return EVIDENCE_NOT_ENOUGH
    if max(given) > today:
        return EVIDENCE_IN_FUTURE
    return ""


def evidence_given_on(evidence: str) -> datetime.date | None:
    """The day the consent was given, as evidence that `evidence_fault` accepts says it:
    its latest date. A consent cannot be older than the other dates it names (the
    wording's version, a campaign's start), so the latest is the day of the consent."""
    dates = [_date(match) for match in EVIDENCE_DATE.finditer(evidence)]
    return max((date for date in dates if date is not None), default=None)


def _date(match: re.Match[str]) -> datetime.date | None:
    iso_year, iso_month, iso_day, day, month, year = match.groups()
    try:
        if iso_year:
            return datetime.date(int(iso_year), int(iso_month), int(iso_day))
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _country(value: str) -> str:
    """An ISO code as given, or the code of a country's name; anything else as given,
    for the customer services to refuse."""
    if not value:
        return fi.FINLAND
    if len(value) == 2 and value.isascii():
        return value.upper()
    code = COUNTRIES.get(_word(value)) or countries.by_name(value)
    return code if isinstance(code, str) and code else value


def _postal_code(value: str, *, country: str) -> str:
    """A Finnish postal code a spreadsheet took for a number and lost its leading zeros
    ("100" for 00100) gets them back."""
    if country == fi.FINLAND and value.isascii() and value.isdigit() and 3 <= len(value) <= 4:
        return value.zfill(5)
    return value


def _language(value: str) -> str:
    if not value:
        return Language.FINNISH
    return LANGUAGES.get(_word(value), value)


def duplicate_keys(row: RowInput) -> list[tuple[str, str]]:
    """(field, normalised value) of the row's email, phone and identity code, those
    that are valid: a later row with one of the same is likely the same customer."""
    keys = []
    values = (
        (Target.EMAIL, row.data.email, fi.normalize_email),
        (Target.PHONE, row.data.phone, fi.normalize_phone),
        (Target.IDENTITY_CODE, row.identity_code, _identity_code),
    )
    for target, value, normalise in values:
        if value:
            try:
                keys.append((target.value, normalise(value)))
            except fi.InvalidValue:
                continue
    return keys


def _identity_code(value: str) -> str:
    return fi.normalize_identity_code(
        value, allow_temporary=settings.ACCEPT_TEMPORARY_IDENTITY_CODES
    )


def problem_text(problem: Mapping[str, Any]) -> str:
    """A stored problem's reason in the active language."""
    text = gettext(problem["message"])
    if "row" in problem:
        text = text % {"row": problem["row"]}
    return text


def field_label(field: str) -> str:
    return str(Target(field).label) if field in Target.values else ""
