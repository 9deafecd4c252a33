"""Staff pages of the post campaign: the ASML restriction list."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.forms import ServiceErrorsForm
from rekisteri.marketing import restrictions
from rekisteri.marketing.restrictions import ImportResult, RejectReason

REPORT_SESSION_KEY = "marketing_restriction_import_report"
REPORT_ROWS_SHOWN = 500


class RestrictionListForm(ServiceErrorsForm):
    file = forms.FileField(
        label=gettext_lazy("Restriction list file (CSV)"),
        help_text=gettext_lazy(
            "ASML's name and address file as CSV, with a header row: sukunimi, etunimet, "
            "lähiosoite, postinumero (or the same in English)."
        ),
    )


def restriction_list_unusable() -> HttpResponse:
    message = _(
        "The restriction list in force was imported under another encryption key and "
        "cannot be matched. Import the list again before exporting addresses."
    )
    return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")


def _report(result: ImportResult) -> dict[str, object]:
    """What the list page shows once after an import: row numbers and reasons only."""
    shown = result.rejections[:REPORT_ROWS_SHOWN]
    return {
        "list": result.restriction_list.pk,
        "rejected": len(result.rejections),
        "rows": [(rejection.row, rejection.reason.value) for rejection in shown],
    }


def _report_for_page(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report kept in the session, with each reason in the page's language."""
    if not report:
        return None
    rows = [(row, RejectReason(reason).label) for row, reason in report["rows"]]
    return {**report, "rows": rows}


@require_GET
@require_permission("marketing.view_restrictionlist")
def restriction_lists(request: HttpRequest) -> HttpResponse:
    report = _report_for_page(request.session.pop(REPORT_SESSION_KEY, None))
    context = {
        "imports": restrictions.restriction_list_history(),
        "in_force": restrictions.restriction_list_in_force(),
        "form": RestrictionListForm(),
        "report": report,
    }
    return render(request, "marketing/restrictions.html", context)


@require_http_methods(["GET", "POST"])
@require_permission("marketing.add_restrictionlist")
def restriction_list_import(request: HttpRequest) -> HttpResponse:
    form = RestrictionListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = restrictions.restriction_list_import(
                actor=Actor.from_request(request), file=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            request.session[REPORT_SESSION_KEY] = _report(result)
            messages.success(request, _("Restriction list imported; it is now in force."))
            return redirect("marketing:restrictions")
    return render(request, "marketing/restriction_import.html", {"form": form})
