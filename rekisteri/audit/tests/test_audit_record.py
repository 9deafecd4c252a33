import pytest

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record, event_mac
from rekisteri.audit.tests.helpers import staff_actor
from rekisteri.testing.factories import make_staff

pytestmark = pytest.mark.django_db


def test_it_chains_events_in_order_from_the_genesis_hash():
    """Each event takes the next seq and links to its predecessor's hash."""
    user = make_staff(Role.PRIVACY_OFFICER)
    first = audit_record(actor=Actor.system("retention"), action=Action.ERASE)
    second = audit_record(actor=staff_actor(user), action=Action.VIEW, reason="Phone call")
    third = audit_record(
        actor=staff_actor(user), action=Action.UPDATE, changed_fields=["phone", "email", "phone"]
    )

    stored = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in stored] == [1, 2, 3]
    assert [event.pk for event in stored] == [first.pk, second.pk, third.pk]
    assert stored[0].prev_hash == GENESIS_HASH
    assert stored[1].prev_hash == stored[0].hash
    assert stored[2].prev_hash == stored[1].hash
    assert len({event.hash for event in stored}) == 3


def test_each_hash_is_the_mac_of_the_event_as_stored():
    """The hash can be recomputed from the row read back from the database."""
    user = make_staff(None)
    audit_record(actor=staff_actor(user), action=Action.SEARCH, object_type="url", object_id="/x/")
    audit_record(actor=staff_actor(user), action=Action.UPDATE, changed_fields=["surname"])

    for event in AuditEvent.objects.order_by("seq"):
        assert len(event.hash) == 64
        assert event.hash == event_mac(event)


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
    """Altering any recorded value, or the link, gives a different MAC."""
    event = audit_record(actor=Actor.system("test"), action=Action.VIEW, reason="Original")
    original = event_mac(event)

    event.reason = "Altered"
    assert event_mac(event) != original
    event.reason = "Original"
    event.prev_hash = "1" * 64
    assert event_mac(event) != original
    event.prev_hash = GENESIS_HASH
    assert event_mac(event) == original
