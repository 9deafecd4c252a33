"""The privacy officer's pages for a customer's erasure and restriction (the legal
holds' pages are retention's: `privacy/retention/views.py`).

The pages name the customer by number only: showing the plan is a dry run that
reads no personal data and writes nothing, not even an audit event. Reasons are kept
out of error reports: one typed by mistake with personal data is refused, not kept."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.customers.access import customer_or_404
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.erasure.forms import ErasureForm, RestrictionForm, RestrictionLiftForm


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.erase_customer")
@require_recent_authentication
@sensitive_post_parameters("reason")
def customer_erasure(request: HttpRequest, customer_number: int) -> HttpResponse:
    """GET: the dry run. POST: the erasure, or the refusals (409) with nothing changed."""
    customer = customer_or_404(customer_number)
    initial = {"subject_request": request.GET.get("request", "")}
    form = ErasureForm(request.POST or None, customer=customer, initial=initial)
    refusals: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            erasure.customer_erase(
                actor=Actor.from_request(request),
                customer=customer,
                subject_request=form.cleaned_data["subject_request"],
                reason=form.cleaned_data["reason"],
            )
        except erasure.ErasureRefused as refused:
            refusals = refused.refusals
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The customer was erased."))
            return redirect("customers:detail", customer_number)
    status = 409 if refusals else 400 if form.errors else 200
    context = {
        "customer": customer,
        "plan": erasure.erasure_plan(customer),
        "form": form,
        "refusals": refusals,
    }
    return render(request, "privacy/erasure_plan.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.erase_customer")
@sensitive_post_parameters("reason")
def customer_restrict(request: HttpRequest, customer_number: int) -> HttpResponse:
    customer = customer_or_404(customer_number)
    initial = {"subject_request": request.GET.get("request", "")}
    form = RestrictionForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.customer_restrict(
                actor=Actor.from_request(request), customer=customer, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The customer's processing is now restricted."))
            return redirect("customers:detail", customer_number)
    context = {"customer": customer, "form": form, "lifting": False}
    return render(
        request, "privacy/erasure_restriction.html", context, status=400 if form.errors else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.erase_customer")
@sensitive_post_parameters("reason")
def customer_restriction_lift(request: HttpRequest, customer_number: int) -> HttpResponse:
    customer = customer_or_404(customer_number)
    form = RestrictionLiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.customer_restriction_lift(
                actor=Actor.from_request(request), customer=customer, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The restriction was lifted."))
            return redirect("customers:detail", customer_number)
    context = {"customer": customer, "form": form, "lifting": True}
    return render(
        request, "privacy/erasure_restriction.html", context, status=400 if form.errors else 200
    )
