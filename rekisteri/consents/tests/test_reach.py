"""How many customers marketing may reach per channel, now and at past moments
(`consent_reach_at`): the same rules as the per-customer state and the campaign
queryset, counted in two queries, with the ledger as it stood at each moment."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rekisteri.audit.services import Actor
from rekisteri.consents import services
from rekisteri.consents.models import Channel, ConsentEvent
from rekisteri.consents.selectors import consent_reach_at, consent_state, customers_eligible
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer

SYSTEM = Actor.system("test")
CUSTOMERS = 3

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        st.sampled_from(["grant"] * 3 + ["withdraw"] * 2 + ["object", "ban", "lift", "restrict"]),
        st.sampled_from(Channel.values),
    ),
    max_size=14,
)


def apply(step: str, channel: str, customer: Customer) -> None:
    if step == "grant" and customer.status == Status.ACTIVE:
        services.consent_grant(actor=SYSTEM, customer=customer, channel=channel, source="email")
    elif step == "withdraw":
        services.consent_withdraw(actor=SYSTEM, customer=customer, channel=channel, source="email")
    elif step in ("object", "ban"):
        service = services.marketing_object if step == "object" else services.marketing_ban
        service(actor=SYSTEM, customer=customer, source="phone_call")
    elif step == "lift" and customer.status == Status.ACTIVE and consent_state(customer).banned:
        services.marketing_ban_lift(actor=SYSTEM, customer=customer, source="phone_call")
    elif step == "restrict":
        Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)
        customer.refresh_from_db()


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
@example(history=[(0, "grant", "email"), (0, "ban", "post"), (0, "lift", "post")])
@example(history=[(0, "object", "post"), (0, "grant", "sms"), (0, "lift", "post")])
@example(history=[(0, "withdraw", "post"), (0, "ban", "post"), (0, "lift", "post")])
@example(history=[(1, "grant", "sms"), (1, "withdraw", "sms"), (1, "grant", "sms")])
@example(history=[(2, "grant", "email"), (2, "restrict", "email")])
def test_the_count_now_is_the_campaign_querysets_count_for_any_history(history):
    """Whatever happened, the counts agree with `customers_eligible` (which the
    property tests hold to the rules), channel by channel."""
    customers = [make_customer() for _ in range(CUSTOMERS)]
    for index, step, channel in history:
        apply(step, channel, customers[index])

    totals, reach = consent_reach_at(moments=[timezone.now()])

    assert totals == [Customer.objects.filter(status=Status.ACTIVE).count()]
    assert reach == {channel: [customers_eligible(channel).count()] for channel in Channel.values}


def at(customer_or_event: Customer | ConsentEvent, moment: datetime.datetime) -> None:
    """Dates a test record, as if it had been made at `moment`."""
    model = type(customer_or_event)
    field = "created_at" if model is Customer else "occurred_at"
    model.objects.filter(pk=customer_or_event.pk).update(**{field: moment})


@pytest.mark.django_db
def test_past_moments_see_the_ledger_as_it_stood_then():
    """January: Aino opts in to email; February: she withdraws it and Ben bans all
    marketing; March: Ben lifts the ban, Cecilia arrives. Each month end counts only
    what had happened by then, and only those who were customers then."""
    day = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    aino, ben, cecilia = make_customer(), make_customer(), make_customer()
    at(aino, day)
    at(ben, day)
    at(cecilia, day + datetime.timedelta(days=70))
    at(
        services.consent_grant(actor=SYSTEM, customer=aino, channel="email", source="email"),
        day + datetime.timedelta(days=10),
    )
    at(
        services.consent_withdraw(actor=SYSTEM, customer=aino, channel="email", source="email"),
        day + datetime.timedelta(days=40),
    )
    at(
        services.marketing_ban(actor=SYSTEM, customer=ben, source="phone_call"),
        day + datetime.timedelta(days=45),
    )
    at(
        services.marketing_ban_lift(actor=SYSTEM, customer=ben, source="phone_call"),
        day + datetime.timedelta(days=65),
    )
    ends = [datetime.datetime(2026, month, 1, tzinfo=datetime.UTC) for month in (2, 3, 4)]

    totals, reach = consent_reach_at(moments=ends)

    assert totals == [2, 2, 3]
    assert reach["email"] == [1, 0, 0]
    assert reach["sms"] == [0, 0, 0]
    # Aino's withdrawal was of email only; Ben's ban stopped post and phone in February.
    assert reach["post"] == [2, 1, 3]
    assert reach["phone"] == [2, 1, 3]


@pytest.mark.django_db
def test_no_moments_no_counts():
    assert consent_reach_at(moments=[]) == ([], {channel: [] for channel in Channel.values})


@pytest.mark.django_db
def test_it_takes_two_queries_however_many_moments_and_customers(django_assert_num_queries):
    for _ in range(5):
        services.consent_grant(
            actor=SYSTEM, customer=make_customer(), channel="sms", source="email"
        )
    now = timezone.now()
    moments = [now - datetime.timedelta(days=30 * back) for back in range(11, -1, -1)]

    with django_assert_num_queries(2):
        totals, reach = consent_reach_at(moments=moments)

    assert totals == [0] * 11 + [5]
    assert reach["sms"] == [0] * 11 + [5]
