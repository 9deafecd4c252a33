"""A benchmark's own database and key ring, so that a run never touches the dev data.

SQLite: `$REKISTERI_DATA_DIR/bench-customers.sqlite3` with the settings' own SQLite
options (WAL and the rest), so the figures are those of the embedded default.
PostgreSQL (`DATABASE_URL` set): the same server, database `<name>_bench`.
The key ring lives beside the database: the blind indexes in it are only found
again with the ring that made them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SQLITE_NAME = "bench-customers.sqlite3"


@dataclass(frozen=True)
class BenchDatabase:
    engine: str  # "postgresql" or "sqlite"
    label: str  # database name or file, for the report
    key_file: Path
    server_url: str = ""  # PostgreSQL only: the bench database's URL
    sqlite_path: Path | None = None
    existed: bool = False  # was there before this run (and not dropped by --fresh)

    def drop(self) -> None:
        """Removes the bench database and its key ring."""
        from django.db import connections

        connections.close_all()
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
        else:
            _drop_postgresql(self.server_url)
        self.key_file.unlink(missing_ok=True)


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _drop_postgresql(url: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _maintenance_url(url)
    with psycopg.connect(maintenance, autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _ensure_postgresql(url: str, *, fresh: bool) -> bool:
    """Creates the database if missing (after dropping it, when fresh); True if it existed."""
    import psycopg
    from psycopg import sql

    maintenance, name = _maintenance_url(url)
    with psycopg.connect(maintenance, autocommit=True) as server:
        if fresh:
            server.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return exists is not None


def configure(*, fresh: bool, suffix: str = "bench") -> BenchDatabase:
    """Points Django at the bench database (created, migrated, keyed) and sets it up.

    On PostgreSQL the database is `<name>_<suffix>`: a benchmark that writes (order
    intake) takes a suffix of its own, so it never adds rows to another's kept register.
    Call before anything imports Django models."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "rekisteri.settings"
    os.environ["REKISTERI_MODE"] = "development"
    data_dir = Path(os.environ.get("REKISTERI_DATA_DIR") or BASE_DIR / "var").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["REKISTERI_DATA_DIR"] = str(data_dir)

    url = os.environ.get("DATABASE_URL", "")
    if url:
        parts = urlsplit(url)
        name = f"{parts.path.lstrip('/') or 'rekisteri'}_{suffix}"
        bench_url = urlunsplit(parts._replace(path=f"/{name}"))
        database = BenchDatabase(
            engine="postgresql",
            label=name,
            key_file=data_dir / f"bench-{name}.keys.json",
            server_url=bench_url,
        )
        # Data made with another key ring cannot be searched by identity code.
        fresh = fresh or not database.key_file.exists()
        existed = _ensure_postgresql(bench_url, fresh=fresh)
        database = dataclasses.replace(database, existed=existed)
        os.environ["DATABASE_URL"] = bench_url
    else:
        path = data_dir / SQLITE_NAME
        database = BenchDatabase(
            engine="sqlite",
            label=str(path),
            key_file=data_dir / "bench-customers.keys.json",
            sqlite_path=path,
        )
        fresh = fresh or not database.key_file.exists()
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        database = dataclasses.replace(database, existed=path.exists())
    if fresh:
        database.key_file.unlink(missing_ok=True)
    os.environ["REKISTERI_KEY_FILE"] = str(database.key_file)
    os.environ["REKISTERI_KEYS"] = ""

    import django
    from django.conf import settings

    if database.sqlite_path is not None:
        # Same engine options as the settings give the dev database; only the file differs.
        settings.DATABASES["default"]["NAME"] = database.sqlite_path
    django.setup()

    from django.core.management import call_command

    _ensure_key_ring(database.key_file)
    call_command("migrate", interactive=False, verbosity=0)
    return database


def _ensure_key_ring(key_file: Path) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from rekisteri import crypto

    if key_file.exists():
        return
    with contextlib.suppress(CommandError):  # no `keys` command in this version
        call_command("keys", "generate", "--if-missing")
    if not key_file.exists():
        crypto.write_key_file(crypto.KeyRing.generate(), key_file)
