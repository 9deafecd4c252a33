"""Postal code ranges as marketing staff type them: "90100-90999", or one code "90100".

Finnish postal codes are five digits, so a range of equal-length codes compares as
text in the database, in the order the codes are numbered."""

from __future__ import annotations

import re

RANGE = re.compile(r"^(\d{5})(?:\s*[-–]\s*(\d{5}))?$")


class InvalidRange(ValueError):
    pass


def parse_range(text: str) -> tuple[str, str]:
    """("90100", "90999") from "90100-90999"; ("90100", "90100") from "90100"."""
    match = RANGE.match(text.strip())
    if match is None:
        raise InvalidRange(text)
    low, high = match.group(1), match.group(2) or match.group(1)
    if low > high:
        raise InvalidRange(text)
    return low, high


def normalize_ranges(texts: list[str]) -> list[str]:
    """Each range once, as "low-high", in the order given; InvalidRange on the first bad one."""
    ranges = [parse_range(text) for text in texts if text.strip()]
    return list(dict.fromkeys(f"{low}-{high}" for low, high in ranges))
