"""The person's own words and numbers in free text: their names, email, phone and street
address, and any identity code. A stated reason must not hold them (the audit log keeps
it for good); they are cut out of the free text of the records kept after an erasure.
Erasure, restriction and legal holds check their reasons here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from rekisteri import fi
from rekisteri.customers.models import Customer, Status
from rekisteri.reasons import reason_collapse, reason_too_short

REDACTED = "[poistettu]"  # a mention of the person in a kept record's free text (stored data)
REASON_MAX_LENGTH = 500
REASON_PERSONAL = _(
    "Do not write the customer's name, contact data or any identity code in the reason: "
    "it is kept in the audit log, which is never changed."
)

# Compiled case-insensitive, so a century sign in lower case is caught too.
_IDENTITY_CODE_ANYWHERE = rf"(?<![0-9A-Za-z]){fi.IDENTITY_CODE.pattern}(?![0-9A-Za-z])"


def _words(text: str) -> str:
    """`text` as a whole-word pattern, any run of spaces matching any other."""
    return r"(?<!\w)" + r"\s+".join(re.escape(part) for part in text.split()) + r"(?!\w)"


def _phone(e164: str) -> str | None:
    """The number in any of its usual spellings: +358 40 123 4567, 040-1234567, ..."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    gap = r"[\s-]?"
    digits = gap.join(str(number.national_number))
    prefix = rf"(?:(?:\+|00){gap}{number.country_code}{gap}(?:\(0\){gap})?|0{gap})?"
    return rf"(?<![\d+]){prefix}{digits}(?!\d)"


@dataclass(frozen=True)
class PersonalTerms:
    """The customer's names, email, phone and street address, and any identity code:
    what must never go into the audit log and what is cut out of the free text of the
    records kept after an erasure."""

    pattern: re.Pattern[str]

    @classmethod
    def of(cls, customer: Customer) -> PersonalTerms:
        parts = [_IDENTITY_CODE_ANYWHERE]
        if customer.status in (Status.ANONYMISED, Status.MERGED):
            # Only the pseudonym is left, and it is no one's name (a merged record's
            # data lives on in the record it was merged into).
            return cls(re.compile(parts[0], re.IGNORECASE))
        names = [customer.surname, customer.first_names]
        names += [word for name in names for word in re.split(r"[\s-]+", name)]
        names.append(f"{customer.first_names} {customer.surname}")
        parts += [_words(name) for name in names if len(name.strip()) >= 2]
        if customer.email:
            parts.append(re.escape(customer.email))
        if len(customer.street_address) >= 4:
            parts.append(_words(customer.street_address))
        phone = _phone(customer.phone) if customer.phone else None
        if phone:
            parts.append(phone)
        # Longest first, so a full name is cut out whole rather than word by word.
        parts.sort(key=len, reverse=True)
        return cls(re.compile("|".join(f"(?:{part})" for part in parts), re.IGNORECASE))

    def found_in(self, text: str) -> bool:
        return bool(self.pattern.search(text))

    def redact(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text)


def reason_clean(
    *, customer: Customer, reason: str, min_length: int, max_length: int = REASON_MAX_LENGTH
) -> str:
    """`reason` on one line, or a ValidationError on "reason": too short, too long, or
    naming the customer (a reason goes into the audit log, which is never changed)."""
    reason = reason_collapse(reason)
    if reason_too_short(reason, min_length=min_length):
        raise ValidationError(
            {
                "reason": [
                    ngettext(
                        "Give the reason in at least %(count)s character.",
                        "Give the reason in at least %(count)s characters.",
                        min_length,
                    )
                    % {"count": min_length}
                ]
            }
        )
    if len(reason) > max_length:
        raise ValidationError(
            {
                "reason": [
                    gettext("Keep the reason under %(count)s characters.") % {"count": max_length}
                ]
            }
        )
    if PersonalTerms.of(customer).found_in(reason):
        raise ValidationError({"reason": [REASON_PERSONAL]})
    return reason
