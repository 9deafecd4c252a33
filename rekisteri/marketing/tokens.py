"""The opaque per-recipient unsubscribe token: the signed random id of one campaign
message. It names no person; the signature stops anyone from making one up."""

from __future__ import annotations

import uuid

from django.core import signing
from django.urls import reverse

from rekisteri.marketing.models import CampaignMessage
from rekisteri.privacy.requests.services import link_with_token

SALT = "rekisteri.marketing.unsubscribe"


def unsubscribe_token(message: CampaignMessage) -> str:
    return signing.Signer(salt=SALT).sign(message.public_id.hex)


def message_for_token(token: str) -> CampaignMessage | None:
    """The campaign message a token was made for; None for a forged or damaged one."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
        public_id = uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError):
        return None
    return (
        CampaignMessage.objects.select_related("campaign", "customer")
        .filter(public_id=public_id)
        .first()
    )


def unsubscribe_url(token: str) -> str:
    """The token in the query string: the access logs of `rekisteri serve` and of the
    nginx in deploy/ drop query strings. Mail clients POST the one-click unsubscribe to
    this same URL, so the token cannot move into a form's body."""
    return link_with_token(reverse("unsubscribe"), token)
