from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from rekisteri.accounts import selectors, services
from rekisteri.accounts.access import require_permission
from rekisteri.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PledgeForm,
    StaffCreateForm,
    StaffEditForm,
)
from rekisteri.accounts.models import User
from rekisteri.accounts.pledge import PLEDGE_TEXTS, PLEDGE_VERSION, pledge_text
from rekisteri.audit.services import Actor

MANAGE_STAFF = "accounts.manage_staff"
LOCKED_OUT_REASON = "locked out"


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url("home")


def _is_locked_out(request: HttpRequest, username: str) -> bool:
    # Asked before authenticate(): axes would count an attempt during the lockout
    # as a new failure, restart the cool-off and signal (and so audit) a new lockout.
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


@login_not_required
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(_posted(request))
    if form.is_valid():
        username = form.cleaned_data["username"]
        if _is_locked_out(request, username):
            services.staff_login_failed(
                request=request, username=username, reason=LOCKED_OUT_REASON
            )
            response: HttpResponse = get_lockout_response(request, None, {"username": username})
            return response
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(user, User):
            services.staff_login(request=request, user=user)
            return redirect(next_url)
        services.staff_login_failed(request=request, username=username)
        form.add_error(None, _("Incorrect username or password."))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    services.staff_logout(request=request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:login")


def _pledge_language() -> str:
    language = (get_language() or "").split("-")[0]
    return language if language in PLEDGE_TEXTS else "fi"


@require_http_methods(["GET", "POST"])
def pledge(request: AuthenticatedHttpRequest) -> HttpResponse:
    language = _pledge_language()
    form = PledgeForm(_posted(request))
    if form.is_valid():
        services.pledge_accept(request=request, language=language)
        messages.success(request, _("Thank you. You have accepted the confidentiality pledge."))
        return redirect("home")
    title, paragraphs = pledge_text(language)
    context = {"form": form, "title": title, "paragraphs": paragraphs, "version": PLEDGE_VERSION}
    return render(request, "accounts/pledge.html", context)


@require_permission(MANAGE_STAFF)
@require_http_methods(["GET"])
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "accounts/staff_list.html", {"rows": selectors.staff_list()})


@require_permission(MANAGE_STAFF)
@sensitive_post_parameters("password", "password_confirmation")
@require_http_methods(["GET", "POST"])
def staff_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffCreateForm(_posted(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.staff_create(
                actor=Actor.from_request(request),
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                password=data["password"],
                roles=data["roles"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Staff member %(username)s created.") % {"username": user.username}
            )
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "staff_member": None})


@require_permission(MANAGE_STAFF)
@sensitive_post_parameters("password", "password_confirmation")
@require_http_methods(["GET", "POST"])
def staff_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff_member = get_object_or_404(User, pk=user_id)
    initial = {
        "first_name": staff_member.first_name,
        "last_name": staff_member.last_name,
        "email": staff_member.email,
        "roles": services.user_roles(staff_member),
        "is_active": staff_member.is_active,
    }
    form = StaffEditForm(_posted(request), initial=initial)
    if form.is_valid():
        try:
            data = form.cleaned_data
            services.staff_update(
                actor=Actor.from_request(request),
                user=staff_member,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                roles=data["roles"],
                is_active=data["is_active"],
                password=data["password"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:staff_list")
    context = {"form": form, "staff_member": staff_member}
    return render(request, "accounts/staff_form.html", context)


@sensitive_post_parameters("old_password", "new_password", "new_password_confirmation")
@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(_posted(request))
    if form.is_valid():
        try:
            services.staff_password_change(
                request=request,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})
