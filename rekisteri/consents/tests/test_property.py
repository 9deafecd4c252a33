"""For any history of grants, withdrawals, objections, bans, ban liftings and changes of
the customer's status, the derived state and the campaign queryset agree with a simple
model of the rules, and never allow what they must not."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rekisteri.audit.services import Actor
from rekisteri.consents import services
from rekisteri.consents.models import OPT_IN_CHANNELS, Channel, ConsentEvent, EventKind
from rekisteri.consents.selectors import consent_state, customers_eligible
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer

SYSTEM = Actor.system("test")
CUSTOMERS = 2
CHANNELS = Channel.values


@dataclass
class Model:
    """What the rules say, kept the plain way: flags changed by each accepted step."""

    status: str = Status.ACTIVE
    banned: bool = False
    opted_in: set[str] = field(default_factory=set)  # email, SMS with a live opt-in
    refused: set[str] = field(default_factory=set)  # post, phone refused

    def allows(self, channel: str) -> bool:
        if self.status != Status.ACTIVE or self.banned:
            return False
        if channel in OPT_IN_CHANNELS:
            return channel in self.opted_in
        return channel not in self.refused


steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        # Weighted towards the consent steps; a status change now and then.
        st.sampled_from(
            ["grant"] * 4
            + ["withdraw"] * 2
            + ["object", "ban", "lift", "lift"]
            + ["restrict", "unrestrict", "anonymise"]
        ),
        st.sampled_from(CHANNELS),
    ),
    min_size=1,
    max_size=16,
)


def apply(step: str, channel: str, customer: Customer, model: Model) -> None:
    """Runs one step through the services and, if they accept it, through the model."""
    try:
        if step == "grant":
            services.consent_grant(actor=SYSTEM, customer=customer, channel=channel, source="email")
            model.opted_in.add(channel)
            model.refused.discard(channel)
        elif step == "withdraw":
            services.consent_withdraw(
                actor=SYSTEM, customer=customer, channel=channel, source="unsubscribe_link"
            )
            model.opted_in.discard(channel)
            model.refused.add(channel)
        elif step in ("object", "ban"):
            service = services.marketing_object if step == "object" else services.marketing_ban
            service(actor=SYSTEM, customer=customer, source="phone_call")
            model.banned = True
            model.opted_in.clear()
        elif step == "lift":
            services.marketing_ban_lift(actor=SYSTEM, customer=customer, source="phone_call")
            model.banned = False
        else:
            status = {
                "restrict": Status.RESTRICTED,
                "unrestrict": Status.ACTIVE,
                "anonymise": Status.ANONYMISED,
            }[step]
            if model.status == Status.ANONYMISED:
                return  # erasure is for good
            # Restriction and erasure are the privacy app's; their outcome is the status.
            Customer.objects.filter(pk=customer.pk).update(status=status)
            model.status = status
    except ValidationError:
        # Refused: a grant or a lifting for a customer not active, or no ban to lift.
        assert step == "grant" or step == "lift"
        assert model.status != Status.ACTIVE or (step == "lift" and not model.banned)
    customer.refresh_from_db()


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
# The histories that tell the rules apart, tried every run before the random ones.
@example(history=[(0, "grant", "email"), (0, "ban", "post"), (0, "lift", "post")])
@example(history=[(0, "object", "post"), (0, "grant", "sms"), (0, "lift", "post")])
@example(history=[(0, "withdraw", "post"), (0, "ban", "post"), (0, "lift", "post")])
@example(history=[(0, "restrict", "post"), (0, "grant", "email"), (0, "unrestrict", "post")])
@example(history=[(1, "grant", "email"), (1, "anonymise", "post"), (1, "lift", "post")])
def test_state_and_eligibility_follow_the_rules_for_any_history(history):
    customers = [make_customer() for _ in range(CUSTOMERS)]
    models = [Model() for _ in customers]

    for index, step, channel in history:
        apply(step, channel, customers[index], models[index])

    ours = Customer.objects.filter(pk__in=[c.pk for c in customers])
    for channel in CHANNELS:
        eligible = set(customers_eligible(channel, ours).values_list("pk", flat=True))
        expected = {c.pk for c, m in zip(customers, models, strict=True) if m.allows(channel)}
        assert eligible == expected, channel
        for customer, model in zip(customers, models, strict=True):
            state = consent_state(customer)
            assert state.banned == model.banned
            assert state.allows(channel) == model.allows(channel)
            if state.allows(channel):
                assert customer.status == Status.ACTIVE and not state.banned
                latest = (
                    ConsentEvent.objects.filter(customer=customer, channel=channel)
                    .order_by("-id")
                    .first()
                )
                if channel in OPT_IN_CHANNELS:
                    # Email and SMS only on a live opt-in given after every ban.
                    assert latest is not None and latest.kind == EventKind.GRANT
                    assert not ConsentEvent.objects.filter(
                        customer=customer, kind__in=["ban", "objection"], id__gt=latest.pk
                    ).exists()
                else:
                    assert latest is None or latest.kind != EventKind.WITHDRAWAL
