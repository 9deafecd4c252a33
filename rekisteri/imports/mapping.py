"""Which column of the file holds which field: what a column can be imported as, the
guess from the header row, and the rules a mapping must keep. No database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import Channel
from rekisteri.spreadsheets import header_key

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Target(models.TextChoices):
    """What a column can be imported as."""

    SURNAME = "surname", _("Surname")
    FIRST_NAMES = "first_names", _("First names")
    FULL_NAME = "full_name", _("Full name (the last word is the surname)")
    STREET_ADDRESS = "street_address", _("Street address")
    STREET_ADDRESS_2 = "street_address_2", _("Street address, second line")
    POSTAL_CODE = "postal_code", _("Postal code")
    POST_OFFICE = "post_office", _("Post office")
    COUNTRY = "country", _("Country")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    PREFERRED_LANGUAGE = "preferred_language", _("Preferred language")
    IDENTITY_CODE = "identity_code", _("Personal identity code")
    NOTES = "notes", _("Notes")
    EMAIL_CONSENT = "email_consent", _("Email marketing consent")
    EMAIL_CONSENT_EVIDENCE = "email_consent_evidence", _("Evidence of the email consent")
    SMS_CONSENT = "sms_consent", _("SMS marketing consent")
    SMS_CONSENT_EVIDENCE = "sms_consent_evidence", _("Evidence of the SMS consent")
    MARKETING_BAN = "marketing_ban", _("Direct marketing ban")
    # A shop's export says who accepted marketing, but not when or how: such a column
    # is read only to tell, row by row, that the consent was left out.
    EMAIL_CONSENT_UNPROVEN = (
        "email_consent_unproven",
        _("Email marketing consent without evidence (not imported)"),
    )
    SMS_CONSENT_UNPROVEN = (
        "sms_consent_unproven",
        _("SMS marketing consent without evidence (not imported)"),
    )


REQUIRED = (Target.SURNAME, Target.FIRST_NAMES)
# A consent column is imported only with the column of its evidence (docs/import.md).
CONSENTS = {
    Channel.EMAIL: (Target.EMAIL_CONSENT, Target.EMAIL_CONSENT_EVIDENCE),
    Channel.SMS: (Target.SMS_CONSENT, Target.SMS_CONSENT_EVIDENCE),
}
# A consent column without its evidence column is guessed as its column "without
# evidence", so that a shop's export is imported as it is and each row says what was left out.
UNPROVEN = {
    Target.EMAIL_CONSENT: Target.EMAIL_CONSENT_UNPROVEN,
    Target.SMS_CONSENT: Target.SMS_CONSENT_UNPROVEN,
}
MARKETING_TARGETS = frozenset(
    {
        *(target for pair in CONSENTS.values() for target in pair),
        *UNPROVEN.values(),
        Target.MARKETING_BAN,
    }
)

# Column names that mean a field, in Finnish, Swedish and English, compared by
# `header_key` (no case, accents or punctuation).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    Target.SURNAME: (
        "sukunimi",
        "efternamn",
        "surname",
        "last name",
        "family name",
        "billing last name",
    ),
    Target.FIRST_NAMES: (
        "etunimi",
        "etunimet",
        "förnamn",
        "first name",
        "first names",
        "given name",
        "given names",
        "forename",
        "billing first name",
    ),
    # WooCommerce's customer download: one "Name" column.
    Target.FULL_NAME: (
        "nimi",
        "koko nimi",
        "asiakkaan nimi",
        "namn",
        "name",
        "full name",
        "customer name",
    ),
    Target.STREET_ADDRESS: (
        "katuosoite",
        "lähiosoite",
        "osoite",
        "postiosoite",
        "gatuadress",
        "adress",
        "street address",
        "street",
        "address",
        "address1",
        "address 1",
        "default address address1",
        "billing address 1",
    ),
    Target.STREET_ADDRESS_2: (
        "osoiterivi 2",
        "address2",
        "address 2",
        "default address address2",
        "billing address 2",
    ),
    Target.POSTAL_CODE: (
        "postinumero",
        "postinro",
        "postnummer",
        "postal code",
        "postcode",
        "zip",
        "zip code",
        "default address zip",
        "billing postcode",
    ),
    Target.POST_OFFICE: (
        "postitoimipaikka",
        "postitoimipaikka kunta",
        "paikkakunta",
        "kaupunki",
        "postanstalt",
        "postort",
        "ort",
        "post office",
        "city",
        "town",
        "default address city",
        "billing city",
    ),
    Target.COUNTRY: (
        "maa",
        "land",
        "country",
        "country code",
        "country region",
        "default address country code",
        "billing country",
    ),
    Target.PHONE: (
        "puhelin",
        "puhelinnumero",
        "puh",
        "matkapuhelin",
        "gsm",
        "telefon",
        "telefonnummer",
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "billing phone",
    ),
    Target.EMAIL: (
        "sähköposti",
        "sähköpostiosoite",
        "sposti",
        "e post",
        "epost",
        "email",
        "e mail",
        "email address",
        "billing email",
    ),
    Target.PREFERRED_LANGUAGE: ("kieli", "asiointikieli", "språk", "language"),
    Target.IDENTITY_CODE: (
        "henkilötunnus",
        "hetu",
        "henkilötunnus hetu",
        "personbeteckning",
        "identity code",
        "personal identity code",
    ),
    Target.NOTES: (
        "lisätiedot",
        "huomautukset",
        "muistiinpanot",
        "anteckningar",
        "notes",
        "note",
    ),
    Target.EMAIL_CONSENT: (
        "sähköpostilupa",
        "sähköpostimarkkinointi",
        "sähköpostimarkkinointilupa",
        "email consent",
        "email marketing",
        "email marketing consent",
        "accepts email marketing",
        "accepts marketing",
    ),
    Target.EMAIL_CONSENT_EVIDENCE: (
        "sähköpostiluvan todiste",
        "sähköpostiluvan peruste",
        "sähköpostilupa todiste",
        "email consent evidence",
        "evidence of the email consent",
    ),
    Target.SMS_CONSENT: (
        "tekstiviestilupa",
        "tekstiviestimarkkinointi",
        "sms lupa",
        "sms consent",
        "sms marketing",
        "sms marketing consent",
        "accepts sms marketing",
    ),
    Target.SMS_CONSENT_EVIDENCE: (
        "tekstiviestiluvan todiste",
        "tekstiviestiluvan peruste",
        "sms luvan todiste",
        "sms consent evidence",
        "evidence of the sms consent",
    ),
    Target.MARKETING_BAN: (
        "suoramarkkinointikielto",
        "markkinointikielto",
        "direkt marknadsföringsförbud",
        "direct marketing ban",
        "marketing ban",
    ),
}
_KEYS = {header_key(name): target for target, names in HEADER_NAMES.items() for name in names}
# Column names taken only when no column has a name of HEADER_NAMES for the field:
# Shopify's "Default Address Phone" comes before its "Phone", the customer's own.
_SECOND_KEYS = {header_key("default address phone"): Target.PHONE}


def mapping_guess(header: Sequence[str]) -> dict[str, int]:
    """The fields the header row's column names say, each field from the first
    column that names it."""
    mapping: dict[str, int] = {}
    for keys in (_KEYS, _SECOND_KEYS):
        for index, cell in enumerate(header):
            target = keys.get(header_key(cell))
            if target is not None and target not in mapping:
                mapping[target] = index
    if Target.SURNAME in mapping or Target.FIRST_NAMES in mapping:
        mapping.pop(Target.FULL_NAME, None)
    for consent, evidence in CONSENTS.values():
        if consent in mapping and evidence not in mapping:
            mapping[UNPROVEN[consent]] = mapping.pop(consent)
    return mapping


def mapping_check(mapping: Mapping[str, int], *, columns: int) -> None:
    """Raises ValidationError unless every field is a known one from a column of the
    file, no column is used twice, the names are there (the surname and the first
    names, or the full name to split), and each consent column comes
    with its evidence column (and each evidence column with its consent)."""
    errors: list[StrOrPromise] = []
    if any(target not in Target.values for target in mapping):
        errors.append(_("Choose each field from the list."))
    if any(not 0 <= index < columns for index in mapping.values()):
        errors.append(_("Choose the columns from the file."))
    if len(set(mapping.values())) != len(mapping):
        errors.append(_("A column can be imported as one field only."))
    if Target.FULL_NAME in mapping:
        if any(target in mapping for target in REQUIRED):
            errors.append(
                _("Choose either the full name or the surname and the first names, not both.")
            )
    elif not all(target in mapping for target in REQUIRED):
        errors.append(_("Choose the columns of the surname and the first names."))
    for consent, evidence in CONSENTS.values():
        if consent in mapping and evidence not in mapping:
            errors.append(
                _("“%(consent)s” is imported only with its evidence: choose “%(evidence)s” too.")
                % {"consent": consent.label, "evidence": evidence.label}
            )
        elif evidence in mapping and consent not in mapping:
            errors.append(
                _("“%(evidence)s” needs the column of “%(consent)s”.")
                % {"evidence": evidence.label, "consent": consent.label}
            )
    if errors:
        raise ValidationError(errors)


def mapping_described(mapping: Mapping[str, int]) -> str:
    """The fields mapped, in the order of the targets, for the audit trail."""
    return ", ".join(target for target in Target.values if target in mapping)
