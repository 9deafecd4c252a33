"""Staff pages of prepared address lists and labels (docs/marketing.md): asking for one
on a post group's page, its progress, and the download, once. A prepared list is its
maker's alone: another staff member's is a 404, as if it did not exist."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.models import User
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.marketing import address_lists, selectors
from rekisteri.marketing.models import AddressList, AddressListKind
from rekisteri.marketing.post_views import restriction_list_unusable
from rekisteri.marketing.restrictions import RestrictionListUnusable
from rekisteri.marketing.services import ExportNotAllowed

PERMISSION = "marketing.export_targetgroup"
NOT_POST = {
    AddressListKind.CSV: gettext_lazy("Only a post target group has an address list to export."),
    AddressListKind.LABELS: gettext_lazy("Only a post target group has address labels to print."),
}


class StaffRequest(HttpRequest):
    user: User


def _own_list_or_404(request: StaffRequest, public_id: uuid.UUID) -> AddressList:
    """The one access helper for prepared lists: the maker's own, else 404."""
    address_list = address_lists.address_list_for(user=request.user, public_id=public_id)
    if address_list is None:
        raise Http404
    return address_list


def _start(request: StaffRequest, pk: int, kind: AddressListKind) -> HttpResponse:
    group = selectors.target_group_get(pk=pk)
    if group is None:
        raise Http404
    try:
        address_list = address_lists.address_list_start(
            actor=Actor.from_request(request), group=group, kind=kind
        )
    except ExportNotAllowed:
        return HttpResponse(
            str(NOT_POST[kind]), status=400, content_type="text/plain; charset=utf-8"
        )
    except RestrictionListUnusable:
        return restriction_list_unusable()
    messages.success(request, _("The file is being prepared. This page shows its progress."))
    return redirect("marketing:address_list", address_list.public_id)


@require_POST
@require_permission(PERMISSION)
@require_recent_authentication
def target_group_export(request: StaffRequest, pk: int) -> HttpResponse:
    """Asks the worker for the post group's address list as CSV."""
    return _start(request, pk, AddressListKind.CSV)


@require_POST
@require_permission(PERMISSION)
@require_recent_authentication
def target_group_labels(request: StaffRequest, pk: int) -> HttpResponse:
    """Asks the worker for the post group's address labels as PDF."""
    return _start(request, pk, AddressListKind.LABELS)


@require_GET
@require_permission(PERMISSION)
def address_list_detail(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    address_list = _own_list_or_404(request, public_id)
    return render(request, "marketing/address_list.html", {"address_list": address_list})


@require_GET
@require_permission(PERMISSION)
def address_list_progress(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """The progress box alone, polled by htmx while the file is prepared; when it is
    done, the whole page is loaded again to show the result."""
    address_list = _own_list_or_404(request, public_id)
    if request.htmx and not address_list.is_running:  # type: ignore[attr-defined]  # set by django-htmx middleware
        return HttpResponseClientRefresh()
    context = {"address_list": address_list}
    return render(request, "marketing/_address_list_progress.html", context)


@never_cache
@require_POST
@require_permission(PERMISSION)
@require_recent_authentication
def address_list_download(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """The prepared file, once; it is deleted as it leaves."""
    address_list = _own_list_or_404(request, public_id)
    try:
        download = address_lists.address_list_download(
            actor=Actor.from_request(request), address_list=address_list
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("marketing:address_list", address_list.public_id)
    return HttpResponse(
        download.content,
        content_type=download.content_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
