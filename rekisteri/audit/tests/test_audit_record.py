"""Writing an event: it is inserted at once with the MAC of its own content, and has
no place in the chain until the sealer gives it one (rekisteri/audit/sealing.py)."""

import pytest

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import (
    GENESIS_HASH,
    Actor,
    audit_event_build,
    audit_record,
    audit_records_insert,
    chain_hash,
    content_mac,
    event_mac,
)
from rekisteri.audit.tests.helpers import staff_actor
from rekisteri.testing.factories import make_staff

pytestmark = pytest.mark.django_db


def test_an_event_is_inserted_unsealed_with_a_valid_mac_and_no_place():
    """The writer takes no lock: no seq, no link, no hash; only its content's MAC."""
    user = make_staff(Role.PRIVACY_OFFICER)
    first = audit_record(actor=Actor.system("retention"), action=Action.ERASE)
    second = audit_record(actor=staff_actor(user), action=Action.VIEW, reason="Phone call")

    stored = list(AuditEvent.objects.order_by("id"))
    assert [event.pk for event in stored] == [first.pk, second.pk]
    assert [(event.seq, event.prev_hash, event.hash) for event in stored] == [(None, "", "")] * 2
    for event in stored:
        assert len(event.mac) == 64
        # Recomputed from the row read back from the database.
        assert event.mac == content_mac(event)
    assert stored[0].mac != stored[1].mac


def test_a_batch_of_events_is_inserted_unsealed_with_valid_macs():
    """The batch path (an import, a retention run) writes the same events in bulk."""
    actor = Actor.system("import")
    built = [
        audit_event_build(actor=actor, action=Action.CREATE, reason=f"row {number}")
        for number in range(3)
    ]

    assert audit_records_insert(built) == 3

    stored = list(AuditEvent.objects.order_by("id"))
    assert [event.reason for event in stored] == ["row 0", "row 1", "row 2"]
    assert all(event.seq is None and event.mac == content_mac(event) for event in stored)


def test_it_stores_the_actor_and_sorted_distinct_changed_fields():
    """The event records who acted, from where, and which fields changed (not values)."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    event = audit_record(
        actor=staff_actor(user),
        action=Action.UPDATE,
        changed_fields=["phone", "email", "phone"],
        reason="Customer asked",
    )

    event.refresh_from_db()
    assert event.actor_type == ActorType.STAFF
    assert event.actor_user == user
    assert event.actor_label == user.username
    assert event.changed_fields == ["email", "phone"]
    assert event.reason == "Customer asked"
    assert event.ip_address == "192.0.2.10"
    assert event.request_id == "req-0123456789"


def test_any_change_to_an_event_changes_its_mac():
    """Altering any recorded value, the personal reason's ciphertext included, gives a
    different MAC; the chain hash depends on the place, the link and the MAC."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    original = content_mac(event)
    assert event.mac == original

    event.reason = "Altered"
    assert content_mac(event) != original
    event.reason = "Original"
    event.personal_reason = "ciphertext"
    assert content_mac(event) != original
    event.personal_reason = ""
    assert content_mac(event) == original

    sealed = chain_hash(seq=1, prev_hash=GENESIS_HASH, mac=original)
    assert chain_hash(seq=2, prev_hash=GENESIS_HASH, mac=original) != sealed
    assert chain_hash(seq=1, prev_hash="1" * 64, mac=original) != sealed
    assert chain_hash(seq=1, prev_hash=GENESIS_HASH, mac=content_mac(event)) == sealed


def test_the_old_format_covers_the_content_the_place_and_the_link():
    """Chain format 1 (events written before sealing) is kept to verify old events."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    event.seq, event.prev_hash = 1, GENESIS_HASH
    original = event_mac(event)

    event.reason = "Altered"
    assert event_mac(event) != original
    event.reason = "Original"
    event.prev_hash = "1" * 64
    assert event_mac(event) != original
    event.prev_hash = GENESIS_HASH
    event.seq = 2
    assert event_mac(event) != original
    event.seq = 1
    assert event_mac(event) == original


def test_the_mac_covers_the_values_as_stored():
    """An address given in a long IPv6 form is stored in its short form: the MAC is of
    what is read back, so the event verifies."""
    actor = Actor(type=ActorType.ANONYMOUS, ip_address="2001:0DB8:0000:0000::0001")

    event = audit_record(actor=actor, action=Action.VIEW)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.ip_address == "2001:db8::1"
    assert stored.mac == content_mac(stored)
    assert audit_chain_verify().is_intact


def test_an_ipv4_mapped_address_is_stored_as_django_stores_it():
    """The check normalises the address with the model field's own cleaning."""
    actor = Actor(type=ActorType.ANONYMOUS, ip_address="::ffff:192.0.2.1")

    event = audit_record(actor=actor, action=Action.VIEW)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.ip_address == event.ip_address
    assert stored.mac == content_mac(stored)


def test_an_event_stored_by_its_own_insert_reads_back_as_the_orm_would_store_it():
    """Every field of the event read back equals the one the writer built."""
    user = make_staff(Role.CUSTOMER_SERVICE)
    event = audit_record(
        actor=staff_actor(user),
        action=Action.UPDATE,
        object_type="customers.customer",
        object_id="42",
        changed_fields=["b", "a"],
        reason="Asked",
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(event, field.attname), field.name


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"action": "no-such-action"}, "action"),
        ({"object_id": "x" * 65}, "object_id"),
        ({"object_type": "x" * 65}, "object_type"),
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_stored(values, field):
    """A caller's mistake fails loudly with the field named, and no event is written."""
    from django.core.exceptions import ValidationError

    arguments = {"action": Action.VIEW, **values}
    with pytest.raises(ValidationError) as refused:
        audit_record(actor=Actor.system("test"), **arguments)

    assert field in refused.value.message_dict
    assert not AuditEvent.objects.exists()


def test_an_address_that_is_not_one_is_refused_and_nothing_is_stored():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        audit_record(
            actor=Actor(type=ActorType.ANONYMOUS, ip_address="999.1.1.1"), action=Action.VIEW
        )

    assert "ip_address" in refused.value.message_dict
    assert not AuditEvent.objects.exists()
