"""The disclosure register, the authority request flow, handing a customer their own
copy, and the customer's public download page."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.customers.selectors import customer_get
from rekisteri.privacy.access import copies, disclosures
from rekisteri.privacy.access.copy import DataCategory, archive_filename
from rekisteri.privacy.access.forms import AuthorityExportForm
from rekisteri.privacy.models import AccessCopy, SubjectRequest
from rekisteri.tokens import TOKEN_PARAMETER

REGISTER_PAGE_SIZE = 50


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@require_permission("privacy.view_disclosure")
def disclosure_register(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    page = disclosures.disclosure_page(
        before=int(before) if before.isdigit() else None, limit=REGISTER_PAGE_SIZE
    )
    labels = dict(DataCategory.choices)
    rows = [(row, [labels.get(c, c) for c in row.categories]) for row in page.disclosures]
    context = {"page": page, "rows": rows}
    return render(request, "privacy/disclosure_register.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.add_disclosure")
@require_recent_authentication
def authority_export(request: HttpRequest) -> HttpResponse:
    """An authority's request: the file of only the data asked for, recorded."""
    may_reveal = request.user.has_perm(disclosures.REVEAL_PERMISSION)
    form = AuthorityExportForm(request.POST or None, may_reveal=may_reveal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = customer_get(customer_number=data["customer_number"])
        if customer is None:
            form.add_error("customer_number", _("No customer has this number."))
        else:
            try:
                content = disclosures.authority_export(
                    actor=Actor.from_request(request),
                    customer=customer,
                    recipient=data["recipient"],
                    legal_ground=data["legal_ground"],
                    reference=data["reference"],
                    fields=data["categories"],
                    recipient_email=data["recipient_email"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                filename = disclosures.authority_export_filename(customer)
                return _attachment(
                    content, content_type="application/json; charset=utf-8", filename=filename
                )
    status = 400 if form.errors else 200
    return render(request, "privacy/disclosure_authority.html", {"form": form}, status=status)


@never_cache
@require_POST
@require_permission("privacy.change_subjectrequest")
@require_recent_authentication
def access_handover(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The customer's own copy, for staff to hand over (recorded as a disclosure): the
    copy prepared in the background when the form names one, else built now."""
    subject_request = disclosures.own_copy_request_get(public_id=public_id)
    if subject_request is None:
        raise Http404
    actor = Actor.from_request(request)
    try:
        if "copy" in request.POST:
            prepared = _prepared_copy_or_404(subject_request, request.POST["copy"])
            handed = copies.access_copy_handover(actor=actor, access_copy=prepared)
            content, filename = handed.content, handed.filename
        else:
            content = disclosures.access_handover(actor=actor, subject_request=subject_request)
            assert subject_request.customer is not None
            filename = archive_filename(subject_request.customer)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("privacy:request", subject_request.public_id)
    return _attachment(content, content_type="application/zip", filename=filename)


def _prepared_copy_or_404(subject_request: SubjectRequest, copy_id: str) -> AccessCopy:
    try:
        public_id = uuid.UUID(copy_id)
    except ValueError:
        raise Http404 from None
    prepared = copies.access_copy_get(subject_request=subject_request, public_id=str(public_id))
    if prepared is None:
        raise Http404
    return prepared


@require_POST
@require_permission("privacy.change_subjectrequest")
def access_copy_prepare(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Asks the worker for the customer's own copy, to hand over when it is ready."""
    subject_request = disclosures.own_copy_request_get(public_id=public_id)
    if subject_request is None:
        raise Http404
    try:
        copies.access_copy_prepare(
            actor=Actor.from_request(request), subject_request=subject_request
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The copy is being prepared. This page shows its progress."))
    return redirect("privacy:request", subject_request.public_id)


@require_GET
@require_permission("privacy.view_subjectrequest")
def access_copy_progress(
    request: HttpRequest, public_id: uuid.UUID, copy_id: uuid.UUID
) -> HttpResponse:
    """The prepared copy's box alone, polled by htmx while the copy is gathered; when
    it is done, the request's page is loaded again."""
    subject_request = disclosures.own_copy_request_get(public_id=public_id)
    if subject_request is None:
        raise Http404
    prepared = _prepared_copy_or_404(subject_request, str(copy_id))
    if request.htmx and not prepared.is_running:  # type: ignore[attr-defined]  # set by django-htmx middleware
        return HttpResponseClientRefresh()
    context = {
        "r": subject_request,
        "access_copy": prepared,
        "sections": copies.section_labels(prepared),
    }
    return render(request, "privacy/_access_copy.html", context)


def _gone(request: HttpRequest, *, status: int, reason: str = "") -> HttpResponse:
    context = {"business_name": settings.BUSINESS_NAME, "expired": status == 410, "reason": reason}
    return render(request, "privacy/download_gone.html", context, status=status)


@never_cache
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def download(request: HttpRequest) -> HttpResponse:
    """The customer's link. GET (the token in the emailed link's query string) shows a
    button and changes nothing; POST (the token in the form's body) gives the ZIP while
    the link has downloads left. No cookie is set (no session, no CSRF token): the
    token itself is the key, and it is in no path an access log keeps."""
    source = request.POST if request.method == "POST" else request.GET
    token = source.get(TOKEN_PARAMETER, "")
    delivery = disclosures.access_delivery_for_token(token)
    if delivery is None:
        return _gone(request, status=404)
    if request.method == "GET":
        problem = disclosures.access_delivery_problem(delivery)
        if problem is not None:
            return _gone(request, status=410, reason=problem.code or "")
        context = {"business_name": settings.BUSINESS_NAME, "delivery": delivery, "token": token}
        return render(request, "privacy/download_page.html", context)
    try:
        content = disclosures.access_delivery_download(
            delivery=delivery, ip_address=request.META.get("REMOTE_ADDR") or None
        )
    except ValidationError as error:
        return _gone(request, status=410, reason=error.code or "")
    customer = delivery.subject_request.customer
    assert customer is not None
    # never_cache makes it "no-store": the copy stays in no cache on the way.
    return _attachment(content, content_type="application/zip", filename=archive_filename(customer))
