from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import pending_roles
from rekisteri.audit.services import Actor, audit_permission_denied
from rekisteri.dashboard import start_page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page: a section for each part of the work the person's permissions
    open (`rekisteri.dashboard`)."""
    user = request.user
    waiting = pending_roles(user) if isinstance(user, User) else []
    context = {
        "page": start_page(user=user),
        "pending_roles": [Role(role).label for role in waiting],
    }
    return render(request, "home.html", context)


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every refusal is recorded, then explained."""
    audit_permission_denied(actor=Actor.from_request(request), path=request.path)
    return render(request, "403.html", status=403)
