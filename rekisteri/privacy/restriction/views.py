"""The privacy officer's pages for what waits while customers are restricted (GDPR
art. 18): the list names customers by number only and reads none of their data; a
change's own page shows what was asked, and that read is audited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.customers.models import HeldChange, HeldChangeState
from rekisteri.customers.restriction import held_changes_waiting, held_payload
from rekisteri.intake.attention import delivery_get
from rekisteri.privacy.restriction import services
from rekisteri.privacy.restriction.forms import APPLY, DeliveryAcceptForm, HeldChangeDecisionForm

PERMISSION = "privacy.erase_customer"


def _held_or_404(public_id: object) -> HeldChange:
    held = services.held_change_get(public_id=public_id)
    if held is None:
        raise Http404
    return held


@never_cache
@require_GET
@require_permission(PERMISSION)
def held_change_list(request: HttpRequest) -> HttpResponse:
    context = {
        "changes": held_changes_waiting(),
        "deliveries": services.deliveries_waiting_for_restriction(),
        "accept_form": DeliveryAcceptForm(),
    }
    return render(request, "privacy/restriction_held_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
@sensitive_post_parameters("reason")
def held_change_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    held = _held_or_404(public_id)
    form = HeldChangeDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor, data = Actor.from_request(request), form.cleaned_data
        try:
            if data["decision"] == APPLY:
                services.held_change_apply(
                    actor=actor, held=held, ground=data["ground"], reason=data["reason"]
                )
            else:
                services.held_change_reject(actor=actor, held=held, reason=data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("privacy:held_changes")
    services.held_change_view_record(actor=Actor.from_request(request), held=held)
    waiting = held.state == HeldChangeState.WAITING
    asked = held_payload(held) if waiting else {}
    context = {
        "held": held,
        "asked": asked,
        # The asked values by the fields' names as staff read them, not `phone`.
        "asked_fields": [
            (held.field_label(name), value)
            for name, value in asked.get("data", {}).items()
            if name in held.changed_fields
        ],
        "form": form if waiting else None,
    }
    return render(
        request, "privacy/restriction_held.html", context, status=400 if form.errors else 200
    )


@require_POST
@require_permission(PERMISSION)
@sensitive_post_parameters("reason")
def restricted_delivery_accept(request: HttpRequest, public_id: str) -> HttpResponse:
    delivery = delivery_get(public_id=public_id)
    if delivery is None:
        raise Http404
    form = DeliveryAcceptForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the ground and the reason."))
        services.restricted_delivery_accept(
            actor=Actor.from_request(request),
            delivery=delivery,
            ground=form.cleaned_data["ground"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The order was taken."))
    return redirect("privacy:held_changes")
