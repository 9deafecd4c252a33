from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from rekisteri.accounts import selectors, services, staff_sessions, throttle, twofactor
from rekisteri.accounts.access import require_any_permission, require_permission
from rekisteri.accounts.forms import (
    EnrollmentForm,
    LoginForm,
    PasswordChangeForm,
    PasswordSetForm,
    PledgeForm,
    ReauthenticationForm,
    SecondFactorForm,
    StaffCreateForm,
    StaffEditForm,
)
from rekisteri.accounts.models import RoleGrant, User
from rekisteri.accounts.pledge import PLEDGE_TEXTS, PLEDGE_VERSION, pledge_text
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import (
    PENDING_AT,
    PENDING_BACKEND,
    PENDING_FAILURES,
    PENDING_SECONDS,
    PENDING_USER,
)
from rekisteri.audit.models import Action
from rekisteri.audit.refusals import refusals_limited
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
    if not settings.AXES_ENABLED:
        return False
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


@login_not_required
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@refusals_limited
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
        wait = throttle.sign_in_wait(request=request, username=username)
        if wait:
            # The password is not checked while the account waits (finding 7).
            services.staff_login_failed(request=request, username=username, reason="throttled")
            return _throttled(request, form, next_url, wait)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(user, User):
            throttle.sign_in_succeeded(user=user)
            if twofactor.is_enrolled(user):
                _pending_set(request, user)
                return redirect(f"{reverse('accounts:login_code')}?{urlencode({'next': next_url})}")
            services.staff_login(request=request, user=user)
            response = redirect(next_url)
            throttle.remember_device(request, response, user)
            return response
        throttle.sign_in_failed(username=username)
        services.staff_login_failed(request=request, username=username)
        form.add_error(None, _("Incorrect username or password."))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _throttled(request: HttpRequest, form: LoginForm, next_url: str, wait: int) -> HttpResponse:
    form.add_error(
        None,
        _("Too many failed sign-ins. Wait %(seconds)s seconds and try again.") % {"seconds": wait},
    )
    context = {"form": form, "next": next_url}
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


PENDING_FAILURE_LIMIT = 5


def _pending_set(request: HttpRequest, user: User) -> None:
    """The password was right; the session waits for the second factor (not signed in)."""
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = getattr(user, "backend", "")
    request.session[PENDING_AT] = timezone.now().timestamp()
    request.session[PENDING_FAILURES] = 0


def _pending_clear(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_AT, PENDING_FAILURES):
        request.session.pop(key, None)


def _pending_user(request: HttpRequest) -> User | None:
    started = request.session.get(PENDING_AT)
    if started is None or timezone.now().timestamp() - float(started) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(request.session.get(PENDING_USER, 0)), is_active=True).first()
    if user is not None:
        user.backend = request.session.get(PENDING_BACKEND, "")  # type: ignore[attr-defined]
    return user


def _code_refused(form: forms.Form, checked: twofactor.Verification) -> int:
    """Says on the form's code field why the code was refused; the answer's status."""
    if checked.wait_seconds:
        form.add_error(
            "code",
            _("Too many wrong codes. Wait %(seconds)s seconds and try again.")
            % {"seconds": checked.wait_seconds},
        )
        return 429
    form.add_error("code", _("The code is not correct."))
    return 400


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
@refusals_limited
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: an authenticator code or a recovery code."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    user = _pending_user(request)
    if user is None:
        _pending_clear(request)
        messages.info(request, _("Sign in again: the time for the code ran out."))
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(_posted(request))
    status = 200
    if form.is_valid():
        checked = twofactor.second_factor_check(user=user, code=form.cleaned_data["code"])
        if checked.device is not None:
            _pending_clear(request)
            reason = "recovery code" if checked.used_recovery_code else ""
            services.staff_login(request=request, user=user, device=checked.device, reason=reason)
            if checked.used_recovery_code:
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code. %(left)s codes are left; "
                        "make new ones on your two-factor page."
                    )
                    % {"left": left},
                )
            response = redirect(next_url)
            throttle.remember_device(request, response, user)
            return response
        status = _code_refused(form, checked)
        services.staff_login_failed(
            request=request, username=user.username, reason="wrong second factor"
        )
        failures = int(request.session.get(PENDING_FAILURES, 0)) + 1
        request.session[PENDING_FAILURES] = failures
        if failures >= PENDING_FAILURE_LIMIT:
            _pending_clear(request)
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": next_url}
    return render(request, "accounts/login_code.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Setting up two-factor sign-in, or its state and new recovery codes; `?replace`
    sets up a new phone in place of the current one."""
    user = request.user
    # Asked here on every request, not from the middleware's once-a-minute check: a
    # session signed in with the password alone must not reach the set-up of someone
    # who has an authenticator (it would replace theirs).
    if twofactor.is_enrolled(user):
        if not twofactor.is_verified(request):
            services.staff_logout(request=request, action=Action.SESSION_EXPIRED)
            messages.info(request, _("Sign in again with your authenticator code."))
            return redirect(settings.LOGIN_URL)
        if "replace" in request.GET:
            return require_recent_authentication(_two_factor_setup)(request)
        state = {
            "recovery_codes_left": twofactor.recovery_codes_left(user),
            "required": twofactor.is_required(user),
        }
        return render(request, "accounts/two_factor.html", state)
    return _two_factor_setup(request)


def _two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The set-up page with this session's own new key; the recovery codes once a code
    confirms it, then on to the page first asked for (`next`)."""
    enrollment = twofactor.enrollment_start(request=request)
    form = EnrollmentForm(_posted(request))
    next_url = _next_url(request)
    if form.is_valid():
        try:
            codes = twofactor.enrollment_confirm(
                request=request, enrollment=enrollment, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Two-factor sign-in is now on."))
            shown = {"codes": codes, "next": next_url}
            return render(request, "accounts/recovery_codes.html", shown)
    context: dict[str, object] = {
        "form": form,
        "secret": twofactor.secret(enrollment),
        "qr_code": twofactor.qr_code_svg(enrollment),
        "required": twofactor.is_required(request.user),
        "replacing": "replace" in request.GET,
        "next": next_url,
    }
    status = 400 if form.errors else 200
    return render(request, "accounts/two_factor_setup.html", context, status=status)


@never_cache
@require_POST
@require_recent_authentication
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not (twofactor.is_enrolled(request.user) and twofactor.is_verified(request)):
        return redirect("accounts:two_factor")
    codes = twofactor.recovery_codes_issue(request=request)
    context = {"codes": codes, "next": _next_url(request)}
    return render(request, "accounts/recovery_codes.html", context)


@never_cache
@sensitive_post_parameters("password", "code")
@require_http_methods(["GET", "POST"])
def reauthenticate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Confirm it is you: the password, or an authenticator code."""
    next_url = _next_url(request)
    user = request.user
    with_code = twofactor.is_enrolled(user)
    form = ReauthenticationForm(_posted(request), with_code=with_code)
    status = 400 if request.method == "POST" else 200
    if form.is_valid():
        code = form.cleaned_data.get("code", "")
        if code:
            checked = twofactor.second_factor_check(user=user, code=code)
            if checked.device is not None:
                services.staff_reauthenticated(request=request, method="code")
                return redirect(next_url)
            status = _code_refused(form, checked)
        else:
            username = user.get_username()
            if _is_locked_out(request, username):
                services.staff_login_failed(
                    request=request, username=username, reason=LOCKED_OUT_REASON
                )
                response: HttpResponse = get_lockout_response(request, None, {"username": username})
                return response
            password = form.cleaned_data["password"]
            if authenticate(request, username=username, password=password) == user:
                services.staff_reauthenticated(request=request, method="password")
                return redirect(next_url)
            form.add_error("password", _("Your password is incorrect."))
        services.staff_login_failed(request=request, username=user.username, reason="confirmation")
    context = {"form": form, "next": next_url}
    return render(request, "accounts/reauthenticate.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The staff member's own signed-in sessions, and ending one or all of the others."""
    if request.method == "POST":
        which = request.POST.get("session", "")
        if which != "others" and not which.isdigit():
            return HttpResponseBadRequest()
        record_id = None if which == "others" else int(which)
        ended = staff_sessions.sessions_end(request=request, record_id=record_id)
        messages.success(
            request,
            ngettext("%(count)s session ended.", "%(count)s sessions ended.", ended)
            % {"count": ended},
        )
        return redirect("accounts:sessions")
    rows = staff_sessions.sessions_of(request)
    return render(request, "accounts/sessions.html", {"rows": rows})


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
        return redirect(_next_url(request))
    title, paragraphs = pledge_text(language)
    context = {
        "form": form,
        "title": title,
        "paragraphs": paragraphs,
        "version": PLEDGE_VERSION,
        "next": _next_url(request),
    }
    return render(request, "accounts/pledge.html", context)


@require_permission(MANAGE_STAFF)
@require_http_methods(["GET"])
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.staff_list(),
        "grants": selectors.role_grants_pending(viewer=request.user),
    }
    return render(request, "accounts/staff_list.html", context)


@require_permission(MANAGE_STAFF)
@sensitive_post_parameters("password", "password_confirmation")
@require_http_methods(["GET", "POST"])
@require_recent_authentication
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
            if waiting := services.pending_roles(user):
                labels = ", ".join(str(Role(role).label) for role in waiting)
                messages.info(
                    request,
                    _("Awaiting a privacy officer's confirmation: %(roles)s.") % {"roles": labels},
                )
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "staff_member": None})


@require_permission(MANAGE_STAFF)
@sensitive_post_parameters("password", "password_confirmation")
@require_http_methods(["GET", "POST"])
@require_recent_authentication
def staff_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff_member = get_object_or_404(User, pk=user_id)
    initial = {
        "first_name": staff_member.first_name,
        "last_name": staff_member.last_name,
        "email": staff_member.email,
        # A requested role stays ticked: saving the form without it withdraws it.
        "roles": [*services.user_roles(staff_member), *services.pending_roles(staff_member)],
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
    context = {
        "form": form,
        "staff_member": staff_member,
        "two_factor_on": twofactor.is_enrolled(staff_member),
        "grants": selectors.role_grants_pending(user=staff_member, viewer=request.user),
        "may_set_credentials": services.may_set_credentials(
            actor=Actor.from_request(request), user=staff_member
        ),
    }
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
            return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/password_change.html", context)


def _credentials_holder(
    request: AuthenticatedHttpRequest, user_id: int, *, allow_self: bool = False
) -> User:
    """The staff member whose password or two-factor sign-in `request.user` may set
    (`services.may_set_credentials`); 403 for anyone else."""
    staff_member = get_object_or_404(User, pk=user_id)
    actor = Actor.from_request(request)
    is_self = staff_member.pk == request.user.pk
    if (is_self and not allow_self) or not services.may_set_credentials(
        actor=actor, user=staff_member
    ):
        raise PermissionDenied(services.DECIDE_GRANTS)
    return staff_member


@require_any_permission(MANAGE_STAFF, services.DECIDE_GRANTS)
@require_POST
@require_recent_authentication
def staff_two_factor_reset(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    # As before, an administrator may reset their own (on their staff page).
    allow_self = request.user.has_perm(MANAGE_STAFF)
    staff_member = _credentials_holder(request, user_id, allow_self=allow_self)
    services.two_factor_reset(actor=Actor.from_request(request), user=staff_member)
    messages.success(
        request,
        _("Two-factor sign-in of %(username)s was reset.") % {"username": staff_member.username},
    )
    if request.user.has_perm(MANAGE_STAFF):
        return redirect("accounts:staff_edit", staff_member.pk)
    return redirect("accounts:staff_credentials", staff_member.pk)


@require_permission(services.DECIDE_GRANTS)
@sensitive_post_parameters("password", "password_confirmation")
@require_http_methods(["GET", "POST"])
@require_recent_authentication
def staff_credentials(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """A privacy officer sets a new password for, or resets the two-factor sign-in of,
    another privacy officer or an auditor (administrators may not)."""
    staff_member = _credentials_holder(request, user_id)
    form = PasswordSetForm(_posted(request))
    if form.is_valid():
        try:
            services.staff_set_password(
                actor=Actor.from_request(request),
                user=staff_member,
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("New password set for %(username)s. They change it at their next sign-in.")
                % {"username": staff_member.username},
            )
            return redirect("home")
    context = {
        "form": form,
        "staff_member": staff_member,
        "two_factor_on": twofactor.is_enrolled(staff_member),
    }
    return render(request, "accounts/staff_credentials.html", context)


@require_any_permission(services.DECIDE_GRANTS, MANAGE_STAFF)
@require_POST
@require_recent_authentication
def role_grant_decide(request: AuthenticatedHttpRequest, grant_id: int) -> HttpResponse:
    """A privacy officer confirms or refuses a requested role (the administrator who
    asked, for the install's first privacy officer: `services.may_decide`)."""
    grant = get_object_or_404(RoleGrant, pk=grant_id)
    decision = request.POST.get("decision")
    if decision not in ("confirm", "refuse"):
        return HttpResponseBadRequest()
    confirm = decision == "confirm"
    try:
        services.role_grant_decide(actor=Actor.from_request(request), grant=grant, confirm=confirm)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        names = {"username": grant.user.username, "role": grant.get_role_display()}
        text = (
            _("%(username)s now has the role %(role)s.")
            if confirm
            else _("The role %(role)s was not given to %(username)s.")
        )
        messages.success(request, text % names)
    return redirect(_next_url(request))
