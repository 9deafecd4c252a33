import pytest

from rekisteri.marketing.postal_codes import InvalidRange, normalize_ranges, parse_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90100-90999", ("90100", "90999")),
        (" 90100 – 90999 ", ("90100", "90999")),
        ("00100", ("00100", "00100")),
    ],
)
def test_it_parses_a_range_or_a_single_code(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["9010", "90100-9099", "90999-90100", "abcde", "90100-", ""])
def test_it_refuses_what_is_not_a_range_of_five_digit_codes(text):
    with pytest.raises(InvalidRange):
        parse_range(text)


def test_it_normalises_and_drops_repeats_in_order():
    assert normalize_ranges(["90100", "00100-00990", "90100-90100", " "]) == [
        "90100-90100",
        "00100-00990",
    ]
