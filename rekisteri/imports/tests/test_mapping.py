"""Which column is which field: the guess from the header row and the rules a mapping
keeps (rekisteri.imports.mapping). No database."""

import pytest
from django.core.exceptions import ValidationError

from rekisteri.imports.mapping import mapping_check, mapping_guess


def test_it_guesses_the_fields_from_finnish_column_names():
    header = [
        "Asiakasnro",
        "Etunimi",
        "Sukunimi",
        "Lähiosoite",
        "Postinro",
        "Postitoimipaikka",
        "Maa",
        "Puh.",
        "Sähköpostiosoite",
        "Asiointikieli",
        "HETU",
        "Lisätiedot",
        "Suoramarkkinointikielto",
    ]

    assert mapping_guess(header) == {
        "first_names": 1,
        "surname": 2,
        "street_address": 3,
        "postal_code": 4,
        "post_office": 5,
        "country": 6,
        "phone": 7,
        "email": 8,
        "preferred_language": 9,
        "identity_code": 10,
        "notes": 11,
        "marketing_ban": 12,
    }


def test_it_guesses_english_and_swedish_names_and_the_consents_with_their_evidence():
    header = [
        "First name",
        "Last name",
        "Street address",
        "ZIP code",
        "City",
        "E-mail",
        "Mobile",
        "Email marketing consent",
        "Email consent evidence",
        "Tekstiviestilupa",
        "Tekstiviestiluvan todiste",
        "Efternamn",
    ]

    assert mapping_guess(header) == {
        "first_names": 0,
        "surname": 1,
        "street_address": 2,
        "postal_code": 3,
        "post_office": 4,
        "email": 5,
        "phone": 6,
        "email_consent": 7,
        "email_consent_evidence": 8,
        "sms_consent": 9,
        "sms_consent_evidence": 10,
    }


def test_an_unknown_header_guesses_nothing():
    assert mapping_guess(["Asiakasnumero", "Osoite ja postinumero", ""]) == {}


def test_a_mapping_with_the_names_and_known_fields_passes():
    mapping_check({"surname": 0, "first_names": 1, "email": 3}, columns=4)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"surname": 0}, "Choose the columns of the surname and the first names."),
        ({"surname": 0, "first_names": 0}, "A column can be imported as one field only."),
        ({"surname": 0, "first_names": 4}, "Choose the columns from the file."),
        ({"surname": 0, "first_names": 1, "shoe_size": 2}, "Choose each field from the list."),
        (
            {"surname": 0, "first_names": 1, "email_consent": 2},
            "“Email marketing consent” is imported only with its evidence: choose "
            "“Evidence of the email consent” too.",
        ),
        (
            {"surname": 0, "first_names": 1, "sms_consent_evidence": 2},
            "“Evidence of the SMS consent” needs the column of “SMS marketing consent”.",
        ),
        (
            {"full_name": 0, "surname": 1},
            "Choose either the full name or the surname and the first names, not both.",
        ),
    ],
    ids=[
        "no-first-names",
        "column-twice",
        "no-such-column",
        "unknown-field",
        "no-evidence",
        "no-consent",
        "full-name-and-surname",
    ],
)
def test_a_mapping_that_breaks_a_rule_is_refused(mapping, message):
    with pytest.raises(ValidationError) as refused:
        mapping_check(mapping, columns=4)

    assert refused.value.messages == [message]
