"""`rekisteri keys generate` creates the key ring (or adds a new active encryption key
to it); `rekisteri keys rotate` rotates the encryption and blind-index keys: new keys,
every stored value moved onto them in batches while the app runs, the old keys retired
(see `rekisteri.key_rotation`); `rekisteri keys reencrypt` only moves stored values
onto the active keys, without retiring anything (the middle step of `rotate`, and the
way to rotate keys that come from REKISTERI_KEYS)."""

from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rekisteri import crypto
from rekisteri.audit.services import Actor


def _batch_size(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ArgumentTypeError("give a whole number of at least 1")
    return int(text)


class Command(BaseCommand):
    help = "Manage the encryption keys: generate the key ring, rotate its keys, re-encrypt data."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        generate = subcommands.add_parser(
            "generate", help="Create the key file; if it exists, add a new active key."
        )
        generate.add_argument(
            "--if-missing", action="store_true", help="Do nothing when the key file exists."
        )
        rotate = subcommands.add_parser(
            "rotate",
            help="New encryption and index keys, stored values moved onto them, old keys "
            "retired; run again, it resumes an unfinished rotation.",
        )
        rotate.add_argument(
            "--retire-restriction-list-key",
            action="store_true",
            help="Retire the old index key even if the ASML restriction list in force "
            "needs it (post exports are refused until a new list is imported).",
        )
        reencrypt = subcommands.add_parser(
            "reencrypt", help="Move every stored value onto the active keys; retire nothing."
        )
        for subcommand in (rotate, reencrypt):
            subcommand.add_argument(
                "--batch-size",
                type=_batch_size,
                default=500,
                help="Values per transaction (default 500).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "generate":
            self.generate(if_missing=options["if_missing"])
        elif options["subcommand"] == "rotate":
            self.rotate(
                batch_size=options["batch_size"],
                retire_restriction_list_key=options["retire_restriction_list_key"],
            )
        else:
            self.reencrypt(batch_size=options["batch_size"])

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
        retired = crypto.load_retired_keys(crypto.retired_key_file(path))
        ring = crypto.load_keyring(keys_json="", key_file=path)
        ring = ring.with_new_active_key(taken=retired.key_ids)
        crypto.write_key_file(ring, path)
        self.stdout.write(
            f"Added key {ring.active} to {path} and made it active. Run "
            "`rekisteri keys rotate` to move stored values onto it and retire the old key."
        )

    def rotate(self, *, batch_size: int, retire_restriction_list_key: bool) -> None:
        from rekisteri import key_rotation

        if settings.REKISTERI_KEYS:
            raise CommandError(
                "The keys come from REKISTERI_KEYS, which this command cannot change. Add a "
                "new encryption key and a new index key there and make them active, restart "
                "the app, run `rekisteri keys reencrypt`, then remove the old keys "
                "(docs/security.md)."
            )
        path = Path(settings.REKISTERI_KEY_FILE)
        if not path.exists():
            raise CommandError(f"There is no key file {path}: run `rekisteri keys generate`.")
        actor = Actor.system("keys rotate")
        retired = crypto.load_retired_keys(crypto.retired_key_file(path))
        ring = crypto.load_keyring(keys_json="", key_file=path)
        if key_rotation.rotation_is_unfinished(ring):
            self.stdout.write(
                f"Resuming the unfinished rotation to encryption key {ring.active} and index "
                f"key {ring.index_active}."
            )
        else:
            ring = key_rotation.rotation_begin(
                ring=ring, key_file=path, actor=actor, retired=retired
            )
            self.stdout.write(
                f"Added encryption key {ring.active} and index key {ring.index_active} to "
                f"{path} and made them active: new values use them from now on."
            )
        self._move(ring.with_retired(retired), actor=actor, batch_size=batch_size)
        try:
            retirement = key_rotation.rotation_finish(
                ring=ring,
                key_file=path,
                actor=actor,
                retire_restriction_list_key=retire_restriction_list_key,
            )
        except key_rotation.RotationError as error:
            raise CommandError(str(error)) from None
        if retirement.key_ids:
            self.stdout.write(
                f"Retired key(s) {', '.join(retirement.key_ids)}: removed from {path}, kept in "
                f"{retirement.retired_file} for the backups made before. Keep that file with "
                "those backups, apart from them (docs/backups.md)."
            )
        if retirement.held_index:
            self.stdout.write(
                f"Index key {retirement.held_index} is kept: the ASML restriction list in "
                "force was digested with it and cannot be digested again. Import a new list, "
                "then run `rekisteri keys rotate` again to retire it (or run it with "
                "--retire-restriction-list-key: post exports are then refused until a new "
                "list is imported)."
            )
        else:
            self.stdout.write(
                f"Rotation complete: the key ring holds encryption key {ring.active} and "
                f"index key {ring.index_active}."
            )

    def reencrypt(self, *, batch_size: int) -> None:
        ring = crypto.keyring_with_retired()
        total = self._move(ring, actor=Actor.system("keys reencrypt"), batch_size=batch_size)
        self.stdout.write(
            f"Re-encrypted {total} value(s) with key {ring.active} (index key {ring.index_active})."
        )

    def _move(self, ring: crypto.KeyRing, *, actor: Actor, batch_size: int) -> int:
        """Moves every stored value onto the ring's active keys, telling of each batch."""
        from rekisteri import key_rotation

        left = key_rotation.values_left(ring)
        self.stdout.write(
            f"To move onto the active keys: {left[key_rotation.IDENTITY_CODES]} identity "
            f"code(s), {left[key_rotation.INTEGRATIONS]} integration(s), "
            f"{left[key_rotation.AUTHENTICATORS]} authenticator(s), "
            f"{left[key_rotation.SUBJECT_KEYS]} customer audit text key(s), "
            f"{left[key_rotation.DELIVERIES]} shop delivery(ies)."
        )
        moved = dict.fromkeys(left, 0)
        batches = key_rotation.rotation_batches(ring=ring, actor=actor, batch_size=batch_size)
        try:
            for batch in batches:
                moved[batch.what] += batch.count
                self.stdout.write(f"  {batch.what}: {moved[batch.what]} moved")
        except crypto.DecryptionError as error:
            raise CommandError(
                f"Stopped: a stored value cannot be decrypted ({error}). Put the key it names "
                "back in the key ring or the retired keys file, then run the command again; "
                "what moved so far stays moved."
            ) from None
        total = sum(moved.values())
        self.stdout.write(f"Moved {total} value(s) onto the active keys.")
        return total
