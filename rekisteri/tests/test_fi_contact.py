"""Postal codes, phone numbers, email addresses, search terms and name keys."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekisteri import fi
from rekisteri.testing.identity_codes import identity_code_for

PROPERTY = settings(max_examples=200, deadline=None, database=None)

CODE_1994 = identity_code_for(datetime.date(1994, 5, 1), 901)


def rejection(function, value: str, **options) -> fi.InvalidValue:
    with pytest.raises(fi.InvalidValue) as caught:
        function(value, **options)
    return caught.value


def assert_reason_only(error: fi.InvalidValue, reason: str, value: str) -> None:
    assert error.reason == reason
    assert str(error) == reason
    assert error.args == (reason,)
    assert error.__cause__ is None
    if value.strip():
        assert value.strip() not in repr(error)


# -- postal codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("00100", "00100", id="Helsinki"),
        pytest.param("99999", "99999", id="nines"),
        pytest.param(" 33100 ", "33100", id="surrounding spaces"),
        pytest.param("\t65100\n", "65100", id="tab and newline"),
    ],
)
def test_finnish_postal_codes_are_five_digits(value: str, expected: str) -> None:
    assert fi.normalize_postal_code(value, country="FI") == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("0010", id="four digits"),
        pytest.param("001000", id="six digits"),
        pytest.param("00 100", id="space inside"),
        pytest.param("FI-00100", id="country prefix"),
        pytest.param("abcde", id="letters"),
        pytest.param("0010O", id="letter O"),
        pytest.param("\u0660\u0660\u0661\u0660\u0660", id="Arabic-Indic digits"),
        pytest.param("00100\n00200", id="two lines"),
    ],
)
def test_finnish_postal_codes_reject_anything_else(value: str) -> None:
    error = rejection(fi.normalize_postal_code, value, country="FI")

    assert_reason_only(error, "postal_code_fi", value)


@pytest.mark.parametrize(
    ("country", "value", "expected"),
    [
        pytest.param("SE", "114 55", "114 55", id="Sweden"),
        pytest.param("GB", "sw1a 1aa", "SW1A 1AA", id="Britain, upper-cased"),
        pytest.param("GB", "  sw1a   1aa ", "SW1A 1AA", id="Britain, spaces squeezed"),
        pytest.param("NL", "1012 ab", "1012 AB", id="Netherlands"),
        pytest.param("US", "12345-6789", "12345-6789", id="United States ZIP+4"),
        pytest.param("DE", "10115", "10115", id="Germany"),
        pytest.param("EE", "10111", "10111", id="Estonia"),
        pytest.param("SE", "00100", "00100", id="five digits abroad"),
        pytest.param("IE", "D02 X285", "D02 X285", id="Ireland"),
        pytest.param("SE", "1", "1", id="one character"),
        pytest.param("SE", "ABCDEFGHIJKL", "ABCDEFGHIJKL", id="twelve characters"),
    ],
)
def test_foreign_postal_codes_keep_their_format_in_upper_case(
    country: str, value: str, expected: str
) -> None:
    assert fi.normalize_postal_code(value, country=country) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("-12345", id="starts with a dash"),
        pytest.param("ÅÄÖ 12", id="non-ASCII letters"),
        pytest.param("ABCDEFGHIJKLM", id="thirteen characters"),
        pytest.param("12_34", id="underscore"),
        pytest.param("12/34", id="slash"),
        pytest.param("<b>1</b>", id="markup"),
    ],
)
def test_foreign_postal_codes_reject_junk(value: str) -> None:
    error = rejection(fi.normalize_postal_code, value, country="SE")

    assert_reason_only(error, "postal_code", value)


@PROPERTY
@given(value=st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_every_five_digit_code_is_a_finnish_postal_code(value: str) -> None:
    assert fi.normalize_postal_code(f" {value} ", country="FI") == value


@PROPERTY
@given(
    value=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789 -", max_size=14),
    country=st.sampled_from(["FI", "SE", "GB"]),
)
def test_postal_code_normalising_is_idempotent(value: str, country: str) -> None:
    try:
        once = fi.normalize_postal_code(value, country=country)
    except fi.InvalidValue as error:
        assert str(error) in {"postal_code", "postal_code_fi"}
        return
    assert fi.normalize_postal_code(once, country=country) == once


# -- phone numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("040 123 4567", "+358401234567", id="mobile with spaces"),
        pytest.param("0401234567", "+358401234567", id="mobile digits only"),
        pytest.param("040-1234567", "+358401234567", id="mobile with a dash"),
        pytest.param("050 123 4567", "+358501234567", id="another mobile operator"),
        pytest.param("+358 40 123 4567", "+358401234567", id="international"),
        pytest.param("+358401234567", "+358401234567", id="already E.164"),
        pytest.param("00358401234567", "+358401234567", id="00 prefix"),
        pytest.param("(09) 123 4567", "+35891234567", id="Helsinki landline"),
        pytest.param("09 1234567", "+35891234567", id="landline without brackets"),
        pytest.param("0800 123 123", "+358800123123", id="freephone"),
        pytest.param("  040 123 4567 ", "+358401234567", id="surrounding spaces"),
        pytest.param("+46 8 123 456 78", "+46812345678", id="Stockholm landline"),
        pytest.param("+46701234567", "+46701234567", id="Swedish mobile"),
        pytest.param("0046 70 123 45 67", "+46701234567", id="Swedish mobile, 00 prefix"),
    ],
)
def test_phone_numbers_become_e164(value: str, expected: str) -> None:
    assert fi.normalize_phone(value) == expected


def test_a_number_without_a_country_code_is_read_in_the_given_region() -> None:
    assert fi.normalize_phone("070 123 45 67", region="SE") == "+46701234567"
    assert fi.normalize_phone("070 123 4567") == "+358701234567"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("abc", id="letters"),
        pytest.param("not a phone", id="words"),
        pytest.param("12", id="too short"),
        pytest.param("+358", id="country code only"),
        pytest.param("040 123 45678901234", id="too long"),
        pytest.param("+999 123 4567", id="no such country"),
        pytest.param("+46 1", id="too short for Sweden"),
        pytest.param("anna@example.fi", id="an email address"),
    ],
)
def test_junk_is_not_a_phone_number(value: str) -> None:
    assert_reason_only(rejection(fi.normalize_phone, value), "phone", value)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        pytest.param("+358401234567", "040 1234567", id="Finnish mobile, national"),
        pytest.param("+35891234567", "09 1234567", id="Finnish landline, national"),
        pytest.param("+358800123123", "0800 123123", id="Finnish freephone"),
        pytest.param("+46812345678", "+46 8 123 456 78", id="Swedish, international"),
        pytest.param("+46701234567", "+46 70 123 45 67", id="Swedish mobile"),
    ],
)
def test_format_phone_shows_finnish_numbers_nationally(e164: str, expected: str) -> None:
    assert fi.format_phone(e164) == expected
    assert fi.normalize_phone(fi.format_phone(e164)) == e164


@pytest.mark.parametrize(
    "value",
    ["", "not a number", "0401234567"],
    ids=["empty", "words", "no country code"],
)
def test_format_phone_returns_what_it_cannot_read_unchanged(value: str) -> None:
    assert fi.format_phone(value) == value


@PROPERTY
@given(
    subscriber=st.from_regex(r"[0-9]{7}", fullmatch=True),
    prefix=st.sampled_from(["0", "+358 ", "00358", "+358"]),
)
def test_phone_normalising_is_idempotent(subscriber: str, prefix: str) -> None:
    once = fi.normalize_phone(f"{prefix}40{subscriber}")

    assert once == f"+35840{subscriber}"
    assert fi.normalize_phone(once) == once


@PROPERTY
@given(value=st.text(max_size=25))
def test_any_text_is_a_phone_number_in_e164_or_rejected_as_phone(value: str) -> None:
    try:
        result = fi.normalize_phone(value)
    except fi.InvalidValue as error:
        assert str(error) == "phone"
        return
    assert result.startswith("+")
    assert result[1:].isdigit()
    assert result.isascii()


# -- email addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("anna@example.fi", "anna@example.fi", id="plain"),
        pytest.param("Matti.Virtanen@Example.FI", "matti.virtanen@example.fi", id="mixed case"),
        pytest.param("  anna@example.fi \n", "anna@example.fi", id="surrounding spaces"),
        pytest.param("anna+lehti@example.fi", "anna+lehti@example.fi", id="plus address"),
        pytest.param("anna@posti.example.fi", "anna@posti.example.fi", id="subdomain"),
        pytest.param("äiti@example.fi", "äiti@example.fi", id="non-ASCII local part"),
        pytest.param("ÄITI@example.fi", "äiti@example.fi", id="non-ASCII upper case"),
    ],
)
def test_valid_email_addresses_are_lower_cased(value: str, expected: str) -> None:
    assert fi.normalize_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("anna", id="no at sign"),
        pytest.param("anna@", id="no domain"),
        pytest.param("@example.fi", id="no local part"),
        pytest.param("anna@@example.fi", id="two at signs"),
        pytest.param("anna@example..fi", id="empty domain label"),
        pytest.param("anna @example.fi", id="space inside"),
        pytest.param("anna@b", id="domain without a dot"),
        pytest.param("anna@localhost", id="localhost"),
        pytest.param("anna.@example.fi", id="trailing dot in the local part"),
        pytest.param("anna@example.fi, matti@example.fi", id="two addresses"),
    ],
)
def test_invalid_email_addresses_are_rejected(value: str) -> None:
    assert_reason_only(rejection(fi.normalize_email, value), "email", value)


@PROPERTY
@given(
    local=st.from_regex(r"[A-Za-z][A-Za-z0-9._+-]{0,15}[A-Za-z0-9]", fullmatch=True).filter(
        lambda local: ".." not in local
    ),
    domain=st.sampled_from(["example.fi", "EXAMPLE.fi", "Posti.Example.FI"]),
)
def test_email_normalising_is_idempotent(local: str, domain: str) -> None:
    once = fi.normalize_email(f"{local}@{domain}")

    assert once == once.lower()
    assert fi.normalize_email(once) == once


# -- search terms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        pytest.param("anna@example.fi", "email", "anna@example.fi", id="email"),
        pytest.param("  Anna@Example.FI ", "email", "anna@example.fi", id="email, mixed case"),
        pytest.param("Anna@", "email", "anna@", id="partial email kept, lower case"),
        pytest.param("@example.fi", "email", "@example.fi", id="domain only"),
        pytest.param(CODE_1994, "identity_code", CODE_1994, id="identity code"),
        pytest.param(
            f" {CODE_1994.lower()} ", "identity_code", CODE_1994, id="identity code, lower case"
        ),
        pytest.param(
            CODE_1994[:10] + ("A" if CODE_1994[10] != "A" else "B"),
            "identity_code",
            CODE_1994[:10] + ("A" if CODE_1994[10] != "A" else "B"),
            id="identity code shape, wrong check character",
        ),
        pytest.param("1", "number", "1", id="one-digit customer number"),
        pytest.param("12345", "number", "12345", id="customer number"),
        pytest.param("00012345", "number", "00012345", id="eight digits, leading zeros kept"),
        pytest.param(" 42 ", "number", "42", id="customer number with spaces"),
        pytest.param("123456789", "phone", "123456789", id="nine digits, not a valid phone"),
        pytest.param("0401234567", "phone", "+358401234567", id="mobile"),
        pytest.param("040 123 4567", "phone", "+358401234567", id="mobile with spaces"),
        pytest.param("040-123 4567", "phone", "+358401234567", id="mobile with a dash"),
        pytest.param("(09) 123 4567", "phone", "+35891234567", id="landline with brackets"),
        pytest.param("+358 40 123 4567", "phone", "+358401234567", id="international"),
        pytest.param("+46 70 123 45 67", "phone", "+46701234567", id="Swedish"),
        pytest.param("1234567890123", "phone", "1234567890123", id="thirteen digits"),
        pytest.param("Virtanen", "name", "virtanen", id="surname"),
        pytest.param("  Anna   VIRTANEN ", "name", "anna virtanen", id="whole name"),
        pytest.param("Meikäläinen", "name", "meikäläinen", id="Finnish letters"),
        pytest.param("Straße", "name", "strasse", id="case-folded"),
        pytest.param("12-34", "name", "12-34", id="too few digits for a phone"),
        pytest.param("1234567890123456", "name", "1234567890123456", id="sixteen digits"),
        pytest.param(
            "\u0661\u0662\u0663",
            "name",
            "\u0661\u0662\u0663",
            id="Arabic-Indic digits are not a customer number",
        ),
    ],
)
def test_classify_search_tells_the_kind_of_term(text: str, kind: str, value: str) -> None:
    assert fi.classify_search(text) == fi.SearchTerm(kind, value)


@pytest.mark.parametrize("text", ["", " ", "\t\n  "], ids=["empty", "space", "whitespace"])
def test_classify_search_of_nothing_is_none(text: str) -> None:
    assert fi.classify_search(text) is None


@PROPERTY
@given(text=st.text(max_size=30))
def test_classify_search_always_gives_a_known_kind_or_none(text: str) -> None:
    term = fi.classify_search(text)

    if not text.split():
        assert term is None
        return
    assert term is not None
    assert term.kind in {"email", "identity_code", "number", "phone", "name"}
    if term.kind == "number":
        assert term.value.isascii()
        assert term.value.isdigit()
        assert len(term.value) <= 8


# -- name keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Virtanen", "virtanen", id="lower case"),
        pytest.param("  Anna   Maria\tVIRTANEN\n", "anna maria virtanen", id="whitespace"),
        pytest.param("ÅSA Öhman", "åsa öhman", id="Nordic letters"),
        pytest.param("Straße", "strasse", id="case-folded, not just lower-cased"),
        pytest.param("Anna-Liisa", "anna-liisa", id="hyphen kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_name_key_case_folds_and_squeezes_spaces(text: str, expected: str) -> None:
    assert fi.name_key(text) == expected


@PROPERTY
@given(text=st.text(max_size=30))
def test_name_key_is_idempotent(text: str) -> None:
    once = fi.name_key(text)

    assert fi.name_key(once) == once
    assert once == once.strip()
    assert "  " not in once
