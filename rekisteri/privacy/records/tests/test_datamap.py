"""The data map (docs/data-map.md): every stored field of Rekisteri's models is declared,
a new field that is not fails the tests, and what the map says erasure and the
customer's own copy do is what they really do."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone

from rekisteri import fi
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.models import ConsentEvent
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import order_confirmation_queue
from rekisteri.privacy.access.copy import subject_data
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.erasure.personal_terms import REDACTED
from rekisteri.privacy.models import RetentionCategory
from rekisteri.privacy.records.datamap import (
    DATA_MAP,
    Category,
    Entry,
    Erasure,
    Kind,
    Subject,
    categories_in_use,
    personal_fields,
    stale_declarations,
    undeclared_fields,
)
from rekisteri.privacy.retention import services as retention
from rekisteri.testing.everything import api_order, customer_with_everything, person

SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö sähköpostitse"


# The map covers the models -----------------------------------------------------------


def test_every_stored_field_of_every_model_is_declared():
    assert undeclared_fields() == [], (
        "Declare these fields in rekisteri/privacy/records/datamap.py (see docs/data-map.md): "
        "personal or not, and if personal, what erasure and the customer's copy do with them"
    )


def test_no_declaration_names_a_field_that_is_gone():
    assert stale_declarations() == []


def test_the_map_covers_every_app_of_the_project_and_no_other():
    ours = {
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("rekisteri.") and list(config.get_models())
    }

    assert {label.split(".")[0] for label in DATA_MAP} == ours
    assert {"customers", "orders", "privacy"} <= ours
    assert not any(label.startswith(("auth.", "sessions.", "axes.")) for label in DATA_MAP)


def _customer_model_copy(*, extra: dict[str, models.Field[Any, Any]], without: str = "") -> type:
    """A model named customers.Customer with the real one's fields, give or take one,
    registered only in the isolated registry the caller has made current."""
    attrs: dict[str, Any] = {}
    for field in Customer._meta.local_fields:
        if not field.primary_key and field.name != without:
            _name, _path, args, kwargs = field.deconstruct()
            attrs[field.name] = type(field)(*args, **kwargs)
    attrs.update(extra)
    attrs["__module__"] = __name__
    attrs["Meta"] = type("Meta", (), {"app_label": "customers"})
    return type("Customer", (models.Model,), attrs)


def test_a_field_added_to_a_model_is_caught_as_undeclared():
    with isolate_apps("rekisteri.customers") as registry:
        _customer_model_copy(extra={"loyalty_card_number": models.CharField(max_length=20)})

        assert registry is not None
        found = undeclared_fields(registry)

    assert found == ["customers.Customer.loyalty_card_number"]
    # The throwaway model never reached the project's own registry.
    assert apps.get_model("customers", "Customer") is Customer
    assert undeclared_fields() == []


def test_a_new_model_is_caught_field_by_field_and_other_apps_are_not_ours():
    with isolate_apps("rekisteri.orders", "django.contrib.sessions") as registry:
        type(
            "GiftCard",
            (models.Model,),
            {
                "__module__": __name__,
                "Meta": type("Meta", (), {"app_label": "orders"}),
                "holder_name": models.CharField(max_length=100),
                "balance": models.DecimalField(max_digits=8, decimal_places=2),
            },
        )
        type(
            "Visit",
            (models.Model,),
            {
                "__module__": __name__,
                "Meta": type("Meta", (), {"app_label": "sessions"}),
                "ip_address": models.GenericIPAddressField(),
            },
        )

        assert registry is not None
        found = undeclared_fields(registry)

    assert found == [
        "orders.GiftCard.balance",
        "orders.GiftCard.holder_name",
        "orders.GiftCard.id",
    ]


def test_a_field_removed_from_a_model_leaves_a_stale_declaration():
    with isolate_apps("rekisteri.customers") as registry:
        _customer_model_copy(extra={}, without="notes")

        assert registry is not None
        stale = stale_declarations(registry)

    assert "customers.Customer.notes" in stale
    assert "customers.Customer.surname" not in stale
    assert stale_declarations() == []


# The map's own rules -------------------------------------------------------------------


def test_a_personal_field_must_say_why_it_is_kept_or_not_exported():
    with pytest.raises(ValueError, match="ground"):
        Entry(
            Kind.PERSONAL,
            category=Category.CONTACT,
            subjects=(Subject.CUSTOMER,),
            erasure=Erasure.KEPT,
            exported=True,
        )
    with pytest.raises(ValueError, match="exported"):
        Entry(
            Kind.PERSONAL,
            category=Category.CONTACT,
            subjects=(Subject.CUSTOMER,),
            erasure=Erasure.ERASED,
        )
    with pytest.raises(ValueError, match="category"):
        Entry(Kind.NOT_PERSONAL, category=Category.CONTACT)


def test_the_categories_are_found_by_what_the_fields_hold():
    identity_code = personal_fields(Category.IDENTITY_CODE)

    assert [(field.model, field.field) for field in identity_code] == [
        ("customers.Customer", "identity_code_encrypted"),
        ("customers.Customer", "identity_code_index"),
    ]
    assert categories_in_use() == list(Category)
    assert {(field.model, field.field) for field in personal_fields(Category.STAFF_ACCOUNT)} >= {
        ("accounts.User", "username"),
        ("accounts.User", "email"),
        ("orders.Order", "created_by_label"),
    }
    assert all(field.entry.kind == Kind.PERSONAL for field in personal_fields())


# The map agrees with erasure -------------------------------------------------------------


def _fields(label: str, *treatments: Erasure) -> set[str]:
    return {
        name
        for name, entry in DATA_MAP[label].items()
        if entry.kind == Kind.PERSONAL and entry.erasure in treatments
    }


def test_what_the_map_says_is_erased_or_minimised_is_what_erasure_and_retention_name():
    # The audit event names the two identity code columns "identity_code", and the
    # status, which becomes "anonymised" (the record itself is kept). The search key
    # is made of the names and follows them.
    customer = _fields("customers.Customer", Erasure.ERASED) - {"name_key"}
    customer = {"identity_code" if "identity_code" in name else name for name in customer}

    assert customer == set(erasure.CUSTOMER_ERASED_FIELDS) - {"status"}
    assert _fields("customers.Customer", Erasure.MINIMISED) == set()
    assert _fields("orders.Order", Erasure.MINIMISED) == set(erasure.ORDER_MINIMISED_FIELDS)
    assert _fields("credit.CreditCheck", Erasure.MINIMISED) == set(retention.CREDIT_DETAILS)
    assert _fields("consents.ConsentEvent", Erasure.MINIMISED) == set(
        retention.RULES[RetentionCategory.CONSENT_EVIDENCE].changed_fields
    )
    assert _fields("intake.InboxDelivery", Erasure.ERASED) == set(erasure.DELIVERY_ERASED_FIELDS)
    assert set(retention.RULES[RetentionCategory.SHOP_DELIVERIES].changed_fields) == set(
        erasure.DELIVERY_PURGED_FIELDS
    )


# How to find a customer's rows of each model that holds any.
CUSTOMER_PATHS = {
    "customers.Customer": "pk",
    "audit.AuditEvent": "customer",
    "orders.Order": "customer",
    "orders.OrderLine": "order__customer",
    "orders.Delivery": "order__customer",
    "orders.Return": "order__customer",
    "orders.ReturnLine": "return_request__order__customer",
    "credit.CreditCheck": "order__customer",
    # Also by `customer` (a doubtful match): test_erasure_shop_deliveries.py has that.
    "intake.InboxDelivery": "order__customer",
    "consents.ConsentEvent": "customer",
    "marketing.CampaignMessage": "customer",
    "privacy.SubjectRequest": "customer",
    "privacy.Disclosure": "customer",
    "privacy.AccessDelivery": "subject_request__customer",
    "privacy.RequestNotice": "subject_request__customer",
    "privacy.LegalHold": "customer",
    "privacy.BreachSubject": "customer",
    "customers.HeldChange": "customer",
}
# What erasing changes on purpose although the map says the field is kept: the record's
# status ("anonymised") and its time of change.
CHANGED_ON_ERASURE = {
    ("customers.Customer", "status"),
    ("customers.Customer", "updated_at"),
    ("orders.Order", "updated_at"),
}
IMMUTABLE = {"audit.AuditEvent"}  # database triggers refuse UPDATE
# Erased by destroying their key (crypto-shredding): the ciphertext stays, unreadable.
SHREDDED = {("audit.AuditEvent", "personal_reason")}


@pytest.fixture
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


@pytest.fixture
def products(db):
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    Product.objects.create(
        sku="KIRJA-1", name="Varastokirja", unit_price=Decimal("24.00"), vat_rate=Decimal("14.0")
    )


def _stored_fields(label: str) -> Iterator[tuple[str, Entry, models.Field[Any, Any]]]:
    model = apps.get_model(label)
    for name, entry in DATA_MAP[label].items():
        if entry.kind == Kind.PERSONAL:
            field = model._meta.get_field(name)
            if isinstance(field, models.Field) and not field.many_to_many:
                yield name, entry, field


def _rows_of(customer: Customer) -> dict[tuple[str, int], dict[str, Any]]:
    """Every personal value of every row of the customer: {(model, pk): {field: value}}."""
    rows = {}
    for label, path in CUSTOMER_PATHS.items():
        names = [name for name, _entry, _field in _stored_fields(label)]
        queryset = apps.get_model(label).objects.filter(**{path: customer.pk})
        for pk, *values in queryset.values_list("pk", *names):
            rows[label, pk] = dict(zip(names, values, strict=True))
    return rows


def _mention_everywhere(customer: Customer, mention: str) -> None:
    """Adds a mention of the person to every free-form text field of the customer's
    rows that the fixture may have left without one, so that erasure has something to
    cut out or keep in each."""
    for label, path in CUSTOMER_PATHS.items():
        if label in IMMUTABLE or label == "customers.Customer":
            continue
        model = apps.get_model(label)
        for name, _entry, field in _stored_fields(label):
            if isinstance(field, models.GenericIPAddressField):
                model.objects.filter(**{path: customer.pk, f"{name}__isnull": True}).update(
                    **{name: "192.0.2.55"}
                )
            if not isinstance(field, models.CharField | models.TextField) or field.choices:
                continue
            for pk, value in model.objects.filter(**{path: customer.pk}).values_list("pk", name):
                text = f"{value} {mention}".strip()
                if field.max_length is None or len(text) <= field.max_length:
                    model.objects.filter(pk=pk).update(**{name: text})


def test_erasure_does_to_each_field_what_the_map_says(products, erasure_log):
    """Every field the map says is erased or minimised is cleared (or has the person cut
    out of it) for a customer with everything; every field it says is kept stays."""
    who = person()
    customer = customer_with_everything(who=who).customer
    api_order(who)
    _mention_everywhere(customer, who["surname"])
    before = _rows_of(customer)
    pseudonym = erasure.pseudonym(customer)
    cleared = {
        "",
        None,
        pseudonym,
        fi.name_key(pseudonym),
        erasure.order_recipient(customer.customer_number),
    }
    terms = [term.casefold() for term in who.values()]

    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    after = _rows_of(customer)
    # Every row is still there; the erasure's own audit event is new.
    assert before.keys() <= after.keys()
    exercised = set()
    for (label, pk), values in before.items():
        for name, entry, _field in _stored_fields(label):
            old, new = values[name], after[label, pk][name]
            if entry.erasure == Erasure.KEPT:
                if (label, name) not in CHANGED_ON_ERASURE:
                    assert new == old, f"{label}.{name} is declared kept but erasure changed it"
                continue
            if old not in cleared:
                exercised.add((label, name))
            if (label, name) in SHREDDED and old:
                shredded = AuditEvent(customer_id=customer.pk, **{name: new})
                assert (new, personal_text_decrypt(shredded)) == (old, None), f"{label}.{name}"
                continue
            assert new in cleared or REDACTED in new, f"{label}.{name}: {new!r}"
            assert not any(term in str(new).casefold() for term in terms), f"{label}.{name}"
    erasable = {
        (label, name)
        for label in CUSTOMER_PATHS
        for name, entry, _field in _stored_fields(label)
        if entry.erasure != Erasure.KEPT
    }
    assert erasable - exercised == set(), "the customer had no value in these to erase"


def test_every_model_with_fields_erasure_clears_says_how_to_find_a_customers_rows():
    with_erasable = {
        field.model for field in personal_fields() if field.entry.erasure != Erasure.KEPT
    }

    assert with_erasable - CUSTOMER_PATHS.keys() == set()


# The map agrees with the customer's own copy --------------------------------------------

# Where each model's rows are in `export.subject_data`, and the names the copy gives
# fields whose column is named otherwise.
COPY_SECTIONS = {
    "customers.Customer": ("customer",),
    "orders.Order": ("orders",),
    "orders.OrderLine": ("orders", "lines"),
    "orders.OrderConfirmation": ("order_confirmations",),
    "orders.Delivery": ("deliveries",),
    "orders.Return": ("returns",),
    "orders.ReturnLine": ("returns", "lines"),
    "credit.CreditCheck": ("credit_checks",),
    "consents.ConsentEvent": ("consent_events",),
    "marketing.CampaignMessage": ("campaign_messages",),
    "privacy.SubjectRequest": ("subject_requests",),
    "privacy.Disclosure": ("disclosures",),
    "privacy.LegalHold": ("legal_holds",),
    "privacy.BreachSubject": ("breach_notices",),
    "audit.AuditEvent": ("processing",),
    # Beside the consent event it is the evidence of.
    "imports.ImportedConsent": ("consent_events",),
}
COPY_NAMES = {
    ("customers.Customer", "identity_code_encrypted"): "identity_code",
    ("orders.Order", "external_id"): "web_shop_order_id",
    ("credit.CreditCheck", "default_count"): "payment_defaults",
    ("credit.CreditCheck", "override_decision"): "decision_after_review",
    ("credit.CreditCheck", "override_reason"): "review_reason",
    ("credit.CreditCheck", "overridden_at"): "reviewed_at",
    ("privacy.SubjectRequest", "requester_name"): "name_given",
    ("privacy.SubjectRequest", "requester_email"): "email_given",
    ("imports.ImportedConsent", "evidence"): "imported_evidence",
}


def _section(data: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [data]
    for key in path:
        found: list[dict[str, Any]] = []
        for row in rows:
            value = row[key]
            found += value if isinstance(value, list) else [value]
        rows = found
    return rows


def _affected_by_a_breach(customer: Customer) -> None:
    breach = breaches.breach_record(
        actor=Actor.system("test"),
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Asiakaslista lähti väärälle vastaanottajalle",
        description="Tilausraportti lähetettiin väärälle vastaanottajalle.",
        data_categories=["names"],
        people_affected=1,
        records_affected=1,
        likely_consequences="Tietojenkalastelu.",
        measures_taken="Vastaanottajaa pyydettiin poistamaan viesti.",
    )
    breaches.breach_subjects_add(
        actor=Actor.system("test"), breach=breach, customer_numbers=[customer.customer_number]
    )


def test_every_field_the_map_says_is_exported_is_in_the_customers_own_copy(products, erasure_log):
    who = person()
    everything = customer_with_everything(who=who)
    customer = everything.customer
    api_order(who)
    _affected_by_a_breach(customer)
    order_confirmation_queue(actor=Actor.system("test"), order=everything.invoice_order)

    data = subject_data(customer, include_identity_code=True, language="en")

    for label, path in COPY_SECTIONS.items():
        rows = _section(data, path)
        assert rows, f"the copy has no {'.'.join(path)} for a customer with everything"
        for name, entry in DATA_MAP[label].items():
            if entry.kind != Kind.PERSONAL:
                continue
            key = COPY_NAMES.get((label, name), name)
            if entry.exported:
                assert all(key in row for row in rows), f"{label}.{name} is not in the copy"
            else:
                assert not any(key in row for row in rows), f"{label}.{name} is in the copy now"
    assert data["customer"]["identity_code"] == who["identity_code"]
    assert data["customer"]["surname"] == who["surname"]


def test_every_model_with_an_exported_field_says_where_the_copy_has_it():
    exported = {field.model for field in personal_fields() if field.entry.exported}

    assert exported == COPY_SECTIONS.keys()


def test_the_copy_gives_the_orders_and_credit_checks_the_map_declares(products, erasure_log):
    customer = customer_with_everything(who=person()).customer

    data = subject_data(customer, include_identity_code=False, language="en")

    assert sorted(row["order_number"] for row in data["orders"]) == sorted(
        Order.objects.filter(customer=customer).values_list("order_number", flat=True)
    )
    check = CreditCheck.objects.get(order__customer=customer)
    assert data["credit_checks"][0]["provider_reference"] == check.provider_reference
    assert [row["ip_address"] for row in data["consent_events"]] == list(
        ConsentEvent.objects.filter(customer=customer).values_list("ip_address", flat=True)
    )
