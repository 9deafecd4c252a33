"""The backup file format (P15, P16): a round trip, and every kind of tampering refused.
Pure: no database."""

from __future__ import annotations

import datetime
import io
import os
import struct

import pytest

from rekisteri.backups import fileformat
from rekisteri.backups.fileformat import (
    Manifest,
    NotABackupError,
    TamperedError,
    UnsupportedVersionError,
    WrongKeyError,
)
from rekisteri.crypto import KeyRing

CHUNK = 4096
TAG = fileformat.TAG_BYTES
MADE_AT = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)
MANIFEST = Manifest(
    tables={"customers_customer": 20, "audit_auditevent": 88},
    audit_head_seq=88,
    audit_head_hash="ab" * 32,
    migrations=("audit.0001_initial", "customers.0001_initial"),
)
RING = KeyRing.generate()


class Recording(io.BytesIO):
    """A stream that remembers the largest single read and write made of it."""

    largest_read = 0
    largest_write = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def write(self, data, /) -> int:
        self.largest_write = max(self.largest_write, len(data))
        return super().write(data)


def seal(payload: bytes, *, ring: KeyRing = RING, chunk_size: int = CHUNK) -> bytes:
    sealed = io.BytesIO()
    fileformat.encrypt(
        io.BytesIO(payload),
        sealed,
        ring=ring,
        engine="sqlite",
        manifest=MANIFEST,
        created_at=MADE_AT,
        chunk_size=chunk_size,
    )
    return sealed.getvalue()


def open_sealed(data: bytes, *, ring: KeyRing = RING) -> tuple[fileformat.StreamResult, bytes]:
    plain = io.BytesIO()
    result = fileformat.decrypt(io.BytesIO(data), plain, ring=ring)
    return result, plain.getvalue()


def header_length(data: bytes) -> int:
    """Where the chunks start: preamble, header JSON and the header's tag."""
    length: int = struct.unpack(">I", data[9:13])[0]
    return 13 + length + TAG


def chunks_of(data: bytes, chunk_size: int = CHUNK) -> tuple[bytes, list[bytes]]:
    start = header_length(data)
    size = chunk_size + TAG
    return data[:start], [data[i : i + size] for i in range(start, len(data), size)]


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


PAYLOAD = os.urandom(5 * 1024 * 1024 + 123)


def test_several_mebibytes_round_trip_in_small_chunks_with_flat_memory():
    """5 MiB in 4 KiB chunks: the payload comes back whole, in 1281 chunks, and no read
    or write at any point is bigger than one sealed chunk."""
    source, sealed = Recording(PAYLOAD), Recording()

    written = fileformat.encrypt(
        source,
        sealed,
        ring=RING,
        engine="postgresql",
        manifest=MANIFEST,
        created_at=MADE_AT,
        chunk_size=CHUNK,
    )
    data = sealed.getvalue()
    reading, plain = Recording(data), Recording()
    read = fileformat.decrypt(reading, plain, ring=RING)

    assert plain.getvalue() == PAYLOAD
    assert written.chunks == read.chunks == len(PAYLOAD) // CHUNK + 1 == 1281
    assert written.payload_bytes == read.payload_bytes == len(PAYLOAD)
    assert len(data) == header_length(data) + len(PAYLOAD) + 1281 * TAG
    assert source.largest_read == CHUNK
    assert reading.largest_read == CHUNK + TAG
    assert plain.largest_write == CHUNK
    assert sealed.largest_write == CHUNK + TAG
    assert read.header.manifest == MANIFEST
    assert (read.header.engine, read.header.key_id, read.header.chunk_size) == (
        "postgresql",
        RING.active,
        CHUNK,
    )
    assert read.header.created_at == MADE_AT


@pytest.mark.parametrize(
    ("size", "chunks"), [(0, 1), (1, 1), (CHUNK - 1, 1), (CHUNK, 1), (CHUNK + 1, 2), (3 * CHUNK, 3)]
)
def test_payloads_at_and_around_chunk_boundaries_round_trip(size, chunks):
    payload = os.urandom(size)

    result, plain = open_sealed(seal(payload))

    assert plain == payload
    assert result.chunks == chunks


def test_the_same_payload_seals_differently_each_time():
    """A fresh random nonce per file: two backups of the same data share no ciphertext."""
    first, second = seal(PAYLOAD[:CHUNK]), seal(PAYLOAD[:CHUNK])

    assert chunks_of(first)[1] != chunks_of(second)[1]


def test_the_header_names_the_key_and_holds_no_payload():
    payload = b"Virtanen Matti 040 123 4567"

    data = seal(payload)

    assert payload not in data
    assert f'"key_id":"{RING.active}"'.encode() in data[: header_length(data)]


def test_a_flipped_bit_in_the_header_is_refused():
    data = seal(PAYLOAD[:10000])
    position = data.index(b'"customers_customer":20') + len(b'"customers_customer":2')

    with pytest.raises(TamperedError, match="tampered or damaged"):
        open_sealed(flip(data, position))


def test_a_flipped_bit_in_the_header_tag_is_refused():
    data = seal(PAYLOAD[:10000])

    with pytest.raises(TamperedError, match="header failed authentication"):
        open_sealed(flip(data, header_length(data) - 1))


@pytest.mark.parametrize("chunk", [0, 1, 2])
def test_a_flipped_bit_in_any_chunk_is_refused(chunk):
    data = seal(PAYLOAD[:10000])
    position = header_length(data) + chunk * (CHUNK + TAG) + 100

    with pytest.raises(TamperedError, match=f"chunk {chunk} failed authentication"):
        open_sealed(flip(data, position))


@pytest.mark.parametrize("keep", [13, 500, "header", "one chunk", "mid chunk", "one byte less"])
def test_a_file_cut_short_anywhere_is_refused(keep):
    data = seal(PAYLOAD[: 3 * CHUNK + 10])
    start = header_length(data)
    length = {
        "header": start,
        "one chunk": start + CHUNK + TAG,
        "mid chunk": start + CHUNK + TAG + 77,
        "one byte less": len(data) - 1,
    }.get(keep, keep)

    with pytest.raises(TamperedError):
        open_sealed(data[:length])


def test_a_file_cut_at_a_chunk_boundary_is_refused_even_though_the_chunks_are_whole():
    """The last chunk says it is the last: without it the file does not end well."""
    data = seal(PAYLOAD[: 3 * CHUNK])
    header, chunks = chunks_of(data)

    with pytest.raises(TamperedError, match="chunk 1 failed authentication"):
        open_sealed(header + b"".join(chunks[:2]))


def test_bytes_added_after_the_last_chunk_are_refused():
    data = seal(PAYLOAD[:10000])

    with pytest.raises(TamperedError):
        open_sealed(data + b"\x00" * 20)


def test_a_dropped_chunk_is_refused():
    header, chunks = chunks_of(seal(PAYLOAD[: 4 * CHUNK]))

    with pytest.raises(TamperedError, match="chunk 1 failed authentication"):
        open_sealed(header + chunks[0] + b"".join(chunks[2:]))


def test_swapped_chunks_are_refused():
    header, chunks = chunks_of(seal(PAYLOAD[: 4 * CHUNK]))
    chunks[1], chunks[2] = chunks[2], chunks[1]

    with pytest.raises(TamperedError, match="chunk 1 failed authentication"):
        open_sealed(header + b"".join(chunks))


def test_a_repeated_chunk_is_refused():
    header, chunks = chunks_of(seal(PAYLOAD[: 4 * CHUNK]))

    with pytest.raises(TamperedError, match="chunk 2 failed authentication"):
        open_sealed(header + b"".join([chunks[0], chunks[1], chunks[1], chunks[3]]))


def test_a_chunk_from_another_backup_with_the_same_key_is_refused():
    header, chunks = chunks_of(seal(PAYLOAD[: 2 * CHUNK]))
    _other_header, other_chunks = chunks_of(seal(PAYLOAD[: 2 * CHUNK]))

    with pytest.raises(TamperedError, match="chunk 0 failed authentication"):
        open_sealed(header + other_chunks[0] + chunks[1])


def test_a_header_from_another_backup_with_the_same_key_is_refused():
    _header, chunks = chunks_of(seal(PAYLOAD[: 2 * CHUNK]))
    other_header, _other_chunks = chunks_of(seal(PAYLOAD[: 2 * CHUNK]))

    with pytest.raises(TamperedError, match="chunk 0 failed authentication"):
        open_sealed(other_header + b"".join(chunks))


def test_a_key_id_missing_from_the_ring_is_a_wrong_key_before_anything_is_written():
    data = seal(PAYLOAD[:10000])
    other_ring = KeyRing.generate(key_id="k7")
    plain = io.BytesIO()

    with pytest.raises(WrongKeyError) as raised:
        fileformat.decrypt(io.BytesIO(data), plain, ring=other_ring)

    assert str(raised.value) == (
        f"the key {RING.active!r} this backup was made with is not in the key ring"
    )
    assert plain.getvalue() == b""


def test_another_key_under_the_same_id_is_a_wrong_key_not_tampering():
    data = seal(PAYLOAD[:10000])
    plain = io.BytesIO()

    with pytest.raises(WrongKeyError, match="is a different key"):
        fileformat.decrypt(io.BytesIO(data), plain, ring=KeyRing.generate(key_id=RING.active))

    assert plain.getvalue() == b""


def test_a_ring_that_still_holds_the_old_key_opens_a_backup_after_rotation():
    rotated = RING.with_new_active_key()

    _result, plain = open_sealed(seal(PAYLOAD[:10000]), ring=rotated)

    assert plain == PAYLOAD[:10000]
    assert fileformat.read_header(io.BytesIO(seal(b"x", ring=rotated)), rotated).key_id == "k2"


def test_each_key_id_has_its_own_backup_key_apart_from_the_field_key():
    rotated = RING.with_new_active_key()

    first, second = fileformat.backup_key(rotated, "k1"), fileformat.backup_key(rotated, "k2")

    assert first != second
    assert first != rotated.encryption["k1"]
    assert len(first) == 32


def test_a_file_that_is_not_a_backup_is_named_so():
    with pytest.raises(NotABackupError, match="not a Rekisteri backup"):
        open_sealed(b"SQLite format 3\x00" + b"\x00" * 100)


def test_a_later_format_version_is_refused_by_name():
    data = bytearray(seal(b"payload"))
    data[8] = 2

    with pytest.raises(UnsupportedVersionError, match="format version 2"):
        open_sealed(bytes(data))


def test_an_impossible_header_length_is_refused_without_reading_it():
    data = bytearray(seal(b"payload"))
    data[9:13] = struct.pack(">I", 2**31)

    with pytest.raises(TamperedError, match="header length"):
        open_sealed(bytes(data))


def test_read_header_authenticates_without_reading_the_chunks():
    data = seal(PAYLOAD[:10000])
    header_only = data[: header_length(data)]

    header = fileformat.read_header(io.BytesIO(header_only), RING)

    assert header.manifest.rows == 108
    with pytest.raises(TamperedError):
        fileformat.read_header(io.BytesIO(flip(header_only, 20)), RING)
