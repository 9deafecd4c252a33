"""Migration 0008: a customer anonymised before customers had keys of their own gets a
key that is already destroyed, so nothing later makes a readable one for them."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from rekisteri.audit.models import Action, SubjectKey
from rekisteri.audit.services import Actor, audit_record
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer

migration = importlib.import_module("rekisteri.audit.migrations.0008_keys_of_erased_customers")

pytestmark = pytest.mark.django_db


def test_anonymised_customers_get_a_destroyed_key_and_later_text_stays_unreadable():
    erased = make_customer()
    active = make_customer()
    Customer.objects.filter(pk=erased.pk).update(
        status=Status.ANONYMISED, updated_at=timezone.now()
    )

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # run again: nothing doubled

    key = SubjectKey.objects.get(customer_id=erased.pk)
    assert (key.key_encrypted, key.destroyed_at is not None) == ("", True)
    assert not SubjectKey.objects.filter(customer_id=active.pk).exists()
    event = audit_record(
        actor=Actor.system("test"), action=Action.UPDATE, customer=erased, reason="Later note"
    )
    assert event.reason == ""
    assert personal_text_decrypt(event) is None
    assert SubjectKey.objects.filter(customer_id=erased.pk).count() == 1
