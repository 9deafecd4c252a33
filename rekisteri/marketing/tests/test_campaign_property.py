"""For any history of grants, withdrawals, bans, objections, ban liftings, purchases,
restrictions and erasures, some of it before a campaign starts sending and some while it
is being sent, no campaign on any channel reaches a customer it must not: email and SMS
only with a live opt-in (or, under the existing-customer exception, a purchase and no
opt-out), post only the unbanned who did not refuse, and never a banned, restricted or
anonymised customer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.consents.models import OPT_IN_CHANNELS
from rekisteri.customers.models import Customer, Status
from rekisteri.customers.models import Source as CustomerSource
from rekisteri.customers.restriction import ChangeHeld
from rekisteri.marketing import services, sms
from rekisteri.marketing.models import CampaignMessage
from rekisteri.marketing.selectors import target_group_export_rows, target_group_members
from rekisteri.marketing.sending import campaign_begin, campaign_deliver
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer

SYSTEM = Actor.system("test")
CUSTOMERS = 3
RUNS = itertools.count()
CHANNELS = ("email", "sms", "post", "phone")
# (channel, existing-customer exception): the campaigns tried after every history.
CAMPAIGNS = (("email", False), ("email", True), ("sms", False), ("sms", True))


@dataclass
class Model:
    """The rules kept the plain way."""

    imported: bool
    status: str = Status.ACTIVE
    banned: bool = False
    bought: bool = False
    opted_in: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)

    def may_receive(self, channel: str, *, exception: bool = False) -> bool:
        if self.status != Status.ACTIVE or self.banned:
            return False
        if channel in OPT_IN_CHANNELS and not exception:
            return channel in self.opted_in
        if channel in OPT_IN_CHANNELS and (self.imported or not self.bought):
            return False
        return channel not in self.refused


STEPS = (
    ["grant"] * 4
    + ["withdraw"] * 2
    + ["object", "ban", "lift", "lift", "buy", "buy"]
    + ["restrict", "unrestrict", "anonymise"]
)
history = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        st.sampled_from(STEPS),
        st.sampled_from(CHANNELS),
    ),
    max_size=12,
)


def apply(step: str, channel: str, customer: Customer, model: Model) -> None:
    try:
        if step == "grant":
            consents.consent_grant(actor=SYSTEM, customer=customer, channel=channel, source="email")
            model.opted_in.add(channel)
            model.refused.discard(channel)
        elif step == "withdraw":
            consents.consent_withdraw(
                actor=SYSTEM, customer=customer, channel=channel, source="unsubscribe_link"
            )
            model.opted_in.discard(channel)
            model.refused.add(channel)
        elif step in ("object", "ban"):
            service = consents.marketing_object if step == "object" else consents.marketing_ban
            service(actor=SYSTEM, customer=customer, source="phone_call")
            model.banned = True
            model.opted_in.clear()
        elif step == "lift":
            consents.marketing_ban_lift(actor=SYSTEM, customer=customer, source="phone_call")
            model.banned = False
        elif step == "buy":
            order_create(
                actor=SYSTEM,
                customer=customer,
                channel="phone",
                payment_method="prepaid",
                lines=[LineInput("HYL-120", 1)],
            )
            model.bought = True
        else:
            if model.status == Status.ANONYMISED:
                return
            status = {
                "restrict": Status.RESTRICTED,
                "unrestrict": Status.ACTIVE,
                "anonymise": Status.ANONYMISED,
            }[step]
            Customer.objects.filter(pk=customer.pk).update(status=status)
            model.status = status
    except ValidationError:
        assert step in ("grant", "lift", "buy")
    except ChangeHeld:
        # A restricted customer's order waits for the privacy officer (art. 18): no sale.
        assert step == "buy" and model.status == Status.RESTRICTED
    customer.refresh_from_db()


def campaign_for(channel: str, exception: bool):
    group = services.target_group_save(
        actor=SYSTEM, data=services.TargetGroupInput(name=channel, channel=channel)
    )
    return services.campaign_save(
        actor=SYSTEM,
        data=services.CampaignInput(
            name=f"{channel} {exception}",
            channel=channel,
            target_group=group,
            subject="Tarjous" if channel == "email" else "",
            body="Tarjous",
            existing_customer_exception=exception,
        ),
    )


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=history, during=history)
@example(before=[(0, "grant", "email")], during=[(0, "withdraw", "email")])
@example(before=[(0, "buy", "post")], during=[(0, "ban", "post"), (0, "lift", "post")])
@example(before=[(0, "grant", "sms"), (0, "buy", "post")], during=[(0, "anonymise", "post")])
@example(before=[(2, "buy", "post")], during=[])
def test_no_campaign_reaches_anyone_it_must_not(before, during):
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Hylly", "unit_price": Decimal("10.00")}
    )
    # The examples share one test transaction: the earlier examples' customers are put
    # beyond every campaign's reach, so that each example sees only its own.
    Customer.objects.update(status=Status.ANONYMISED)
    run = next(RUNS)
    customers = [
        make_customer(
            email=f"asiakas{run}.{index}@example.fi",
            phone=f"+358400{run % 10000:04d}{index:03d}",
            # The last customer's details were imported, not given with a purchase.
            source=CustomerSource.IMPORT if index == CUSTOMERS - 1 else CustomerSource.PHONE,
        )
        for index in range(CUSTOMERS)
    ]
    models = [Model(imported=index == CUSTOMERS - 1) for index in range(CUSTOMERS)]
    by_email = {c.email: i for i, c in enumerate(customers)}
    by_phone = {c.phone: i for i, c in enumerate(customers)}
    for index, step, channel in before:
        apply(step, channel, customers[index], models[index])

    # Every campaign starts sending (its recipients written down) ...
    begun = []
    for channel, exception in CAMPAIGNS:
        campaign = campaign_for(channel, exception)
        try:
            services.campaign_send(actor=SYSTEM, campaign=campaign, version=campaign.version)
        except ValidationError:
            assert not any(m.may_receive(channel, exception=exception) for m in models)
            continue
        started = campaign_begin(campaign_id=campaign.pk)
        assert started is not None
        begun.append((started, channel, exception))
    # ... then more happens before the messages leave.
    for index, step, channel in during:
        apply(step, channel, customers[index], models[index])

    for campaign, channel, exception in begun:
        mail.outbox.clear()
        sms.outbox.clear()
        campaign_deliver(campaign=campaign)
        if channel == "email":
            reached = {by_email[address] for message in mail.outbox for address in message.to}
        else:
            reached = {by_phone[message.to] for message in sms.outbox}
        written_down = set(
            CampaignMessage.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
        )
        expected = {
            i
            for i, model in enumerate(models)
            if model.may_receive(channel, exception=exception) and customers[i].pk in written_down
        }
        assert reached == expected, (channel, exception)

    # Post (the address list) and phone groups follow the same rules.
    for channel in ("post", "phone"):
        group = services.target_group_save(
            actor=SYSTEM, data=services.TargetGroupInput(name=channel, channel=channel)
        )
        members = set(target_group_members(group).values_list("pk", flat=True))
        assert members == {
            c.pk for c, m in zip(customers, models, strict=True) if m.may_receive(channel)
        }
    post_group = services.target_group_save(
        actor=SYSTEM, data=services.TargetGroupInput(name="osoitteet", channel="post")
    )
    exported = len(list(target_group_export_rows(post_group)))
    assert exported == sum(m.may_receive("post") for m in models)
