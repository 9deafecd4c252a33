"""Key rings, field encryption, blind indexes and key files."""

from __future__ import annotations

import base64
import json
import os
import stat
import traceback
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from rekisteri import crypto
from rekisteri.crypto import DecryptionError, KeyRing, KeyRingError

PROPERTY = settings(max_examples=200, deadline=None, database=None)

PLAINTEXT = "Virtanen, Anna Maria"
PURPOSE = "customer.surname"


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.generate()


def key_b64(size: int = crypto.KEY_BYTES) -> str:
    return base64.b64encode(os.urandom(size)).decode("ascii")


def ring_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "active": "k1",
        "encryption": {"k1": key_b64()},
        "index": key_b64(),
        "audit": key_b64(),
    }
    data.update(changes)
    return data


def payload_of(token: str) -> bytes:
    return base64.b64decode(token.split(":")[2])


def token_with_payload(token: str, raw: bytes) -> str:
    version, key_id, _ = token.split(":")
    return f"{version}:{key_id}:{base64.b64encode(raw).decode('ascii')}"


def assert_no_plaintext(error: BaseException, plaintext: str) -> None:
    text = "".join(traceback.format_exception(error))
    assert plaintext not in text
    assert plaintext not in repr(error.args)


# -- generating and serialising ------------------------------------------------------


def test_generate_makes_a_ring_with_one_active_key() -> None:
    ring = KeyRing.generate()

    assert ring.active == "k1"
    assert list(ring.encryption) == ["k1"]
    assert len(ring.encryption["k1"]) == crypto.KEY_BYTES
    assert len(ring.index) == crypto.KEY_BYTES
    assert len(ring.audit) == crypto.KEY_BYTES
    assert len({ring.encryption["k1"], ring.index, ring.audit}) == 3


def test_generate_takes_a_key_id() -> None:
    ring = KeyRing.generate("2026-main")

    assert ring.active == "2026-main"
    assert ring.key_id_of(ring.encrypt(PLAINTEXT, purpose=PURPOSE)) == "2026-main"


def test_generate_refuses_a_bad_key_id() -> None:
    with pytest.raises(KeyRingError):
        KeyRing.generate("k:1")


def test_generate_makes_new_keys_every_time() -> None:
    first, second = KeyRing.generate(), KeyRing.generate()

    assert first != second
    assert first.encryption["k1"] != second.encryption["k1"]
    assert first.index != second.index


def test_json_round_trip_keeps_every_key(ring: KeyRing) -> None:
    text = ring.to_json()
    copy = KeyRing.from_json(text)

    assert copy == ring
    assert copy.to_json() == text
    assert json.loads(text) == {
        "active": "k1",
        "encryption": {"k1": base64.b64encode(ring.encryption["k1"]).decode("ascii")},
        "index": base64.b64encode(ring.index).decode("ascii"),
        "audit": base64.b64encode(ring.audit).decode("ascii"),
    }
    assert copy.decrypt(ring.encrypt(PLAINTEXT, purpose=PURPOSE), purpose=PURPOSE) == PLAINTEXT


def test_repr_shows_key_ids_but_no_key_material(ring: KeyRing) -> None:
    text = repr(ring)

    assert text == "KeyRing(active='k1', key_ids=['k1'])"
    for raw in (ring.encryption["k1"], ring.index, ring.audit):
        assert base64.b64encode(raw).decode("ascii") not in text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("{", id="broken JSON"),
        pytest.param("null", id="null"),
        pytest.param("[]", id="a list"),
        pytest.param('"keys"', id="a string"),
        pytest.param(json.dumps(ring_data(encryption=None)), id="no encryption keys"),
        pytest.param(json.dumps(ring_data(encryption={})), id="empty encryption keys"),
        pytest.param(json.dumps(ring_data(encryption=[key_b64()])), id="encryption a list"),
        pytest.param(json.dumps(ring_data(active=None)), id="no active key"),
        pytest.param(json.dumps(ring_data(active="k2")), id="active not among the keys"),
        pytest.param(json.dumps(ring_data(active=["k1"])), id="active a list"),
        pytest.param(json.dumps(ring_data(active=1)), id="active a number"),
        pytest.param(
            json.dumps(ring_data(active="", encryption={"": key_b64()})), id="empty key id"
        ),
        pytest.param(
            json.dumps(ring_data(active="k 1", encryption={"k 1": key_b64()})), id="space in key id"
        ),
        pytest.param(
            json.dumps(ring_data(active="k:1", encryption={"k:1": key_b64()})), id="colon in key id"
        ),
        pytest.param(
            json.dumps(ring_data(active="k1\n", encryption={"k1\n": key_b64()})),
            id="newline after key id",
        ),
        pytest.param(
            json.dumps(ring_data(active="k" * 33, encryption={"k" * 33: key_b64()})),
            id="key id of 33 characters",
        ),
        pytest.param(
            json.dumps(ring_data(active="ä", encryption={"ä": key_b64()})), id="non-ASCII key id"
        ),
        pytest.param(json.dumps(ring_data(encryption={"k1": key_b64(16)})), id="16-byte key"),
        pytest.param(json.dumps(ring_data(encryption={"k1": key_b64(33)})), id="33-byte key"),
        pytest.param(json.dumps(ring_data(encryption={"k1": ""})), id="empty key"),
        pytest.param(json.dumps(ring_data(encryption={"k1": 12345})), id="key a number"),
        pytest.param(json.dumps(ring_data(encryption={"k1": "!" * 44})), id="key not base64"),
        pytest.param(
            json.dumps(ring_data(encryption={"k1": key_b64()[:-1]})), id="key with broken padding"
        ),
        pytest.param(
            json.dumps(ring_data(encryption={"k1": key_b64().replace("=", "") + " "})),
            id="key with a space",
        ),
        pytest.param(json.dumps(ring_data(index=None)), id="no index key"),
        pytest.param(json.dumps(ring_data(index=key_b64(31))), id="31-byte index key"),
        pytest.param(json.dumps(ring_data(audit=None)), id="no audit key"),
        pytest.param(json.dumps(ring_data(audit="not base64")), id="audit key not base64"),
    ],
)
def test_from_json_rejects_a_malformed_ring(text: str) -> None:
    with pytest.raises(KeyRingError) as caught:
        KeyRing.from_json(text)

    assert caught.value.__cause__ is None


def test_from_json_accepts_every_form_of_key_id() -> None:
    key_ids = ["k1", "K_2", "2026-01", "a" * 32]
    data = ring_data(active="a" * 32, encryption={key_id: key_b64() for key_id in key_ids})

    ring = KeyRing.from_json(json.dumps(data))

    assert sorted(ring.encryption) == sorted(key_ids)
    assert ring.active == "a" * 32


def test_from_json_errors_never_contain_key_material() -> None:
    short_key = key_b64(16)

    with pytest.raises(KeyRingError) as caught:
        KeyRing.from_json(json.dumps(ring_data(encryption={"k1": short_key})))

    assert str(caught.value) == "key k1 must be 32 bytes, not 16"
    assert_no_plaintext(caught.value, short_key)


# -- encrypting and decrypting -------------------------------------------------------


@PROPERTY
@given(plaintext=st.text(), purpose=st.text(min_size=1, max_size=40))
def test_decrypt_returns_what_encrypt_was_given(
    ring: KeyRing, plaintext: str, purpose: str
) -> None:
    token = ring.encrypt(plaintext, purpose=purpose)

    assert ring.decrypt(token, purpose=purpose) == plaintext


@pytest.mark.parametrize(
    "plaintext",
    ["", " ", "Åsa Öhman-Äijälä", "😀 emoji", "line\nbreak", "x" * 10_000, "\x00"],
    ids=["empty", "space", "Finnish letters", "emoji", "newline", "long", "NUL"],
)
def test_round_trip_of_awkward_text(ring: KeyRing, plaintext: str) -> None:
    assert ring.decrypt(ring.encrypt(plaintext, purpose=PURPOSE), purpose=PURPOSE) == plaintext


def test_ciphertext_names_its_key_and_hides_the_plaintext(ring: KeyRing) -> None:
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    version, key_id, payload = token.split(":")
    assert (version, key_id) == ("v2", "k1")
    assert ring.key_id_of(token) == "k1"
    raw = base64.b64decode(payload, validate=True)
    assert len(raw) == crypto.NONCE_BYTES + len(PLAINTEXT.encode()) + 16
    assert PLAINTEXT.encode() not in raw
    assert PLAINTEXT not in token


def test_each_encryption_uses_a_new_nonce(ring: KeyRing) -> None:
    tokens = [ring.encrypt(PLAINTEXT, purpose=PURPOSE) for _ in range(50)]

    assert len(set(tokens)) == 50
    assert len({payload_of(token)[: crypto.NONCE_BYTES] for token in tokens}) == 50
    assert {ring.decrypt(token, purpose=PURPOSE) for token in tokens} == {PLAINTEXT}


def test_another_ring_cannot_decrypt(ring: KeyRing) -> None:
    other = KeyRing.generate()  # the same key id, k1, with another key
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    with pytest.raises(DecryptionError) as caught:
        other.decrypt(token, purpose=PURPOSE)

    assert str(caught.value) == (
        "the ciphertext failed authentication with key 'k1': it was altered, or made for "
        "another field or row"
    )
    assert_no_plaintext(caught.value, PLAINTEXT)


def test_a_flipped_bit_anywhere_in_the_payload_fails(ring: KeyRing) -> None:
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)
    raw = payload_of(token)

    for position in range(len(raw)):
        for bit in (0x01, 0x80):
            altered = bytearray(raw)
            altered[position] ^= bit
            with pytest.raises(DecryptionError) as caught:
                ring.decrypt(token_with_payload(token, bytes(altered)), purpose=PURPOSE)
            assert_no_plaintext(caught.value, PLAINTEXT)


@PROPERTY
@given(plaintext=st.text(min_size=1, max_size=50), data=st.data())
def test_any_altered_byte_fails(ring: KeyRing, plaintext: str, data: st.DataObject) -> None:
    token = ring.encrypt(plaintext, purpose=PURPOSE)
    raw = bytearray(payload_of(token))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] ^= data.draw(st.integers(min_value=1, max_value=255))

    with pytest.raises(DecryptionError):
        ring.decrypt(token_with_payload(token, bytes(raw)), purpose=PURPOSE)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda raw: raw[:-1], id="last byte cut"),
        pytest.param(lambda raw: raw[1:], id="first byte cut"),
        pytest.param(lambda raw: raw + b"\x00", id="byte appended"),
        pytest.param(lambda raw: raw[: crypto.NONCE_BYTES + 16], id="ciphertext removed"),
        pytest.param(
            lambda raw: raw[crypto.NONCE_BYTES :] + raw[: crypto.NONCE_BYTES],
            id="nonce moved to the end",
        ),
    ],
)
def test_a_truncated_or_extended_payload_fails(ring: KeyRing, change) -> None:
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    with pytest.raises(DecryptionError):
        ring.decrypt(token_with_payload(token, change(payload_of(token))), purpose=PURPOSE)


def test_a_wrong_purpose_fails(ring: KeyRing) -> None:
    """The purpose is authenticated data: a surname cannot be decrypted as an email."""
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    for purpose in ("customer.email", "", "customer.surname ", "Customer.surname"):
        with pytest.raises(DecryptionError) as caught:
            ring.decrypt(token, purpose=purpose)
        assert_no_plaintext(caught.value, PLAINTEXT)


ROW_A = "5f0c2f0e-6d4b-4b8e-9a53-2f3b8f0d1a01"
ROW_B = "9a1d7c44-0b1e-4f7a-8c2d-6e5b4a3f2c10"


def v1_token(ring: KeyRing, plaintext: str, purpose: str) -> str:
    """A ciphertext as releases before row binding wrote it: the purpose alone bound."""
    nonce = os.urandom(crypto.NONCE_BYTES)
    sealed = AESGCM(ring.encryption[ring.active]).encrypt(
        nonce, plaintext.encode(), purpose.encode()
    )
    return f"v1:{ring.active}:{base64.b64encode(nonce + sealed).decode()}"


def test_a_ciphertext_is_bound_to_its_row(ring: KeyRing) -> None:
    """Copied onto another row, or read without its row, it does not decrypt; the
    error names neither the value nor the rows."""
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE, row=ROW_A)

    assert ring.decrypt(token, purpose=PURPOSE, row=ROW_A) == PLAINTEXT
    for row in (ROW_B, None, "", ROW_A.upper()):
        with pytest.raises(DecryptionError) as caught:
            ring.decrypt(token, purpose=PURPOSE, row=row)
        assert_no_plaintext(caught.value, PLAINTEXT)
        assert ROW_A not in str(caught.value)


def test_purpose_and_row_cannot_be_shifted_into_each_other(ring: KeyRing) -> None:
    token = ring.encrypt(PLAINTEXT, purpose="a.b", row="c")

    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose="a.", row="bc")
    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose="a.b\x00c")


def test_a_value_without_a_row_still_round_trips(ring: KeyRing) -> None:
    """Fields with no row id to bind (a purpose alone) work as before."""
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    assert token.startswith("v2:k1:")
    assert ring.decrypt(token, purpose=PURPOSE) == PLAINTEXT
    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose=PURPOSE, row=ROW_A)


def test_a_v1_ciphertext_still_decrypts_with_or_without_its_row(ring: KeyRing) -> None:
    token = v1_token(ring, PLAINTEXT, PURPOSE)

    assert ring.decrypt(token, purpose=PURPOSE) == PLAINTEXT
    assert ring.decrypt(token, purpose=PURPOSE, row=ROW_A) == PLAINTEXT
    assert not token.startswith(ring.active_prefix)
    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose="customer.email")


def test_a_v1_ciphertext_relabelled_v2_fails(ring: KeyRing) -> None:
    token = v1_token(ring, PLAINTEXT, PURPOSE).replace("v1:", "v2:", 1)

    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose=PURPOSE)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param(PLAINTEXT, id="a plaintext"),
        pytest.param("v1", id="version only"),
        pytest.param("v1:k1", id="no payload"),
        pytest.param("v1:k1:", id="empty payload"),
        pytest.param("v3:k1:" + base64.b64encode(bytes(40)).decode(), id="unknown version"),
        pytest.param("V1:k1:" + base64.b64encode(bytes(40)).decode(), id="upper-case version"),
        pytest.param("v1:k1:" + base64.b64encode(bytes(40)).decode() + ":x", id="four parts"),
        pytest.param("v1:k1:not base64!", id="not base64"),
        pytest.param("v1:k1:AAAA=", id="broken padding"),
        pytest.param("v1:k1:" + base64.b64encode(bytes(27)).decode(), id="27 bytes, too short"),
        pytest.param("v1:k1:" + base64.b64encode(bytes(28)).decode(), id="28 zero bytes"),
        pytest.param(
            "v1:k1:" + base64.urlsafe_b64encode(b"\xff" * 30).decode(), id="URL-safe alphabet"
        ),
        pytest.param("v1::" + base64.b64encode(bytes(40)).decode(), id="empty key id"),
    ],
)
def test_malformed_tokens_fail(ring: KeyRing, token: str) -> None:
    with pytest.raises(DecryptionError) as caught:
        ring.decrypt(token, purpose=PURPOSE)

    assert caught.value.__cause__ is None


def test_an_unknown_key_id_fails(ring: KeyRing) -> None:
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE).replace("v2:k1:", "v2:k9:")

    with pytest.raises(DecryptionError) as caught:
        ring.decrypt(token, purpose=PURPOSE)

    assert str(caught.value) == "the key 'k9' is not in the key ring"
    assert_no_plaintext(caught.value, PLAINTEXT)


@PROPERTY
@given(token=st.one_of(st.text(max_size=60), st.text(max_size=60).map(lambda t: "v1:k1:" + t)))
def test_decrypting_junk_fails_with_decryption_error_only(ring: KeyRing, token: str) -> None:
    with pytest.raises(DecryptionError):
        ring.decrypt(token, purpose=PURPOSE)


def test_key_id_of_reads_the_token_without_decrypting(ring: KeyRing) -> None:
    assert ring.key_id_of("v1:k7:AAAA") == "k7"
    assert ring.key_id_of("not a token") == ""
    assert ring.key_id_of("") == ""


# -- rotation ------------------------------------------------------------------------


def test_a_new_active_key_encrypts_while_old_ciphertexts_still_decrypt(ring: KeyRing) -> None:
    old_token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)

    rotated = ring.with_new_active_key()
    new_token = rotated.encrypt(PLAINTEXT, purpose=PURPOSE)

    assert rotated.active == "k2"
    assert sorted(rotated.encryption) == ["k1", "k2"]
    assert rotated.encryption["k1"] == ring.encryption["k1"]
    assert rotated.encryption["k2"] != ring.encryption["k1"]
    assert rotated.key_id_of(new_token) == "k2"
    assert rotated.decrypt(old_token, purpose=PURPOSE) == PLAINTEXT
    assert rotated.decrypt(new_token, purpose=PURPOSE) == PLAINTEXT
    with pytest.raises(DecryptionError):
        ring.decrypt(new_token, purpose=PURPOSE)
    assert ring.active == "k1"
    assert list(ring.encryption) == ["k1"]


def test_rotation_keeps_the_index_and_audit_keys(ring: KeyRing) -> None:
    rotated = ring.with_new_active_key().with_new_active_key()

    assert rotated.active == "k3"
    assert rotated.index == ring.index
    assert rotated.audit == ring.audit
    assert rotated.blind_index(PLAINTEXT, purpose=PURPOSE) == ring.blind_index(
        PLAINTEXT, purpose=PURPOSE
    )
    assert KeyRing.from_json(rotated.to_json()) == rotated


def test_rotation_numbers_after_the_highest_k_key() -> None:
    data = ring_data(active="k2", encryption={"k2": key_b64(), "k10": key_b64(), "x": key_b64()})

    assert KeyRing.from_json(json.dumps(data)).with_new_active_key().active == "k11"
    assert KeyRing.generate("main").with_new_active_key().active == "k1"


# -- blind indexes and audit MACs ----------------------------------------------------


def test_blind_index_is_deterministic_and_keyed(ring: KeyRing) -> None:
    index = ring.blind_index(PLAINTEXT, purpose=PURPOSE)

    assert index == ring.blind_index(PLAINTEXT, purpose=PURPOSE)
    assert index == KeyRing.from_json(ring.to_json()).blind_index(PLAINTEXT, purpose=PURPOSE)
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert PLAINTEXT.lower() not in index
    assert index != KeyRing.generate().blind_index(PLAINTEXT, purpose=PURPOSE)


def test_blind_index_differs_per_purpose_and_value(ring: KeyRing) -> None:
    indexes = {
        ring.blind_index(PLAINTEXT, purpose=PURPOSE),
        ring.blind_index(PLAINTEXT, purpose="customer.email"),
        ring.blind_index(PLAINTEXT + " ", purpose=PURPOSE),
        ring.blind_index(PLAINTEXT.lower(), purpose=PURPOSE),
        ring.blind_index("", purpose=PURPOSE),
    }

    assert len(indexes) == 5


def test_blind_index_separates_purpose_from_value(ring: KeyRing) -> None:
    assert ring.blind_index("bc", purpose="a") != ring.blind_index("c", purpose="ab")


@PROPERTY
@given(first=st.text(max_size=20), second=st.text(max_size=20))
def test_blind_indexes_are_equal_exactly_when_values_are(
    ring: KeyRing, first: str, second: str
) -> None:
    same = ring.blind_index(first, purpose=PURPOSE) == ring.blind_index(second, purpose=PURPOSE)

    assert same is (first == second)


def test_audit_mac_is_deterministic_and_keyed(ring: KeyRing) -> None:
    mac = ring.audit_mac(b"event 1")

    assert mac == ring.audit_mac(b"event 1")
    assert mac != ring.audit_mac(b"event 2")
    assert mac != KeyRing.generate().audit_mac(b"event 1")
    assert mac != ring.blind_index("event 1", purpose="")


# -- key files and loading -----------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_key_file_writes_mode_0600_and_load_keyring_reads_it(
    ring: KeyRing, tmp_path: Path
) -> None:
    path = tmp_path / "secrets" / "keys.json"

    crypto.write_key_file(ring, path)

    assert mode_of(path) == 0o600
    assert crypto.load_keyring(keys_json="", key_file=path) == ring
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]


def test_write_key_file_replaces_a_readable_file_with_a_private_one(
    ring: KeyRing, tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)

    crypto.write_key_file(ring, path)

    assert mode_of(path) == 0o600
    assert KeyRing.from_json(path.read_text(encoding="utf-8")) == ring


def test_write_key_file_is_private_despite_a_leftover_temporary_file(
    ring: KeyRing, tmp_path: Path
) -> None:
    """A readable keys.tmp from an interrupted run must not lend the keys its mode."""
    path = tmp_path / "keys.json"
    leftover = tmp_path / "keys.tmp"
    leftover.write_text("", encoding="utf-8")
    leftover.chmod(0o644)

    crypto.write_key_file(ring, path)

    assert mode_of(path) == 0o600
    assert crypto.load_keyring(keys_json="", key_file=path) == ring


def test_write_key_file_does_not_write_through_a_planted_symlink(
    ring: KeyRing, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.json"
    (tmp_path / "keys.tmp").symlink_to(target)

    crypto.write_key_file(ring, tmp_path / "keys.json")

    assert not target.exists()
    assert not (tmp_path / "keys.json").is_symlink()


def test_write_key_file_ignores_a_permissive_umask(ring: KeyRing, tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        crypto.write_key_file(ring, tmp_path / "keys.json")
    finally:
        os.umask(previous)

    assert mode_of(tmp_path / "keys.json") == 0o600


def test_load_keyring_prefers_the_environment_over_the_file(ring: KeyRing, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    crypto.write_key_file(KeyRing.generate(), path)

    assert crypto.load_keyring(keys_json=ring.to_json(), key_file=path) == ring


def test_load_keyring_with_neither_environment_nor_file_fails(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError):
        crypto.load_keyring(keys_json="", key_file=tmp_path / "missing.json")


def test_load_keyring_rejects_a_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(KeyRingError):
        crypto.load_keyring(keys_json="", key_file=path)


def test_keyring_reads_the_ring_the_settings_name(settings, ring: KeyRing) -> None:
    settings.REKISTERI_KEYS = ring.to_json()

    assert crypto.keyring() == ring
    assert crypto.keyring() is crypto.keyring()


def test_keyring_reloads_the_key_file_when_it_changes(settings, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first, second = KeyRing.generate(), KeyRing.generate()
    settings.REKISTERI_KEYS = ""
    settings.REKISTERI_KEY_FILE = path

    crypto.write_key_file(first, path)
    os.utime(path, (1_000_000, 1_000_000))
    assert crypto.keyring() == first

    crypto.write_key_file(second, path)
    os.utime(path, (2_000_000, 2_000_000))
    assert crypto.keyring() == second


def test_a_non_ascii_key_is_a_key_ring_error() -> None:
    with pytest.raises(KeyRingError):
        KeyRing.from_json(json.dumps(ring_data(index="é" * 44)))


def test_a_non_ascii_payload_is_a_decryption_error(ring: KeyRing) -> None:
    with pytest.raises(DecryptionError):
        ring.decrypt("v1:k1:\N{EURO SIGN}", purpose=PURPOSE)


# -- versioned index keys and retired keys -------------------------------------------


def test_a_ring_with_one_bare_index_key_reads_it_as_i1_and_writes_it_back_so() -> None:
    data = ring_data()

    ring = KeyRing.from_json(json.dumps(data))

    assert (ring.index_active, list(ring.index_keys)) == ("i1", ["i1"])
    assert ring.index == base64.b64decode(str(data["index"]))
    assert json.loads(ring.to_json())["index"] == data["index"]
    assert "index_active" not in json.loads(ring.to_json())


def test_a_ring_with_versioned_index_keys_round_trips(ring: KeyRing) -> None:
    rotated = ring.with_new_active_index_key()

    data = json.loads(rotated.to_json())

    assert data["index_active"] == "i2"
    assert data["index"] == {
        "i1": base64.b64encode(ring.index).decode("ascii"),
        "i2": base64.b64encode(rotated.index).decode("ascii"),
    }
    assert KeyRing.from_json(rotated.to_json()) == rotated
    assert rotated.encryption == ring.encryption and rotated.active == ring.active


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"index": {}}, id="no index keys"),
        pytest.param({"index": {"i1": key_b64()}, "index_active": "i2"}, id="active not a key"),
        pytest.param({"index": {"i1": key_b64()}}, id="versioned without index_active"),
        pytest.param({"index": {"i 1": key_b64()}, "index_active": "i 1"}, id="bad index id"),
        pytest.param({"index": {"i1": key_b64(16)}, "index_active": "i1"}, id="short key"),
        pytest.param({"index_active": "i2"}, id="bare key named i2"),
    ],
)
def test_from_json_rejects_malformed_index_keys(changes: dict[str, object]) -> None:
    with pytest.raises(KeyRingError):
        KeyRing.from_json(json.dumps(ring_data(**changes)))


def test_from_json_takes_a_versioned_ring_without_index_i1() -> None:
    keys = {"i1": key_b64(), "i2": key_b64()}
    ring = KeyRing.from_json(json.dumps(ring_data(index=keys, index_active="i2")))

    without_i1 = ring.without_keys(index=["i1"])

    assert KeyRing.from_json(without_i1.to_json()) == without_i1
    assert list(without_i1.index_keys) == ["i2"]


def test_lookups_use_every_index_key_and_new_indexes_the_active_one(ring: KeyRing) -> None:
    rotated = ring.with_new_active_index_key()
    old_digest = ring.blind_index(PLAINTEXT, purpose=PURPOSE)

    digests = rotated.blind_indexes(PLAINTEXT, purpose=PURPOSE)

    assert rotated.blind_index(PLAINTEXT, purpose=PURPOSE) != old_digest
    assert digests == [rotated.blind_index(PLAINTEXT, purpose=PURPOSE), old_digest]
    assert rotated.blind_index(PLAINTEXT, purpose=PURPOSE, key_id="i1") == old_digest
    assert rotated.blind_indexer(purpose=PURPOSE, key_id="i1")(PLAINTEXT) == old_digest
    assert ring.blind_indexes(PLAINTEXT, purpose=PURPOSE) == [old_digest]


def test_the_active_keys_cannot_be_removed(ring: KeyRing) -> None:
    rotated = ring.with_new_active_key().with_new_active_index_key()

    with pytest.raises(KeyRingError):
        rotated.without_keys(encryption=["k2"])
    with pytest.raises(KeyRingError):
        rotated.without_keys(index=["i2"])
    assert rotated.without_keys(encryption=["k1"], index=["i1"]).old_encryption_ids == []


def test_new_key_ids_skip_the_retired_ones(ring: KeyRing) -> None:
    rotated = ring.with_new_active_key(taken=["k1", "k7"]).with_new_active_index_key(taken=["i4"])

    assert (rotated.active, rotated.index_active) == ("k8", "i5")


def test_retired_keys_round_trip_and_let_a_ring_read_old_values(
    ring: KeyRing, tmp_path: Path
) -> None:
    token = ring.encrypt(PLAINTEXT, purpose=PURPOSE)
    rotated = ring.with_new_active_key().with_new_active_index_key()
    retired = crypto.RetiredKeys().with_keys_of(rotated, encryption=["k1"], index=["i1"])
    path = crypto.retired_key_file(tmp_path / "keys.json")

    crypto.write_retired_keys(retired, path)
    current = rotated.without_keys(encryption=["k1"], index=["i1"])
    reading = current.with_retired(crypto.load_retired_keys(path))

    assert path.name == "keys.retired.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.load_retired_keys(path) == retired
    assert crypto.load_retired_keys(tmp_path / "missing.json") == crypto.RetiredKeys()
    with pytest.raises(DecryptionError):
        current.decrypt(token, purpose=PURPOSE)
    assert reading.decrypt(token, purpose=PURPOSE) == PLAINTEXT
    assert (reading.active, reading.index_active) == ("k2", "i2")
    assert reading.blind_indexes(PLAINTEXT, purpose=PURPOSE)[1] == ring.blind_index(
        PLAINTEXT, purpose=PURPOSE
    )
    assert base64.b64encode(ring.encryption["k1"]).decode("ascii") not in repr(retired)


def test_a_retired_id_never_changes_its_key(ring: KeyRing) -> None:
    retired = crypto.RetiredKeys().with_keys_of(ring, encryption=["k1"], index=[])

    with pytest.raises(KeyRingError, match="another key 'k1' is already retired"):
        retired.with_keys_of(KeyRing.generate(), encryption=["k1"], index=[])
    assert retired.with_keys_of(ring, encryption=["k1"], index=[]) == retired


def test_keyring_sees_a_rewritten_key_file_within_one_clock_tick(settings, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = KeyRing.generate()
    second = first.with_new_active_key()
    settings.REKISTERI_KEYS = ""
    settings.REKISTERI_KEY_FILE = path

    crypto.write_key_file(first, path)
    os.utime(path, ns=(1_000_000, 1_000_000))
    assert crypto.keyring() == first
    crypto.write_key_file(second, path)
    os.utime(path, ns=(1_000_000, 1_000_000))

    assert crypto.keyring() == second
