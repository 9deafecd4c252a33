from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.accounts.reauth import require_recent_authentication
from rekisteri.audit.services import Actor
from rekisteri.consents.models import Channel
from rekisteri.marketing import selectors, services
from rekisteri.marketing.forms import TargetGroupForm
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.post_views import restriction_list_unusable
from rekisteri.marketing.restrictions import (
    RestrictionListUnusable,
    restricted_count,
    restricted_digests,
)
from rekisteri.versioning import Conflict


def _group_or_404(pk: int) -> TargetGroup:
    group = selectors.target_group_get(pk=pk)
    if group is None:
        raise Http404
    return group


@require_GET
@require_permission("marketing.view_targetgroup")
def target_group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/list.html", {"groups": selectors.target_group_list()})


def _form_page(request: HttpRequest, group: TargetGroup | None) -> HttpResponse:
    """Create and edit alike: "preview" counts the members without saving, "save" saves."""
    initial = TargetGroupForm.initial_of(group) if group else {"channel": Channel.POST}
    form = TargetGroupForm(request.POST or None, initial=initial)
    count = None
    counted = False
    if request.method == "POST" and form.is_valid():
        try:
            if "preview" in request.POST:
                preview = services.target_group_build(data=form.group_input())
                count = selectors.count_shown(selectors.target_group_members(preview).count())
                counted = True
            else:
                saved = services.target_group_save(
                    actor=Actor.from_request(request),
                    data=form.group_input(),
                    group=group,
                    version=form.cleaned_data["version"],
                )
                messages.success(request, _("Target group saved."))
                return redirect("marketing:detail", saved.pk)
        except ValidationError as error:
            form.add_service_errors(error)
        except Conflict:
            form.add_error(None, _("Someone else saved this target group. Open it again."))
            context = {"form": form, "group": group, "counted": False}
            return render(request, "marketing/form.html", context, status=409)
    partial = request.htmx and counted  # type: ignore[attr-defined]  # set by django-htmx middleware
    template = "marketing/_count.html" if partial else "marketing/form.html"
    shown = {"form": form, "group": group, "count": count, "counted": counted}
    return render(request, template, shown)


@require_http_methods(["GET", "POST"])
@require_permission("marketing.add_targetgroup")
def target_group_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@require_permission("marketing.change_targetgroup")
def target_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, _group_or_404(pk))


@require_GET
@require_permission("marketing.view_targetgroup")
def target_group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_or_404(pk)
    count = selectors.count_shown(selectors.target_group_members(group).count())
    context: dict[str, object] = {"group": group, "count": count, "counted": True}
    return render(request, "marketing/detail.html", context)


@never_cache
@require_POST
@require_permission("marketing.export_targetgroup")
@require_recent_authentication
def target_group_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The post group's address list as CSV, streamed, less those on the ASML
    restriction list. The export is audited with its row count (members less those
    matched) before the first row leaves (docs/marketing.md)."""
    group = _group_or_404(pk)
    if group.channel != Channel.POST:
        message = _("Only a post target group has an address list to export.")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    try:
        digests = restricted_digests()
    except RestrictionListUnusable:
        return restriction_list_unusable()
    members = selectors.target_group_members(group)
    rows = members.count() - restricted_count(members, digests)
    services.target_group_export_record(actor=Actor.from_request(request), group=group, rows=rows)
    response = StreamingHttpResponse(
        selectors.target_group_export_csv(group, digests=digests),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"target-group-{group.pk}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The access decorators are typed for HttpResponse; they pass any response through.
    return response  # type: ignore[return-value]  # a streaming response, passed through
