"""`rekisteri intake woocommerce-sync`: pulls a WooCommerce store's changed orders.

WooCommerce never retries a failed webhook delivery; the sync makes up for any lost.
Each run starts where the integration's last successful run left off (or --since), and
stores what it pulls in the inbox, for the worker to make into orders. The worker runs
it on its own every REKISTERI_WOOCOMMERCE_SYNC_MINUTES; this runs it now, or from a
timer (deploy/systemd/rekisteri-woocommerce-sync.timer)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rekisteri.intake.models import Integration, IntegrationKind
from rekisteri.intake.services import integration_actor
from rekisteri.intake.woocommerce_sync import woocommerce_sync, woocommerce_sync_integrations


def _since(value: str) -> datetime.datetime:
    """ISO 8601 date or time; without an offset it is Finnish time."""
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--since {value!r} is not a time such as 2026-11-01 or 2026-11-01T08:00:00+02:00."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(datetime.UTC)


def _integration(value: str) -> Integration:
    try:
        found = Integration.objects.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        found = Integration.objects.filter(name__iexact=value.strip()).first()
    if found is None or found.kind != IntegrationKind.WOOCOMMERCE:
        raise CommandError(f"No WooCommerce integration has the id or name {value!r}.")
    if not found.is_active:
        raise CommandError(f"The integration {found.name!r} has been revoked.")
    return found


class Command(BaseCommand):
    help = "Works with the web shops orders come from."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        sync = subcommands.add_parser(
            "woocommerce-sync",
            help="Pull the orders WooCommerce stores changed since the last run (or a "
            "time) into the inbox. Exits 1 if any run failed.",
        )
        sync.add_argument(
            "--integration",
            help="The integration's id (UUID) or name; without it, every active "
            "WooCommerce integration with the shop address and a REST API key.",
        )
        sync.add_argument(
            "--since",
            help="ISO 8601 date or time; without an offset, Finnish time. Without it, "
            "where the last successful run left off.",
        )
        subcommands.add_parser(
            "remind",
            help="Email customer service, at most once a day, how many shop deliveries "
            "wait for a person (run daily from a timer).",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "woocommerce-sync":
            self.woocommerce_sync(options["integration"], options["since"])
        elif subcommand == "remind":
            self.remind()

    def remind(self) -> None:
        from rekisteri.intake.attention import attention_remind

        count = attention_remind()
        self.stdout.write(
            f"Reminded customer service of {count} deliveries needing attention."
            if count
            else "No reminder: none waits, or today's has gone."
        )

    def woocommerce_sync(self, integration_value: str | None, since_value: str | None) -> None:
        since = _since(since_value) if since_value else None
        if integration_value:
            integrations = [_integration(integration_value)]
        else:
            integrations = list(woocommerce_sync_integrations())
            if not integrations:
                self.stdout.write(
                    "No active WooCommerce integration has the shop address and a REST API key."
                )
                return
        failures = []
        for integration in integrations:
            run = woocommerce_sync(
                actor=integration_actor(integration), integration=integration, since=since
            )
            line = f"{integration.name} since {run.since:%Y-%m-%dT%H:%M:%SZ}: {run.outcome}"
            if run.failed:
                failures.append(line)
            else:
                self.stdout.write(line)
        if failures:
            # The exit status is 1; each failure is recorded on its integration too.
            raise CommandError("\n".join(failures))
