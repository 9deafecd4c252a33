"""Staff pages of customer imports: upload, columns, preview and dry run, import, and
the report (docs/import.md). An import is its uploader's alone: another staff
member's is a 404, as if it did not exist."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.models import User
from rekisteri.audit.services import Actor
from rekisteri.imports import selectors, services
from rekisteri.imports.forms import MappingForm, UploadForm
from rekisteri.imports.models import CustomerImport
from rekisteri.imports.report import report_csv, report_lines
from rekisteri.imports.services import MAPPABLE

PERMISSION = "customers.add_customer"
CONSENT_PERMISSION = "consents.add_consentevent"
REPORT_PAGE_SIZE = 100


class StaffRequest(HttpRequest):
    """A request the sign-in middleware let through: a staff member's."""

    user: User


def _own_import_or_404(request: StaffRequest, public_id: uuid.UUID) -> CustomerImport:
    """The one access helper for imports: the uploader's own, else 404."""
    customer_import = selectors.customer_import_for(user=request.user, public_id=public_id)
    if customer_import is None:
        raise Http404
    return customer_import


@require_GET
@require_permission(PERMISSION)
def import_list(request: StaffRequest) -> HttpResponse:
    context = {"imports": selectors.customer_imports_of(user=request.user), "form": UploadForm()}
    return render(request, "imports/list.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def import_upload(request: StaffRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_import = services.customer_import_upload(
                actor=Actor.from_request(request), file=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("imports:mapping", customer_import.public_id)
    status = 400 if form.errors else 200
    return render(request, "imports/upload.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def import_mapping(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    customer_import = _own_import_or_404(request, public_id)
    if customer_import.status not in MAPPABLE:
        return redirect("imports:detail", customer_import.public_id)
    form = MappingForm(
        request.POST or None,
        columns=selectors.customer_import_columns(customer_import),
        mapping=customer_import.mapping,
        consents_allowed=request.user.has_perm(CONSENT_PERMISSION),
    )
    actor = Actor.from_request(request)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_import_map(
                actor=actor, customer_import=customer_import, mapping=form.mapping()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("imports:detail", customer_import.public_id)
    services.customer_import_preview_record(actor=actor, customer_import=customer_import)
    context = {"form": form, "customer_import": customer_import}
    return render(request, "imports/mapping.html", context, status=400 if form.errors else 200)


@require_GET
@require_permission(PERMISSION)
def import_detail(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    customer_import = _own_import_or_404(request, public_id)
    preview = None
    if customer_import.status in MAPPABLE:
        preview = selectors.customer_import_preview(customer_import)
    if preview is not None:
        services.customer_import_preview_record(
            actor=Actor.from_request(request), customer_import=customer_import
        )
    problems = selectors.customer_import_report(customer_import, problems_only=True)
    page = Paginator(problems, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "customer_import": customer_import,
        "preview": preview,
        "report_page": page,
        "report_lines": report_lines(page),
    }
    return render(request, "imports/detail.html", context)


@require_GET
@require_permission(PERMISSION)
def import_progress(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """The progress box alone, polled by htmx while a run is under way; when it ends,
    the whole page is loaded again to show the report."""
    customer_import = _own_import_or_404(request, public_id)
    if request.htmx and not customer_import.is_running:  # type: ignore[attr-defined]  # set by django-htmx middleware
        return HttpResponseClientRefresh()
    return render(request, "imports/_progress.html", {"customer_import": customer_import})


def _state_change(request: StaffRequest, public_id: uuid.UUID, change: str) -> HttpResponse:
    customer_import = _own_import_or_404(request, public_id)
    service, done = {
        "check": (
            services.customer_import_check,
            _("The dry run is under way. This page shows its progress."),
        ),
        "run": (
            services.customer_import_start,
            _("The import is under way. This page shows its progress."),
        ),
        "discard": (
            services.customer_import_discard,
            _("The import was discarded and its file deleted."),
        ),
    }[change]
    try:
        service(actor=Actor.from_request(request), customer_import=customer_import)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("imports:detail", customer_import.public_id)


@require_POST
@require_permission(PERMISSION)
def import_check(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    return _state_change(request, public_id, "check")


@require_POST
@require_permission(PERMISSION)
def import_run(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    return _state_change(request, public_id, "run")


@require_POST
@require_permission(PERMISSION)
def import_discard(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    return _state_change(request, public_id, "discard")


@never_cache
@require_GET
@require_permission(PERMISSION)
def import_report(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """The whole report as CSV: row numbers, statuses, fields and reasons only."""
    customer_import = _own_import_or_404(request, public_id)
    report = selectors.customer_import_report(customer_import)
    if customer_import.is_running or not report.exists():
        raise Http404
    rows = report.iterator(chunk_size=2000)
    filename = f"import-report-{timezone.localdate():%Y%m%d}.csv"
    return HttpResponse(
        "".join(report_csv(rows)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
