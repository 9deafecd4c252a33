"""`rekisteri backup` on SQLite, end to end (P15): create, verify and restore a real
database in its own data directory, and refuse what must be refused without touching
the live database."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from rekisteri.backups import fileformat
from rekisteri.backups.databases import sqlite_manifest
from rekisteri.crypto import KeyRing, keyring
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE
from rekisteri.testing.processes import (
    environment,
    erase_a_customer,
    flip_a_bit,
    header_of,
    leftovers,
    restore_did_each_no_again,
    run,
    say_no,
    sha256_of,
    succeed,
    the_backup,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="these run their own SQLite databases; once per CI run is enough",
)


@dataclass(frozen=True)
class Site:
    data_dir: Path
    environment: dict[str, str]

    @property
    def database(self) -> Path:
        return self.data_dir / "rekisteri.sqlite3"

    @property
    def backup(self) -> Path:
        return the_backup(self.data_dir)

    def query(self, sql: str, *parameters: object) -> list[tuple[object, ...]]:
        uri = f"{self.database.as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as database:
            return database.execute(sql, parameters).fetchall()

    def identity_codes(self) -> dict[str, str]:
        """Each customer's identity code, by public id, decrypted with the test keys."""
        rows = self.query(
            "SELECT public_id, identity_code_encrypted FROM customers_customer"
            " WHERE identity_code_encrypted != ''"
        )
        ring = keyring()
        return {
            str(public_id): ring.decrypt(
                str(token), purpose=IDENTITY_CODE_PURPOSE, row=str(uuid.UUID(str(public_id)))
            )
            for public_id, token in rows
        }

    def fingerprint(self) -> tuple[str, fileformat.Manifest]:
        with closing(sqlite3.connect(f"{self.database.as_uri()}?mode=ro", uri=True)) as database:
            return sha256_of(self.database), sqlite_manifest(database)


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated site with demo data and one backup, made once for the module."""
    data_dir = tmp_path_factory.mktemp("golden-sqlite")
    site_environment = environment(data_dir)
    succeed(site_environment, "migrate", "--verbosity", "0")
    succeed(site_environment, "demo", "--customers", "20")
    succeed(site_environment, "backup", "create")
    return data_dir


@pytest.fixture
def site(golden: Path, tmp_path: Path) -> Site:
    data_dir = tmp_path / "site"
    shutil.copytree(golden, data_dir)
    return Site(data_dir, environment(data_dir))


def test_create_writes_a_private_encrypted_file_and_records_the_run(site):
    backup = site.backup
    email = site.query("SELECT email FROM customers_customer WHERE email != '' LIMIT 1")[0][0]

    assert re.fullmatch(r"rekisteri-\d{8}T\d{6}Z\.rkbackup", backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    assert str(email).encode() not in backup.read_bytes()
    assert b"CREATE TABLE" not in backup.read_bytes()
    header = header_of(backup)
    assert header.engine == "sqlite"
    assert header.key_id == keyring().active
    assert header.manifest.tables["customers_customer"] == 20
    runs = site.query(
        "SELECT kind, status, file_name, size_bytes, sha256, key_id, error, verified_at"
        " FROM backups_backuprun"
    )
    assert runs == [
        (
            "create",
            "ok",
            backup.name,
            backup.stat().st_size,
            sha256_of(backup),
            keyring().active,
            "",
            None,
        )
    ]
    events = site.query(
        "SELECT actor_label, action, object_type FROM audit_auditevent"
        " WHERE object_type = 'backups.backuprun'"
    )
    assert events == [("backup create", "create", "backups.backuprun")]
    assert leftovers(site.data_dir) == []


def test_verify_checks_a_scratch_copy_against_the_manifest_and_marks_the_run(site):
    backup = site.backup
    manifest = header_of(backup).manifest

    result = run(site.environment, "backup", "verify", str(backup))

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"Backup {backup.name} verified: {len(manifest.tables)} tables and {manifest.rows} rows "
        f"match the manifest; audit trail intact, {manifest.audit_head_seq} events, head "
        f"{manifest.audit_head_hash}.\n"
    )
    assert site.query("SELECT COUNT(*) FROM backups_backuprun WHERE verified_at IS NOT NULL") == [
        (1,)
    ]
    assert leftovers(site.data_dir) == []


def test_restore_keeps_a_customer_erased_after_the_backup_erased(site):
    """The backup holds the customer; the erasure log brings the erasure back. Every
    other identity code comes back, and none is ever printed."""
    codes_before = site.identity_codes()
    public_id = erase_a_customer(site.environment)
    number, status = site.query(
        "SELECT customer_number, status FROM customers_customer WHERE public_id = ?", public_id
    )[0]
    assert status == "anonymised"

    result = run(site.environment, "backup", "restore", str(site.backup), "--yes")

    assert result.returncode == 0, result.stderr
    assert "Erasure log replayed: 1 customer(s) erased again." in result.stdout
    customer = site.query(
        "SELECT surname, first_names, email, phone, status FROM customers_customer"
        " WHERE public_id = ?",
        public_id,
    )
    assert customer == [(f"Poistettu asiakas {number}", "", "", "", "anonymised")]
    replays = site.query(
        "SELECT COUNT(*) FROM audit_auditevent a JOIN customers_customer c"
        " ON a.customer_id = c.id WHERE c.public_id = ? AND a.reason = 'erasure log replay'",
        public_id,
    )
    assert replays == [(1,)]
    restores = site.query("SELECT status, file_name FROM backups_backuprun WHERE kind = 'restore'")
    assert restores == [("ok", site.backup.name)]
    audit = run(site.environment, "audit", "verify")
    assert audit.returncode == 0, audit.stderr
    assert site.identity_codes() == {
        customer: code for customer, code in codes_before.items() if customer != public_id
    }
    said = result.stdout + result.stderr + audit.stdout + audit.stderr
    assert [code for code in codes_before.values() if code in said] == []
    triggers = site.query("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    assert triggers == [("audit_auditevent_no_delete",), ("audit_auditevent_no_update",)]
    previous = site.data_dir / "rekisteri.sqlite3.pre-restore"
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600
    with closing(sqlite3.connect(previous)) as kept:
        assert kept.execute(
            "SELECT status FROM customers_customer WHERE public_id = ?", [public_id]
        ).fetchall() == [("anonymised",)]
    assert leftovers(site.data_dir) == []


def test_restore_does_again_every_no_said_after_the_backup(site):
    """A withdrawal, a ban and its lift, an objection, a restriction and an erasure made
    after the backup all hold again after the restore, each audited and listed in its
    report; replaying again changes nothing (P6, P11; GDPR arts. 7(3), 17, 18, 21)."""
    said = say_no(site.environment)
    consenting, restricted, erased = (said[name] for name in ("consenting", "restricted", "erased"))

    result = run(site.environment, "backup", "restore", str(site.backup), "--yes")

    restore_did_each_no_again(site, said, result)
    ledger = site.query(
        "SELECT e.kind, e.channel, e.source FROM consents_consentevent e JOIN customers_customer"
        " c ON e.customer_id = c.id WHERE c.public_id = ? ORDER BY e.id DESC LIMIT 4",
        consenting[0],
    )
    assert ledger == [
        ("objection", "", "privacy_portal"),
        ("ban_lifted", "", "phone_call"),
        ("ban", "", "phone_call"),
        ("withdrawal", "email", "unsubscribe_link"),
    ]
    statuses = site.query(
        "SELECT public_id, status FROM customers_customer WHERE public_id IN (?, ?, ?)"
        " ORDER BY customer_number",
        consenting[0],
        restricted[0],
        erased[0],
    )
    assert dict(statuses) == {
        consenting[0]: "active",
        restricted[0]: "restricted",
        erased[0]: "anonymised",
    }


def test_a_tampered_backup_is_refused_and_the_live_database_is_untouched(site):
    backup = site.backup
    flip_a_bit(backup, backup.stat().st_size // 2)
    before = site.fingerprint()

    restore = run(site.environment, "backup", "restore", str(backup), "--yes")

    assert (restore.returncode, restore.stdout) == (1, "")
    assert restore.stderr == (
        "CommandError: Backup refused: the file is tampered or damaged "
        "(chunk 0 failed authentication).\n"
    )
    assert site.fingerprint() == before
    assert not (site.data_dir / "rekisteri.sqlite3.pre-restore").exists()
    assert site.query("SELECT COUNT(*) FROM backups_backuprun WHERE verified_at IS NOT NULL") == [
        (0,)
    ]
    assert leftovers(site.data_dir) == []


def test_a_backup_made_with_a_key_not_in_the_ring_is_refused(site):
    other_keys = KeyRing.generate(key_id="k9").to_json()
    before = site.fingerprint()

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
    assert not (site.data_dir / "rekisteri.sqlite3.pre-restore").exists()


def test_verify_finds_a_copy_that_does_not_match_its_manifest(site, tmp_path):
    """A backup sealed with the right key but whose content differs from its manifest
    (a bug, or someone holding the key): a row too many, an altered audit event and a
    dropped trigger are all reported, and the run is not marked verified."""
    payload = tmp_path / "payload.sqlite3"
    with site.backup.open("rb") as sealed, payload.open("wb") as plain:
        header = fileformat.decrypt(sealed, plain, ring=keyring()).header
    with closing(sqlite3.connect(payload)) as database, database:
        database.execute("DROP TRIGGER audit_auditevent_no_update")
        database.execute("UPDATE audit_auditevent SET reason = 'muutettu' WHERE seq = 5")
        database.execute("INSERT INTO django_content_type (app_label, model) VALUES ('x', 'y')")
    forged = site.data_dir / "backups" / "forged.rkbackup"
    with payload.open("rb") as plain, forged.open("wb") as sealed:
        fileformat.encrypt(
            plain,
            sealed,
            ring=keyring(),
            engine="sqlite",
            manifest=header.manifest,
            created_at=header.created_at,
        )

    result = run(site.environment, "backup", "verify", str(forged))

    content_types = header.manifest.tables["django_content_type"]
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] + "\n" == (
        "CommandError: Backup forged.rkbackup failed verification: table django_content_type "
        f"has {content_types + 1} rows, the manifest says {content_types}; the audit trail's "
        "append-only triggers are missing; the audit trail is broken at event seq 5: its "
        "content does not match its MAC (altered).\n"
    )
    assert site.query("SELECT COUNT(*) FROM backups_backuprun WHERE verified_at IS NOT NULL") == [
        (0,)
    ]


def test_a_scheduled_run_creates_verifies_and_rotates(site):
    """Two daily backups kept: today's newest and 3 January's; today's older one and
    those of 1 and 2 January go (the weekly and monthly ones are 3 January's too)."""
    golden = site.backup.name
    old = [f"rekisteri-202601{day:02d}T020000Z.rkbackup" for day in (1, 2, 3)]
    for name in old:
        (site.data_dir / "backups" / name).write_bytes(b"old")
    keep_two = {**site.environment, "REKISTERI_BACKUP_KEEP_DAILY": "2"}

    output = succeed(keep_two, "backup", "create", "--verify", "--rotate")

    # The audit trail's checkpoint file lives beside the backups; rotation leaves it.
    assert (site.data_dir / "backups" / "audit-checkpoints.jsonl").exists()
    names = sorted(p.name for p in (site.data_dir / "backups").glob("*.rkbackup"))
    assert len(names) == 2
    assert names[0] == old[2]
    newest = names[1]
    assert newest > golden
    assert output.splitlines()[1].startswith(f"Backup {newest} verified: ")
    assert output.splitlines()[2] == (
        f"Rotation removed 3 old backup(s): {golden}, {old[1]}, {old[0]}."
    )
    removed = site.query("SELECT file_name FROM backups_backuprun WHERE removed_at IS NOT NULL")
    assert removed == [(golden,)]
