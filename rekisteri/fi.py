"""Finnish identifiers and contact data: validation and normalisation, no database.

Errors carry a reason code, never the value: callers turn the code into a message
in the reader's language, and the value cannot leak into a log through an exception.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.fi import hetu

FINLAND = "FI"
# ASCII digits only: `\d` also matches other scripts' digits, which int() reads as
# numbers, so one code could be stored under two spellings.
POSTAL_CODE_FI = re.compile(r"^[0-9]{5}$")
FOREIGN_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$")
CUSTOMER_NUMBER = re.compile(r"^[0-9]{1,12}$")
IDENTITY_CODE = re.compile(r"[0-3][0-9][01][0-9]{3}[-+A-FU-Y][0-9]{3}[0-9A-FHJ-NPR-Y]")
# Control and format characters (direction overrides and isolates, zero-width spaces
# and joiners), private-use, surrogate and unassigned code points: no name, address or
# note needs one, and each can hide or reorder what a person reads.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
MAX_COMBINING_MARKS = 2


class InvalidValue(ValueError):
    """A value was rejected; `reason` says why, in a word meant for code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_identity_code(value: str, *, allow_temporary: bool) -> str:
    """The identity code in its compact upper-case form, century sign kept as given.

    Reasons: ``format``, ``date``, ``checksum``, ``temporary``.
    """
    compact = hetu.compact(value)
    if not IDENTITY_CODE.fullmatch(compact):
        raise InvalidValue("format")
    if int(compact[7:10]) < 2:  # never issued; the library calls this a bad date
        raise InvalidValue("format")
    try:
        hetu.validate(compact, allow_temporary=True)
    except InvalidChecksum:
        raise InvalidValue("checksum") from None
    except InvalidComponent:
        raise InvalidValue("date") from None
    except (InvalidFormat, InvalidLength, ValidationError):
        raise InvalidValue("format") from None
    if birth_date_of(compact) > datetime.date.today():
        raise InvalidValue("date")
    if not allow_temporary and is_temporary_identity_code(compact):
        raise InvalidValue("temporary")
    return compact


def birth_date_of(compact: str) -> datetime.date:
    century = hetu._century_codes[compact[6]]
    return datetime.date(century + int(compact[4:6]), int(compact[2:4]), int(compact[0:2]))


def is_temporary_identity_code(compact: str) -> bool:
    return 900 <= int(compact[7:10]) <= 999


def looks_like_identity_code(value: str) -> bool:
    """True when a search term has the shape of an identity code (checksum aside)."""
    return bool(IDENTITY_CODE.fullmatch(hetu.compact(value)))


def normalize_postal_code(value: str, *, country: str) -> str:
    """Finnish postal codes are five digits; foreign ones keep their own format."""
    value = " ".join(value.split())
    if country == FINLAND:
        if not POSTAL_CODE_FI.match(value):
            raise InvalidValue("postal_code_fi")
        return value
    if not FOREIGN_POSTAL_CODE.match(value):
        raise InvalidValue("postal_code")
    return value.upper()


def normalize_phone(value: str, *, region: str = FINLAND) -> str:
    """The number in E.164 (+358401234567); a number without a country code is Finnish."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue("phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A stored Finnish number (E.164, as normalize_phone writes it): +358 and a national
# significant number of 2-17 digits that cannot start with the national prefix 0.
FINNISH_E164 = re.compile(r"\+358([1-9][0-9]{1,16})")


def format_phone(e164: str) -> str:
    """A stored number as people read it: Finnish numbers nationally, others internationally."""
    finnish = FINNISH_E164.fullmatch(e164)
    if finnish:  # what phonenumbers.parse makes of it, without its general-purpose parsing
        number = phonenumbers.PhoneNumber(country_code=358, national_number=int(finnish[1]))
    else:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == FINLAND
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def normalize_email(value: str) -> str:
    """The address as email-validator normalises it, then in lower case for lookups."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue("email") from None
    return result.normalized.lower()


def normalize_text(value: str, *, keep: str = "") -> str:
    """The text in NFC. Reason: ``unprintable`` when it holds a control or an invisible
    character, those in `keep` (such as a note's line breaks) aside."""
    if any(unicodedata.category(c) in UNPRINTABLE_CATEGORIES and c not in keep for c in value):
        raise InvalidValue("unprintable")
    return unicodedata.normalize("NFC", value)


def normalize_name(value: str) -> str:
    """A person's name in NFC. Reasons: ``unprintable`` as in `normalize_text`; ``name``
    when it has no letter, holds a pictograph (an emoji, a dingbat), or has combining
    marks that sit on no letter or pile up more than two on one."""
    name = normalize_text(value)
    marks = 0
    after_letter = False
    for character in name:
        category = unicodedata.category(character)
        if category == "So":
            raise InvalidValue("name")
        marks = marks + 1 if category.startswith("M") else 0
        if marks and (not after_letter or marks > MAX_COMBINING_MARKS):
            raise InvalidValue("name")
        after_letter = category.startswith(("L", "M"))
    if not any(unicodedata.category(c).startswith("L") for c in name):
        raise InvalidValue("name")
    return name


@dataclass(frozen=True)
class SearchTerm:
    """What a free-text customer search asks for: one kind, one normalised value."""

    kind: str  # number, email, phone, identity_code, name
    value: str


def classify_search(text: str) -> SearchTerm | None:
    text = " ".join(text.split())
    if not text:
        return None
    if "@" in text:
        try:
            return SearchTerm("email", normalize_email(text))
        except InvalidValue:
            return SearchTerm("email", text.lower())
    if looks_like_identity_code(text):
        return SearchTerm("identity_code", hetu.compact(text))
    if CUSTOMER_NUMBER.match(text) and len(text) <= 8:
        return SearchTerm("number", text)
    digits = re.sub(r"[\s()-]", "", text)
    if re.fullmatch(r"\+?\d{5,15}", digits):
        try:
            return SearchTerm("phone", normalize_phone(digits))
        except InvalidValue:
            return SearchTerm("phone", digits)
    return SearchTerm("name", name_key(text))


def name_key(text: str) -> str:
    """The form of a name that searches compare: case-folded, single spaces."""
    return " ".join(text.casefold().split())
