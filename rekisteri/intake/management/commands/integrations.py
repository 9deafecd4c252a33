"""`rekisteri integrations create|list|set-secret|revoke`: web shop integrations from the
shell."""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.services import Actor
from rekisteri.intake.models import Integration, IntegrationKind
from rekisteri.intake.services import (
    integration_create,
    integration_invoice_sales_set,
    integration_revoke,
    integration_shop_secret_set,
)

ACTOR = Actor.system("cli:integrations")


class Command(BaseCommand):
    help = "Creates, lists and revokes web shop integrations."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        create = subcommands.add_parser(
            "create",
            help="Create an integration and print its id and its API key or webhook secret "
            "(shown this once only).",
        )
        create.add_argument("--kind", required=True, choices=IntegrationKind.values)
        create.add_argument("--name", required=True)
        create.add_argument("--shop-url", default="")
        create.add_argument(
            "--invoice-sales",
            action="store_true",
            help="The shop sells on invoice: it may send invoice orders with the buyer's "
            "identity code for the credit check. Without it, orders with a code are refused.",
        )
        create.add_argument("--json", action="store_true", help="Print one JSON object.")
        subcommands.add_parser("list", help="List the integrations.")
        secret = subcommands.add_parser(
            "set-secret",
            help="Set the webhook secret a shop chose (Shopify), from REKISTERI_SHOP_SECRET "
            "or asked for; never on the command line, where other users could see it.",
        )
        secret.add_argument("id", help="The integration's id (a UUID) or database number.")
        invoice = subcommands.add_parser(
            "invoice-sales",
            help="Allow (on) or stop (off) invoice orders and identity codes from an integration.",
        )
        invoice.add_argument("id", help="The integration's id (a UUID) or database number.")
        invoice.add_argument("state", choices=["on", "off"])
        revoke = subcommands.add_parser("revoke", help="Revoke an integration for good.")
        revoke.add_argument("id", help="The integration's id (a UUID) or database number.")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "create":
            self.create(options)
        elif subcommand == "list":
            self.list()
        elif subcommand == "set-secret":
            self.set_secret(options["id"])
        elif subcommand == "invoice-sales":
            self.invoice_sales(options["id"], options["state"] == "on")
        else:
            self.revoke(options["id"])

    def create(self, options: dict[str, Any]) -> None:
        try:
            created = integration_create(
                actor=ACTOR,
                kind=options["kind"],
                name=options["name"],
                shop_url=options["shop_url"],
                sells_on_invoice=options["invoice_sales"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        credential = {"api_key": created.api_key} if created.api_key else {"secret": created.secret}
        if options["json"]:
            self.stdout.write(json.dumps({"id": str(created.integration.public_id), **credential}))
            return
        self.stdout.write(f"id: {created.integration.public_id}")
        for label, value in credential.items():
            self.stdout.write(f"{label}: {value}")
        self.stdout.write("Store it now: it is not shown again.")

    def list(self) -> None:
        for integration in Integration.objects.order_by("created_at"):
            self.stdout.write(
                "\t".join(
                    [
                        str(integration.public_id),
                        integration.kind,
                        integration.name,
                        "sells on invoice" if integration.sells_on_invoice else "no invoice",
                        f"created {integration.created_at.isoformat()}",
                        f"last used {integration.last_used_at.isoformat()}"
                        if integration.last_used_at
                        else "never used",
                        f"revoked {integration.revoked_at.isoformat()}"
                        if integration.revoked_at
                        else "active",
                    ]
                )
            )

    def _integration(self, identifier: str) -> Integration:
        lookup = {"pk": int(identifier)} if identifier.isdigit() else {"public_id": identifier}
        try:
            return Integration.objects.get(**lookup)
        except (Integration.DoesNotExist, ValidationError):
            raise CommandError(f"No integration {identifier}.") from None

    def set_secret(self, identifier: str) -> None:
        integration = self._integration(identifier)
        if integration.kind == IntegrationKind.GENERIC or not integration.is_active:
            raise CommandError("Only an active WooCommerce or Shopify integration has one.")
        secret = os.environ.get("REKISTERI_SHOP_SECRET") or getpass.getpass("Secret: ")
        try:
            integration_shop_secret_set(actor=ACTOR, integration=integration, secret=secret)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Changed the webhook secret of {integration.name}.")

    def invoice_sales(self, identifier: str, sells_on_invoice: bool) -> None:
        integration = integration_invoice_sales_set(
            actor=ACTOR,
            integration=self._integration(identifier),
            sells_on_invoice=sells_on_invoice,
        )
        state = "sells on invoice" if integration.sells_on_invoice else "does not sell on invoice"
        self.stdout.write(f"{integration.name} {state}.")

    def revoke(self, identifier: str) -> None:
        integration = self._integration(identifier)
        revoked = integration_revoke(actor=ACTOR, integration=integration)
        self.stdout.write(f"Revoked {revoked.public_id} ({revoked.name}).")
