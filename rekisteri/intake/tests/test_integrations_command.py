"""`rekisteri integrations`: create (the credential printed once), list, revoke."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rekisteri.intake.models import Integration
from rekisteri.intake.services import integration_for_api_key, integration_secret

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
