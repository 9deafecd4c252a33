"""The SMS backends: locmem and console, the GatewayAPI client against the local
simulator over real HTTP, the settings that choose a backend, and the count of SMS
parts. No database."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from rekisteri.marketing import sms
from rekisteri.marketing.sms import (
    ConsoleBackend,
    GatewayApiBackend,
    LocmemBackend,
    SmsError,
    SmsMessage,
    sms_backend,
    sms_segments,
)
from rekisteri.marketing.sms_simulator import DEFAULT_TOKEN, GatewayApiSimulator, ReceivedRequest

# Obviously fake Finnish mobile numbers.
NUMBER = "+358400000001"
MSISDN = 358400000001
OTHER_NUMBER = "+358500000002"
BODY = "Hei Maija! Syyskuun tarjous: kahvipaketti -20 % myymälöissämme. Peru: vastaa STOP"
REFERENCE = "c-7f3a91"


def message(**overrides: str) -> SmsMessage:
    fields = {"to": NUMBER, "body": BODY, "reference": REFERENCE, **overrides}
    return SmsMessage(**fields)


@pytest.fixture(autouse=True)
def empty_outbox() -> Iterator[None]:
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayApiSimulator]:
    with GatewayApiSimulator() as simulator:
        yield simulator


@pytest.fixture
def backend(gateway: GatewayApiSimulator) -> GatewayApiBackend:
    gateway.reset()
    return gateway.backend(timeout_seconds=2)


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def assert_nothing_personal_in(*objects: object, secrets: tuple[str, ...] = ()) -> None:
    for value in objects:
        text = f"{value!s} {value!r}"
        for secret in (NUMBER, str(MSISDN), BODY, "Maija", DEFAULT_TOKEN, *secrets):
            assert secret not in text


# --- The message -------------------------------------------------------------------------


def test_the_message_repr_shows_only_the_reference():
    assert repr(message()) == "SmsMessage(reference='c-7f3a91')"


# --- locmem ------------------------------------------------------------------------------


def test_locmem_keeps_messages_in_the_outbox_and_numbers_them():
    backend = LocmemBackend()

    first = backend.send(message())
    second = backend.send(message(to=OTHER_NUMBER, reference="c-2"))

    assert (first, second) == ("locmem-1", "locmem-2")
    assert sms.outbox == [message(), message(to=OTHER_NUMBER, reference="c-2")]


@pytest.mark.parametrize("to", ["0401234567", "358401234567", "+358 40 1234567", "+0401234567"])
def test_every_backend_refuses_a_number_that_is_not_e164_and_keeps_nothing(to):
    for backend in (LocmemBackend(), ConsoleBackend(stream=io.StringIO())):
        with pytest.raises(SmsError) as raised:
            backend.send(message(to=to))

        assert raised.value.retryable is False
        assert to not in str(raised.value)
    assert sms.outbox == []


def test_every_backend_refuses_an_empty_text():
    with pytest.raises(SmsError) as raised:
        LocmemBackend().send(message(body=""))

    assert raised.value.retryable is False
    assert sms.outbox == []


# --- console -----------------------------------------------------------------------------


def test_console_writes_the_message_readably():
    stream = io.StringIO()

    message_id = ConsoleBackend(stream=stream).send(message())

    assert message_id == "console-1"
    assert stream.getvalue() == (
        f"To: {NUMBER}\nReference: {REFERENCE}\nId: console-1\nParts: 1\n\n{BODY}\n"
        + "-" * 79
        + "\n"
    )


def test_console_writes_to_standard_output_by_default(capsys):
    ConsoleBackend().send(message())

    assert f"To: {NUMBER}\n" in capsys.readouterr().out


# --- GatewayAPI against the simulator ----------------------------------------------------


def test_it_sends_the_documented_json_and_returns_the_providers_id(gateway, backend, caplog):
    caplog.set_level(logging.DEBUG)

    message_id = backend.send(message())

    assert gateway.received == [
        ReceivedRequest(
            message_id=int(message_id),
            payload={
                "sender": "Rekisteri",
                "message": BODY,
                "recipients": [{"msisdn": MSISDN}],
                "userref": REFERENCE,
            },
        )
    ]
    assert f"SMS {REFERENCE} sent via 127.0.0.1 as {message_id}" in caplog.text
    assert_nothing_personal_in(caplog.text)


def test_each_message_gets_its_own_id(backend):
    assert backend.send(message()) != backend.send(message(reference="c-2"))


def test_a_text_outside_gsm7_goes_as_ucs2(gateway, backend):
    backend.send(message(body="Tervetuloa! 😀"))

    assert gateway.received[0].payload == {
        "sender": "Rekisteri",
        "message": "Tervetuloa! 😀",
        "recipients": [{"msisdn": MSISDN}],
        "userref": REFERENCE,
        "encoding": "UCS2",
    }


def test_the_configured_sender_is_used(gateway):
    gateway.reset()

    gateway.backend(sender="Kahvila 7").send(message())

    assert gateway.received[0].payload["sender"] == "Kahvila 7"


def test_a_wrong_token_is_a_final_error_and_nothing_is_sent(gateway):
    gateway.reset()
    backend = GatewayApiBackend(base_url=gateway.url, token="not-the-token")

    with pytest.raises(SmsError) as raised:
        backend.send(message())

    assert (raised.value.retryable, raised.value.status) == (False, 401)
    assert raised.value.provider_code == "0x0401"
    assert gateway.received == []
    assert_nothing_personal_in(raised.value, backend, secrets=("not-the-token",))


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (422, False),
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
    ],
)
def test_an_error_answer_is_retryable_only_for_5xx_408_and_429(
    gateway, backend, caplog, status, retryable
):
    caplog.set_level(logging.DEBUG)
    gateway.fail_next(status)

    with pytest.raises(SmsError) as raised:
        backend.send(message())

    error = raised.value
    assert (error.retryable, error.status) == (retryable, status)
    assert str(error) == f"GatewayAPI answered HTTP {status} (0x0500)"
    assert gateway.received == []
    # The simulator's error answer quoted the number and the text back.
    assert_nothing_personal_in(error, error.__cause__, error.__context__, caplog.text)
    assert f"SMS {REFERENCE} not sent via 127.0.0.1" in caplog.text


def test_after_a_failure_the_next_message_goes_through(gateway, backend):
    gateway.fail_next(503)
    with pytest.raises(SmsError):
        backend.send(message())

    backend.send(message())

    assert len(gateway.received) == 1


def test_a_slow_gateway_is_a_retryable_timeout_though_the_sms_may_have_gone(gateway, caplog):
    caplog.set_level(logging.DEBUG)
    gateway.reset()
    gateway.delay_next(0.6)
    backend = gateway.backend(timeout_seconds=0.2)

    with pytest.raises(SmsError) as raised:
        backend.send(message())

    assert raised.value.retryable is True
    assert str(raised.value) == "GatewayAPI did not answer in time"
    assert_nothing_personal_in(raised.value, caplog.text)
    # The gateway still takes the late request: the reference tells it was sent.
    wait_until(lambda: len(gateway.received) == 1)
    assert gateway.received[0].payload["userref"] == REFERENCE


def test_a_refused_connection_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = GatewayApiBackend(base_url=f"http://127.0.0.1:{port}", token=DEFAULT_TOKEN)

    with pytest.raises(SmsError) as raised:
        backend.send(message())

    assert raised.value.retryable is True
    assert str(raised.value) == "Could not connect to GatewayAPI"
    assert_nothing_personal_in(raised.value, raised.value.__cause__, raised.value.__context__)


def test_a_200_without_an_id_is_final_as_the_message_may_have_gone(gateway, backend):
    gateway.fail_next(200)

    with pytest.raises(SmsError) as raised:
        backend.send(message())

    assert raised.value.retryable is False
    assert str(raised.value) == "GatewayAPI's answer carried no message id"


def test_the_gateway_refuses_a_request_without_the_token_header(gateway):
    """The simulator holds the client to the documented authentication."""
    request = urllib.request.Request(  # noqa: S310 - the local simulator
        gateway.url + "/rest/mtsms",
        data=json.dumps({"message": "x", "recipients": [{"msisdn": MSISDN}]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=2)  # noqa: S310 - the local simulator

    assert raised.value.code == 401
    raised.value.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://gatewayapi.com",
        "http://10.0.0.5:8080",
        "ftp://gatewayapi.com",
        "gatewayapi.com",
        "https://gatewayapi.com/?token=x",
        "https://user:pw@gatewayapi.com",
    ],
)
def test_it_refuses_a_url_that_is_not_https_or_loopback(url):
    with pytest.raises(ImproperlyConfigured):
        GatewayApiBackend(base_url=url, token=DEFAULT_TOKEN)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8025", "http://localhost", "http://[::1]:80"])
def test_it_allows_plain_http_on_loopback(url):
    assert GatewayApiBackend(base_url=url, token=DEFAULT_TOKEN).url == url + "/rest/mtsms"


def test_the_backend_repr_hides_the_token():
    backend = GatewayApiBackend(base_url="https://gatewayapi.eu/", token="secret-token-123")

    assert repr(backend) == "GatewayApiBackend(host='gatewayapi.eu', sender='Rekisteri')"
    assert backend.url == "https://gatewayapi.eu/rest/mtsms"


# --- Choosing a backend by the settings --------------------------------------------------


def test_the_console_backend_is_the_default(settings):
    for name in ("REKISTERI_SMS_BACKEND", "REKISTERI_SMS_GATEWAY_TOKEN"):
        if hasattr(settings, name):
            delattr(settings, name)

    assert isinstance(sms_backend(), ConsoleBackend)


def test_the_settings_choose_locmem(settings):
    settings.REKISTERI_SMS_BACKEND = "locmem"

    backend = sms_backend()
    backend.send(message())

    assert isinstance(backend, LocmemBackend)
    assert sms.outbox == [message()]


def test_the_settings_choose_gatewayapi_with_its_defaults(settings):
    settings.REKISTERI_SMS_BACKEND = "gatewayapi"
    settings.REKISTERI_SMS_GATEWAY_TOKEN = "secret-token-123"
    for name in ("REKISTERI_SMS_GATEWAY_URL", "REKISTERI_SMS_SENDER"):
        if hasattr(settings, name):
            delattr(settings, name)

    backend = sms_backend()

    assert isinstance(backend, GatewayApiBackend)
    assert (backend.url, backend.sender) == ("https://gatewayapi.com/rest/mtsms", "Rekisteri")


def test_the_settings_reach_the_simulator(settings, gateway):
    gateway.reset()
    settings.REKISTERI_SMS_BACKEND = "gatewayapi"
    settings.REKISTERI_SMS_GATEWAY_URL = gateway.url
    settings.REKISTERI_SMS_GATEWAY_TOKEN = gateway.token
    settings.REKISTERI_SMS_SENDER = "Rekisteri"

    sms_backend().send(message())

    assert gateway.received[0].payload["recipients"] == [{"msisdn": MSISDN}]


def test_an_unknown_backend_is_improperly_configured(settings):
    settings.REKISTERI_SMS_BACKEND = "carrier-pigeon"

    with pytest.raises(ImproperlyConfigured):
        sms_backend()


def test_gatewayapi_without_a_token_is_improperly_configured(settings):
    settings.REKISTERI_SMS_BACKEND = "gatewayapi"
    settings.REKISTERI_SMS_GATEWAY_TOKEN = ""

    with pytest.raises(ImproperlyConfigured):
        sms_backend()


def test_plain_http_to_a_remote_gateway_is_improperly_configured(settings):
    settings.REKISTERI_SMS_BACKEND = "gatewayapi"
    settings.REKISTERI_SMS_GATEWAY_URL = "http://gatewayapi.com"
    settings.REKISTERI_SMS_GATEWAY_TOKEN = "secret-token-123"

    with pytest.raises(ImproperlyConfigured):
        sms_backend()


@pytest.mark.parametrize(
    "sender", ["Rekisteri Oy", "Äänestä", "Rek!steri", " Rekisteri", " ", "1234567890123456"]
)
def test_a_sender_gatewayapi_cannot_show_is_improperly_configured(settings, sender):
    settings.REKISTERI_SMS_BACKEND = "gatewayapi"
    settings.REKISTERI_SMS_GATEWAY_TOKEN = "secret-token-123"
    settings.REKISTERI_SMS_SENDER = sender

    with pytest.raises(ImproperlyConfigured):
        sms_backend()


@pytest.mark.parametrize("sender", ["Rekisteri", "Kahvila 7", "ABCDEFGHIJK", "358401234567"])
def test_a_sender_of_11_alphanumerics_or_15_digits_is_accepted(sender):
    assert GatewayApiBackend(base_url="https://gatewayapi.com", token="t", sender=sender)


# --- SMS parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ä" * 160, 1),
        ("Hyvää päivää! Åbo, Öljy ja Ääni" * 5 + "x" * 5, 1),
        ("ÄÖÅäöå" * 27, 2),
        ("a" * 159 + "€", 2),
        ("a" * 158 + "€", 1),
        ("a" * 158 + "{", 1),
        ("{}[]~|^\\€\f" * 8, 1),
        ("{}[]~|^\\€\f" * 8 + "a", 2),
        # An escaped character is never split between parts: 152 + 2 does not fit 153.
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 68 + "😀", 1),
        ("a" * 69 + "😀", 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),
        ("ç" + "a" * 69, 1),
        ("ç" + "a" * 70, 2),
        # A surrogate pair is never split either: 66 + 2 does not fit 67.
        ("ж" * 66 + "😀" + "ж" * 66, 3),
    ],
)
def test_it_counts_sms_parts(text, parts):
    assert sms_segments(text) == parts
