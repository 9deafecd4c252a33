"""`rekisteri audit verify` in its own process, as a scheduler runs it: the exit status
is what a timer or a monitoring check acts on."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="one engine is enough for the process wiring"
)

GENESIS = "0" * 64
# An event of chain format 1 (no MAC of its own; the hash covers it all), forged.
FORGED_EVENT = (
    "INSERT INTO audit_auditevent (seq, occurred_at, actor_type, actor_label, action,"
    " object_type, object_id, changed_fields, reason, personal_reason, request_id, mac,"
    " prev_hash, hash)"
    " VALUES (1, '2026-01-01 00:00:00', 'system', 'forger', 'view', '', '', '[]', '', '',"
    " '', '', ?, ?)"
)


def rekisteri_command() -> list[str]:
    script = shutil.which("rekisteri", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, str(Path(__file__).resolve().parents[3] / "manage.py")]


def run(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*rekisteri_command(), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_command_exits_0_when_intact_and_1_when_broken(tmp_path):
    """A fresh database passes; an event forged without the key fails it, saying where."""
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["REKISTERI_DATA_DIR"] = str(tmp_path)
    assert run(environment, "migrate", "--verbosity", "0").returncode == 0

    intact = run(environment, "audit", "verify")
    assert (intact.returncode, intact.stderr) == (0, "")
    assert intact.stdout == (
        f"Audit trail intact: 0 events, head {GENESIS}\n"
        "Not sealed yet: 0 events; checkpoints compared: 0\n"
    )

    with closing(sqlite3.connect(tmp_path / "rekisteri.sqlite3")) as database, database:
        forged_id = database.execute(FORGED_EVENT, [GENESIS, "f" * 64]).lastrowid
    broken = run(environment, "audit", "verify")

    assert (broken.returncode, broken.stdout) == (1, "")
    assert broken.stderr == (
        f"Audit trail broken at event seq 1 (id {forged_id}): "
        "its content does not match its hash (altered)\n"
    )
