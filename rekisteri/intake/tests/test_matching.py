"""When a buyer's name agrees with the register's: the pure rule of `matching.py`."""

from __future__ import annotations

import unicodedata

import pytest

from rekisteri.intake.matching import names_agree


def agree(given: tuple[str, str], stored: tuple[str, str]) -> bool:
    return names_agree(
        given_surname=given[0],
        given_first_names=given[1],
        surname=stored[0],
        first_names=stored[1],
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (("Virtanen", "Aino"), ("Virtanen", "Aino")),
        (("VIRTANEN", "aino"), ("Virtanen", "Aino")),
        (("  Virtanen ", "Aino\t Maria"), ("Virtanen", "Aino Maria")),
        (("Virtanen", "Aino"), ("Virtanen", "Aino Maria")),
        (("Virtanen", "Maria"), ("Virtanen", "Aino Maria")),
        (("Virtanen", "Aino Maria Helena"), ("Virtanen", "Aino Maria")),
        (("Mäkelä", "Öljy-Åke"), ("MÄKELÄ", "öljy-åke")),
        (
            (unicodedata.normalize("NFD", "Pöllänen"), unicodedata.normalize("NFD", "Sää")),
            ("Pöllänen", "Sää"),
        ),
        (("Ｖｉｒｔａｎｅｎ", "Aino"), ("Virtanen", "Aino")),
        (("Virtanen", ""), ("Virtanen", "")),
    ],
)
def test_these_names_agree(given, stored):
    assert agree(given, stored)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (("Korhonen", "Aino"), ("Virtanen", "Aino")),
        (("Virtanen", "Eino"), ("Virtanen", "Aino")),
        (("Virtanen", "Aino Liisa"), ("Virtanen", "Aino Maria")),
        (("Maki", "Aino"), ("Mäki", "Aino")),
        (("Virtanen-Korhonen", "Aino"), ("Virtanen", "Aino")),
        (("Virtanen", ""), ("Virtanen", "Aino")),
        (("Virtanen", "Aino"), ("Virtanen", "")),
        (("", "Aino"), ("Virtanen", "Aino")),
        (("Virtanen", "Ai no"), ("Virtanen", "Aino")),
    ],
)
def test_these_names_disagree(given, stored):
    assert not agree(given, stored)
