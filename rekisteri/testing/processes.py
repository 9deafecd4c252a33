"""Running `rekisteri` in its own process against a data directory of its own, as a
scheduler or an administrator does: backups replace whole databases, so they are
tested on databases of their own, never on the test run's."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from rekisteri.backups import fileformat
from rekisteri.crypto import keyring

DEMO_PASSWORD = "demo-salasana-2026"
ERASE_ONE = """
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.privacy.erasure.services import customer_erase
customer = Customer.objects.filter(orders__isnull=True).order_by("customer_number").first()
customer_erase(actor=Actor.system("test"), customer=customer, reason="Asiakkaan oma pyyntö")
print(customer.public_id.hex)
"""

SAY_NO = """
import json
from rekisteri.audit.services import Actor
from rekisteri.consents.selectors import consent_state
from rekisteri.consents.services import (
    consent_withdraw, marketing_ban, marketing_ban_lift, marketing_object,
)
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure.services import customer_erase, customer_restrict
actor = Actor.system("test")
customers = list(Customer.objects.filter(status=Status.ACTIVE).order_by("customer_number"))
erased = next(customer for customer in customers if not customer.orders.exists())
consenting = next(
    customer for customer in customers
    if customer != erased and consent_state(customer).allows("email")
)
restricted = next(customer for customer in customers if customer not in (erased, consenting))
consent_withdraw(actor=actor, customer=consenting, channel="email", source="unsubscribe_link")
marketing_ban(actor=actor, customer=consenting, source="phone_call")
marketing_ban_lift(actor=actor, customer=consenting, source="phone_call")
marketing_object(actor=actor, customer=consenting, source="privacy_portal")
customer_restrict(actor=actor, customer=restricted, reason="Asiakkaan pyyntö puhelimitse")
customer_erase(actor=actor, customer=erased, reason="Asiakkaan oma pyyntö")
print(json.dumps({
    name: [customer.public_id.hex, str(customer.public_id), customer.customer_number]
    for name, customer in
    (("consenting", consenting), ("restricted", restricted), ("erased", erased))
}))
"""


def rekisteri_command() -> list[str]:
    script = shutil.which("rekisteri", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, str(Path(__file__).resolve().parents[2] / "manage.py")]


def environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The test run's environment (its keys, test mode) for a site in `data_dir`."""
    removed = ("DATABASE_URL", "REKISTERI_BACKUP_DIR", "REKISTERI_KEY_FILE")
    values = {k: v for k, v in os.environ.items() if k not in removed}
    values.update(
        REKISTERI_DATA_DIR=str(data_dir),
        REKISTERI_DEMO_PASSWORD=DEMO_PASSWORD,
        REKISTERI_LOG_LEVEL="WARNING",
    )
    values.update(overrides)
    return values


def run(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command
        [*rekisteri_command(), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def succeed(environment: dict[str, str], *arguments: str) -> str:
    result = run(environment, *arguments)
    assert result.returncode == 0, result.stderr
    return result.stdout


def erase_a_customer(environment: dict[str, str]) -> str:
    """Erases a customer without orders through the service; returns their public id."""
    return succeed(environment, "shell", "--no-imports", "-c", ERASE_ONE).strip()


def say_no(environment: dict[str, str]) -> dict[str, tuple[str, str, int]]:
    """A customer with an email opt-in withdraws it, is banned, has the ban lifted and
    objects; another is restricted; a third (without orders) is erased. Returns each
    one's public id (hex, and as printed) and customer number, by role."""
    said = json.loads(succeed(environment, "shell", "--no-imports", "-c", SAY_NO))
    return {name: (hex_id, public_id, number) for name, (hex_id, public_id, number) in said.items()}


class EndToEndSite(Protocol):
    """What the SQLite and PostgreSQL end-to-end tests' sites both offer."""

    environment: dict[str, str]
    data_dir: Path

    def query(self, statement: str, *parameters: object) -> list[tuple[Any, ...]]: ...


def restore_did_each_no_again(
    site: EndToEndSite,
    said: dict[str, tuple[str, str, int]],
    result: subprocess.CompletedProcess[str],
) -> None:
    """What both engines' restore story checks alike after `say_no` and a restore: the
    report lists each act done again, in order; each is audited as the restore's; the
    trail still verifies; and a second replay changes nothing."""
    consenting, restricted, erased = (said[name] for name in ("consenting", "restricted", "erased"))
    assert result.returncode == 0, result.stderr
    assert "Replay log replayed: 5 act(s) done again. Erasure log replayed: 1 customer(s)" in (
        result.stdout
    )
    listed = [line.strip().split("  ", 1)[1] for line in result.stdout.splitlines()[1:]]
    assert listed == [
        f"{kind}  customer {number} ({public_id}): done again"
        for kind, (_hex, public_id, number) in [
            ("withdrawal (email)", consenting),
            ("ban", consenting),
            ("ban_lifted", consenting),
            ("objection", consenting),
            ("restriction", restricted),
            ("erasure", erased),
        ]
    ]
    replays = site.query(
        "SELECT c.customer_number, a.action FROM audit_auditevent a JOIN customers_customer c"
        " ON a.customer_id = c.id WHERE a.actor_label = 'backup restore' ORDER BY a.id"
    )
    assert replays == [
        *[(consenting[2], "create")] * 4,
        (restricted[2], "update"),
        (erased[2], "erase"),
    ]
    audit = run(site.environment, "audit", "verify")
    assert audit.returncode == 0, audit.stderr
    events = site.query("SELECT COUNT(*) FROM audit_auditevent")

    again = succeed(site.environment, "replay")

    assert again == (
        f"Replay log {site.data_dir / 'replay-log.jsonl'} replayed: 0 act(s) done again, 0 "
        f"left as they were.\nErasure log {site.data_dir / 'erasure-log.jsonl'} replayed: 0 "
        "erased again.\n"
    )
    assert site.query("SELECT COUNT(*) FROM audit_auditevent") == events
    assert leftovers(site.data_dir) == []


def the_backup(data_dir: Path) -> Path:
    (path,) = (data_dir / "backups").glob("rekisteri-*Z.rkbackup")
    return path


def header_of(path: Path) -> fileformat.Header:
    with path.open("rb") as file:
        return fileformat.read_header(file, keyring())


def flip_a_bit(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(data_dir: Path) -> list[str]:
    """Working directories or partial files a command should have removed."""
    return sorted(
        p.name for p in data_dir.rglob(".*") if p.name.startswith((".backup-work-", ".rekisteri-"))
    )
