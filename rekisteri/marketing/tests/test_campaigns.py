"""Email and SMS campaigns: who gets a message, the send-time check, the
per-recipient log, and the audit (P3, P4, P6, P11; 917/2014 § 200)."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.consents.models import Source
from rekisteri.customers.models import Source as CustomerSource
from rekisteri.marketing import services, sms
from rekisteri.marketing.models import Campaign, CampaignMessage, CampaignStatus, TargetGroup
from rekisteri.marketing.sending import campaign_begin, campaign_deliver
from rekisteri.marketing.services import CampaignInput
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _outboxes():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def marketer():
    return make_staff("marketing")


def group(channel: str = "email", **criteria) -> TargetGroup:
    return services.target_group_save(
        actor=SYSTEM,
        data=services.TargetGroupInput(name=f"{channel} group", channel=channel, **criteria),
    )


def campaign(channel: str = "email", *, exception: bool = False, **fields) -> Campaign:
    data = {
        "name": "Kevätale",
        "channel": channel,
        "target_group": group(channel),
        "subject": "Kevään tarjoukset" if channel == "email" else "",
        "body": "Hyllyt -20 % koko huhtikuun.\n\nTervetuloa!",
        "existing_customer_exception": exception,
        **fields,
    }
    return services.campaign_save(actor=SYSTEM, data=CampaignInput(**data))


def opted_in(channel: str = "email", **fields):
    customer = make_customer(**fields)
    consents.consent_grant(actor=SYSTEM, customer=customer, channel=channel, source=Source.STAFF)
    return customer


def send(campaign: Campaign, actor: Actor, django_capture_on_commit_callbacks) -> Campaign:
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send(actor=actor, campaign=campaign, version=campaign.version)
    run_queued_tasks()
    campaign.refresh_from_db()
    return campaign


def buy(customer) -> None:
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Hylly", "unit_price": Decimal("89.90")}
    )
    order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )


def test_an_email_campaign_reaches_only_those_who_opted_in(
    marketer, django_capture_on_commit_callbacks
):
    allowed = opted_in(email="anna.virtanen@example.fi")
    make_customer(email="ei.lupaa@example.fi")  # no opt-in
    withdrawn = opted_in(email="peruttu@example.fi")
    consents.consent_withdraw(
        actor=SYSTEM, customer=withdrawn, channel="email", source=Source.EMAIL
    )
    banned = opted_in(email="kielto@example.fi")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source=Source.PHONE_CALL)

    sent = send(campaign(), Actor.system("marketer"), django_capture_on_commit_callbacks)

    assert sent.status == CampaignStatus.SENT
    assert [m.to for m in mail.outbox] == [[allowed.email]]
    assert (sent.recipients_total, sent.sent_count, sent.skipped_count, sent.failed_count) == (
        1,
        1,
        0,
        0,
    )
    message = CampaignMessage.objects.get(campaign=sent)
    assert message.customer == allowed and message.status == "sent" and message.sent_at
    email = mail.outbox[0]
    assert email.subject == "Kevään tarjoukset"
    assert "Hyllyt -20 %" in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in email.extra_headers["List-Unsubscribe"]
    assert "mailto:" in email.extra_headers["List-Unsubscribe"]
    assert isinstance(email, EmailMultiAlternatives)
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "/unsubscribe/" in str(html)
    reasons = list(
        AuditEvent.objects.filter(object_type="marketing.campaign").values_list("reason", flat=True)
    )
    assert any(reason.startswith("sending: 1 recipients") for reason in reasons)
    assert any(reason.startswith("sent: 1 sent") for reason in reasons)


def test_a_withdrawal_after_sending_began_is_honoured_and_logged(
    django_capture_on_commit_callbacks,
):
    """The recipients are written down when sending begins; a customer who withdraws
    after that is skipped when their batch leaves, with the reason."""
    stays, leaves = opted_in(email="pysyy@example.fi"), opted_in(email="lahtee@example.fi")
    draft = campaign()
    services.campaign_send(actor=SYSTEM, campaign=draft, version=draft.version)
    begun = campaign_begin(campaign_id=draft.pk)
    assert begun is not None
    consents.consent_withdraw(
        actor=SYSTEM, customer=leaves, channel="email", source=Source.UNSUBSCRIBE_LINK
    )
    campaign_deliver(campaign=begun)

    draft.refresh_from_db()
    assert [m.to for m in mail.outbox] == [[stays.email]]
    skipped = CampaignMessage.objects.get(campaign=draft, customer=leaves)
    assert (skipped.status, skipped.detail) == ("skipped", "withdrawn")
    assert (draft.recipients_total, draft.sent_count, draft.skipped_count) == (2, 1, 1)


def test_the_existing_customer_exception_reaches_buyers_who_did_not_opt_out(
    django_capture_on_commit_callbacks,
):
    buyer = make_customer(email="ostaja@example.fi")
    buy(buyer)
    opted_out_buyer = make_customer(email="kieltaytyi@example.fi")
    buy(opted_out_buyer)
    consents.consent_withdraw(
        actor=SYSTEM, customer=opted_out_buyer, channel="email", source=Source.EMAIL
    )
    imported = make_customer(email="tuotu@example.fi", source=CustomerSource.IMPORT)
    buy(imported)
    make_customer(email="ei.ostoja@example.fi")  # never bought

    sent = send(campaign(exception=True), SYSTEM, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert "you have bought from" in mail.outbox[0].body or "olet ostanut" in mail.outbox[0].body
    assert sent.sent_count == 1


def test_without_the_exception_a_buyer_without_an_opt_in_gets_nothing(
    django_capture_on_commit_callbacks,
):
    buy(make_customer(email="ostaja@example.fi"))
    draft = campaign()

    with pytest.raises(ValidationError):
        services.campaign_send(actor=SYSTEM, campaign=draft, version=draft.version)
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT
    assert not CampaignMessage.objects.exists()


def test_an_sms_campaign_carries_the_opt_out_and_skips_landlines(
    django_capture_on_commit_callbacks,
):
    mobile = opted_in("sms", phone="+358401234567")
    landline = opted_in("sms", phone="+35885551234")

    sent = send(campaign("sms"), SYSTEM, django_capture_on_commit_callbacks)

    assert [m.to for m in sms.outbox] == [mobile.phone]
    assert sms.outbox[0].body.startswith("Hyllyt -20 %")
    assert "/unsubscribe/" in sms.outbox[0].body
    skipped = CampaignMessage.objects.get(campaign=sent, customer=landline)
    assert (skipped.status, skipped.detail) == ("skipped", "no_mobile_number")


def test_a_campaign_must_match_its_groups_channel_and_have_a_subject():
    with pytest.raises(ValidationError) as raised:
        services.campaign_save(
            actor=SYSTEM,
            data=CampaignInput(name="X", channel="email", target_group=group("sms"), body=""),
        )
    assert set(raised.value.message_dict) == {"target_group", "subject", "body"}
    assert not Campaign.objects.exists()


def test_a_sent_campaign_cannot_be_changed(django_capture_on_commit_callbacks):
    opted_in(email="a@example.fi")
    sent = send(campaign(), SYSTEM, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError):
        services.campaign_save(
            actor=SYSTEM,
            data=CampaignInput(
                name="Y", channel="email", target_group=sent.target_group, subject="s", body="b"
            ),
            campaign=sent,
        )
