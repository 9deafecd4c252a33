"""Finnish identity codes: validation, normalisation and the birth date they carry.

Every code here is a fake from the temporary 900-999 series, so no real person's
code can appear even by chance."""

from __future__ import annotations

import datetime
import random
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fi import hetu

from rekisteri import fi
from rekisteri.testing.identity_codes import (
    CHECK_CHARACTERS,
    ISSUED,
    identity_code_for,
    random_identity_code,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)

ALL_CENTURY_SIGNS = "+-YXWVUABCDEF"
CODE_1994 = identity_code_for(datetime.date(1994, 5, 1), 901)
CODE_CHARACTERS = "0123456789+-ABCDEFGHIJKLMNOPQRSTUVWXYZ*/. "


def code_with_check_character(ddmmyy: str, sign: str, individual: int) -> str:
    """A code whose check character is right, for dates identity_code_for cannot make."""
    assert 900 <= individual <= 999
    digits = f"{ddmmyy}{individual:03d}"
    code = f"{ddmmyy}{sign}{individual:03d}{CHECK_CHARACTERS[int(digits) % 31]}"
    ISSUED.add(code)
    return code


def with_character(code: str, position: int, character: str) -> str:
    return code[:position] + character + code[position + 1 :]


def rejection(value: str, *, allow_temporary: bool = True) -> fi.InvalidValue:
    with pytest.raises(fi.InvalidValue) as caught:
        fi.normalize_identity_code(value, allow_temporary=allow_temporary)
    return caught.value


def assert_reason_only(error: fi.InvalidValue, reason: str, value: str) -> None:
    """The error names the reason and nothing else; the value is nowhere in it."""
    assert error.reason == reason
    assert str(error) == reason
    assert error.args == (reason,)
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None
    assert repr(error) == f"InvalidValue({reason!r})"
    if value.strip():
        text = "".join(traceback.format_exception(error))
        assert value.strip().upper() not in text.upper()


# -- valid codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "sign"),
    [
        (datetime.date(1850, 6, 15), "+"),
        *[(datetime.date(1994, 5, 1), sign) for sign in "-YXWVU"],
        *[(datetime.date(2005, 5, 1), sign) for sign in "ABCDEF"],
    ],
    ids=lambda value: f"sign {value}" if isinstance(value, str) else str(value.year),
)
def test_it_accepts_every_century_sign_of_2023(birth_date: datetime.date, sign: str) -> None:
    code = identity_code_for(birth_date, 950, sign)

    assert fi.normalize_identity_code(code, allow_temporary=True) == code
    assert fi.birth_date_of(code) == birth_date


@pytest.mark.parametrize(
    "ddmmyy_sign",
    ["290200A", "290204A", "290296-", "290296Y", "311299-", "010100A", "291288+"],
    ids=[
        "29 Feb 2000 (leap century)",
        "29 Feb 2004",
        "29 Feb 1996",
        "29 Feb 1996 new sign",
        "last day of 1999",
        "first day of 2000",
        "29 Feb 1888",
    ],
)
def test_it_accepts_real_edge_dates(ddmmyy_sign: str) -> None:
    code = code_with_check_character(ddmmyy_sign[:6], ddmmyy_sign[6], 905)

    assert fi.normalize_identity_code(code, allow_temporary=True) == code


def test_it_accepts_a_birth_date_of_today() -> None:
    code = identity_code_for(datetime.date.today(), 999)

    assert fi.normalize_identity_code(code, allow_temporary=True) == code


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda code: code.lower(), id="lower case"),
        pytest.param(lambda code: f"  {code}  ", id="surrounding spaces"),
        pytest.param(lambda code: f"\t{code.lower()}\n", id="tab, newline and lower case"),
        pytest.param(lambda code: code[:1].lower() + code[1:], id="mixed case"),
        pytest.param(lambda code: code.replace("-", "\N{EN DASH}"), id="typographic dash"),
    ],
)
def test_it_normalises_case_whitespace_and_dashes(spelling) -> None:
    assert fi.normalize_identity_code(spelling(CODE_1994), allow_temporary=True) == CODE_1994


@pytest.mark.parametrize("sign", "YXWVU", ids=lambda sign: f"sign {sign}")
def test_it_keeps_the_century_sign_as_given(sign: str) -> None:
    """The 2023 signs make new codes; 010594Y9xxx and 010594-9xxx are two people."""
    birth_date = datetime.date(1994, 5, 1)
    with_hyphen = identity_code_for(birth_date, 901, "-")
    with_letter = identity_code_for(birth_date, 901, sign)

    assert fi.normalize_identity_code(with_letter.lower(), allow_temporary=True) == with_letter
    assert fi.normalize_identity_code(with_hyphen, allow_temporary=True) == with_hyphen
    assert with_letter != with_hyphen
    assert with_letter[:6] + with_letter[7:] == with_hyphen[:6] + with_hyphen[7:]
    assert fi.birth_date_of(with_letter) == fi.birth_date_of(with_hyphen) == birth_date


# -- rejected codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "replacement", "reason"),
    [
        (0, "2", "checksum"),
        (1, "7", "checksum"),
        (3, "7", "checksum"),
        (4, "7", "checksum"),
        (5, "7", "checksum"),
        (8, "7", "checksum"),
        (9, "7", "checksum"),
        (2, "1", "date"),
        (0, "7", "format"),
        (2, "7", "format"),
    ],
    ids=[
        "day tens",
        "day ones",
        "month ones",
        "year tens",
        "year ones",
        "individual tens",
        "individual ones",
        "month 15",
        "day 71",
        "month 75",
    ],
)
def test_it_rejects_a_changed_digit(position: int, replacement: str, reason: str) -> None:
    """Changing a digit of 010594-901 breaks the mod-31 check, unless the date or the
    shape breaks first."""
    assert CODE_1994[:10] == "010594-901"
    value = with_character(CODE_1994, position, replacement)

    assert_reason_only(rejection(value), reason, value)


@pytest.mark.parametrize(
    "check_character", [character for character in CHECK_CHARACTERS if character != CODE_1994[10]]
)
def test_it_rejects_every_other_check_character_as_checksum(check_character: str) -> None:
    value = CODE_1994[:10] + check_character

    assert_reason_only(rejection(value), "checksum", value)


def test_it_rejects_a_checksum_error_before_a_temporary_number() -> None:
    value = CODE_1994[:10] + ("A" if CODE_1994[10] != "A" else "B")

    assert_reason_only(rejection(value, allow_temporary=False), "checksum", value)


@pytest.mark.parametrize(
    "ddmmyy_sign",
    [
        "310294-",
        "290223A",
        "290200-",
        "300200A",
        "290201A",
        "000194-",
        "320194-",
        "010094-",
        "011394Y",
        "310494X",
        "310696V",
        "311190U",
    ],
    ids=[
        "31 Feb",
        "29 Feb 2023",
        "29 Feb 1900 (no leap century)",
        "30 Feb 2000",
        "29 Feb 2001",
        "day 00",
        "day 32",
        "month 00",
        "month 13",
        "31 Apr",
        "31 Jun",
        "31 Nov",
    ],
)
def test_it_rejects_impossible_dates(ddmmyy_sign: str) -> None:
    value = code_with_check_character(ddmmyy_sign[:6], ddmmyy_sign[6], 902)

    assert_reason_only(rejection(value), "date", value)


@pytest.mark.parametrize(
    "birth_date",
    [
        datetime.date.today() + datetime.timedelta(days=1),
        datetime.date.today() + datetime.timedelta(days=400),
        datetime.date(2099, 12, 31),
    ],
    ids=["tomorrow", "next year", "end of 2099"],
)
def test_it_rejects_future_birth_dates(birth_date: datetime.date) -> None:
    value = identity_code_for(birth_date, 903)

    assert_reason_only(rejection(value), "date", value)


def test_it_rejects_a_2000s_sign_that_moves_a_birth_date_into_the_future() -> None:
    value = identity_code_for(datetime.date(1994, 5, 1), 901, "-").replace("-", "A")

    assert_reason_only(rejection(value), "date", value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("Virtanen", id="a name"),
        pytest.param("anna@example.fi", id="an email address"),
        pytest.param(CODE_1994[:6] + CODE_1994[7:], id="no century sign"),
        pytest.param(CODE_1994[:10], id="no check character"),
        pytest.param(CODE_1994 + "0", id="one character too many"),
        pytest.param(CODE_1994 + CODE_1994, id="twice"),
        pytest.param(f"x{CODE_1994}", id="a prefix"),
        pytest.param(CODE_1994[:6] + " " + CODE_1994[7:], id="space for a sign"),
        pytest.param(CODE_1994[:6] + " " + CODE_1994[6:], id="space inside"),
        pytest.param(CODE_1994[:6] + "*" + CODE_1994[7:], id="sign *"),
        pytest.param(CODE_1994[:6] + "G" + CODE_1994[7:], id="sign G"),
        pytest.param(CODE_1994[:6] + "Z" + CODE_1994[7:], id="sign Z"),
        pytest.param(CODE_1994[:10] + "G", id="check character G"),
        pytest.param(CODE_1994[:10] + "I", id="check character I"),
        pytest.param(CODE_1994[:10] + "O", id="check character O"),
        pytest.param(CODE_1994[:10] + "Q", id="check character Q"),
        pytest.param(CODE_1994[:10] + "Z", id="check character Z"),
        pytest.param(CODE_1994[:10] + "-", id="check character -"),
        pytest.param("4" + CODE_1994[1:], id="day starting with 4"),
        pytest.param(CODE_1994[:2] + "2" + CODE_1994[3:], id="month starting with 2"),
        pytest.param(CODE_1994[:7] + "9O1" + CODE_1994[10:], id="letter O for a zero"),
        pytest.param(
            "".join(
                chr(0x660 + int(c)) if c.isdigit() and i not in (0, 2, 10) else c
                for i, c in enumerate(CODE_1994)
            ),
            id="Arabic-Indic digits",
        ),
    ],
)
def test_it_rejects_the_wrong_shape_as_format(value: str) -> None:
    assert_reason_only(rejection(value), "format", value)


@pytest.mark.parametrize("individual", ["000", "001"])
def test_it_rejects_individual_numbers_that_are_never_issued_as_format(individual: str) -> None:
    """000 and 001 were never given to anyone, so these are not real-looking codes."""
    digits = f"010594{individual}"
    value = f"010594-{individual}{CHECK_CHARACTERS[int(digits) % 31]}"

    assert_reason_only(rejection(value), "format", value)


def test_it_returns_ascii_for_full_width_digits() -> None:
    """Full-width digits (from some input methods) become the ASCII code, not a second
    spelling of it."""
    value = "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in CODE_1994)

    assert fi.normalize_identity_code(value, allow_temporary=True) == CODE_1994


@pytest.mark.parametrize("individual", [900, 901, 950, 998, 999])
def test_it_accepts_temporary_numbers_only_when_allowed(individual: int) -> None:
    code = identity_code_for(datetime.date(1994, 5, 1), individual)

    assert fi.normalize_identity_code(code, allow_temporary=True) == code
    assert_reason_only(rejection(code, allow_temporary=False), "temporary", code)
    assert_reason_only(rejection(code.lower(), allow_temporary=False), "temporary", code)


def test_allow_temporary_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        fi.normalize_identity_code(CODE_1994, True)  # type: ignore[call-arg]  # the call under test is wrong on purpose


# -- birth_date_of, is_temporary_identity_code, looks_like_identity_code -------------


@pytest.mark.parametrize(
    ("birth_date", "sign"),
    [
        (datetime.date(1800, 1, 1), "+"),
        (datetime.date(1899, 12, 31), "+"),
        (datetime.date(1900, 1, 1), "-"),
        (datetime.date(1952, 10, 13), "U"),
        (datetime.date(1999, 12, 31), "Y"),
        (datetime.date(2000, 1, 1), "A"),
        (datetime.date(2000, 2, 29), "B"),
        (datetime.date(2012, 7, 4), "F"),
    ],
    ids=lambda value: f"sign {value}" if isinstance(value, str) else value.isoformat(),
)
def test_birth_date_of_reads_the_century_from_the_sign(
    birth_date: datetime.date, sign: str
) -> None:
    assert fi.birth_date_of(identity_code_for(birth_date, 977, sign)) == birth_date


@pytest.mark.parametrize(
    ("individual", "expected"),
    [(2, False), (899, False), (900, True), (999, True)],
    ids=["002", "899", "900", "999"],
)
def test_is_temporary_identity_code_reads_the_individual_number(
    individual: int, expected: bool
) -> None:
    # Only the individual number matters, so a shape-only string will do.
    assert fi.is_temporary_identity_code(f"010594-{individual:03d}X") is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(CODE_1994, True, id="a valid code"),
        pytest.param(f"  {CODE_1994.lower()} ", True, id="lower case with spaces"),
        pytest.param(
            CODE_1994[:10] + ("A" if CODE_1994[10] != "A" else "B"),
            True,
            id="wrong check character",
        ),
        pytest.param(code_with_check_character("310294", "-", 904), True, id="31 Feb"),
        pytest.param(CODE_1994[:6] + "Y" + CODE_1994[7:], True, id="new century sign"),
        pytest.param(CODE_1994[:6] + CODE_1994[7:], False, id="no century sign"),
        pytest.param(CODE_1994 + "1", False, id="too long"),
        pytest.param("Virtanen", False, id="a name"),
        pytest.param("anna@example.fi", False, id="an email address"),
        pytest.param("040 123 4567", False, id="a phone number"),
        pytest.param("12345", False, id="a customer number"),
        pytest.param("", False, id="empty"),
        pytest.param(
            "".join(
                chr(0x660 + int(c)) if c.isdigit() and i not in (0, 2, 10) else c
                for i, c in enumerate(CODE_1994)
            ),
            False,
            id="Arabic-Indic digits",
        ),
    ],
)
def test_looks_like_identity_code_checks_the_shape_only(value: str, expected: bool) -> None:
    assert fi.looks_like_identity_code(value) is expected


# -- properties ----------------------------------------------------------------------


@PROPERTY
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_every_random_fake_code_is_valid_but_temporary(seed: int) -> None:
    code = random_identity_code(random.Random(seed))

    assert fi.normalize_identity_code(code, allow_temporary=True) == code
    assert fi.is_temporary_identity_code(code)
    with pytest.raises(fi.InvalidValue) as caught:
        fi.normalize_identity_code(code, allow_temporary=False)
    assert str(caught.value) == "temporary"


@PROPERTY
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    position=st.integers(min_value=0, max_value=10),
    character=st.sampled_from(CODE_CHARACTERS),
)
def test_changing_one_character_makes_an_invalid_or_a_different_code(
    seed: int, position: int, character: str
) -> None:
    code = random_identity_code(random.Random(seed))
    if character == code[position]:
        return
    changed = with_character(code, position, character)

    try:
        result = fi.normalize_identity_code(changed, allow_temporary=True)
    except fi.InvalidValue as error:
        assert str(error) in {"format", "date", "checksum"}
        return
    # Only another century sign of the same or an earlier century can stay valid.
    assert result != code
    assert position == 6
    assert result[:6] + result[7:] == code[:6] + code[7:]


@PROPERTY
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    position=st.integers(min_value=0, max_value=10).filter(lambda position: position != 6),
    character=st.sampled_from("0123456789"),
)
def test_changing_one_digit_never_passes_the_checksum(
    seed: int, position: int, character: str
) -> None:
    code = random_identity_code(random.Random(seed))
    if character == code[position]:
        return

    with pytest.raises(fi.InvalidValue):
        fi.normalize_identity_code(with_character(code, position, character), allow_temporary=True)


@PROPERTY
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    lower=st.booleans(),
    before=st.sampled_from(["", " ", "  ", "\t", "\n"]),
    after=st.sampled_from(["", " ", "  ", "\t", "\n"]),
)
def test_normalising_is_idempotent(seed: int, lower: bool, before: str, after: str) -> None:
    code = random_identity_code(random.Random(seed))
    value = before + (code.lower() if lower else code) + after

    once = fi.normalize_identity_code(value, allow_temporary=True)

    assert once == code
    assert fi.normalize_identity_code(once, allow_temporary=True) == once


@PROPERTY
@given(
    birth_date=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2099, 12, 31)),
    individual=st.integers(min_value=900, max_value=999),
    data=st.data(),
)
def test_it_agrees_with_python_stdnum_except_for_future_dates(
    birth_date: datetime.date, individual: int, data: st.DataObject
) -> None:
    signs = {18: "+", 19: "-YXWVU", 20: "ABCDEF"}[birth_date.year // 100]
    code = identity_code_for(birth_date, individual, data.draw(st.sampled_from(signs)))

    assert hetu.is_valid(code, allow_temporary=True)
    if birth_date > datetime.date.today():
        assert str(rejection(code)) == "date"
    else:
        assert fi.normalize_identity_code(code, allow_temporary=True) == code
        assert fi.birth_date_of(code) == birth_date


@PROPERTY
@given(value=st.text(max_size=20))
def test_any_text_is_rejected_with_a_reason_or_gives_an_ascii_fixed_point(value: str) -> None:
    try:
        result = fi.normalize_identity_code(value, allow_temporary=True)
    except fi.InvalidValue as error:
        assert str(error) in {"format", "date", "checksum"}
        return
    assert result.isascii()
    assert len(result) == 11
    assert result[6] in ALL_CENTURY_SIGNS
    assert fi.normalize_identity_code(result, allow_temporary=True) == result
