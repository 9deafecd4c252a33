"""The administrator's credit policy. (A person's review of a decision is on the order
page: orders.views.order_credit_review.)"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.credit import services
from rekisteri.credit.forms import CreditPolicyForm


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("credit.change_creditpolicy")
def credit_policy_edit(request: HttpRequest) -> HttpResponse:
    policy = services.credit_policy()
    initial = {
        "decline_on_payment_defaults": policy.decline_on_payment_defaults,
        "max_invoice_total": policy.max_invoice_total,
        "decline_unknown_person": policy.decline_unknown_person,
    }
    form = CreditPolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_policy_update(actor=Actor.from_request(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The credit policy was saved."))
            return redirect("credit:policy")
    status = 400 if request.method == "POST" else 200
    return render(request, "credit/policy.html", {"form": form, "policy": policy}, status=status)
