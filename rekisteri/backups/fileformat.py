"""The encrypted backup file: a header, then the payload sealed in AES-256-GCM chunks.

Layout (integers big-endian)::

    magic       8 bytes   b"RKBACKUP"
    version     1 byte    1
    length      4 bytes   the length of the header JSON
    header      JSON      key_id, key_check, nonce, chunk_size, engine, created_at and
                          the manifest (row counts per table, the audit chain's head,
                          the applied migrations)
    header tag  16 bytes  AES-GCM over no plaintext, the bytes above as associated data
    chunks                each chunk_size bytes of payload sealed (+16 bytes of tag);
                          the last one shorter, or only its tag for an empty payload

The backup key of a key id is HKDF-SHA256 of that encryption key of the key ring with
its own info string, so a backup names the key that made it and any ring that still
holds that key restores it. Chunk i is sealed with the nonce `header nonce XOR i` and
with associated data binding the header's SHA-256, i and whether it is the last chunk:
a flipped bit anywhere, a header put on another file's chunks, a chunk dropped,
repeated, reordered or taken from another file, a file cut short at any point or with
bytes added all fail a tag. The header is parsed before its tag is checked only to
find the key it names; nothing else in it is used before that check.

Memory stays flat: one or two chunks are held at a time, whatever the payload's size.
Pure: no Django, no database; errors never carry payload bytes.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rekisteri.crypto import KEY_ID_PATTERN, KeyRing

MAGIC = b"RKBACKUP"
VERSION = 1
TAG_BYTES = 16
NONCE_BYTES = 12
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
# Chunk nonces use indexes below this; the header's tag uses the nonce XOR all ones.
MAX_CHUNKS = 2**32 - 1
BACKUP_KEY_INFO = b"rekisteri backup v1"
KEY_CHECK_MESSAGE = b"rekisteri backup key check"
HEADER_TAG_CONTEXT = b"rekisteri backup header"
ENGINES = ("sqlite", "postgresql")


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


_PREAMBLE = struct.Struct(">8sBI")  # magic, version, header length
_CHUNK_CONTEXT = struct.Struct(">QB")  # chunk index, final flag


class BackupFileError(Exception):
    """The file cannot be used; the message is one line, safe to show and log."""


class NotABackupError(BackupFileError):
    def __init__(self) -> None:
        super().__init__("the file is not a Rekisteri backup")


class UnsupportedVersionError(BackupFileError):
    def __init__(self, version: int) -> None:
        super().__init__(
            f"the backup has format version {version}, which this Rekisteri cannot read"
        )


class TamperedError(BackupFileError):
    """A tag failed, or the file ends where it should not: it was altered or damaged."""

    def __init__(self, where: str) -> None:
        super().__init__(f"the file is tampered or damaged ({where})")


class WrongKeyError(BackupFileError):
    """The key ring lacks the key the backup was made with (or holds another key under
    that id): nothing can be decrypted."""

    def __init__(self, key_id: str, *, other_key_under_id: bool = False) -> None:
        message = f"the key {key_id!r} this backup was made with is not in the key ring"
        if other_key_under_id:
            message += f" (the ring's {key_id!r} is a different key)"
        super().__init__(message)
        self.key_id = key_id


@dataclass(frozen=True)
class Manifest:
    """What the payload held when it was made, for `backup verify` to compare with."""

    tables: Mapping[str, int]
    audit_head_seq: int
    audit_head_hash: str
    migrations: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def as_json(self) -> dict[str, object]:
        return {
            "tables": dict(sorted(self.tables.items())),
            "audit_head": {"seq": self.audit_head_seq, "hash": self.audit_head_hash},
            "migrations": sorted(self.migrations),
        }

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        if not isinstance(data, dict):
            raise ValueError("manifest")
        tables, head, migrations = data["tables"], data["audit_head"], data["migrations"]
        if not isinstance(tables, dict) or not isinstance(head, dict):
            raise ValueError("manifest")
        if not all(isinstance(k, str) and _is_count(v) for k, v in tables.items()):
            raise ValueError("manifest tables")
        if not _is_count(head["seq"]) or not isinstance(head["hash"], str):
            raise ValueError("manifest audit head")
        if not isinstance(migrations, list) or not all(isinstance(m, str) for m in migrations):
            raise ValueError("manifest migrations")
        return cls(
            tables=dict(tables),
            audit_head_seq=head["seq"],
            audit_head_hash=head["hash"],
            migrations=tuple(migrations),
        )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class Header:
    key_id: str
    key_check: str
    nonce: bytes
    chunk_size: int
    engine: str
    created_at: datetime.datetime
    manifest: Manifest
    # The exact bytes read or written (preamble and JSON): what the tags bind.
    raw: bytes = field(default=b"", repr=False, compare=False)

    def as_json(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "key_check": self.key_check,
            "nonce": self.nonce.hex(),
            "chunk_size": self.chunk_size,
            "engine": self.engine,
            "created_at": self.created_at.astimezone(datetime.UTC).isoformat(),
            "manifest": self.manifest.as_json(),
        }

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


@dataclass(frozen=True)
class StreamResult:
    header: Header
    chunks: int
    payload_bytes: int


# Keys ------------------------------------------------------------------------------


def backup_key(ring: KeyRing, key_id: str) -> bytes:
    """The backup key of one key id: HKDF-SHA256 of that encryption key."""
    if key_id not in ring.encryption:
        raise WrongKeyError(key_id)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=BACKUP_KEY_INFO).derive(
        ring.encryption[key_id]
    )


def key_check(key: bytes) -> str:
    """A short MAC that tells a different key under the same id from a damaged file."""
    return hmac.new(key, KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


def _nonce(base: bytes, index: int) -> bytes:
    return (int.from_bytes(base, "big") ^ index).to_bytes(NONCE_BYTES, "big")


def _header_tag_nonce(base: bytes) -> bytes:
    return _nonce(base, 2 ** (8 * NONCE_BYTES) - 1)


def _chunk_context(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + _CHUNK_CONTEXT.pack(index, int(final))


# Reading and writing ------------------------------------------------------------------


def _read_exactly(source: Readable, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream (pipes return less)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = bytearray(data)
    while len(parts) < size:
        more = source.read(size - len(parts))
        if not more:
            break
        parts += more
    return bytes(parts)


def encrypt(
    source: Readable,
    destination: Writable,
    *,
    ring: KeyRing,
    engine: str,
    manifest: Manifest,
    created_at: datetime.datetime,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> StreamResult:
    """Writes `source` to `destination` as a backup file, with the ring's active key."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"the chunk size must be 1 to {MAX_CHUNK_SIZE} bytes")
    key = backup_key(ring, ring.active)
    fields = Header(
        key_id=ring.active,
        key_check=key_check(key),
        nonce=os.urandom(NONCE_BYTES),
        chunk_size=chunk_size,
        engine=engine,
        created_at=created_at,
        manifest=manifest,
    )
    text = json.dumps(fields.as_json(), sort_keys=True, separators=(",", ":")).encode("utf-8")
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError("the manifest is too large for a backup header")
    raw = _PREAMBLE.pack(MAGIC, VERSION, len(text)) + text
    header = dataclasses.replace(fields, raw=raw)
    cipher = AESGCM(key)
    header_tag = cipher.encrypt(_header_tag_nonce(header.nonce), b"", HEADER_TAG_CONTEXT + raw)
    destination.write(raw + header_tag)

    digest, index, total = header.digest, 0, 0
    current = _read_exactly(source, chunk_size)
    while True:
        # One chunk read ahead: the last chunk is known to be last when it is sealed.
        following = _read_exactly(source, chunk_size)
        final = not following
        if index >= MAX_CHUNKS:
            raise ValueError("the payload is too large for this chunk size")
        nonce = _nonce(header.nonce, index)
        destination.write(cipher.encrypt(nonce, current, _chunk_context(digest, index, final)))
        total += len(current)
        index += 1
        if final:
            return StreamResult(header, index, total)
        current = following


def _parse_header(source: Readable) -> Header:
    preamble = _read_exactly(source, _PREAMBLE.size)
    if len(preamble) < _PREAMBLE.size or not preamble.startswith(MAGIC):
        raise NotABackupError()
    _magic, version, length = _PREAMBLE.unpack(preamble)
    if version != VERSION:
        raise UnsupportedVersionError(version)
    if length > MAX_HEADER_BYTES:
        raise TamperedError("the header length is not possible")
    text = _read_exactly(source, length)
    if len(text) < length:
        raise TamperedError("the file ends inside its header")
    try:
        data = json.loads(text)
        key_id = data["key_id"]
        if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
            raise ValueError("key id")
        nonce = bytes.fromhex(data["nonce"])
        chunk_size = data["chunk_size"]
        if len(nonce) != NONCE_BYTES or not _is_count(chunk_size):
            raise ValueError("nonce or chunk size")
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE or data["engine"] not in ENGINES:
            raise ValueError("chunk size or engine")
        created_at = datetime.datetime.fromisoformat(data["created_at"])
        if created_at.tzinfo is None or not isinstance(data["key_check"], str):
            raise ValueError("created at or key check")
        return Header(
            key_id=key_id,
            key_check=data["key_check"],
            nonce=nonce,
            chunk_size=chunk_size,
            engine=data["engine"],
            created_at=created_at,
            manifest=Manifest.from_json(data["manifest"]),
            raw=preamble + text,
        )
    except (ValueError, KeyError, TypeError):
        # A damaged header is as likely as a made-up one; which field does not matter.
        raise TamperedError("the header cannot be read") from None


def _authenticated_header(source: Readable, ring: KeyRing) -> tuple[Header, AESGCM]:
    header = _parse_header(source)
    key = backup_key(ring, header.key_id)
    if not hmac.compare_digest(key_check(key), header.key_check):
        raise WrongKeyError(header.key_id, other_key_under_id=True)
    cipher = AESGCM(key)
    tag = _read_exactly(source, TAG_BYTES)
    try:
        cipher.decrypt(_header_tag_nonce(header.nonce), tag, HEADER_TAG_CONTEXT + header.raw)
    except InvalidTag:
        raise TamperedError("the header failed authentication") from None
    return header, cipher


def read_header(source: Readable, ring: KeyRing) -> Header:
    """The header, authenticated; the chunks are not read."""
    return _authenticated_header(source, ring)[0]


def decrypt(source: Readable, destination: Writable, *, ring: KeyRing) -> StreamResult:
    """Writes the payload to `destination`, checking every chunk's tag on the way.

    Raises NotABackupError, UnsupportedVersionError, WrongKeyError before writing
    anything, TamperedError at the first chunk that fails: only when it returns was
    the whole payload authentic. What was written before a failure must be discarded."""
    header, cipher = _authenticated_header(source, ring)
    sealed_size = header.chunk_size + TAG_BYTES
    digest, index, total = header.digest, 0, 0
    current = _read_exactly(source, sealed_size)
    while True:
        if len(current) < TAG_BYTES:
            raise TamperedError("the file is cut short" if index else "the file has no chunks")
        following = _read_exactly(source, sealed_size)
        final = not following
        if index >= MAX_CHUNKS:
            raise TamperedError("the file has more chunks than possible")
        try:
            plain = cipher.decrypt(
                _nonce(header.nonce, index), current, _chunk_context(digest, index, final)
            )
        except InvalidTag:
            raise TamperedError(f"chunk {index} failed authentication") from None
        destination.write(plain)
        total += len(plain)
        index += 1
        if final:
            return StreamResult(header, index, total)
        current = following
