"""The records of processing (GDPR art. 30): the page, and its CSV and HTML downloads,
in the language of the staff UI."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.privacy.records.selectors import records_download, records_of_processing

PERMISSION = "privacy.view_registerdescription"


def _language() -> str:
    return (translation.get_language() or "fi").split("-")[0]


@require_GET
@require_permission(PERMISSION)
def records_page(request: HttpRequest) -> HttpResponse:
    context = {"records": records_of_processing(_language())}
    return render(request, "privacy/records/records.html", context)


def _download(request: HttpRequest, file_format: str) -> HttpResponse:
    download = records_download(
        actor=Actor.from_request(request), language=_language(), file_format=file_format
    )
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response


@require_GET
@require_permission(PERMISSION)
def records_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@require_GET
@require_permission(PERMISSION)
def records_html(request: HttpRequest) -> HttpResponse:
    return _download(request, "html")
