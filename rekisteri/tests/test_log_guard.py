"""The guard that fails the test run when an identity code, an email address or a phone
number reaches a log line (rekisteri/testing/pytest_plugin.py, docs/testing.md)."""

from __future__ import annotations

import datetime
import hashlib
import logging
import random
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from rekisteri.testing.identity_codes import identity_code_for, random_identity_code
from rekisteri.testing.personal_data import personal_data_in, personal_data_masked
from rekisteri.testing.pytest_plugin import Leak, LogGuard, _guard

ROOT = Path(__file__).resolve().parents[2]

# Made at import, so the guard is on it before any test of this module starts.
QUIET = logging.getLogger("rekisteri.tests.log_guard.quiet")
QUIET.propagate = False


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in personal_data_in(text)]


# What it finds -------------------------------------------------------------------------


def test_it_finds_identity_codes_with_every_century_sign_in_any_casing():
    codes = [
        identity_code_for(datetime.date(1899, 12, 31), 901),
        *(identity_code_for(datetime.date(1975, 2, 3), 950, sign) for sign in "-YXWVU"),
        *(identity_code_for(datetime.date(2004, 10, 9), 999, sign) for sign in "ABCDEF"),
    ]

    for code in codes:
        assert kinds(f"value {code} here") == ["identity code"]
        assert kinds(f"lower:{code.lower()}.") == ["identity code"]


def test_it_finds_a_code_with_a_wrong_check_character_or_outside_the_test_series():
    """What someone typed as their identity code is personal even when it is invalid."""
    assert kinds("hetu=131052-308X") == ["identity code"]
    assert kinds("(010203A4567)") == ["identity code"]


def test_it_finds_a_temporary_or_issued_code_without_its_century_sign():
    code = random_identity_code()

    # One born on the 4th whose ten digits start 04 also reads as a mobile number
    # (040…): found as both, which hides it all the same.
    assert "identity code" in kinds(f"bare {code[:6]}{code[7:]}")
    assert "identity code" in kinds(f"bare {code[:6]}{code[7:].lower()}")


@pytest.mark.parametrize(
    "address",
    [
        "maija.virtanen.123456@example.fi",
        "Matti.Meikalainen@Example.FI",
        "o'brien+tilaukset@posti.example.com",
        "äiti@example.fi",
    ],
)
def test_it_finds_email_addresses(address):
    assert kinds(f"mail to <{address}>, sent") == ["email address"]


@pytest.mark.parametrize(
    "number",
    [
        "+358401234567",
        "+358 40 123 4567",
        "+358-50-123-4567",
        "00358401234567",
        "358401234567",
        "+358 (0)9 123 4567",
        "+35891234567",
        "040 123 4567",
        "0401234567",
        "050-1234567",
        "045 1234 5678",
    ],
)
def test_it_finds_finnish_phone_numbers(number):
    assert kinds(f"call {number}.") == ["phone number"]


def test_a_percent_encoded_address_or_number_in_a_query_string_is_found():
    line = '"GET /portal/?email=maija%40example.fi&phone=%2B358401234567 HTTP/1.1" 200'

    assert personal_data_masked(line) == (
        '"GET /portal/?email=[email address]&phone=[phone number] HTTP/1.1" 200'
    )


def test_the_masked_line_keeps_the_rest_and_hides_every_finding():
    code = random_identity_code()
    line = f"customer {code} maija@example.fi +358401234567 done"

    assert personal_data_masked(line) == (
        "customer [identity code] [email address] [phone number] done"
    )


# What it leaves alone -------------------------------------------------------------------


def test_uuids_and_hex_digests_are_not_findings():
    rng = random.Random(8)
    texts = []
    for _ in range(3000):
        identifier = uuid.UUID(int=rng.getrandbits(128), version=4)
        texts += [str(identifier), identifier.hex, str(identifier).upper()]
        digest = hashlib.sha256(identifier.bytes)
        texts += [digest.hexdigest(), hashlib.md5(identifier.bytes).hexdigest()]  # noqa: S324

    assert [text for text in texts if personal_data_in(text)] == []


def test_numbers_times_and_names_that_only_look_alike_are_not_findings():
    texts = [
        "2026-11-26 12:53:30,045 INFO rekisteri.backups: backup 20261126-123456.bak written",
        "request took 0.0401234567s",
        "customer 1001 viewed, order 100234 sent, 1234567890 bytes",
        "epoch 1764160000.123456",
        "integration 3 key rk_live_4a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "listening on 127.0.0.1:8000 and [::1]:8000",
        "version 1.9.4, python 3.11.7",
        "user@localhost",
        "@example.fi",
        "Shopify order 5012345678901",
        "IBAN FI2112345600000785",
    ]

    assert {text: kinds(text) for text in texts} == {text: [] for text in texts}


def test_a_ten_digit_number_outside_the_temporary_series_is_not_a_code():
    """Without a century sign only the 900-999 series (with its check character) counts,
    or else every phone and order number with a date in front would."""
    assert kinds("ref 1310523087") == []


# The guard itself ------------------------------------------------------------------------


def test_the_guard_reads_the_traceback_and_the_extra_values_of_a_record():
    guard = LogGuard()
    logger = logging.getLogger("rekisteri.tests.log_guard.own")
    logger.propagate = False
    logger.addHandler(guard)
    try:
        try:
            raise ValueError("no customer maija@example.fi")
        except ValueError:
            logger.exception("lookup failed")
        logger.warning("sent", extra={"recipient": "+358401234567"})
        logger.info("customer 1001 viewed")
    finally:
        logger.removeHandler(guard)

    assert [leak.line for leak in guard.leaks] == [
        '    raise ValueError("no customer [email address]")',
        "ValueError: no customer [email address]",
        "recipient='[phone number]'",
    ]


@pytest.mark.logs_personal_data("proves which loggers the session's guard hears")
def test_the_session_guard_hears_loggers_that_do_not_propagate(request, monkeypatch):
    # Whatever level an earlier test in this process left the logger at: a debug line
    # must reach the guard for this test to say anything.
    chatty = logging.getLogger("rekisteri.tests.log_guard")
    monkeypatch.setattr(chatty, "disabled", False)
    previous = chatty.level
    chatty.setLevel(logging.DEBUG)
    request.addfinalizer(lambda: chatty.setLevel(previous))
    first = len(_guard.leaks)

    QUIET.warning("mail to %s", "maija@example.fi")
    logging.getLogger("django.server").info('"GET /?phone=%2B358401234567 HTTP/1.1" 200 0')
    logging.getLogger("rekisteri.tests.log_guard").debug("code %s", "131052-308T")

    test = request.node.nodeid
    assert _guard.leaks[first:] == [
        Leak(test, "WARNING rekisteri.tests.log_guard.quiet: mail to [email address]"),
        Leak(test, 'INFO django.server: "GET /?phone=[phone number] HTTP/1.1" 200 0'),
        Leak(test, "DEBUG rekisteri.tests.log_guard: code [identity code]"),
    ]


# A run of its own, through pytest -------------------------------------------------------

INNER_TESTS = """
import logging

logging.getLogger("rekisteri.inner").warning("imported by %s", "+358401234567")


def test_it_logs_an_address():
    logging.getLogger("rekisteri.inner").info("sent to maija.virtanen@example.fi")


def test_it_logs_nothing_personal():
    logging.getLogger("rekisteri.inner").info("order 1001 sent")
"""


def run_pytest(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    (tmp_path / "pytest.ini").write_text(
        textwrap.dedent(
            """\
            [pytest]
            DJANGO_SETTINGS_MODULE = rekisteri.settings
            addopts = -p rekisteri.testing.pytest_plugin -p no:cacheprovider
            """
        )
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "-q", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_run_fails_the_test_that_logged_and_then_the_session_for_the_rest(tmp_path):
    run = run_pytest(tmp_path, "-p", "no:xdist", str(tmp_path / "test_inner.py"))

    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout
    assert "2 passed, 1 error" in run.stdout
    assert "ERROR at teardown of test_it_logs_an_address" in run.stdout
    assert (
        "test_inner.py::test_it_logs_an_address: INFO rekisteri.inner: sent to [email address]"
        in run.stdout
    )
    assert "(outside any test): WARNING rekisteri.inner: imported by [phone number]" in run.stdout


def test_under_xdist_a_worker_stops_the_run_with_its_report(tmp_path):
    run = run_pytest(tmp_path, "-n", "1", str(tmp_path / "test_inner.py"))

    assert run.returncode == pytest.ExitCode.INTERRUPTED, run.stdout
    assert "test_it_logs_an_address" in run.stdout
    assert "log guard: personal data in 1 log line(s)" in run.stdout
    assert "(outside any test): WARNING rekisteri.inner: imported by [phone number]" in run.stdout
