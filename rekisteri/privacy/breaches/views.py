"""The privacy officer's pages of the breach register: the register with each
breach's 72-hour clock, recording and correcting a breach, and the breach page where
the decision, the notification of the authority and the notice to the people affected
are recorded. Every step is a service that validates and audits; a refused step shows
the breach page again with the errors at the fields and the input kept."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.breaches.forms import (
    AuthorityNotifiedForm,
    BreachDecisionForm,
    BreachEditForm,
    BreachForm,
    BreachNoticeForm,
    BreachSubjectsForm,
)
from rekisteri.privacy.models import Breach
from rekisteri.versioning import Conflict

SUBJECTS_PAGE_SIZE = 50
CONFLICT = gettext_lazy("Someone else changed this breach. Check it again.")


def _breach_or_404(public_id: str) -> Breach:
    breach = breaches.breach_get(public_id=public_id)
    if breach is None:
        raise Http404
    return breach


@never_cache
@require_GET
@require_permission("privacy.view_breach")
def breach_list(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/breaches.html", {"rows": breaches.breach_register()})


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.add_breach")
def breach_create(request: HttpRequest) -> HttpResponse:
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = breaches.breach_record(actor=Actor.from_request(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Breach recorded. The 72-hour clock is running."))
            return redirect("privacy:breach", breach.public_id)
    status = 400 if form.errors else 200
    return render(request, "privacy/breach_form.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.change_breach")
def breach_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    breach = _breach_or_404(public_id)
    form = BreachEditForm(request.POST or None, initial=_facts(breach))
    if request.method == "POST" and form.is_valid():
        try:
            breaches.breach_update(
                actor=Actor.from_request(request), breach=breach, **form.cleaned_data
            )
        except Conflict:
            messages.error(request, str(CONFLICT))
            return redirect("privacy:breach", breach.public_id)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Breach updated."))
            return redirect("privacy:breach", breach.public_id)
    context = {"form": form, "breach": breach}
    return render(request, "privacy/breach_form.html", context, status=400 if form.errors else 200)


def _facts(breach: Breach) -> dict[str, object]:
    return {name: getattr(breach, name) for name in BreachEditForm.base_fields}


@never_cache
@require_GET
@require_permission("privacy.view_breach")
def breach_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _breach_page(request, _breach_or_404(public_id))


def _breach_page(
    request: HttpRequest, breach: Breach, *, status: int = 200, **bound: ServiceErrorsForm
) -> HttpResponse:
    """The breach page; a form refused by its service is shown as it was sent."""
    version = {"version": breach.version}
    forms: dict[str, ServiceErrorsForm] = {
        "decision_form": BreachDecisionForm(
            prefix="decide", initial={**version, "decision": breach.decision}
        ),
        "notified_form": AuthorityNotifiedForm(prefix="notified", initial=version),
        "subjects_form": BreachSubjectsForm(prefix="subjects"),
        "notice_form": BreachNoticeForm(
            prefix="notice",
            initial={
                **version,
                "people_must_be_told": breach.people_must_be_told,
                "notice_subject": breach.notice_subject,
                "notice_body": breach.notice_body,
            },
        ),
    }
    forms.update(bound)
    subjects = Paginator(breaches.breach_subjects(breach), SUBJECTS_PAGE_SIZE)
    context = {
        "breach": breach,
        "clock": breaches.breach_clock(breach),
        "categories": breaches.data_category_labels(breach),
        "counts": breaches.breach_notice_counts(breach),
        "notice_fixed": breaches.sending_begun(breach),
        "subjects_page": subjects.get_page(request.GET.get("page")),
        **forms,
    }
    return render(request, "privacy/breach.html", context, status=status)


def _step(
    request: HttpRequest,
    public_id: str,
    *,
    form: ServiceErrorsForm,
    name: str,
    service: Callable[..., object],
    done: str,
) -> HttpResponse:
    """One step on the breach page: the form, its service, then a redirect to the
    page, or the page again with the errors (400)."""
    breach = _breach_or_404(public_id)
    if form.is_valid():
        try:
            service(actor=Actor.from_request(request), breach=breach, **form.cleaned_data)
        except Conflict:
            messages.error(request, str(CONFLICT))
            return redirect("privacy:breach", breach.public_id)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect("privacy:breach", breach.public_id)
    return _breach_page(request, breach, status=400, **{name: form})


@require_POST
@require_permission("privacy.change_breach")
def breach_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    return _step(
        request,
        public_id,
        form=BreachDecisionForm(request.POST, prefix="decide"),
        name="decision_form",
        service=breaches.breach_decide,
        done=_("Decision recorded."),
    )


@require_POST
@require_permission("privacy.change_breach")
def breach_authority_notified(request: HttpRequest, public_id: str) -> HttpResponse:
    return _step(
        request,
        public_id,
        form=AuthorityNotifiedForm(request.POST, prefix="notified"),
        name="notified_form",
        service=breaches.breach_authority_notified,
        done=_("The notification of the authority is recorded. The clock has stopped."),
    )


@require_POST
@require_permission("privacy.change_breach")
def breach_subjects_add(request: HttpRequest, public_id: str) -> HttpResponse:
    form = BreachSubjectsForm(request.POST, prefix="subjects")
    breach = _breach_or_404(public_id)
    if form.is_valid():
        try:
            added = breaches.breach_subjects_add(
                actor=Actor.from_request(request), breach=breach, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("People added: %(count)d.") % {"count": added})
            return redirect("privacy:breach", breach.public_id)
    return _breach_page(request, breach, status=400, subjects_form=form)


@require_POST
@require_permission("privacy.change_breach")
def breach_notice(request: HttpRequest, public_id: str) -> HttpResponse:
    return _step(
        request,
        public_id,
        form=BreachNoticeForm(request.POST, prefix="notice"),
        name="notice_form",
        service=breaches.breach_notice_update,
        done=_("Notice saved."),
    )


@require_POST
@require_permission("privacy.change_breach")
def breach_notices_send(request: HttpRequest, public_id: str) -> HttpResponse:
    breach = _breach_or_404(public_id)
    try:
        queued = breaches.breach_notices_send(actor=Actor.from_request(request), breach=breach)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _breach_page(request, breach, status=400)
    messages.success(request, _("Notices queued for sending: %(count)d.") % {"count": queued})
    return redirect("privacy:breach", breach.public_id)
