"""Two-factor sign-in as a person goes through it: the pages' addresses, the key the
set-up page shows and a staff member who has set up an authenticator."""

from __future__ import annotations

import base64
import re

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import Authenticator, User
from rekisteri.testing.auth import english_client
from rekisteri.testing.factories import PASSWORD, make_staff

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
SETUP = "/accounts/two-factor/"
CUSTOMERS = "/customers/"


# A code once used cannot be used again, so a second sign-in within the same 30 seconds
# takes the next step's code (steps_ahead=1).
current_code = twofactor.current_code


def shown_key(user: User, page: bytes) -> twofactor.Enrollment:
    """The key the set-up page shows, as the person types it into their app."""
    found = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page.decode())
    assert found is not None
    text = found.group(1).replace(" ", "")
    return twofactor.Enrollment(user=user, bin_key=base64.b32decode(text + "=" * (-len(text) % 8)))


def enrolled(role: str | None) -> tuple[User, Authenticator, list[str]]:
    """A staff member who has set up an authenticator and holds recovery codes."""
    user = make_staff(role)
    client = english_client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    key = shown_key(user, client.get(SETUP).content)
    response = client.post(SETUP, {"code": current_code(key)})
    assert response.status_code == 200
    device = Authenticator.objects.get(user=user)
    return user, device, re.findall(r"<code>([a-z2-7-]{19})</code>", response.content.decode())
