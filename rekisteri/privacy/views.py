"""The privacy officer's pages for subject requests."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rekisteri.accounts.access import require_permission


@require_GET
@require_permission("privacy.view_subjectrequest")
def request_board(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/requests.html", {"requests": []})
