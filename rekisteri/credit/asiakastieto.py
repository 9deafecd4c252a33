"""The client of Suomen Asiakastieto Oy's consumer credit information service (XML over
HTTPS, API version 2018), written to Enento's public developer documentation.

No real Asiakastieto service is reachable from here: the client is tested only against
the local simulator (`simulator.py`). docs/credit-checks.md describes the protocol and
the assumptions made where the public documentation is silent.

The identity code travels only in the request's query string. It never appears in a log
line, an exception or a repr: logs name the host, never the URL's query.
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import ipaddress
import itertools
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

from rekisteri.credit.providers import Answer, CreditReport

logger = logging.getLogger(__name__)

# The consumer services' endpoints as the developer portal publishes them.
DEMO_URL = "https://demo.asiakastieto.fi/services/consumer5/REST"
PRODUCTION_URL = "https://www.asiakastieto.fi/services/consumer5/REST"
TARGETS = {"demo": DEMO_URL, "production": PRODUCTION_URL}

# The payment default check ("Consumer credit information"): fixed query parameters.
FIXED_PARAMETERS = {
    "version": "2018",
    "format": "xml",
    "reqmsg": "CONSUMER",
    "request": "H",
    "qtype": "41",
    "purpose": "1",  # credit granting and credit control
}

# Timestamps carry the offset of Finnish *standard* time: the documentation says daylight
# saving time is never added to the offset, so the clock digits are given in UTC+2 too.
FINNISH_STANDARD_TIME = datetime.timezone(datetime.timedelta(hours=2))
FINNISH_STANDARD_OFFSET = "+02"

MAX_RESPONSE_BYTES = 256 * 1024
DEFAULT_TIMEOUT_SECONDS = 8.0
DEFAULT_ENDUSER = "rekisteri"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}

# Our own codes for failures that are not the bureau's (theirs are upper case).
MALFORMED_RESPONSE = "malformed_response"
UNSAFE_RESPONSE = "unsafe_response"
RESPONSE_TOO_LARGE = "response_too_large"
CONNECTION_FAILED = "connection_failed"
UNKNOWN_ERROR = "unknown_error"

NOT_IN_REGISTER = "EIR"  # not in the register of payment defaults: none recorded
INVALID_IDENTITY_CODE = "VC6"

_sequence = itertools.count(1)


@dataclass(frozen=True)
class AsiakastietoConfig:
    """Where and as whom to ask. Secrets stay out of the repr."""

    url: str
    userid: str
    passwd: str = field(repr=False)
    checksum_key: str = field(repr=False)
    enduser: str = DEFAULT_ENDUSER
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ImproperlyConfigured("The Asiakastieto URL must be an https:// address")
        if parts.query or parts.fragment:
            raise ImproperlyConfigured("The Asiakastieto URL must not carry a query")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ImproperlyConfigured(
                "The Asiakastieto URL must use https:// (plain http only for a local simulator)"
            )
        if not 1 <= len(self.enduser) <= 12:
            raise ImproperlyConfigured("REKISTERI_ASIAKASTIETO_ENDUSER must be 1-12 characters")
        if self.timeout_seconds <= 0:
            raise ImproperlyConfigured("REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS must be positive")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AsiakastietoConfig:
        """Reads REKISTERI_ASIAKASTIETO_* at call time; refuses to go on without credentials."""
        env = os.environ if environ is None else environ

        def value(name: str, default: str = "") -> str:
            return env.get(f"REKISTERI_ASIAKASTIETO_{name}", "").strip() or default

        target = value("TARGET", "demo")
        if target not in TARGETS:
            raise ImproperlyConfigured(
                f"REKISTERI_ASIAKASTIETO_TARGET must be demo or production, not {target!r}"
            )
        missing = [
            f"REKISTERI_ASIAKASTIETO_{name}"
            for name in ("USERID", "PASSWD", "CHECKSUM_KEY")
            if not value(name)
        ]
        if missing:
            raise ImproperlyConfigured("Credit checks need: " + ", ".join(missing))
        timeout = value("TIMEOUT_SECONDS", str(DEFAULT_TIMEOUT_SECONDS))
        try:
            timeout_seconds = float(timeout)
        except ValueError:
            raise ImproperlyConfigured(
                f"REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS must be a number, not {timeout!r}"
            ) from None
        return cls(
            url=value("URL", TARGETS[target]),
            userid=value("USERID"),
            passwd=value("PASSWD"),
            checksum_key=value("CHECKSUM_KEY"),
            enduser=value("ENDUSER", DEFAULT_ENDUSER),
            timeout_seconds=timeout_seconds,
        )

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or ""

    @property
    def is_simulated(self) -> bool:
        """A bureau on this machine can only be the simulator."""
        return _is_loopback(self.host)


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def format_timestamp(moment: datetime.datetime, sequence: int) -> str:
    """YYYYMMDDHHMMSSXX (XX: hundredths) in Finnish standard time, the offset +02 and a
    five-digit consecutive number, e.g. 2024011512000000+0200001."""
    local = moment.astimezone(FINNISH_STANDARD_TIME)
    hundredths = local.microsecond // 10_000
    return f"{local:%Y%m%d%H%M%S}{hundredths:02d}{FINNISH_STANDARD_OFFSET}{sequence % 100_000:05d}"


def compute_checksum(*, userid: str, enduser: str, timestamp: str, checksum_key: str) -> str:
    """Upper-case hex SHA-512 of `userid&enduser&timestamp&key&`, the timestamp unencoded."""
    source = f"{userid}&{enduser}&{timestamp}&{checksum_key}&"
    return hashlib.sha512(source.encode("utf-8")).hexdigest().upper()


def build_query(config: AsiakastietoConfig, *, identity_code: str, timestamp: str) -> str:
    parameters = {
        "userid": config.userid,
        "passwd": config.passwd,
        "enduser": config.enduser,
        "idnumber": identity_code,
        **FIXED_PARAMETERS,
        "timestamp": timestamp,
        "checksum": compute_checksum(
            userid=config.userid,
            enduser=config.enduser,
            timestamp=timestamp,
            checksum_key=config.checksum_key,
        ),
    }
    # quote, not quote_plus: "+" in the timestamp must travel as %2B, spaces as %20.
    return urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The bureau does not redirect; following one would only hide a misconfiguration."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class AsiakastietoClient:
    """CreditProvider for Asiakastieto's payment default check (qtype 41)."""

    name = "asiakastieto"

    def __init__(
        self,
        config: AsiakastietoConfig,
        *,
        clock: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        self.config = config
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:
        return f"AsiakastietoClient(host={self.config.host!r})"

    def check(self, *, identity_code: str) -> CreditReport:
        started = time.monotonic()
        report = self._ask(identity_code)
        logger.info(
            "Credit check at %s: %s%s in %d ms%s",
            self.config.host,
            report.answer,
            f" ({report.error_code})" if report.error_code else "",
            (time.monotonic() - started) * 1000,
            " (simulated)" if report.is_simulated else "",
        )
        return report

    def _ask(self, identity_code: str) -> CreditReport:
        timestamp = format_timestamp(self._clock(), next(_sequence))
        query = build_query(self.config, identity_code=identity_code, timestamp=timestamp)
        # The config admits only https:// (http:// on loopback): no file: or custom schemes.
        request = urllib.request.Request(  # noqa: S310
            f"{self.config.url}?{query}", headers={"Accept": "application/xml"}
        )
        try:
            body = self._fetch(request)
        except _Failure as failure:
            return self._report(failure.answer, error_code=failure.error_code)
        return self._with_simulated(parse_response(body))

    def _fetch(self, request: urllib.request.Request) -> bytes:
        """The response body, or a _Failure. Exceptions from urllib can carry the URL, and
        so the identity code: none of them leaves this method."""
        deadline = time.monotonic() + self.config.timeout_seconds
        try:
            with self._opener.open(request, timeout=self.config.timeout_seconds) as response:
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read(64 * 1024):
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise _Failure(Answer.ERROR, RESPONSE_TOO_LARGE)
                    if time.monotonic() > deadline:
                        raise _Failure(Answer.TIMEOUT, "")
                    chunks.append(chunk)
                return b"".join(chunks)
        except _Failure:
            raise
        except urllib.error.HTTPError as error:
            error.close()
            raise _Failure(Answer.ERROR, f"http_{error.code}") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Failure(Answer.TIMEOUT, "") from None
            raise _Failure(Answer.ERROR, CONNECTION_FAILED) from None
        except TimeoutError:
            raise _Failure(Answer.TIMEOUT, "") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            logger.warning("Credit check transport failed: %s", type(error).__name__)
            raise _Failure(Answer.ERROR, CONNECTION_FAILED) from None

    def _report(self, answer: str, *, error_code: str) -> CreditReport:
        return CreditReport(
            answer=answer, error_code=error_code, is_simulated=self.config.is_simulated
        )

    def _with_simulated(self, report: CreditReport) -> CreditReport:
        if not self.config.is_simulated:
            return report
        return CreditReport(
            answer=report.answer,
            default_count=report.default_count,
            classification_code=report.classification_code,
            provider_reference=report.provider_reference,
            error_code=report.error_code,
            is_simulated=True,
        )


class _Failure(Exception):
    def __init__(self, answer: str, error_code: str) -> None:
        super().__init__(answer, error_code)
        self.answer = answer
        self.error_code = error_code


def parse_response(body: bytes) -> CreditReport:
    """The minimum kept of the bureau's XML answer. Refuses DTDs and entities outright
    (no defusedxml here): the service never sends them."""
    if len(body) > MAX_RESPONSE_BYTES:
        return CreditReport(answer=Answer.ERROR, error_code=RESPONSE_TOO_LARGE)
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        return CreditReport(answer=Answer.ERROR, error_code=UNSAFE_RESPONSE)
    try:
        # DTDs and entities are refused above: nothing to expand.
        root = ET.fromstring(body)  # noqa: S314  # nosec B314
    except ET.ParseError:
        return CreditReport(answer=Answer.ERROR, error_code=MALFORMED_RESPONSE)

    status = _text(root, "responseHeader", "responseStatus")
    reference = _reference(root)
    error = _find(root, "errorMessage")
    if error is not None or status != "0":
        code = _text(error, "errorCode") if error is not None else ""
        if not code:
            code = MALFORMED_RESPONSE if status is None else UNKNOWN_ERROR
        if code == NOT_IN_REGISTER:
            return CreditReport(
                answer=Answer.NO_DEFAULTS,
                default_count=0,
                error_code=code,
                provider_reference=reference,
            )
        if code == INVALID_IDENTITY_CODE:
            return CreditReport(
                answer=Answer.INVALID_IDENTITY_CODE, error_code=code, provider_reference=reference
            )
        return CreditReport(answer=Answer.ERROR, error_code=code, provider_reference=reference)

    defaults = _find(root, "paymentDefaultData")
    if defaults is None:
        # No defaults section and no person: the service did not know the person.
        if _find(root, "personIdentification") is None:
            return CreditReport(answer=Answer.UNKNOWN_PERSON, provider_reference=reference)
        return CreditReport(
            answer=Answer.NO_DEFAULTS, default_count=0, provider_reference=reference
        )
    try:
        count = int(_text(defaults, "paymentDefaultCount") or "0")
    except ValueError:
        return CreditReport(answer=Answer.ERROR, error_code=MALFORMED_RESPONSE)
    classification = _text(defaults, "paymentDefaultSummary", "classificationCode") or ""
    return CreditReport(
        answer=Answer.DEFAULTS if count > 0 else Answer.NO_DEFAULTS,
        default_count=count,
        classification_code=classification[:20],
        provider_reference=reference,
    )


def _local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _find(element: ET.Element, *path: str) -> ET.Element | None:
    """The first descendant along a path of local names, namespaces ignored."""
    found: ET.Element | None = element
    for name in path:
        assert found is not None
        found = next((node for node in found.iter() if _local_name(node) == name), None)
        if found is None:
            return None
    return found


def _text(element: ET.Element | None, *path: str) -> str | None:
    if element is None:
        return None
    found = _find(element, *path)
    return None if found is None else (found.text or "").strip()


def _reference(root: ET.Element) -> str:
    """The answer's own time stamp is the only reference the service gives back."""
    date = _text(root, "responseHeader", "timeStamp", "date") or ""
    clock = _text(root, "responseHeader", "timeStamp", "time") or ""
    return f"{date}T{clock}"[:40] if date and clock else ""
