"""The administrator sets the credit policy: whether payment defaults decline, the
largest total on invoice, and whether an unknown person declines. Changes are audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.credit.models import CreditPolicy

pytestmark = pytest.mark.django_db
URL = "/credit/policy/"


@pytest.fixture
def administrator_client(client_as):
    return client_as(Role.ADMINISTRATOR)


def policy_values() -> tuple[bool, Decimal, bool]:
    policy = CreditPolicy.objects.get(pk=1)
    return (
        policy.decline_on_payment_defaults,
        policy.max_invoice_total,
        policy.decline_unknown_person,
    )


def test_the_url_is_credit_policy():
    assert reverse("credit:policy") == URL


def test_the_administrator_sees_the_current_rules(administrator_client):
    response = administrator_client.get(URL)

    form = response.context["form"]
    assert response.status_code == 200
    assert form["decline_on_payment_defaults"].value() is True
    assert form["max_invoice_total"].value() == Decimal("1500.00")
    assert form["decline_unknown_person"].value() is False
    assert f'href="{URL}"' in response.content.decode()  # the navigation link


def test_the_administrator_changes_the_rules_and_the_change_is_audited(administrator_client):
    response = administrator_client.post(
        URL, {"max_invoice_total": "750.50", "decline_unknown_person": "on"}, follow=True
    )

    policy = CreditPolicy.objects.get(pk=1)
    user = response.wsgi_request.user
    assert response.redirect_chain == [(URL, 302)]
    assert [str(m) for m in response.context["messages"]] == ["The credit policy was saved."]
    assert policy_values() == (False, Decimal("750.50"), True)
    assert policy.updated_by_label == user.username
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="credit.creditpolicy")
    assert event.object_id == str(policy.pk)
    assert event.actor_label == user.username
    assert event.changed_fields == sorted(
        ["decline_on_payment_defaults", "decline_unknown_person", "max_invoice_total"]
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "The limit must be zero or more."),
        ("paljon", "Enter a number."),
        ("", "This field is required."),
    ],
)
def test_a_bad_limit_is_refused_and_nothing_changes(administrator_client, value, message):
    administrator_client.get(URL)
    events_before = AuditEvent.objects.exclude(action=Action.VIEW).count()

    response = administrator_client.post(
        URL, {"decline_on_payment_defaults": "on", "max_invoice_total": value}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["max_invoice_total"] == [message]
    assert message in response.content.decode()
    assert policy_values() == (True, Decimal("1500.00"), False)
    assert AuditEvent.objects.exclude(action=Action.VIEW).count() == events_before


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.MARKETING, Role.AUDITOR]
)
def test_other_roles_are_refused_and_nothing_changes(client_as, role):
    client = client_as(role)

    page = client.get(URL)
    change = client.post(URL, {"max_invoice_total": "0"})

    assert (page.status_code, change.status_code) == (403, 403)
    assert not CreditPolicy.objects.exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 2
    assert not AuditEvent.objects.filter(object_type="credit.creditpolicy").exists()


def test_the_navigation_link_is_only_for_the_administrator(customer_service_client):
    response = customer_service_client.get(reverse("orders:list"))

    assert URL not in response.content.decode()
