"""The opaque per-recipient unsubscribe token: the signed random id of one campaign
message. It names no person; the signature stops anyone from making one up."""

from __future__ import annotations

from django.urls import reverse

from rekisteri.marketing.models import CampaignMessage
from rekisteri.tokens import TokenKind, link_with_token

# No max age: an unsubscribe link works as long as its message is kept.
UNSUBSCRIBE_TOKENS = TokenKind(salt="rekisteri.marketing.unsubscribe")


def unsubscribe_token(message: CampaignMessage) -> str:
    return UNSUBSCRIBE_TOKENS.sign(message.public_id)


def message_for_token(token: str) -> CampaignMessage | None:
    """The campaign message a token was made for; None for a forged or damaged one."""
    public_id = UNSUBSCRIBE_TOKENS.unsign(token)
    if public_id is None:
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
