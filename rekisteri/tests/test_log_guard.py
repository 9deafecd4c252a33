"""The guard that fails any test during which an identity code reaches a log."""

import logging

from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.pytest_plugin import _leaked_codes


def test_it_finds_an_issued_code_in_any_casing_and_without_the_century_sign():
    code = random_identity_code()

    assert _leaked_codes([f"value {code} here"]) == {code}
    assert _leaked_codes([f"lower {code.lower()}"]) == {code}
    assert _leaked_codes([f"bare {code[:6]}{code[7:]}"]) == {code}


def test_it_ignores_text_without_issued_codes():
    random_identity_code()

    assert _leaked_codes(["customer 1001 viewed", "+358401234567"]) == set()


def test_a_log_record_reaches_the_guard():
    """The guard's handler is on the root logger for the whole run."""
    from rekisteri.testing.pytest_plugin import _handler

    logging.getLogger("rekisteri.example").warning("a harmless message")

    assert any("a harmless message" in text for text in _handler.texts)
