"""Telling people about a subject request: the person who made it (its receipt, an
extension with its reasons, a refusal with its reasons and the right to complain, the
completion of an erasure, rectification or restriction: GDPR art. 12(3)-(4)) and the
recipients the data was disclosed to (art. 19).

The services write a `RequestNotice` in the transaction of the step that calls for it
(`services._notice_queue`) and queue its sending; the worker sends it here
(`tasks.send_request_notice`) and tries again later when the mail server fails
(`rekisteri.mail_retry`). The message is written when it is sent, in the language the
notice names, from the request as it then stands; the address is kept only until it is
sent or given up. An erasure's completion is the exception: the person's address is
not stored at all, and the message is sent once when the erasure commits
(`request_notice_send_once`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.mail_retry import MAIL_ATTEMPTS, mail_send_or_retry
from rekisteri.privacy.access.copy import DataCategory
from rekisteri.privacy.models import (
    NoticeKind,
    NoticeStatus,
    RequestKind,
    RequestNotice,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
    from django_tasks.base import Task

SENDER = "request notice sender"
CHANNEL_EMAIL = "email"
# Recipients of disclosures are Finnish authorities and businesses: they are written
# to in the company's language.
RECIPIENT_LANGUAGE = "fi"
NOTICE_LANGUAGES = ("fi", "sv", "en")
ERASED_ADDRESS_FAILED = "given up: an erased person's address is not kept to try again"

SUBJECTS: dict[str, StrOrPromise] = {
    NoticeKind.RECEIPT: _("We have received your request"),
    NoticeKind.EXTENSION: _("More time is needed to answer your request"),
    NoticeKind.REFUSAL: _("Answer to your request"),
    NoticeKind.COMPLETION: _("Your request has been carried out"),
    NoticeKind.RECIPIENT: _("Personal data disclosed to you has changed (GDPR art. 19)"),
}
TEMPLATES: dict[str, str] = {
    NoticeKind.RECEIPT: "privacy/email/request_receipt.txt",
    NoticeKind.EXTENSION: "privacy/email/request_extension.txt",
    NoticeKind.REFUSAL: "privacy/email/request_refusal.txt",
    NoticeKind.COMPLETION: "privacy/email/request_completion.txt",
    NoticeKind.RECIPIENT: "privacy/email/recipient_notice.txt",
}
# The kinds of request whose completion is told to the person and to the recipients
# (art. 19 covers arts. 16, 17(1) and 18).
COMPLETION_TOLD = (RequestKind.ERASURE, RequestKind.RECTIFICATION, RequestKind.RESTRICTION)


def notice_language(language: str) -> str:
    """The language a person is written to in: theirs when it is Finnish, Swedish or
    English, else Finnish."""
    return language if language in NOTICE_LANGUAGES else "fi"


def notice_subject(kind: str, language: str) -> str:
    with translation.override(language):
        return f"{SUBJECTS[kind]}: {settings.BUSINESS_NAME}"[:200]


def _context(notice: RequestNotice) -> dict[str, object]:
    request = notice.subject_request
    context: dict[str, object] = {
        "request": request,
        "kind": request.get_kind_display(),
        "reference": str(request.public_id),
        "received_on": timezone.localdate(request.received_at),
        "deadline": request.extended_to or request.due_on,
        "business_name": settings.BUSINESS_NAME,
        "recipients": request.notices.filter(kind=NoticeKind.RECIPIENT).count(),
    }
    disclosure = notice.disclosure
    if disclosure is not None:
        labels = dict(DataCategory.choices)
        context["disclosure"] = disclosure
        context["disclosed_on"] = timezone.localdate(disclosure.disclosed_at)
        context["categories"] = ", ".join(
            str(labels.get(category, category)) for category in disclosure.categories
        )
    return context


def request_notice_email(notice: RequestNotice, *, to: str) -> EmailMessage:
    """The message of a notice, in its language, to the address `to`."""
    with translation.override(notice.language):
        body = render_to_string(TEMPLATES[notice.kind], _context(notice))
    return EmailMessage(
        subject=notice.subject,
        body=body,
        from_email=f"{settings.BUSINESS_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _outcome(notice: RequestNotice, status: str, reason: str) -> None:
    """Saves what became of a notice, its address dropped, with its audit event."""
    RequestNotice.objects.filter(pk=notice.pk).update(
        status=status,
        address="",
        sent_at=timezone.now() if status == NoticeStatus.SENT else None,
    )
    audit_record(
        actor=Actor.system(SENDER),
        action=Action.UPDATE,
        obj=notice.subject_request,
        customer=notice.subject_request.customer,
        changed_fields=["notices"],
        reason=reason,
    )


def what(notice: RequestNotice) -> str:
    """How the audit trail names a notice: its kind and to whom, nothing personal."""
    if notice.kind == NoticeKind.RECIPIENT:
        return "art. 19 notice to a recipient"
    return f"{notice.kind} notice to the person"


def request_notice_deliver(
    *, notice_id: int, attempt: int = 1, retry: Task[[int, int], None]
) -> bool:
    """The worker's half of a notice: sends it by email and records that it was sent,
    or that it could not be (no address left: the person must be told another way).
    A failed send is recorded and `retry` (the task) queued again, up to MAIL_ATTEMPTS
    times; the last failure marks the notice failed for staff to see. Returns whether
    the email left."""
    notice = (
        RequestNotice.objects.select_related(
            "subject_request", "subject_request__customer", "disclosure"
        )
        .filter(pk=notice_id, status=NoticeStatus.PENDING)
        .first()
    )
    if notice is None:
        return False
    if not notice.address:
        # Erased meanwhile: the person asked for their address to go.
        with audited_transaction():
            _outcome(notice, NoticeStatus.NO_ADDRESS, f"{what(notice)}: no email address left")
        return False
    message = request_notice_email(notice, to=notice.address)

    def record_failure(reason: str) -> None:
        if attempt >= MAIL_ATTEMPTS:
            _outcome(notice, NoticeStatus.FAILED, reason)
            return
        audit_record(
            actor=Actor.system(SENDER),
            action=Action.UPDATE,
            obj=notice.subject_request,
            customer=notice.subject_request.customer,
            changed_fields=["notices"],
            reason=reason,
        )

    sent = mail_send_or_retry(
        message.send,
        what=what(notice),
        attempt=attempt,
        record_failure=record_failure,
        retry=retry,
        retry_args=(notice.pk,),
    )
    if sent:
        with audited_transaction():
            _outcome(notice, NoticeStatus.SENT, f"{what(notice)} sent by email")
    return sent


def request_notice_send_once(*, notice_id: int, address: str) -> bool:
    """Sends a notice to an address the register no longer keeps: an erasure's
    completion, told to the address the person had. It is tried once, right after the
    erasure has committed (the address lives in memory only); a failure is recorded
    for staff, who tell the person another way. Returns whether the email left."""
    notice = (
        RequestNotice.objects.select_related("subject_request", "subject_request__customer")
        .filter(pk=notice_id, status=NoticeStatus.PENDING)
        .first()
    )
    if notice is None:
        return False
    try:
        request_notice_email(notice, to=address).send()
    except Exception as error:
        with audited_transaction():
            _outcome(
                notice,
                NoticeStatus.FAILED,
                f"{what(notice)} email failed ({type(error).__name__}): {ERASED_ADDRESS_FAILED}",
            )
        return False
    with audited_transaction():
        _outcome(notice, NoticeStatus.SENT, f"{what(notice)} sent by email")
    return True
