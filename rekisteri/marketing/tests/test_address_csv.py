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


@pytest.mark.django_db
def test_the_database_written_list_has_the_same_rows_as_the_python_one():
    """On PostgreSQL the list is written by COPY; it must hold exactly what the Python
    writer would: the same members, order, columns and formula guard."""
    from rekisteri.audit.services import Actor
    from rekisteri.consents import services as consents
    from rekisteri.marketing.models import TargetGroup
    from rekisteri.marketing.selectors import target_group_export_csv, target_group_export_rows
    from rekisteri.testing.factories import make_customer

    make_customer(
        first_names="=cmd", surname="Virtanen", street_address="+Katu 1", email="v@example.fi"
    )
    make_customer(
        first_names="Liisa", surname='Koski "Kivi"', post_office="@Oulu", email="k@example.fi"
    )
    make_customer(first_names="Pekka", surname="Niemi", street_address="Tie 2, as. 3")
    refused = make_customer()
    consents.consent_withdraw(
        actor=Actor.system("test"), customer=refused, channel="post", source="email"
    )
    group = TargetGroup(name="Kaikki", channel="post")

    written = "".join(
        chunk.decode() if isinstance(chunk, bytes) else chunk
        for chunk in target_group_export_csv(group)
    )
    expected = "".join(address_csv(target_group_export_rows(group)))

    assert list(csv.reader(io.StringIO(written))) == list(csv.reader(io.StringIO(expected)))
    assert len(list(csv.reader(io.StringIO(written)))) == 4
