from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rekisteri.accounts.access import require_permission
from rekisteri.audit import selectors
from rekisteri.audit.forms import AuditFilterForm


def _query_with_before(request: HttpRequest, before: int | None) -> str:
    """The current filters' query string, paged to events older than `before`."""
    query = request.GET.copy()
    query.pop("before", None)
    if before is not None:
        query["before"] = str(before)
    return query.urlencode()


@require_permission("audit.view_auditevent")
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    context: dict[str, object] = {"form": form, "page": None}
    if form.is_valid():
        page = selectors.audit_log_page(
            filters=form.audit_filter(),
            before=form.cleaned_data["before"],
            page_size=settings.AUDIT_PAGE_SIZE,
        )
        context["page"] = page
        if page.older_than is not None:
            context["older_query"] = _query_with_before(request, page.older_than)
        if form.cleaned_data["before"] is not None:
            context["is_older_page"] = True
            context["newest_query"] = _query_with_before(request, None)
    return render(request, "audit/log.html", context)
