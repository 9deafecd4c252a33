"""Keys and ciphers: AES-256-GCM field encryption, HMAC-SHA256 blind indexes and the
audit chain's MAC.

A key ring is JSON::

    {"active": "k2",
     "encryption": {"k1": "<base64 of 32 bytes>", "k2": "..."},
     "index_active": "i2",
     "index": {"i1": "<base64 of 32 bytes>", "i2": "..."},
     "audit": "<base64 of 32 bytes>"}

Ciphertexts name the key that made them (``v2:k2:<base64>``), so a new active key
encrypts new values while the old ones still decrypt until they are re-encrypted.

AES-GCM's associated data binds a ciphertext to where it is stored: its field (the
`purpose`) and, given a `row`, the row's stable id (a customer's public id). A
ciphertext copied into another field or onto another customer's row then fails to
decrypt. Format "v2" binds both; "v1", from before, bound the field alone and still
decrypts (with or without a row) until `rekisteri keys reencrypt` moves it onto v2.
Blind indexes do not name their key: new ones use the active index key, and a lookup
tries the digests of every index key in the ring, so it finds values indexed before
and after a rotation (`rekisteri keys rotate`, `rekisteri.key_rotation`).

A ring with one index key may give it as a bare string, ``"index": "<base64>"``: that
is the key ``i1``, and such a ring is written back in that form, which releases
before versioned index keys read. Keys a rotation retired are kept apart, in the
retired keys file beside the key file, for backups made before it.
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
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = "v2"
# Written before rows were bound: the purpose alone is the associated data.
FIELD_BOUND_VERSION = "v1"
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
# The id of the index key of a ring that gives one bare key: `"index": "<base64>"`.
LEGACY_INDEX_KEY_ID = "i1"


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


def _decode_keys(kind: str, value: object) -> dict[str, bytes]:
    if not isinstance(value, dict) or not value:
        raise KeyRingError(f"the key ring has no {kind} keys")
    for key_id in value:
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise KeyRingError(f"key id {key_id!r} is not valid")
    return {k: _decode_key(k, v) for k, v in value.items()}


def _next_key_id(prefix: str, taken: Iterable[str]) -> str:
    """`prefix` and one more than the highest number after it among `taken`."""
    pattern = re.compile(rf"{prefix}(\d+)")
    numbers = [int(match.group(1)) for key_id in taken if (match := pattern.fullmatch(key_id))]
    return f"{prefix}{1 + max(numbers, default=0)}"


def _associated_data(version: str, purpose: str, row: str | None) -> bytes:
    if version == FIELD_BOUND_VERSION:
        return purpose.encode("utf-8")
    # Length-prefixed, so that no purpose and row run into another pair.
    parts = [version, purpose, row or ""]
    return b"".join(
        len(part.encode("utf-8")).to_bytes(4, "big") + part.encode("utf-8") for part in parts
    )


@dataclass(frozen=True)
class KeyRing:
    active: str
    encryption: dict[str, bytes]
    index_active: str
    index_keys: dict[str, bytes]
    audit: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, init=False, compare=False, repr=False)

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
        encryption = _decode_keys("encryption", data.get("encryption"))
        active = data.get("active")
        if not isinstance(active, str) or active not in encryption:
            raise KeyRingError("the key ring's active key is not among its encryption keys")
        index = data.get("index")
        if isinstance(index, dict):
            index_keys = _decode_keys("index", index)
            index_active = data.get("index_active")
        else:
            index_keys = {LEGACY_INDEX_KEY_ID: _decode_key("index", index)}
            index_active = data.get("index_active", LEGACY_INDEX_KEY_ID)
        if not isinstance(index_active, str) or index_active not in index_keys:
            raise KeyRingError("the key ring's active index key is not among its index keys")
        return cls(
            active=active,
            encryption=encryption,
            index_active=index_active,
            index_keys=index_keys,
            audit=_decode_key("audit", data.get("audit")),
        )

    def to_json(self) -> str:
        data: dict[str, object] = {
            "active": self.active,
            "encryption": {k: _encode_key(v) for k, v in self.encryption.items()},
        }
        if list(self.index_keys) == [LEGACY_INDEX_KEY_ID]:
            data["index"] = _encode_key(self.index)
        else:
            data["index_active"] = self.index_active
            data["index"] = {k: _encode_key(v) for k, v in self.index_keys.items()}
        data["audit"] = _encode_key(self.audit)
        return json.dumps(data, indent=2)

    @property
    def index(self) -> bytes:
        """The active blind-index key."""
        return self.index_keys[self.index_active]

    @property
    def index_ids(self) -> list[str]:
        """The index key ids, the active one first."""
        return [self.index_active, *sorted(k for k in self.index_keys if k != self.index_active)]

    @property
    def old_encryption_ids(self) -> list[str]:
        return sorted(k for k in self.encryption if k != self.active)

    @property
    def old_index_ids(self) -> list[str]:
        return sorted(k for k in self.index_keys if k != self.index_active)

    def with_new_active_key(self, *, taken: Iterable[str] = ()) -> KeyRing:
        """A new encryption key, made active; `taken` are ids not to reuse (retired)."""
        key_id = _next_key_id("k", [*self.encryption, *taken])
        encryption = {**self.encryption, key_id: secrets.token_bytes(KEY_BYTES)}
        return replace(self, active=key_id, encryption=encryption)

    def with_new_active_index_key(self, *, taken: Iterable[str] = ()) -> KeyRing:
        """A new blind-index key, made active; `taken` are ids not to reuse (retired)."""
        key_id = _next_key_id("i", [*self.index_keys, *taken])
        index_keys = {**self.index_keys, key_id: secrets.token_bytes(KEY_BYTES)}
        return replace(self, index_active=key_id, index_keys=index_keys)

    def without_keys(
        self, *, encryption: Collection[str] = (), index: Collection[str] = ()
    ) -> KeyRing:
        if self.active in encryption or self.index_active in index:
            raise KeyRingError("an active key cannot be removed from the key ring")
        return replace(
            self,
            encryption={k: v for k, v in self.encryption.items() if k not in encryption},
            index_keys={k: v for k, v in self.index_keys.items() if k not in index},
        )

    def with_retired(self, retired: RetiredKeys) -> KeyRing:
        """This ring and, not active, the retired keys it lacks: to read what was written
        before a rotation (a backup, or a database restored from one)."""
        return replace(
            self,
            encryption={**retired.encryption, **self.encryption},
            index_keys={**retired.index, **self.index_keys},
        )

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = AESGCM(self.encryption[key_id])
            self._ciphers[key_id] = cipher
        return cipher

    def encrypt(self, plaintext: str, *, purpose: str, row: str | None = None) -> str:
        """Encrypts with the active key; `purpose` binds the value to its field and
        `row`, when given, to its row: decrypt needs the same two."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(self.active).encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(FORMAT_VERSION, purpose, row)
        )
        payload = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self.active}:{payload}"

    def decrypt(self, token: str, *, purpose: str, row: str | None = None) -> str:
        """The plaintext of a ciphertext made for this `purpose` and `row`. A "v1"
        ciphertext (bound to its field only) decrypts whatever `row` is given."""
        parts = token.split(":")
        if len(parts) != 3 or parts[0] not in (FORMAT_VERSION, FIELD_BOUND_VERSION):
            raise DecryptionError("the ciphertext is not in a known format")
        version, key_id, payload = parts
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
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(version, purpose, row)
            )
        except InvalidTag:
            raise DecryptionError(
                f"the ciphertext failed authentication with key {key_id!r}: it was altered, "
                "or made for another field or row"
            ) from None
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        parts = token.split(":")
        return parts[1] if len(parts) == 3 else ""

    @property
    def active_prefix(self) -> str:
        """The start of every ciphertext the active key makes: `v2:k2:`. A stored value
        without it is to be re-encrypted (an older key, or the older format)."""
        return f"{FORMAT_VERSION}:{self.active}:"

    def blind_index(self, value: str, *, purpose: str, key_id: str | None = None) -> str:
        """A keyed digest for exact lookups; equal inputs give equal indexes. With the
        active index key unless `key_id` names another."""
        key = self.index_keys[key_id or self.index_active]
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def blind_indexes(self, value: str, *, purpose: str) -> list[str]:
        """The digests of `value` under every index key, the active key's first: a
        lookup by them finds values indexed before and after a rotation."""
        return [self.blind_index(value, purpose=purpose, key_id=k) for k in self.index_ids]

    def blind_indexer(self, *, purpose: str, key_id: str | None = None) -> Callable[[str], str]:
        """`blind_index` of one purpose for many values, the same digests at about half
        the cost each: the key and purpose are hashed in once (a million rows a run)."""
        key = self.index_keys[key_id or self.index_active]
        keyed = hmac.new(key, purpose.encode("utf-8") + b"\x00", hashlib.sha256)

        def index(value: str) -> str:
            mac = keyed.copy()
            mac.update(value.encode("utf-8"))
            return mac.hexdigest()

        return index

    def audit_mac(self, message: bytes) -> str:
        return hmac.new(self.audit, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RetiredKeys:
    """Keys a rotation took out of the ring, by id. They are kept apart from it, in the
    retired keys file, for what was written with them before: backups, and a database
    restored from one. The file is JSON: `{"encryption": {...}, "index": {...}}`."""

    encryption: dict[str, bytes] = field(default_factory=dict)
    index: dict[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"RetiredKeys(key_ids={sorted(self.encryption)!r}, index={sorted(self.index)!r})"

    @classmethod
    def from_json(cls, text: str) -> RetiredKeys:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise KeyRingError("the retired keys file is not valid JSON") from None
        if not isinstance(data, dict):
            raise KeyRingError("the retired keys file must hold a JSON object")
        parts = []
        for kind in ("encryption", "index"):
            keys = data.get(kind, {})
            parts.append(_decode_keys(kind, keys) if keys else {})
        return cls(encryption=parts[0], index=parts[1])

    def to_json(self) -> str:
        return json.dumps(
            {
                "encryption": {k: _encode_key(v) for k, v in self.encryption.items()},
                "index": {k: _encode_key(v) for k, v in self.index.items()},
            },
            indent=2,
        )

    @property
    def key_ids(self) -> set[str]:
        return {*self.encryption, *self.index}

    def with_keys_of(
        self, ring: KeyRing, *, encryption: Collection[str], index: Collection[str]
    ) -> RetiredKeys:
        """These and the ring's keys named. A retired id never changes its key."""
        added_encryption = {k: ring.encryption[k] for k in encryption}
        added_index = {k: ring.index_keys[k] for k in index}
        for kept, added in ((self.encryption, added_encryption), (self.index, added_index)):
            for key_id, key in added.items():
                if key_id in kept and not hmac.compare_digest(kept[key_id], key):
                    raise KeyRingError(f"another key {key_id!r} is already retired")
        return RetiredKeys(
            encryption={**self.encryption, **added_encryption},
            index={**self.index, **added_index},
        )


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
def _cached_keyring(keys_json: str, key_file: str, version: tuple[int, int, int]) -> KeyRing:
    return load_keyring(keys_json=keys_json, key_file=Path(key_file))


def keyring() -> KeyRing:
    """The key ring the settings name, loaded once (again when the file changes).

    Called for every identity code, blind index and audit MAC, so it looks at the file
    with one `stat` and nothing else."""
    from django.conf import settings

    key_file = str(settings.REKISTERI_KEY_FILE)
    version = (0, 0, 0)
    if not settings.REKISTERI_KEYS:
        try:
            found = os.stat(key_file)
        except FileNotFoundError:
            pass  # load_keyring says what to do
        else:
            # The file is replaced whole (`write_key_file`): a new inode, most often a
            # new size too, tells a change apart even within one tick of the clock.
            version = (found.st_mtime_ns, found.st_ino, found.st_size)
    return _cached_keyring(settings.REKISTERI_KEYS, key_file, version)


def retired_key_file(key_file: Path) -> Path:
    """Where the retired keys are kept: beside the key file, `keys.retired.json`."""
    return key_file.with_name(f"{key_file.stem}.retired{key_file.suffix}")


def load_retired_keys(path: Path) -> RetiredKeys:
    if not path.exists():
        return RetiredKeys()
    return RetiredKeys.from_json(path.read_text(encoding="utf-8"))


def keyring_with_retired() -> KeyRing:
    """The key ring and the retired keys file beside the key file (REKISTERI_KEY_FILE,
    also when the ring comes from REKISTERI_KEYS): to read a backup made before a
    rotation, or a database restored from one."""
    from django.conf import settings

    retired = load_retired_keys(retired_key_file(Path(settings.REKISTERI_KEY_FILE)))
    return keyring().with_retired(retired)


def _write_private(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh file of our own (mode 0600, O_EXCL): a leftover or planted temporary
    # file would keep its own mode, or be a symlink we would write the keys through.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    # Durable before the caller goes on: keys are retired from the key file only once
    # the retired keys file that keeps them is on disk.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_key_file(ring: KeyRing, path: Path) -> None:
    _write_private(ring.to_json(), path)


def write_retired_keys(retired: RetiredKeys, path: Path) -> None:
    _write_private(retired.to_json(), path)
