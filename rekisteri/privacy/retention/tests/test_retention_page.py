"""The privacy officer's retention page: the policies, the dry run, changing a policy
(audited, within the law's floor for orders) and running the policies now (audited).
Other roles are refused and nothing changes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.marketing.models import CampaignMessage
from rekisteri.privacy.models import RetentionPolicy
from rekisteri.privacy.retention.tests.backdated import at, campaign_finished, message_to
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/privacy/retention/"
RUN_URL = "/privacy/retention/run/"
EDIT_URL = "/privacy/retention/{}/"
FLOOR_MESSAGE = (
    "Orders and invoices are vouchers: the Accounting Act (1336/1997, 2:10 §) requires "
    "keeping them at least 6 years (72 months) from the end of their financial year."
)


def policies() -> dict[str, tuple[int, bool]]:
    return {p.category: (p.months, p.enabled) for p in RetentionPolicy.objects.all()}


DEFAULTS = {
    "inactive_customers": (36, True),
    "orders": (72, True),
    "consent_evidence": (24, True),
    "credit_checks": (12, True),
    "campaign_messages": (24, True),
    "shop_deliveries": (1, True),
    "identity_codes": (3, True),
    "audit_events": (120, True),
}


def retention_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.retentionpolicy").order_by("id"))


@pytest.fixture
def old_message() -> CampaignMessage:
    return message_to(make_customer(), campaign_finished(at(datetime.date(2020, 3, 3))))


def test_the_urls():
    assert reverse("privacy:retention") == URL
    assert reverse("privacy:retention_run") == RUN_URL
    assert reverse("privacy:retention_edit", args=["orders"]) == EDIT_URL.format("orders")


def test_the_privacy_officer_sees_the_policies_and_what_a_run_would_do(
    privacy_officer_client, old_message
):
    events = AuditEvent.objects.count()

    response = privacy_officer_client.get(URL)

    page = response.content.decode()
    reports = {
        report.category: (report.due, report.held_back) for report in response.context["reports"]
    }
    assert response.status_code == 200
    assert [policy.category for policy in response.context["policies"]] == list(DEFAULTS)
    assert reports["campaign_messages"] == (1, 0)
    assert "Delete the message log rows. The campaign and its totals stay." in page
    assert f'action="{RUN_URL}"' in page
    assert f'href="{EDIT_URL.format("orders")}"' in page
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()
    assert AuditEvent.objects.count() == events


def test_the_privacy_officer_changes_a_policy_and_the_change_is_audited(privacy_officer_client):
    response = privacy_officer_client.post(
        EDIT_URL.format("inactive_customers"), {"months": "48"}, follow=True
    )

    user = response.wsgi_request.user
    policy = RetentionPolicy.objects.get(category="inactive_customers")
    assert response.redirect_chain == [(URL, 302)]
    assert [str(m) for m in response.context["messages"]] == ["The retention policy was saved."]
    assert policies() == {**DEFAULTS, "inactive_customers": (48, False)}
    assert (policy.updated_by, policy.updated_at is not None) == (user, True)
    [event] = retention_events()
    assert (event.action, event.actor_user, event.object_id) == (
        Action.UPDATE,
        user,
        str(policy.pk),
    )
    assert event.changed_fields == ["enabled", "months"]
    assert event.reason == (
        "inactive_customers: 36 months, in use True; now 48 months, in use False"
    )


def test_the_form_shows_the_current_policy(privacy_officer_client):
    response = privacy_officer_client.get(EDIT_URL.format("credit_checks"))

    form = response.context["form"]
    assert response.status_code == 200
    assert (form["months"].value(), form["enabled"].value()) == (12, True)


@pytest.mark.parametrize(
    ("category", "months", "message"),
    [
        ("orders", "71", FLOOR_MESSAGE),
        ("orders", "12", FLOOR_MESSAGE),
        ("inactive_customers", "0", "Give a period of 1 to 600 months."),
        ("audit_events", "601", "Give a period of 1 to 600 months."),
        ("credit_checks", "", "This field is required."),
        ("credit_checks", "vuosi", "Enter a whole number."),
    ],
)
def test_a_period_out_of_bounds_is_refused_and_nothing_changes(
    privacy_officer_client, category, months, message
):
    response = privacy_officer_client.post(
        EDIT_URL.format(category), {"months": months, "enabled": "on"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["months"] == [message]
    assert message in response.content.decode().replace("&quot;", '"')
    assert policies() == DEFAULTS
    assert retention_events() == []


def test_orders_may_be_kept_longer_than_the_accounting_period(privacy_officer_client):
    response = privacy_officer_client.post(
        EDIT_URL.format("orders"), {"months": "72", "enabled": "on"}
    )
    longer = privacy_officer_client.post(
        EDIT_URL.format("orders"), {"months": "120", "enabled": "on"}
    )

    assert (response.status_code, longer.status_code) == (302, 302)
    assert policies()["orders"] == (120, True)
    assert [event.changed_fields for event in retention_events()] == [["months"]]


def test_an_unknown_category_is_not_found(privacy_officer_client):
    response = privacy_officer_client.post(EDIT_URL.format("everything"), {"months": "1"})

    assert response.status_code == 404
    assert policies() == DEFAULTS


def test_the_privacy_officer_runs_the_policies_now_and_the_run_is_audited(
    privacy_officer_client, old_message
):
    response = privacy_officer_client.post(RUN_URL, follow=True)

    user = response.wsgi_request.user
    assert response.redirect_chain == [(URL, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Campaign message logs: 1 done.",
        "The retention policies were run.",
    ]
    assert not CampaignMessage.objects.filter(pk=old_message.pk).exists()
    assert [(e.action, e.actor_user, e.object_id) for e in retention_events()] == [
        (Action.ERASE, user, str(RetentionPolicy.objects.get(category="campaign_messages").pk)),
        (Action.UPDATE, user, "run"),
    ]


def test_running_needs_a_post(privacy_officer_client, old_message):
    response = privacy_officer_client.get(RUN_URL)

    assert response.status_code == 405
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.ADMINISTRATOR, Role.AUDITOR]
)
def test_other_roles_are_refused_and_nothing_changes(client_as, role, old_message):
    client = client_as(role)

    page = client.get(URL)
    change = client.post(EDIT_URL.format("orders"), {"months": "1", "enabled": ""})
    run = client.post(RUN_URL)

    assert (page.status_code, change.status_code, run.status_code) == (403, 403, 403)
    assert policies() == DEFAULTS
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()
    assert retention_events() == []
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 3


def test_an_anonymous_visitor_is_sent_to_sign_in(client, old_message):
    response = client.post(RUN_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert CampaignMessage.objects.filter(pk=old_message.pk).exists()
    assert retention_events() == []
