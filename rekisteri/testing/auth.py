"""Test clients in English, and signed in with a session as the sign-in pages leave it."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import User
from rekisteri.accounts.session_keys import (
    SESSION_AUTH_AT,
    SESSION_LOGIN_AT,
    TWO_FACTOR_CHECKED_AT,
)


def english_client() -> Client:
    """Pages in English, the source language, so tests read the words the code says.
    Finnish, the default, is tested where it matters by asking for it."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def sign_in(
    user: User, client: Client | None = None, *, confirmed_at: float | None = None
) -> Client:
    """`client` (a new English one by default) signed in as `user`: the login time set,
    the password just given (or at `confirmed_at`), and, where the user's role needs
    two-factor sign-in, an authenticator set up and the session verified with it."""
    if client is None:
        client = english_client()
    client.force_login(user)
    session = client.session
    now = timezone.now().timestamp()
    session[SESSION_LOGIN_AT] = now
    session[SESSION_AUTH_AT] = now if confirmed_at is None else confirmed_at
    if twofactor.is_required(user) or twofactor.is_enrolled(user):
        device = twofactor.authenticator(user)
        if device is None:
            device = twofactor.authenticator_install(user=user)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    else:
        session[TWO_FACTOR_CHECKED_AT] = now
    session.save()
    return client
