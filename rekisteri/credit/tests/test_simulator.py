"""The credit simulator's side of the protocol, spoken to directly over HTTP: what it
refuses, and that its log never carries a query string or an identity code."""

from __future__ import annotations

import datetime
import io
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from rekisteri.credit.asiakastieto import (
    build_query,
    compute_checksum,
    format_timestamp,
    parse_response,
)
from rekisteri.credit.management.commands.credit_simulator import Command
from rekisteri.credit.providers import Answer
from rekisteri.credit.simulator import PATH, SimulatorServer, running_simulator
from rekisteri.testing.identity_codes import identity_code_for


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with running_simulator(delay_seconds=0.2) as server:
        yield server


def identity_code() -> str:
    return identity_code_for(datetime.date(1990, 2, 28), 901)


def query_parameters(server: SimulatorServer, code: str) -> list[tuple[str, str]]:
    timestamp = format_timestamp(datetime.datetime.now(datetime.UTC), 1)
    query = build_query(server.client_config(), identity_code=code, timestamp=timestamp)
    return urllib.parse.parse_qsl(query)


def get(server: SimulatorServer, parameters: list[tuple[str, str]] | str) -> tuple[int, bytes]:
    query = (
        parameters
        if isinstance(parameters, str)
        else urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote)
    )
    try:
        with urllib.request.urlopen(f"{server.url}?{query}", timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def send_raw(server: SimulatorServer, request: str) -> bytes:
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=5) as connection:
        connection.sendall(request.encode())
        return connection.recv(65536)


def error_code_of(body: bytes) -> str:
    report = parse_response(body)
    assert report.answer == Answer.ERROR
    return report.error_code


def test_it_answers_a_correct_request(simulator):
    status, body = get(simulator, query_parameters(simulator, identity_code()))

    assert status == 200
    assert parse_response(body).answer == Answer.NO_DEFAULTS


@pytest.mark.parametrize("missing", ["userid", "enduser", "idnumber", "purpose", "checksum"])
def test_a_missing_parameter_is_refused_with_852(simulator, missing):
    parameters = [
        (name, value)
        for name, value in query_parameters(simulator, identity_code())
        if name != missing
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "852"


def test_an_empty_parameter_counts_as_missing(simulator):
    parameters = [
        (name, "" if name == "enduser" else value)
        for name, value in query_parameters(simulator, identity_code())
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "852"


@pytest.mark.parametrize(("name", "value"), [("version", "2017"), ("qtype", "42")])
def test_an_unsupported_fixed_value_is_refused_with_852(simulator, name, value):
    parameters = [
        (key, value if key == name else original)
        for key, original in query_parameters(simulator, identity_code())
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "852"


def test_an_unknown_user_id_is_refused_with_va2(simulator):
    parameters = [
        (name, "SOMEONEELSE1" if name == "userid" else value)
        for name, value in query_parameters(simulator, identity_code())
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "VA2"


def test_a_tampered_identity_code_still_passes_the_checksum(simulator):
    """The documented checksum covers userid, enduser and timestamp only, not idnumber."""
    other = identity_code_for(datetime.date(1990, 2, 28), 945)
    parameters = [
        (name, other if name == "idnumber" else value)
        for name, value in query_parameters(simulator, identity_code())
    ]

    assert parse_response(get(simulator, parameters)[1]).answer == Answer.DEFAULTS


def test_a_changed_enduser_breaks_the_checksum(simulator):
    parameters = [
        (name, "someoneelse" if name == "enduser" else value)
        for name, value in query_parameters(simulator, identity_code())
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "501"


def test_a_timestamp_sent_with_a_raw_plus_breaks_the_checksum(simulator):
    """An unencoded "+" arrives as a space, which is why the documentation asks for %2B."""
    query = urllib.parse.urlencode(
        query_parameters(simulator, identity_code()), quote_via=urllib.parse.quote
    ).replace("%2B", "+")

    assert error_code_of(get(simulator, query)[1]) == "501"


def test_a_timestamp_in_the_wrong_format_is_refused_with_505(simulator):
    config = simulator.client_config()
    timestamp = "2024-01-15T12:00:00+02:00"
    parameters = [
        (name, value)
        for name, value in query_parameters(simulator, identity_code())
        if name not in ("timestamp", "checksum")
    ]
    parameters += [
        ("timestamp", timestamp),
        (
            "checksum",
            compute_checksum(
                userid=config.userid,
                enduser=config.enduser,
                timestamp=timestamp,
                checksum_key=config.checksum_key,
            ),
        ),
    ]

    assert error_code_of(get(simulator, parameters)[1]) == "505"


def test_other_paths_are_not_found(simulator):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(simulator.url.replace("/REST", "/SOAP"), timeout=5)  # noqa: S310

    assert refused.value.code == 404


def test_its_log_names_the_path_and_status_but_never_the_query(simulator, caplog):
    code = identity_code()

    with caplog.at_level(logging.INFO, logger="rekisteri.credit.simulator"):
        get(simulator, query_parameters(simulator, code))
        send_raw(simulator, f"GET {PATH}?idnumber={code} NOT/A VALID REQUEST\r\n\r\n")

    lines = [record.getMessage() for record in caplog.records if "simulator" in record.name]
    assert lines
    for line in lines:
        assert "?" not in line
        assert "idnumber" not in line
        assert code not in line
        assert code[:6] not in line
    assert lines[0].endswith("GET /services/consumer5/REST -> 200")
    assert lines[1].endswith("malformed request refused")


def test_it_tells_how_to_point_rekisteri_at_it(simulator):
    host, port = simulator.server_address[:2]

    assert simulator.environment() == {
        "REKISTERI_ASIAKASTIETO_URL": f"http://{host}:{port}/services/consumer5/REST",
        "REKISTERI_ASIAKASTIETO_USERID": "SIMULATOR001",
        "REKISTERI_ASIAKASTIETO_PASSWD": "simulator",
        "REKISTERI_ASIAKASTIETO_CHECKSUM_KEY": "simulator-checksum-key",
    }


def test_the_command_prints_the_environment_and_stops_on_ctrl_c(monkeypatch):
    def interrupted(self: SimulatorServer, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SimulatorServer, "serve_forever", interrupted)
    output = io.StringIO()

    Command(stdout=output).handle(host="127.0.0.1", port=0, delay=1.0)

    lines = output.getvalue().splitlines()
    assert lines[0].startswith("Credit simulator at http://127.0.0.1:")
    assert lines[2].startswith("  export REKISTERI_ASIAKASTIETO_URL=http://127.0.0.1:")
    assert lines[3:] == [
        "  export REKISTERI_ASIAKASTIETO_USERID=SIMULATOR001",
        "  export REKISTERI_ASIAKASTIETO_PASSWD=simulator",
        "  export REKISTERI_ASIAKASTIETO_CHECKSUM_KEY=simulator-checksum-key",
    ]
