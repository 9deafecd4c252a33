"""Finds Finnish identity codes, email addresses and phone numbers in a line of text,
and masks them: the test-run log guard (`pytest_plugin`) checks every log line with it.

The shapes are bounded on both sides by anything but a letter or digit, so a code- or
number-shaped run inside a UUID, a hex digest or a longer number is not a finding."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from rekisteri.testing.identity_codes import CHECK_CHARACTERS, ISSUED

_BEFORE = r"(?<![0-9A-Za-z])"
_AFTER = r"(?![0-9A-Za-z])"
_BIRTH_DATE = r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d"

# With a century sign, any day and month that exist: a code that fails its check
# character is still what someone typed as their identity code.
_SIGNED_CODE = re.compile(
    rf"{_BEFORE}{_BIRTH_DATE}[-+A-FU-Y]\d{{3}}[0-9A-Y]{_AFTER}", re.IGNORECASE
)
# Without the sign ten characters are too common a shape: only the temporary series
# with a right check character, or a code the test data issued.
_BARE_CODE = re.compile(rf"{_BEFORE}({_BIRTH_DATE})(\d{{3}})([0-9A-Y]){_AFTER}", re.IGNORECASE)

_EMAIL = re.compile(
    r"(?<![\w.%+'-])[\w.%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)

# +358 40 123 4567, 00358401234567, +358 (0)9 123 456, 358401234567 and the national
# mobile forms 040 123 4567, 050-1234567. A leading dot keeps out decimals (0.0401234).
_PHONE = re.compile(
    r"(?<![0-9A-Za-z.+])(?:"
    r"(?:\+|00)358(?:[ -]?\(0\))?(?:[ -]?\d){5,10}"
    r"|358\d{7,10}"
    r"|0(?:4\d|50)(?:[ -]?\d){6,8}"
    r")(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "identity code", "email address" or "phone number"
    start: int
    end: int


def _is_temporary_or_issued(birth_date: str, individual: str, check: str) -> bool:
    digits = birth_date + individual
    if 900 <= int(individual) <= 999 and CHECK_CHARACTERS[int(digits) % 31] == check.upper():
        return True
    issued_without_sign = {code[:6] + code[7:] for code in ISSUED}
    return (digits + check).upper() in issued_without_sign


def personal_data_in(text: str) -> list[Finding]:
    """Every identity code, email address and phone number in `text`, left to right."""
    findings = [Finding("identity code", m.start(), m.end()) for m in _SIGNED_CODE.finditer(text)]
    findings += [
        Finding("identity code", m.start(), m.end())
        for m in _BARE_CODE.finditer(text)
        if _is_temporary_or_issued(*m.groups())
    ]
    findings += [Finding("email address", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    findings += [Finding("phone number", m.start(), m.end()) for m in _PHONE.finditer(text)]
    return sorted(findings, key=lambda finding: (finding.start, -finding.end))


def masked(text: str, findings: list[Finding]) -> str:
    """`text` with each finding replaced by its kind in brackets."""
    parts, position = [], 0
    for finding in findings:
        if finding.start < position:  # overlaps one already masked
            continue
        parts += [text[position : finding.start], f"[{finding.kind}]"]
        position = finding.end
    return "".join([*parts, text[position:]])


def personal_data_masked(line: str) -> str | None:
    """`line`, percent-decoded, with its personal data masked; None when it has none.
    Decoded, because an address in a query string is `maija%40example.fi`."""
    text = urllib.parse.unquote(line)
    findings = personal_data_in(text)
    return masked(text, findings) if findings else None
