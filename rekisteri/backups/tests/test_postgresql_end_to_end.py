"""`rekisteri backup` on PostgreSQL, end to end (P15): pg_dump of a snapshot, verified
in a throwaway database, restored with pg_restore. Each test has a database of its own,
created from a template made once and dropped afterwards; none of them touches the
test run's database. Skipped when no PostgreSQL server answers."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from rekisteri.crypto import KeyRing, keyring
from rekisteri.testing.processes import (
    environment,
    erase_a_customer,
    flip_a_bit,
    header_of,
    leftovers,
    restore_did_each_no_again,
    run,
    say_no,
    succeed,
    the_backup,
)

TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")


def server() -> dict[str, str] | None:
    """The server DATABASE_URL names, or the local one; None if none answers."""
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    config = dj_database_url.parse(url)
    parameters = {
        "host": str(config.get("HOST") or ""),
        "port": str(config.get("PORT") or ""),
        "user": str(config.get("USER") or ""),
        "password": str(config.get("PASSWORD") or ""),
    }
    parameters = {key: value for key, value in parameters.items() if value}
    if not all(shutil.which(tool) for tool in TOOLS):
        return None
    try:
        with psycopg.connect(make_conninfo(dbname="postgres", connect_timeout=3, **parameters)):
            return parameters
    except psycopg.Error:
        return None


SERVER = server()
pytestmark = pytest.mark.skipif(SERVER is None, reason="no PostgreSQL server answers")


def admin() -> psycopg.Connection[Any]:
    assert SERVER is not None
    return psycopg.connect(make_conninfo(dbname="postgres", **SERVER), autocommit=True)


def create_database(name: str, *, template: str = "template0") -> None:
    with closing(admin()) as database:
        database.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def drop_database(name: str) -> None:
    with closing(admin()) as database:
        database.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def databases_named(prefix: str) -> list[str]:
    with closing(admin()) as database:
        rows = database.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1", [prefix + "%"]
        ).fetchall()
    return [row[0] for row in rows]


def database_url(name: str) -> str:
    assert SERVER is not None
    user = SERVER.get("user", "")
    password = f":{SERVER['password']}" if "password" in SERVER else ""
    where = f"{SERVER.get('host', '')}:{SERVER.get('port', '5432')}"
    return f"postgres://{user}{password}@{where}/{name}"


@dataclass(frozen=True)
class Site:
    name: str
    data_dir: Path
    environment: dict[str, str]

    @property
    def backup(self) -> Path:
        return the_backup(self.data_dir)

    def query(self, statement: str, *parameters: object) -> list[tuple[Any, ...]]:
        assert SERVER is not None
        with psycopg.connect(make_conninfo(dbname=self.name, **SERVER)) as database:
            return database.execute(statement, parameters).fetchall()

    def fingerprint(self) -> list[tuple[Any, ...]]:
        """Every customer row and the audit chain's head: what a restore would change."""
        return [
            *self.query("SELECT * FROM customers_customer ORDER BY id"),
            *self.query("SELECT seq, hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1"),
        ]


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A migrated database with demo data and a backup of it, made once: the template
    of each test's database."""
    name = f"rekisteri_backup_golden_{secrets.token_hex(4)}"
    data_dir = tmp_path_factory.mktemp("golden-postgresql")
    create_database(name)
    try:
        site_environment = environment(data_dir, DATABASE_URL=database_url(name))
        succeed(site_environment, "migrate", "--verbosity", "0")
        succeed(site_environment, "demo", "--customers", "20")
        succeed(site_environment, "backup", "create")
        yield name, data_dir
    finally:
        drop_database(name)


@pytest.fixture
def site(golden: tuple[str, Path], tmp_path: Path) -> Iterator[Site]:
    template, golden_dir = golden
    name = f"rekisteri_backup_test_{secrets.token_hex(4)}"
    create_database(name, template=template)
    data_dir = tmp_path / "site"
    shutil.copytree(golden_dir, data_dir)
    try:
        yield Site(name, data_dir, environment(data_dir, DATABASE_URL=database_url(name)))
    finally:
        drop_database(name)
        for scratch in databases_named(f"{name}_verify_"):
            drop_database(scratch)


def test_verify_restores_into_a_throwaway_database_and_drops_it(site):
    backup = site.backup
    header = header_of(backup)
    manifest = header.manifest

    result = run(site.environment, "backup", "verify", str(backup))

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"Backup {backup.name} verified: {len(manifest.tables)} tables and {manifest.rows} rows "
        f"match the manifest; audit trail intact, {manifest.audit_head_seq} events, head "
        f"{manifest.audit_head_hash}.\n"
    )
    assert header.engine == "postgresql"
    assert manifest.tables["customers_customer"] == 20
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert databases_named(f"{site.name}_verify_") == []
    verified = site.query(
        "SELECT status, file_name FROM backups_backuprun WHERE verified_at IS NOT NULL"
    )
    assert verified == [("ok", backup.name)]
    assert leftovers(site.data_dir) == []


def test_restore_keeps_a_customer_erased_after_the_backup_erased(site):
    public_id = erase_a_customer(site.environment)
    # What the worker's sealer does within a second of the erasure.
    succeed(site.environment, "audit", "seal")
    (number,) = site.query(
        "SELECT customer_number FROM customers_customer WHERE public_id = %s", public_id
    )[0]

    result = run(site.environment, "backup", "restore", str(site.backup), "--yes")

    assert result.returncode == 0, result.stderr
    assert "Erasure log replayed: 1 customer(s) erased again." in result.stdout
    customer = site.query(
        "SELECT surname, first_names, email, phone, status FROM customers_customer"
        " WHERE public_id = %s",
        public_id,
    )
    assert customer == [(f"Poistettu asiakas {number}", "", "", "", "anonymised")]
    restores = site.query("SELECT status, file_name FROM backups_backuprun WHERE kind = 'restore'")
    assert restores == [("ok", site.backup.name)]
    audit = run(site.environment, "audit", "verify")
    assert audit.returncode == 0, audit.stderr
    triggers = site.query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass"
        " AND NOT tgisinternal ORDER BY 1"
    )
    assert triggers == [
        ("audit_auditevent_no_delete",),
        ("audit_auditevent_no_truncate",),
        ("audit_auditevent_no_update",),
    ]
    (previous,) = (site.data_dir / "backups").glob("*-pre-restore.rkbackup")
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600
    assert (
        header_of(previous).manifest.audit_head_seq > header_of(site.backup).manifest.audit_head_seq
    )
    assert leftovers(site.data_dir) == []


def test_restore_does_again_every_no_said_after_the_backup(site):
    """A withdrawal, a ban and its lift, an objection, a restriction and an erasure made
    after the backup all hold again after the restore, each audited and listed in its
    report; replaying again changes nothing (P6, P11; GDPR arts. 7(3), 17, 18, 21)."""
    said = say_no(site.environment)
    consenting, restricted, erased = (said[name] for name in ("consenting", "restricted", "erased"))
    succeed(site.environment, "audit", "seal")

    result = run(site.environment, "backup", "restore", str(site.backup), "--yes")

    restore_did_each_no_again(site, said, result)
    ledger = site.query(
        "SELECT e.kind, e.channel, e.source FROM consents_consentevent e JOIN customers_customer"
        " c ON e.customer_id = c.id WHERE c.public_id = %s ORDER BY e.id DESC LIMIT 4",
        consenting[1],
    )
    assert ledger == [
        ("objection", "", "privacy_portal"),
        ("ban_lifted", "", "phone_call"),
        ("ban", "", "phone_call"),
        ("withdrawal", "email", "unsubscribe_link"),
    ]
    statuses = site.query(
        "SELECT customer_number, status FROM customers_customer WHERE customer_number IN"
        " (%s, %s, %s)",
        consenting[2],
        restricted[2],
        erased[2],
    )
    assert dict(statuses) == {
        consenting[2]: "active",
        restricted[2]: "restricted",
        erased[2]: "anonymised",
    }


def test_a_tampered_backup_is_refused_and_the_live_database_is_untouched(site):
    backup = site.backup
    flip_a_bit(backup, backup.stat().st_size - 100)
    before = site.fingerprint()

    result = run(site.environment, "backup", "restore", str(backup), "--yes")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "CommandError: Backup refused: the file is tampered or damaged "
        "(chunk 0 failed authentication).\n"
    )
    assert site.fingerprint() == before
    assert list((site.data_dir / "backups").glob("*-pre-restore.rkbackup")) == []
    assert leftovers(site.data_dir) == []


def test_a_backup_made_with_a_key_not_in_the_ring_is_refused(site):
    before = site.fingerprint()
    other_keys = KeyRing.generate(key_id="k9").to_json()

    result = run(
        {**site.environment, "REKISTERI_KEYS": other_keys},
        "backup",
        "restore",
        str(site.backup),
        "--yes",
    )

    assert result.returncode == 1
    assert result.stderr == (
        f"CommandError: Backup refused: the key {keyring().active!r} this backup was made with "
        "is not in the key ring.\n"
    )
    assert site.fingerprint() == before
