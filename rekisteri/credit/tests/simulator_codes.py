"""Fake identity codes whose individual number picks the bureau simulator's answer."""

from __future__ import annotations

import datetime

from rekisteri.testing.identity_codes import identity_code_for

BIRTH_DATE = datetime.date(1984, 5, 17)


def code_for(individual: int) -> str:
    """A fake identity code whose individual number picks the simulator's answer."""
    return identity_code_for(BIRTH_DATE, individual)
