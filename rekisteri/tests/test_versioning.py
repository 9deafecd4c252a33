"""Optimistic locking: a save from a page that showed an older version is refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rekisteri.versioning import Conflict, version_bump, version_check


@dataclass
class Row:
    pk: int
    version: int


def test_the_version_the_page_showed_passes():
    row = Row(pk=7, version=3)

    version_check(row, 3)

    assert row.version == 3


@pytest.mark.parametrize("shown", [2, 4, 0])
def test_any_other_version_is_a_conflict_that_carries_the_row_as_it_now_is(shown: int):
    row = Row(pk=7, version=3)

    with pytest.raises(Conflict) as conflict:
        version_check(row, shown)

    assert conflict.value.current is row
    assert str(conflict.value) == "Row 7 is at version 3"
    assert row.version == 3


def test_no_version_shown_checks_nothing():
    version_check(Row(pk=7, version=3), None)


def test_a_bump_makes_the_version_shown_before_it_a_conflict():
    row = Row(pk=7, version=3)

    version_bump(row)

    assert row.version == 4
    version_check(row, 4)
    with pytest.raises(Conflict):
        version_check(row, 3)
