from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.consents.models import Channel
from rekisteri.marketing import address_lists, selectors, services
from rekisteri.marketing.forms import TargetGroupForm
from rekisteri.marketing.models import TargetGroup
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
    context: dict[str, object] = {
        "group": group,
        "count": count,
        "counted": True,
        "address_lists": address_lists.address_lists_of(user=request.user, group=group),  # type: ignore[arg-type]  # signed in: the middleware lets only staff through
    }
    return render(request, "marketing/detail.html", context)
