"""`rekisteri audit verify`: proves the audit trail is whole, or names where it is not."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rekisteri.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Works with the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        subcommands.add_parser(
            "verify",
            help="Walk the hash chain from its first event and report the first one that "
            "is missing, altered or out of place. Exits 1 if the chain is broken.",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "verify":
            self.verify()

    def verify(self) -> None:
        report = audit_chain_verify()
        if not report.is_intact:
            self.stderr.write(
                f"Audit trail broken at event seq {report.broken_seq} (id {report.broken_id}): "
                f"{report.problem}"
            )
            sys.exit(1)
        self.stdout.write(f"Audit trail intact: {report.checked} events, head {report.head_hash}")
