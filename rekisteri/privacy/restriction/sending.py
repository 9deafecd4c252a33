"""The email that tells a person, before it happens, that the restriction of the
processing of their data is lifted (GDPR art. 18(3)). It is sent in the request that
lifts the restriction, to the address on record, in the person's language: the lift
waits for it, and a send that fails lifts nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rekisteri.customers.models import Customer
from rekisteri.languages import CUSTOMER_LANGUAGES, LANGUAGE_PARAMETER


def restriction_lift_tell(customer: Customer) -> None:
    """Emails the customer that their restriction is lifted; raises what the mail
    server raised when it could not be sent."""
    language = (
        customer.preferred_language if customer.preferred_language in CUSTOMER_LANGUAGES else "fi"
    )
    with translation.override(language):
        subject = _("The restriction of the processing of your data at %(business)s ends") % {
            "business": settings.BUSINESS_NAME
        }
        body = render_to_string(
            "privacy/email/restriction_lifted.txt",
            {
                "business_name": settings.BUSINESS_NAME,
                "notice_url": f"{settings.PUBLIC_URL}{reverse('privacy_notice')}"
                f"?{LANGUAGE_PARAMETER}={language}",
            },
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
