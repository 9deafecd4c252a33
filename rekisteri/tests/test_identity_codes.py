"""The fake identity codes that tests, demo data and benchmarks use."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fi import hetu

from rekisteri import fi
from rekisteri.testing.identity_codes import (
    ISSUED,
    identity_code_for,
    random_identity_code,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)

SIGNS_BY_CENTURY = {18: "+", 19: "-YXWVU", 20: "ABCDEF"}


def test_it_builds_a_valid_temporary_code() -> None:
    code = identity_code_for(datetime.date(1994, 5, 1), 901)

    assert code[:10] == "010594-901"
    assert hetu.is_valid(code, allow_temporary=True)
    assert fi.normalize_identity_code(code, allow_temporary=True) == code
    assert fi.is_temporary_identity_code(code)
    assert code in ISSUED


@pytest.mark.parametrize(
    ("birth_date", "sign"),
    [
        (datetime.date(1850, 6, 15), "+"),
        (datetime.date(1994, 5, 1), "-"),
        (datetime.date(2005, 5, 1), "A"),
    ],
    ids=["1800s", "1900s", "2000s"],
)
def test_the_default_century_sign_is_the_traditional_one(
    birth_date: datetime.date, sign: str
) -> None:
    assert identity_code_for(birth_date, 950)[6] == sign


@pytest.mark.parametrize(
    ("birth_date", "sign"),
    [
        (datetime.date(1850, 6, 15), "+"),
        *[(datetime.date(1994, 5, 1), sign) for sign in "-YXWVU"],
        *[(datetime.date(2005, 5, 1), sign) for sign in "ABCDEF"],
    ],
    ids=lambda value: f"sign {value}" if isinstance(value, str) else str(value.year),
)
def test_every_century_sign_makes_a_valid_code(birth_date: datetime.date, sign: str) -> None:
    code = identity_code_for(birth_date, 950, sign)

    assert code[6] == sign
    assert hetu.is_valid(code, allow_temporary=True)
    assert fi.birth_date_of(code) == birth_date


@pytest.mark.parametrize("individual", [-1, 0, 1, 2, 500, 899, 1000, 9999])
def test_it_refuses_individual_numbers_outside_the_temporary_series(individual: int) -> None:
    with pytest.raises(ValueError, match="900-999"):
        identity_code_for(datetime.date(1994, 5, 1), individual)


@pytest.mark.parametrize(
    ("birth_date", "sign"),
    [
        (datetime.date(1994, 5, 1), "A"),
        (datetime.date(1994, 5, 1), "+"),
        (datetime.date(2005, 5, 1), "-"),
        (datetime.date(2005, 5, 1), "Y"),
        (datetime.date(1850, 6, 15), "-"),
        (datetime.date(1850, 6, 15), "A"),
        (datetime.date(1994, 5, 1), "y"),
        (datetime.date(2005, 5, 1), "a"),
        (datetime.date(1994, 5, 1), "G"),
        (datetime.date(1994, 5, 1), " "),
        (datetime.date(1994, 5, 1), "YX"),
        (datetime.date(1994, 5, 1), "-Y"),
        (datetime.date(2005, 5, 1), "AB"),
    ],
    ids=lambda value: repr(value) if isinstance(value, str) else str(value.year),
)
def test_it_refuses_a_century_sign_that_does_not_fit(birth_date: datetime.date, sign: str) -> None:
    with pytest.raises(ValueError, match="century sign"):
        identity_code_for(birth_date, 950, sign)


@pytest.mark.parametrize(
    "birth_date",
    [datetime.date(1799, 12, 31), datetime.date(2100, 1, 1), datetime.date(1, 1, 1)],
    ids=["1799", "2100", "year 1"],
)
def test_it_refuses_years_without_a_century_sign(birth_date: datetime.date) -> None:
    with pytest.raises(ValueError, match="1800-2099"):
        identity_code_for(birth_date, 950)


def test_random_codes_repeat_for_the_same_seed() -> None:
    first = [random_identity_code(random.Random(7)) for _ in range(3)]

    assert len(set(first)) == 1
    assert random_identity_code(random.Random(7)) != random_identity_code(random.Random(8))


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_random_codes_are_temporary_and_born_1940_to_2004(seed: int) -> None:
    code = random_identity_code(random.Random(seed))

    assert code in ISSUED
    assert 900 <= int(code[7:10]) <= 999
    assert datetime.date(1940, 1, 1) <= fi.birth_date_of(code) <= datetime.date(2004, 12, 31)
    assert code[6] in SIGNS_BY_CENTURY[fi.birth_date_of(code).year // 100]


@PROPERTY
@given(
    birth_date=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2099, 12, 31)),
    individual=st.integers(min_value=900, max_value=999),
    data=st.data(),
)
def test_its_check_character_agrees_with_python_stdnum(
    birth_date: datetime.date, individual: int, data: st.DataObject
) -> None:
    sign = data.draw(st.sampled_from(SIGNS_BY_CENTURY[birth_date.year // 100]))

    code = identity_code_for(birth_date, individual, sign)

    assert len(code) == 11
    assert code == f"{birth_date:%d%m%y}{sign}{individual}{code[10]}"
    assert hetu.is_valid(code, allow_temporary=True)
    assert not hetu.is_valid(code)  # stdnum too refuses temporary codes unless asked
