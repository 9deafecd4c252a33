"""Sending one SMS to one person, for marketing campaigns: the message, the backends and
the count of SMS parts a text takes.

Backends (setting `REKISTERI_SMS_BACKEND`):

- `console` (the default): prints each message to standard output, for development.
- `locmem`: keeps messages in the module-level `outbox`, for tests.
- `gatewayapi`: GatewayAPI's REST interface (`POST /rest/mtsms`, `Authorization: Token
  ...`, a 200 answer `{"ids": [...]}`), written to its public documentation at
  gatewayapi.com/docs (authentication, REST, glossary). Text outside GSM 03.38 is sent
  with `"encoding": "UCS2"`, as the service transcodes to GSM 03.38 by default. The
  documentation read does not describe error bodies: only the HTTP status counts, and
  a code of the form "0x..." in the body's "code" is kept. No GatewayAPI service is
  reachable from the build machine: the client is tested only against the local
  simulator (`sms_simulator.py`).

Settings, read from Django's settings at call time with these defaults, and taken by
settings.py from environment variables of the same names:

- `REKISTERI_SMS_BACKEND`: "console" | "locmem" | "gatewayapi"; default "console".
- `REKISTERI_SMS_GATEWAY_URL`: default "https://gatewayapi.com" (the EU platform is
  "https://gatewayapi.eu"); https:// required, plain http:// only on loopback.
- `REKISTERI_SMS_GATEWAY_TOKEN`: GatewayAPI's API token; required by "gatewayapi".
- `REKISTERI_SMS_SENDER`: default "Rekisteri"; up to 11 letters, digits and spaces,
  or up to 15 digits.

The phone number, the text and the token never appear in a log line, an exception or a
repr; logs name the host, the HTTP status and the message's opaque reference.
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import json
import logging
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "console"
DEFAULT_GATEWAY_URL = "https://gatewayapi.com"
DEFAULT_SENDER = "Rekisteri"
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
SEND_PATH = "/rest/mtsms"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ]{0,9}[A-Za-z0-9])?")
NUMERIC_SENDER = re.compile(r"[0-9]{1,15}")
# GatewayAPI's error codes are short hex numbers ("0x0216"); anything else in an error
# answer (its message, its variables) may quote the recipient and is never kept.
PROVIDER_CODE = re.compile(r"0x[0-9A-Fa-f]{1,8}")

# GSM 03.38: the default alphabet, and the extension table reached through an escape
# (so each of its characters takes two septets). ESC itself is not text.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsMessage:
    """One text to one phone. `reference` is an opaque per-recipient id that comes back
    with delivery statuses; it must never be personal data, and it is the only field
    that may be logged."""

    to: str = field(repr=False)  # E.164, e.g. "+358401234567"
    body: str = field(repr=False)
    reference: str


class SmsError(Exception):
    """Sending failed. `retryable` says whether the same message may be tried again
    later. The message names what went wrong, never the phone number, the text or the
    token; `status` is the HTTP status when there was one, `provider_code` GatewayAPI's
    own error code when it gave one."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        provider_code: str = "",
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.provider_code = provider_code


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> str:
        """Sends the message; returns the provider's message id or raises SmsError."""
        ...


def sms_segments(text: str) -> int:
    """How many SMS parts the text takes (0 for no text). GSM 03.38 text: 160 septets in
    one SMS, 153 per part of a longer one, extension characters taking two. Anything
    else goes as UCS-2: 70 UTF-16 code units, 67 per part. A part is taken never to
    split an escaped character or a surrogate pair (a split one would be garbled), so
    this can be one more than the plain division."""
    if not text:
        return 0
    if is_gsm7(text):
        widths = [2 if character in GSM7_EXTENSION else 1 for character in text]
        return _parts(widths, single=GSM7_SINGLE, per_part=GSM7_PART)
    widths = [2 if ord(character) > 0xFFFF else 1 for character in text]
    return _parts(widths, single=UCS2_SINGLE, per_part=UCS2_PART)


def is_gsm7(text: str) -> bool:
    """Whether GSM 03.38 (default alphabet and extension table) can carry the text."""
    return all(character in GSM7_BASIC or character in GSM7_EXTENSION for character in text)


def _parts(widths: list[int], *, single: int, per_part: int) -> int:
    if sum(widths) <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > per_part:
            parts, used = parts + 1, 0
        used += width
    return parts


def _checked(message: SmsMessage) -> SmsMessage:
    """Every backend refuses the same messages, so a campaign tested with `locmem`
    meets the same errors in production."""
    if not E164.fullmatch(message.to):
        raise SmsError("The recipient is not an E.164 phone number", retryable=False)
    if not message.body:
        raise SmsError("The message has no text", retryable=False)
    return message


class ConsoleBackend:
    """Writes each message to a stream (standard output by default), for development."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._ids = itertools.count(1)

    def send(self, message: SmsMessage) -> str:
        _checked(message)
        message_id = f"console-{next(self._ids)}"
        stream = self.stream or sys.stdout
        rule = "-" * 79
        stream.write(
            f"To: {message.to}\n"
            f"Reference: {message.reference}\n"
            f"Id: {message_id}\n"
            f"Parts: {sms_segments(message.body)}\n\n"
            f"{message.body}\n{rule}\n"
        )
        stream.flush()
        return message_id


outbox: list[SmsMessage] = []


class LocmemBackend:
    """Appends each message to the module-level `outbox`, for tests (which clear it)."""

    def send(self, message: SmsMessage) -> str:
        outbox.append(_checked(message))
        return f"locmem-{len(outbox)}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """GatewayAPI does not redirect; following one would only hide a misconfiguration."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class GatewayApiBackend:
    """GatewayAPI's `POST /rest/mtsms`, one recipient per request.

    4xx answers are final (except 408 and 429, which ask for a later try); 5xx
    answers, timeouts and connection failures may be retried. A timeout after the
    request went out may still have sent the SMS: the reference (`userref`) comes back
    with GatewayAPI's delivery statuses, to tell."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        sender: str = DEFAULT_SENDER,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ImproperlyConfigured("REKISTERI_SMS_GATEWAY_URL must be an https:// address")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ImproperlyConfigured(
                "REKISTERI_SMS_GATEWAY_URL must carry no query, fragment or credentials"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ImproperlyConfigured(
                "REKISTERI_SMS_GATEWAY_URL must use https:// (plain http only on loopback)"
            )
        if not token:
            raise ImproperlyConfigured("GatewayAPI needs REKISTERI_SMS_GATEWAY_TOKEN")
        if not is_valid_sender(sender):
            raise ImproperlyConfigured(
                "REKISTERI_SMS_SENDER must be 1-11 letters, digits and spaces, or 1-15 digits"
            )
        if timeout_seconds <= 0:
            raise ImproperlyConfigured("The SMS gateway timeout must be positive")
        self.url = base_url.rstrip("/") + SEND_PATH
        self.host = parts.hostname
        self.sender = sender
        self.timeout_seconds = timeout_seconds
        self._token = token
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:
        return f"GatewayApiBackend(host={self.host!r}, sender={self.sender!r})"

    def send(self, message: SmsMessage) -> str:
        _checked(message)
        started = time.monotonic()
        try:
            message_id = self._post(message)
        except SmsError as error:
            logger.warning(
                "SMS %s not sent via %s: %s (%s) in %d ms",
                message.reference,
                self.host,
                error,
                "retryable" if error.retryable else "final",
                (time.monotonic() - started) * 1000,
            )
            raise
        logger.info(
            "SMS %s sent via %s as %s in %d ms",
            message.reference,
            self.host,
            message_id,
            (time.monotonic() - started) * 1000,
        )
        return message_id

    def payload(self, message: SmsMessage) -> dict[str, Any]:
        """The JSON GatewayAPI receives. Its default encoding is GSM 03.38, which would
        mangle other characters: those messages go as UCS-2."""
        payload: dict[str, Any] = {
            "sender": self.sender,
            "message": message.body,
            "recipients": [{"msisdn": int(message.to[1:])}],
            "userref": message.reference,
        }
        if not is_gsm7(message.body):
            payload["encoding"] = "UCS2"
        return payload

    def _post(self, message: SmsMessage) -> str:
        # The URL is checked in __init__: https:// (http:// on loopback) only.
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=json.dumps(self.payload(message)).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": f"Token {self._token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        return _message_id(self._exchange(request))

    def _exchange(self, request: urllib.request.Request) -> bytes:
        """The body of a 2xx answer, or an SmsError. urllib's exceptions can carry the
        request, and so the token and the number: none of them leaves this method."""
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                return self._read(response, deadline=deadline)
        except SmsError:
            raise
        except urllib.error.HTTPError as error:
            try:
                code = _provider_code(self._read(error, deadline=deadline))
            except (SmsError, OSError, http.client.HTTPException):
                code = ""
            finally:
                error.close()
            raise _http_error(error.code, code) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _timed_out() from None
            raise SmsError("Could not connect to GatewayAPI", retryable=True) from None
        except TimeoutError:
            raise _timed_out() from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise SmsError(
                f"The connection to GatewayAPI failed ({type(error).__name__})", retryable=True
            ) from None

    def _read(self, response: Any, *, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(16 * 1024):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise SmsError("GatewayAPI's answer was too large", retryable=False)
            if time.monotonic() > deadline:
                raise _timed_out()
            chunks.append(chunk)
        return b"".join(chunks)


def _http_error(status: int, provider_code: str) -> SmsError:
    retryable = status >= 500 or status in (408, 429)
    detail = f" ({provider_code})" if provider_code else ""
    return SmsError(
        f"GatewayAPI answered HTTP {status}{detail}",
        retryable=retryable,
        status=status,
        provider_code=provider_code,
    )


def _timed_out() -> SmsError:
    return SmsError("GatewayAPI did not answer in time", retryable=True)


def _provider_code(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, str) and PROVIDER_CODE.fullmatch(code) else ""


def _message_id(body: bytes) -> str:
    """The one id of a successful answer, `{"ids": [int], ...}`. The message may well have been
    accepted when the answer is unreadable, so that is not worth a retry."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    ids = answer.get("ids") if isinstance(answer, dict) else None
    if (
        not isinstance(ids, list)
        or len(ids) != 1
        or not isinstance(ids[0], int)
        or isinstance(ids[0], bool)
    ):
        raise SmsError("GatewayAPI's answer carried no message id", retryable=False)
    return str(ids[0])


def is_valid_sender(sender: str) -> bool:
    """GatewayAPI shows up to 11 alphanumeric characters or up to 15 digits."""
    return bool(ALPHANUMERIC_SENDER.fullmatch(sender) or NUMERIC_SENDER.fullmatch(sender))


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def sms_backend() -> SmsBackend:
    """The backend the settings choose, built afresh at each call."""
    name = getattr(settings, "REKISTERI_SMS_BACKEND", "") or DEFAULT_BACKEND
    if name == "console":
        return ConsoleBackend()
    if name == "locmem":
        return LocmemBackend()
    if name == "gatewayapi":
        return GatewayApiBackend(
            base_url=getattr(settings, "REKISTERI_SMS_GATEWAY_URL", "") or DEFAULT_GATEWAY_URL,
            token=getattr(settings, "REKISTERI_SMS_GATEWAY_TOKEN", ""),
            sender=getattr(settings, "REKISTERI_SMS_SENDER", "") or DEFAULT_SENDER,
        )
    raise ImproperlyConfigured(
        f"REKISTERI_SMS_BACKEND must be console, locmem or gatewayapi, not {name!r}"
    )
