"""The consent ledger's services and the state derived from it (P3, P6, P11)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents import selectors, services
from rekisteri.consents.models import Channel, ConsentEvent, ConsentText, EventKind, Source
from rekisteri.consents.selectors import Reason, consent_state, customers_eligible
from rekisteri.customers.models import Customer, Status
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def set_status(customer: Customer, status: str) -> Customer:
    # Restriction and erasure are the privacy app's; here only their outcome matters.
    Customer.objects.filter(pk=customer.pk).update(status=status)
    customer.refresh_from_db()
    return customer


def reasons(customer: Customer) -> dict[str, tuple[bool, str]]:
    state = consent_state(customer)
    return {channel: (s.allowed, s.reason) for channel, s in state.channels.items()}


def eligible(channel: str) -> set[int]:
    return set(customers_eligible(channel).values_list("pk", flat=True))


def test_the_texts_are_seeded_in_three_languages_for_every_channel():
    texts = selectors.consent_texts_current()

    assert sorted(texts) == sorted(Channel.values)
    email = texts[Channel.EMAIL]
    assert email.version == 1
    assert email.text_fi.startswith("Kyllä, Oulunseutuvarasto saa lähettää minulle sähkö")
    assert email.text_sv.startswith("Ja, Oulunseutuvarasto får skicka mig")
    assert email.text_en.startswith("Yes, Oulunseutuvarasto may send me offers")
    assert email.text_in("sv") == email.text_sv


def test_a_new_customer_may_get_post_and_phone_marketing_but_no_email_or_sms():
    customer = make_customer()

    assert reasons(customer) == {
        "email": (False, Reason.NO_OPT_IN),
        "sms": (False, Reason.NO_OPT_IN),
        "post": (True, Reason.NOT_REFUSED),
        "phone": (True, Reason.NOT_REFUSED),
    }
    assert customer.pk in eligible("post")
    assert customer.pk not in eligible("email")


def test_a_grant_is_an_event_with_the_wording_the_evidence_and_an_audit_event():
    user = make_staff(Role.CUSTOMER_SERVICE)
    actor = Actor(type="staff", user=user, label=user.username, ip_address="198.51.100.7")
    customer = make_customer(preferred_language="sv")
    text = ConsentText.objects.get(channel="email", version=1)

    event = services.consent_grant(
        actor=actor, customer=customer, channel="email", source=Source.PHONE_CALL
    )

    stored = ConsentEvent.objects.get()
    assert stored == event
    assert (stored.customer, stored.channel, stored.kind, stored.source) == (
        customer,
        "email",
        EventKind.GRANT,
        "phone_call",
    )
    assert (stored.text, stored.language, stored.staff_user) == (text, "sv", user)
    # The staff member's address is not evidence of the customer's consent.
    assert (stored.ip_address, stored.user_agent, stored.order) == (None, "", None)
    audit = AuditEvent.objects.get(object_type="consents.consentevent")
    assert (audit.action, audit.object_id, audit.customer_id) == (
        Action.CREATE,
        str(event.pk),
        customer.pk,
    )
    assert audit.changed_fields == ["consent"]
    assert personal_text_decrypt(audit) == "grant email (phone_call)"
    assert reasons(customer)["email"] == (True, Reason.OPT_IN)
    assert eligible("email") == {customer.pk}


def test_a_withdrawal_ends_the_opt_in_and_a_refusal_stops_post():
    customer = make_customer()
    services.consent_grant(actor=SYSTEM, customer=customer, channel="sms", source="email")

    services.consent_withdraw(actor=SYSTEM, customer=customer, channel="sms", source="email")
    services.consent_withdraw(actor=SYSTEM, customer=customer, channel="post", source="email")

    assert reasons(customer)["sms"] == (False, Reason.WITHDRAWN)
    assert reasons(customer)["post"] == (False, Reason.WITHDRAWN)
    assert eligible("sms") == eligible("post") == set()
    assert eligible("phone") == {customer.pk}


def test_the_ban_stops_every_channel_and_lifting_it_does_not_revive_opt_ins():
    customer = make_customer()
    services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")

    services.marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)

    state = consent_state(customer)
    assert state.banned is True
    assert {s.reason for s in state.channels.values()} == {Reason.BANNED}
    assert all(eligible(channel) == set() for channel in Channel.values)

    services.marketing_ban_lift(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)

    assert consent_state(customer).banned is False
    assert reasons(customer)["email"] == (False, Reason.NO_OPT_IN)
    assert reasons(customer)["post"] == (True, Reason.NOT_REFUSED)
    assert eligible("email") == set()
    assert eligible("post") == {customer.pk}


def test_a_grant_during_a_ban_counts_only_once_the_ban_is_lifted():
    customer = make_customer()
    services.marketing_object(actor=SYSTEM, customer=customer, source="email")
    services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")

    assert reasons(customer)["email"] == (False, Reason.BANNED)

    services.marketing_ban_lift(actor=SYSTEM, customer=customer, source="email")

    assert reasons(customer)["email"] == (True, Reason.OPT_IN)
    assert eligible("email") == {customer.pk}


def test_an_objection_sets_the_ban():
    customer = make_customer()

    event = services.marketing_object(actor=SYSTEM, customer=customer, source="email")

    assert (event.kind, event.channel, event.text) == (EventKind.OBJECTION, "", None)
    assert consent_state(customer).banned is True


@pytest.mark.parametrize("status", [Status.RESTRICTED, Status.ANONYMISED])
def test_a_restricted_or_anonymised_customer_cannot_be_given_a_consent(status):
    customer = set_status(make_customer(), status)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")

    assert caught.value.message_dict == {
        "customer": ["A restricted or anonymised customer cannot be given new consents."]
    }
    assert not ConsentEvent.objects.exists()
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("status", [Status.RESTRICTED, Status.ANONYMISED])
def test_withdrawals_and_bans_are_always_accepted(status):
    customer = set_status(make_customer(), status)

    services.consent_withdraw(actor=SYSTEM, customer=customer, channel="email", source="email")
    services.marketing_ban(actor=SYSTEM, customer=customer, source="email")
    services.marketing_object(actor=SYSTEM, customer=customer, source="email")

    assert list(ConsentEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "withdrawal",
        "ban",
        "objection",
    ]
    assert {s.reason for s in consent_state(customer).channels.values()} == {Reason.RESTRICTED}


def test_a_grant_checked_earlier_is_refused_once_the_customer_is_restricted():
    """The service reads the status again under the customer's lock."""
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)

    with pytest.raises(ValidationError):
        services.consent_grant(actor=SYSTEM, customer=customer, channel="sms", source="email")

    assert not ConsentEvent.objects.exists()


def test_a_restricted_customer_gets_no_marketing_whatever_the_ledger_says():
    customer = make_customer()
    services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")

    set_status(customer, Status.RESTRICTED)

    assert reasons(customer)["email"] == (False, Reason.RESTRICTED)
    assert all(eligible(channel) == set() for channel in Channel.values)


def test_a_ban_cannot_be_lifted_when_there_is_none():
    customer = make_customer()

    with pytest.raises(ValidationError) as caught:
        services.marketing_ban_lift(actor=SYSTEM, customer=customer, source="email")

    assert caught.value.messages == ["The customer has no direct marketing ban to lift."]
    assert not ConsentEvent.objects.exists()


def test_bad_input_names_every_bad_field_and_stores_nothing():
    customer = make_customer()

    with pytest.raises(ValidationError) as caught:
        services.consent_grant(
            actor=SYSTEM, customer=customer, channel="fax", source="pigeon", language="de"
        )

    assert sorted(caught.value.message_dict) == ["channel", "language", "source"]
    assert not ConsentEvent.objects.exists()


def test_the_evidence_order_must_be_the_customers_own():
    Product.objects.create(sku="HYL-120", name="Hylly", unit_price=Decimal("89.90"))
    customer, other = make_customer(), make_customer()
    order = order_create(
        actor=SYSTEM,
        customer=other,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )

    with pytest.raises(ValidationError) as caught:
        services.consent_grant(
            actor=SYSTEM, customer=customer, channel="email", source="email", order=order
        )

    assert caught.value.message_dict == {"order": ["The order is another customer's."]}
    assert not ConsentEvent.objects.exists()


def test_a_grant_names_the_wording_version_it_was_given_to():
    customer = make_customer()
    old = ConsentText.objects.get(channel="email", version=1)
    new = ConsentText.objects.create(
        channel="email",
        version=2,
        text_fi="Uusi",
        text_sv="Ny",
        text_en="New",
        published_at=old.published_at,
    )

    current = services.consent_grant(
        actor=SYSTEM, customer=customer, channel="email", source="email"
    )
    shown_before = services.consent_grant(
        actor=SYSTEM, customer=customer, channel="email", source="email", text=old
    )

    assert (current.text, shown_before.text) == (new, old)


def test_the_ledger_is_newest_first():
    customer = make_customer()
    services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")
    services.marketing_ban(actor=SYSTEM, customer=customer, source="phone_call")

    events = selectors.consent_events(customer=customer)

    assert [e.kind for e in events] == ["ban", "grant"]


def test_eligibility_is_per_customer():
    granted, banned, silent = make_customer(), make_customer(), make_customer()
    services.consent_grant(actor=SYSTEM, customer=granted, channel="email", source="email")
    services.consent_grant(actor=SYSTEM, customer=banned, channel="email", source="email")
    services.marketing_ban(actor=SYSTEM, customer=banned, source="email")

    assert eligible("email") == {granted.pk}
    assert eligible("post") == {granted.pk, silent.pk}
    assert set(
        customers_eligible("post", Customer.objects.filter(pk=silent.pk)).values_list(
            "pk", flat=True
        )
    ) == {silent.pk}
