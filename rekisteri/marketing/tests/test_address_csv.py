"""The address list never hands a spreadsheet a formula to run."""

import csv
import io

import pytest

from rekisteri.marketing.address_csv import address_csv


def rows_of(chunks):
    return list(csv.reader(io.StringIO("".join(chunks))))


@pytest.mark.parametrize("value", ['=HYPERLINK("http://example.fi")', "+358", "-1+2", "@SUM(A1)"])
def test_a_cell_that_looks_like_a_formula_is_quoted(value):
    rows = rows_of(address_csv([("Aino", "Virtanen", value, "90100", "Oulu", "FI")]))

    assert rows[1] == ["Aino Virtanen", f"'{value}", "90100", "Oulu", "FI"]


def test_ordinary_cells_are_left_as_they_are():
    rows = rows_of(address_csv([("Aino", "Virtanen", "Hintantie 85 B", "90650", "Oulu", "FI")]))

    assert rows[1] == ["Aino Virtanen", "Hintantie 85 B", "90650", "Oulu", "FI"]
