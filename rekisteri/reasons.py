"""A stated reason: the why that a person gives for an act the audit trail keeps (a
revealed identity code, an overridden credit decision, a refused request, an erasure).

One minimum for all of them, so that "at least 10 characters" means the same on every
page. No database: each caller keeps its own message, in the words of its own form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REASON_MIN_LENGTH = 10


def reason_collapse(text: str) -> str:
    """`text` on one line: each run of whitespace (newlines too) one space, none at
    either end. What the audit trail keeps of a typed reason."""
    return " ".join(text.split())


def reason_too_short(reason: str, *, min_length: int = REASON_MIN_LENGTH) -> bool:
    """Whether `reason` has fewer than `min_length` characters besides the whitespace
    at its ends. For a caller that gathers the errors of several fields."""
    return len(reason.strip()) < min_length


def reason_require(
    reason: str, *, field: str, message: StrOrPromise, min_length: int = REASON_MIN_LENGTH
) -> None:
    """Raises ValidationError({field: [message]}) when `reason` is too short (as
    `reason_too_short` decides); the minimum is filled in for %(min)d in `message`."""
    if reason_too_short(reason, min_length=min_length):
        raise ValidationError({field: [message % {"min": min_length}]})
