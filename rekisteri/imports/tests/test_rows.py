"""From a row of cells to the services' input: the evidence rule of consents, yes and
no, and the spreadsheet habits put right (rekisteri.imports.rows). No database."""

import datetime

import pytest

from rekisteri.imports import rows
from rekisteri.imports.rows import Problem, evidence_fault, row_input

TODAY = datetime.date(2026, 11, 26)
MAPPING = {
    "surname": 0,
    "first_names": 1,
    "postal_code": 2,
    "country": 3,
    "preferred_language": 4,
    "email_consent": 5,
    "email_consent_evidence": 6,
    "sms_consent": 7,
    "sms_consent_evidence": 8,
    "marketing_ban": 9,
}


def cells(**values: str) -> list[str]:
    row = ["Virtanen", "Aino", "90100", "", "", "", "", "", "", ""]
    for name, value in values.items():
        row[MAPPING[name]] = value
    return row


@pytest.mark.parametrize(
    "evidence",
    [
        "tilaus 2024-03-01 lomake",
        "verkkokauppa 1.3.2024",
        "Messut 01.03.2024, kilpailulomake",
        "lomake 2026-11-26",
    ],
)
def test_evidence_with_a_past_date_and_how_counts(evidence):
    assert evidence_fault(evidence, today=TODAY) == ""


@pytest.mark.parametrize(
    ("evidence", "fault"),
    [
        ("", rows.NO_EVIDENCE),
        ("2024-03-01", rows.EVIDENCE_NOT_ENOUGH),
        ("lomake", rows.EVIDENCE_NOT_ENOUGH),
        ("lomake 2024-02-30", rows.EVIDENCE_NOT_ENOUGH),
        ("tilaus 20240301", rows.EVIDENCE_NOT_ENOUGH),
        ("ok 2024-03-01", rows.EVIDENCE_NOT_ENOUGH),
        ("lomake 2026-11-27", rows.EVIDENCE_IN_FUTURE),
        ("vastaus osoitteesta aino@example.fi 2024-03-01", rows.EVIDENCE_PERSONAL),
        ("lomake 2024-03-01 hetu 010580-901P", rows.EVIDENCE_PERSONAL),
        ("lomake 2024-03-01 " + "x" * 200, rows.EVIDENCE_TOO_LONG),
    ],
    ids=[
        "empty",
        "date-only",
        "no-date",
        "no-such-day",
        "date-without-separators",
        "word-too-short",
        "future",
        "email",
        "identity-code",
        "too-long",
    ],
)
def test_evidence_without_what_it_needs_does_not_count(evidence, fault):
    assert evidence_fault(evidence, today=TODAY) == fault


def test_a_yes_with_evidence_is_a_consent_to_record():
    row = row_input(
        7,
        cells(email_consent="Kyllä", email_consent_evidence="  lomake   2024-03-01 "),
        MAPPING,
        today=TODAY,
    )

    assert row.consents == (("email", "lomake 2024-03-01"),)
    assert (row.remarks, row.problems, row.banned) == ((), (), False)


def test_a_consent_without_evidence_or_with_an_unclear_answer_is_a_remark_only():
    row = row_input(
        7,
        cells(email_consent="x", sms_consent="ehkä", sms_consent_evidence="lomake 2024-03-01"),
        MAPPING,
        today=TODAY,
    )

    assert row.consents == ()
    assert row.remarks == (
        Problem("email_consent_evidence", rows.NO_EVIDENCE),
        Problem("sms_consent", rows.CONSENT_UNKNOWN),
    )
    assert row.problems == ()


@pytest.mark.parametrize("answer", ["", "ei", "EI", "no", "0", "false", "-"])
def test_no_or_blank_is_no_consent_and_no_remark(answer):
    row = row_input(7, cells(email_consent=answer), MAPPING, today=TODAY)

    assert (row.consents, row.remarks) == ((), ())


def test_a_ban_needs_no_evidence_and_an_unclear_ban_refuses_the_row():
    banned = row_input(7, cells(marketing_ban="K"), MAPPING, today=TODAY)
    unclear = row_input(8, cells(marketing_ban="kielto 2023"), MAPPING, today=TODAY)

    assert (banned.banned, banned.problems) == (True, ())
    assert unclear.problems == (Problem("marketing_ban", rows.BAN_UNKNOWN),)


def test_spreadsheet_habits_are_put_right():
    row = row_input(
        7,
        cells(postal_code="100", country="Suomi", preferred_language="Ruotsi"),
        MAPPING,
        today=TODAY,
    )
    abroad = row_input(
        8,
        cells(postal_code="114 55", country="Sweden", preferred_language="en"),
        MAPPING,
        today=TODAY,
    )

    assert (row.data.postal_code, row.data.country, row.data.preferred_language) == (
        "00100",
        "FI",
        "sv",
    )
    assert (abroad.data.postal_code, abroad.data.country, abroad.data.preferred_language) == (
        "114 55",
        "SE",
        "en",
    )


def test_unknown_country_and_language_go_to_the_services_as_given():
    row = row_input(
        7, cells(country="Atlantis", preferred_language="klingon"), MAPPING, today=TODAY
    )

    assert (row.data.country, row.data.preferred_language) == ("Atlantis", "klingon")


def test_a_short_row_reads_its_missing_cells_as_blank():
    row = row_input(7, ["Virtanen"], MAPPING, today=TODAY)

    assert (row.data.surname, row.data.first_names, row.data.postal_code) == ("Virtanen", "", "")
