"""The consent page's link, emailed by the worker (`portal.tasks.send_consent_link`,
queued by `portal.services.consent_link_request`) to the customer's email on record.
The link carries a signed token in its query string, which no access log keeps; a
send that fails is tried again later (`rekisteri.mail_retry`)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record
from rekisteri.customers.models import Customer, Status
from rekisteri.languages import customer_language
from rekisteri.mail_retry import mail_send_or_retry
from rekisteri.tokens import TokenKind, link_with_token

if TYPE_CHECKING:
    from django_tasks.base import Task

CONSENT_LINK_MAX_AGE = datetime.timedelta(hours=24)
CONSENT_TOKENS = TokenKind(salt="rekisteri.portal.consents", max_age=CONSENT_LINK_MAX_AGE)


def consent_token(customer: Customer) -> str:
    return CONSENT_TOKENS.sign(customer.public_id)


def consent_link_url(customer: Customer) -> str:
    return link_with_token(reverse("portal:consents"), consent_token(customer))


def _send(customer: Customer) -> None:
    with translation.override(customer_language(customer.preferred_language)):
        subject = _("Your marketing choices at %(business)s") % {"business": settings.BUSINESS_NAME}
        body = render_to_string(
            "portal/email/consent_link.txt",
            {
                "url": consent_link_url(customer),
                "business_name": settings.BUSINESS_NAME,
                "hours": int(CONSENT_LINK_MAX_AGE.total_seconds() // 3600),
            },
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])


def consent_link_send(
    *, customer_id: int | None, attempt: int = 1, retry: Task[[int | None, int], None]
) -> bool:
    """The worker sends the consent page's link to the customer's email on record. A
    failed send is recorded and `retry` (the task) queued again, up to MAIL_ATTEMPTS
    times. Returns whether a link was sent."""
    customer = (
        Customer.objects.filter(pk=customer_id).exclude(status=Status.ANONYMISED).first()
        if customer_id is not None
        else None
    )
    if customer is None or not customer.email:
        return False

    def record_failure(reason: str) -> None:
        audit_record(
            actor=Actor.system("portal consent link"),
            action=Action.UPDATE,
            obj=customer,
            customer=customer,
            reason=reason,
        )

    return mail_send_or_retry(
        lambda: _send(customer),
        what="consent link",
        attempt=attempt,
        record_failure=record_failure,
        retry=retry,
        retry_args=(customer.pk,),
    )
