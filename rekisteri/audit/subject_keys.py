"""Crypto-shredding of the personal text of audit events.

Audit events can never be changed, but a reason typed about a customer may name them.
So such a reason is stored encrypted (`AuditEvent.personal_reason`) under a key of
the customer's own (`SubjectKey`), and erasure destroys that key: the text becomes
unreadable while the event, whose MAC covers the ciphertext, still verifies.

A customer's key is made the first time a reason is written about them. It is kept
encrypted under the key ring (bound to the customer's id, so it cannot be moved onto
another customer) and moved onto a new ring key by `rekisteri keys rotate`. The audit
app does not import the customers app: everything here works with customer ids.

Fetching a key costs a query: a single event with a reason about a customer reads its
key (and makes it, the first time). `SubjectKeys` holds the keys of many customers
fetched at once, for the batch paths. Nothing is cached beyond one call or one batch,
so a key destroyed or rolled back is never used from a stale copy."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto
from rekisteri.audit.models import AuditEvent, SubjectKey

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The key ring's purpose for a subject key: it decrypts nowhere else.
SUBJECT_KEY_PURPOSE = "audit-subject-key"
# The associated data of a personal text, with the customer's id.
PERSONAL_TEXT_PURPOSE = "audit-personal-reason"
# Tokens of personal text: `s1:<base64 of nonce and ciphertext>`.
TEXT_VERSION = "s1"
NONCE_BYTES = 12
# Customer ids per query: well inside SQLite's limit of bound variables.
KEY_BATCH = 500
# What readers show in place of a text whose key erasure destroyed.
ERASED_TEXT = _("(erased)")


def _associated_data(customer_id: int) -> bytes:
    return f"{PERSONAL_TEXT_PURPOSE}:{customer_id}".encode()


def _cipher_of(customer_id: int, key_encrypted: str) -> AESGCM | None:
    """The cipher of a stored key; None for a destroyed one."""
    if not key_encrypted:
        return None
    key = crypto.keyring().decrypt(key_encrypted, purpose=SUBJECT_KEY_PURPOSE, row=str(customer_id))
    return AESGCM(base64.b64decode(key))


def _text_encrypt(cipher: AESGCM, customer_id: int, text: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, text.encode("utf-8"), _associated_data(customer_id))
    return f"{TEXT_VERSION}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def _text_decrypt(cipher: AESGCM, customer_id: int, token: str) -> str:
    version, _sep, payload = token.partition(":")
    if version != TEXT_VERSION:
        raise crypto.DecryptionError("the personal text is not in a known format")
    try:
        raw = base64.b64decode(payload, validate=True)
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(customer_id))
    except (ValueError, InvalidTag):
        raise crypto.DecryptionError(
            "the personal text failed authentication: altered, or of another customer"
        ) from None
    return plain.decode("utf-8")


class SubjectKeys:
    """The keys of some customers, fetched (and made, where missing) a batch at a time:
    `load` many ids with a few queries, then encrypt any number of texts of theirs.
    A destroyed key is held as None: a text for it is made unreadable at once."""

    def __init__(self) -> None:
        self._ciphers: dict[int, AESGCM | None] = {}

    def _known(self, customer_id: int) -> tuple[bool, AESGCM | None]:
        if customer_id in self._ciphers:
            return True, self._ciphers[customer_id]
        return False, None

    def load(self, customer_ids: Iterable[int], *, create: bool = True) -> SubjectKeys:
        """Fetches the keys of `customer_ids` not held yet; with `create`, makes those
        missing (safe when another transaction makes the same one: the database's
        unique customer keeps one, and both then read it). Without `create`, a customer
        with no key is held as having none (None), as for reading."""
        missing = sorted({pk for pk in customer_ids if not self._known(pk)[0]})
        for start in range(0, len(missing), KEY_BATCH):
            chunk = missing[start : start + KEY_BATCH]
            found = self._fetch(chunk)
            absent = [pk for pk in chunk if pk not in found]
            if absent and create:
                self._create(absent)
                found.update(self._fetch(absent))
            for pk in chunk:
                self._ciphers[pk] = found.get(pk)
        return self

    @staticmethod
    def _fetch(customer_ids: list[int]) -> dict[int, AESGCM | None]:
        rows = SubjectKey.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "key_encrypted"
        )
        return {customer_id: _cipher_of(customer_id, key) for customer_id, key in rows}

    @staticmethod
    def _create(customer_ids: list[int]) -> None:
        ring = crypto.keyring()
        now = timezone.now()
        SubjectKey.objects.bulk_create(
            [
                SubjectKey(
                    customer_id=pk,
                    key_encrypted=ring.encrypt(
                        crypto.new_key(), purpose=SUBJECT_KEY_PURPOSE, row=str(pk)
                    ),
                    created_at=now,
                )
                for pk in customer_ids
            ],
            # Another transaction made one first: theirs is the key, read back after.
            ignore_conflicts=True,
        )

    def encrypt(self, customer_id: int, text: str) -> str:
        """`text` encrypted under the customer's key (fetched or made first if not held).
        For a destroyed key, under a fresh key that is thrown away at once: nothing
        readable is written about an erased customer."""
        known, cipher = self._known(customer_id)
        if not known:
            self.load([customer_id])
            cipher = self._ciphers[customer_id]
        if cipher is None:
            cipher = AESGCM(AESGCM.generate_key(bit_length=256))
        return _text_encrypt(cipher, customer_id, text)

    def decrypt(self, event: AuditEvent) -> str | None:
        """The event's personal text; "" when it has none; None when its key was
        destroyed. Fetches the key if not held (never makes one)."""
        if not event.personal_reason or event.customer_id is None:
            return ""
        known, cipher = self._known(event.customer_id)
        if not known:
            self.load([event.customer_id], create=False)
            cipher = self._ciphers[event.customer_id]
        if cipher is None:
            return None
        try:
            return _text_decrypt(cipher, event.customer_id, event.personal_reason)
        except crypto.DecryptionError:
            # Encrypted under a key thrown away (the customer was erased before).
            return None


def personal_text_encrypt(customer_id: int, text: str, *, keys: SubjectKeys | None = None) -> str:
    """`text` encrypted under the customer's own key (made if they have none yet)."""
    return (keys or SubjectKeys()).encrypt(customer_id, text)


def personal_text_decrypt(event: AuditEvent, *, keys: SubjectKeys | None = None) -> str | None:
    """The event's personal text: "" when it has none, None when erasure destroyed its
    key."""
    return (keys or SubjectKeys()).decrypt(event)


def subject_key_destroy(customer_id: int) -> None:
    """Destroys the customer's key, in the caller's transaction (an erasure): the key is
    overwritten with "" and the time recorded; the row stays, so that a later event
    about the customer is never given a new, readable key. A customer without a key
    gets a destroyed one."""
    subject_keys_destroy([customer_id])


def subject_keys_destroy(customer_ids: Iterable[int]) -> None:
    """`subject_key_destroy` for many customers (a batch of erasures), a few statements
    per 500 customers."""
    ids = sorted(set(customer_ids))
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        for start in range(0, len(ids), KEY_BATCH):
            chunk = ids[start : start + KEY_BATCH]
            # Insert first: one another transaction is making for the customer right
            # now is waited for here, and is then destroyed by the update below.
            SubjectKey.objects.bulk_create(
                [
                    SubjectKey(customer_id=pk, key_encrypted="", created_at=now, destroyed_at=now)
                    for pk in chunk
                ],
                ignore_conflicts=True,
            )
            SubjectKey.objects.filter(customer_id__in=chunk, destroyed_at__isnull=True).update(
                key_encrypted="", destroyed_at=now
            )


def event_reasons_read(events: list[AuditEvent]) -> list[AuditEvent]:
    """Gives each event `reason_text`, what a reader is shown as its reason: the plain
    reason, the personal text decrypted, or "(erased)" once its key was destroyed. The
    keys of all the events' customers are fetched with one query."""
    keys = SubjectKeys().load(
        {event.customer_id for event in events if event.personal_reason and event.customer_id},
        create=False,
    )
    for event in events:
        text: StrOrPromise | None = keys.decrypt(event) if event.personal_reason else ""
        if text is None:
            text = ERASED_TEXT
        event.reason_text = " ".join(part for part in (event.reason, str(text)) if part)  # type: ignore[attr-defined]  # set for the templates only
    return events
