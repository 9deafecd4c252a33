from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rekisteri.audit.services import Actor, audit_permission_denied

# The first page a staff member may see, by the permissions of their roles.
LANDING_PAGES = (
    ("customers.view_customer", "customers:list"),
    ("audit.view_auditevent", "audit:log"),
    ("marketing.view_targetgroup", "marketing:list"),
    ("accounts.manage_staff", "accounts:staff_list"),
)


def home(request: HttpRequest) -> HttpResponse:
    for permission, url_name in LANDING_PAGES:
        if request.user.has_perm(permission):
            return redirect(url_name)
    return render(request, "home.html")


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every refusal is recorded, then explained."""
    audit_permission_denied(actor=Actor.from_request(request), path=request.path)
    return render(request, "403.html", status=403)
