"""Merging two customer records of one person (`customers.merging`): what moves, the
stricter consents, the identity code that blocks, the pointer left behind, and what a
refusal leaves (nothing)."""

from __future__ import annotations

import json

import pytest
from django.db.models import ForeignObjectRel
from django.urls import reverse

from rekisteri import crypto
from rekisteri.audit.models import Action, AuditEvent, SubjectKey
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.consents.selectors import consent_state
from rekisteri.consents.services import (
    consent_grant,
    consent_withdraw,
    marketing_ban,
    marketing_ban_lift,
)
from rekisteri.customers import selectors
from rekisteri.customers.merging import (
    CHANGED_MEANWHILE,
    CODES_DIFFER,
    ERASED,
    HELD_WAITING,
    RELATIONS,
    RESTRICTED,
    SAME_RECORD,
    MergeRefused,
    customer_merge,
    merge_preview,
)
from rekisteri.customers.models import Customer, HeldChange, HeldChangeState, Status
from rekisteri.customers.services import identity_code_decrypt
from rekisteri.intake.inbox import delivery_store
from rekisteri.intake.models import InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.marketing.models import CampaignMessage
from rekisteri.marketing.services import campaign_unsubscribe
from rekisteri.orders.models import Delivery, Order, Return
from rekisteri.privacy.access.copy import subject_data
from rekisteri.privacy.erasure.services import customer_erase, erasure_plan
from rekisteri.privacy.models import (
    Disclosure,
    ErasureLogEntry,
    LegalHold,
    ReplayLogEntry,
    SubjectRequest,
)
from rekisteri.privacy.restriction.services import held_change_reject
from rekisteri.testing.everything import customer_with_everything
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
STAFF = Actor.system("merge test")
REASON = "Asiakas pyysi poistoa kirjeitse"


@pytest.fixture(autouse=True)
def logs(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    settings.REKISTERI_REPLAY_LOG = tmp_path / "replay-log.jsonl"


def fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def snapshot() -> tuple[object, ...]:
    """Everything a refused merge must leave as it was."""
    return (
        list(Customer.objects.order_by("pk").values()),
        list(Order.objects.order_by("pk").values_list("pk", "customer_id", "version")),
        list(SubjectRequest.objects.order_by("pk").values_list("pk", "customer_id")),
        list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
        list(ConsentEvent.objects.order_by("pk").values_list("pk", flat=True)),
        ReplayLogEntry.objects.count(),
    )


def merge(kept: Customer, other: Customer, **choices: str) -> Customer:
    return customer_merge(actor=STAFF, kept=kept, other=other, choices=choices)  # type: ignore[arg-type]


def decided(customer: Customer) -> None:
    """The waiting change `customer_with_everything` leaves, rejected: a waiting one
    refuses a merge."""
    for held in HeldChange.objects.filter(customer=customer, state=HeldChangeState.WAITING):
        held_change_reject(actor=STAFF, held=held, reason="Muutosta ei tehdä nyt")


# Values and the pointer -------------------------------------------------------------


def test_the_chosen_values_go_to_the_kept_record_and_the_other_becomes_a_pointer():
    kept = make_customer(surname="Nieminen", first_names="Juha-Pekka", phone="+358401234567")
    other = make_customer(
        surname="Nieminen", first_names="Juha Pekka", email="jp.nieminen@example.fi"
    )
    other_number, other_public_id = other.customer_number, other.public_id

    result = merge(kept, other, email="other", first_names="kept", phone="kept")

    kept, other = fresh(kept), fresh(other)
    assert result == kept
    assert (kept.surname, kept.first_names, kept.phone, kept.email) == (
        "Nieminen",
        "Juha-Pekka",
        "+358401234567",
        "jp.nieminen@example.fi",
    )
    assert kept.status == Status.ACTIVE
    assert kept.version == 2
    assert (other.merged_into, other.status) == (kept, Status.MERGED)
    assert other.merged_at is not None
    assert (other.customer_number, other.public_id) == (other_number, other_public_id)
    # Its own data lives on in the kept record only.
    assert (other.surname, other.first_names, other.phone, other.email, other.notes) == (
        f"Yhdistetty asiakas {other_number}",
        "",
        "",
        "",
        "",
    )
    assert other.street_address == other.postal_code == other.post_office == ""


def test_the_merge_is_audited_on_both_records_naming_the_other_and_its_fields():
    kept = make_customer()
    other = make_customer()

    merge(kept, other, email="other", street_address="other")

    event = AuditEvent.objects.filter(customer=kept, object_type="customers.customer").latest("id")
    assert event.action == Action.UPDATE
    assert event.changed_fields == ["email", "merged_records", "street_address"]
    assert personal_text_decrypt(event) == (
        f"customer {other.customer_number} merged into this one; values taken from it: "
        "street_address, email; moved: nothing"
    )
    pointer_event = AuditEvent.objects.filter(customer=other).latest("id")
    assert personal_text_decrypt(pointer_event) == f"merged into customer {kept.customer_number}"
    assert "merged_into" in pointer_event.changed_fields


def test_the_earlier_record_gives_the_start_of_the_relationship():
    kept = make_customer()
    other = make_customer(source="web_shop")
    Customer.objects.filter(pk=other.pk).update(created_at=kept.created_at.replace(year=2020))

    merge(kept, other)

    kept = fresh(kept)
    assert (kept.created_at.year, kept.source) == (2020, "web_shop")


# What moves -------------------------------------------------------------------------


def test_orders_deliveries_returns_requests_and_the_rest_move_to_the_kept_record():
    kept_everything = customer_with_everything(campaign_name="Kevät", tracking_code="JJFI1")
    other_everything = customer_with_everything(campaign_name="Syksy", tracking_code="JJFI2")
    kept, other = kept_everything.customer, other_everything.customer
    decided(kept)
    decided(other)
    other_orders = sorted(order.pk for order in other_everything.orders)

    preview = merge_preview(kept=kept, other=other)
    assert preview.blockers == []
    assert preview.counts["orders"] == 2
    assert preview.counts["campaign_messages"] == 1
    merge(kept, other)

    assert sorted(Order.objects.filter(customer=kept).values_list("pk", flat=True)) == sorted(
        [*(order.pk for order in kept_everything.orders), *other_orders]
    )
    assert not Order.objects.filter(customer=other).exists()
    assert Delivery.objects.get(pk=other_everything.delivery.pk).order.customer == kept
    assert Return.objects.get(pk=other_everything.return_request.pk).order.customer == kept
    assert SubjectRequest.objects.get(pk=other_everything.subject_request.pk).customer == kept
    assert Disclosure.objects.get(pk=other_everything.disclosure.pk).customer == kept
    assert LegalHold.objects.get(pk=other_everything.legal_hold.pk).customer == kept
    assert CampaignMessage.objects.get(pk=other_everything.campaign_message.pk).customer == kept
    assert set(HeldChange.objects.filter(customer=other)) == set()
    # Each row moved is audited on the kept customer.
    moved = AuditEvent.objects.filter(
        customer=kept, object_type="orders.order", changed_fields=["customer"]
    )
    assert sorted(int(event.object_id) for event in moved) == other_orders
    # The ledger and the audit trail stay on the pointer; nothing else does.
    assert ConsentEvent.objects.filter(customer=other).count() == 1
    assert AuditEvent.objects.filter(customer=other).exists()


def test_a_campaign_both_records_got_leaves_the_others_message_on_the_pointer():
    kept_everything = customer_with_everything(campaign_name="Kevät")
    other = make_customer()
    decided(kept_everything.customer)
    campaign = kept_everything.campaign_message.campaign
    message = CampaignMessage.objects.create(campaign=campaign, customer=other, status="sent")

    merge(kept_everything.customer, other)

    assert CampaignMessage.objects.get(pk=message.pk).customer == other


def test_records_merged_into_the_other_earlier_point_at_the_kept_one():
    first, second, third = make_customer(), make_customer(), make_customer()
    merge(second, first)

    merge(third, second)

    assert fresh(first).merged_into == fresh(second).merged_into == third
    assert selectors.customer_get(customer_number=first.customer_number) == third


def test_a_shop_delivery_matched_to_the_other_record_moves():
    kept, other = make_customer(), make_customer()
    shop = integration_create(actor=STAFF, kind="woocommerce", name="Verkkokauppa").integration
    delivery = delivery_store(integration=shop, source="webhook", body=b"{}", delivery_key="1")
    InboxDelivery.objects.filter(pk=delivery.delivery.pk).update(customer=other)

    merge(kept, other)

    assert InboxDelivery.objects.get(pk=delivery.delivery.pk).customer == kept


# Consents: the stricter wins --------------------------------------------------------


def test_a_ban_on_the_kept_record_holds():
    kept, other = make_customer(), make_customer()
    marketing_ban(actor=STAFF, customer=kept, source="phone_call")
    consent_grant(actor=STAFF, customer=other, channel="email", source="staff")

    merge(kept, other)

    state = consent_state(fresh(kept))
    assert state.banned
    assert not state.allows("email")


def test_a_ban_on_the_other_record_holds_and_a_restore_replays_it():
    kept, other = make_customer(), make_customer()
    consent_grant(actor=STAFF, customer=kept, channel="email", source="staff")
    marketing_ban(actor=STAFF, customer=other, source="phone_call")
    replayed = ReplayLogEntry.objects.count()

    merge(kept, other)

    state = consent_state(fresh(kept))
    assert state.banned
    assert not state.allows("email")
    ban = ConsentEvent.objects.filter(customer=kept).latest("id")
    assert (ban.kind, ban.source) == (EventKind.BAN, "phone_call")
    entry = ReplayLogEntry.objects.order_by("id").last()
    assert ReplayLogEntry.objects.count() == replayed + 1
    assert entry is not None
    assert (entry.customer_public_id, entry.kind) == (kept.public_id, EventKind.BAN)


@pytest.mark.parametrize("withdrawn_on", ["kept", "other"])
def test_a_withdrawal_on_either_record_holds(withdrawn_on):
    kept, other = make_customer(), make_customer()
    for customer in (kept, other):
        consent_grant(actor=STAFF, customer=customer, channel="email", source="staff")
    consent_withdraw(
        actor=STAFF,
        customer=kept if withdrawn_on == "kept" else other,
        channel="email",
        source="unsubscribe_link",
    )

    merge(kept, other)

    state = consent_state(fresh(kept))
    assert not state.allows("email")
    assert state.channels["email"].reason == "withdrawn"
    assert not state.banned


def test_a_refusal_of_post_on_the_other_record_holds():
    kept, other = make_customer(), make_customer()
    consent_withdraw(actor=STAFF, customer=other, channel="post", source="phone_call")

    merge(kept, other)

    state = consent_state(fresh(kept))
    assert (state.allows("post"), state.allows("phone")) == (False, True)


def test_a_grant_on_both_records_stays_granted():
    kept, other = make_customer(), make_customer()
    for customer in (kept, other):
        consent_grant(actor=STAFF, customer=customer, channel="email", source="staff")
    before = ConsentEvent.objects.filter(customer=kept).count()

    merge(kept, other)

    assert consent_state(fresh(kept)).allows("email")
    assert ConsentEvent.objects.filter(customer=kept).count() == before


def test_a_grant_on_the_other_record_alone_is_carried_over_with_its_evidence():
    kept, other = make_customer(), make_customer()
    grant = consent_grant(
        actor=STAFF, customer=other, channel="sms", source="phone_call", language="sv"
    )

    merge(kept, other)

    assert consent_state(fresh(kept)).allows("sms")
    carried = ConsentEvent.objects.get(customer=kept)
    assert (carried.kind, carried.channel, carried.source, carried.language) == (
        "grant",
        "sms",
        "phone_call",
        "sv",
    )
    assert (carried.text_id, carried.occurred_at) == (grant.text_id, grant.occurred_at)


def test_a_grant_older_than_a_ban_on_the_other_record_is_cancelled_though_the_ban_was_lifted():
    kept, other = make_customer(), make_customer()
    consent_grant(actor=STAFF, customer=kept, channel="email", source="staff")
    marketing_ban(actor=STAFF, customer=other, source="phone_call")
    marketing_ban_lift(actor=STAFF, customer=other, source="phone_call")

    merge(kept, other)

    state = consent_state(fresh(kept))
    assert (state.banned, state.allows("email")) == (False, False)


def test_an_unsubscribe_link_of_a_message_left_on_the_pointer_withdraws_on_the_kept_record():
    kept_everything = customer_with_everything(campaign_name="Kevät")
    kept = kept_everything.customer
    decided(kept)
    other = make_customer()
    campaign = kept_everything.campaign_message.campaign
    message = CampaignMessage.objects.create(campaign=campaign, customer=other, status="sent")
    merge(kept, other)

    campaign_unsubscribe(message=message, ip_address=None, user_agent="")

    assert not consent_state(fresh(kept)).allows("email")
    assert ConsentEvent.objects.filter(customer=kept).latest("id").kind == EventKind.WITHDRAWAL


# Identity codes ---------------------------------------------------------------------


def test_identity_codes_that_disagree_block_the_merge_and_change_nothing():
    kept = make_customer(identity_code=random_identity_code())
    other = make_customer(identity_code=random_identity_code())
    consent_grant(actor=STAFF, customer=other, channel="email", source="staff")
    before = snapshot()

    assert merge_preview(kept=kept, other=other).blockers == [CODES_DIFFER]
    with pytest.raises(MergeRefused) as refused:
        merge(kept, other, email="other")

    assert refused.value.message == CODES_DIFFER
    assert snapshot() == before


def test_the_same_identity_code_on_both_records_merges():
    code = random_identity_code()
    kept = make_customer(identity_code=code)
    other = make_customer(identity_code=code)

    merge(kept, other)

    kept = fresh(kept)
    assert identity_code_decrypt(crypto.keyring(), kept) == code
    assert not fresh(other).has_identity_code


def test_the_others_identity_code_goes_to_the_kept_record_bound_to_it():
    code = random_identity_code()
    kept = make_customer()
    other = make_customer(identity_code=code)

    merge(kept, other)

    kept = fresh(kept)
    assert identity_code_decrypt(crypto.keyring(), kept) == code
    event = AuditEvent.objects.filter(customer=kept, object_type="customers.customer").latest("id")
    assert "identity_code" in event.changed_fields


# Refusals ---------------------------------------------------------------------------


def refused_with(kept: Customer, other: Customer, **kwargs: object) -> str:
    before = snapshot()
    with pytest.raises(MergeRefused) as refused:
        customer_merge(actor=STAFF, kept=kept, other=other, choices={}, **kwargs)  # type: ignore[arg-type]
    assert snapshot() == before
    return str(refused.value.message)


def test_a_record_is_not_merged_into_itself():
    customer = make_customer()
    assert refused_with(customer, customer) == str(SAME_RECORD)


def test_a_restricted_record_is_not_merged_and_the_privacy_officer_is_named():
    from rekisteri.privacy.erasure.services import customer_restrict

    kept, other = make_customer(), make_customer()
    customer_restrict(actor=STAFF, customer=other, reason="Asiakas kiistää tietojen oikeellisuuden")

    assert refused_with(kept, other) == str(RESTRICTED)
    assert "privacy officer" in str(RESTRICTED)


def test_an_erased_or_merged_record_is_not_merged():
    kept, other, third = make_customer(), make_customer(), make_customer()
    merge(third, other)
    assert "already been merged" in refused_with(kept, fresh(other))
    customer_erase(actor=STAFF, customer=kept, reason=REASON)
    assert refused_with(fresh(kept), third) == str(ERASED)


def test_a_change_waiting_for_the_privacy_officer_refuses_the_merge():
    everything = customer_with_everything()
    assert refused_with(make_customer(), everything.customer) == str(HELD_WAITING)


def test_a_record_changed_since_the_merge_was_opened_is_not_merged():
    kept, other = make_customer(), make_customer()
    assert refused_with(kept, other, expected_versions=(kept.version, 0)) == str(CHANGED_MEANWHILE)


def test_values_that_make_no_valid_record_refuse_the_merge():
    kept = make_customer(phone="+358401234567", email="", street_address="")
    other = make_customer(phone="", email="a.b@example.fi", street_address="")
    before = snapshot()

    with pytest.raises(MergeRefused):
        merge(kept, other, phone="other")

    assert snapshot() == before


def test_the_preview_writes_nothing():
    kept, other = make_customer(), make_customer(email="toinen@example.fi")
    before = snapshot()

    preview = merge_preview(kept=kept, other=other)

    assert snapshot() == before
    email = next(choice for choice in preview.fields if choice.name == "email")
    assert (email.label, email.other_value, email.differs) == (
        "email",
        "toinen@example.fi",
        True,
    )
    assert preview.counts["orders"] == 0


# The pointer finds the kept record ---------------------------------------------------


def test_the_old_number_finds_the_kept_record(customer_service_client):
    kept, other = make_customer(), make_customer()
    merge(kept, other)

    assert selectors.customer_get(customer_number=other.customer_number) == kept

    detail = customer_service_client.get(reverse("customers:detail", args=[other.customer_number]))
    assert detail.status_code == 302
    assert detail.url == reverse("customers:detail", args=[kept.customer_number])
    page = customer_service_client.get(detail.url).content.decode()
    assert (
        f"Customer {other.customer_number} was merged into customer {kept.customer_number}." in page
    )

    found = customer_service_client.post(
        reverse("customers:search"), {"q": str(other.customer_number)}
    )
    assert [customer.pk for customer in found.context["page"].customers] == [kept.pk]
    listed = customer_service_client.get(reverse("customers:list"))
    assert other.pk not in [customer.pk for customer in listed.context["page"].customers]


def test_the_api_finds_the_kept_record_by_the_old_public_id(customer_service_client):
    kept, other = make_customer(), make_customer()
    merge(kept, other)

    response = customer_service_client.get(
        reverse("api:customer_read", kwargs={"public_id": other.public_id})
    )

    assert response.status_code == 200
    assert json.loads(response.content)["customer_number"] == kept.customer_number


def test_the_kept_customers_page_shows_the_merged_records_history(customer_service_client):
    kept, other = make_customer(), make_customer()
    merge(kept, other)

    response = customer_service_client.get(reverse("customers:detail", args=[kept.customer_number]))

    shown = {event.pk for event in response.context["events"]}
    assert AuditEvent.objects.filter(customer=other).latest("id").pk in shown


# The access copy and erasure ---------------------------------------------------------


def test_the_access_copy_includes_what_stays_on_the_merged_record():
    kept, other = make_customer(), make_customer()
    consent_grant(actor=STAFF, customer=other, channel="email", source="staff")
    merge(kept, other)

    data = subject_data(fresh(kept), include_identity_code=False)

    # The other record's own grant and the one carried over from it.
    assert [event["kind"] for event in data["consent_events"]] == ["grant", "grant"]
    other_events = AuditEvent.objects.filter(customer=other).count()
    kept_events = AuditEvent.objects.filter(customer=kept).count()
    assert len(data["processing"]) == other_events + kept_events


def test_erasing_the_kept_customer_erases_the_merged_record_too():
    kept = make_customer()
    other = make_customer()
    consent_grant(actor=STAFF, customer=other, channel="email", source="staff")
    merge(kept, other)
    pointer_event = AuditEvent.objects.filter(customer=other).latest("id")
    planned = {item.category: item.count for item in erasure_plan(fresh(kept)).erased}
    assert planned["Records of the same person merged into this customer"] == 1

    customer_erase(actor=STAFF, customer=kept, reason=REASON)

    kept, other = fresh(kept), fresh(other)
    assert (kept.status, other.status) == (Status.ANONYMISED, Status.ANONYMISED)
    assert other.merged_into == kept
    assert set(ErasureLogEntry.objects.values_list("customer_public_id", flat=True)) == {
        kept.public_id,
        other.public_id,
    }
    # Its audit reasons are unreadable: its own key is gone too.
    assert SubjectKey.objects.get(customer=other).key_encrypted == ""
    assert personal_text_decrypt(pointer_event) is None
    assert AuditEvent.objects.filter(customer=other, action=Action.ERASE).exists()


def test_a_merged_record_is_not_erased_on_its_own():
    from rekisteri.privacy.erasure.services import ErasureRefused

    kept, other = make_customer(), make_customer()
    merge(kept, other)

    with pytest.raises(ErasureRefused):
        customer_erase(actor=STAFF, customer=fresh(other), reason=REASON)
    assert fresh(kept).status == Status.ACTIVE


# No relation forgotten ---------------------------------------------------------------


def test_every_relation_to_a_customer_is_named_by_the_merge():
    """A new model pointing at customers must be given its place in `RELATIONS`: moved
    to the kept record, kept on the pointer, or a reason to refuse."""
    relations = {
        f"{relation.field.model._meta.label_lower}.{relation.field.name}"
        for relation in Customer._meta.get_fields(include_hidden=True)
        if isinstance(relation, ForeignObjectRel)
    }

    assert relations == set(RELATIONS)
