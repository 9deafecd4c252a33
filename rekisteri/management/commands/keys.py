"""`rekisteri keys generate` creates the key ring (or adds a new active key to it);
`rekisteri keys reencrypt` re-encrypts stored values with the active key."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rekisteri import crypto


class Command(BaseCommand):
    help = "Manage the encryption keys: generate (or rotate) the key ring, re-encrypt data."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        generate = subcommands.add_parser(
            "generate", help="Create the key file; if it exists, add a new active key."
        )
        generate.add_argument(
            "--if-missing", action="store_true", help="Do nothing when the key file exists."
        )
        subcommands.add_parser(
            "reencrypt", help="Re-encrypt every stored value with the active key."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "generate":
            self.generate(if_missing=options["if_missing"])
        else:
            self.reencrypt()

    def generate(self, *, if_missing: bool) -> None:
        if settings.REKISTERI_KEYS:
            raise CommandError(
                "The keys come from REKISTERI_KEYS; change them where that variable is set."
            )
        path = Path(settings.REKISTERI_KEY_FILE)
        if not path.exists():
            crypto.write_key_file(crypto.KeyRing.generate(), path)
            self.stdout.write(f"Created the key file {path}. Back it up apart from the data.")
            return
        if if_missing:
            self.stdout.write(f"The key file {path} exists; nothing to do.")
            return
        ring = crypto.load_keyring(keys_json="", key_file=path).with_new_active_key()
        crypto.write_key_file(ring, path)
        self.stdout.write(
            f"Added key {ring.active} to {path} and made it active. Run "
            "`rekisteri keys reencrypt` to move stored values onto it."
        )

    def reencrypt(self) -> None:
        from rekisteri.customers.services import customers_reencrypt

        count = customers_reencrypt()
        self.stdout.write(f"Re-encrypted {count} value(s) with key {crypto.keyring().active}.")
