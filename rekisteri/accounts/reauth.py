"""Re-authentication: exports, erasure, revealing an identity code and role changes ask
for the password or an authenticator code again when the last one was given more than
settings.REAUTH_SECONDS ago (signing in counts). This is the views' side; the session's
note of when is kept by `staff_sessions`, which the sign-in services write."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from rekisteri.accounts.staff_sessions import is_recently_authenticated


def _return_url(request: HttpRequest) -> str:
    """Where to come back to: the page itself for a GET; for a POST the page the form
    was on (its data cannot be carried through the confirmation)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(referer)
    return resolve_url("home")


def require_recent_authentication(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Sends a staff member whose last password or code is too old to confirm it is
    them; put it under @require_permission, so those without the right see 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if is_recently_authenticated(request):
            return view(request, *args, **kwargs)
        url = f"{reverse('accounts:reauthenticate')}?{urlencode({'next': _return_url(request)})}"
        if request.method != "GET":
            messages.info(request, _("Confirm it is you, then do it again."))
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)

    return wrapper
