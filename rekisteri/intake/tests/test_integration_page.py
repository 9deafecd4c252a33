"""An integration's page: how to set up the shop, what it has sent, and its invoice
payment methods. Administrators only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.intake.inbox import inbox_drain
from rekisteri.intake.models import Integration
from rekisteri.testing.shops import (
    post_shopify,
    post_woocommerce,
    shop,
    shopify_json,
    shopify_order,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_as):
    return client_as(Role.ADMINISTRATOR)


def _page(client: Client, integration: Integration) -> str:
    response = client.get(reverse("intake:integration", args=[integration.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_webhook_address_counts_and_the_test_notification(admin_client):
    integration, secret = shop("shopify")
    shopify = Client()
    post_shopify(shopify, integration, secret, shopify_json(shopify_order(test=True)))
    post_shopify(shopify, integration, secret, shopify_json(shopify_order()))
    post_shopify(shopify, integration, secret, shopify_json(shopify_order(id=5, currency="USD")))
    inbox_drain()

    page = _page(admin_client, integration)

    webhook = f"http://testserver/api/v1/webhooks/shopify/{integration.public_id}"
    assert webhook in page
    assert "Connection works: a signed test notification came on" in page
    assert "Settings → Notifications → Webhooks" in page
    assert reverse("intake:integration_secret", args=[integration.pk]) in page
    figures = {label: count for label, count in _figures(admin_client, integration).by_state}
    assert figures == {
        "Waiting to be processed": 0,
        "Processed": 1,
        "Needs attention": 1,
        "Discarded": 0,
        "Test notification": 1,
        "Not an order": 0,
    }
    assert f'<a href="{reverse("intake:attention_list")}">1</a>' in page


def _figures(client: Client, integration: Integration):
    return client.get(reverse("intake:integration", args=[integration.pk])).context["figures"]


def test_a_woocommerce_page_shows_its_set_up_steps_and_the_sync(admin_client):
    integration, secret = shop("woocommerce")
    post_woocommerce(Client(), integration, secret, woocommerce_json(woocommerce_order()))
    Integration.objects.filter(pk=integration.pk).update(
        sync_last_run_at=timezone.now(), sync_last_outcome="created 3", sync_last_failed=True
    )

    page = _page(admin_client, integration)

    assert "WooCommerce → Settings → Advanced → Webhooks" in page
    assert "Order created" in page and "Order updated" in page and "WP REST API" in page
    assert "created 3" in page and "Failed" in page
    assert "No test notification has come yet." in page
    figures = _figures(admin_client, integration)
    assert (figures.waiting, figures.attention, figures.last_state) == (
        1,
        0,
        "Waiting to be processed",
    )


def test_the_integration_list_links_to_each_page(admin_client):
    integration, _secret = shop("shopify")

    page = admin_client.get(reverse("intake:integration_list")).content.decode()

    assert reverse("intake:integration", args=[integration.pk]) in page


def test_invoice_payment_methods_are_saved_one_per_line_and_audited(admin_client):
    integration, _secret = shop("woocommerce", sells_on_invoice=True)
    url = reverse("intake:integration_invoice_methods", args=[integration.pk])

    response = admin_client.post(
        url, {"invoice_payment_methods": " klarna_invoice \r\n\r\nLasku\nlasku\n"}
    )

    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.invoice_payment_methods == "klarna_invoice\nLasku"
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="intake.integration")
    assert event.changed_fields == ["invoice_payment_methods"]
    assert event.actor_user == response.wsgi_request.user


def test_a_shop_that_does_not_sell_on_invoice_gets_no_invoice_methods(admin_client):
    integration, _secret = shop("woocommerce")
    url = reverse("intake:integration_invoice_methods", args=[integration.pk])

    response = admin_client.post(url, {"invoice_payment_methods": "klarna_invoice"}, follow=True)

    assert "does not sell on invoice" in response.content.decode()
    integration.refresh_from_db()
    assert integration.invoice_payment_methods == ""
    assert not AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="intake.integration"
    ).exists()


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.MARKETING])
def test_other_roles_are_refused_and_nothing_changes(client_as, role):
    integration, _secret = shop("woocommerce", sells_on_invoice=True)
    client = client_as(role)

    page = client.get(reverse("intake:integration", args=[integration.pk]))
    saved = client.post(
        reverse("intake:integration_invoice_methods", args=[integration.pk]),
        {"invoice_payment_methods": "klarna_invoice"},
    )

    assert (page.status_code, saved.status_code) == (403, 403)
    integration.refresh_from_db()
    assert integration.invoice_payment_methods == ""
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 2
