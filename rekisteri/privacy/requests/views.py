"""The privacy officer's pages for subject requests: the board of open requests with
their deadlines, recording a request received outside the portal, and answering one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.customers.selectors import customer_get
from rekisteri.privacy.access import copies
from rekisteri.privacy.models import RequestKind, RequestStatus, SubjectRequest
from rekisteri.privacy.requests import selectors, services
from rekisteri.privacy.requests.forms import (
    CompleteForm,
    DeliverForm,
    ExtendForm,
    ObjectForm,
    RefuseForm,
    RequestRecordForm,
    RequestStepForm,
    SendVerificationForm,
    VerifyForm,
)
from rekisteri.versioning import Conflict

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


UNTOLD = gettext_lazy(
    "Some of those to be told have no email address: tell them another way. The "
    "request's messages below say whom."
)


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
        "notices": selectors.request_notices(subject_request),
    }
    access_copy = copies.access_copy_latest(subject_request)
    if access_copy is not None:
        context["access_copy"] = access_copy
        context["sections"] = copies.section_labels(access_copy)
    return render(request, "privacy/request.html", context)


@dataclass(frozen=True)
class Step:
    """One step of answering a request: the form of the page's inputs, the service
    that validates and audits, and what is said when it is done."""

    form: type[RequestStepForm]
    service: Callable[..., object]
    done: StrOrPromise
    # Emailing the copy of the data is an export: it needs a recent password or code.
    confirm_first: bool = False


STEPS: dict[str, Step] = {
    "verify": Step(
        VerifyForm,
        services.subject_request_verify_by_staff,
        gettext_lazy("Identity verified; the request is open."),
    ),
    "send_verification": Step(
        SendVerificationForm,
        services.subject_request_send_verification,
        gettext_lazy("Verification link sent to the email on record."),
    ),
    "extend": Step(
        ExtendForm,
        services.subject_request_extend,
        gettext_lazy("Deadline extended by two months."),
    ),
    "complete": Step(
        CompleteForm, services.subject_request_complete, gettext_lazy("Request completed.")
    ),
    "refuse": Step(RefuseForm, services.subject_request_refuse, gettext_lazy("Request refused.")),
    "object": Step(
        ObjectForm,
        services.subject_request_object,
        gettext_lazy("The direct marketing ban was set and the request completed."),
    ),
    "deliver": Step(
        DeliverForm,
        services.subject_request_deliver,
        gettext_lazy("A download link was emailed to the address on record."),
        confirm_first=True,
    ),
}


@require_POST
@require_permission("privacy.change_subjectrequest")
def request_action(request: HttpRequest, public_id: str) -> HttpResponse:
    """One step of answering a request, named by the form's `action`."""
    subject_request = _request_or_404(public_id)
    step = STEPS.get(request.POST.get("action", ""))
    if step is None:
        messages.error(request, _("Choose what to do."))
        return redirect("privacy:request", subject_request.public_id)
    if step.confirm_first:
        return require_recent_authentication(_step)(request, subject_request, step)
    return _step(request, subject_request, step)


def _step(request: HttpRequest, subject_request: SubjectRequest, step: Step) -> HttpResponse:
    """The step's form, then its service. The answer is the request's page either way,
    with what was done or each error as a message: the page's forms are small and
    their refusals short."""
    form = step.form(request.POST, subject_request=subject_request)
    started = timezone.now()
    if form.is_valid():
        try:
            step.service(
                actor=Actor.from_request(request), request=subject_request, **form.arguments()
            )
        except Conflict:
            messages.error(request, _("Someone else changed this request. Check it again."))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, str(step.done))
            if selectors.notices_untold(subject_request, since=started).exists():
                messages.warning(request, str(UNTOLD))
    for errors in form.errors.values():
        for text in errors:
            messages.error(request, str(text))
    return redirect("privacy:request", subject_request.public_id)
