"""A subject request's verification link, emailed to the email on record, never to an
address only typed in: by the worker for a portal request
(`requests.tasks.send_request_verification`, queued by `services.subject_request_submit`),
and at once when staff send it again (`services.subject_request_send_verification`).
The link carries a signed token in its query string, which no access log keeps; a send
of the worker's that fails is tried again later (`rekisteri.mail_retry`)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Status
from rekisteri.languages import customer_language
from rekisteri.mail_retry import mail_send_or_retry
from rekisteri.privacy.models import ReceivedVia, RequestStatus, SubjectRequest
from rekisteri.tokens import TokenKind, link_with_token

if TYPE_CHECKING:
    from django_tasks.base import Task

VERIFY_MAX_AGE = datetime.timedelta(hours=24)
VERIFICATION_TOKENS = TokenKind(salt="rekisteri.privacy.verify", max_age=VERIFY_MAX_AGE)


def language_of(language: str) -> str:
    """The language a requester is written to in: Finnish, Swedish or English."""
    return customer_language(language)


def verification_token(request: SubjectRequest) -> str:
    return VERIFICATION_TOKENS.sign(request.public_id)


def verification_url(request: SubjectRequest) -> str:
    return link_with_token(reverse("portal:verify"), verification_token(request))


def verification_email_send(request: SubjectRequest, customer: Customer) -> None:
    """The link goes to the email on record, never to an address only typed in."""
    with translation.override(language_of(request.language)):
        context = {
            "request": request,
            "url": verification_url(request),
            "hours": int(VERIFY_MAX_AGE.total_seconds() // 3600),
            "business_name": settings.BUSINESS_NAME,
        }
        subject = str(_("Confirm your request to %(business)s")) % {
            "business": settings.BUSINESS_NAME
        }
        body = render_to_string("privacy/email/verify.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])


def _customer_on_record(email: str) -> Customer | None:
    return (
        Customer.objects.filter(email=email)
        .exclude(status=Status.ANONYMISED)
        .exclude(email="")
        .order_by("customer_number")
        .first()
    )


def subject_request_verification_send(
    *, request_id: int, attempt: int = 1, retry: Task[[int, int], None]
) -> bool:
    """The worker's half of a portal request: when a customer has the request's email
    on record, the request is linked to them and the verification link is sent to
    that address. A failed send is recorded and `retry` (the task) queued again, up to
    MAIL_ATTEMPTS times. Returns whether a link was sent."""
    request = SubjectRequest.objects.filter(
        pk=request_id,
        received_via=ReceivedVia.PORTAL,
        status=RequestStatus.AWAITING_VERIFICATION,
    ).first()
    if request is None:
        return False
    customer = request.customer or _customer_on_record(request.requester_email)
    if customer is None:
        return False
    actor = Actor.system("portal verification")
    with audited_transaction():
        changed = ["verification_sent_at"]
        if request.customer_id is None:
            changed.insert(0, "customer")
        SubjectRequest.objects.filter(pk=request.pk).update(
            customer=customer, verification_sent_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=request,
            customer=customer,
            changed_fields=changed,
            reason="verification link sent to the email on record",
        )
    request.customer = customer

    def record_failure(reason: str) -> None:
        SubjectRequest.objects.filter(pk=request.pk).update(verification_sent_at=None)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=request,
            customer=customer,
            changed_fields=["verification_sent_at"],
            reason=reason,
        )

    return mail_send_or_retry(
        lambda: verification_email_send(request, customer),
        what="verification",
        attempt=attempt,
        record_failure=record_failure,
        retry=retry,
        retry_args=(request.pk,),
    )
