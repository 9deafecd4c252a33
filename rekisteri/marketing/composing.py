"""The messages of a campaign, one per recipient: the campaign's words, then the
opt-out in the recipient's language with their own unsubscribe link (917/2014 § 200
and P11: an easy, free opt-out in every message)."""

from __future__ import annotations

from email.utils import make_msgid
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from rekisteri.customers.models import Customer
from rekisteri.languages import customer_language
from rekisteri.marketing.models import Campaign, CampaignMessage
from rekisteri.marketing.sms import SmsMessage
from rekisteri.marketing.tokens import unsubscribe_token, unsubscribe_url


def message_language(customer: Customer) -> str:
    """The language of the opt-out: the customer's own, Finnish, Swedish or English."""
    return customer_language(customer.preferred_language)


def _footer(campaign: Campaign) -> dict[str, str]:
    business = settings.BUSINESS_NAME
    if campaign.existing_customer_exception:
        why = _("You receive this message because you have bought from %(business)s.")
    else:
        why = _("You receive this message because you allowed %(business)s to send you offers.")
    return {
        "why": why % {"business": business},
        "stop": _("To stop receiving marketing from %(business)s, open this link:")
        % {"business": business},
        "free": _("Unsubscribing is free and takes effect at once."),
    }


def campaign_email(
    *, campaign: Campaign, message: CampaignMessage, customer: Customer
) -> EmailMultiAlternatives:
    """The email for one recipient, plain text and HTML, with RFC 2369 and RFC 8058
    unsubscribe headers: a one-click URL and a mailto."""
    token = unsubscribe_token(message)
    url = unsubscribe_url(token)
    with translation.override(message_language(customer)):
        footer = _footer(campaign)
        context = {"campaign": campaign, "footer": footer, "unsubscribe_url": url}
        text = render_to_string("marketing/email/campaign.txt", context)
        html = render_to_string("marketing/email/campaign.html", context)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    mailto = f"mailto:{settings.UNSUBSCRIBE_EMAIL}?subject={quote('unsubscribe ' + token)}"
    email = EmailMultiAlternatives(
        subject=campaign.subject,
        body=text,
        from_email=f"{settings.BUSINESS_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[customer.email],
        headers={
            "List-Unsubscribe": f"<{url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": make_msgid(idstring=message.public_id.hex[:16], domain=domain),
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def sms_opt_out(customer: Customer, url: str) -> str:
    with translation.override(message_language(customer)):
        return _("Stop marketing messages: %(url)s") % {"url": url}


def campaign_sms(*, campaign: Campaign, message: CampaignMessage, customer: Customer) -> SmsMessage:
    """The text message for one recipient: the campaign's words and the opt-out line."""
    url = unsubscribe_url(unsubscribe_token(message))
    return SmsMessage(
        to=customer.phone,
        body=f"{campaign.body.strip()}\n{sms_opt_out(customer, url)}",
        reference=message.public_id.hex,
    )
