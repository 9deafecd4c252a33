"""Integrations in the staff UI: administrators only; the key is shown once."""

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.intake.models import Integration
from rekisteri.intake.services import (
    integration_create,
    integration_for_api_key,
    integration_secret,
)

pytestmark = pytest.mark.django_db
OTHER_ROLES = [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.PRIVACY_OFFICER, Role.AUDITOR, None]


@pytest.fixture
def admin_client(client_as):
    return client_as(Role.ADMINISTRATOR)


def test_the_list_shows_each_integration(admin_client):
    integration_create(actor=Actor.system("test"), kind="shopify", name="Shopify-kauppa")

    response = admin_client.get(reverse("intake:integration_list"))

    assert response.status_code == 200
    assert "Shopify-kauppa" in response.content.decode()


def test_creating_shows_the_api_key_once_and_stores_only_its_digest(admin_client):
    response = admin_client.post(
        reverse("intake:integration_create"), {"kind": "generic", "name": "Oma kauppa"}
    )

    assert response.status_code == 200
    api_key = response.context["created"].api_key
    assert api_key.startswith("rk_") and api_key in response.content.decode()
    assert integration_for_api_key(api_key) == Integration.objects.get(name="Oma kauppa")
    assert api_key not in admin_client.get(reverse("intake:integration_list")).content.decode()
    assert AuditEvent.objects.get(action=Action.CREATE).object_type == "intake.integration"


def test_a_webhook_integration_gets_a_secret(admin_client):
    response = admin_client.post(
        reverse("intake:integration_create"),
        {"kind": "woocommerce", "name": "Woo", "shop_url": "https://kauppa.example.fi"},
    )

    assert response.context["created"].secret in response.content.decode()
    assert Integration.objects.get().shop_url == "https://kauppa.example.fi"


def test_a_duplicate_name_is_refused_with_its_field_error(admin_client):
    integration_create(actor=Actor.system("test"), kind="generic", name="Oma kauppa")

    response = admin_client.post(
        reverse("intake:integration_create"), {"kind": "generic", "name": "oma kauppa"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Integration.objects.count() == 1


def test_revoking_asks_first_and_then_stops_the_key(admin_client):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Oma kauppa")
    url = reverse("intake:integration_revoke", args=[created.integration.pk])

    confirm = admin_client.get(url)
    response = admin_client.post(url)

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert Integration.objects.get().revoked_at is not None
    assert integration_for_api_key(created.api_key) is None


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_create(client_as, role):
    response = client_as(role).post(
        reverse("intake:integration_create"), {"kind": "generic", "name": "Oma kauppa"}
    )

    assert response.status_code == 403
    assert not Integration.objects.exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_revoke(client_as, role):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Oma kauppa")

    response = client_as(role).post(
        reverse("intake:integration_revoke", args=[created.integration.pk])
    )

    assert response.status_code == 403
    assert Integration.objects.get().revoked_at is None
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_list(client_as, role):
    response = client_as(role).get(reverse("intake:integration_list"))

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_a_webhook_integration_shows_the_address_the_shop_sends_to(admin_client):
    response = admin_client.post(
        reverse("intake:integration_create"), {"kind": "shopify", "name": "Shopify-kauppa"}
    )

    integration = Integration.objects.get()
    expected = f"http://testserver/api/v1/webhooks/shopify/{integration.public_id}"
    assert expected in response.content.decode()


def test_the_shops_own_webhook_secret_replaces_ours(admin_client):
    created = integration_create(actor=Actor.system("test"), kind="shopify", name="Shopify")
    url = reverse("intake:integration_secret", args=[created.integration.pk])

    form = admin_client.get(url)
    response = admin_client.post(url, {"secret": "shpss_kaupan-oma-salaisuus"})

    created.integration.refresh_from_db()
    assert form.status_code == 200
    assert response.status_code == 302
    assert integration_secret(created.integration) == "shpss_kaupan-oma-salaisuus"
    assert "shpss_kaupan-oma-salaisuus" not in str(AuditEvent.objects.values())
    assert AuditEvent.objects.get(action=Action.UPDATE).changed_fields == ["secret"]


def test_an_empty_secret_is_refused_and_nothing_changes(admin_client):
    created = integration_create(actor=Actor.system("test"), kind="woocommerce", name="Woo")

    response = admin_client.post(
        reverse("intake:integration_secret", args=[created.integration.pk]), {"secret": "  "}
    )

    created.integration.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["secret"]
    assert integration_secret(created.integration) == created.secret
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_a_generic_integration_has_no_webhook_secret_page(admin_client):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Rajapinta")

    response = admin_client.get(reverse("intake:integration_secret", args=[created.integration.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_set_a_secret(client_as, role):
    created = integration_create(actor=Actor.system("test"), kind="shopify", name="Shopify")

    response = client_as(role).post(
        reverse("intake:integration_secret", args=[created.integration.pk]),
        {"secret": "shpss_vieras"},
    )

    created.integration.refresh_from_db()
    assert response.status_code == 403
    assert integration_secret(created.integration) == created.secret
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
