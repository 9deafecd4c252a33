"""Optimistic locking: a page that edits a row carries the version it showed, and a save
of a row changed since then is refused, so no one's change is silently lost.

The caller locks the row (`select_for_update`) in its transaction, checks the version
the page showed, and bumps it with every change it saves; a write that no page
started (the sender, an erasure) bumps it too, so a page opened before it is stale.
"""

from __future__ import annotations

from typing import Any, Protocol


class Versioned(Protocol):
    pk: Any
    version: int


class Conflict(Exception):
    """The row changed after the page that edits it was opened. `current` is the row
    as it now is, for a page that shows it again."""

    def __init__(self, current: Versioned) -> None:
        super().__init__(f"{type(current).__name__} {current.pk} is at version {current.version}")
        self.current = current


def version_check(current: Versioned, expected: int | None) -> None:
    """Raises Conflict unless `current` (locked for update) is still at `expected`, the
    version the page showed. None checks nothing: a caller that read no version."""
    if expected is not None and current.version != expected:
        raise Conflict(current)


def version_bump(row: Versioned) -> None:
    """Marks a change of `row`, to be saved with it: every page that showed the version
    before gets a Conflict when it saves."""
    row.version += 1
