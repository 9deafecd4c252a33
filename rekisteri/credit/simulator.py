"""A local stand-in for Asiakastieto's consumer credit information service: the same
query parameters, checksum and XML answers as `asiakastieto.py` speaks, with answers
chosen by the individual number of a temporary (900-999) identity code.

| individual number | answer                                                   |
|-------------------|----------------------------------------------------------|
| 900-939           | found, no payment defaults                               |
| 940-959           | payment defaults: count 1-5, classification MHL1-MHL4     |
| 960-969           | error EIR: not in the register (no payment defaults)     |
| 970-979           | no person in the answer (unknown person)                 |
| 980-989           | answers only after `delay_seconds` (the client times out) |
| 990-994           | HTTP 500                                                 |
| 995-999           | error VC6: invalid identity code                         |

A code that fails validation (bad check character, impossible date) also gets VC6; a
valid code outside the temporary series (a real person's) is answered as unknown: the
simulator knows nobody real. Its log never contains a query string or an identity code.
"""

from __future__ import annotations

import contextlib
import datetime
import hmac
import logging
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from rekisteri import fi
from rekisteri.credit.asiakastieto import (
    FIXED_PARAMETERS,
    AsiakastietoConfig,
    compute_checksum,
)

logger = logging.getLogger(__name__)

PATH = "/services/consumer5/REST"
REQUIRED_PARAMETERS = (
    "userid",
    "passwd",
    "enduser",
    "idnumber",
    *FIXED_PARAMETERS,
    "timestamp",
    "checksum",
)
TIMESTAMP = re.compile(r"(\d{16})([+-])(\d{2})(\d{5})")
DEFAULT_PORT = 8001
DEFAULT_DELAY_SECONDS = 10.0
MAX_CLOCK_SKEW_SECONDS = 300

COMMON_NS = "http://www.asiakastieto.fi/XMLSchema/AT_Common_2018.xsd"
CONSUMER_NS = "http://www.asiakastieto.fi/XMLSchema/AT_Consumer_2018.xsd"


@dataclass(frozen=True)
class SimulatorCredentials:
    userid: str = "SIMULATOR001"
    passwd: str = "simulator"  # noqa: S105 - the simulator's public demo password
    checksum_key: str = "simulator-checksum-key"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow answer must not hold up shutdown

    def __init__(
        self,
        address: tuple[str, int],
        *,
        credentials: SimulatorCredentials,
        delay_seconds: float,
        max_clock_skew_seconds: float = MAX_CLOCK_SKEW_SECONDS,
        record_requests: bool = False,
    ) -> None:
        super().__init__(address, _Handler)
        self.credentials = credentials
        self.delay_seconds = delay_seconds
        self.max_clock_skew_seconds = max_clock_skew_seconds
        # Only for tests that check what the client sends; kept in memory, never logged.
        self.record_requests = record_requests
        self.recorded_queries: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def client_config(self, *, timeout_seconds: float = 8.0) -> AsiakastietoConfig:
        return AsiakastietoConfig(
            url=self.url,
            userid=self.credentials.userid,
            passwd=self.credentials.passwd,
            checksum_key=self.credentials.checksum_key,
            timeout_seconds=timeout_seconds,
        )

    def environment(self) -> dict[str, str]:
        """The variables that point Rekisteri at this simulator."""
        return {
            "REKISTERI_ASIAKASTIETO_URL": self.url,
            "REKISTERI_ASIAKASTIETO_USERID": self.credentials.userid,
            "REKISTERI_ASIAKASTIETO_PASSWD": self.credentials.passwd,
            "REKISTERI_ASIAKASTIETO_CHECKSUM_KEY": self.credentials.checksum_key,
        }

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a client that gave up is routine.
        logger.info("Credit simulator: a client closed its connection early")


def serve_simulator(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    delay_seconds: float = DEFAULT_DELAY_SECONDS,
    credentials: SimulatorCredentials | None = None,
    max_clock_skew_seconds: float = MAX_CLOCK_SKEW_SECONDS,
    record_requests: bool = False,
) -> SimulatorServer:
    """A bound simulator (port 0: any free port); call serve_forever() to run it."""
    return SimulatorServer(
        (host, port),
        credentials=credentials or SimulatorCredentials(),
        delay_seconds=delay_seconds,
        max_clock_skew_seconds=max_clock_skew_seconds,
        record_requests=record_requests,
    )


@contextlib.contextmanager
def running_simulator(**options: Any) -> Iterator[SimulatorServer]:
    """A simulator on a free local port, served from a thread for the `with` block."""
    server = serve_simulator("127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.serve_forever, name="credit-simulator", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    server_version = "CreditSimulator/1"
    request_id = "-"

    def do_GET(self) -> None:
        self.request_id = uuid.uuid4().hex[:8]
        path, _, query = self.path.partition("?")
        if path != PATH:
            self._send(404, b"Not found", "text/plain")
            return
        if self.server.record_requests:
            self.server.recorded_queries.append(query)
        parameters = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        outcome = self._answer(parameters)
        if outcome is None:
            return
        status, body = outcome
        self._send(status, body, "application/xml; charset=utf-8")

    def _answer(self, parameters: dict[str, str]) -> tuple[int, bytes] | None:
        missing = [name for name in REQUIRED_PARAMETERS if not parameters.get(name)]
        if missing:
            return 200, _error_xml("852", "Required parameter missing")
        for name, expected in FIXED_PARAMETERS.items():
            if parameters[name] != expected:
                return 200, _error_xml("852", f"Unsupported value of parameter {name}")
        credentials = self.server.credentials
        if not (
            hmac.compare_digest(parameters["userid"], credentials.userid)
            and hmac.compare_digest(parameters["passwd"], credentials.passwd)
        ):
            return 200, _error_xml("VA2", "Invalid user id or password")
        expected_checksum = compute_checksum(
            userid=parameters["userid"],
            enduser=parameters["enduser"],
            timestamp=parameters["timestamp"],
            checksum_key=credentials.checksum_key,
        )
        if not hmac.compare_digest(parameters["checksum"], expected_checksum):
            return 200, _error_xml("501", "Checksum invalid")
        if not self._is_fresh(parameters["timestamp"]):
            return 200, _error_xml("505", "Checksum too old or timestamp invalid")
        return self._by_identity_code(parameters["idnumber"])

    def _is_fresh(self, timestamp: str) -> bool:
        match = TIMESTAMP.fullmatch(timestamp)
        if not match:
            return False
        digits, sign, hours, _sequence = match.groups()
        try:
            local = datetime.datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
        except ValueError:
            return False
        offset = datetime.timedelta(hours=int(hours)) * (1 if sign == "+" else -1)
        moment = local.replace(tzinfo=datetime.timezone(offset))
        skew = abs((datetime.datetime.now(datetime.UTC) - moment).total_seconds())
        return skew <= self.server.max_clock_skew_seconds

    def _by_identity_code(self, identity_code: str) -> tuple[int, bytes] | None:
        try:
            compact = fi.normalize_identity_code(identity_code, allow_temporary=True)
        except fi.InvalidValue:
            return 200, _error_xml("VC6", "Invalid identity code")
        if not fi.is_temporary_identity_code(compact):
            return 200, _found_xml(None, defaults=None)
        individual = int(compact[7:10])
        if individual <= 939:
            return 200, _found_xml(compact, defaults=(0, ""))
        if individual <= 959:
            count = (individual - 940) % 5 + 1
            classification = f"MHL{(individual - 940) // 5 + 1}"
            return 200, _found_xml(compact, defaults=(count, classification))
        if individual <= 969:
            return 200, _error_xml("EIR", "Not in the register of payment defaults")
        if individual <= 979:
            return 200, _found_xml(None, defaults=None)
        if individual <= 989:
            time.sleep(self.server.delay_seconds)
            return 200, _found_xml(compact, defaults=(0, ""))
        if individual <= 994:
            self._send(500, b"Internal Server Error", "text/plain")
            return None
        return 200, _error_xml("VC6", "Invalid identity code")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # The standard log lines quote the request line, query string and all.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "").partition("?")[0]
        logger.info(
            "Credit simulator %s: %s %s -> %s",
            self.request_id,
            getattr(self, "command", None) or "-",
            path[:100],
            code,
        )

    def log_error(self, format: str, *args: Any) -> None:
        logger.info("Credit simulator %s: malformed request refused", self.request_id)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _header(status: int) -> str:
    now = datetime.datetime.now(datetime.UTC).astimezone(
        datetime.timezone(datetime.timedelta(hours=2))
    )
    return (
        "<ns2:responseHeader>"
        "<languageCode>EN</languageCode>"
        f"<timeStamp><date>{now:%Y-%m-%d}</date><time>{now:%H:%M:%S}</time></timeStamp>"
        f"<responseStatus>{status}</responseStatus>"
        "<currencyCode>EUR</currencyCode>"
        "</ns2:responseHeader>"
    )


def _document(content: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<ns2:response xmlns="{COMMON_NS}" xmlns:ns2="{CONSUMER_NS}">'
        f"<ns2:consumerResponse>{content}</ns2:consumerResponse>"
        "</ns2:response>"
    ).encode()


def _error_xml(code: str, text: str) -> bytes:
    return _document(
        _header(1) + "<ns2:errorMessage>"
        f"<errorCode>{escape(code)}</errorCode><errorText>{escape(text)}</errorText>"
        "</ns2:errorMessage>"
    )


def _found_xml(identity_code: str | None, *, defaults: tuple[int, str] | None) -> bytes:
    content = _header(0)
    if identity_code is not None:
        content += (
            "<ns2:personIdentification>"
            "<name>Simulaatio Testi</name>"
            f"<personId>{escape(identity_code)}</personId>"
            "</ns2:personIdentification>"
        )
    if defaults is not None:
        count, classification = defaults
        summary = (
            f"<paymentDefaultSummary><classificationCode>{escape(classification)}"
            "</classificationCode></paymentDefaultSummary>"
            if count
            else ""
        )
        content += (
            "<ns2:paymentDefaultData>"
            f"<paymentDefaultCount>{count}</paymentDefaultCount>{summary}"
            "</ns2:paymentDefaultData>"
        )
    return _document(content)
