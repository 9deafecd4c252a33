"""The Asiakastieto client against the local simulator over real HTTP, and its pure parts:
configuration, time stamps, checksum and parsing. No database."""

from __future__ import annotations

import datetime
import hashlib
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from rekisteri.credit.asiakastieto import (
    DEMO_URL,
    PRODUCTION_URL,
    AsiakastietoClient,
    AsiakastietoConfig,
    compute_checksum,
    format_timestamp,
    parse_response,
)
from rekisteri.credit.providers import Answer, CreditReport
from rekisteri.credit.simulator import SimulatorServer, running_simulator
from rekisteri.testing.identity_codes import CHECK_CHARACTERS, identity_code_for

HELSINKI = ZoneInfo("Europe/Helsinki")
BIRTH_DATE = datetime.date(1985, 6, 15)


def code(individual: int) -> str:
    return identity_code_for(BIRTH_DATE, individual)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with running_simulator(delay_seconds=1.0, record_requests=True) as server:
        yield server


@pytest.fixture
def client(simulator: SimulatorServer) -> AsiakastietoClient:
    return AsiakastietoClient(simulator.client_config(timeout_seconds=5))


def assert_no_code_in(identity_code: str, *objects: object) -> None:
    compact_without_sign = identity_code[:6] + identity_code[7:]
    for value in objects:
        text = f"{value!s} {value!r}"
        assert identity_code not in text
        assert compact_without_sign not in text


# --- Outcomes over HTTP, one per row of the simulator's table ---------------------------


@pytest.mark.parametrize("individual", [900, 917, 939])
def test_it_reports_no_defaults_for_a_person_without_defaults(client, individual):
    report = client.check(identity_code=code(individual))

    assert report == CreditReport(
        answer=Answer.NO_DEFAULTS,
        default_count=0,
        provider_reference=report.provider_reference,
        is_simulated=True,
    )
    assert report.provider_reference.startswith(f"{datetime.date.today():%Y}-")


@pytest.mark.parametrize(
    ("individual", "count", "classification"),
    [(940, 1, "MHL1"), (944, 5, "MHL1"), (947, 3, "MHL2"), (959, 5, "MHL4")],
)
def test_it_reports_defaults_with_count_and_classification(
    client, individual, count, classification
):
    report = client.check(identity_code=code(individual))

    assert (report.answer, report.default_count, report.classification_code) == (
        Answer.DEFAULTS,
        count,
        classification,
    )
    assert report.error_code == ""
    assert report.is_simulated is True
    assert len(report.provider_reference) == len("2024-01-01T12:00:00")


@pytest.mark.parametrize("individual", [960, 969])
def test_it_reads_not_in_register_as_no_defaults(client, individual):
    report = client.check(identity_code=code(individual))

    assert (report.answer, report.default_count, report.error_code) == (
        Answer.NO_DEFAULTS,
        0,
        "EIR",
    )


@pytest.mark.parametrize("individual", [970, 979])
def test_it_reports_an_unknown_person(client, individual):
    report = client.check(identity_code=code(individual))

    assert (report.answer, report.default_count, report.error_code) == (
        Answer.UNKNOWN_PERSON,
        None,
        "",
    )


@pytest.mark.parametrize("individual", [995, 999])
def test_it_reports_an_identity_code_the_bureau_calls_invalid(client, individual):
    report = client.check(identity_code=code(individual))

    assert (report.answer, report.error_code) == (Answer.INVALID_IDENTITY_CODE, "VC6")


def test_it_reports_a_code_with_a_wrong_check_character_as_invalid(client):
    valid = code(905)
    wrong = valid[:-1] + next(c for c in CHECK_CHARACTERS if c != valid[-1])

    report = client.check(identity_code=wrong)

    assert (report.answer, report.error_code) == (Answer.INVALID_IDENTITY_CODE, "VC6")


@pytest.mark.parametrize("individual", [990, 994])
def test_it_turns_a_server_error_into_an_error(client, individual):
    identity_code = code(individual)

    report = client.check(identity_code=identity_code)

    assert report == CreditReport(answer=Answer.ERROR, error_code="http_500", is_simulated=True)
    assert_no_code_in(identity_code, report, client)


def test_it_times_out_when_the_bureau_is_slower_than_its_timeout(simulator):
    client = AsiakastietoClient(simulator.client_config(timeout_seconds=0.5))

    report = client.check(identity_code=code(985))

    assert report == CreditReport(answer=Answer.TIMEOUT, is_simulated=True)


def test_a_slow_answer_within_the_timeout_is_still_an_answer(simulator):
    client = AsiakastietoClient(simulator.client_config(timeout_seconds=3))

    assert client.check(identity_code=code(980)).answer == Answer.NO_DEFAULTS


# --- Protocol failures ----------------------------------------------------------------


def test_a_wrong_checksum_key_is_refused_with_501(simulator):
    config = simulator.client_config()
    client = AsiakastietoClient(
        AsiakastietoConfig(
            url=config.url,
            userid=config.userid,
            passwd=config.passwd,
            checksum_key="not-the-shared-secret",
        )
    )

    report = client.check(identity_code=code(900))

    assert (report.answer, report.error_code, report.default_count) == (Answer.ERROR, "501", None)


def test_a_wrong_password_is_refused_with_va2(simulator):
    config = simulator.client_config()
    client = AsiakastietoClient(
        AsiakastietoConfig(
            url=config.url,
            userid=config.userid,
            passwd="wrong",
            checksum_key=config.checksum_key,
        )
    )

    assert client.check(identity_code=code(900)).error_code == "VA2"


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_timestamp_more_than_five_minutes_off_is_refused_with_505(simulator, minutes):
    skewed = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    client = AsiakastietoClient(simulator.client_config(), clock=lambda: skewed)

    report = client.check(identity_code=code(900))

    assert (report.answer, report.error_code, report.default_count) == (Answer.ERROR, "505", None)


def test_a_timestamp_four_minutes_off_is_accepted(simulator):
    skewed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=4)
    client = AsiakastietoClient(simulator.client_config(), clock=lambda: skewed)

    assert client.check(identity_code=code(900)).answer == Answer.NO_DEFAULTS


def test_a_refused_connection_is_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AsiakastietoClient(
        AsiakastietoConfig(
            url=f"http://127.0.0.1:{port}/services/consumer5/REST",
            userid="u",
            passwd="p",
            checksum_key="k",
        )
    )
    identity_code = code(900)

    report = client.check(identity_code=identity_code)

    assert report == CreditReport(
        answer=Answer.ERROR, error_code="connection_failed", is_simulated=True
    )
    assert_no_code_in(identity_code, report)


# --- What goes on the wire ----------------------------------------------------------------


def test_it_sends_exactly_the_documented_parameters_and_checksum(simulator):
    now = datetime.datetime.now(datetime.UTC)
    client = AsiakastietoClient(simulator.client_config(), clock=lambda: now)
    identity_code = code(912)
    simulator.recorded_queries.clear()

    client.check(identity_code=identity_code)

    (raw_query,) = simulator.recorded_queries
    parameters = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    assert [name for name, _ in parameters] == [
        "userid",
        "passwd",
        "enduser",
        "idnumber",
        "version",
        "format",
        "reqmsg",
        "request",
        "qtype",
        "purpose",
        "timestamp",
        "checksum",
    ]
    values = dict(parameters)
    timestamp = values["timestamp"]
    assert values == {
        "userid": "SIMULATOR001",
        "passwd": "simulator",
        "enduser": "rekisteri",
        "idnumber": identity_code,
        "version": "2018",
        "format": "xml",
        "reqmsg": "CONSUMER",
        "request": "H",
        "qtype": "41",
        "purpose": "1",
        "timestamp": timestamp,
        "checksum": hashlib.sha512(
            f"SIMULATOR001&rekisteri&{timestamp}&simulator-checksum-key&".encode()
        )
        .hexdigest()
        .upper(),
    }
    assert timestamp[:16] == format_timestamp(now, 0)[:16]
    assert timestamp[16:19] == "+02"
    assert "timestamp=" + timestamp.replace("+", "%2B") in raw_query
    assert "+" not in raw_query


def test_the_checksum_is_upper_case_sha512_of_userid_enduser_timestamp_and_key():
    checksum = compute_checksum(
        userid="USER00000001",
        enduser="rekisteri",
        timestamp="2024011512000000+0200001",
        checksum_key="secret",
    )

    assert checksum == (
        hashlib.sha512(b"USER00000001&rekisteri&2024011512000000+0200001&secret&")
        .hexdigest()
        .upper()
    )
    assert len(checksum) == 128


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Winter, EET (UTC+2): the wall clock as it is.
        (datetime.datetime(2024, 1, 15, 12, 0, 0, 340_000, tzinfo=HELSINKI), "2024011512000034"),
        # Summer, EEST (UTC+3): standard time, an hour behind the wall clock.
        (datetime.datetime(2024, 7, 1, 12, 0, 0, tzinfo=HELSINKI), "2024070111000000"),
        # Spring forward (31 March 2024 03:00 EET -> 04:00 EEST): no gap in the stamps.
        (datetime.datetime(2024, 3, 31, 2, 59, 59, 990_000, tzinfo=HELSINKI), "2024033102595999"),
        (datetime.datetime(2024, 3, 31, 4, 0, 0, tzinfo=HELSINKI), "2024033103000000"),
        # Fall back (27 October 2024 04:00 EEST -> 03:00 EET): the repeated hour differs.
        (datetime.datetime(2024, 10, 27, 3, 30, tzinfo=HELSINKI, fold=0), "2024102702300000"),
        (datetime.datetime(2024, 10, 27, 3, 30, tzinfo=HELSINKI, fold=1), "2024102703300000"),
        # Any aware time works: UTC midnight is 02:00 Finnish standard time.
        (datetime.datetime(2024, 7, 1, 0, 0, tzinfo=datetime.UTC), "2024070102000000"),
    ],
)
def test_the_timestamp_is_in_finnish_standard_time_all_year(moment, expected):
    assert format_timestamp(moment, 1) == expected + "+0200001"


def test_the_consecutive_number_has_five_digits_and_wraps():
    moment = datetime.datetime(2024, 1, 15, 12, 0, tzinfo=HELSINKI)

    assert format_timestamp(moment, 42)[-5:] == "00042"
    assert format_timestamp(moment, 100_003)[-5:] == "00003"
    assert len(format_timestamp(moment, 99_999)) == 24


# --- Responses that must not be trusted ---------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><response>&lol2;</response>'
)
BODIES = {
    "/malformed": (200, b"<response><responseHeader><responseStatus>0</response"),
    "/doctype": (200, BILLION_LAUGHS),
    "/entity": (200, b'<response><!ENTITY x "y"></response>'),
    "/large": (200, b"<response>" + b" " * (300 * 1024) + b"</response>"),
    "/not-xml": (200, b"Service temporarily unavailable"),
    "/redirect": (302, b""),
    "/forbidden": (403, b"Forbidden"),
}


class _FixedAnswers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = BODIES[self.path.partition("?")[0]]
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # the request line carries the identity code


@pytest.fixture(scope="module")
def fixed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FixedAnswers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("path", "error_code"),
    [
        ("/malformed", "malformed_response"),
        ("/doctype", "unsafe_response"),
        ("/entity", "unsafe_response"),
        ("/large", "response_too_large"),
        ("/not-xml", "malformed_response"),
        ("/redirect", "http_302"),
        ("/forbidden", "http_403"),
    ],
)
def test_it_refuses_responses_it_cannot_trust(fixed_server, path, error_code):
    client = AsiakastietoClient(
        AsiakastietoConfig(url=fixed_server + path, userid="u", passwd="p", checksum_key="k")
    )
    identity_code = code(900)

    report = client.check(identity_code=identity_code)

    assert report == CreditReport(answer=Answer.ERROR, error_code=error_code, is_simulated=True)
    assert_no_code_in(identity_code, report)


def test_it_reads_the_documented_sample_answer():
    body = b"""<ns2:response xmlns="http://www.asiakastieto.fi/XMLSchema/AT_Common_2018.xsd"
        xmlns:ns2="http://www.asiakastieto.fi/XMLSchema/AT_Consumer_2018.xsd">
      <ns2:consumerResponse>
        <ns2:responseHeader><languageCode>EN</languageCode>
          <timeStamp><date>2019-07-04</date><time>17:00:54</time></timeStamp>
          <responseStatus>0</responseStatus><currencyCode>EUR</currencyCode>
        </ns2:responseHeader>
        <ns2:personIdentification><name>Testi Henkil\xc3\xb6</name></ns2:personIdentification>
        <ns2:paymentDefaultData>
          <paymentDefaultCount>1</paymentDefaultCount>
          <paymentDefaultSummary><classificationCode>MHL2</classificationCode>
          </paymentDefaultSummary>
        </ns2:paymentDefaultData>
      </ns2:consumerResponse>
    </ns2:response>"""

    assert parse_response(body) == CreditReport(
        answer=Answer.DEFAULTS,
        default_count=1,
        classification_code="MHL2",
        provider_reference="2019-07-04T17:00:54",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"<response><responseHeader><responseStatus>1</responseStatus></responseHeader>"
            b"</response>",
            CreditReport(answer=Answer.ERROR, error_code="unknown_error"),
        ),
        (
            b"<response><responseHeader><responseStatus>1</responseStatus></responseHeader>"
            b"<errorMessage><errorCode>VX1</errorCode></errorMessage></response>",
            CreditReport(answer=Answer.ERROR, error_code="VX1"),
        ),
        (
            b"<response><responseHeader><responseStatus>1</responseStatus></responseHeader>"
            b"<errorMessage><errorCode>VA4</errorCode></errorMessage></response>",
            CreditReport(answer=Answer.ERROR, error_code="VA4"),
        ),
        (
            b"<response><paymentDefaultData><paymentDefaultCount>2</paymentDefaultCount>"
            b"</paymentDefaultData></response>",
            CreditReport(answer=Answer.ERROR, error_code="malformed_response"),
        ),
        (
            b"<response><responseHeader><responseStatus>0</responseStatus></responseHeader>"
            b"<paymentDefaultData><paymentDefaultCount>two</paymentDefaultCount>"
            b"</paymentDefaultData></response>",
            CreditReport(answer=Answer.ERROR, error_code="malformed_response"),
        ),
        (
            b"<!doctype response><response/>",
            CreditReport(Answer.ERROR, error_code="unsafe_response"),
        ),
    ],
)
def test_it_never_reads_a_doubtful_answer_as_approval(body, expected):
    assert parse_response(body) == expected


# --- Configuration --------------------------------------------------------------------

CREDENTIALS = {
    "REKISTERI_ASIAKASTIETO_USERID": "USER00000001",
    "REKISTERI_ASIAKASTIETO_PASSWD": "password",
    "REKISTERI_ASIAKASTIETO_CHECKSUM_KEY": "secret",
}


def test_the_configuration_defaults_to_the_demo_service():
    config = AsiakastietoConfig.from_environment(CREDENTIALS)

    assert config == AsiakastietoConfig(
        url=DEMO_URL,
        userid="USER00000001",
        passwd="password",
        checksum_key="secret",
        enduser="rekisteri",
        timeout_seconds=8.0,
    )
    assert config.is_simulated is False


def test_the_production_target_and_overrides_come_from_the_environment():
    config = AsiakastietoConfig.from_environment(
        {
            **CREDENTIALS,
            "REKISTERI_ASIAKASTIETO_TARGET": "production",
            "REKISTERI_ASIAKASTIETO_ENDUSER": "kassa1",
            "REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS": "2.5",
        }
    )

    assert (config.url, config.enduser, config.timeout_seconds) == (PRODUCTION_URL, "kassa1", 2.5)


def test_an_explicit_url_wins_over_the_target_and_loopback_means_simulated():
    config = AsiakastietoConfig.from_environment(
        {
            **CREDENTIALS,
            "REKISTERI_ASIAKASTIETO_TARGET": "production",
            "REKISTERI_ASIAKASTIETO_URL": "http://localhost:8001/services/consumer5/REST",
        }
    )

    assert config.url == "http://localhost:8001/services/consumer5/REST"
    assert config.is_simulated is True


def test_it_refuses_to_run_without_credentials():
    with pytest.raises(ImproperlyConfigured) as refused:
        AsiakastietoConfig.from_environment({"REKISTERI_ASIAKASTIETO_USERID": "USER00000001"})

    assert str(refused.value) == (
        "Credit checks need: REKISTERI_ASIAKASTIETO_PASSWD, REKISTERI_ASIAKASTIETO_CHECKSUM_KEY"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"REKISTERI_ASIAKASTIETO_TARGET": "test"}, "must be demo or production"),
        ({"REKISTERI_ASIAKASTIETO_URL": "http://bureau.example.fi/x"}, "must use https"),
        ({"REKISTERI_ASIAKASTIETO_URL": "ftp://bureau.example.fi/x"}, "https:// address"),
        ({"REKISTERI_ASIAKASTIETO_URL": "https://bureau.example.fi/x?a=1"}, "query"),
        ({"REKISTERI_ASIAKASTIETO_ENDUSER": "thirteen-char"}, "1-12 characters"),
        ({"REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS": "soon"}, "must be a number"),
        ({"REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS": "0"}, "must be positive"),
    ],
)
def test_it_refuses_a_bad_configuration(overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        AsiakastietoConfig.from_environment({**CREDENTIALS, **overrides})


def test_secrets_stay_out_of_reprs():
    config = AsiakastietoConfig.from_environment(CREDENTIALS)

    assert "password" not in repr(config)
    assert "secret" not in repr(config)
    assert repr(AsiakastietoClient(config)) == "AsiakastietoClient(host='demo.asiakastieto.fi')"
