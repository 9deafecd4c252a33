"""`rekisteri import customers FILE [--dry-run] [--mapping auto|JSON] [--report PATH]`:
the staff UI's customer import (docs/import.md) from the command line, in this
process, audited as the system. Prints a summary and the rows refused or with
remarks; --report writes the report of every row as CSV.

Exit status: 0 when every row is (or, with --dry-run, would be) imported, remarks
allowed; 1 when a row is refused (the other rows are imported all the same unless
--dry-run); 2 when nothing is done (a file or mapping that cannot be used). So
`rekisteri import customers F --dry-run && rekisteri import customers F` imports
only a file whose every row is good."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from rekisteri.audit.services import Actor
from rekisteri.imports.mapping import Target
from rekisteri.imports.models import CustomerImport
from rekisteri.imports.report import report_csv, report_lines
from rekisteri.imports.running import SYSTEM_LABEL
from rekisteri.imports.selectors import customer_import_report
from rekisteri.imports.services import MAX_FILE_BYTES, customer_file_import, file_header
from rekisteri.spreadsheets import header_key

NOTHING_DONE = 2
ROWS_REFUSED = 1


class Command(BaseCommand):
    help = "Imports data from a file: `import customers FILE` (docs/import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        customers = subcommands.add_parser(
            "customers",
            help="Import customers from a CSV or XLSX file whose first row names the columns.",
        )
        customers.add_argument("file", help="The CSV or XLSX file.")
        customers.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row as the import would, and report; store nothing.",
        )
        customers.add_argument(
            "--mapping",
            default="auto",
            help='"auto" (the default): the columns by the names in the first row; or a JSON '
            "object of field: column, the column by its name or number (from 1), such as "
            '\'{"surname": "Sukunimi", "first_names": 2}\'. Fields: ' + ", ".join(Target.values),
        )
        customers.add_argument(
            "--report", metavar="PATH", help="Write the report of every row here, as CSV."
        )

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        raw = self.read(Path(options["file"]))
        mapping = None if options["mapping"] == "auto" else self.mapping(options["mapping"], raw)
        dry_run = options["dry_run"]
        try:
            customer_import = customer_file_import(
                actor=Actor.system(SYSTEM_LABEL), raw=raw, mapping=mapping, dry_run=dry_run
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=NOTHING_DONE) from None
        self.summary(customer_import, dry_run=dry_run)
        if options["report"]:
            self.write_report(customer_import, Path(options["report"]))
        if customer_import.rows_refused:
            raise CommandError(
                f"Rows refused: {customer_import.rows_refused}.", returncode=ROWS_REFUSED
            )

    def read(self, path: Path) -> bytes:
        try:
            with path.open("rb") as file:
                return file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise CommandError(
                f"Cannot read {path}: {error.strerror}.", returncode=NOTHING_DONE
            ) from None

    def mapping(self, text: str, raw: bytes) -> dict[str, int]:
        """{"field": column name or number from 1} as {field: column index}."""
        try:
            given = json.loads(text)
        except json.JSONDecodeError:
            given = None
        if not isinstance(given, dict):
            raise CommandError(
                '--mapping is "auto" or a JSON object such as {"surname": "Sukunimi"}.',
                returncode=NOTHING_DONE,
            )
        try:
            header = [header_key(cell) for cell in file_header(raw)]
        except (ValidationError, StopIteration):
            header = []
        mapping = {}
        for field, column in given.items():
            if isinstance(column, int) and not isinstance(column, bool):
                mapping[str(field)] = column - 1
            elif isinstance(column, str) and header_key(column) in header:
                mapping[str(field)] = header.index(header_key(column))
            else:
                raise CommandError(
                    f"--mapping: no column {column!r} in the file's first row.",
                    returncode=NOTHING_DONE,
                )
        return mapping

    def summary(self, customer_import: CustomerImport, *, dry_run: bool) -> None:
        if dry_run:
            self.stdout.write("Dry run: nothing is stored.")
        columns = ", ".join(
            f"{target} = column {index + 1}"
            for target, index in sorted(customer_import.mapping.items(), key=lambda item: item[1])
        )
        self.stdout.write(f"Columns: {columns}")
        verb = "would be imported" if dry_run else "imported"
        self.stdout.write(
            f"Rows: {customer_import.rows_done}; {verb}: {customer_import.rows_accepted} "
            f"({customer_import.rows_with_remarks} with remarks); refused: "
            f"{customer_import.rows_refused}; consents {verb}: {customer_import.consents_imported}."
        )
        rows = customer_import_report(customer_import, problems_only=True)
        for line in report_lines(rows.iterator(chunk_size=2000)):
            for label, reason in line.problems:
                field = f"{label}: " if label else ""
                self.stdout.write(f"Row {line.number}: {line.status.lower()}: {field}{reason}")

    def write_report(self, customer_import: CustomerImport, path: Path) -> None:
        rows = customer_import_report(customer_import).iterator(chunk_size=2000)
        try:
            with path.open("w", encoding="utf-8", newline="") as file:
                file.writelines(report_csv(rows))
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stdout.write(f"Report written to {path}.")
