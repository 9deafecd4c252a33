"""The signed tokens of emailed links: a subject request's verification, the portal's
consent page, an access copy's download and a campaign message's unsubscribe.

A token is the public id of one row, signed with the project's secret key and a salt
of its own kind, so that no one can make one up and a token of one kind opens nothing
of another. A kind that expires carries the time of signing in its token. Changing a
kind's salt or a token's shape breaks every link already sent.

No database: the caller looks the id up.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

TOKEN_PARAMETER = "t"  # noqa: S105 - the name of a query parameter, not a secret


@dataclass(frozen=True)
class TokenKind:
    """The tokens of one kind of link. With `max_age`, a token is refused once it is
    older; without, it lives as long as what it names."""

    salt: str
    max_age: datetime.timedelta | None = None

    def sign(self, public_id: uuid.UUID) -> str:
        if self.max_age is None:
            return signing.Signer(salt=self.salt).sign(public_id.hex)
        return signing.TimestampSigner(salt=self.salt).sign(public_id.hex)

    def unsign(self, token: str) -> uuid.UUID | None:
        """The id a token was made for; None for a forged, damaged or expired one."""
        try:
            if self.max_age is None:
                value = signing.Signer(salt=self.salt).unsign(token)
            else:
                value = signing.TimestampSigner(salt=self.salt).unsign(token, max_age=self.max_age)
            return uuid.UUID(hex=value)
        except (signing.BadSignature, ValueError):
            return None


def link_with_token(path: str, token: str) -> str:
    """The public address of `path` with `token` in the query string: the access logs
    of `rekisteri serve` and of the nginx in deploy/ drop query strings, so the token
    reaches no log. The page then posts the token back in a form's body."""
    return f"{settings.PUBLIC_URL}{path}?{urlencode({TOKEN_PARAMETER: token}, safe=':')}"
