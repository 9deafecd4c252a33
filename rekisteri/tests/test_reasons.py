"""A stated reason: one minimum length, counted the same way on every page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rekisteri.reasons import (
    REASON_MIN_LENGTH,
    reason_collapse,
    reason_require,
    reason_too_short,
)

PROPERTY = hypothesis_settings(max_examples=200, deadline=None, database=None)

NINE = "Asiakas s"  # nine characters
TEN = "Asiakas so"  # ten characters


def test_the_minimum_is_ten_characters():
    assert REASON_MIN_LENGTH == 10
    assert (len(NINE), len(TEN)) == (9, 10)


# -- collapsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Asiakas soitti", "Asiakas soitti", id="already one line"),
        pytest.param("  Asiakas soitti  ", "Asiakas soitti", id="spaces at the ends"),
        pytest.param("Asiakas   soitti", "Asiakas soitti", id="a run of spaces"),
        pytest.param("Asiakas\nsoitti\r\n", "Asiakas soitti", id="newlines"),
        pytest.param("Asiakas\tsoitti", "Asiakas soitti", id="a tab"),
        pytest.param("Asiakas\u00a0soitti", "Asiakas soitti", id="a no-break space"),
        pytest.param("", "", id="empty"),
        pytest.param(" \n\t ", "", id="whitespace only"),
    ],
)
def test_a_reason_is_collapsed_onto_one_line(text: str, expected: str):
    assert reason_collapse(text) == expected


@given(text=st.text(max_size=80))
@PROPERTY
def test_a_collapsed_reason_keeps_its_words_and_collapses_no_further(text: str):
    collapsed = reason_collapse(text)

    assert collapsed.split() == text.split()
    assert reason_collapse(collapsed) == collapsed


# -- too short ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "too_short"),
    [
        pytest.param("", True, id="empty"),
        pytest.param(NINE, True, id="nine characters"),
        pytest.param(TEN, False, id="ten characters"),
        pytest.param(f"   {NINE}   ", True, id="nine between spaces"),
        pytest.param(f"\n{TEN}\n", False, id="ten between newlines"),
        pytest.param("A         b", False, id="spaces inside count"),
        pytest.param(" " * 20, True, id="spaces only"),
    ],
)
def test_a_reason_needs_ten_characters_besides_the_whitespace_at_its_ends(
    reason: str, too_short: bool
):
    assert reason_too_short(reason) is too_short


@pytest.mark.parametrize(
    ("reason", "min_length", "too_short"),
    [
        pytest.param("", 1, True, id="none of one"),
        pytest.param(" ", 1, True, id="a space is not one"),
        pytest.param("x", 1, False, id="one of one"),
        pytest.param("", 0, False, id="none needed"),
        pytest.param(TEN, 11, True, id="ten of eleven"),
    ],
)
def test_a_caller_may_ask_for_another_minimum(reason: str, min_length: int, too_short: bool):
    assert reason_too_short(reason, min_length=min_length) is too_short


@given(reason=st.text(max_size=30), min_length=st.integers(min_value=0, max_value=30))
@PROPERTY
def test_too_short_is_fewer_characters_than_the_minimum_once_trimmed(reason: str, min_length: int):
    assert reason_too_short(reason, min_length=min_length) is (len(reason.strip()) < min_length)


# -- refusing -------------------------------------------------------------------------


def test_a_long_enough_reason_passes():
    reason_require(TEN, field="reason", message="Give the reason.")


def test_a_short_reason_is_refused_on_its_field_with_the_minimum_filled_in():
    with pytest.raises(ValidationError) as refused:
        reason_require(
            NINE,
            field="outcome",
            message="Give the reason for refusing (at least %(min)d characters).",
        )

    assert refused.value.message_dict == {
        "outcome": ["Give the reason for refusing (at least 10 characters)."]
    }


def test_a_message_without_the_minimum_is_given_as_it_is():
    with pytest.raises(ValidationError) as refused:
        reason_require(
            "",
            field="reason",
            message="Say why you need the identity code (at least 10 characters).",
        )

    assert refused.value.message_dict == {
        "reason": ["Say why you need the identity code (at least 10 characters)."]
    }


def test_the_minimum_in_the_message_is_the_one_asked_for():
    with pytest.raises(ValidationError) as refused:
        reason_require(TEN, field="note", message="At least %(min)d.", min_length=12)

    assert refused.value.message_dict == {"note": ["At least 12."]}


def test_the_message_is_in_the_language_of_the_request():
    message = gettext_lazy("Say why (at least 10 characters).")

    with translation.override("fi"), pytest.raises(ValidationError) as refused:
        reason_require("", field="reason", message=message)

    assert refused.value.message_dict == {"reason": ["Kerro syy (vähintään 10 merkkiä)."]}
