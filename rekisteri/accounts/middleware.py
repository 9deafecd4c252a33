from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from rekisteri.accounts import twofactor
from rekisteri.accounts.pledge import PLEDGE_VERSION
from rekisteri.accounts.services import has_accepted_pledge, staff_logout
from rekisteri.accounts.session_keys import (
    PLEDGE_SESSION_KEY,
    SESSION_LOGIN_AT,
    SESSION_RENEW_SECONDS,
    SESSION_RENEWED_AT,
    TWO_FACTOR_CHECK_SECONDS,
    TWO_FACTOR_CHECKED_AT,
)
from rekisteri.accounts.staff_sessions import session_seen
from rekisteri.audit.models import Action


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in staff member unless marked @login_not_required."""


class SessionLimitsMiddleware:
    """Ends a session 12 hours after sign-in however active it is, and renews the
    30-minute idle time (the session's age) when the staff member is active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            now = timezone.now().timestamp()
            if login_at is None or now - float(login_at) > settings.SESSION_ABSOLUTE_SECONDS:
                staff_logout(request=request, action=Action.SESSION_EXPIRED)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect(settings.LOGIN_URL)
            renewed_at = float(request.session.get(SESSION_RENEWED_AT, 0))
            if now - renewed_at >= SESSION_RENEW_SECONDS:
                request.session[SESSION_RENEWED_AT] = now  # saved with a fresh expiry
                session_seen(request)  # "last active" on the staff member's sessions page
        return self.get_response(request)


# The first-day steps, in the order a staff member takes them before any other page:
# each step's middleware lets through its own pages and those of the steps before it,
# so finishing one step leads to the next and then to the page first asked for.
FIRST_DAY_STEPS: list[tuple[str, frozenset[str]]] = [
    ("password", frozenset({"accounts:password_change"})),
    ("two_factor", frozenset({"accounts:two_factor", "accounts:recovery_codes"})),
    ("pledge", frozenset({"accounts:pledge"})),
]
ALWAYS_OPEN_VIEWS = frozenset({"accounts:logout", "set_language"})
FIRST_DAY_VIEWS = frozenset().union(*(views for _name, views in FIRST_DAY_STEPS))


def _open_during(step: str) -> frozenset[str]:
    """The pages open while `step` is still to be done."""
    names = [name for name, _views in FIRST_DAY_STEPS]
    earlier = FIRST_DAY_STEPS[: names.index(step) + 1]
    return ALWAYS_OPEN_VIEWS.union(*(views for _name, views in earlier))


PLEDGE_FREE_VIEWS = _open_during("pledge")


def _view_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def _step_url(view_name: str, request: HttpRequest) -> str:
    """A first-day step's page, returning afterwards to the page asked for: a GET's own
    address, or the `next` a step's page carries on to the following step."""
    url = reverse(view_name)
    if request.method == "GET" and _view_name(request) not in FIRST_DAY_VIEWS:
        target = request.get_full_path()
    else:
        target = request.GET.get("next", "")
    same_site = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if target and target != "/" and same_site:
        url += "?" + urlencode({"next": target})
    return url


PASSWORD_FREE_VIEWS = _open_during("password")


class PasswordChangeMiddleware:
    """A staff member whose password someone else chose (a new account, a reset)
    changes it before anything else, so that only they know it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and _view_name(request) not in PASSWORD_FREE_VIEWS
        ):
            return redirect(_step_url("accounts:password_change", request))
        return self.get_response(request)


class ConfidentialityPledgeMiddleware:
    """A staff member who has not accepted the current pledge sees only the pledge."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and request.session.get(PLEDGE_SESSION_KEY) != PLEDGE_VERSION:
            if has_accepted_pledge(user):
                request.session[PLEDGE_SESSION_KEY] = PLEDGE_VERSION
            elif _view_name(request) not in PLEDGE_FREE_VIEWS:
                return redirect(_step_url("accounts:pledge", request))
        return self.get_response(request)


TWO_FACTOR_FREE_VIEWS = _open_during("two_factor")


class TwoFactorMiddleware:
    """A staff member whose role needs two-factor sign-in sets it up before anything
    else; a session that was not confirmed with the code its account has is ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not twofactor.is_verified(request):
            now = timezone.now().timestamp()
            checked_at = float(request.session.get(TWO_FACTOR_CHECKED_AT, 0))
            if now - checked_at >= TWO_FACTOR_CHECK_SECONDS:
                if twofactor.is_enrolled(user):
                    staff_logout(request=request, action=Action.SESSION_EXPIRED)
                    messages.info(request, _("Sign in again with your authenticator code."))
                    return redirect(settings.LOGIN_URL)
                if twofactor.is_required(user):
                    request.session.pop(TWO_FACTOR_CHECKED_AT, None)
                    if _view_name(request) not in TWO_FACTOR_FREE_VIEWS:
                        return redirect(_step_url("accounts:two_factor", request))
                else:
                    request.session[TWO_FACTOR_CHECKED_AT] = now
        return self.get_response(request)
