"""`rekisteri keys rotate`: new encryption and blind-index keys, every stored value moved
onto them in batches while the app serves, the old keys retired to the retired keys
file, which keeps older backups readable."""

from __future__ import annotations

import base64
import io
import os
import sqlite3
import stat
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from rekisteri import crypto, key_rotation
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.backups import fileformat
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer
from rekisteri.customers.services import (
    DuplicateCustomer,
    customer_create,
    customer_identity_codes_rekey,
    customer_input_of,
    customer_update,
)
from rekisteri.intake.models import InboxDelivery, Integration
from rekisteri.intake.services import (
    CONSUMER_KEY_PURPOSE,
    CONSUMER_SECRET_PURPOSE,
    SECRET_PURPOSE,
    integration_create,
)
from rekisteri.marketing.restrictions import (
    RestrictionListUnusable,
    restricted_digests,
    restriction_list_import,
)
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.privacy.requests.services import PORTAL_LIMITS, RateLimited, portal_attempt
from rekisteri.testing.address_lists import prepared_download
from rekisteri.testing.factories import customer_input, make_customer
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.processes import environment, run, succeed, the_backup

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
RESTRICTION_HEADER = "sukunimi;etunimet;lähiosoite;postinumero;postitoimipaikka"


@pytest.fixture
def key_file(settings, tmp_path: Path) -> Path:
    """The test run's key ring, moved into a key file (the audit key stays the same)."""
    path = tmp_path / "keys.json"
    crypto.write_key_file(crypto.keyring(), path)
    settings.REKISTERI_KEYS = ""
    settings.REKISTERI_KEY_FILE = path
    return path


def ring_in(path: Path) -> crypto.KeyRing:
    return crypto.KeyRing.from_json(path.read_text(encoding="utf-8"))


def retired_in(key_file: Path) -> crypto.RetiredKeys:
    return crypto.load_retired_keys(crypto.retired_key_file(key_file))


def rotate(*arguments: str) -> str:
    out = io.StringIO()
    call_command("keys", "rotate", *arguments, stdout=out)
    return out.getvalue()


def codes_of(customers: list[Customer], ring: crypto.KeyRing) -> dict[int, str]:
    return {
        c.pk: ring.decrypt(
            c.identity_code_encrypted, purpose=IDENTITY_CODE_PURPOSE, row=str(c.public_id)
        )
        for c in customers
    }


def search(client, text: str) -> list[int]:
    response = client.post(reverse("customers:search"), {"q": text})
    assert response.status_code == 200
    return [c.customer_number for c in response.context["page"].customers]


def begin_and_move_one(key_file: Path) -> crypto.KeyRing:
    """A rotation stopped after its first batch of one identity code."""
    ring = key_rotation.rotation_begin(
        ring=crypto.keyring(), key_file=key_file, actor=SYSTEM, retired=crypto.RetiredKeys()
    )
    assert customer_identity_codes_rekey(ring=crypto.keyring(), actor=SYSTEM, batch_size=1) == 1
    return ring


def rotation_events() -> list[str]:
    return list(
        AuditEvent.objects.filter(action=Action.KEY_ROTATE)
        .order_by("id")
        .values_list("reason", flat=True)
    )


def test_rotate_moves_every_value_onto_new_keys_and_retires_the_old_ones(key_file):
    old = crypto.keyring()
    customers = [make_customer(with_identity_code=True) for _ in range(5)]
    without_code = make_customer()
    shop = integration_create(
        actor=SYSTEM,
        kind="woocommerce",
        name="Verkkokauppa",
        consumer_key="ck_kuluttaja",
        consumer_secret="cs_salaisuus",
    )
    codes = codes_of(customers, old)

    output = rotate("--batch-size", "2")

    ring = ring_in(key_file)
    assert (ring.active, ring.index_active) == ("k2", "i2")
    assert (list(ring.encryption), list(ring.index_keys)) == (["k2"], ["i2"])
    assert ring.audit == old.audit
    for customer in customers:
        customer.refresh_from_db()
        assert customer.identity_code_encrypted.startswith("v2:k2:")
        code = codes_of([customer], ring)[customer.pk]
        assert code == codes[customer.pk]
        assert customer.identity_code_index == ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
    without_code.refresh_from_db()
    assert (without_code.identity_code_encrypted, without_code.identity_code_index) == ("", "")
    integration = Integration.objects.get(pk=shop.integration.pk)
    assert [
        (token[:6], ring.decrypt(token, purpose=purpose))
        for token, purpose in (
            (integration.secret_encrypted, SECRET_PURPOSE),
            (integration.consumer_key_encrypted, CONSUMER_KEY_PURPOSE),
            (integration.consumer_secret_encrypted, CONSUMER_SECRET_PURPOSE),
        )
    ] == [("v2:k2:", shop.secret), ("v2:k2:", "ck_kuluttaja"), ("v2:k2:", "cs_salaisuus")]
    retired = retired_in(key_file)
    assert retired.encryption == {"k1": old.encryption["k1"]}
    assert retired.index == {"i1": old.index}
    text = key_file.read_text()
    for key in (old.encryption["k1"], old.index):
        assert base64.b64encode(key).decode("ascii") not in text
    for path in (key_file, crypto.retired_key_file(key_file)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert output.splitlines() == [
        f"Added encryption key k2 and index key i2 to {key_file} and made them active: new "
        "values use them from now on.",
        "To move onto the active keys: 5 identity code(s), 1 integration(s), "
        "0 authenticator(s), 0 customer audit text key(s), 0 shop delivery(ies).",
        "  identity codes: 2 moved",
        "  identity codes: 4 moved",
        "  identity codes: 5 moved",
        "  integrations: 1 moved",
        "Moved 6 value(s) onto the active keys.",
        f"Retired key(s) k1, i1: removed from {key_file}, kept in "
        f"{crypto.retired_key_file(key_file)} for the backups made before. Keep that file "
        "with those backups, apart from them (docs/backups.md).",
        "Rotation complete: the key ring holds encryption key k2 and index key i2.",
    ]


def test_rotation_is_audited_without_any_identity_code(key_file):
    customers = [make_customer(with_identity_code=True) for _ in range(3)]
    codes = codes_of(customers, crypto.keyring())

    rotate("--batch-size", "2")

    assert rotation_events() == [
        "rotation begun: encryption key k2 and index key i2 added and made active",
        "2 identity codes moved to encryption key k2 and index key i2",
        "1 identity codes moved to encryption key k2 and index key i2",
        "keys retired: k1, i1",
    ]
    events = AuditEvent.objects.filter(action=Action.KEY_ROTATE)
    assert {e.actor_label for e in events} == {"keys rotate"}
    assert {e.customer_id for e in events} == {None}
    everything = str(list(AuditEvent.objects.values()))
    for code in codes.values():
        assert code not in everything
        assert code[:6] + code[7:] not in everything


def test_search_by_identity_code_finds_customers_before_during_and_after_a_rotation(
    key_file, client_as
):
    client = client_as(Role.CUSTOMER_SERVICE)
    first, second = random_identity_code(), random_identity_code()
    moved_first = make_customer(identity_code=first)
    left_for_later = make_customer(identity_code=second)
    make_customer(with_identity_code=True)

    before = (search(client, first), search(client, second))
    begin_and_move_one(key_file)
    moved_first.refresh_from_db()
    left_for_later.refresh_from_db()
    during = (search(client, first), search(client, second))
    rotate()
    after = (search(client, first), search(client, second))

    wanted = ([moved_first.customer_number], [left_for_later.customer_number])
    assert before == during == after == wanted
    assert moved_first.identity_code_encrypted.startswith("v2:k2:")
    assert left_for_later.identity_code_encrypted.startswith("v2:k1:")


def test_duplicates_and_unchanged_codes_are_recognised_in_the_middle_of_a_rotation(key_file):
    code = random_identity_code()
    make_customer(with_identity_code=True)  # moved by the first batch
    existing = make_customer(identity_code=code)
    begin_and_move_one(key_file)
    existing.refresh_from_db()
    assert existing.identity_code_encrypted.startswith("v2:k1:")

    with pytest.raises(DuplicateCustomer) as raised:
        customer_create(
            actor=SYSTEM, data=customer_input(), source="phone", identity_code=code.lower()
        )
    unchanged = customer_update(
        actor=SYSTEM,
        customer=existing,
        expected_version=existing.version,
        data=customer_input_of(existing),
        identity_code=code,
    )

    assert [c.pk for c in raised.value.candidates] == [existing.pk]
    assert unchanged.version == existing.version
    existing.refresh_from_db()
    assert existing.identity_code_encrypted.startswith("v2:k1:")
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_an_interrupted_rotation_resumes_and_adds_no_more_keys(key_file):
    customers = [make_customer(with_identity_code=True) for _ in range(3)]
    codes = codes_of(customers, crypto.keyring())
    begin_and_move_one(key_file)

    output = rotate()

    assert output.splitlines()[:2] == [
        "Resuming the unfinished rotation to encryption key k2 and index key i2.",
        "To move onto the active keys: 2 identity code(s), 0 integration(s), "
        "0 authenticator(s), 0 customer audit text key(s), 0 shop delivery(ies).",
    ]
    ring = ring_in(key_file)
    assert (list(ring.encryption), list(ring.index_keys)) == (["k2"], ["i2"])
    for customer in customers:
        customer.refresh_from_db()
    assert codes_of(customers, ring) == codes
    assert {c.identity_code_index for c in customers} == {
        ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE) for code in codes.values()
    }
    assert rotation_events() == [
        "rotation begun: encryption key k2 and index key i2 added and made active",
        "1 identity codes moved to encryption key k2 and index key i2",
        "2 identity codes moved to encryption key k2 and index key i2",
        "keys retired: k1, i1",
    ]


def test_a_finished_rotation_run_again_starts_the_next_one_and_reuses_no_key_id(key_file):
    customer = make_customer(with_identity_code=True)
    code = codes_of([customer], crypto.keyring())[customer.pk]
    first = crypto.keyring()
    rotate()
    second = ring_in(key_file)

    rotate()

    third = ring_in(key_file)
    assert (list(third.encryption), list(third.index_keys)) == (["k3"], ["i3"])
    retired = retired_in(key_file)
    assert retired.encryption == {"k1": first.encryption["k1"], "k2": second.encryption["k2"]}
    assert retired.index == {"i1": first.index, "i2": second.index}
    customer.refresh_from_db()
    assert codes_of([customer], third) == {customer.pk: code}


def test_a_value_under_a_key_no_file_holds_stops_the_rotation_and_retires_nothing(key_file):
    make_customer(with_identity_code=True)
    stray = make_customer(with_identity_code=True)
    foreign = crypto.KeyRing.generate(key_id="k9").encrypt("x", purpose=IDENTITY_CODE_PURPOSE)
    Customer.objects.filter(pk=stray.pk).update(identity_code_encrypted=foreign)
    key_rotation.rotation_begin(
        ring=crypto.keyring(), key_file=key_file, actor=SYSTEM, retired=crypto.RetiredKeys()
    )

    with pytest.raises(CommandError) as raised:
        rotate("--batch-size", "1")

    assert str(raised.value).startswith(
        "Stopped: a stored value cannot be decrypted (the key 'k9' is not in the key ring)."
    )
    ring = ring_in(key_file)
    assert (sorted(ring.encryption), sorted(ring.index_keys)) == (["k1", "k2"], ["i1", "i2"])
    assert not crypto.retired_key_file(key_file).exists()
    assert Customer.objects.filter(identity_code_encrypted__startswith="v2:k2:").count() == 1


def test_keys_from_the_environment_are_not_rotated(settings):
    settings.REKISTERI_KEYS = crypto.KeyRing.generate().to_json()
    make_customer(with_identity_code=True)

    with pytest.raises(CommandError, match="REKISTERI_KEYS, which this command cannot change"):
        rotate()

    assert not Path(settings.REKISTERI_KEY_FILE).exists()
    assert Customer.objects.filter(identity_code_encrypted__startswith="v2:k1:").count() == 1
    assert not AuditEvent.objects.filter(action=Action.KEY_ROTATE).exists()


def test_reencrypt_moves_values_onto_the_active_keys_of_a_ring_from_the_environment(settings):
    old = crypto.keyring()
    customer = make_customer(with_identity_code=True)
    code = codes_of([customer], old)[customer.pk]
    new = old.with_new_active_key().with_new_active_index_key()
    settings.REKISTERI_KEYS = new.to_json()
    out = io.StringIO()

    call_command("keys", "reencrypt", stdout=out)

    customer.refresh_from_db()
    assert customer.identity_code_encrypted.startswith("v2:k2:")
    assert codes_of([customer], new.without_keys(encryption=["k1"])) == {customer.pk: code}
    assert customer.identity_code_index == new.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
    assert out.getvalue().splitlines()[-1] == "Re-encrypted 1 value(s) with key k2 (index key i2)."
    assert [e.actor_label for e in AuditEvent.objects.filter(action=Action.KEY_ROTATE)] == [
        "keys reencrypt"
    ]


def test_portal_attempts_counted_before_a_rotation_still_count_during_it(key_file):
    for _ in range(PORTAL_LIMITS["email_ip"]):
        portal_attempt(action="request", ip_address="192.0.2.7", email="aino.virtanen@example.fi")
    key_rotation.rotation_begin(
        ring=crypto.keyring(), key_file=key_file, actor=SYSTEM, retired=crypto.RetiredKeys()
    )

    with pytest.raises(RateLimited):
        portal_attempt(action="request", ip_address="192.0.2.7", email="aino.virtanen@example.fi")


# The ASML restriction list: digests only, so it cannot be digested again ------------


def a_post_group_with_two_customers() -> int:
    group = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Postitus", channel="post"))
    make_customer(
        first_names="Aino Maria",
        surname="Virtanen",
        street_address="Isokatu 1 A 2",
        postal_code="90100",
        post_office="OULU",
    )
    make_customer(
        first_names="Pekka",
        surname="Mäkelä",
        street_address="Kirkkotie 5",
        postal_code="90440",
        post_office="KEMPELE",
    )
    return group.pk


def import_restrictions(text: str) -> None:
    data = f"{RESTRICTION_HEADER}\n{text}\n".encode()
    restriction_list_import(actor=SYSTEM, file=io.BytesIO(data))


def exported_names(client, group: int) -> list[str]:
    response = prepared_download(client, reverse("marketing:export", args=[group]))
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    return [line.split(",")[0] for line in lines[1:]]


def test_the_restriction_lists_index_key_is_kept_until_a_new_list_is_imported(key_file, client_as):
    group = a_post_group_with_two_customers()
    import_restrictions("VIRTANEN;AINO;ISOKATU 1 A 2;90100;OULU")
    client = client_as(Role.MARKETING)

    output = rotate()

    ring = ring_in(key_file)
    assert (list(ring.encryption), sorted(ring.index_keys), ring.index_active) == (
        ["k2"],
        ["i1", "i2"],
        "i2",
    )
    assert retired_in(key_file).index == {}
    assert output.splitlines()[-1].startswith(
        "Index key i1 is kept: the ASML restriction list in force was digested with it"
    )
    assert exported_names(client, group) == ["Pekka Mäkelä"]

    import_restrictions("MÄKELÄ;PEKKA;KIRKKOTIE 5;90440;KEMPELE")
    again = rotate()

    ring = ring_in(key_file)
    assert (list(ring.encryption), list(ring.index_keys)) == (["k2"], ["i2"])
    assert list(retired_in(key_file).index) == ["i1"]
    assert again.splitlines()[0] == (
        "Resuming the unfinished rotation to encryption key k2 and index key i2."
    )
    assert exported_names(client, group) == ["Aino Maria Virtanen"]


def test_retiring_the_restriction_lists_key_refuses_post_exports_instead_of_sending_all(
    key_file, client_as
):
    group = a_post_group_with_two_customers()
    import_restrictions("VIRTANEN;AINO;ISOKATU 1 A 2;90100;OULU")

    rotate("--retire-restriction-list-key")

    assert list(ring_in(key_file).index_keys) == ["i2"]
    with pytest.raises(RestrictionListUnusable):
        restricted_digests()
    response = client_as(Role.MARKETING).post(reverse("marketing:export", args=[group]))
    assert response.status_code == 409
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


# Backups made before a rotation ------------------------------------------------------


def test_a_backup_made_before_a_rotation_opens_with_the_retired_keys(key_file, tmp_path):
    path = tmp_path / "old.rkbackup"
    with path.open("wb") as file:
        fileformat.encrypt(
            io.BytesIO(b"vanha varmuuskopio" * 100),
            file,
            ring=crypto.keyring(),
            engine=connection.vendor,
            manifest=fileformat.Manifest(tables={}, audit_head_seq=0, audit_head_hash="0" * 64),
            created_at=timezone.now(),
            chunk_size=256,
        )

    rotate()

    with path.open("rb") as file, pytest.raises(fileformat.WrongKeyError):
        fileformat.read_header(file, crypto.keyring())
    plain = io.BytesIO()
    with path.open("rb") as file:
        result = fileformat.decrypt(file, plain, ring=crypto.keyring_with_retired())
    assert result.header.key_id == "k1"
    assert plain.getvalue() == b"vanha varmuuskopio" * 100


def identity_codes_in(data_dir: Path) -> dict[str, tuple[str, str]]:
    """Each customer's identity code ciphertext and index, by public id."""
    uri = f"{(data_dir / 'rekisteri.sqlite3').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as database:
        rows = database.execute(
            "SELECT public_id, identity_code_encrypted, identity_code_index"
            " FROM customers_customer WHERE identity_code_encrypted != ''"
        ).fetchall()
    # SQLite keeps a UUID as 32 hex digits: the row a ciphertext is bound to is its
    # customer's public id as Django gives it.
    return {
        str(uuid.UUID(str(public_id))): (str(token), str(index)) for public_id, token, index in rows
    }


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="runs a SQLite site of its own; once per CI run"
)
def test_a_backup_made_before_a_rotation_verifies_and_restores_after_it(tmp_path):
    data_dir = tmp_path / "site"
    site = environment(data_dir, REKISTERI_KEYS="")
    succeed(site, "keys", "generate")
    succeed(site, "migrate", "--verbosity", "0")
    succeed(site, "demo", "--customers", "12")
    succeed(site, "backup", "create")
    backup = the_backup(data_dir)
    first = ring_in(data_dir / "keys.json")
    codes = {
        public_id: first.decrypt(token, purpose=IDENTITY_CODE_PURPOSE, row=public_id)
        for public_id, (token, _index) in identity_codes_in(data_dir).items()
    }
    # The demo keeps codes only for its open invoice orders (P8): a few.
    assert len(codes) >= 2

    rotated = succeed(site, "keys", "rotate")
    verified = run(site, "backup", "verify", str(backup))
    restored = run(site, "backup", "restore", str(backup), "--yes")
    stale = identity_codes_in(data_dir)
    with closing(
        sqlite3.connect(f"{(data_dir / 'rekisteri.sqlite3').as_uri()}?mode=ro", uri=True)
    ) as database:
        (subject_keys,) = database.execute(
            "SELECT count(*) FROM audit_subjectkey WHERE key_encrypted LIKE 'v2:k1:%'"
        ).fetchone()
    resumed = succeed(site, "keys", "rotate")

    assert rotated.splitlines()[-1] == (
        "Rotation complete: the key ring holds encryption key k2 and index key i2."
    )
    assert (verified.returncode, restored.returncode) == (0, 0), verified.stderr + restored.stderr
    assert verified.stdout.startswith(f"Backup {backup.name} verified:")
    assert {token[:6] for token, _index in stale.values()} == {"v2:k1:"}
    assert resumed.splitlines()[:2] == [
        "Resuming the unfinished rotation to encryption key k2 and index key i2.",
        # The demo's web shop: its secret, and its three deliveries' bodies.
        f"To move onto the active keys: {len(codes)} identity code(s), 1 integration(s), "
        f"2 authenticator(s), {subject_keys} customer audit text key(s), 3 shop delivery(ies).",
    ]
    ring = ring_in(data_dir / "keys.json")
    assert (list(ring.encryption), list(ring.index_keys)) == (["k2"], ["i2"])
    after = identity_codes_in(data_dir)
    assert {
        public_id: ring.decrypt(token, purpose=IDENTITY_CODE_PURPOSE, row=public_id)
        for public_id, (token, _index) in after.items()
    } == codes
    assert {index for _token, index in after.values()} == {
        ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE) for code in codes.values()
    }


def test_rotation_moves_the_staffs_authenticator_keys_and_they_still_sign_in(key_file):
    from rekisteri.accounts import twofactor
    from rekisteri.accounts.models import AUTHENTICATOR_KEY_PURPOSE
    from rekisteri.testing.factories import make_staff

    user = make_staff(Role.PRIVACY_OFFICER)
    device = twofactor.authenticator_install(user=user, key=b"k" * 20)
    assert device.key_encrypted.startswith("v2:k1:")

    output = rotate()

    assert "0 integration(s), 1 authenticator(s), 0 customer audit text key(s)," in output
    assert "  authenticators: 1 moved" in output
    device.refresh_from_db()
    assert device.key_encrypted.startswith("v2:k2:")
    ring = crypto.keyring()
    row = str(user.pk)  # bound to its owner
    assert ring.decrypt(device.key_encrypted, purpose=AUTHENTICATOR_KEY_PURPOSE, row=row) == (
        (b"k" * 20).hex()
    )
    assert twofactor.second_factor_check(user=user, code=twofactor.current_code(device)).device
    assert "1 authenticator keys moved to encryption key k2" in rotation_events()


def test_rotation_moves_the_customers_audit_text_keys_and_their_texts_still_read(key_file):
    from rekisteri.audit.models import SubjectKey
    from rekisteri.audit.services import audit_record
    from rekisteri.audit.subject_keys import SUBJECT_KEY_PURPOSE, personal_text_decrypt

    aino, bertta = make_customer(), make_customer()
    events = [
        audit_record(
            actor=Actor.system("test"),
            action=Action.REVEAL,
            customer=customer,
            reason=f"Tarkastuspyyntö {customer.customer_number}",
        )
        for customer in (aino, bertta)
    ]
    SubjectKey.objects.filter(customer=bertta).update(key_encrypted="")  # erased
    assert SubjectKey.objects.get(customer=aino).key_encrypted.startswith("v2:k1:")

    output = rotate()

    assert "0 authenticator(s), 1 customer audit text key(s), 0 shop" in output
    assert "  subject keys: 1 moved" in output
    key = SubjectKey.objects.get(customer=aino)
    assert key.key_encrypted.startswith("v2:k2:")
    ring = crypto.keyring()
    assert (
        len(
            base64.b64decode(
                ring.decrypt(key.key_encrypted, purpose=SUBJECT_KEY_PURPOSE, row=str(aino.pk))
            )
        )
        == 32
    )
    assert SubjectKey.objects.get(customer=bertta).key_encrypted == ""
    assert [personal_text_decrypt(event) for event in events] == [
        f"Tarkastuspyyntö {aino.customer_number}",
        None,
    ]
    assert "1 customers' audit text keys moved to encryption key k2" in rotation_events()


def test_rotation_moves_the_inboxs_stored_bodies_and_they_still_read(key_file):
    from rekisteri.intake.inbox import delivery_body, delivery_store

    integration = integration_create(actor=Actor.system("test"), kind="shopify", name="Kauppa")
    body = b'{"id": 1, "email": "aino.laine@example.fi"}'
    stored = delivery_store(integration=integration.integration, source="webhook", body=body)
    purged = delivery_store(integration=integration.integration, source="webhook", body=b"{}")
    InboxDelivery.objects.filter(pk=purged.delivery.pk).update(body_encrypted="")
    assert stored.delivery.body_encrypted.startswith("v2:k1:")

    output = rotate()

    assert "0 customer audit text key(s), 1 shop delivery(ies)." in output
    assert "  shop deliveries: 1 moved" in output
    delivery = InboxDelivery.objects.get(pk=stored.delivery.pk)
    assert delivery.body_encrypted.startswith("v2:k2:")
    assert delivery_body(delivery) == body
    assert InboxDelivery.objects.get(pk=purged.delivery.pk).body_encrypted == ""
    assert "1 shop deliveries moved to encryption key k2" in rotation_events()


def field_bound_ciphertext(ring: crypto.KeyRing, plaintext: str, purpose: str) -> str:
    """A "v1" ciphertext, as releases before row binding wrote them: bound to the
    field (purpose) alone."""
    nonce = os.urandom(crypto.NONCE_BYTES)
    sealed = AESGCM(ring.encryption[ring.active]).encrypt(
        nonce, plaintext.encode(), purpose.encode()
    )
    return f"v1:{ring.active}:{base64.b64encode(nonce + sealed).decode()}"


def test_reencrypt_binds_identity_codes_written_before_row_binding_to_their_rows(settings):
    """A v1 code still reads; `keys reencrypt` moves it onto v2, bound to its customer,
    after which a copy on another customer's row no longer decrypts."""
    ring = crypto.keyring()
    aino, bertta = make_customer(), make_customer()
    code = random_identity_code()
    Customer.objects.filter(pk=aino.pk).update(
        identity_code_encrypted=field_bound_ciphertext(ring, code, IDENTITY_CODE_PURPOSE),
        identity_code_index=ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE),
    )
    aino.refresh_from_db()
    assert codes_of([aino], ring) == {aino.pk: code}
    assert key_rotation.values_left(ring)[key_rotation.IDENTITY_CODES] == 1
    out = io.StringIO()

    call_command("keys", "reencrypt", stdout=out)

    aino.refresh_from_db()
    assert aino.identity_code_encrypted.startswith(f"v2:{ring.active}:")
    assert codes_of([aino], ring) == {aino.pk: code}
    assert key_rotation.values_left(ring)[key_rotation.IDENTITY_CODES] == 0
    with pytest.raises(crypto.DecryptionError) as moved:
        ring.decrypt(
            aino.identity_code_encrypted, purpose=IDENTITY_CODE_PURPOSE, row=str(bertta.public_id)
        )
    assert code not in str(moved.value)
    assert out.getvalue().splitlines()[-1] == (
        f"Re-encrypted 1 value(s) with key {ring.active} (index key {ring.index_active})."
    )
    event = AuditEvent.objects.filter(action=Action.KEY_ROTATE).get()
    assert code not in event.reason
