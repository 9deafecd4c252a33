from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rekisteri.accounts.pledge import PLEDGE_VERSION
from rekisteri.audit.models import Action


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in staff member unless marked @login_not_required."""


SESSION_RENEWED_AT = "rekisteri_renewed_at"
# The idle time restarts at most once a minute: renewing on every request would
# write the session row on every page view (and on SQLite take the write lock).
SESSION_RENEW_SECONDS = 60


class SessionLimitsMiddleware:
    """Ends a session 12 hours after sign-in however active it is, and renews the
    30-minute idle time (the session's age) when the staff member is active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from rekisteri.accounts.services import SESSION_LOGIN_AT, staff_logout

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
        return self.get_response(request)


PLEDGE_FREE_VIEWS = {"accounts:pledge", "accounts:logout", "set_language"}
PLEDGE_SESSION_KEY = "rekisteri_pledge_version"


def _view_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def _pledge_url(request: HttpRequest) -> str:
    """The pledge page, returning afterwards to the page that was asked for (a GET)."""
    url = reverse("accounts:pledge")
    if request.method == "GET" and request.get_full_path() != "/":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


class ConfidentialityPledgeMiddleware:
    """A staff member who has not accepted the current pledge sees only the pledge."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from rekisteri.accounts.services import has_accepted_pledge

        user = request.user
        if user.is_authenticated and request.session.get(PLEDGE_SESSION_KEY) != PLEDGE_VERSION:
            if has_accepted_pledge(user):
                request.session[PLEDGE_SESSION_KEY] = PLEDGE_VERSION
            elif _view_name(request) not in PLEDGE_FREE_VIEWS:
                return redirect(_pledge_url(request))
        return self.get_response(request)


TWO_FACTOR_FREE_VIEWS = {"accounts:two_factor", "accounts:logout", "set_language"}
TWO_FACTOR_CHECKED_AT = "rekisteri_two_factor_checked_at"
# A session that needs no second factor is checked again at most once a minute, so
# that a page view costs no extra queries; a new role that needs one applies within it.
TWO_FACTOR_CHECK_SECONDS = 60


class TwoFactorMiddleware:
    """A staff member whose role needs two-factor sign-in sets it up before anything
    else; a session that was not confirmed with the code its account has is ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from rekisteri.accounts import twofactor
        from rekisteri.accounts.services import staff_logout

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
                        return redirect("accounts:two_factor")
                else:
                    request.session[TWO_FACTOR_CHECKED_AT] = now
        return self.get_response(request)
