"""The import benchmark on a small file in the test database: every row of the file it
writes is valid and distinct, so the dry run and the import pass them all and the
import audits each customer. No timing is asserted."""

from __future__ import annotations

import json

import pytest

from bench import import_customers
from rekisteri.customers.models import Customer, Source

ROWS = 40


@pytest.mark.django_db
def test_it_imports_every_row_of_the_file_it_writes(tmp_path, capsys) -> None:
    result = import_customers.main(
        rows=ROWS, seed=7, directory=tmp_path, database=type("D", (), {"label": "test"})
    )

    assert (result["dry_run_status"], result["import_status"]) == (0, 0)
    assert Customer.objects.filter(source=Source.IMPORT).count() == ROWS
    assert result["customer_audit_events"] == ROWS
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (last["rows"], last["customers_imported"]) == (ROWS, ROWS)
    assert {"dry_run_s", "dry_run_cpu_s", "import_s", "import_cpu_s", "target_met"} <= set(last)
    assert not list(tmp_path.iterdir())  # the file is deleted
