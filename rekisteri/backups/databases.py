"""What a backup needs of each database engine: a consistent snapshot with its manifest,
a scratch copy to check, and replacing the live database.

SQLite: the online backup API, which copies a consistent state without stopping the
app's writers (WAL) and, in reverse, replaces the live database in one transaction.
PostgreSQL: `pg_dump --format=custom` of a snapshot exported by a REPEATABLE READ
transaction, which also counts the rows, so the manifest and the dump agree; and
`pg_restore`. The client tools get the connection settings through libpq's environment
variables (PGPASSWORD among them), never as arguments a process list would show.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection, connections, transaction
from psycopg import sql
from psycopg.conninfo import make_conninfo

from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import GENESIS_HASH
from rekisteri.backups.fileformat import Manifest

AUDIT_TABLE = "audit_auditevent"
SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
POSTGRESQL_TABLES = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
AUDIT_TRIGGERS = {
    "sqlite": frozenset({"audit_auditevent_no_update", "audit_auditevent_no_delete"}),
    "postgresql": frozenset(
        {"audit_auditevent_no_update", "audit_auditevent_no_delete", "audit_auditevent_no_truncate"}
    ),
}
CHAIN_BATCH = 2000
LOCK_TIMEOUT = "30s"  # a restore waits this long for the app's locks, then gives up
# libpq's connection keywords and the environment variables the client tools read them from.
LIBPQ_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class DatabaseError(Exception):
    """The engine or its tools refused; the message is one line without personal data."""


# Manifests -----------------------------------------------------------------------------


def _migrations(rows: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted(f"{app}.{name}" for app, name in rows))


def _count_sql(quoted_table: str) -> str:
    # The names come from the database's own catalogue, and are quoted.
    return f"SELECT COUNT(*) FROM {quoted_table}"  # noqa: S608  # nosec B608


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_manifest(database: sqlite3.Connection) -> Manifest:
    tables = [name for (name,) in database.execute(SQLITE_TABLES)]
    counts = {
        table: database.execute(_count_sql(_sqlite_quote(table))).fetchone()[0] for table in tables
    }
    head = database.execute(
        "SELECT seq, hash FROM audit_auditevent WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    migrations = database.execute("SELECT app, name FROM django_migrations").fetchall()
    return Manifest(
        tables=counts,
        audit_head_seq=head[0] if head else 0,
        audit_head_hash=head[1] if head else GENESIS_HASH,
        migrations=_migrations(migrations),
    )


def _postgresql_manifest(database: psycopg.Connection[Any]) -> Manifest:
    tables = [row[0] for row in database.execute(POSTGRESQL_TABLES)]
    counts: dict[str, int] = {}
    for table in tables:
        row = database.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()
        counts[table] = row[0] if row else 0
    head = database.execute(
        sql.SQL("SELECT seq, hash FROM {} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").format(
            sql.Identifier(AUDIT_TABLE)
        )
    ).fetchone()
    migrations = database.execute("SELECT app, name FROM django_migrations").fetchall()
    return Manifest(
        tables=counts,
        audit_head_seq=head[0] if head else 0,
        audit_head_hash=head[1] if head else GENESIS_HASH,
        migrations=_migrations([(app, name) for app, name in migrations]),
    )


# SQLite ---------------------------------------------------------------------------------


def sqlite_snapshot(target: Path) -> Manifest:
    """Copies the live database to `target` (a new file) with the online backup API."""
    connection.ensure_connection()
    if connection.in_atomic_block:
        # The API waits for the source's own write transaction to end: it never would.
        raise DatabaseError("a backup cannot be taken inside a database transaction")
    live = connection.connection
    with closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        return sqlite_manifest(copy)


def sqlite_live_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    path = Path(name)
    if name.startswith("file:") or ":memory:" in name or not path.is_file():
        raise DatabaseError("the live SQLite database is not a file that can be replaced")
    return path


def sqlite_replace(payload: Path) -> Path:
    """Replaces the live database's content with `payload`'s in one SQLite transaction,
    after copying the current content to `<database>.pre-restore` (mode 0600).

    Through the backup API rather than by renaming files: the WAL and shared-memory
    files stay consistent, and a connection still open elsewhere sees either all of
    the old database or all of the new one."""
    live = sqlite_live_path()
    connections.close_all()
    previous = live.with_name(live.name + ".pre-restore")
    partial = live.with_name(f".{live.name}.pre-restore.{secrets.token_hex(4)}")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            closing(sqlite3.connect(live, timeout=30)) as current,
            closing(sqlite3.connect(partial)) as copy,
        ):
            current.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, previous)
    finally:
        partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(payload)) as restored,
        closing(sqlite3.connect(live, timeout=30)) as current,
    ):
        restored.backup(current)
    return previous


def sqlite_integrity_problems(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as database:
        result = [row[0] for row in database.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            return [f"SQLite's integrity check failed: {result[0]}"]
        broken = database.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            return [f"{len(broken)} row(s) point at rows that do not exist (foreign keys)"]
    return []


@contextmanager
def sqlite_scratch(path: Path) -> Iterator[str]:
    """A connection alias to the SQLite file `path`, removed afterwards."""
    settings_dict = connections.configure_settings(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )["default"]
    with _alias(settings_dict) as alias:
        yield alias


# PostgreSQL -----------------------------------------------------------------------------


def libpq_parameters(settings_dict: dict[str, Any], *, dbname: str = "") -> dict[str, str]:
    """The connection keywords of Django's settings for psycopg and the client tools."""
    options = settings_dict.get("OPTIONS") or {}
    parameters = {
        "dbname": dbname or settings_dict.get("NAME") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
    }
    parameters.update({k: str(v) for k, v in options.items() if k in LIBPQ_ENVIRONMENT})
    return {key: str(value) for key, value in parameters.items() if value}


def libpq_environment(parameters: dict[str, str]) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in LIBPQ_ENVIRONMENT.values()}
    environment.update({LIBPQ_ENVIRONMENT[k]: v for k, v in parameters.items()})
    return environment


@contextmanager
def _postgresql_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        first_line = (str(error).strip().splitlines() or ["no message"])[0]
        raise DatabaseError(f"PostgreSQL: {first_line[:300]}") from None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseError(f"{name} is not installed (PostgreSQL's client tools)")
    return path


def _run_tool(arguments: list[str], parameters: dict[str, str], what: str) -> None:
    environment = libpq_environment(parameters)
    with tempfile.TemporaryFile() as errors:
        returncode = subprocess.run(  # noqa: S603 - fixed tool, our own arguments, no shell
            arguments,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            check=False,
        ).returncode
        if returncode:
            raise DatabaseError(f"{what} failed: {_last_line(errors)}")


def _last_line(errors: Any) -> str:
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return (lines[-1] if lines else "no message")[:300]


@contextmanager
def postgresql_snapshot() -> Iterator[tuple[str, Manifest]]:
    """An exported snapshot of the live database, its manifest counted in it, held open
    until the `with` ends: `pg_dump --snapshot` dumps exactly what was counted."""
    parameters = libpq_parameters(connection.settings_dict)
    with _postgresql_errors(), psycopg.connect(make_conninfo(**parameters)) as database:
        database.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        database.read_only = True
        row = database.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        manifest = _postgresql_manifest(database)
        yield row[0], manifest
        database.rollback()


@contextmanager
def postgresql_dump(snapshot: str) -> Iterator[subprocess.Popen[bytes]]:
    """`pg_dump` of the snapshot, its archive on the process's stdout."""
    parameters = libpq_parameters(connection.settings_dict)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed tool, our own arguments, no shell
            [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password"],
            env=libpq_environment(parameters),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        try:
            yield process
        except BaseException:
            process.kill()
            raise
        finally:
            assert process.stdout is not None
            process.stdout.close()
            returncode = process.wait()
        if returncode:
            raise DatabaseError(f"pg_dump failed: {_last_line(errors)}")


def postgresql_archive_check(archive: Path) -> None:
    """Reads the archive's table of contents: is it something pg_restore can restore?"""
    _run_tool([_tool("pg_restore"), "--list", str(archive)], {}, "reading the archive")


def _live_connection() -> psycopg.Connection[Any]:
    parameters = libpq_parameters(connection.settings_dict)
    return psycopg.connect(make_conninfo(**parameters), autocommit=True)


@contextmanager
def postgresql_scratch(archive: Path) -> Iterator[str]:
    """A throwaway database `<name>_verify_<random>` with the archive restored into it,
    as a connection alias; dropped afterwards whatever happens."""
    base = str(connection.settings_dict["NAME"])[:40]
    name = f"{base}_verify_{secrets.token_hex(4)}"
    with _postgresql_errors(), closing(_live_connection()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        parameters = libpq_parameters(connection.settings_dict, dbname=name)
        _run_tool(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={name}",
                str(archive),
            ],
            parameters,
            "pg_restore into a scratch database",
        )
        with _alias({**connection.settings_dict, "NAME": name}) as alias:
            yield alias
    finally:
        with _postgresql_errors(), closing(_live_connection()) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgresql_replace(archive: Path, manifest: Manifest) -> None:
    """Restores the archive over the live database in one transaction (`--clean`): it
    either all happens or the database is left as it was. Tables the backup does not
    have (made by newer migrations) are dropped afterwards, for `migrate` to make anew."""
    connections.close_all()
    parameters = libpq_parameters(connection.settings_dict)
    options = parameters.get("options", "")
    parameters["options"] = f"{options} -c lock_timeout={LOCK_TIMEOUT}".strip()
    _run_tool(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={parameters['dbname']}",
            str(archive),
        ],
        parameters,
        "pg_restore (the database was left as it was)",
    )
    with _postgresql_errors(), closing(_live_connection()) as database:
        present = {row[0] for row in database.execute(POSTGRESQL_TABLES)}
        with database.transaction():
            for table in sorted(present - set(manifest.tables)):
                database.execute(
                    sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table))
                )


# Both engines ---------------------------------------------------------------------------


@contextmanager
def _alias(settings_dict: dict[str, Any]) -> Iterator[str]:
    alias = f"backup_scratch_{secrets.token_hex(4)}"
    connections.settings[alias] = settings_dict
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def audit_triggers(alias: str = "default") -> set[str]:
    database = connections[alias]
    with database.cursor() as cursor:
        if database.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [AUDIT_TABLE],
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
                [AUDIT_TABLE],
            )
        return {row[0] for row in cursor.fetchall()}


def audit_triggers_ensure() -> bool:
    """Makes the audit table append-only again, as its migrations do, should a restore
    have lost the triggers. Returns whether any had to be made."""
    if AUDIT_TRIGGERS[connection.vendor] <= audit_triggers():
        return False
    updates = importlib.import_module("rekisteri.audit.migrations.0002_append_only_triggers")
    truncate = importlib.import_module("rekisteri.audit.migrations.0003_refuse_truncate")
    # 0007 lets exactly one UPDATE through: the sealing of an unsealed event.
    sealing = importlib.import_module("rekisteri.audit.migrations.0007_sealing_and_subject_keys")
    if connection.vendor == "sqlite":
        statements = list(sealing.SQLITE)
    else:
        statements = [
            *truncate.POSTGRESQL_DROP,
            *updates.POSTGRESQL_DROP,
            *updates.POSTGRESQL_CREATE,
            *sealing.POSTGRESQL,
            *truncate.POSTGRESQL_CREATE,
        ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return True


def table_counts(alias: str) -> dict[str, int]:
    """Rows per table, of the tables the manifests count (not SQLite's own)."""
    database = connections[alias]
    with database.cursor() as cursor:
        cursor.execute(SQLITE_TABLES if database.vendor == "sqlite" else POSTGRESQL_TABLES)
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(_count_sql(database.ops.quote_name(table)))
            counts[table] = cursor.fetchone()[0]
    return counts


def audit_chain_problems(alias: str, manifest: Manifest) -> tuple[list[str], int]:
    """Walks the copy's audit chain as `rekisteri audit verify` walks the live one
    (the sealed chain, each unsealed event's MAC, the checkpoints in the copy), and
    checks that it ends at the head the manifest recorded. Returns the problems and
    how many sealed events were checked."""
    report = audit_chain_verify(using=alias, with_file=False)
    if not report.is_intact:
        where = f"seq {report.broken_seq}" if report.broken_seq is not None else "its end"
        return [f"the audit trail is broken at event {where}: {report.problem}"], report.checked
    if (report.checked, report.head_hash) != (manifest.audit_head_seq, manifest.audit_head_hash):
        return [
            f"the audit trail ends at seq {report.checked}, the manifest says seq "
            f"{manifest.audit_head_seq} (hash {manifest.audit_head_hash[:12]}…)"
        ], report.checked
    return [], report.checked
