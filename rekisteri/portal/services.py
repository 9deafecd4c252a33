"""The portal's emailed link to a customer's own marketing choices. The link carries a
signed token in its query string, which no access log keeps (the gunicorn and nginx
log formats drop query strings); the page posts the token back in the form's body."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer, Status
from rekisteri.portal.tasks import send_consent_link
from rekisteri.privacy.requests.services import (
    MAIL_ATTEMPTS,
    link_with_token,
    mail_failure_reason,
    mail_retry_delay,
    portal_attempt,
)

CONSENT_SALT = "rekisteri.portal.consents"
CONSENT_LINK_MAX_AGE = datetime.timedelta(hours=24)


def consent_token(customer: Customer) -> str:
    return signing.TimestampSigner(salt=CONSENT_SALT).sign(customer.public_id.hex)


def customer_for_consent_token(token: str) -> Customer | None:
    try:
        value = signing.TimestampSigner(salt=CONSENT_SALT).unsign(
            token, max_age=CONSENT_LINK_MAX_AGE
        )
        public_id = uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError):
        return None
    return Customer.objects.filter(public_id=public_id).exclude(status=Status.ANONYMISED).first()


def consent_link_url(customer: Customer) -> str:
    return link_with_token(reverse("portal:consents"), consent_token(customer))


def consent_link_request(*, email: str, ip_address: str | None) -> None:
    """Someone asked for the consent page's link for `email` (normalised). The same
    work whether or not the address is on record: the customer (or no one) is looked
    up and a task is queued; the worker sends the link (`consent_link_send`).
    RateLimited when the address has asked too often."""
    portal_attempt(action="consent_link", ip_address=ip_address, email=email)
    customer = (
        Customer.objects.filter(email=email)
        .exclude(status=Status.ANONYMISED)
        .exclude(email="")
        .order_by("customer_number")
        .first()
    )
    send_consent_link.enqueue(customer.pk if customer else None, 1)


def _send(customer: Customer) -> None:
    language = "en" if customer.preferred_language == "en" else "fi"
    with translation.override(language):
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


def consent_link_send(*, customer_id: int | None, attempt: int = 1) -> bool:
    """The worker sends the consent page's link to the customer's email on record. A
    failed send is recorded and queued again, up to MAIL_ATTEMPTS times. Returns
    whether a link was sent."""
    customer = (
        Customer.objects.filter(pk=customer_id).exclude(status=Status.ANONYMISED).first()
        if customer_id is not None
        else None
    )
    if customer is None or not customer.email:
        return False
    try:
        _send(customer)
    except Exception as error:
        with audited_transaction():
            audit_record(
                actor=Actor.system("portal consent link"),
                action=Action.UPDATE,
                obj=customer,
                customer=customer,
                reason=mail_failure_reason("consent link", error, attempt),
            )
            if attempt < MAIL_ATTEMPTS:
                send_consent_link.using(
                    run_after=timezone.now() + mail_retry_delay(attempt)
                ).enqueue(customer.pk, attempt + 1)
        return False
    return True
