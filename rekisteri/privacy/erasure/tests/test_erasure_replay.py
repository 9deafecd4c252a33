"""The erasure log: a file of opaque ids that a restored backup cannot roll back, and
its replay, which erases again anyone a restore brought back."""

from __future__ import annotations

import datetime
import io
import json
import logging
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Status
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.models import ErasureLogEntry
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö puhelimitse"
PERSONAL_FIELDS = (
    "surname",
    "first_names",
    "street_address",
    "postal_code",
    "post_office",
    "phone",
    "email",
    "notes",
    "identity_code_encrypted",
    "identity_code_index",
    "name_key",
    "status",
)


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    return settings.REKISTERI_ERASURE_LOG


def erased_customer_with_backup():
    """An erased customer, and their rows as a backup taken before the erasure holds them."""
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    customer = make_customer(with_identity_code=True, notes="Soittaa iltaisin")
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    backup = {name: getattr(customer, name) for name in PERSONAL_FIELDS}
    order_backup = {
        "delivery_name": order.delivery_name,
        "delivery_street_address": order.delivery_street_address,
    }
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    return customer, backup, order_backup


def restore(customer, backup, order_backup):
    """What restoring the earlier backup does to this customer: their data is back, and
    the erasure log table no longer lists them (the audit table is left alone)."""
    Customer.objects.filter(pk=customer.pk).update(**backup)
    Order.objects.filter(customer=customer).update(**order_backup)
    ErasureLogEntry.objects.all().delete()


def test_replay_after_a_restore_erases_the_customer_again(erasure_log):
    customer, backup, order_backup = erased_customer_with_backup()
    logged = json.loads(erasure_log.read_text())
    restore(customer, backup, order_backup)
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE
    out = io.StringIO()

    call_command("erasures", "replay", stdout=out)

    assert out.getvalue() == f"Erasure log {erasure_log} replayed: 1 erased again.\n"
    again = Customer.objects.get(pk=customer.pk)
    assert (again.status, again.surname, again.email, again.identity_code_encrypted) == (
        Status.ANONYMISED,
        f"Poistettu asiakas {customer.customer_number}",
        "",
        "",
    )
    order = Order.objects.get(customer=customer)
    assert (order.delivery_name, order.delivery_street_address) == (
        f"Asiakas {customer.customer_number}",
        "",
    )
    entry = ErasureLogEntry.objects.get()
    assert entry.customer_public_id == customer.public_id
    assert entry.erased_at == datetime.datetime.fromisoformat(logged["erased_at"])
    event = AuditEvent.objects.filter(action=Action.ERASE).order_by("-id")[0]
    assert (event.customer_id, event.actor_label, event.reason) == (
        customer.pk,
        "erasures replay",
        "erasure log replay",
    )
    assert len(erasure_log.read_text().splitlines()) == 1


def test_replay_with_nothing_brought_back_changes_nothing(erasure_log):
    erased_customer_with_backup()
    audit_before = AuditEvent.objects.count()
    file_before = erasure_log.read_text()

    erased = erasure.erasure_log_replay(actor=SYSTEM)

    assert erased == 0
    assert AuditEvent.objects.count() == audit_before
    assert erasure_log.read_text() == file_before


def test_replay_writes_back_to_the_file_what_only_the_table_lists(erasure_log):
    customer, _backup, _order_backup = erased_customer_with_backup()
    entry = ErasureLogEntry.objects.get()
    erasure_log.unlink()

    erased = erasure.erasure_log_replay(actor=SYSTEM)

    assert erased == 0
    lines = [json.loads(line) for line in erasure_log.read_text().splitlines()]
    assert lines == [
        {"customer": str(customer.public_id), "erased_at": entry.erased_at.isoformat()}
    ]


def test_an_unreadable_line_is_skipped_and_the_rest_replayed(erasure_log, caplog):
    customer, backup, order_backup = erased_customer_with_backup()
    restore(customer, backup, order_backup)
    with erasure_log.open("a") as handle:
        handle.write('{"customer": "not-a-uuid"\n')
    unknown = uuid.uuid4()
    with erasure_log.open("a") as handle:
        handle.write(
            json.dumps({"customer": str(unknown), "erased_at": "2026-01-02T03:04:05+00:00"})
        )
        handle.write("\n")

    with caplog.at_level(logging.WARNING, logger="rekisteri.privacy.erasure.services"):
        erased = erasure.erasure_log_replay(actor=SYSTEM)

    assert erased == 1
    assert [record.getMessage() for record in caplog.records] == [
        "erasure log line 2 is unreadable and was skipped"
    ]
    assert set(ErasureLogEntry.objects.values_list("customer_public_id", flat=True)) == {
        customer.public_id,
        unknown,
    }


def test_the_file_holds_opaque_ids_only(erasure_log):
    customer, backup, _order_backup = erased_customer_with_backup()

    text = erasure_log.read_text()

    assert set(json.loads(text)) == {"customer", "erased_at"}
    for value in backup.values():
        if isinstance(value, str) and len(value) > 3 and value != Status.ACTIVE:
            assert value.casefold() not in text.casefold()
    assert json.loads(text)["customer"] == str(customer.public_id)
