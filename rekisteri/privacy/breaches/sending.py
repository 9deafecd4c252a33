"""Sending a breach's notice to the people affected (GDPR art. 34), in the background
(`breaches.tasks.send_breach_notices`, queued by `breaches.services.breach_notices_send`).

Each notice is claimed (its `notified_at` set while still pending) before it is sent, so
two senders never send one twice, and its outcome is saved per recipient as soon as it
is known. A notice whose sender died stays claimed until the next send takes it over
(`breaches.services.CLAIM_TIMEOUT`)."""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Status
from rekisteri.languages import customer_language
from rekisteri.privacy.access.article15 import article15_information
from rekisteri.privacy.models import Breach, BreachNoticeStatus, BreachSubject

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

SEND_BATCH = 20
SENDER = "breach notice sender"
# BreachSubject.detail of a notice not sent because the customer has been erased.
ANONYMISED = "anonymised"


def unclaimed_notices(breach: Breach) -> QuerySet[BreachSubject]:
    """The notices waiting for a sender: pending, and claimed by none."""
    return BreachSubject.objects.filter(
        breach=breach, notice_status=BreachNoticeStatus.PENDING, notified_at__isnull=True
    )


def notice_language(customer: Customer) -> str:
    """The language of the notice's frame: the customer's own, Finnish, Swedish or
    English."""
    return customer_language(customer.preferred_language)


def contact_lines(language: str) -> list[str]:
    """Who to contact about the breach (art. 34(2) with art. 33(3)(b)): the
    controller's lines of the information given with a customer's own copy."""
    for section in article15_information(language if language in ("sv", "en") else "fi"):
        items = section["items"]
        if section["key"] == "controller" and isinstance(items, list):
            return [str(line) for line in items]
    return []


def breach_notice_email(
    *, breach: Breach, customer: Customer, connection: BaseEmailBackend | None = None
) -> EmailMessage:
    """The notice to one person: the staff's text as written, framed in the person's
    language with the business's name and contact details."""
    language = notice_language(customer)
    with translation.override(language):
        body = render_to_string(
            "privacy/email/breach_notice.txt",
            {
                "notice_body": breach.notice_body,
                "business_name": settings.BUSINESS_NAME,
                "contact_lines": contact_lines(language),
            },
        )
    return EmailMessage(
        subject=breach.notice_subject,
        body=body,
        from_email=f"{settings.BUSINESS_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[customer.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=connection,
    )


def _outcome(subject: BreachSubject, status: str, detail: str = "") -> str:
    BreachSubject.objects.filter(pk=subject.pk).update(
        notice_status=status, notified_at=timezone.now(), detail=detail
    )
    return status


def _notify(breach: Breach, subject: BreachSubject, connection: BaseEmailBackend) -> str:
    """Sends one claimed notice and saves its outcome, checked at send time."""
    customer = subject.customer
    if customer.status == Status.ANONYMISED:
        return _outcome(subject, BreachNoticeStatus.NO_EMAIL, ANONYMISED)
    if not customer.email:
        return _outcome(subject, BreachNoticeStatus.NO_EMAIL)
    try:
        breach_notice_email(breach=breach, customer=customer, connection=connection).send()
    except (smtplib.SMTPException, OSError) as error:
        # The kind of failure only: an SMTP answer may quote the address.
        return _outcome(subject, BreachNoticeStatus.FAILED, type(error).__name__)
    return _outcome(subject, BreachNoticeStatus.SENT)


def _claim_batch(breach_id: int) -> tuple[Breach, list[BreachSubject]] | None:
    """Claims the next notices to send, with the notice read under the breach's lock:
    the text is fixed from the claim on (`breach_notice_update` takes the same lock),
    so what is sent is what the breach keeps. A second sender waits for the lock and
    then claims other notices. None when nothing is left to send, or the breach no
    longer calls for a notice."""
    with transaction.atomic():
        breach = Breach.objects.select_for_update().filter(pk=breach_id).first()
        if breach is None or not (
            breach.people_must_be_told and breach.notice_subject and breach.notice_body
        ):
            return None
        batch = list(
            unclaimed_notices(breach).select_related("customer").order_by("pk")[:SEND_BATCH]
        )
        unclaimed_notices(breach).filter(pk__in=[subject.pk for subject in batch]).update(
            notified_at=timezone.now()
        )
    return (breach, batch) if batch else None


def breach_notices_deliver(*, breach_id: int) -> Counter[str]:
    """Emails the notice to each person affected who is waiting for it (the
    background task), and returns the outcomes counted. Each notice is claimed before
    it is sent, so two senders never send one twice, and its outcome is saved as soon
    as it is known."""
    counts: Counter[str] = Counter()
    breach = None
    connection = get_connection()
    try:
        while claimed := _claim_batch(breach_id):
            breach, batch = claimed
            for index, subject in enumerate(batch):
                try:
                    counts[_notify(breach, subject, connection)] += 1
                except Exception:
                    # Unexpected: the notices not yet sent wait for the next send.
                    _unclaimed_again(batch[index:])
                    raise
    finally:
        connection.close()
    if breach is not None:
        summary = (
            f"breach notices: {counts[BreachNoticeStatus.SENT]} sent, "
            f"{counts[BreachNoticeStatus.NO_EMAIL]} without an email address, "
            f"{counts[BreachNoticeStatus.FAILED]} failed"
        )
        with audited_transaction():
            audit_record(
                actor=Actor.system(SENDER),
                action=Action.UPDATE,
                obj=breach,
                changed_fields=["subjects"],
                reason=summary,
            )
        logger.info("breach %s: %s", breach.pk, summary)
    return counts


def _unclaimed_again(subjects: Sequence[BreachSubject]) -> None:
    BreachSubject.objects.filter(
        pk__in=[subject.pk for subject in subjects], notice_status=BreachNoticeStatus.PENDING
    ).update(notified_at=None)
