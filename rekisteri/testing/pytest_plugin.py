"""Test-run settings and the guard that no personal data ever reaches a log line.

Loaded by pytest before Django (see pyproject.toml), so the settings module reads a
test-mode environment: fresh encryption keys, a throwaway data directory."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rekisteri.crypto import KeyRing
from rekisteri.testing.personal_data import personal_data_masked

os.environ["REKISTERI_MODE"] = "test"
os.environ["REKISTERI_KEYS"] = KeyRing.generate().to_json()
os.environ.setdefault("REKISTERI_DATA_DIR", tempfile.mkdtemp(prefix="rekisteri-test-"))


def _test_helper_modules() -> list[str]:
    """The packages of tests and the modules of this one, less those already imported.
    Their helper modules (not named test_*) assert too; pytest rewrites only the test
    modules and conftests unless told, and a failing assert there would not show its
    values."""
    project = Path(__file__).resolve().parent.parent
    names = [
        ".".join((project.name, *init.parent.relative_to(project).parts))
        for init in project.glob("**/tests/__init__.py")
    ]
    names += [
        f"{__package__}.{module.stem}"
        for module in Path(__file__).parent.glob("*.py")
        if module.stem != "__init__"
    ]
    return sorted(name for name in names if name not in sys.modules)


pytest.register_assert_rewrite(*_test_helper_modules())


# Attributes every LogRecord has: the others came in `extra=` and a handler may print them.
_RECORD_ATTRIBUTES = {*logging.makeLogRecord({}).__dict__, "message", "asctime"}
OUTSIDE_TESTS = "(outside any test)"
MARKER = "logs_personal_data"


@dataclass
class Leak:
    test: str
    line: str  # masked
    reported: bool = False  # already failed its test, or excused by the marker


class LogGuard(logging.Handler):
    """Keeps, for the whole run, every log line that carried an identity code, an email
    address or a phone number: masked, with the test that was running. A line is the
    formatted record, traceback included, or one of its `extra=` values."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.test = OUTSIDE_TESTS
        self.leaks: list[Leak] = []

    def emit(self, record: logging.LogRecord) -> None:
        for line in self.lines(record):
            masked_line = personal_data_masked(line)
            if masked_line is not None:
                self.leaks.append(Leak(self.test, masked_line))

    def lines(self, record: logging.LogRecord) -> list[str]:
        try:
            text = self.format(record)
        except Exception:  # a record that does not format still carries its data
            text = f"{record.msg!r} {record.args!r}"
        extras = [
            f"{name}={value!r}"
            for name, value in record.__dict__.items()
            if name not in _RECORD_ATTRIBUTES
        ]
        return [*text.splitlines(), *extras]

    def attach(self) -> None:
        """On the root logger and on each logger that keeps its records from its parent
        (propagate=False, such as django.server): every record reaches the guard once.
        Repeated before each test, for loggers configured since."""
        loggers = [logging.getLogger()] + [
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger) and not logger.propagate
        ]
        for logger in loggers:
            if self not in logger.handlers:
                logger.addHandler(self)


def leak_report(leaks: list[Leak], limit: int = 50) -> str:
    lines = [f"{leak.test}: {leak.line}" for leak in leaks[:limit]]
    if len(leaks) > limit:
        lines.append(f"... and {len(leaks) - limit} more")
    return f"personal data in {len(leaks)} log line(s):\n" + "\n".join(lines)


_guard = LogGuard()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(reason): the test logs personal data on purpose; the log guard "
        "excuses its lines",
    )
    logging.getLogger().setLevel(logging.DEBUG)
    _guard.attach()


def pytest_runtest_logstart(nodeid: str) -> None:
    _guard.attach()
    _guard.test = nodeid


def pytest_runtest_logfinish(nodeid: str) -> None:
    _guard.test = OUTSIDE_TESTS


@pytest.fixture(autouse=True)
def audit_checkpoints_of_this_test(settings, tmp_path_factory) -> None:
    """Each test's audit checkpoints in a file of its own: the database is rolled back
    after a test, and a checkpoint left from another would not fit its chain."""
    settings.REKISTERI_AUDIT_CHECKPOINTS = (
        tmp_path_factory.mktemp("audit") / "audit-checkpoints.jsonl"
    )


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test during which personal data reached a log line. Lines logged
    after this check (or outside tests) fail the run at its end."""
    first = len(_guard.leaks)
    yield
    leaks = [leak for leak in _guard.leaks[first:] if not leak.reported]
    for leak in leaks:
        leak.reported = True
    if leaks and request.node.get_closest_marker(MARKER) is None:
        pytest.fail(leak_report(leaks), pytrace=False)


_session_report = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    """Fails the run if personal data reached a log line that no test's own check
    reported. Under xdist each worker checks its own lines and hands its report to the
    controller as the reason to stop (set here, before xdist's wrapper reads it)."""
    leaks = [leak for leak in _guard.leaks if not leak.reported]
    if leaks:
        report = leak_report(leaks)
        session.config.stash[_session_report] = report
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if hasattr(session.config, "workerinput"):
            session.shouldfail = f"log guard: {report}"
    return (yield)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report = terminalreporter.config.stash.get(_session_report, None)
    if report is not None:
        terminalreporter.write_sep("=", "log guard", red=True)
        terminalreporter.write_line(report)
