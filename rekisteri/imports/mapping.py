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
    STREET_ADDRESS = "street_address", _("Street address")
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


REQUIRED = (Target.SURNAME, Target.FIRST_NAMES)
# A consent column is imported only with the column of its evidence (docs/import.md).
CONSENTS = {
    Channel.EMAIL: (Target.EMAIL_CONSENT, Target.EMAIL_CONSENT_EVIDENCE),
    Channel.SMS: (Target.SMS_CONSENT, Target.SMS_CONSENT_EVIDENCE),
}
MARKETING_TARGETS = frozenset(
    {*(target for pair in CONSENTS.values() for target in pair), Target.MARKETING_BAN}
)

# Column names that mean a field, in Finnish, Swedish and English, compared by
# `header_key` (no case, accents or punctuation).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    Target.SURNAME: ("sukunimi", "efternamn", "surname", "last name", "family name"),
    Target.FIRST_NAMES: (
        "etunimi",
        "etunimet",
        "förnamn",
        "first name",
        "first names",
        "given name",
        "given names",
        "forename",
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
    ),
    Target.POSTAL_CODE: (
        "postinumero",
        "postinro",
        "postnummer",
        "postal code",
        "postcode",
        "zip",
        "zip code",
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
    ),
    Target.COUNTRY: ("maa", "land", "country"),
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
    Target.NOTES: ("lisätiedot", "huomautukset", "muistiinpanot", "anteckningar", "notes"),
    Target.EMAIL_CONSENT: (
        "sähköpostilupa",
        "sähköpostimarkkinointi",
        "sähköpostimarkkinointilupa",
        "email consent",
        "email marketing",
        "email marketing consent",
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


def mapping_guess(header: Sequence[str]) -> dict[str, int]:
    """The fields the header row's column names say, each field from the first
    column that names it."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(header):
        target = _KEYS.get(header_key(cell))
        if target is not None and target not in mapping:
            mapping[target] = index
    return mapping


def mapping_check(mapping: Mapping[str, int], *, columns: int) -> None:
    """Raises ValidationError unless every field is a known one from a column of the
    file, no column is used twice, the names are there, and each consent column comes
    with its evidence column (and each evidence column with its consent)."""
    errors: list[StrOrPromise] = []
    if any(target not in Target.values for target in mapping):
        errors.append(_("Choose each field from the list."))
    if any(not 0 <= index < columns for index in mapping.values()):
        errors.append(_("Choose the columns from the file."))
    if len(set(mapping.values())) != len(mapping):
        errors.append(_("A column can be imported as one field only."))
    if not all(target in mapping for target in REQUIRED):
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
