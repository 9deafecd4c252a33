"""Disclosures to outsiders (P17): the register of every one, an authority's request
answered with only the data it asked for, and the customer's own copy (GDPR arts. 15
and 20) through an expiring download link or handed over by staff.

Nothing leaves without its `Disclosure` row and its audit event (action `export`).
A file is built before its transaction opens (reads only), so the audit chain's lock,
which every writer waits for, is never held while a thousand orders are read; the
file is returned only once its record has committed."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Language
from rekisteri.fi import InvalidValue, normalize_email
from rekisteri.languages import customer_language
from rekisteri.privacy.access.copy import (
    DataCategory,
    access_archive,
    customer_data,
    own_copy_categories,
)
from rekisteri.privacy.models import (
    AccessDelivery,
    Disclosure,
    RecipientKind,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from rekisteri.tokens import TokenKind, link_with_token

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

AUTHORITY_FORMAT = "rekisteri.authority-disclosure.v1"
OWN_COPY_KINDS = (RequestKind.ACCESS, RequestKind.PORTABILITY)
OWN_COPY_GROUNDS = {RequestKind.ACCESS: "GDPR art. 15", RequestKind.PORTABILITY: "GDPR art. 20"}
# A link lives at most two weeks (REKISTERI_ACCESS_COPY_DAYS, default 7).
DOWNLOAD_DAYS_MAX = 14
# No max age in the token: the link's row keeps when it expires and how many
# downloads are left (`access_delivery_problem`).
DOWNLOAD_TOKENS = TokenKind(salt="rekisteri.privacy.download")
REVEAL_PERMISSION = "customers.reveal_identity_code"


def _clean_text(value: str) -> str:
    return " ".join(value.split())


def _clean_disclosure(
    *,
    recipient_kind: str,
    recipient: str,
    legal_ground: str,
    reference: str,
    categories: object,
    categories_name: str = "categories",
    recipient_email: str = "",
) -> tuple[dict[str, str], list[str]]:
    """Normalised values and categories, or a ValidationError naming every bad field
    (the categories under `categories_name`, the caller's name for them)."""
    errors: dict[str, list[StrOrPromise]] = {}
    values = {
        "recipient": _clean_text(recipient),
        "legal_ground": _clean_text(legal_ground),
        "reference": _clean_text(reference),
    }
    if recipient_kind not in RecipientKind.values:
        errors["recipient_kind"] = [_("Choose an authority, the data subject or other.")]
    if not values["recipient"]:
        errors["recipient"] = [_("Name the recipient.")]
    elif len(values["recipient"]) > 200:
        errors["recipient"] = [_("Keep the recipient under 200 characters.")]
    if not values["legal_ground"]:
        errors["legal_ground"] = [_("Give the legal ground: the statute or the request.")]
    elif len(values["legal_ground"]) > 300:
        errors["legal_ground"] = [_("Keep the legal ground under 300 characters.")]
    if len(values["reference"]) > 200:
        errors["reference"] = [_("Keep the reference under 200 characters.")]
    # Where the recipient is told of a later rectification, erasure or restriction.
    values["recipient_email"] = ""
    if recipient_email.strip():
        try:
            values["recipient_email"] = normalize_email(recipient_email)
        except InvalidValue:
            errors["recipient_email"] = [
                _("Give a valid email address, such as kirjaamo@example.fi.")
            ]
    wanted: list[str] = []
    if isinstance(categories, str) or not isinstance(categories, Collection):
        errors[categories_name] = [_("Choose what was disclosed.")]
    else:
        wanted = [str(category) for category in categories]
        if not wanted:
            errors[categories_name] = [_("Choose what was disclosed.")]
        elif set(wanted) - set(DataCategory.values):
            errors[categories_name] = [_("Choose the data from the list.")]
    if errors:
        raise ValidationError(errors)
    # In the list's own order, each once.
    return values, [category for category in DataCategory.values if category in wanted]


def disclosure_record(
    *,
    actor: Actor,
    customer: Customer,
    recipient_kind: str,
    recipient: str,
    legal_ground: str,
    reference: str,
    categories: Sequence[str],
    subject_request: SubjectRequest | None = None,
    recipient_email: str = "",
) -> Disclosure:
    """Records that `categories` of the customer's data went to `recipient` (P17), with
    an audit event of action `export`: the data has left, which is what the audit log
    is searched for."""
    values, wanted = _clean_disclosure(
        recipient_kind=recipient_kind,
        recipient=recipient,
        legal_ground=legal_ground,
        reference=reference,
        categories=categories,
        recipient_email=recipient_email,
    )
    if subject_request is not None and subject_request.customer_id != customer.pk:
        raise ValidationError(_("The request is another customer's."))
    with audited_transaction():
        disclosure = Disclosure(
            customer=customer,
            recipient_kind=recipient_kind,
            categories=wanted,
            disclosed_at=timezone.now(),
            disclosed_by=actor.user,
            subject_request=subject_request,
            **values,
        )
        disclosure.full_clean(exclude=["customer", "disclosed_by", "subject_request"])
        disclosure.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=disclosure,
            customer=customer,
            changed_fields=wanted,
            reason=f"disclosure to {recipient_kind}: {values['legal_ground']}"[:300],
        )
    return disclosure


def authority_export(
    *,
    actor: Actor,
    customer: Customer,
    recipient: str,
    legal_ground: str,
    reference: str,
    fields: Sequence[str],
    recipient_email: str = "",
) -> bytes:
    """An authority's lawful request answered: a JSON file of only the `fields`
    (`DataCategory` values) asked for, and the disclosure recorded.

    The identity code goes only when asked for and only by a staff member who may
    reveal it. Raises ValidationError (nothing recorded) for bad input."""
    values, wanted = _clean_disclosure(
        recipient_kind=RecipientKind.AUTHORITY,
        recipient=recipient,
        legal_ground=legal_ground,
        reference=reference,
        categories=fields,
        categories_name="fields",
        recipient_email=recipient_email,
    )
    if DataCategory.IDENTITY_CODE in wanted and not (
        actor.user is not None and actor.user.has_perm(REVEAL_PERMISSION)
    ):
        raise ValidationError(
            {"fields": [_("You may not disclose the identity code: leave it out.")]}
        )
    data = customer_data(customer, categories=wanted)
    disclosure = disclosure_record(
        actor=actor,
        customer=customer,
        recipient_kind=RecipientKind.AUTHORITY,
        recipient=values["recipient"],
        legal_ground=values["legal_ground"],
        reference=values["reference"],
        categories=wanted,
        recipient_email=values["recipient_email"],
    )
    document = {
        "format": AUTHORITY_FORMAT,
        "sender": settings.BUSINESS_NAME,
        "recipient": disclosure.recipient,
        "legal_ground": disclosure.legal_ground,
        "reference": disclosure.reference,
        "disclosed_at": timezone.localtime(disclosure.disclosed_at).isoformat(timespec="seconds"),
        "fields": wanted,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def authority_export_filename(customer: Customer) -> str:
    return f"disclosure-{customer.customer_number}-{timezone.localdate():%Y%m%d}.json"


# ---- the customer's own copy ---------------------------------------------------------


def _own_copy_problem(subject_request: SubjectRequest) -> StrOrPromise | None:
    """Why this request gets no copy, or None."""
    if subject_request.kind not in OWN_COPY_KINDS:
        return _("Only an access or a portability request gets a copy of the data.")
    if subject_request.customer_id is None:
        return _("Link the request to a customer first.")
    if subject_request.status == RequestStatus.REFUSED:
        return _("The request was refused.")
    if subject_request.verified_at is None or (
        subject_request.status == RequestStatus.AWAITING_VERIFICATION
    ):
        return _("Verify the requester's identity first.")
    return None


def check_own_copy(subject_request: SubjectRequest) -> Customer:
    """The request's customer, when the request gets a copy; else ValidationError."""
    problem = _own_copy_problem(subject_request)
    if problem is not None:
        raise ValidationError(problem, code="unavailable")
    assert subject_request.customer is not None
    return subject_request.customer


def access_delivery_create(
    *, actor: Actor, subject_request: SubjectRequest, days: int | None = None
) -> AccessDelivery:
    """A download link of the customer's own copy, valid for `days` days (by default
    REKISTERI_ACCESS_COPY_DAYS) and for REKISTERI_ACCESS_COPY_DOWNLOADS downloads, for
    a verified access or portability request. The copy is built when it is
    downloaded."""
    if days is None:
        days = settings.ACCESS_COPY_DAYS
    if not isinstance(days, int) or not 1 <= days <= DOWNLOAD_DAYS_MAX:
        raise ValidationError(
            {"days": [_("A link is valid for 1 to %(max)s days.") % {"max": DOWNLOAD_DAYS_MAX}]}
        )
    with audited_transaction():
        current = (
            # Only the request's row: PostgreSQL locks no nullable side of a join.
            SubjectRequest.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=subject_request.pk)
        )
        customer = check_own_copy(current)
        now = timezone.now()
        delivery = AccessDelivery(
            subject_request=current,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
            downloads_allowed=settings.ACCESS_COPY_DOWNLOADS,
        )
        delivery.full_clean(exclude=["subject_request"])
        delivery.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=delivery,
            customer=customer,
            changed_fields=["expires_at", "downloads_allowed"],
            reason=(
                f"download link for {current.kind} request, {days} days, "
                f"{delivery.downloads_allowed} downloads"
            ),
        )
    return delivery


def download_token(delivery: AccessDelivery) -> str:
    """The link's key: its id, signed. The id alone appears in the audit log and opens
    nothing."""
    return DOWNLOAD_TOKENS.sign(delivery.public_id)


def access_delivery_for_token(token: str) -> AccessDelivery | None:
    public_id = DOWNLOAD_TOKENS.unsign(token)
    if public_id is None:
        return None
    return (
        AccessDelivery.objects.select_related("subject_request__customer")
        .filter(public_id=public_id)
        .first()
    )


def access_delivery_problem(
    delivery: AccessDelivery, *, now: datetime.datetime | None = None
) -> ValidationError | None:
    """Why the link gives nothing, or None: code "used" (its downloads are used up),
    "expired", or "unavailable" (its request no longer qualifies)."""
    if delivery.download_count >= delivery.downloads_allowed:
        return ValidationError(_("This download link has been used."), code="used")
    if delivery.expires_at <= (now or timezone.now()):
        return ValidationError(_("This download link has expired."), code="expired")
    problem = _own_copy_problem(delivery.subject_request)
    return None if problem is None else ValidationError(problem, code="unavailable")


def access_delivery_url(delivery: AccessDelivery) -> str:
    """The link as the customer gets it (in an email of the request's handler): the
    token in the query string, which the access logs drop."""
    return link_with_token(reverse("privacy_download"), download_token(delivery))


def own_copy_archive(
    *,
    subject_request: SubjectRequest,
    customer: Customer,
    on_section: Callable[[str], None] | None = None,
) -> bytes:
    """The customer's own copy as a ZIP, identity code included, in the language the
    request asks for; `on_section` as for `copy.customer_data`."""
    # The request's language when it is Swedish or English (the page the customer
    # asked on), else the customer's own: a Swedish or English speaker whose request
    # was recorded in Finnish still gets the copy in their language.
    asked = customer_language(subject_request.language)
    language = asked if asked != Language.FINNISH else customer.preferred_language
    return access_archive(
        customer=customer, language=language, include_identity_code=True, on_section=on_section
    )


def record_own_copy(
    *, actor: Actor, subject_request: SubjectRequest, customer: Customer
) -> Disclosure:
    return disclosure_record(
        actor=actor,
        customer=customer,
        recipient_kind=RecipientKind.DATA_SUBJECT,
        recipient=(subject_request.requester_name or str(customer))[:200],
        legal_ground=OWN_COPY_GROUNDS[RequestKind(subject_request.kind)],
        reference=str(subject_request.public_id),
        categories=own_copy_categories(customer, include_identity_code=True),
        subject_request=subject_request,
    )


def access_delivery_download(*, delivery: AccessDelivery, ip_address: str | None) -> bytes:
    """The customer's own copy (identity code included) through their link, while it
    has downloads left. Every download is recorded as a disclosure to the data subject
    (its audit event has the time and the address) and counted on the link; the first
    one's time is kept. Raises ValidationError with code "used", "expired" or
    "unavailable" (nothing recorded) when the link gives nothing."""
    problem = access_delivery_problem(delivery)
    if problem is not None:
        raise problem
    subject_request = delivery.subject_request
    customer = check_own_copy(subject_request)
    content = own_copy_archive(subject_request=subject_request, customer=customer)
    actor = Actor(type=ActorType.CUSTOMER, label="download link", ip_address=ip_address)
    with audited_transaction():
        current = (
            AccessDelivery.objects.select_for_update(of=("self",))
            .select_related("subject_request__customer")
            .get(pk=delivery.pk)
        )
        # Checked again under the lock: two clicks at once download once, and the
        # request may have been refused meanwhile.
        problem = access_delivery_problem(current)
        if problem is not None:
            raise problem
        current.download_count += 1
        current.downloaded_at = current.downloaded_at or timezone.now()
        current.save(update_fields=["download_count", "downloaded_at"])
        record_own_copy(actor=actor, subject_request=current.subject_request, customer=customer)
    return content


def access_handover(*, actor: Actor, subject_request: SubjectRequest) -> bytes:
    """The customer's own copy (identity code included) for staff to hand over, recorded
    as a disclosure to the data subject made by the staff member."""
    customer = check_own_copy(subject_request)
    content = own_copy_archive(subject_request=subject_request, customer=customer)
    with audited_transaction():
        current = SubjectRequest.objects.select_for_update().get(pk=subject_request.pk)
        customer = check_own_copy(current)
        record_own_copy(actor=actor, subject_request=current, customer=customer)
    return content


def own_copy_request_get(*, public_id: uuid.UUID) -> SubjectRequest | None:
    return SubjectRequest.objects.select_related("customer").filter(public_id=public_id).first()


# ---- the register ------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosurePage:
    disclosures: list[Disclosure]
    next_before: int | None  # the id to continue from; None on the last page


def disclosure_page(*, before: int | None, limit: int) -> DisclosurePage:
    """The register, newest first, paged by id (never OFFSET)."""
    rows = Disclosure.objects.select_related("customer", "disclosed_by", "subject_request")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return DisclosurePage(found, found[-1].pk if more else None)
