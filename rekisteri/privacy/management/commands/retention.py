"""`rekisteri retention show` lists the retention policies; `rekisteri retention run
--dry-run` says what each would do now and why; `rekisteri retention run` does it,
audited. A scheduler runs the latter every night (docs/retention.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser, no_translations

from rekisteri.accounts.access_log import AccessLogReport, access_log_plan, access_log_prune
from rekisteri.audit.services import Actor
from rekisteri.privacy.requests.services import (
    unconfirmed_requests_due,
    unconfirmed_requests_expire,
)
from rekisteri.privacy.retention.services import (
    PolicyReport,
    retention_plan,
    retention_policies,
    retention_run,
)

ACTOR_LABEL = "retention"


class Command(BaseCommand):
    help = "Shows and runs the retention policies."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        subcommands.add_parser("show", help="List the policies: period and whether in use.")
        run = subcommands.add_parser(
            "run", help="Do what each policy in use says, audited; say what was done and why."
        )
        run.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say what each policy would do now, and why; change nothing.",
        )

    @no_translations
    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "show":
            self.show()
        elif options["dry_run"]:
            self.stdout.write("Dry run: nothing is changed.")
            self.write_reports(retention_plan())
            self.write_unconfirmed(due=unconfirmed_requests_due().count(), done=None)
            self.write_access_log(access_log_plan())
        else:
            actor = Actor.system(ACTOR_LABEL)
            self.write_reports(retention_run(actor=actor))
            due = unconfirmed_requests_due().count()
            self.write_unconfirmed(due=due, done=unconfirmed_requests_expire(actor=actor))
            self.write_access_log(access_log_prune(actor=actor))

    def show(self) -> None:
        for policy in retention_policies():
            state = "in use" if policy.enabled else "not in use"
            self.stdout.write(f"{policy.category}: {policy.months} months, {state}")

    def write_unconfirmed(self, *, due: int, done: int | None) -> None:
        self.stdout.write(f"unconfirmed portal requests ({settings.UNCONFIRMED_REQUEST_DAYS} days)")
        self.stdout.write(f"  due: {due}")
        if done is not None:
            self.stdout.write(f"  done: {done}")
        self.stdout.write("  what: delete")
        self.stdout.write("  why: anyone can make a request for any email; nobody confirmed these")

    def write_access_log(self, report: AccessLogReport) -> None:
        """The staff's sign-in records (django-axes), kept REKISTERI_ACCESS_LOG_DAYS."""
        self.stdout.write(f"access log ({report.days} days)")
        self.stdout.write(f"  cut-off: {report.cutoff.date().isoformat()}")
        self.stdout.write(
            f"  due: {report.due} ({report.attempts} attempts, {report.sign_ins} sign-ins)"
        )
        if report.done is not None:
            self.stdout.write(f"  done: {report.done}")
        self.stdout.write("  what: delete the records of sign-in attempts and sign-ins")
        self.stdout.write(f"  why: recorded more than {report.days} days ago")

    def write_reports(self, reports: list[PolicyReport]) -> None:
        for report in reports:
            self.stdout.write(f"{report.category} ({report.months} months)")
            if not report.enabled:
                self.stdout.write("  not in use: nothing is done")
                continue
            self.stdout.write(f"  cut-off: {report.cutoff.isoformat()}")
            self.stdout.write(f"  due: {report.due}")
            self.stdout.write(f"  held back by a legal hold: {report.held_back}")
            if report.is_report_only:
                self.stdout.write("  done: nothing (report only)")
            elif report.done is not None:
                self.stdout.write(f"  done: {report.done}")
            self.stdout.write(f"  what: {report.action}")
            self.stdout.write(f"  why: {report.reason}")
