"""A local stand-in for GatewayAPI's `POST /rest/mtsms`, for the tests of `sms.py`.

It listens on 127.0.0.1 on a free port, served from a thread for a `with` block:

    with GatewayApiSimulator() as gateway:
        backend = gateway.backend()
        backend.send(message)
        gateway.received  # each accepted request: the id given and the JSON

It checks the `Authorization: Token ...` header (401 otherwise) and the JSON (400 when
it is not a JSON object, 422 when a field is missing, mistyped or unknown), and answers
200 with `{"ids": [n], "usage": {...}}`. It is stricter than the real service, which
also takes form data and numbers as strings: the simulator holds the client to the one
shape it sends. `fail_next(status)` and `delay_next(seconds)` make the next request
fail or answer late (a late request is still accepted, as a real gateway may have sent
the SMS after the client gave up). Error codes are the simulator's own, in GatewayAPI's
hexadecimal form. Its error answers quote the recipient and the text back, as a
real service's may, so that tests can prove the client never repeats them.

Its log never contains a number, a text or a token.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from rekisteri.marketing.sms import (
    SEND_PATH,
    GatewayApiBackend,
    is_valid_sender,
)

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "simulator-token"  # noqa: S105 - the simulator's public test token
MAX_REQUEST_BYTES = 64 * 1024
MSISDN = re.compile(r"[1-9][0-9]{6,14}")
KNOWN_FIELDS = {"sender", "message", "recipients", "userref", "encoding"}
ENCODINGS = {"UTF8", "UCS2"}
FIRST_MESSAGE_ID = 1_000_001


@dataclass(frozen=True)
class ReceivedRequest:
    """An accepted request: kept in memory for the test that sent it, never logged."""

    message_id: int
    payload: dict[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed answer must not hold up shutdown
    simulator: GatewayApiSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a client that gave up is routine.
        logger.info("SMS gateway simulator: a client closed its connection early")


class GatewayApiSimulator:
    """GatewayAPI's send endpoint on loopback; a context manager that starts and stops it."""

    def __init__(self, *, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._next_failure: int | None = None
        self._next_delay = 0.0
        self._next_id = FIRST_MESSAGE_ID
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GatewayApiSimulator:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.simulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="sms-gateway-simulator", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        """The base URL, as REKISTERI_SMS_GATEWAY_URL would be set."""
        if self._server is None:
            raise RuntimeError("The simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def backend(
        self, *, sender: str = "Rekisteri", timeout_seconds: float = 5.0
    ) -> GatewayApiBackend:
        return GatewayApiBackend(
            base_url=self.url, token=self.token, sender=sender, timeout_seconds=timeout_seconds
        )

    def fail_next(self, status: int) -> None:
        """The next request is answered with this status, whatever it carries."""
        with self._lock:
            self._next_failure = status

    def delay_next(self, seconds: float) -> None:
        """The next request is answered only after this many seconds."""
        with self._lock:
            self._next_delay = seconds

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._next_failure = None
            self._next_delay = 0.0

    def _take_instructions(self) -> tuple[int | None, float]:
        with self._lock:
            failure, delay = self._next_failure, self._next_delay
            self._next_failure, self._next_delay = None, 0.0
            return failure, delay

    def _accept(self, payload: dict[str, Any]) -> int:
        with self._lock:
            message_id = self._next_id
            self._next_id += 1
            self.received.append(ReceivedRequest(message_id, payload))
            return message_id


def validation_error(payload: Any) -> str:
    """What is wrong with a request's JSON, or "" when GatewayAPI would take it."""
    if not isinstance(payload, dict):
        return "The request must be a JSON object"
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        return "Unknown fields: " + ", ".join(unknown)
    message = payload.get("message")
    if not isinstance(message, str) or not message:
        return "message is required"
    recipients = payload.get("recipients")
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= 10_000:
        return "recipients must be a list of 1-10000 recipients"
    for recipient in recipients:
        msisdn = recipient.get("msisdn") if isinstance(recipient, dict) else None
        if (
            not isinstance(msisdn, int)
            or isinstance(msisdn, bool)
            or not MSISDN.fullmatch(str(msisdn))
        ):
            return "Each recipient needs an msisdn: an integer of up to 15 digits"
    if "sender" in payload and not (
        isinstance(payload["sender"], str) and is_valid_sender(payload["sender"])
    ):
        return "sender must be up to 11 alphanumeric characters or up to 15 digits"
    if "userref" in payload and not isinstance(payload["userref"], str):
        return "userref must be a string"
    if "encoding" in payload and payload["encoding"] not in ENCODINGS:
        return "encoding must be UTF8 or UCS2"
    return ""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SmsGatewaySimulator/1"
    request_id = "-"

    def do_POST(self) -> None:
        self.request_id = uuid.uuid4().hex[:8]
        simulator = self.server.simulator
        if self.path != SEND_PATH:
            self._answer(404, _error("0x0404", "Not found"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_REQUEST_BYTES:
            self._answer(400, _error("0x0400", "A JSON body of at most 64 KiB is required"))
            return
        raw = self.rfile.read(length)
        failure, delay = simulator._take_instructions()
        if delay:
            time.sleep(delay)
        if failure is not None:
            self._answer(failure, _error("0x0500", f"Refused, as told: {raw!r}"))
            return
        if not hmac.compare_digest(
            self.headers.get("Authorization", "").encode(),
            f"Token {simulator.token}".encode(),
        ):
            self._answer(401, _error("0x0401", "Unauthorized"))
            return
        if self.headers.get_content_type() != "application/json":
            self._answer(415, _error("0x0415", "Content-Type must be application/json"))
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            self._answer(400, _error("0x0400", "The body is not JSON"))
            return
        problem = validation_error(payload)
        if problem:
            self._answer(422, _error("0x0422", f"{problem}: {raw!r}"))
            return
        message_id = simulator._accept(payload)
        self._answer(
            200,
            {
                "ids": [message_id],
                "usage": {"currency": "EUR", "total_cost": 0.0},
            },
        )

    def _answer(self, status: int, answer: dict[str, Any]) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # The standard log lines quote the request line; ours name only the path and status.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.info(
            "SMS gateway simulator %s: %s %s -> %s",
            self.request_id,
            getattr(self, "command", None) or "-",
            getattr(self, "path", "")[:100],
            code,
        )

    def log_error(self, format: str, *args: Any) -> None:
        logger.info("SMS gateway simulator %s: malformed request refused", self.request_id)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _error(code: str, message: str) -> dict[str, Any]:
    """GatewayAPI's error shape."""
    return {"code": code, "message": message, "incident_uuid": str(uuid.uuid4())}
