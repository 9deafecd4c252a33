from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import pending_roles
from rekisteri.dashboard.selectors import start_page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page: a section for each part of the work the person's permissions
    open (`rekisteri.dashboard.selectors`)."""
    user = request.user
    waiting = pending_roles(user) if isinstance(user, User) else []
    context = {
        "page": start_page(user=user),
        "pending_roles": [Role(role).label for role in waiting],
    }
    return render(request, "home.html", context)
