"""`rekisteri erasures replay`: erases again everyone the erasure log lists whom a
restored backup brought back. Run it after every restore (docs/erasure.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rekisteri.audit.services import Actor
from rekisteri.privacy.erasure.services import erasure_log_path, erasure_log_replay


class Command(BaseCommand):
    help = "Erasures: `replay` erases again anyone the erasure log lists who is back."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        subcommands.add_parser(
            "replay",
            help="Read the erasure log file and erase again every customer it lists who "
            "is not anonymised (after a backup restore).",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        erased = erasure_log_replay(actor=Actor.system("erasures replay"))
        self.stdout.write(f"Erasure log {erasure_log_path()} replayed: {erased} erased again.")
