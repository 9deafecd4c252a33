"""Test-run settings and the guard that no identity code ever reaches a log.

Loaded by pytest before Django (see pyproject.toml), so the settings module reads a
test-mode environment: fresh encryption keys, a throwaway data directory."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator

import pytest

from rekisteri.crypto import KeyRing
from rekisteri.testing.identity_codes import ISSUED

os.environ["REKISTERI_MODE"] = "test"
os.environ["REKISTERI_KEYS"] = KeyRing.generate().to_json()
os.environ.setdefault("REKISTERI_DATA_DIR", tempfile.mkdtemp(prefix="rekisteri-test-"))


class _Everything(logging.Handler):
    """Keeps the text of every log record of the current test, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record) + repr(record.args) + repr(record.__dict__))
        except Exception:
            self.texts.append(repr(record.__dict__))


_handler = _Everything()


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG)


CODE_SHAPE = re.compile(r"\d{6}[-+A-Za-z]?\d{3}[0-9A-Za-z]")


def _leaked_codes(texts: list[str]) -> set[str]:
    issued_without_sign = {code[:6] + code[7:]: code for code in ISSUED}
    leaked = set()
    for text in texts:
        for candidate in CODE_SHAPE.findall(text):
            candidate = candidate.upper()
            if candidate in ISSUED:
                leaked.add(candidate)
            elif candidate in issued_without_sign:
                leaked.add(issued_without_sign[candidate])
    return leaked


@pytest.fixture(autouse=True)
def no_identity_code_in_logs() -> Iterator[None]:
    """Fails any test during which a fake identity code appeared in a log record."""
    _handler.texts.clear()
    yield
    leaked = _leaked_codes(_handler.texts)
    _handler.texts.clear()
    if leaked:
        pytest.fail(f"{len(leaked)} identity code(s) appeared in log output during this test")
