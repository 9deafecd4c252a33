"""Data subject requests: receipt, identity verification, deadlines, and their answer.

A request arrives through the portal (and waits for the requester to follow a link sent
to the email on record) or is recorded by staff, who say how they verified the person.
Nothing is disclosed or erased for a request that is not verified."""

from __future__ import annotations

import calendar
import datetime
import functools
import hashlib
import hmac
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.services import marketing_object
from rekisteri.crypto import keyring
from rekisteri.customers.models import Customer
from rekisteri.customers.models import Status as CustomerStatus
from rekisteri.fi import InvalidValue, normalize_email
from rekisteri.privacy.models import (
    Disclosure,
    NoticeKind,
    NoticeStatus,
    PortalAttempt,
    ReceivedVia,
    RecipientKind,
    RequestKind,
    RequestNotice,
    RequestStatus,
    SubjectRequest,
    VerificationMethod,
)
from rekisteri.privacy.requests.notices import (
    CHANNEL_EMAIL,
    COMPLETION_TOLD,
    RECIPIENT_LANGUAGE,
    notice_language,
    notice_subject,
    request_notice_send_once,
    what,
)
from rekisteri.privacy.requests.sending import (
    VERIFICATION_TOKENS,
    language_of,
    verification_email_send,
)
from rekisteri.privacy.requests.tasks import send_request_notice, send_request_verification
from rekisteri.reasons import REASON_MIN_LENGTH, reason_require, reason_too_short
from rekisteri.versioning import version_bump, version_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The extension of GDPR art. 12(3): by two further months, once.
EXTENSION_MONTHS = 2
# Portal forms: at most this many uses per window per source address, and per email
# from one source address. No quota is counted per email alone: a stranger who asks
# for someone's email again and again would otherwise use up that person's quota.
PORTAL_LIMITS = {"ip": 10, "email_ip": 3}
PORTAL_WINDOW = datetime.timedelta(hours=1)
NAME_MAX_LENGTH = 260
DETAILS_MAX_LENGTH = 4000


class RateLimited(Exception):
    """Too many uses of a portal form from one address: try again later."""


# Deadlines --------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` later; the month's last day when it has no
    such day (31 January + 1 month = 28 or 29 February), as EU Regulation 1182/71
    counts periods in months."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received_at: datetime.datetime) -> datetime.date:
    """One month from receipt, counted in Helsinki dates (GDPR art. 12(3))."""
    return add_months(timezone.localdate(received_at), 1)


def days_left(request: SubjectRequest, *, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return (deadline(request) - today).days


def deadline(request: SubjectRequest) -> datetime.date:
    return request.extended_to or request.due_on


# Rate limits ------------------------------------------------------------------------


def _digests(value: str) -> list[str]:
    """The value's digest under each index key, the active key's first: attempts
    counted just before a key rotation still count after it."""
    ring = keyring()
    return [
        hmac.new(
            ring.index_keys[key_id], b"portal\x00" + value.encode(), hashlib.sha256
        ).hexdigest()
        for key_id in ring.index_ids
    ]


def portal_attempt(*, action: str, ip_address: str | None, email: str = "") -> None:
    """Counts one use of a portal form; RateLimited when the source address has used
    it too often within the window, or has asked too often for this email. Old
    attempts are pruned."""
    now = timezone.now()
    window_start = now - PORTAL_WINDOW
    keys = []
    if ip_address:
        keys.append(("ip", _digests("ip:" + ip_address)))
    if email:
        keys.append(("email_ip", _digests(f"email:{email.lower()}\x00ip:{ip_address or ''}")))
    PortalAttempt.objects.filter(at__lt=window_start).delete()
    for kind, digests in keys:
        used = PortalAttempt.objects.filter(
            action=action, key_digest__in=digests, at__gte=window_start
        )
        if used.count() >= PORTAL_LIMITS[kind]:
            raise RateLimited
    PortalAttempt.objects.bulk_create(
        [PortalAttempt(action=action, key_digest=digests[0], at=now) for _kind, digests in keys]
    )


# Receipt ----------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    return " ".join(name.split())


def _request_errors(
    *, kind: str, name: str, email: str, details: str
) -> tuple[dict[str, list[StrOrPromise]], str]:
    errors: dict[str, list[StrOrPromise]] = {}
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose what you are asking for.")]
    if not _clean_name(name):
        errors["name"] = [_("Give your name.")]
    elif len(_clean_name(name)) > NAME_MAX_LENGTH:
        errors["name"] = [_("The name is too long.")]
    normalized = ""
    if email.strip():
        try:
            normalized = normalize_email(email)
        except InvalidValue:
            errors["email"] = [_("Give a valid email address, such as name@example.fi.")]
    if len(details) > DETAILS_MAX_LENGTH:
        errors["details"] = [_("Write at most %(max)d characters.") % {"max": DETAILS_MAX_LENGTH}]
    return errors, normalized


def subject_request_submit(
    *,
    kind: str,
    name: str,
    email: str,
    details: str = "",
    language: str = "fi",
    ip_address: str | None = None,
) -> SubjectRequest:
    """A request made on the portal. It is stored at once (its month runs from now)
    and waits for verification. Whatever the email, the request does the same work:
    it stores the request and queues its verification, and the worker looks for a
    customer with the email on record and sends the link there
    (`sending.subject_request_verification_send`). So neither the answer, nor its time, nor a
    mail server that is down tells anyone whether an address is in the register."""
    errors, normalized = _request_errors(kind=kind, name=name, email=email, details=details)
    if not normalized and "email" not in errors:
        errors["email"] = [_("Give the email address you gave us.")]
    if errors:
        raise ValidationError(errors)
    portal_attempt(action="request", ip_address=ip_address, email=normalized)
    now = timezone.now()
    with audited_transaction():
        request = SubjectRequest.objects.create(
            kind=kind,
            received_via=ReceivedVia.PORTAL,
            received_at=now,
            requester_name=_clean_name(name),
            requester_email=normalized,
            details=details.strip(),
            language=language_of(language),
            due_on=due_date(now),
            ip_address=ip_address,
        )
        audit_record(
            actor=Actor(type=ActorType.ANONYMOUS, label="privacy portal", ip_address=ip_address),
            action=Action.CREATE,
            obj=request,
            changed_fields=["kind"],
            reason=f"{kind} request received on the portal",
        )
        # The database queue stores the task in this transaction: the request and its
        # verification are kept together or not at all.
        send_request_verification.enqueue(request.pk, 1)
    return request


def subject_request_record(
    *,
    actor: Actor,
    kind: str,
    received_via: str,
    received_at: datetime.datetime,
    customer: Customer | None,
    name: str,
    email: str = "",
    details: str = "",
    verification_note: str = "",
) -> SubjectRequest:
    """A request received by email, phone or letter, recorded by staff. With a note of
    how the person was verified it is open at once; without, it waits (the verification
    link can then be sent to the email on record)."""
    errors, normalized = _request_errors(kind=kind, name=name, email=email, details=details)
    if received_via not in ReceivedVia.values or received_via == ReceivedVia.PORTAL:
        errors["received_via"] = [_("Choose how the request arrived.")]
    if received_at > timezone.now():
        errors["received_at"] = [_("The time of receipt cannot be in the future.")]
    note = verification_note.strip()
    if note and customer is None:
        errors["customer"] = [_("Choose the customer whose identity was verified.")]
    if note and reason_too_short(note):
        errors["verification_note"] = [
            _("Say how the identity was verified (at least %(min)d characters).")
            % {"min": REASON_MIN_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        request = SubjectRequest.objects.create(
            kind=kind,
            received_via=received_via,
            received_at=received_at,
            requester_name=_clean_name(name),
            requester_email=normalized,
            details=details.strip(),
            language=customer.preferred_language if customer else "fi",
            customer=customer,
            due_on=due_date(received_at),
            recorded_by=actor.user,
            status=RequestStatus.OPEN if note else RequestStatus.AWAITING_VERIFICATION,
            verified_at=timezone.now() if note else None,
            verification_method=VerificationMethod.STAFF if note else "",
            verification_note=note,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=request,
            customer=customer,
            changed_fields=["kind"],
            reason=f"{kind} request received by {received_via}",
        )
        _receipt_once(actor=actor, request=request)
    return request


# Verification -----------------------------------------------------------------------


def request_for_token(token: str) -> SubjectRequest | None:
    """The request a verification link was made for, if the link is genuine and not
    older than 24 hours."""
    public_id = VERIFICATION_TOKENS.unsign(token)
    if public_id is None:
        return None
    return SubjectRequest.objects.select_related("customer").filter(public_id=public_id).first()


def subject_request_verify(
    *, request: SubjectRequest, ip_address: str | None, user_agent: str = ""
) -> SubjectRequest:
    """The requester followed the link sent to the email on record: verified, and the
    request is open. Single use: a link already used changes nothing. An objection to
    direct marketing is carried out at once (it needs no weighing)."""
    with audited_transaction():
        current = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if current.verified_at is not None or current.customer is None:
            return current
        actor = Actor(type=ActorType.CUSTOMER, label="verification link", ip_address=ip_address)
        current.verified_at = timezone.now()
        current.verification_method = VerificationMethod.EMAIL_LINK
        current.status = RequestStatus.OPEN
        version_bump(current)
        if current.kind == RequestKind.OBJECTION:
            marketing_object(
                actor=actor,
                customer=current.customer,
                source=ConsentSource.PRIVACY_PORTAL,
                language=current.customer.preferred_language,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            current.status = RequestStatus.COMPLETED
            current.closed_at = timezone.now()
            current.outcome = "The direct marketing ban was set."
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["status", "verified_at"],
            reason="identity verified by the link sent to the email on record",
        )
        # A portal request is told as received once it is confirmed: before that,
        # anyone could have typed in anyone's address.
        _receipt_once(actor=actor, request=current)
    return current


def subject_request_verify_by_staff(
    *, actor: Actor, request: SubjectRequest, customer: Customer, note: str, version: int
) -> SubjectRequest:
    """Staff verified the person themselves (by phone, in person, by a signed letter)."""
    reason_require(
        note,
        field="note",
        message=_("Say how the identity was verified (at least %(min)d characters)."),
    )
    with audited_transaction():
        current = _locked(request, version)
        if current.status != RequestStatus.AWAITING_VERIFICATION:
            raise ValidationError(_("The request has already been verified."))
        current.customer = customer
        current.verified_at = timezone.now()
        current.verification_method = VerificationMethod.STAFF
        current.verification_note = note.strip()
        current.status = RequestStatus.OPEN
        current.handled_by = actor.user
        version_bump(current)
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=customer,
            changed_fields=["status", "verified_at", "customer"],
            reason="identity verified by staff",
        )
        _receipt_once(actor=actor, request=current)
    return current


def subject_request_send_verification(*, actor: Actor, request: SubjectRequest) -> None:
    """Sends (again) the verification link to the email on record of the request's
    customer."""
    if request.customer is None or not request.customer.email:
        raise ValidationError(_("The request has no customer with an email on record."))
    if request.status != RequestStatus.AWAITING_VERIFICATION:
        raise ValidationError(_("The request has already been verified."))
    with audited_transaction():
        SubjectRequest.objects.filter(pk=request.pk).update(verification_sent_at=timezone.now())
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=request,
            customer=request.customer,
            changed_fields=["verification_sent_at"],
            reason="verification link sent",
        )
    verification_email_send(request, request.customer)


# Handling ---------------------------------------------------------------------------


def _locked(request: SubjectRequest, version: int | None) -> SubjectRequest:
    current = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    version_check(current, version)
    return current


def _require_open(request: SubjectRequest) -> None:
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("Only an open, verified request can be answered."))


def subject_request_extend(
    *,
    actor: Actor,
    request: SubjectRequest,
    reason: str,
    version: int | None = None,
    today: datetime.date | None = None,
) -> SubjectRequest:
    """Extends the deadline by two further months (GDPR art. 12(3)), once, within the
    first month, and emails the requester the reasons and the new deadline."""
    reason_require(
        reason,
        field="reason",
        message=_("Give the reason for the extension (at least %(min)d characters)."),
    )
    with audited_transaction():
        current = _locked(request, version)
        if current.status in (RequestStatus.COMPLETED, RequestStatus.REFUSED):
            raise ValidationError(_("The request is closed."))
        if current.extended_to is not None:
            raise ValidationError(_("The deadline has already been extended once."))
        # Art. 12(3): the person is told of an extension within a month of receipt.
        if (today or timezone.localdate()) > current.due_on:
            raise ValidationError(
                _("The first month has passed: the deadline can no longer be extended.")
            )
        received_on = timezone.localdate(current.received_at)
        current.extended_to = add_months(received_on, 1 + EXTENSION_MONTHS)
        current.extension_reason = reason.strip()
        version_bump(current)
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["extended_to", "extension_reason"],
            reason="deadline extended by two months",
        )
        _person_notify(actor=actor, request=current, kind=NoticeKind.EXTENSION)
    return current


def _close(
    *,
    actor: Actor,
    request: SubjectRequest,
    status: str,
    outcome: str,
    version: int | None,
    address: str | None = None,
) -> SubjectRequest:
    with audited_transaction():
        current = _locked(request, version)
        if status == RequestStatus.COMPLETED:
            _require_open(current)
        elif current.status in (RequestStatus.COMPLETED, RequestStatus.REFUSED):
            raise ValidationError(_("The request is closed."))
        current.status = status
        current.outcome = outcome.strip()
        current.closed_at = timezone.now()
        current.handled_by = actor.user
        version_bump(current)
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current.customer,
            changed_fields=["status", "outcome"],
            reason=f"request {status}",
        )
        if status == RequestStatus.REFUSED:
            _person_notify(actor=actor, request=current, kind=NoticeKind.REFUSAL)
        elif current.kind in COMPLETION_TOLD:
            # The recipients first: the person's message says how many were told.
            _recipients_notify(actor=actor, request=current)
            _person_notify(
                actor=actor, request=current, kind=NoticeKind.COMPLETION, address=address
            )
    return current


def subject_request_complete(
    *,
    actor: Actor,
    request: SubjectRequest,
    outcome: str,
    version: int | None = None,
    address: str | None = None,
) -> SubjectRequest:
    """Closes an answered request, with what was done. The completion of an erasure,
    rectification or restriction is emailed to the person and to each recipient the
    data was disclosed to (GDPR arts. 12(3) and 19). `address` is where to tell the
    person when the record no longer holds it: an erasure reads it first."""
    reason_require(
        outcome, field="outcome", message=_("Say what was done (at least %(min)d characters).")
    )
    return _close(
        actor=actor,
        request=request,
        status=RequestStatus.COMPLETED,
        outcome=outcome,
        version=version,
        address=address,
    )


def subject_request_refuse(
    *, actor: Actor, request: SubjectRequest, reason: str, version: int | None = None
) -> SubjectRequest:
    """Refuses a request, and emails the requester the reasons and their right to
    complain to the Data Protection Ombudsman and to seek a judicial remedy (GDPR
    art. 12(4))."""
    reason_require(
        reason,
        field="outcome",
        message=_("Give the reason for refusing (at least %(min)d characters)."),
    )
    return _close(
        actor=actor,
        request=request,
        status=RequestStatus.REFUSED,
        outcome=reason,
        version=version,
    )


def subject_request_object(
    *, actor: Actor, request: SubjectRequest, version: int | None = None
) -> SubjectRequest:
    """Carries out a verified objection to direct marketing: the ban is set."""
    with audited_transaction():
        current = _locked(request, version)
        _require_open(current)
        if current.kind != RequestKind.OBJECTION or current.customer is None:
            raise ValidationError(_("This is not an objection of a known customer."))
        marketing_object(
            actor=actor,
            customer=current.customer,
            source=ConsentSource.STAFF,
            language=current.customer.preferred_language,
        )
    return subject_request_complete(
        actor=actor, request=current, outcome="The direct marketing ban was set."
    )


# Telling the person and the recipients (arts. 12(3)-(4) and 19) --------------------------


def notice_address(request: SubjectRequest) -> str:
    """Where the person is told: the email on record, or for a request matched to no
    customer, the address the request came with (never one only typed in on the
    portal: anyone can type in anyone's)."""
    customer = request.customer
    if customer is not None:
        return "" if customer.status == CustomerStatus.ANONYMISED else customer.email
    return "" if request.received_via == ReceivedVia.PORTAL else request.requester_email


def _notice_queue(
    *,
    actor: Actor,
    request: SubjectRequest,
    kind: str,
    address: str,
    language: str,
    disclosure: Disclosure | None = None,
    address_erased: bool = False,
) -> RequestNotice:
    """Records a notice and queues its sending, in the caller's transaction: the step
    and its notice are kept together or not at all. Without an address the notice is
    recorded as such, for staff to tell the person (or recipient) another way. An
    address the register no longer keeps (`address_erased`) is not stored: the notice
    is sent once, when the transaction commits."""
    notice = RequestNotice.objects.create(
        subject_request=request,
        kind=kind,
        disclosure=disclosure,
        language=language,
        channel=CHANNEL_EMAIL if address else "",
        address="" if address_erased else address,
        subject=notice_subject(kind, language),
        status=NoticeStatus.PENDING if address else NoticeStatus.NO_ADDRESS,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=request,
        customer=request.customer,
        changed_fields=["notices"],
        reason=f"{what(notice)} queued for email"
        if address
        else f"{what(notice)}: no email address, to be told another way",
    )
    if address and address_erased:
        transaction.on_commit(
            functools.partial(request_notice_send_once, notice_id=notice.pk, address=address)
        )
    elif address:
        send_request_notice.enqueue(notice.pk, 1)
    return notice


def _person_notify(
    *, actor: Actor, request: SubjectRequest, kind: str, address: str | None = None
) -> None:
    """`address`: the address the person had, when the record no longer holds it."""
    _notice_queue(
        actor=actor,
        request=request,
        kind=kind,
        address=notice_address(request) if address is None else address,
        language=notice_language(request.language),
        address_erased=address is not None,
    )


def _receipt_once(*, actor: Actor, request: SubjectRequest) -> None:
    if request.status in (RequestStatus.COMPLETED, RequestStatus.REFUSED):
        return
    if request.notices.filter(kind=NoticeKind.RECEIPT).exists():
        return
    _person_notify(actor=actor, request=request, kind=NoticeKind.RECEIPT)


def _recipients_notify(*, actor: Actor, request: SubjectRequest) -> None:
    """Art. 19: each recipient the customer's data was disclosed to (the person
    themselves left out) is told of the rectification, erasure or restriction."""
    if request.customer is None:
        return
    disclosures = (
        Disclosure.objects.filter(customer=request.customer)
        .exclude(recipient_kind=RecipientKind.DATA_SUBJECT)
        .order_by("disclosed_at", "pk")
    )
    for disclosure in disclosures:
        _notice_queue(
            actor=actor,
            request=request,
            kind=NoticeKind.RECIPIENT,
            address=disclosure.recipient_email,
            language=RECIPIENT_LANGUAGE,
            disclosure=disclosure,
        )


# Unconfirmed portal requests ----------------------------------------------------------


def unconfirmed_portal_requests() -> QuerySet[SubjectRequest]:
    """Portal requests nobody has confirmed: anyone can make one for any email, so
    they stay off the board and out of the reminders until confirmed."""
    return SubjectRequest.objects.filter(
        received_via=ReceivedVia.PORTAL,
        status=RequestStatus.AWAITING_VERIFICATION,
        verified_at__isnull=True,
    )


def unconfirmed_requests_due(*, now: datetime.datetime | None = None) -> QuerySet[SubjectRequest]:
    """The unconfirmed portal requests older than REKISTERI_UNCONFIRMED_REQUEST_DAYS."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.UNCONFIRMED_REQUEST_DAYS)
    return unconfirmed_portal_requests().filter(received_at__lt=cutoff)


def unconfirmed_requests_expire(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Deletes the unconfirmed portal requests older than
    REKISTERI_UNCONFIRMED_REQUEST_DAYS, with one audit event for them all (a count,
    nothing personal); the retention run calls it. Returns how many were deleted."""
    with audited_transaction():
        # Again under the audit chain's lock: a request confirmed meanwhile stays.
        pks = list(unconfirmed_requests_due(now=now).values_list("pk", flat=True))
        if not pks:
            return 0
        SubjectRequest.objects.filter(pk__in=pks).delete()
        audit_record(
            actor=actor,
            action=Action.ERASE,
            object_type=SubjectRequest._meta.label_lower,
            object_id="unconfirmed",
            reason=(
                f"{len(pks)} portal requests deleted: unconfirmed for "
                f"{settings.UNCONFIRMED_REQUEST_DAYS} days"
            ),
        )
    return len(pks)


# Reminders --------------------------------------------------------------------------

REMIND_DAYS_BEFORE = 7


def requests_to_remind(*, today: datetime.date | None = None) -> list[SubjectRequest]:
    """Requests not closed whose deadline is within a week or past, not reminded today."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMIND_DAYS_BEFORE)
    open_requests = (
        SubjectRequest.objects.filter(
            status__in=[RequestStatus.AWAITING_VERIFICATION, RequestStatus.OPEN]
        )
        .exclude(pk__in=unconfirmed_portal_requests().values("pk"))
        .order_by("due_on", "pk")
    )
    return [
        request
        for request in open_requests
        if deadline(request) <= horizon
        and (request.reminded_at is None or timezone.localdate(request.reminded_at) < today)
    ]


def _reminder_item(request: SubjectRequest, today: datetime.date) -> dict[str, object]:
    left = days_left(request, today=today)
    return {"request": request, "left": max(left, 0), "overdue": max(-left, 0)}


def requests_remind(*, today: datetime.date | None = None) -> int:
    """Emails the privacy officers the requests due within a week or overdue (a
    scheduled job runs it daily); returns how many requests were in the reminder."""
    from rekisteri.accounts.models import User
    from rekisteri.accounts.roles import Role

    today = today or timezone.localdate()
    due = requests_to_remind(today=today)
    if not due:
        return 0
    officers = list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if officers:
        with translation.override("fi"):
            body = render_to_string(
                "privacy/email/reminder.txt",
                {
                    "requests": [_reminder_item(r, today) for r in due],
                    "board_url": settings.PUBLIC_URL + reverse("privacy:requests"),
                },
            )
            subject = str(_("Subject requests due: %(count)d")) % {"count": len(due)}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, officers)
    with audited_transaction():
        SubjectRequest.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=timezone.now())
        for request in due:
            audit_record(
                actor=Actor.system("request reminder"),
                action=Action.UPDATE,
                obj=request,
                customer=request.customer,
                changed_fields=["reminded_at"],
                reason=f"deadline reminder sent to {len(officers)} privacy officers",
            )
    return len(due)


def subject_request_deliver(*, actor: Actor, request: SubjectRequest) -> None:
    """Answers a verified access or portability request: a download link of the
    customer's own copy (for REKISTERI_ACCESS_COPY_DAYS days and
    REKISTERI_ACCESS_COPY_DOWNLOADS downloads) is emailed to the address on record.
    Each download is recorded as a disclosure to the data subject."""
    from rekisteri.privacy.access.disclosures import (
        access_delivery_create,
        access_delivery_url,
    )

    customer = request.customer
    if customer is None or not customer.email:
        raise ValidationError(_("The customer has no email on record: hand the copy over."))
    delivery = access_delivery_create(actor=actor, subject_request=request)
    with translation.override(language_of(request.language)):
        subject = str(_("Your data at %(business)s")) % {"business": settings.BUSINESS_NAME}
        body = render_to_string(
            "privacy/email/download_link.txt",
            {
                "url": access_delivery_url(delivery),
                "expires_at": delivery.expires_at,
                "downloads": delivery.downloads_allowed,
                "business_name": settings.BUSINESS_NAME,
            },
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
