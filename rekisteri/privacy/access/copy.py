"""Everything the register holds about one customer: as a JSON-ready dict, and as the
ZIP of the customer's own copy (GDPR arts. 15 and 20): `index.html` to read, in the
customer's language, and `data.json` for machines.

Reads only; the services in `disclosures.py` audit and record every copy that leaves.
A category is one query (orders and their lines two, returns and theirs two), never
one per order, so a copy of a thousand orders costs eleven queries."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri import crypto
from rekisteri.consents.models import Channel as ConsentChannel
from rekisteri.consents.models import ConsentEvent, EventKind, Purpose
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.credit.models import CreditCheck, Decision
from rekisteri.customers.models import Customer, Language, Source, Status
from rekisteri.customers.services import identity_code_decrypt
from rekisteri.marketing.models import CampaignChannel, CampaignMessage, MessageStatus
from rekisteri.orders.models import (
    Carrier,
    Channel,
    Delivery,
    DeliveryStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Return,
    ReturnLine,
    ReturnStatus,
)
from rekisteri.privacy.access.article15 import article15_information
from rekisteri.privacy.models import Disclosure, SubjectRequest

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
    DELIVERIES = "deliveries", _("Deliveries")
    RETURNS = "returns", _("Returns")
    CREDIT_CHECKS = "credit_checks", _("Credit check decisions")
    CONSENTS = "consents", _("Consent ledger")
    CAMPAIGN_MESSAGES = "campaign_messages", _("Marketing messages sent")
    SUBJECT_REQUESTS = "subject_requests", _("Data subject requests")
    DISCLOSURES = "disclosures", _("Earlier disclosures")


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
            "lines": lines.get(row[0], []),
        }
        for row in orders
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
        ConsentEvent.objects.filter(customer_id=customer.pk)
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
            }
        )
    return events


def _campaign_messages(customer: Customer) -> list[Row]:
    rows = (
        CampaignMessage.objects.filter(customer_id=customer.pk)
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


LIST_CATEGORIES: dict[str, tuple[str, Callable[[Customer], list[Row]]]] = {
    DataCategory.ORDERS: ("orders", _orders),
    DataCategory.DELIVERIES: ("deliveries", _deliveries),
    DataCategory.RETURNS: ("returns", _returns),
    DataCategory.CREDIT_CHECKS: ("credit_checks", _credit_checks),
    DataCategory.CONSENTS: ("consent_events", _consent_events),
    DataCategory.CAMPAIGN_MESSAGES: ("campaign_messages", _campaign_messages),
    DataCategory.SUBJECT_REQUESTS: ("subject_requests", _subject_requests),
    DataCategory.DISCLOSURES: ("disclosures", _disclosures),
}


def customer_data(customer: Customer, *, categories: Collection[str]) -> dict[str, Any]:
    """The customer's data in the given categories only (`DataCategory` values), JSON-ready.
    The identity code is decrypted only when its category is asked for."""
    unknown = set(categories) - set(DataCategory.values)
    if unknown:
        raise ValueError(f"unknown data categories: {sorted(unknown)}")
    data: dict[str, Any] = {}
    if any(category in CUSTOMER_FIELDS for category in categories):
        data["customer"] = _customer(customer, categories)
    for category, (key, build) in LIST_CATEGORIES.items():
        if category in categories:
            data[key] = build(customer)
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
    """The language of a copy: English for English speakers, else Finnish (Swedish
    falls back to Finnish until the copy has a Swedish text)."""
    return "en" if language == Language.ENGLISH else "fi"


def subject_data(
    customer: Customer, *, include_identity_code: bool, language: str = ""
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
        **customer_data(customer, categories=categories),
        "article_15": article15_information(language),
    }


def access_archive(*, customer: Customer, language: str, include_identity_code: bool) -> bytes:
    """The customer's own copy as a ZIP: `index.html` in `language` (fi, or en for
    English speakers; sv gets fi) and `data.json`."""
    language = archive_language(language)
    data = subject_data(customer, include_identity_code=include_identity_code, language=language)
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


# ---- index.html --------------------------------------------------------------------
# The copy's own words, in both of its languages. Other apps' choices come from the
# message catalogue (`gettext` under the copy's language); these are the privacy app's
# and the copy's headings, kept here so that a Finnish copy is Finnish throughout.

TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "title": "Omat tietosi",
        "intro": (
            "Tämä on kopio henkilötiedoista, jotka {business} on tallentanut sinusta, "
            "{time} tilanteen mukaan. Samat tiedot ovat koneluettavassa muodossa "
            "tiedostossa data.json."
        ),
        "none": "Ei tietoja.",
        "contact": "Yhteystiedot",
        "customer_number": "Asiakasnumero",
        "name": "Nimi",
        "address": "Osoite",
        "phone": "Puhelin",
        "email": "Sähköposti",
        "language": "Asiointikieli",
        "identity_code": "Henkilötunnus",
        "source": "Asiakassuhde alkoi",
        "status": "Tila",
        "created_at": "Asiakkaaksi",
        "last_activity_at": "Viimeisin toiminta",
        "notes": "Muistiinpanot",
        "orders": "Tilaukset",
        "order": "Tilaus",
        "placed_at": "Tilattu",
        "channel": "Tilaustapa",
        "payment_method": "Maksutapa",
        "products": "Tuotteet",
        "total": "Summa (sis. alv)",
        "delivery_address": "Toimitusosoite",
        "deliveries": "Toimitukset",
        "carrier": "Kuljetusyhtiö",
        "tracking_code": "Seurantakoodi",
        "shipped_at": "Lähetetty",
        "delivered_at": "Toimitettu",
        "returns": "Palautukset",
        "requested_at": "Pyydetty",
        "reason": "Syy",
        "returned": "Palautetut tuotteet",
        "refund": "Hyvitys",
        "credit_checks": "Luottopäätökset",
        "checked_at": "Tarkistettu",
        "provider": "Luottotietoyhtiö",
        "decision": "Päätös",
        "payment_defaults": "Maksuhäiriöt",
        "review": "Ihmisen tarkastelu",
        "consent_events": "Markkinointiluvat ja -kiellot",
        "occurred_at": "Aika",
        "event": "Tapahtuma",
        "consent_channel": "Kanava",
        "consent_source": "Missä",
        "wording": "Näytetty sanamuoto",
        "all_channels": "Kaikki kanavat",
        "campaign_messages": "Sinulle lähetetyt markkinointiviestit",
        "campaign": "Kampanja",
        "message_channel": "Kanava",
        "subject": "Aihe",
        "sent_at": "Lähetetty",
        "unsubscribed_at": "Peruttu",
        "subject_requests": "Tietosuojapyyntösi",
        "received_at": "Vastaanotettu",
        "request": "Pyyntö",
        "closed_at": "Käsitelty",
        "outcome": "Lopputulos",
        "disclosures": "Tietojesi luovutukset",
        "disclosed_at": "Aika",
        "recipient": "Vastaanottaja",
        "legal_ground": "Peruste",
        "reference": "Viite",
        "disclosed": "Luovutetut tiedot",
        "information": "Tietoa käsittelystä",
        "yes": "kyllä",
        "simulated": "simuloitu",
        "not_asked": "Ei kysytty",
    },
    "en": {
        "title": "Your data",
        "intro": (
            "This is a copy of the personal data {business} holds about you, as of {time}. "
            "The same data is in machine-readable form in the file data.json."
        ),
        "none": "None.",
        "contact": "Contact data",
        "customer_number": "Customer number",
        "name": "Name",
        "address": "Address",
        "phone": "Phone",
        "email": "Email",
        "language": "Language",
        "identity_code": "Personal identity code",
        "source": "Customer relationship started through",
        "status": "Status",
        "created_at": "Customer since",
        "last_activity_at": "Last activity",
        "notes": "Notes",
        "orders": "Orders",
        "order": "Order",
        "placed_at": "Placed",
        "channel": "Ordered by",
        "payment_method": "Payment method",
        "products": "Products",
        "total": "Total (VAT included)",
        "delivery_address": "Delivery address",
        "deliveries": "Deliveries",
        "carrier": "Carrier",
        "tracking_code": "Tracking code",
        "shipped_at": "Shipped",
        "delivered_at": "Delivered",
        "returns": "Returns",
        "requested_at": "Requested",
        "reason": "Reason",
        "returned": "Products returned",
        "refund": "Refund",
        "credit_checks": "Credit decisions",
        "checked_at": "Checked",
        "provider": "Credit bureau",
        "decision": "Decision",
        "payment_defaults": "Payment defaults",
        "review": "Review by a person",
        "consent_events": "Marketing consents and bans",
        "occurred_at": "Time",
        "event": "Event",
        "consent_channel": "Channel",
        "consent_source": "Where",
        "wording": "Wording shown",
        "all_channels": "All channels",
        "campaign_messages": "Marketing messages sent to you",
        "campaign": "Campaign",
        "message_channel": "Channel",
        "subject": "Subject",
        "sent_at": "Sent",
        "unsubscribed_at": "Unsubscribed",
        "subject_requests": "Your data protection requests",
        "received_at": "Received",
        "request": "Request",
        "closed_at": "Closed",
        "outcome": "Outcome",
        "disclosures": "Disclosures of your data",
        "disclosed_at": "Time",
        "recipient": "Recipient",
        "legal_ground": "Legal ground",
        "reference": "Reference",
        "disclosed": "Data disclosed",
        "information": "About the processing",
        "yes": "yes",
        "simulated": "simulated",
        "not_asked": "Not asked",
    },
}

PRIVACY_LABELS: dict[str, dict[str, str]] = {
    "fi": {
        # RequestKind
        "access": "Pääsy omiin tietoihin (15 art.)",
        "rectification": "Tietojen oikaisu (16 art.)",
        "erasure": "Tietojen poistaminen (17 art.)",
        "restriction": "Käsittelyn rajoittaminen (18 art.)",
        "objection": "Suoramarkkinoinnin vastustaminen (21 art.)",
        "portability": "Tietojen siirtäminen (20 art.)",
        # RequestStatus
        "awaiting": "Odottaa henkilöllisyyden varmistamista",
        "open": "Käsittelyssä",
        "completed": "Valmis",
        "refused": "Hylätty",
        # RecipientKind
        "authority": "Viranomainen",
        "data_subject": "Sinä itse",
        "other": "Muu",
        # DataCategory
        "customer_details": "Asiakasnumero, lähde, tila ja päivämäärät",
        "name": "Nimi",
        "address": "Osoite",
        "phone": "Puhelin",
        "email": "Sähköposti",
        "identity_code": "Henkilötunnus",
        "notes": "Henkilökunnan muistiinpanot",
        "orders": "Tilaukset ja tilausrivit",
        "deliveries": "Toimitukset",
        "returns": "Palautukset",
        "credit_checks": "Luottopäätökset",
        "consents": "Markkinointiluvat ja -kiellot",
        "campaign_messages": "Lähetetyt markkinointiviestit",
        "subject_requests": "Tietosuojapyynnöt",
        "disclosures": "Aiemmat luovutukset",
    },
    "en": {
        "access": "Access to own data (art. 15)",
        "rectification": "Rectification (art. 16)",
        "erasure": "Erasure (art. 17)",
        "restriction": "Restriction of processing (art. 18)",
        "objection": "Objection to direct marketing (art. 21)",
        "portability": "Data portability (art. 20)",
        "awaiting": "Awaiting identity verification",
        "open": "Open",
        "completed": "Completed",
        "refused": "Refused",
        "authority": "An authority",
        "data_subject": "You",
        "other": "Other",
        "customer_details": "Customer number, source, status and dates",
        "name": "Name",
        "address": "Address",
        "phone": "Phone",
        "email": "Email",
        "identity_code": "Personal identity code",
        "notes": "Staff notes",
        "orders": "Orders and their lines",
        "deliveries": "Deliveries",
        "returns": "Returns",
        "credit_checks": "Credit decisions",
        "consents": "Marketing consents and bans",
        "campaign_messages": "Marketing messages sent",
        "subject_requests": "Data protection requests",
        "disclosures": "Earlier disclosures",
    },
}

CREDIT_REASONS = {
    "no_payment_defaults": _("No payment defaults recorded"),
    "payment_defaults": _("Payment defaults recorded"),
    "over_limit": _("The order total is over the largest total allowed on invoice"),
    "unknown_person": _("The credit bureau does not know the person"),
    "invalid_identity_code": _("The credit bureau found the identity code invalid"),
    "timeout": _("The credit bureau did not answer in time"),
    "error": _("The credit bureau could not answer"),
}

PROVIDERS = {"asiakastieto": "Suomen Asiakastieto Oy"}

CATALOGUE_CHOICES: tuple[type[models.TextChoices], ...] = (
    Source,
    Status,
    Language,
    Channel,
    OrderStatus,
    PaymentMethod,
    Carrier,
    DeliveryStatus,
    ReturnStatus,
    Decision,
    EventKind,
    ConsentChannel,
    ConsentSource,
    Purpose,
    CampaignChannel,
    MessageStatus,
)


class _Display:
    """Values of the JSON made readable in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.texts = TEXTS[language]
        self.privacy = PRIVACY_LABELS[language]
        with translation.override(language):
            self.choices = {
                choices: {value: str(label) for value, label in choices.choices}
                for choices in CATALOGUE_CHOICES
            }
            self.reasons = {code: str(text) for code, text in CREDIT_REASONS.items()}
            self.countries = dict(countries)

    def label(self, choices: type[models.TextChoices], value: str | None) -> str:
        return self.choices[choices].get(value or "", value or "")

    def time(self, value: str | None) -> str:
        if not value:
            return ""
        moment = datetime.datetime.fromisoformat(value)
        if self.language == "fi":
            return f"{moment.day}.{moment.month}.{moment.year} klo {moment:%H.%M}"
        return f"{moment:%Y-%m-%d %H:%M}"

    def date(self, value: str | None) -> str:
        if not value:
            return ""
        moment = datetime.datetime.fromisoformat(value)
        if self.language == "fi":
            return f"{moment.day}.{moment.month}.{moment.year}"
        return f"{moment:%Y-%m-%d}"

    def money(self, value: str | None) -> str:
        if value is None:
            return ""
        if self.language == "fi":
            return f"{value.replace('.', ',')} €"
        return f"€{value}"

    def country(self, code: str) -> str:
        return str(self.countries.get(code, code))

    def provider(self, name: str) -> str:
        if name == "policy":  # decided by the invoice limit alone
            return self.texts["not_asked"]
        return PROVIDERS.get(name, name)

    def reason(self, code: str) -> str:
        if code.startswith("error:"):
            return f"{self.reasons['error']} ({code.removeprefix('error:')})"
        return self.reasons.get(code, code)


def _table(title: str, headers: Iterable[str], rows: list[list[str]]) -> dict[str, Any]:
    return {"title": title, "headers": list(headers), "rows": rows}


def _contact(data: dict[str, Any], show: _Display) -> list[tuple[str, str]]:
    customer = data["customer"]
    t = show.texts
    address = " ".join(
        part
        for part in (
            customer["street_address"] + ",",
            customer["postal_code"],
            customer["post_office"] + ",",
            show.country(customer["country"]),
        )
        if part.strip(",")
    ).strip(",")
    items = [
        (t["customer_number"], str(customer["customer_number"])),
        (t["name"], f"{customer['first_names']} {customer['surname']}"),
        (t["address"], address),
        (t["phone"], customer["phone"]),
        (t["email"], customer["email"]),
        (t["language"], show.label(Language, customer["preferred_language"])),
    ]
    if "identity_code" in customer:
        items.append((t["identity_code"], customer["identity_code"] or t["none"]))
    items += [
        (t["source"], show.label(Source, customer["source"])),
        (t["status"], show.label(Status, customer["status"])),
        (t["created_at"], show.date(customer["created_at"])),
        (t["last_activity_at"], show.date(customer["last_activity_at"])),
    ]
    if customer["notes"]:
        items.append((t["notes"], customer["notes"]))
    return items


def _tables(data: dict[str, Any], show: _Display) -> list[dict[str, Any]]:
    t, privacy = show.texts, show.privacy
    orders = [
        [
            str(o["order_number"]),
            show.time(o["placed_at"]),
            show.label(Channel, o["channel"]),
            show.label(OrderStatus, o["status"]),
            show.label(PaymentMethod, o["payment_method"]),
            "; ".join(
                f"{line['quantity']} × {line['name']} ({show.money(line['unit_price'])})"
                for line in o["lines"]
            ),
            show.money(o["total_gross"]),
            ", ".join(
                part
                for part in (
                    o["delivery_name"],
                    o["delivery_street_address"],
                    f"{o['delivery_postal_code']} {o['delivery_post_office']}".strip(),
                )
                if part
            ),
        ]
        for o in data["orders"]
    ]
    deliveries = [
        [
            str(d["order_number"]),
            show.label(Carrier, d["carrier"]),
            d["tracking_code"],
            show.label(DeliveryStatus, d["status"]),
            show.time(d["shipped_at"]),
            show.time(d["delivered_at"]),
        ]
        for d in data["deliveries"]
    ]
    returns = [
        [
            str(r["order_number"]),
            show.time(r["created_at"]),
            show.label(ReturnStatus, r["status"]),
            r["reason"],
            "; ".join(f"{line['quantity']} × {line['name']}" for line in r["lines"]),
            show.money(r["refund_amount"]),
        ]
        for r in data["returns"]
    ]
    credit_checks = [
        [
            str(c["order_number"]),
            show.time(c["checked_at"]),
            show.provider(c["provider"]) + (f" ({t['simulated']})" if c["is_simulated"] else ""),
            show.label(Decision, c["decision"]),
            show.reason(c["reason_code"]),
            "" if c["payment_defaults"] is None else str(c["payment_defaults"]),
            (
                f"{show.label(Decision, c['decision_after_review'])}: {c['review_reason']} "
                f"({show.time(c['reviewed_at'])})"
                if c["decision_after_review"]
                else ""
            ),
        ]
        for c in data["credit_checks"]
    ]
    consents = [
        [
            show.time(e["occurred_at"]),
            show.label(EventKind, e["kind"]),
            show.label(ConsentChannel, e["channel"]) if e["channel"] else t["all_channels"],
            show.label(ConsentSource, e["source"]),
            e["wording"] or "",
        ]
        for e in data["consent_events"]
    ]
    messages = [
        [
            m["campaign"],
            show.label(CampaignChannel, m["channel"]),
            m["subject"],
            show.label(MessageStatus, m["status"]),
            show.time(m["sent_at"]),
            show.time(m["unsubscribed_at"]),
        ]
        for m in data["campaign_messages"]
    ]
    requests = [
        [
            show.time(r["received_at"]),
            privacy.get(r["kind"], r["kind"]),
            privacy.get(r["status"], r["status"]),
            show.time(r["closed_at"]),
            r["outcome"],
        ]
        for r in data["subject_requests"]
    ]
    disclosures = [
        [
            show.time(d["disclosed_at"]),
            f"{privacy.get(d['recipient_kind'], d['recipient_kind'])}: {d['recipient']}",
            d["legal_ground"],
            d["reference"],
            ", ".join(privacy.get(c, c) for c in d["categories"]),
        ]
        for d in data["disclosures"]
    ]
    return [
        _table(t["orders"], (t[k] for k in ORDER_COLUMNS), orders),
        _table(t["deliveries"], (t[k] for k in DELIVERY_COLUMNS), deliveries),
        _table(t["returns"], (t[k] for k in RETURN_COLUMNS), returns),
        _table(t["credit_checks"], (t[k] for k in CREDIT_COLUMNS), credit_checks),
        _table(t["consent_events"], (t[k] for k in CONSENT_COLUMNS), consents),
        _table(t["campaign_messages"], (t[k] for k in MESSAGE_COLUMNS), messages),
        _table(t["subject_requests"], (t[k] for k in REQUEST_COLUMNS), requests),
        _table(t["disclosures"], (t[k] for k in DISCLOSURE_COLUMNS), disclosures),
    ]


ORDER_COLUMNS = (
    "order",
    "placed_at",
    "channel",
    "status",
    "payment_method",
    "products",
    "total",
    "delivery_address",
)
DELIVERY_COLUMNS = ("order", "carrier", "tracking_code", "status", "shipped_at", "delivered_at")
RETURN_COLUMNS = ("order", "requested_at", "status", "reason", "returned", "refund")
CREDIT_COLUMNS = (
    "order",
    "checked_at",
    "provider",
    "decision",
    "reason",
    "payment_defaults",
    "review",
)
CONSENT_COLUMNS = ("occurred_at", "event", "consent_channel", "consent_source", "wording")
MESSAGE_COLUMNS = ("campaign", "message_channel", "subject", "status", "sent_at", "unsubscribed_at")
REQUEST_COLUMNS = ("received_at", "request", "status", "closed_at", "outcome")
DISCLOSURE_COLUMNS = ("disclosed_at", "recipient", "legal_ground", "reference", "disclosed")


def render_index(data: dict[str, Any], *, language: str) -> str:
    """The readable page of a copy, from its data (`subject_data`'s dict)."""
    show = _Display(language)
    texts = show.texts
    context = {
        "language": language,
        "texts": texts,
        # Rows are joined with the join filter (which escapes each cell): a template
        # node per cell would cost more than the rest of the copy.
        "cell_separator": mark_safe("</td><td>"),  # nosec B308  # a constant
        "intro": texts["intro"].format(
            business=settings.BUSINESS_NAME, time=show.time(data["generated_at"])
        ),
        "contact": _contact(data, show),
        "tables": _tables(data, show),
        "information": data["article_15"],
    }
    return render_to_string("privacy/export/index.html", context)
