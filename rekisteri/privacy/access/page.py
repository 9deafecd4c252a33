"""The readable page of a customer's own copy: `index.html` in the copy's ZIP, made
from the copy's data (`copy.subject_data`'s dict) in Finnish or English."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri.consents.models import Channel as ConsentChannel
from rekisteri.consents.models import EventKind, Purpose
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.credit.models import Decision
from rekisteri.customers.models import Language, Source, Status
from rekisteri.marketing.models import CampaignChannel, MessageStatus
from rekisteri.orders.models import (
    Carrier,
    Channel,
    DeliveryStatus,
    OrderStatus,
    PaymentMethod,
    ReturnStatus,
)

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
