"""The privacy officer's retention page: the policies, what each would do now (a dry
run), a policy's form, and running the policies now."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.access_log import access_log_prune
from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RetentionPolicy
from rekisteri.privacy.requests.services import unconfirmed_requests_expire
from rekisteri.privacy.retention.forms import RetentionPolicyForm
from rekisteri.privacy.retention.services import (
    retention_plan,
    retention_policies,
    retention_policy_update,
    retention_run,
)


@never_cache
@require_GET
@require_permission("privacy.view_retentionpolicy")
def retention_overview(request: HttpRequest) -> HttpResponse:
    context = {"policies": retention_policies(), "reports": retention_plan()}
    return render(request, "privacy/retention.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.change_retentionpolicy")
def retention_edit(request: HttpRequest, category: str) -> HttpResponse:
    policy = get_object_or_404(RetentionPolicy, category=category)
    initial = {"months": policy.months, "enabled": policy.enabled}
    form = RetentionPolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            retention_policy_update(
                actor=Actor.from_request(request), policy=policy, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The retention policy was saved."))
            return redirect("privacy:retention")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "policy": policy}
    return render(request, "privacy/retention_edit.html", context, status=status)


@require_POST
@require_permission("privacy.run_retention")
def retention_run_now(request: HttpRequest) -> HttpResponse:
    actor = Actor.from_request(request)
    reports = retention_run(actor=actor)
    access_log_prune(actor=actor)
    expired = unconfirmed_requests_expire(actor=actor)
    for report in reports:
        if report.done:
            done = {"category": report.label, "count": report.done}
            messages.success(request, _("%(category)s: %(count)s done.") % done)
    if expired:
        messages.success(
            request,
            _("Unconfirmed portal requests deleted: %(count)s.") % {"count": expired},
        )
    messages.success(request, _("The retention policies were run."))
    return redirect("privacy:retention")
