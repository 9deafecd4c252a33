"""The readable page of a customer's own copy: `index.html` in the copy's ZIP, made
from the copy's data (`copy.subject_data`'s dict) in Finnish, Swedish or English."""

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

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType
from rekisteri.consents.models import Channel as ConsentChannel
from rekisteri.consents.models import EventKind, Purpose
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.credit.models import Decision
from rekisteri.customers.models import Language, Source, Status
from rekisteri.marketing.models import CampaignChannel, MessageStatus
from rekisteri.orders.models import (
    Carrier,
    Channel,
    ConfirmationChannel,
    ConfirmationStatus,
    DeliveryStatus,
    OrderStatus,
    PaymentMethod,
    ReturnStatus,
)

# The copy's own words, in each of its languages (fi, sv, en). Other apps' choices come
# from the message catalogue (`gettext` under the copy's language); these are the
# privacy app's and the copy's headings, kept here so that a Finnish or Swedish copy is
# in that language throughout, whatever the catalogue holds.

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
        "order_confirmations": "Tilausvahvistukset",
        "confirmation_channel": "Miten lähetettiin",
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
        "evidence": "Todiste asiakaslistalla",
        "imported_at": "tuotu rekisteriin",
        "legal_holds": "Tietojesi säilyttäminen oikeudellisen syyn vuoksi",
        "hold_from": "Alkoi",
        "hold_until": "Päättyi",
        "breach_notices": "Tietoturvaloukkaukset, jotka koskivat tietojasi",
        "added_at": "Todettu koskevan sinua",
        "notice": "Ilmoitus sinulle",
        "notified_at": "Ilmoitettu",
        "processing": "Kuka tietojasi käsitteli, milloin ja mihin tarkoitukseen",
        "processing_intro": (
            "Tapahtumat kirjataan lokiin sitä mukaa kuin tietojasi katsotaan tai muutetaan. "
            "Henkilökunta on nimetty tehtävänsä mukaan, ei nimeltä."
        ),
        "handled_at": "Aika",
        "handled_by": "Kuka",
        "action": "Mitä tehtiin",
        "purpose": "Tarkoitus",
        "staff_member": "henkilökunta",
        "automatic": "automaattinen käsittely",
        "integration": "verkkokauppa tai muu liitetty järjestelmä",
        "you": "Sinä itse",
        "unidentified": "Tunnistamaton asioija",
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
        "order_confirmations": "Order confirmations",
        "confirmation_channel": "Sent by",
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
        "evidence": "Evidence in the customer list",
        "imported_at": "imported into the register",
        "legal_holds": "Your data kept for a legal reason",
        "hold_from": "From",
        "hold_until": "Until",
        "breach_notices": "Data breaches that concerned your data",
        "added_at": "Found to concern you",
        "notice": "Notice to you",
        "notified_at": "Notified",
        "processing": "Who handled your data, when and for what purpose",
        "processing_intro": (
            "Each time your data is viewed or changed, it is written in a log. Staff are "
            "named by their role, not by name."
        ),
        "handled_at": "Time",
        "handled_by": "Who",
        "action": "What was done",
        "purpose": "Purpose",
        "staff_member": "staff",
        "automatic": "automatic processing",
        "integration": "web shop or other connected system",
        "you": "You",
        "unidentified": "Unidentified visitor",
    },
    "sv": {
        "title": "Dina uppgifter",
        "intro": (
            "Det här är en kopia av de personuppgifter som {business} har registrerat om "
            "dig, enligt läget {time}. Samma uppgifter finns i maskinläsbar form i filen "
            "data.json."
        ),
        "none": "Inga uppgifter.",
        "contact": "Kontaktuppgifter",
        "customer_number": "Kundnummer",
        "name": "Namn",
        "address": "Adress",
        "phone": "Telefon",
        "email": "E-post",
        "language": "Kontaktspråk",
        "identity_code": "Personbeteckning",
        "source": "Kundrelationen började",
        "status": "Status",
        "created_at": "Kund sedan",
        "last_activity_at": "Senaste aktivitet",
        "notes": "Anteckningar",
        "orders": "Beställningar",
        "order": "Beställning",
        "placed_at": "Beställd",
        "channel": "Beställningssätt",
        "payment_method": "Betalningssätt",
        "products": "Produkter",
        "total": "Summa (inkl. moms)",
        "delivery_address": "Leveransadress",
        "order_confirmations": "Orderbekräftelser",
        "confirmation_channel": "Hur den skickades",
        "deliveries": "Leveranser",
        "carrier": "Transportföretag",
        "tracking_code": "Spårningskod",
        "shipped_at": "Skickad",
        "delivered_at": "Levererad",
        "returns": "Returer",
        "requested_at": "Begärd",
        "reason": "Orsak",
        "returned": "Returnerade produkter",
        "refund": "Gottgörelse",
        "credit_checks": "Kreditbeslut",
        "checked_at": "Kontrollerad",
        "provider": "Kreditupplysningsföretag",
        "decision": "Beslut",
        "payment_defaults": "Betalningsanmärkningar",
        "review": "Granskning av en människa",
        "consent_events": "Marknadsföringstillstånd och -förbud",
        "occurred_at": "Tid",
        "event": "Händelse",
        "consent_channel": "Kanal",
        "consent_source": "Var",
        "wording": "Visad formulering",
        "all_channels": "Alla kanaler",
        "campaign_messages": "Marknadsföringsmeddelanden som skickats till dig",
        "campaign": "Kampanj",
        "message_channel": "Kanal",
        "subject": "Ämne",
        "sent_at": "Skickat",
        "unsubscribed_at": "Avbeställt",
        "subject_requests": "Dina dataskyddsbegäranden",
        "received_at": "Mottagen",
        "request": "Begäran",
        "closed_at": "Behandlad",
        "outcome": "Resultat",
        "disclosures": "Utlämnanden av dina uppgifter",
        "disclosed_at": "Tid",
        "recipient": "Mottagare",
        "legal_ground": "Grund",
        "reference": "Referens",
        "disclosed": "Utlämnade uppgifter",
        "information": "Information om behandlingen",
        "yes": "ja",
        "simulated": "simulerad",
        "not_asked": "Inte förfrågat",
        "evidence": "Bevis i kundlistan",
        "imported_at": "importerat till registret",
        "legal_holds": "Dina uppgifter bevaras av rättsliga skäl",
        "hold_from": "Från",
        "hold_until": "Till",
        "breach_notices": "Personuppgiftsincidenter som gällde dina uppgifter",
        "added_at": "Konstaterades gälla dig",
        "notice": "Meddelande till dig",
        "notified_at": "Meddelad",
        "processing": "Vem som behandlade dina uppgifter, när och för vilket ändamål",
        "processing_intro": (
            "Varje gång dina uppgifter visas eller ändras antecknas det i en logg. "
            "Personalen anges med sin uppgift, inte med namn."
        ),
        "handled_at": "Tid",
        "handled_by": "Vem",
        "action": "Vad som gjordes",
        "purpose": "Ändamål",
        "staff_member": "personal",
        "automatic": "automatisk behandling",
        "integration": "webbutik eller annat anslutet system",
        "you": "Du själv",
        "unidentified": "Oidentifierad besökare",
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
        "order_confirmations": "Lähetetyt tilausvahvistukset",
        "deliveries": "Toimitukset",
        "returns": "Palautukset",
        "credit_checks": "Luottopäätökset",
        "consents": "Markkinointiluvat ja -kiellot",
        "campaign_messages": "Lähetetyt markkinointiviestit",
        "subject_requests": "Tietosuojapyynnöt",
        "disclosures": "Aiemmat luovutukset",
        "legal_holds": "Säilyttäminen oikeudellisen syyn vuoksi",
        "breach_notices": "Tietoturvaloukkaukset, jotka koskivat asiakasta",
        "processing": "Kuka tietoja käsitteli, milloin ja mihin tarkoitukseen",
        # BreachNoticeStatus
        "pending": "Ei vielä lähetetty",
        "sent": "Lähetetty",
        "no_email": "Ei sähköpostiosoitetta",
        "failed": "Lähetys epäonnistui",
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
        "order_confirmations": "Order confirmations sent",
        "deliveries": "Deliveries",
        "returns": "Returns",
        "credit_checks": "Credit decisions",
        "consents": "Marketing consents and bans",
        "campaign_messages": "Marketing messages sent",
        "subject_requests": "Data protection requests",
        "disclosures": "Earlier disclosures",
        "legal_holds": "Legal holds",
        "breach_notices": "Data breaches that concerned the customer",
        "processing": "Who handled the data, when and for what purpose",
        "pending": "Not sent yet",
        "sent": "Sent",
        "no_email": "No email address on record",
        "failed": "Sending failed",
    },
    "sv": {
        "access": "Rätt att få tillgång till sina uppgifter (art. 15)",
        "rectification": "Rättelse av uppgifter (art. 16)",
        "erasure": "Radering av uppgifter (art. 17)",
        "restriction": "Begränsning av behandlingen (art. 18)",
        "objection": "Invändning mot direktmarknadsföring (art. 21)",
        "portability": "Överföring av uppgifter (art. 20)",
        "awaiting": "Väntar på att identiteten bekräftas",
        "open": "Under behandling",
        "completed": "Klar",
        "refused": "Avslagen",
        "authority": "En myndighet",
        "data_subject": "Du själv",
        "other": "Annan",
        "customer_details": "Kundnummer, källa, status och datum",
        "name": "Namn",
        "address": "Adress",
        "phone": "Telefon",
        "email": "E-post",
        "identity_code": "Personbeteckning",
        "notes": "Personalens anteckningar",
        "orders": "Beställningar och beställningsrader",
        "order_confirmations": "Skickade orderbekräftelser",
        "deliveries": "Leveranser",
        "returns": "Returer",
        "credit_checks": "Kreditbeslut",
        "consents": "Marknadsföringstillstånd och -förbud",
        "campaign_messages": "Skickade marknadsföringsmeddelanden",
        "subject_requests": "Dataskyddsbegäranden",
        "disclosures": "Tidigare utlämnanden",
        "legal_holds": "Bevarande av rättsliga skäl",
        "breach_notices": "Personuppgiftsincidenter som gällde kunden",
        "processing": "Vem som behandlade uppgifterna, när och för vilket ändamål",
        "pending": "Inte skickat ännu",
        "sent": "Skickat",
        "no_email": "Ingen e-postadress registrerad",
        "failed": "Sändningen misslyckades",
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

# The purposes of `copy.handling_purpose`, in the copy's languages.
PURPOSES: dict[str, dict[str, str]] = {
    "fi": {
        "customer_relationship": "Asiakassuhteen hoito ja asiakaspalvelu",
        "orders_and_deliveries": "Tilausten, toimitusten ja palautusten käsittely",
        "credit_decision": "Laskutilauksen luottopäätös",
        "marketing_choices": "Markkinointilupien ja -kieltojen kirjaaminen",
        "marketing": "Oma suoramarkkinointi",
        "data_protection": "Tietosuojapyynnöt, luovutukset ja tietojen säilyttäminen",
        "customer_list_import": "Asiakaslistan tuonti rekisteriin",
        "finding_the_customer": "Asiakkaan haku asiakaspalvelussa",
    },
    "en": {
        "customer_relationship": "Managing the customer relationship and customer service",
        "orders_and_deliveries": "Handling orders, deliveries and returns",
        "credit_decision": "Credit decision on an invoice order",
        "marketing_choices": "Recording marketing consents and bans",
        "marketing": "Own direct marketing",
        "data_protection": "Data protection requests, disclosures and keeping data",
        "customer_list_import": "Importing a customer list into the register",
        "finding_the_customer": "Finding the customer in customer service",
    },
    "sv": {
        "customer_relationship": "Skötsel av kundrelationen och kundtjänst",
        "orders_and_deliveries": "Hantering av beställningar, leveranser och returer",
        "credit_decision": "Kreditbeslut om en fakturabeställning",
        "marketing_choices": "Registrering av marknadsföringstillstånd och -förbud",
        "marketing": "Egen direktmarknadsföring",
        "data_protection": "Dataskyddsbegäranden, utlämnanden och bevarande av uppgifter",
        "customer_list_import": "Import av en kundlista till registret",
        "finding_the_customer": "Sökning av kunden i kundtjänsten",
    },
}

CATALOGUE_CHOICES: tuple[type[models.TextChoices], ...] = (
    Source,
    Status,
    Language,
    Channel,
    OrderStatus,
    PaymentMethod,
    Carrier,
    DeliveryStatus,
    ConfirmationChannel,
    ConfirmationStatus,
    ReturnStatus,
    Decision,
    EventKind,
    ConsentChannel,
    ConsentSource,
    Purpose,
    CampaignChannel,
    MessageStatus,
    Action,
    Role,
)


# Finnish and Finland Swedish write times, dates and sums alike (7.12.2026 kl. 17.35,
# 12,50 €); English gets ISO dates.
NATIONAL = ("fi", "sv")


class _Display:
    """Values of the JSON made readable in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.texts = TEXTS[language]
        self.privacy = PRIVACY_LABELS[language]
        self.purposes = PURPOSES[language]
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
        if self.language in NATIONAL:
            at = "klo" if self.language == "fi" else "kl."
            return f"{moment.day}.{moment.month}.{moment.year} {at} {moment:%H.%M}"
        return f"{moment:%Y-%m-%d %H:%M}"

    def date(self, value: str | None) -> str:
        if not value:
            return ""
        moment = datetime.datetime.fromisoformat(value)
        if self.language in NATIONAL:
            return f"{moment.day}.{moment.month}.{moment.year}"
        return f"{moment:%Y-%m-%d}"

    def money(self, value: str | None) -> str:
        if value is None:
            return ""
        if self.language in NATIONAL:
            return f"{value.replace('.', ',')} €"
        return f"€{value}"

    def handled_by(self, row: dict[str, Any]) -> str:
        """Who handled the data: the business and the role, the integration or the
        system; the customer themself; never a staff member's name."""
        t = self.texts
        kind = row["actor_type"]
        if kind == ActorType.CUSTOMER:
            return t["you"]
        if kind == ActorType.STAFF:
            who = ", ".join(self.label(Role, role) for role in row["roles"]) or t["staff_member"]
        elif kind == ActorType.INTEGRATION:
            who = f"{row['integration']} ({t['integration']})" if row["integration"] else ""
            who = who or t["integration"]
        elif kind == ActorType.SYSTEM:
            who = t["automatic"]
        else:
            return t["unidentified"]
        return f"{row['business']}: {who}" if row["business"] else who

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


def _table(
    title: str, headers: Iterable[str], rows: list[list[str]], *, intro: str = ""
) -> dict[str, Any]:
    return {"title": title, "headers": list(headers), "rows": rows, "intro": intro}


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
    confirmations = [
        [
            str(c["order_number"]),
            show.time(c["requested_at"]),
            show.time(c["sent_at"]),
            show.label(ConfirmationChannel, c["channel"]),
            show.label(ConfirmationStatus, c["status"]),
        ]
        for c in data["order_confirmations"]
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
            # An imported consent's evidence gives its day, not a time.
            show.date(e["occurred_at"]) if e["imported_evidence"] else show.time(e["occurred_at"]),
            show.label(EventKind, e["kind"]),
            show.label(ConsentChannel, e["channel"]) if e["channel"] else t["all_channels"],
            show.label(ConsentSource, e["source"]),
            (
                f"{t['evidence']}: {e['imported_evidence']} "
                f"({t['imported_at']} {show.date(e['imported_at'])})"
                if e["imported_evidence"]
                else e["wording"] or ""
            ),
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
    holds = [
        [show.time(h["placed_at"]), show.time(h["lifted_at"]), h["reason"]]
        for h in data["legal_holds"]
    ]
    breaches = [
        [
            show.time(b["added_at"]),
            privacy.get(b["notice_status"], b["notice_status"]),
            show.time(b["notified_at"]),
            "\n\n".join(part for part in (b["notice_subject"], b["notice_body"]) if part),
        ]
        for b in data["breach_notices"]
    ]
    processing = [
        [
            show.time(p["occurred_at"]),
            show.handled_by(p),
            show.label(Action, p["action"]),
            show.purposes.get(p["purpose"], p["purpose"]),
        ]
        for p in data["processing"]
    ]
    return [
        _table(t["orders"], (t[k] for k in ORDER_COLUMNS), orders),
        _table(t["order_confirmations"], (t[k] for k in CONFIRMATION_COLUMNS), confirmations),
        _table(t["deliveries"], (t[k] for k in DELIVERY_COLUMNS), deliveries),
        _table(t["returns"], (t[k] for k in RETURN_COLUMNS), returns),
        _table(t["credit_checks"], (t[k] for k in CREDIT_COLUMNS), credit_checks),
        _table(t["consent_events"], (t[k] for k in CONSENT_COLUMNS), consents),
        _table(t["campaign_messages"], (t[k] for k in MESSAGE_COLUMNS), messages),
        _table(t["subject_requests"], (t[k] for k in REQUEST_COLUMNS), requests),
        _table(t["disclosures"], (t[k] for k in DISCLOSURE_COLUMNS), disclosures),
        _table(t["legal_holds"], (t[k] for k in HOLD_COLUMNS), holds),
        _table(t["breach_notices"], (t[k] for k in BREACH_COLUMNS), breaches),
        _table(
            t["processing"],
            (t[k] for k in PROCESSING_COLUMNS),
            processing,
            intro=t["processing_intro"],
        ),
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
CONFIRMATION_COLUMNS = ("order", "requested_at", "sent_at", "confirmation_channel", "status")
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
HOLD_COLUMNS = ("hold_from", "hold_until", "reason")
BREACH_COLUMNS = ("added_at", "status", "notified_at", "notice")
PROCESSING_COLUMNS = ("handled_at", "handled_by", "action", "purpose")


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
