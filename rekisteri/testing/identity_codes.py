"""Fake identity codes for tests, demo data and benchmarks: temporary (900-999)
individual numbers only, so that no real person's code is ever made up by chance."""

from __future__ import annotations

import datetime
import random

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}

# Every fake code handed out in this process; the test suite fails if one is logged.
ISSUED: set[str] = set()


def identity_code_for(birth_date: datetime.date, individual: int, sign: str = "") -> str:
    if not 900 <= individual <= 999:
        raise ValueError("fake identity codes use individual numbers 900-999")
    signs = CENTURY_SIGNS.get(birth_date.year // 100 * 100)
    if signs is None:
        raise ValueError("identity codes have century signs for 1800-2099 only")
    sign = sign or signs[0]
    # One character: `in` on a string would also accept "YX" as a sign.
    if len(sign) != 1 or sign not in signs:
        raise ValueError("the century sign does not fit the year of birth")
    digits = f"{birth_date:%d%m}{birth_date.year % 100:02d}{individual:03d}"
    code = f"{digits[:6]}{sign}{digits[6:]}{CHECK_CHARACTERS[int(digits) % 31]}"
    ISSUED.add(code)
    return code


def random_identity_code(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    birth_date = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 65))
    signs = CENTURY_SIGNS[birth_date.year // 100 * 100]
    return identity_code_for(birth_date, rng.randrange(900, 1000), rng.choice(signs))
