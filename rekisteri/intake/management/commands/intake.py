"""`rekisteri intake woocommerce-sync`: pulls a WooCommerce store's changed orders.

WooCommerce never retries a failed webhook delivery; running this from a timer (say
hourly, with --since a little further back than the last run) makes up for any lost."""

from __future__ import annotations

import datetime
import sys
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rekisteri.intake.models import Integration, IntegrationKind
from rekisteri.intake.services import integration_actor
from rekisteri.intake.woocommerce import SyncError, woocommerce_sync

OUTCOMES = ("created", "updated", "unchanged", "stale", "refused")


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
            help="Pull the orders a WooCommerce store changed since a time and take each "
            "as its webhook would. Exits 1 if any order was refused.",
        )
        sync.add_argument(
            "--integration", required=True, help="The integration's id (UUID) or name."
        )
        sync.add_argument(
            "--since",
            required=True,
            help="ISO 8601 date or time; without an offset, Finnish time.",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "woocommerce-sync":
            self.woocommerce_sync(options["integration"], options["since"])

    def woocommerce_sync(self, integration_value: str, since_value: str) -> None:
        integration = _integration(integration_value)
        since = _since(since_value)
        try:
            outcomes = woocommerce_sync(
                actor=integration_actor(integration),
                integration=integration,
                since=since.strftime("%Y-%m-%dT%H:%M:%S"),
            )
        except SyncError as error:
            raise CommandError(str(error)) from None
        summary = ", ".join(f"{outcome} {outcomes[outcome]}" for outcome in OUTCOMES)
        self.stdout.write(f"{integration.name} since {since:%Y-%m-%dT%H:%M:%SZ}: {summary}")
        if outcomes["refused"]:
            self.stderr.write("Some orders were refused; the audit log names their fields.")
            sys.exit(1)
