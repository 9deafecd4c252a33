"""How long `rekisteri import customers FILE` takes for a shop moving in: N valid rows,
the dry run and then the import.

The file is what a shop exports from its old system: names and addresses from Faker's
`fi_FI` pools, phones written as people write them ("040 123 4567"), `example.fi`
emails, an identity code (900-series) on two rows in five, an email consent with its
evidence on one row in four, an SMS consent on one in ten and a direct marketing ban
on one in twenty. Every row is valid and unique, so every row is imported.

Both runs go through the command itself (`call_command`), as an operator types it, on
the configured database. The last line is one JSON object.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.db import connection

from bench.generate import FIRST_NUMBER, Pools, _ascii, identity_code_of, phone_of
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.consents.models import ConsentEvent
from rekisteri.customers.models import Customer, Source

DRY_RUN_TARGET_S = 30.0
IMPORT_TARGET_S = 60.0
HEADER = [
    "Etunimi",
    "Sukunimi",
    "Katuosoite",
    "Postinumero",
    "Postitoimipaikka",
    "Puhelin",
    "Sähköposti",
    "Henkilötunnus",
    "Kieli",
    "Sähköpostilupa",
    "Sähköpostiluvan todiste",
    "Tekstiviestilupa",
    "Tekstiviestiluvan todiste",
    "Suoramarkkinointikielto",
]
LANGUAGES = ("suomi", "suomi", "suomi", "suomi", "ruotsi", "englanti")
FIRST_CONSENT = datetime.date(2019, 1, 1)


def _spoken(phone: str) -> str:
    """+358401234567 as a person writes it: 040 123 4567."""
    national = "0" + phone.removeprefix("+358")
    return f"{national[:3]} {national[3:6]} {national[6:]}"


def _evidence(rng: random.Random, how: str) -> str:
    given = FIRST_CONSENT + datetime.timedelta(days=rng.randrange(5 * 365))
    return f"{how} {given:%Y-%m-%d}"


def customer_file(rows: int, *, seed: int) -> bytes:
    """A CSV file (`;`, UTF-8) of `rows` valid, distinct customers."""
    rng = random.Random(seed)
    pools = Pools.draw(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for offset in range(rows):
        # Customer numbers of the generator's: the identity codes and phones are unique.
        number = FIRST_NUMBER + offset
        surname, first = rng.choice(pools.surnames), rng.choice(pools.first_names)
        street, postal_code, post_office = rng.choice(pools.addresses)
        email_consent = rng.random() < 0.25
        sms_consent = rng.random() < 0.10
        writer.writerow(
            [
                first,
                surname,
                street,
                postal_code,
                post_office,
                _spoken(phone_of(number)),
                f"{_ascii(first)}.{_ascii(surname)}.{number}@example.fi",
                identity_code_of(number) if rng.random() < 0.4 else "",
                rng.choice(LANGUAGES),
                "kyllä" if email_consent else "ei",
                _evidence(rng, "verkkokauppa") if email_consent else "",
                "kyllä" if sms_consent else "",
                _evidence(rng, "lomake") if sms_consent else "",
                "kyllä" if rng.random() < 0.05 else "ei",
            ]
        )
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Run:
    seconds: float
    # This process's CPU time: on a shared machine it says what the run cost when
    # the wall time says how long it waited. On SQLite it includes the database's
    # work; PostgreSQL's is in its own processes.
    cpu_seconds: float
    output: str
    status: int


def _timed_import(path: Path, *options: str) -> Run:
    out = io.StringIO()
    status = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        call_command("import", "customers", str(path), *options, stdout=out)
    except CommandError as error:
        status = error.returncode
        out.write(f"[{error}]\n")
    return Run(
        time.perf_counter() - started, time.process_time() - cpu_started, out.getvalue(), status
    )


def main(*, rows: int, seed: int, directory: Path, database: Any) -> dict[str, Any]:
    path = directory / f"bench-import-{rows}.csv"
    started = time.perf_counter()
    raw = customer_file(rows, seed=seed)
    path.write_bytes(raw)
    print(
        f"wrote {rows:,} rows ({len(raw) / 2**20:.1f} MB) to {path} in "
        f"{time.perf_counter() - started:.1f} s; database {database.label}"
    )
    before = Customer.objects.count()
    load_before = os.getloadavg()[0]
    try:
        dry = _timed_import(path, "--dry-run")
        print(f"dry run: {dry.seconds:.1f} s ({dry.cpu_seconds:.1f} s CPU), status {dry.status}")
        print("  " + "\n  ".join(dry.output.splitlines()[:4]))
        imported = _timed_import(path)
        print(
            f"import: {imported.seconds:.1f} s ({imported.cpu_seconds:.1f} s CPU), "
            f"status {imported.status}"
        )
        print("  " + "\n  ".join(imported.output.splitlines()[:3]))
    finally:
        path.unlink(missing_ok=True)
    created = Customer.objects.filter(source=Source.IMPORT).count()
    result: dict[str, Any] = {
        "engine": connection.vendor,
        "rows": rows,
        "file_mb": round(len(raw) / 2**20, 1),
        "dry_run_s": round(dry.seconds, 1),
        "dry_run_cpu_s": round(dry.cpu_seconds, 1),
        "dry_run_rows_per_s": round(rows / dry.seconds),
        "dry_run_status": dry.status,
        "import_s": round(imported.seconds, 1),
        "import_cpu_s": round(imported.cpu_seconds, 1),
        "import_rows_per_s": round(rows / imported.seconds),
        "import_status": imported.status,
        "customers_before": before,
        "customers_imported": created,
        "consent_events": ConsentEvent.objects.count(),
        "customer_audit_events": AuditEvent.objects.filter(
            action=Action.CREATE, object_type="customers.customer"
        ).count(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    result["target_met"] = (
        dry.status == imported.status == 0
        and dry.seconds <= DRY_RUN_TARGET_S
        and imported.seconds <= IMPORT_TARGET_S
    )
    print(
        f"targets dry run <= {DRY_RUN_TARGET_S:g} s, import <= {IMPORT_TARGET_S:g} s: "
        f"{'met' if result['target_met'] else 'MISSED'}"
    )
    print(json.dumps(result))
    return result
