"""Key rotation (`rekisteri keys rotate`): new keys for field encryption and blind
indexes, every stored value moved onto them in short batches while the app runs, and
the old keys retired from the ring once nothing stored refers to them.

Every step can be repeated, so an interrupted rotation resumes where it stopped:

1. `rotation_begin` adds a new active encryption key and a new active index key to the
   key file. Every process reads the file again when it changes: from then on new
   values are written with the new keys, and lookups by blind index try the digests of
   every index key in the ring (`KeyRing.blind_indexes`), so they find values indexed
   before and after.
2. `rotation_batches` moves what is stored with older keys onto the active ones, one
   short audited transaction per batch: identity codes (encrypted and indexed again),
   the integrations' webhook secrets and shop credentials, the staff's authenticator
   keys and the customers' keys of their audit texts (`audit.SubjectKey`; the texts
   themselves stay under those keys). A ciphertext names its key, so what is left is
   found by a query. A blind index is written together with
   its ciphertext, from one ring, and a new index key is only ever made active together
   with a new encryption key: so an identity code on the active encryption key is
   indexed with the active index key.
3. `rotation_finish` retires the old keys once no stored value refers to them: they
   are written to the retired keys file beside the key file (for backups made before;
   docs/backups.md), then removed from the key file.

The ASML restriction list keeps only digests of names and addresses, so it cannot be
digested again. The old index key its list in force was digested with is kept in the
ring (held) until a new list is imported and `keys rotate` runs again, unless the
operator retires it anyway: post exports then answer 409 until the next import, and
are never sent unfiltered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Q, QuerySet

from rekisteri import crypto
from rekisteri.accounts.models import AUTHENTICATOR_KEY_PURPOSE, Authenticator
from rekisteri.audit.models import Action, SubjectKey
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.audit.subject_keys import SUBJECT_KEY_PURPOSE
from rekisteri.customers.models import Customer
from rekisteri.customers.services import customer_identity_codes_rekey
from rekisteri.intake.inbox import BODY_PURPOSE as INBOX_BODY_PURPOSE
from rekisteri.intake.models import InboxDelivery, Integration
from rekisteri.intake.services import CONSUMER_KEY_PURPOSE, CONSUMER_SECRET_PURPOSE, SECRET_PURPOSE
from rekisteri.marketing.restrictions import restriction_list_in_force, restriction_list_index_key

BATCH_SIZE = 500
IDENTITY_CODES = "identity codes"
INTEGRATIONS = "integrations"
AUTHENTICATORS = "authenticators"
SUBJECT_KEYS = "subject keys"
DELIVERIES = "shop deliveries"
INTEGRATION_FIELDS = {
    "secret_encrypted": SECRET_PURPOSE,
    "consumer_key_encrypted": CONSUMER_KEY_PURPOSE,
    "consumer_secret_encrypted": CONSUMER_SECRET_PURPOSE,
}
KEYRING_OBJECT = "keyring"


class RotationError(Exception):
    """A rotation step cannot be done now. The message is one line, safe to show."""


@dataclass(frozen=True)
class Batch:
    what: str  # IDENTITY_CODES, INTEGRATIONS, AUTHENTICATORS, SUBJECT_KEYS or DELIVERIES
    count: int


@dataclass(frozen=True)
class Retirement:
    encryption: list[str]  # the key ids retired
    index: list[str]
    held_index: str  # an old index key kept for the ASML restriction list, or ""
    retired_file: Path

    @property
    def key_ids(self) -> list[str]:
        return [*self.encryption, *self.index]


def _integrations_not_on(prefix: str) -> Q:
    left = Q()
    for name in INTEGRATION_FIELDS:
        left |= ~Q(**{name: ""}) & ~Q(**{f"{name}__startswith": prefix})
    return left


def values_left(ring: crypto.KeyRing) -> dict[str, int]:
    """How many stored values are not yet on the ring's active keys, by kind."""
    prefix = ring.active_prefix
    customers = Customer.objects.exclude(identity_code_encrypted="").exclude(
        identity_code_encrypted__startswith=prefix
    )
    return {
        IDENTITY_CODES: customers.count(),
        INTEGRATIONS: Integration.objects.filter(_integrations_not_on(prefix)).count(),
        AUTHENTICATORS: Authenticator.objects.exclude(key_encrypted__startswith=prefix).count(),
        SUBJECT_KEYS: _subject_keys_not_on(prefix).count(),
        DELIVERIES: _deliveries_not_on(prefix).count(),
    }


def rotation_is_unfinished(ring: crypto.KeyRing) -> bool:
    """Whether the ring holds old keys, or stored values are not on its active keys
    (as after restoring a backup made before the last rotation)."""
    if ring.old_encryption_ids or ring.old_index_ids:
        return True
    return any(values_left(ring).values())


def integration_secrets_rekey(*, ring: crypto.KeyRing, actor: Actor, batch_size: int) -> int:
    """Moves one batch of integrations' webhook secrets and shop credentials not yet on
    the active encryption key onto it. Returns how many integrations moved."""
    prefix = ring.active_prefix
    with audited_transaction():
        batch = list(
            Integration.objects.select_for_update()
            .filter(_integrations_not_on(prefix))
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return 0
        for integration in batch:
            for name, purpose in INTEGRATION_FIELDS.items():
                token = getattr(integration, name)
                if token and not token.startswith(prefix):
                    plain = ring.decrypt(token, purpose=purpose)
                    setattr(integration, name, ring.encrypt(plain, purpose=purpose))
        Integration.objects.bulk_update(batch, list(INTEGRATION_FIELDS))
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type="intake.integration",
            changed_fields=list(INTEGRATION_FIELDS),
            reason=f"{len(batch)} integrations' secrets moved to encryption key {ring.active}",
        )
    return len(batch)


def authenticator_keys_rekey(*, ring: crypto.KeyRing, actor: Actor, batch_size: int) -> int:
    """Moves one batch of staff members' authenticator keys not yet on the active
    encryption key onto it. Returns how many authenticators moved."""
    prefix = ring.active_prefix
    with audited_transaction():
        batch = list(
            Authenticator.objects.select_for_update()
            .exclude(key_encrypted__startswith=prefix)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return 0
        for device in batch:
            row = str(device.user_id)  # bound to its owner: no copying it to another
            plain = ring.decrypt(device.key_encrypted, purpose=AUTHENTICATOR_KEY_PURPOSE, row=row)
            device.key_encrypted = ring.encrypt(plain, purpose=AUTHENTICATOR_KEY_PURPOSE, row=row)
        Authenticator.objects.bulk_update(batch, ["key_encrypted"])
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type="accounts.authenticator",
            changed_fields=["key_encrypted"],
            reason=f"{len(batch)} authenticator keys moved to encryption key {ring.active}",
        )
    return len(batch)


def _subject_keys_not_on(prefix: str) -> QuerySet[SubjectKey]:
    # A destroyed key ("") is left as it is: there is nothing to move.
    return SubjectKey.objects.exclude(key_encrypted="").exclude(key_encrypted__startswith=prefix)


def subject_keys_rekey(*, ring: crypto.KeyRing, actor: Actor, batch_size: int) -> int:
    """Moves one batch of customers' audit text keys (`SubjectKey`) not yet on the
    active encryption key onto it. Returns how many keys moved."""
    prefix = ring.active_prefix
    with audited_transaction():
        batch = list(_subject_keys_not_on(prefix).select_for_update().order_by("pk")[:batch_size])
        if not batch:
            return 0
        for key in batch:
            row = str(key.customer_id)  # bound to its customer: no copying it to another
            plain = ring.decrypt(key.key_encrypted, purpose=SUBJECT_KEY_PURPOSE, row=row)
            key.key_encrypted = ring.encrypt(plain, purpose=SUBJECT_KEY_PURPOSE, row=row)
        # An erasure that destroyed one of them meanwhile waited for the lock above and
        # overwrites it after this commits.
        SubjectKey.objects.bulk_update(batch, ["key_encrypted"])
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type="audit.subjectkey",
            changed_fields=["key_encrypted"],
            reason=f"{len(batch)} customers' audit text keys moved to encryption key {ring.active}",
        )
    return len(batch)


def _deliveries_not_on(prefix: str) -> QuerySet[InboxDelivery]:
    # A purged body ("") has nothing to move.
    return InboxDelivery.objects.exclude(body_encrypted="").exclude(
        body_encrypted__startswith=prefix
    )


def deliveries_rekey(*, ring: crypto.KeyRing, actor: Actor, batch_size: int) -> int:
    """Moves one batch of the inbox's stored bodies (rekisteri/intake/inbox.py) not yet
    on the active encryption key onto it. Returns how many deliveries moved."""
    prefix = ring.active_prefix
    with audited_transaction():
        batch = list(_deliveries_not_on(prefix).select_for_update().order_by("pk")[:batch_size])
        if not batch:
            return 0
        for delivery in batch:
            row = str(delivery.public_id)  # bound to its row, as the inbox stores it
            plain = ring.decrypt(delivery.body_encrypted, purpose=INBOX_BODY_PURPOSE, row=row)
            delivery.body_encrypted = ring.encrypt(plain, purpose=INBOX_BODY_PURPOSE, row=row)
        # Erasure or retention emptying one meanwhile waited for the lock above.
        InboxDelivery.objects.bulk_update(batch, ["body_encrypted"])
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type="intake.inboxdelivery",
            changed_fields=["body_encrypted"],
            reason=f"{len(batch)} shop deliveries moved to encryption key {ring.active}",
        )
    return len(batch)


def rotation_batches(
    *, ring: crypto.KeyRing, actor: Actor, batch_size: int = BATCH_SIZE
) -> Iterator[Batch]:
    """Moves every stored value onto the ring's active keys, a batch at a time, and
    tells of each batch. `ring` must hold the keys the values were written with (the
    key file's ring with the retired keys, `KeyRing.with_retired`); a value under a key
    it lacks stops the run with a DecryptionError that names the key."""
    while count := customer_identity_codes_rekey(ring=ring, actor=actor, batch_size=batch_size):
        yield Batch(IDENTITY_CODES, count)
    while count := integration_secrets_rekey(ring=ring, actor=actor, batch_size=batch_size):
        yield Batch(INTEGRATIONS, count)
    while count := authenticator_keys_rekey(ring=ring, actor=actor, batch_size=batch_size):
        yield Batch(AUTHENTICATORS, count)
    while count := subject_keys_rekey(ring=ring, actor=actor, batch_size=batch_size):
        yield Batch(SUBJECT_KEYS, count)
    while count := deliveries_rekey(ring=ring, actor=actor, batch_size=batch_size):
        yield Batch(DELIVERIES, count)


def rotation_begin(
    *, ring: crypto.KeyRing, key_file: Path, actor: Actor, retired: crypto.RetiredKeys
) -> crypto.KeyRing:
    """Adds a new encryption key and a new index key to the key file and makes them
    active (no retired id is used again). Returns the new ring."""
    rotated = ring.with_new_active_key(taken=retired.key_ids).with_new_active_index_key(
        taken=retired.key_ids
    )
    with audited_transaction():
        # The event first: a key file that cannot be written rolls it back.
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type=KEYRING_OBJECT,
            object_id=rotated.active,
            reason=f"rotation begun: encryption key {rotated.active} and index key "
            f"{rotated.index_active} added and made active",
        )
        crypto.write_key_file(rotated, key_file)
    return rotated


def _held_index_key(ring: crypto.KeyRing) -> str:
    in_force = restriction_list_in_force()
    key_id = restriction_list_index_key(in_force) if in_force else None
    return key_id if key_id in ring.old_index_ids else ""


def rotation_finish(
    *,
    ring: crypto.KeyRing,
    key_file: Path,
    actor: Actor,
    retire_restriction_list_key: bool = False,
) -> Retirement:
    """Retires the ring's old keys: into the retired keys file first, then out of the
    key file. The old index key the ASML restriction list in force was digested with
    is kept, unless `retire_restriction_list_key`. RotationError while a stored value
    still refers to an old key (one written by a process that read the ring before the
    rotation began, say): nothing is retired then."""
    left = sum(values_left(ring).values())
    if left:
        raise RotationError(
            f"{left} stored value(s) are not on the active keys yet; nothing was retired. "
            "Run `rekisteri keys rotate` again."
        )
    held = "" if retire_restriction_list_key else _held_index_key(ring)
    encryption = ring.old_encryption_ids
    index = [key_id for key_id in ring.old_index_ids if key_id != held]
    retired_file = crypto.retired_key_file(key_file)
    retirement = Retirement(encryption, index, held, retired_file)
    if not retirement.key_ids:
        return retirement
    retired = crypto.load_retired_keys(retired_file)
    kept = retired.with_keys_of(ring, encryption=encryption, index=index)
    with audited_transaction():
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type=KEYRING_OBJECT,
            object_id=ring.active,
            reason=f"keys retired: {', '.join(retirement.key_ids)}"
            + (f"; index key {held} kept for the ASML restriction list" if held else ""),
        )
        # Kept before they are removed: a crash in between leaves a key in both files.
        crypto.write_retired_keys(kept, retired_file)
        crypto.write_key_file(ring.without_keys(encryption=encryption, index=index), key_file)
    return retirement
