"""Customer service's pages of the deliveries that wait for a person (the list, a
delivery with its three forms: correct and accept, attach to a customer, discard), and
the administrator's page of one integration. Every form posts, its service decides,
and the page is shown again by a redirect with what became of it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.forms import ServiceErrorsForm
from rekisteri.intake import attention
from rekisteri.intake.forms import (
    AttachForm,
    CorrectForm,
    DiscardForm,
    InvoiceMethodsForm,
)
from rekisteri.intake.inbox import Correction
from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
from rekisteri.intake.views import MANAGE, webhook_url

HANDLE = "intake.handle_deliveries"
PAGE_SIZE = 50


def _delivery_or_404(public_id: object) -> InboxDelivery:
    delivery = attention.delivery_get(public_id=public_id)
    if delivery is None:
        raise Http404
    return delivery


@never_cache
@require_GET
@require_permission(HANDLE)
def attention_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(attention.deliveries_needing_attention(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(delivery, attention.reason_label(delivery.reason)) for delivery in page]
    return render(request, "intake/attention_list.html", {"page": page, "rows": rows})


@never_cache
@require_GET
@require_permission(HANDLE)
def delivery_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    delivery = _delivery_or_404(public_id)
    attention.delivery_view_record(actor=Actor.from_request(request), delivery=delivery)
    sent = attention.sent_order(delivery)
    context = {
        "delivery": delivery,
        "reason": attention.reason_label(delivery.reason) if delivery.reason else "",
        "sent": sent,
        "waits": delivery.state == DeliveryState.ATTENTION,
        "correct_form": CorrectForm(prefix="correct", needs_euros=not sent.is_euro),
        "attach_form": AttachForm(
            prefix="attach",
            needs_euros=not sent.is_euro,
            initial={"customer_number": getattr(delivery.customer, "customer_number", None)},
        ),
        "discard_form": DiscardForm(prefix="discard"),
    }
    return render(request, "intake/attention_delivery.html", context)


def _step(
    request: HttpRequest,
    delivery: InboxDelivery,
    form: ServiceErrorsForm,
    act: Callable[[Actor], object],
    done: str,
) -> HttpResponse:
    """Runs one form's service and goes back to the delivery's page with a message:
    what became of it, or why not (field names and messages, never the values)."""
    if form.is_valid():
        try:
            act(Actor.from_request(request))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect("intake:delivery", delivery.public_id)
    messages.error(request, _refusal(form))
    return redirect("intake:delivery", delivery.public_id)


def _refusal(form: ServiceErrorsForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(error) for error in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


@require_POST
@require_permission(HANDLE)
@sensitive_post_parameters("correct-identity_code")
def delivery_correct(request: HttpRequest, public_id: object) -> HttpResponse:
    delivery = _delivery_or_404(public_id)
    needs_euros = not attention.sent_order(delivery).is_euro
    form = CorrectForm(request.POST, prefix="correct", needs_euros=needs_euros)
    return _step(
        request,
        delivery,
        form,
        lambda actor: attention.delivery_correct(
            actor=actor, delivery=delivery, correction=Correction(**form.cleaned_data)
        ),
        _("The order was accepted with the corrections."),
    )


@require_POST
@require_permission(HANDLE)
def delivery_attach(request: HttpRequest, public_id: object) -> HttpResponse:
    delivery = _delivery_or_404(public_id)
    needs_euros = not attention.sent_order(delivery).is_euro
    form = AttachForm(request.POST, prefix="attach", needs_euros=needs_euros)
    return _step(
        request,
        delivery,
        form,
        lambda actor: attention.delivery_attach(
            actor=actor,
            delivery=delivery,
            customer=attention.customer_by_number(form.cleaned_data["customer_number"]),
            euro_total=form.cleaned_data.get("euro_total"),
        ),
        _("The order was attached to the customer."),
    )


@require_POST
@require_permission(HANDLE)
def delivery_discard(request: HttpRequest, public_id: object) -> HttpResponse:
    delivery = _delivery_or_404(public_id)
    form = DiscardForm(request.POST, prefix="discard")
    return _step(
        request,
        delivery,
        form,
        lambda actor: attention.delivery_discard(
            actor=actor, delivery=delivery, reason=form.cleaned_data["reason"]
        ),
        _("The delivery was discarded."),
    )


# The administrator's page of one integration -------------------------------------------


@never_cache
@require_GET
@require_permission(MANAGE)
def integration_detail(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = get_object_or_404(Integration, pk=integration_id)
    context = {
        "integration": integration,
        "webhook_url": webhook_url(request, integration),
        "figures": attention.integration_figures(integration),
        "invoice_form": InvoiceMethodsForm(
            initial={"invoice_payment_methods": integration.invoice_payment_methods}
        ),
    }
    return render(request, "intake/integration.html", context)


@require_POST
@require_permission(MANAGE)
def integration_invoice_methods(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = get_object_or_404(Integration, pk=integration_id)
    form = InvoiceMethodsForm(request.POST)
    if form.is_valid():
        try:
            attention.integration_invoice_methods_set(
                actor=Actor.from_request(request),
                integration=integration,
                methods=form.cleaned_data["invoice_payment_methods"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The invoice payment methods were saved."))
            return redirect("intake:integration", integration.pk)
    messages.error(request, _refusal(form))
    return redirect("intake:integration", integration.pk)
