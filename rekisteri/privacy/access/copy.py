"""Everything the register holds about one customer: as a JSON-ready dict, and as the
ZIP of the customer's own copy (GDPR arts. 15 and 20): `index.html` to read, in the
customer's language (made by `page.py`), and `data.json` for machines.

Reads only; the services in `disclosures.py` audit and record every copy that leaves.
A category is one query (orders and their lines two, returns and theirs two, who
handled the data two when staff did), never one per order, so a copy of a thousand
orders costs the same sixteen or so queries as a copy of one."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.consents.models import ConsentEvent
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import Customer
from rekisteri.customers.selectors import customer_and_merged_ids
from rekisteri.customers.services import identity_code_decrypt
from rekisteri.languages import customer_language
from rekisteri.marketing.models import CampaignMessage
from rekisteri.orders.models import (
    Delivery,
    Order,
    OrderConfirmation,
    OrderLine,
    Return,
    ReturnLine,
)
from rekisteri.privacy.access.article15 import article15_information
from rekisteri.privacy.access.page import render_index
from rekisteri.privacy.models import (
    BreachNoticeStatus,
    BreachSubject,
    Disclosure,
    LegalHold,
    SubjectRequest,
)

FORMAT = "rekisteri.subject-data.v1"
ARCHIVE_FILES = ("index.html", "data.json")

Row = dict[str, Any]


class DataCategory(models.TextChoices):
    """What may be disclosed, in the units the disclosure register records."""

    CUSTOMER_DETAILS = "customer_details", _("Customer number, source, status and dates")
    NAME = "name", _("Name")
    ADDRESS = "address", _("Address")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    IDENTITY_CODE = "identity_code", _("Personal identity code")
    NOTES = "notes", _("Staff notes about the customer")
    ORDERS = "orders", _("Orders and their lines")
    ORDER_CONFIRMATIONS = "order_confirmations", _("Order confirmations sent")
    DELIVERIES = "deliveries", _("Deliveries")
    RETURNS = "returns", _("Returns")
    CREDIT_CHECKS = "credit_checks", _("Credit check decisions")
    CONSENTS = "consents", _("Consent ledger")
    CAMPAIGN_MESSAGES = "campaign_messages", _("Marketing messages sent")
    SUBJECT_REQUESTS = "subject_requests", _("Data subject requests")
    DISCLOSURES = "disclosures", _("Earlier disclosures")
    LEGAL_HOLDS = "legal_holds", _("Legal holds")
    BREACH_NOTICES = "breach_notices", _("Breaches that concerned the customer")
    PROCESSING = "processing", _("Who handled the data, when and for what purpose")


# The customer's own fields, by the category that discloses them.
CUSTOMER_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.CUSTOMER_DETAILS: (
        "customer_number",
        "public_id",
        "preferred_language",
        "source",
        "status",
        "created_at",
        "updated_at",
        "last_activity_at",
    ),
    DataCategory.NAME: ("surname", "first_names"),
    DataCategory.ADDRESS: ("street_address", "postal_code", "post_office", "country"),
    DataCategory.PHONE: ("phone",),
    DataCategory.EMAIL: ("email",),
    DataCategory.IDENTITY_CODE: ("identity_code",),
    DataCategory.NOTES: ("notes",),
}


def _own_records(customer: Customer) -> models.QuerySet[Customer, Any]:
    """The customer's record and those merged into it (as a subquery): their consent
    ledgers, audit events and the few rows a merge leaves on them are the person's."""
    return customer_and_merged_ids(customer.pk)


def _time(value: datetime.datetime | None) -> str | None:
    """ISO 8601 with the offset of Finnish time, to the second."""
    if value is None:
        return None
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _customer(customer: Customer, categories: Collection[str]) -> Row:
    # Read again: the caller's instance may be older than the row (an order moves the
    # last activity in the database only).
    customer = Customer.objects.get(pk=customer.pk)
    values: Row = {
        "customer_number": customer.customer_number,
        "public_id": str(customer.public_id),
        "preferred_language": customer.preferred_language,
        "source": customer.source,
        "status": customer.status,
        "created_at": _time(customer.created_at),
        "updated_at": _time(customer.updated_at),
        "last_activity_at": _time(customer.last_activity_at),
        "surname": customer.surname,
        "first_names": customer.first_names,
        "street_address": customer.street_address,
        "postal_code": customer.postal_code,
        "post_office": customer.post_office,
        "country": str(customer.country),
        "phone": customer.phone,
        "email": customer.email,
        "notes": customer.notes,
    }
    if DataCategory.IDENTITY_CODE in categories:
        values["identity_code"] = (
            identity_code_decrypt(crypto.keyring(), customer)
            if customer.identity_code_encrypted
            else None
        )
    wanted = [name for key, names in CUSTOMER_FIELDS.items() if key in categories for name in names]
    return {name: values[name] for name in wanted}


def _orders(customer: Customer) -> list[Row]:
    lines: dict[int, list[Row]] = defaultdict(list)
    for order_id, number, sku, name, unit_price, vat_rate, quantity, total in (
        OrderLine.objects.filter(order__customer_id=customer.pk)
        .order_by("order_id", "line_number")
        .values_list(
            "order_id",
            "line_number",
            "sku",
            "name",
            "unit_price",
            "vat_rate",
            "quantity",
            "line_total",
        )
    ):
        lines[order_id].append(
            {
                "line_number": number,
                "sku": sku,
                "name": name,
                "unit_price": _money(unit_price),
                "vat_rate": _money(vat_rate),
                "quantity": quantity,
                "line_total": _money(total),
            }
        )
    orders = (
        Order.objects.filter(customer_id=customer.pk)
        .order_by("order_number")
        .values_list(
            "id",
            "order_number",
            "placed_at",
            "channel",
            "external_id",
            "status",
            "payment_method",
            "delivery_name",
            "delivery_street_address",
            "delivery_postal_code",
            "delivery_post_office",
            "delivery_country",
            "total_gross",
            "total_vat",
            "currency",
            "notes",
            "created_at",
            "updated_at",
            "settled_at",
        )
    )
    return [
        {
            "order_number": row[1],
            "placed_at": _time(row[2]),
            "channel": row[3],
            "web_shop_order_id": row[4],
            "status": row[5],
            "payment_method": row[6],
            "delivery_name": row[7],
            "delivery_street_address": row[8],
            "delivery_postal_code": row[9],
            "delivery_post_office": row[10],
            "delivery_country": row[11],
            "total_gross": _money(row[12]),
            "total_vat": _money(row[13]),
            "currency": row[14],
            "notes": row[15],
            "created_at": _time(row[16]),
            "updated_at": _time(row[17]),
            "settled_at": _time(row[18]),
            "lines": lines.get(row[0], []),
        }
        for row in orders
    ]


def _order_confirmations(customer: Customer) -> list[Row]:
    """The confirmations of phone and email orders: when asked for and sent, by which
    channel and how it went. Not the address or number it went to: that is the
    customer's contact data (or the order's), given in their own categories."""
    rows = (
        OrderConfirmation.objects.filter(order__customer_id=customer.pk)
        .order_by("order__order_number", "requested_at", "id")
        .values_list("order__order_number", "requested_at", "sent_at", "channel", "status")
    )
    return [
        {
            "order_number": number,
            "requested_at": _time(requested_at),
            "sent_at": _time(sent_at),
            "channel": channel,
            "status": status,
        }
        for number, requested_at, sent_at, channel, status in rows
    ]


def _deliveries(customer: Customer) -> list[Row]:
    rows = (
        Delivery.objects.filter(order__customer_id=customer.pk)
        .order_by("order__order_number", "created_at", "id")
        .values_list(
            "order__order_number",
            "carrier",
            "tracking_code",
            "status",
            "created_at",
            "shipped_at",
            "delivered_at",
        )
    )
    return [
        {
            "order_number": number,
            "carrier": carrier,
            "tracking_code": tracking_code,
            "status": status,
            "created_at": _time(created_at),
            "shipped_at": _time(shipped_at),
            "delivered_at": _time(delivered_at),
        }
        for number, carrier, tracking_code, status, created_at, shipped_at, delivered_at in rows
    ]


def _returns(customer: Customer) -> list[Row]:
    lines: dict[int, list[Row]] = defaultdict(list)
    for return_id, line_number, sku, name, quantity in (
        ReturnLine.objects.filter(return_request__order__customer_id=customer.pk)
        .order_by("return_request_id", "order_line__line_number")
        .values_list(
            "return_request_id",
            "order_line__line_number",
            "order_line__sku",
            "order_line__name",
            "quantity",
        )
    ):
        lines[return_id].append(
            {"line_number": line_number, "sku": sku, "name": name, "quantity": quantity}
        )
    rows = (
        Return.objects.filter(order__customer_id=customer.pk)
        .order_by("order__order_number", "created_at", "id")
        .values_list("id", "order__order_number", "status", "reason", "refund_amount", "created_at")
    )
    return [
        {
            "order_number": number,
            "status": status,
            "reason": reason,
            "refund_amount": _money(refund),
            "created_at": _time(created_at),
            "lines": lines.get(return_id, []),
        }
        for return_id, number, status, reason, refund, created_at in rows
    ]


def _credit_checks(customer: Customer) -> list[Row]:
    rows = (
        CreditCheck.objects.filter(order__customer_id=customer.pk)
        .order_by("order__order_number")
        .values_list(
            "order__order_number",
            "checked_at",
            "provider",
            "is_simulated",
            "decision",
            "reason_code",
            "classification_code",
            "default_count",
            "provider_reference",
            "override_decision",
            "override_reason",
            "overridden_at",
        )
    )
    return [
        {
            "order_number": row[0],
            "checked_at": _time(row[1]),
            "provider": row[2],
            "is_simulated": row[3],
            "decision": row[4],
            "reason_code": row[5],
            "classification_code": row[6],
            "payment_defaults": row[7],
            "provider_reference": row[8],
            "decision_after_review": row[9],
            "review_reason": row[10],
            "reviewed_at": _time(row[11]),
            "effective_decision": row[9] or row[4],
        }
        for row in rows
    ]


def _consent_events(customer: Customer) -> list[Row]:
    rows = (
        ConsentEvent.objects.filter(customer_id__in=_own_records(customer))
        .order_by("id")
        .values_list(
            "occurred_at",
            "kind",
            "channel",
            "purpose",
            "source",
            "language",
            "text__version",
            "text__text_fi",
            "text__text_sv",
            "text__text_en",
            "ip_address",
            "user_agent",
            "order__order_number",
            "import_evidence__evidence",
            "import_evidence__customer_import__run_started_at",
        )
    )
    events = []
    for row in rows:
        wordings: dict[str, str] = {"fi": row[7], "sv": row[8], "en": row[9]}
        events.append(
            {
                "occurred_at": _time(row[0]),
                "kind": row[1],
                "channel": row[2],
                "purpose": row[3],
                "source": row[4],
                "language": row[5],
                "wording_version": row[6],
                # The words the customer was shown, in the language they were shown in.
                "wording": wordings.get(row[5], row[7]) if row[6] is not None else None,
                "ip_address": row[10],
                "user_agent": row[11],
                "order_number": row[12],
                # A consent that came with a customer list: the list's evidence of
                # where and when it was given (its day is `occurred_at`), and when the
                # list was imported (docs/import.md).
                "imported_evidence": row[13],
                "imported_at": _time(row[14]),
            }
        )
    return events


def _campaign_messages(customer: Customer) -> list[Row]:
    rows = (
        CampaignMessage.objects.filter(customer_id__in=_own_records(customer))
        .order_by("id")
        .values_list(
            "campaign__name",
            "campaign__channel",
            "campaign__subject",
            "status",
            "detail",
            "sent_at",
            "unsubscribed_at",
        )
    )
    return [
        {
            "campaign": name,
            "channel": channel,
            "subject": subject,
            "status": status,
            "detail": detail,
            "sent_at": _time(sent_at),
            "unsubscribed_at": _time(unsubscribed_at),
        }
        for name, channel, subject, status, detail, sent_at, unsubscribed_at in rows
    ]


def _subject_requests(customer: Customer) -> list[Row]:
    rows = (
        SubjectRequest.objects.filter(customer_id=customer.pk)
        .order_by("received_at", "id")
        .values_list(
            "public_id",
            "kind",
            "received_via",
            "received_at",
            "status",
            "requester_name",
            "requester_email",
            "details",
            "language",
            "verified_at",
            "verification_method",
            "verification_note",
            "due_on",
            "extended_to",
            "extension_reason",
            "closed_at",
            "outcome",
            "ip_address",
        )
    )
    return [
        {
            "id": str(row[0]),
            "kind": row[1],
            "received_via": row[2],
            "received_at": _time(row[3]),
            "status": row[4],
            "name_given": row[5],
            "email_given": row[6],
            "details": row[7],
            "language": row[8],
            "verified_at": _time(row[9]),
            "verification_method": row[10],
            "verification_note": row[11],
            "due_on": _date(row[12]),
            "extended_to": _date(row[13]),
            "extension_reason": row[14],
            "closed_at": _time(row[15]),
            "outcome": row[16],
            "ip_address": row[17],
        }
        for row in rows
    ]


def _disclosures(customer: Customer) -> list[Row]:
    rows = (
        Disclosure.objects.filter(customer_id=customer.pk)
        .order_by("disclosed_at", "id")
        .values_list(
            "disclosed_at",
            "recipient_kind",
            "recipient",
            "legal_ground",
            "reference",
            "categories",
            "subject_request__public_id",
        )
    )
    return [
        {
            "disclosed_at": _time(disclosed_at),
            "recipient_kind": kind,
            "recipient": recipient,
            "legal_ground": ground,
            "reference": reference,
            "categories": list(categories),
            "subject_request": str(request_id) if request_id else None,
        }
        for disclosed_at, kind, recipient, ground, reference, categories, request_id in rows
    ]


def _legal_holds(customer: Customer) -> list[Row]:
    rows = (
        LegalHold.objects.filter(customer_id=customer.pk)
        .order_by("placed_at", "id")
        .values_list("placed_at", "lifted_at", "reason")
    )
    return [
        {"placed_at": _time(placed_at), "lifted_at": _time(lifted_at), "reason": reason}
        for placed_at, lifted_at, reason in rows
    ]


def _breach_notices(customer: Customer) -> list[Row]:
    """The breaches recorded as concerning the customer, and the notice sent to them:
    its words only once it was sent (a draft may still change)."""
    rows = (
        BreachSubject.objects.filter(customer_id__in=_own_records(customer))
        .order_by("added_at", "id")
        .values_list(
            "added_at",
            "notice_status",
            "notified_at",
            "detail",
            "breach__notice_subject",
            "breach__notice_body",
        )
    )
    return [
        {
            "added_at": _time(added_at),
            "notice_status": status,
            "notified_at": _time(notified_at),
            "detail": detail,
            "notice_subject": subject if status == BreachNoticeStatus.SENT else None,
            "notice_body": body if status == BreachNoticeStatus.SENT else None,
        }
        for added_at, status, notified_at, detail, subject, body in rows
    ]


# The purpose of a read or write of the customer's data, by the part of the register
# it touched (the app of the record); actions that say it better on their own first.
PURPOSES_BY_ACTION = {
    Action.CREDIT_CHECK: "credit_decision",
    Action.CREDIT_OVERRIDE: "credit_decision",
    Action.EXPORT: "data_protection",
    Action.ERASE: "data_protection",
    Action.SEARCH: "finding_the_customer",
}
PURPOSES_BY_APP = {
    "customers": "customer_relationship",
    "orders": "orders_and_deliveries",
    "intake": "orders_and_deliveries",
    "credit": "credit_decision",
    "consents": "marketing_choices",
    "marketing": "marketing",
    "privacy": "data_protection",
    "imports": "customer_list_import",
}


# Who acts for the business; the customer (and an unknown visitor) act for themselves.
BUSINESS_ACTORS = (ActorType.STAFF, ActorType.SYSTEM, ActorType.INTEGRATION)


def handling_purpose(action: str, object_type: str) -> str:
    """Why the register was used, as a code the copy's page names (`page.PURPOSES`)."""
    if action in PURPOSES_BY_ACTION:
        return PURPOSES_BY_ACTION[Action(action)]
    return PURPOSES_BY_APP.get(object_type.partition(".")[0], "customer_relationship")


def _processing(customer: Customer) -> list[Row]:
    """Who handled the customer's data, from the audit trail: when, by which role of
    which business (or which integration, or the customer), what was done and for
    what purpose (CJEU C-579/21, Pankki S). Staff members are named by their roles,
    not by name; the reasons they typed and IP addresses are not given."""
    rows = list(
        AuditEvent.objects.filter(customer_id__in=_own_records(customer))
        .order_by("id")
        .values_list(
            "occurred_at",
            "actor_type",
            "actor_user_id",
            "actor_label",
            "action",
            "object_type",
            "changed_fields",
        )
    )
    staff = {user_id for _at, kind, user_id, *_rest in rows if kind == ActorType.STAFF and user_id}
    roles: dict[int, list[str]] = defaultdict(list)
    for user_id, name in (
        Group.objects.filter(user__in=staff, name__in=Role.values)
        .order_by("name")
        .values_list("user", "name")
    ):
        roles[user_id].append(name)
    handled = []
    for occurred_at, kind, user_id, label, action, object_type, changed_fields in rows:
        # An integration is the business's web shop or API client, named as staff
        # configured it ("integration:<name>"); a person is never named.
        integration = label.removeprefix("integration:") if kind == ActorType.INTEGRATION else ""
        handled.append(
            {
                "occurred_at": _time(occurred_at),
                "actor_type": kind,
                "roles": roles.get(user_id, []) if kind == ActorType.STAFF else [],
                "business": settings.BUSINESS_NAME if kind in BUSINESS_ACTORS else None,
                "integration": integration or None,
                "action": action,
                "object_type": object_type,
                "changed_fields": list(changed_fields),
                "purpose": handling_purpose(action, object_type),
            }
        )
    return handled


LIST_CATEGORIES: dict[str, tuple[str, Callable[[Customer], list[Row]]]] = {
    DataCategory.ORDERS: ("orders", _orders),
    DataCategory.ORDER_CONFIRMATIONS: ("order_confirmations", _order_confirmations),
    DataCategory.DELIVERIES: ("deliveries", _deliveries),
    DataCategory.RETURNS: ("returns", _returns),
    DataCategory.CREDIT_CHECKS: ("credit_checks", _credit_checks),
    DataCategory.CONSENTS: ("consent_events", _consent_events),
    DataCategory.CAMPAIGN_MESSAGES: ("campaign_messages", _campaign_messages),
    DataCategory.SUBJECT_REQUESTS: ("subject_requests", _subject_requests),
    DataCategory.DISCLOSURES: ("disclosures", _disclosures),
    DataCategory.LEGAL_HOLDS: ("legal_holds", _legal_holds),
    DataCategory.BREACH_NOTICES: ("breach_notices", _breach_notices),
    DataCategory.PROCESSING: ("processing", _processing),
}


def customer_data(
    customer: Customer,
    *,
    categories: Collection[str],
    on_section: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The customer's data in the given categories only (`DataCategory` values), JSON-ready.
    The identity code is decrypted only when its category is asked for. `on_section` is
    told each category gathered, in order (the progress of a prepared copy)."""
    unknown = set(categories) - set(DataCategory.values)
    if unknown:
        raise ValueError(f"unknown data categories: {sorted(unknown)}")
    data: dict[str, Any] = {}
    if any(category in CUSTOMER_FIELDS for category in categories):
        data["customer"] = _customer(customer, categories)
        if on_section is not None:
            for category in DataCategory.values:
                if category in CUSTOMER_FIELDS and category in categories:
                    on_section(category)
    for category, (key, build) in LIST_CATEGORIES.items():
        if category in categories:
            data[key] = build(customer)
            if on_section is not None:
                on_section(category)
    return data


def own_copy_categories(customer: Customer, *, include_identity_code: bool) -> list[str]:
    """The categories of a customer's own copy: all of them, the identity code when it is
    included and stored."""
    return [
        category
        for category in DataCategory.values
        if category != DataCategory.IDENTITY_CODE
        or (include_identity_code and customer.has_identity_code)
    ]


def archive_language(language: str) -> str:
    """The language of a copy: Finnish, Swedish or English, as a customer is written to
    (a regional code such as "sv-FI" counts as its language; anything else is Finnish)."""
    return customer_language(language)


def subject_data(
    customer: Customer,
    *,
    include_identity_code: bool,
    language: str = "",
    on_section: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every category of data held about `customer`, with the art. 15 information in
    `language` (default: the customer's), JSON-ready: times ISO 8601, money as strings."""
    language = archive_language(language or customer.preferred_language)
    categories = list(DataCategory.values)
    if not include_identity_code:
        categories.remove(DataCategory.IDENTITY_CODE)
    return {
        "format": FORMAT,
        "generated_at": _time(timezone.now()),
        "language": language,
        **customer_data(customer, categories=categories, on_section=on_section),
        "article_15": article15_information(language),
    }


def access_archive(
    *,
    customer: Customer,
    language: str,
    include_identity_code: bool,
    on_section: Callable[[str], None] | None = None,
) -> bytes:
    """The customer's own copy as a ZIP: `index.html` in `language` (fi, sv or en)
    and `data.json`. `on_section` as for `customer_data`."""
    language = archive_language(language)
    data = subject_data(
        customer,
        include_identity_code=include_identity_code,
        language=language,
        on_section=on_section,
    )
    html = render_index(data, language=language)
    generated = datetime.datetime.fromisoformat(data["generated_at"])
    stamp = (generated.year, generated.month, generated.day, generated.hour, generated.minute, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in zip(
            ARCHIVE_FILES,
            # Compact: indenting takes json's pure-Python encoder, several times slower.
            (html, json.dumps(data, ensure_ascii=False, separators=(",", ":"))),
            strict=True,
        ):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()


def archive_filename(customer: Customer) -> str:
    return f"data-{customer.customer_number}-{timezone.localdate():%Y%m%d}.zip"
