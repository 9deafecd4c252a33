from collections.abc import Iterable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri import fi
from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.selectors import customer_audit_events
from rekisteri.audit.services import Actor
from rekisteri.consents import selectors as consent_selectors
from rekisteri.consents.forms import ConsentRecordForm
from rekisteri.customers import duplicates, selectors, services
from rekisteri.customers.access import customer_or_404
from rekisteri.customers.forms import (
    CustomerCreateForm,
    CustomerEditForm,
    MergeForm,
    MergeStartForm,
    RevealForm,
    SearchForm,
)
from rekisteri.customers.merging import COUNT_LABELS, MergeRefused, merge_preview
from rekisteri.customers.merging import customer_merge as customer_merge_service
from rekisteri.customers.models import Customer, Status
from rekisteri.customers.restriction import HELD_MESSAGE, ChangeHeld
from rekisteri.orders.selectors import customer_orders
from rekisteri.privacy.requests import selectors as request_selectors
from rekisteri.versioning import Conflict


def _results_template(request: HttpRequest) -> str:
    return "customers/_results.html" if request.htmx else "customers/list.html"  # type: ignore[attr-defined]  # set by django-htmx middleware


DUPLICATES_PAGE_SIZE = 25

# A customer number no register reaches, to find where the number goes in a detail URL.
_URL_NUMBER_MARK = 987654321987654321


def result_rows(customers: Iterable[Customer]) -> list[dict[str, str]]:
    """The results table's cells as plain strings, so that the template's loop only
    puts them in place: a `{% url %}`, the phone filter and `get_status_display` per
    row took several times the search's own time on a page of 50 (docs/benchmarks.md,
    customer_search). The same text as those gave: the detail URL as `reverse` makes it
    (reversed once per page), the phone as `fi.format_phone`, the status label in the
    active language."""
    head, _mark, tail = reverse("customers:detail", args=[_URL_NUMBER_MARK]).rpartition(
        str(_URL_NUMBER_MARK)
    )
    labels = {value: str(label) for value, label in Status.choices}
    return [
        {
            "number": str(customer.customer_number),
            "url": f"{head}{customer.customer_number}{tail}",
            "name": f"{customer.surname}, {customer.first_names}",
            "post_office": customer.post_office,
            "phone": fi.format_phone(customer.phone) if customer.phone else "",
            "email": customer.email,
            "status": customer.status,
            "status_label": labels.get(customer.status, customer.status),
        }
        for customer in customers
    ]


@require_GET
@require_permission("customers.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    after = request.GET.get("after", "")
    page = selectors.customer_list(
        after=int(after) if after.isdigit() else None, limit=settings.CUSTOMER_PAGE_SIZE
    )
    return render(
        request,
        _results_template(request),
        {
            "page": page,
            "rows": result_rows(page.customers),
            "form": SearchForm(),
            "searching": False,
        },
    )


@require_POST
@require_permission("customers.view_customer")
@sensitive_post_parameters("q")
def customer_search(request: HttpRequest) -> HttpResponse:
    """Searches by POST so that names, phones, emails and identity codes stay out of
    URLs, browser history and access logs."""
    form = SearchForm(request.POST)
    if not form.is_valid():
        context = {"page": selectors.CustomerPage([], ""), "form": form, "searching": True}
        return render(request, "customers/list.html", context, status=400)
    term = fi.classify_search(form.cleaned_data["q"])
    if term is None:
        return redirect("customers:list")
    page = selectors.customer_search(
        term=term, cursor=form.cleaned_data["cursor"], limit=settings.CUSTOMER_PAGE_SIZE
    )
    if term.kind == "identity_code":
        services.customer_identity_code_search_record(
            actor=Actor.from_request(request), customers=page.customers
        )
    context = {
        "page": page,
        "rows": result_rows(page.customers),
        "form": form,
        "searching": True,
        "term": term,
    }
    return render(request, _results_template(request), context)


@require_http_methods(["GET", "POST"])
@require_permission("customers.add_customer")
@sensitive_post_parameters("identity_code")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerCreateForm(request.POST or None)
    duplicates: list[Customer] = []
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                actor=Actor.from_request(request),
                data=form.customer_input(),
                source=form.cleaned_data["source"],
                allow_duplicate=form.cleaned_data["allow_duplicate"],
            )
        except services.DuplicateCustomer as duplicate:
            duplicates = duplicate.candidates
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Customer %(number)s created.") % {"number": customer.customer_number}
            )
            return redirect("customers:detail", customer.customer_number)
    context = {"form": form, "duplicates": duplicates}
    return render(request, "customers/form.html", context, status=400 if form.errors else 200)


@never_cache
@require_GET
@require_permission("customers.view_customer")
def customer_detail(request: HttpRequest, customer_number: int) -> HttpResponse:
    customer = customer_or_404(customer_number)
    if customer.customer_number != customer_number:
        # The number of a record merged into this one (`customers.merging`).
        messages.info(
            request,
            _("Customer %(old)s was merged into customer %(number)s.")
            % {"old": customer_number, "number": customer.customer_number},
        )
        return redirect("customers:detail", customer.customer_number)
    services.customer_record_view(actor=Actor.from_request(request), customer=customer)
    context = {
        "customer": customer,
        "duplicates": duplicates.duplicates_of(customer)
        if request.user.has_perm("customers.change_customer")
        else [],
        "phone_display": fi.format_phone(customer.phone) if customer.phone else "",
        "reveal_form": RevealForm(),
        "events": customer_audit_events(
            customer_id=customer.pk, records=selectors.customer_and_merged_ids(customer.pk)
        ),
        "orders": customer_orders(customer_id=customer.pk)
        if request.user.has_perm("orders.view_order")
        else [],
        **_consents_context(request, customer),
    }
    return render(request, "customers/detail.html", context)


def _consents_context(request: HttpRequest, customer: Customer) -> dict[str, object]:
    """The marketing consents section, for the roles that may see it."""
    if not request.user.has_perm("consents.view_consentevent"):
        return {}
    may_record = request.user.has_perm("consents.add_consentevent")
    return {
        "consent_state": consent_selectors.consent_state(customer),
        "consent_events": consent_selectors.consent_events(customer=customer),
        "consent_form": ConsentRecordForm(initial={"language": customer.preferred_language})
        if may_record
        else None,
        "consent_texts": consent_selectors.consent_texts_current() if may_record else {},
    }


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("customers.change_customer")
@sensitive_post_parameters("identity_code")
def customer_edit(request: HttpRequest, customer_number: int) -> HttpResponse:
    customer = customer_or_404(customer_number)
    initial = {
        **services.customer_input_of(customer).__dict__,
        "version": customer.version,
        "subject_request": request.GET.get("request", ""),
    }
    form = CustomerEditForm(
        request.POST or None,
        initial=initial,
        has_identity_code=customer.has_identity_code,
        rectification_requests=request_selectors.rectification_requests_open(customer),
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=Actor.from_request(request),
                customer=customer,
                expected_version=form.cleaned_data["version"],
                data=form.customer_input(),
                identity_code=form.cleaned_data.get("identity_code", ""),
                remove_identity_code=form.cleaned_data.get("remove_identity_code", False),
                subject_request=form.cleaned_data.get("subject_request"),
            )
        except Conflict as error:
            conflict = error.current
        except ChangeHeld:
            messages.warning(request, str(HELD_MESSAGE))
            return redirect("customers:detail", customer.customer_number)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", customer.customer_number)
    context = {"form": form, "customer": customer, "conflict": conflict}
    status = 409 if conflict else 400 if form.errors else 200
    return render(request, "customers/form.html", context, status=status)


@never_cache
@require_POST
@require_permission("customers.reveal_identity_code")
@require_recent_authentication
def customer_reveal(request: HttpRequest, customer_number: int) -> HttpResponse:
    """Shows the identity code once, in this response only, for a recorded reason."""
    customer = customer_or_404(customer_number)
    form = RevealForm(request.POST)
    identity_code = ""
    if form.is_valid():
        try:
            identity_code = services.customer_identity_code_reveal(
                actor=Actor.from_request(request),
                customer=customer,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
    context = {"customer": customer, "reveal_form": form, "identity_code": identity_code}
    if request.htmx:  # type: ignore[attr-defined]  # set by django-htmx middleware
        return render(request, "customers/_identity_code.html", context)
    return render(request, "customers/reveal.html", context)


@never_cache
@require_GET
@require_permission("customers.change_customer")
def customer_duplicates(request: HttpRequest) -> HttpResponse:
    """Likely duplicates for customer service to review, newest first."""
    before = request.GET.get("before", "")
    page = duplicates.duplicate_pairs(
        before=int(before) if before.isdigit() else None, limit=DUPLICATES_PAGE_SIZE
    )
    return render(request, "customers/duplicates.html", {"page": page})


@never_cache
@require_GET
@require_permission("customers.change_customer")
def customer_merge_start(request: HttpRequest, customer_number: int) -> HttpResponse:
    """The "Merge with another record" page: asks for the other record's number (or
    offers the likely duplicates), then opens the merge page keeping this customer."""
    customer = customer_or_404(customer_number)
    form = MergeStartForm(request.GET if "other" in request.GET else None)
    if form.is_valid():
        other = selectors.customer_get(customer_number=form.cleaned_data["other"])
        if other is not None and other.pk != customer.pk:
            return redirect("customers:merge", customer.customer_number, other.customer_number)
        form.add_error("other", _("Give the number of another customer in the register."))
    context = {
        "customer": customer,
        "form": form,
        "pairs": duplicates.duplicates_of(customer),
    }
    return render(
        request, "customers/merge_start.html", context, status=400 if form.errors else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("customers.change_customer")
def customer_merge(request: HttpRequest, kept_number: int, other_number: int) -> HttpResponse:
    """Both records side by side, a choice for each field whose values differ, and the
    merge; refused (nothing stored) when the service finds a reason not to merge."""
    kept, other = customer_or_404(kept_number), customer_or_404(other_number)
    preview = merge_preview(kept=kept, other=other)
    current = {"kept_version": preview.kept.version, "other_version": preview.other.version}
    form = MergeForm(request.POST or None, fields=preview.fields, initial=current)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            merged = customer_merge_service(
                actor=Actor.from_request(request),
                kept=kept,
                other=other,
                choices=form.choices(),
                expected_versions=form.versions(),
            )
        except MergeRefused as refused:
            # Shown again as the records are now, with the choices made.
            refusal = refused.message
            form = MergeForm(fields=preview.fields, initial={**form.cleaned_data, **current})
        else:
            messages.success(
                request,
                _("Customer %(other)s was merged into this customer.") % {"other": other_number},
            )
            return redirect("customers:detail", merged.customer_number)
    for shown in (kept, other):
        services.customer_record_view(actor=Actor.from_request(request), customer=shown)
    context = {
        "preview": preview,
        "form": form,
        "refusal": refusal,
        "counts": merge_count_rows(preview.counts),
    }
    status = 400 if refusal or form.errors else 200
    return render(request, "customers/merge.html", context, status=status)


def merge_count_rows(counts: dict[str, int]) -> list[tuple[str, int]]:
    """What a merge moves, as staff read it; kinds with nothing to move left out."""
    return [(str(COUNT_LABELS.get(kind, kind)), count) for kind, count in counts.items() if count]
