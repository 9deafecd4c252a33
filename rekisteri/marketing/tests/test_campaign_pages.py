"""Marketing staff write, send and follow campaigns in the staff UI; the privacy
officer may look; other roles are refused and change nothing (P4, P13)."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.marketing.models import Campaign, CampaignStatus
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def marketing_client(client_as):
    return client_as(Role.MARKETING)


@pytest.fixture
def email_group():
    return target_group_save(
        actor=SYSTEM, data=TargetGroupInput(name="Uutiskirje", channel="email")
    )


def form(group, **changes):
    return {
        "name": "Joulukampanja",
        "channel": "email",
        "target_group": group.pk,
        "subject": "Joulun tarjoukset",
        "body": "Hyvää joulua!\n\nKaikki hyllyt -15 %.",
        **changes,
    }


def a_campaign(group) -> Campaign:
    return campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Joulukampanja", channel="email", target_group=group, subject="S", body="B"
        ),
    )


def opted_in():
    customer = make_customer()
    consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="staff")
    return customer


def test_marketing_creates_a_campaign(marketing_client, email_group):
    response = marketing_client.post(reverse("marketing:campaign_create"), form(email_group))

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("marketing:campaign", args=[campaign.pk])
    assert (campaign.status, campaign.subject) == (CampaignStatus.DRAFT, "Joulun tarjoukset")
    assert campaign.body == "Hyvää joulua!\n\nKaikki hyllyt -15 %."
    event = AuditEvent.objects.get(object_type="marketing.campaign")
    assert event.action == Action.CREATE
    assert "body" in event.changed_fields


def test_bad_input_gets_messages_on_the_fields_and_nothing_is_saved(marketing_client, email_group):
    sms_group = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="SMS", channel="sms"))
    audit_before = AuditEvent.objects.count()

    response = marketing_client.post(
        reverse("marketing:campaign_create"),
        form(sms_group, subject="", body="  "),
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "The target group is for another channel." in content
    assert "An email needs a subject." in content
    assert not Campaign.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_the_page_shows_how_many_may_be_reached_now(marketing_client, email_group):
    for _ in range(5):
        opted_in()
    make_customer()  # no opt-in
    campaign = a_campaign(email_group)

    response = marketing_client.get(reverse("marketing:campaign", args=[campaign.pk]))

    assert response.status_code == 200
    assert "5 recipients may be reached now." in response.content.decode()


def test_fewer_than_five_recipients_are_not_counted_exactly(marketing_client, email_group):
    opted_in()
    opted_in()
    campaign = a_campaign(email_group)

    response = marketing_client.get(reverse("marketing:campaign", args=[campaign.pk]))

    assert "Fewer than 5 recipients may be reached now." in response.content.decode()
    assert "2 recipients" not in response.content.decode()


def test_sending_queues_the_campaign_for_the_worker(
    marketing_client, email_group, django_capture_on_commit_callbacks
):
    opted_in()
    campaign = a_campaign(email_group)

    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(
            reverse("marketing:campaign_send", args=[campaign.pk]), {"version": campaign.version}
        )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.QUEUED
    assert campaign.queued_by is not None and campaign.queued_by.username.startswith("staff")
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert not mail.outbox  # nothing leaves before the worker runs

    run_queued_tasks()

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert len(mail.outbox) == 1
    page = marketing_client.get(reverse("marketing:campaign", args=[campaign.pk]))
    assert "1 of 1 handled" in page.content.decode()
    progress = marketing_client.get(reverse("marketing:campaign_progress", args=[campaign.pk]))
    assert progress.status_code == 200
    assert "hx-trigger" not in progress.content.decode()  # done: no more polling


def test_a_stale_send_is_refused(marketing_client, email_group):
    opted_in()
    campaign = a_campaign(email_group)

    response = marketing_client.post(
        reverse("marketing:campaign_send", args=[campaign.pk]),
        {"version": campaign.version - 1},
        follow=True,
    )

    assert "Someone else changed or sent this campaign." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_stale_edit_gets_a_conflict(marketing_client, email_group):
    campaign = a_campaign(email_group)

    response = marketing_client.post(
        reverse("marketing:campaign_edit", args=[campaign.pk]),
        form(email_group, version=campaign.version + 1),
    )

    assert response.status_code == 409
    campaign.refresh_from_db()
    assert campaign.name == "Joulukampanja" and campaign.body == "B"


def test_sending_to_no_one_is_refused_with_a_message(marketing_client, email_group):
    campaign = a_campaign(email_group)

    response = marketing_client.post(
        reverse("marketing:campaign_send", args=[campaign.pk]),
        {"version": campaign.version},
        follow=True,
    )

    assert "No one in the target group may be reached now." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_send_and_nothing_changes(client_as, role, email_group):
    opted_in()
    campaign = a_campaign(email_group)

    response = client_as(role).post(
        reverse("marketing:campaign_send", args=[campaign.pk]), {"version": campaign.version}
    )

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not DBTaskResult.objects.exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_customer_service_cannot_create_a_campaign(client_as, email_group):
    response = client_as(Role.CUSTOMER_SERVICE).post(
        reverse("marketing:campaign_create"), form(email_group)
    )

    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_the_pages_read_in_finnish(client_as, email_group):
    campaign = a_campaign(email_group)
    client = client_as(Role.MARKETING)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fi"

    response = client.get(reverse("marketing:campaign", args=[campaign.pk]))

    assert "Lähetä kampanja" in response.content.decode()
