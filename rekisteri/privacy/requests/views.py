"""The privacy officer's pages for subject requests: the board of open requests with
their deadlines, recording a request received outside the portal, and answering one."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.customers.selectors import customer_get
from rekisteri.privacy.models import RequestKind, RequestStatus, SubjectRequest
from rekisteri.privacy.requests import selectors, services
from rekisteri.privacy.requests.forms import RequestRecordForm


@require_GET
@require_permission("privacy.view_subjectrequest")
def request_board(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.request_board(),
        "closed": selectors.requests_closed()[:20],
    }
    return render(request, "privacy/requests.html", context)


@require_http_methods(["GET", "POST"])
@require_permission("privacy.add_subjectrequest")
def request_record(request: HttpRequest) -> HttpResponse:
    form = RequestRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = None
        if data["customer_number"]:
            customer = customer_get(customer_number=data["customer_number"])
            if customer is None:
                form.add_error("customer_number", _("No customer has this number."))
        if not form.errors:
            try:
                recorded = services.subject_request_record(
                    actor=Actor.from_request(request),
                    kind=data["kind"],
                    received_via=data["received_via"],
                    received_at=data["received_at"],
                    customer=customer,
                    name=data["name"] or _customer_name(customer),
                    email=data["email"],
                    details=data["details"],
                    verification_note=data["verification_note"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Request recorded."))
                return redirect("privacy:request", recorded.public_id)
    return render(
        request, "privacy/request_record.html", {"form": form}, status=400 if form.errors else 200
    )


def _customer_name(customer: Customer | None) -> str:
    return f"{customer.first_names} {customer.surname}" if customer else ""


def _request_or_404(public_id: str) -> SubjectRequest:
    found = selectors.request_get(public_id=public_id)
    if found is None:
        raise Http404
    return found


@require_GET
@require_permission("privacy.view_subjectrequest")
def request_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    subject_request = _request_or_404(public_id)
    context = {
        "subject_request": subject_request,
        "deadline": services.deadline(subject_request),
        "days_left": services.days_left(subject_request),
        "kinds": RequestKind,
        "statuses": RequestStatus,
    }
    return render(request, "privacy/request.html", context)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _verify(request: HttpRequest, actor: Actor, subject_request: SubjectRequest) -> None:
    try:
        number = int(request.POST.get("customer_number", ""))
    except ValueError:
        number = 0
    customer = customer_get(customer_number=number) if number else subject_request.customer
    if customer is None:
        raise ValidationError(_("Give the number of the customer whose identity you verified."))
    services.subject_request_verify_by_staff(
        actor=actor,
        request=subject_request,
        customer=customer,
        note=request.POST.get("note", ""),
        version=_version(request) or 0,
    )


ACTIONS: dict[str, Callable[[HttpRequest, Actor, SubjectRequest], object]] = {
    "verify": _verify,
    "send_verification": lambda request, actor, subject_request: (
        services.subject_request_send_verification(actor=actor, request=subject_request)
    ),
    "extend": lambda request, actor, subject_request: services.subject_request_extend(
        actor=actor,
        request=subject_request,
        reason=request.POST.get("reason", ""),
        version=_version(request),
    ),
    "complete": lambda request, actor, subject_request: services.subject_request_complete(
        actor=actor,
        request=subject_request,
        outcome=request.POST.get("outcome", ""),
        version=_version(request),
    ),
    "refuse": lambda request, actor, subject_request: services.subject_request_refuse(
        actor=actor,
        request=subject_request,
        reason=request.POST.get("outcome", ""),
        version=_version(request),
    ),
    "object": lambda request, actor, subject_request: services.subject_request_object(
        actor=actor, request=subject_request, version=_version(request)
    ),
    "deliver": lambda request, actor, subject_request: services.subject_request_deliver(
        actor=actor, request=subject_request
    ),
}
ACTION_DONE = {
    "verify": gettext_lazy("Identity verified; the request is open."),
    "send_verification": gettext_lazy("Verification link sent to the email on record."),
    "extend": gettext_lazy("Deadline extended by two months."),
    "complete": gettext_lazy("Request completed."),
    "refuse": gettext_lazy("Request refused."),
    "object": gettext_lazy("The direct marketing ban was set and the request completed."),
    "deliver": gettext_lazy("A download link was emailed to the address on record."),
}


@require_POST
@require_permission("privacy.change_subjectrequest")
def request_action(request: HttpRequest, public_id: str) -> HttpResponse:
    """One step of answering a request; each step is a service that validates and audits."""
    subject_request = _request_or_404(public_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("Choose what to do."))
        return redirect("privacy:request", subject_request.public_id)
    if action in CONFIRM_FIRST:
        return require_recent_authentication(_request_action)(request, subject_request, action)
    return _request_action(request, subject_request, action)


# Emailing the copy of the data is an export: it needs a recent password or code.
CONFIRM_FIRST = {"deliver"}


def _request_action(
    request: HttpRequest, subject_request: SubjectRequest, action: str
) -> HttpResponse:
    try:
        ACTIONS[action](request, Actor.from_request(request), subject_request)
    except services.RequestConflict:
        messages.error(request, _("Someone else changed this request. Check it again."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, str(ACTION_DONE[action]))
    return redirect("privacy:request", subject_request.public_id)
