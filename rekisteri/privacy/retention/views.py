"""The privacy officer's retention page: the policies, what each would do now (a dry
run), a policy's form, and running the policies now; and a customer's legal holds,
which stop retention and erasure for that customer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.access_log import access_log_prune
from rekisteri.audit.services import Actor
from rekisteri.customers.access import customer_or_404
from rekisteri.customers.models import Customer
from rekisteri.privacy.models import LegalHold, RetentionPolicy
from rekisteri.privacy.requests.services import unconfirmed_requests_expire
from rekisteri.privacy.retention import holds
from rekisteri.privacy.retention.forms import LegalHoldForm, RetentionPolicyForm
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


# Legal holds ---------------------------------------------------------------------------


def _hold_or_404(customer: Customer, hold_id: int) -> LegalHold:
    hold = LegalHold.objects.filter(pk=hold_id, customer=customer).first()
    if hold is None:
        raise Http404
    return hold


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.add_legalhold")
@sensitive_post_parameters("reason")
def legal_holds(request: HttpRequest, customer_number: int) -> HttpResponse:
    """The customer's legal holds, and a form to place one."""
    customer = customer_or_404(customer_number)
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holds.legal_hold_place(
                actor=Actor.from_request(request), customer=customer, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The legal hold was placed."))
            return redirect("privacy:legal_hold", customer_number)
    context = {"customer": customer, "form": form, "holds": holds.legal_holds_of(customer)}
    return render(
        request, "privacy/legal_hold_list.html", context, status=400 if form.errors else 200
    )


@require_POST
@require_permission("privacy.change_legalhold")
def legal_hold_lift(request: HttpRequest, customer_number: int, hold_id: int) -> HttpResponse:
    hold = _hold_or_404(customer_or_404(customer_number), hold_id)
    try:
        holds.legal_hold_lift(actor=Actor.from_request(request), hold=hold)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The legal hold was lifted."))
    return redirect("privacy:legal_hold", customer_number)
