from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rekisteri.audit.services import Actor, audit_permission_denied


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every refusal is recorded, then explained."""
    audit_permission_denied(actor=Actor.from_request(request), path=request.path)
    return render(request, "403.html", status=403)
