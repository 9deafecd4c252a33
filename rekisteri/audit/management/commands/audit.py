"""`rekisteri audit verify`: proves the audit trail is whole, or names where it is not.
`rekisteri audit seal`: gives committed events their place in the chain now (the worker
does it every second) and writes a checkpoint.
`rekisteri audit flush-refusals`: writes the counts of refusals whose window has closed
(rekisteri/audit/refusals.py; run by a timer in deploy/)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rekisteri.audit.refusals import refusals_flush
from rekisteri.audit.sealing import audit_seal
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
        subcommands.add_parser(
            "seal",
            help="Give every committed event its place in the hash chain now and write a "
            "checkpoint (the worker seals every second).",
        )
        subcommands.add_parser(
            "flush-refusals",
            help="Write one event with the count for each source whose window of counted "
            "refusals (no or a wrong API key, an unsigned webhook, a failed sign-in) has "
            "closed.",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "verify":
            self.verify()
        elif subcommand == "seal":
            run = audit_seal()
            if not run.elected:
                self.stdout.write("Another sealer is at work; nothing sealed here.")
            else:
                self.stdout.write(
                    f"Sealed {run.sealed} events; head {run.head.seq} {run.head.hash}"
                )
        elif subcommand == "flush-refusals":
            closed = refusals_flush()
            self.stdout.write(f"Refusal counts written: {closed} windows closed.")

    def verify(self) -> None:
        report = audit_chain_verify()
        if not report.is_intact:
            where = (
                f"event seq {report.broken_seq} (id {report.broken_id})"
                if report.broken_seq is not None
                else f"event id {report.broken_id}"
                if report.broken_id is not None
                else "its checkpoints"
            )
            self.stderr.write(f"Audit trail broken at {where}: {report.problem}")
            sys.exit(1)
        self.stdout.write(f"Audit trail intact: {report.checked} events, head {report.head_hash}")
        lag = (
            f", the oldest waiting {report.sealing_lag.total_seconds():.1f} s"
            if report.sealing_lag is not None
            else ""
        )
        self.stdout.write(
            f"Not sealed yet: {report.unsealed} events{lag}; "
            f"checkpoints compared: {report.checkpoints}"
        )
