"""The signed tokens of emailed links: what opens, what does not, and that a token
keeps the shape of the links already sent."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rekisteri import tokens
from rekisteri.tokens import TOKEN_PARAMETER, TokenKind, link_with_token

PROPERTY = hypothesis_settings(max_examples=200, deadline=None, database=None)

DAY = datetime.timedelta(hours=24)
LASTING = TokenKind(salt="rekisteri.tests.lasting")
EXPIRING = TokenKind(salt="rekisteri.tests.expiring", max_age=DAY)
PUBLIC_ID = uuid.UUID("3f2b8c1e-9a4d-4e7b-8c2f-1d0e5a6b7c8d")


def signed_ago(kind: TokenKind, public_id: uuid.UUID, seconds: int) -> str:
    """A token of `kind` as if signed `seconds` ago."""

    class Earlier(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - seconds)

    return Earlier(salt=kind.salt).sign(public_id.hex)


# -- the shape of the links already sent ----------------------------------------------


def test_a_lasting_token_is_the_id_signed_without_a_time():
    token = LASTING.sign(PUBLIC_ID)

    assert token == signing.Signer(salt=LASTING.salt).sign(PUBLIC_ID.hex)
    assert token.startswith(f"{PUBLIC_ID.hex}:")
    assert token.count(":") == 1


def test_an_expiring_token_carries_the_time_it_was_signed():
    token = EXPIRING.sign(PUBLIC_ID)

    value, stamp, _signature = token.split(":")
    assert value == PUBLIC_ID.hex
    assert abs(signing.b62_decode(stamp) - time.time()) < 5
    assert signing.TimestampSigner(salt=EXPIRING.salt).unsign(token, max_age=DAY) == value


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
def test_a_token_made_before_this_module_still_opens(kind: TokenKind):
    signer = signing.Signer if kind.max_age is None else signing.TimestampSigner
    token = signer(salt=kind.salt).sign(PUBLIC_ID.hex)

    assert kind.unsign(token) == PUBLIC_ID


# -- what opens -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
def test_a_token_gives_back_its_id(kind: TokenKind):
    assert kind.unsign(kind.sign(PUBLIC_ID)) == PUBLIC_ID


def test_an_expiring_token_opens_until_its_max_age():
    token = signed_ago(EXPIRING, PUBLIC_ID, int(DAY.total_seconds()) - 60)

    assert EXPIRING.unsign(token) == PUBLIC_ID


def test_a_lasting_token_never_expires():
    year_old = signing.Signer(salt=LASTING.salt).sign(PUBLIC_ID.hex)

    assert LASTING.unsign(year_old) == PUBLIC_ID


@given(public_id=st.uuids())
@PROPERTY
def test_every_id_round_trips(public_id: uuid.UUID):
    assert LASTING.unsign(LASTING.sign(public_id)) == public_id
    assert EXPIRING.unsign(EXPIRING.sign(public_id)) == public_id


# -- what does not --------------------------------------------------------------------


def test_an_expiring_token_past_its_max_age_opens_nothing():
    token = signed_ago(EXPIRING, PUBLIC_ID, int(DAY.total_seconds()) + 60)

    assert EXPIRING.unsign(token) is None


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
def test_a_token_of_another_kind_opens_nothing(kind: TokenKind):
    other = TokenKind(salt="rekisteri.tests.other", max_age=kind.max_age)

    assert kind.unsign(other.sign(PUBLIC_ID)) is None
    assert other.unsign(kind.sign(PUBLIC_ID)) is None


def test_a_salt_shared_by_a_lasting_and_an_expiring_kind_still_keeps_them_apart():
    lasting = TokenKind(salt="rekisteri.tests.shared")
    expiring = TokenKind(salt="rekisteri.tests.shared", max_age=DAY)

    assert lasting.unsign(expiring.sign(PUBLIC_ID)) is None
    assert expiring.unsign(lasting.sign(PUBLIC_ID)) is None


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
def test_a_token_signed_with_another_secret_key_opens_nothing(kind: TokenKind, settings):
    token = kind.sign(PUBLIC_ID)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"

    assert kind.unsign(token) is None


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda token: token[:-1], id="signature cut short"),
        pytest.param(
            lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature changed"
        ),
        pytest.param(lambda token: "0" + token[1:], id="id changed"),
        pytest.param(lambda token: token.split(":")[0], id="id alone"),
        pytest.param(lambda token: token.upper(), id="upper case"),
        pytest.param(lambda token: token + ":", id="trailing separator"),
        pytest.param(lambda token: "", id="empty"),
    ],
)
def test_a_damaged_token_opens_nothing(kind: TokenKind, damage):
    token = kind.sign(PUBLIC_ID)

    assert kind.unsign(damage(token)) is None


@pytest.mark.parametrize("kind", [LASTING, EXPIRING], ids=["lasting", "expiring"])
def test_a_genuine_signature_of_something_not_an_id_opens_nothing(kind: TokenKind):
    signer = signing.Signer if kind.max_age is None else signing.TimestampSigner
    token = signer(salt=kind.salt).sign("not-a-uuid")

    assert kind.unsign(token) is None


@given(token=st.text(max_size=200))
@PROPERTY
def test_made_up_text_opens_nothing_and_never_raises(token: str):
    assert LASTING.unsign(token) is None
    assert EXPIRING.unsign(token) is None


# -- the link -------------------------------------------------------------------------


def test_the_token_goes_in_the_query_string_of_the_public_address(settings):
    settings.PUBLIC_URL = "https://rekisteri.example.fi"
    token = LASTING.sign(PUBLIC_ID)

    link = link_with_token("/tietosuoja/lataa/", token)

    assert link == f"https://rekisteri.example.fi/tietosuoja/lataa/?t={token}"
    assert TOKEN_PARAMETER == "t"


def test_the_link_escapes_what_a_query_string_cannot_hold_but_keeps_colons(settings):
    settings.PUBLIC_URL = "https://rekisteri.example.fi"

    link = link_with_token("/x/", "a:b+c/d=e&f g")

    assert link == "https://rekisteri.example.fi/x/?t=a:b%2Bc%2Fd%3De%26f+g"


def test_the_public_address_is_read_when_the_link_is_made(settings):
    settings.PUBLIC_URL = "https://first.example.fi"
    first = tokens.link_with_token("/x/", "k")
    settings.PUBLIC_URL = "https://second.example.fi"

    assert (first, tokens.link_with_token("/x/", "k")) == (
        "https://first.example.fi/x/?t=k",
        "https://second.example.fi/x/?t=k",
    )
