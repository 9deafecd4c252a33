"""Keys and ciphers: AES-256-GCM field encryption, HMAC-SHA256 blind indexes and the
audit chain's MAC.

A key ring is JSON::

    {"active": "k2",
     "encryption": {"k1": "<base64 of 32 bytes>", "k2": "..."},
     "index": "<base64 of 32 bytes>",
     "audit": "<base64 of 32 bytes>"}

Ciphertexts name the key that made them (``v1:k2:<base64>``), so a new active key
encrypts new values while the old ones still decrypt until they are re-encrypted.
Nothing here ever puts a plaintext into an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = "v1"
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


class KeyRingError(Exception):
    """The key ring is missing, malformed or lacks a key."""


class DecryptionError(Exception):
    """A ciphertext is malformed, was altered, or its key is wrong or missing."""


def _decode_key(name: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise KeyRingError(f"key {name} must be a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        raise KeyRingError(f"key {name} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyRingError(f"key {name} must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def new_key() -> str:
    return _encode_key(secrets.token_bytes(KEY_BYTES))


@dataclass(frozen=True)
class KeyRing:
    active: str
    encryption: dict[str, bytes]
    index: bytes
    audit: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return f"KeyRing(active={self.active!r}, key_ids={sorted(self.encryption)!r})"

    @classmethod
    def generate(cls, key_id: str = "k1") -> KeyRing:
        return cls.from_json(
            json.dumps(
                {
                    "active": key_id,
                    "encryption": {key_id: new_key()},
                    "index": new_key(),
                    "audit": new_key(),
                }
            )
        )

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise KeyRingError("the key ring is not valid JSON") from None
        if not isinstance(data, dict):
            raise KeyRingError("the key ring must be a JSON object")
        encryption = data.get("encryption")
        if not isinstance(encryption, dict) or not encryption:
            raise KeyRingError("the key ring has no encryption keys")
        for key_id in encryption:
            if not KEY_ID_PATTERN.fullmatch(key_id):
                raise KeyRingError(f"key id {key_id!r} is not valid")
        active = data.get("active")
        if not isinstance(active, str) or active not in encryption:
            raise KeyRingError("the key ring's active key is not among its encryption keys")
        return cls(
            active=active,
            encryption={k: _decode_key(k, v) for k, v in encryption.items()},
            index=_decode_key("index", data.get("index")),
            audit=_decode_key("audit", data.get("audit")),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "encryption": {k: _encode_key(v) for k, v in self.encryption.items()},
                "index": _encode_key(self.index),
                "audit": _encode_key(self.audit),
            },
            indent=2,
        )

    def with_new_active_key(self) -> KeyRing:
        number = 1 + max(
            (int(k[1:]) for k in self.encryption if re.fullmatch(r"k\d+", k)), default=0
        )
        key_id = f"k{number}"
        encryption = dict(self.encryption)
        encryption[key_id] = secrets.token_bytes(KEY_BYTES)
        return KeyRing(active=key_id, encryption=encryption, index=self.index, audit=self.audit)

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = AESGCM(self.encryption[key_id])
            self._ciphers[key_id] = cipher
        return cipher

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        """Encrypts with the active key; `purpose` binds the value to its field."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(self.active).encrypt(
            nonce, plaintext.encode("utf-8"), purpose.encode("utf-8")
        )
        payload = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self.active}:{payload}"

    def decrypt(self, token: str, *, purpose: str) -> str:
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != FORMAT_VERSION:
            raise DecryptionError("the ciphertext is not in a known format")
        _, key_id, payload = parts
        if key_id not in self.encryption:
            raise DecryptionError(f"the key {key_id!r} is not in the key ring")
        try:
            raw = base64.b64decode(payload, validate=True)
        except ValueError:  # binascii.Error, or a non-ASCII payload
            raise DecryptionError("the ciphertext is not valid base64") from None
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptionError("the ciphertext is too short")
        try:
            plain = self._cipher(key_id).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode("utf-8")
            )
        except InvalidTag:
            raise DecryptionError(
                f"the ciphertext failed authentication with key {key_id!r}"
            ) from None
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        parts = token.split(":")
        return parts[1] if len(parts) == 3 else ""

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed digest for exact lookups; equal inputs give equal indexes."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self.index, message, hashlib.sha256).hexdigest()

    def blind_indexer(self, *, purpose: str) -> Callable[[str], str]:
        """`blind_index` of one purpose for many values, the same digests at about half
        the cost each: the key and purpose are hashed in once (a million rows a run)."""
        keyed = hmac.new(self.index, purpose.encode("utf-8") + b"\x00", hashlib.sha256)

        def index(value: str) -> str:
            mac = keyed.copy()
            mac.update(value.encode("utf-8"))
            return mac.hexdigest()

        return index

    def audit_mac(self, message: bytes) -> str:
        return hmac.new(self.audit, message, hashlib.sha256).hexdigest()


def load_keyring(*, keys_json: str, key_file: Path) -> KeyRing:
    if keys_json:
        return KeyRing.from_json(keys_json)
    if not key_file.exists():
        raise KeyRingError(
            f"no encryption keys: set REKISTERI_KEYS or run `rekisteri keys generate` "
            f"to create {key_file}"
        )
    return KeyRing.from_json(key_file.read_text(encoding="utf-8"))


@cache
def _cached_keyring(keys_json: str, key_file: str, mtime: float) -> KeyRing:
    return load_keyring(keys_json=keys_json, key_file=Path(key_file))


def keyring() -> KeyRing:
    """The key ring the settings name, loaded once (again when the file changes)."""
    from django.conf import settings

    key_file = Path(settings.REKISTERI_KEY_FILE)
    mtime = key_file.stat().st_mtime if not settings.REKISTERI_KEYS and key_file.exists() else 0.0
    return _cached_keyring(settings.REKISTERI_KEYS, str(key_file), mtime)


def write_key_file(ring: KeyRing, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh file of our own (mode 0600, O_EXCL): a leftover or planted temporary
    # file would keep its own mode, or be a symlink we would write the keys through.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(ring.to_json())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
