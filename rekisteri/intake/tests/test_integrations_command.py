"""`rekisteri integrations`: create (the credential printed once), list, revoke."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.intake.models import Integration
from rekisteri.intake.services import (
    integration_create,
    integration_for_api_key,
    integration_secret,
)

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("integrations", *args, stdout=out)
    return out.getvalue()


def test_create_generic_prints_one_json_object_with_the_api_key():
    data = json.loads(run("create", "--kind", "generic", "--name", "Oma kauppa", "--json"))

    integration = Integration.objects.get()
    assert set(data) == {"id", "api_key"}
    assert data["id"] == str(integration.public_id)
    assert integration_for_api_key(data["api_key"]) == integration


def test_create_woocommerce_prints_the_webhook_secret():
    data = json.loads(
        run(
            "create",
            "--kind",
            "woocommerce",
            "--name",
            "Woo",
            "--shop-url",
            "https://kauppa.example.fi",
            "--json",
        )
    )

    integration = Integration.objects.get()
    assert set(data) == {"id", "secret"}
    assert integration_secret(integration) == data["secret"]
    assert integration.shop_url == "https://kauppa.example.fi"


def test_list_and_revoke():
    created = json.loads(run("create", "--kind", "shopify", "--name", "Shopify", "--json"))

    listed = run("list")
    revoked = run("revoke", created["id"])

    assert created["id"] in listed and "active" in listed
    assert "Revoked" in revoked
    assert Integration.objects.get().revoked_at is not None
    assert "revoked" in run("list")


def test_a_duplicate_name_is_an_error():
    run("create", "--kind", "generic", "--name", "Oma kauppa")

    with pytest.raises(CommandError):
        run("create", "--kind", "generic", "--name", "Oma kauppa")
    assert Integration.objects.count() == 1


def test_revoking_an_unknown_id_is_an_error():
    with pytest.raises(CommandError):
        run("revoke", "not-an-id")


def test_set_secret_takes_the_shops_own_secret_from_the_environment(monkeypatch):
    """Shopify chooses its signing secret; the administrator hands it over off the
    command line, and the webhook then checks signatures with it."""
    created = integration_create(actor=Actor.system("test"), kind="shopify", name="Shopify-kauppa")
    monkeypatch.setenv("REKISTERI_SHOP_SECRET", "shpss_kaupan-oma-salaisuus")

    call_command("integrations", "set-secret", str(created.integration.public_id))

    created.integration.refresh_from_db()
    assert integration_secret(created.integration) == "shpss_kaupan-oma-salaisuus"
    event = AuditEvent.objects.filter(action=Action.UPDATE).get()
    assert event.changed_fields == ["secret"]


def test_set_secret_refuses_a_generic_integration(monkeypatch):
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Rajapinta")
    monkeypatch.setenv("REKISTERI_SHOP_SECRET", "whatever-secret")

    with pytest.raises(CommandError, match="Only an active WooCommerce or Shopify"):
        call_command("integrations", "set-secret", str(created.integration.pk))

    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()
