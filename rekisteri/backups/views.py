"""The administrator's view of the backups: a backup under way with its progress, the
last good one and the recent runs. Backups are made and restored by `rekisteri backup`
on the server, not from here (docs/backups.md says why)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRefresh

from rekisteri.accounts.access import require_permission
from rekisteri.backups.selectors import backup_status, backups_running


@never_cache
@require_GET
@require_permission("backups.view_backuprun")
def backup_status_page(request: HttpRequest) -> HttpResponse:
    return render(request, "backups/status.html", {"status": backup_status()})


@never_cache
@require_GET
@require_permission("backups.view_backuprun")
def backup_progress(request: HttpRequest) -> HttpResponse:
    """The box of the backups under way alone, polled by htmx while one runs; when none
    is left, the whole page is loaded again to show the result."""
    running = backups_running()
    if request.htmx and not running:  # type: ignore[attr-defined]  # set by django-htmx middleware
        return HttpResponseClientRefresh()
    return render(request, "backups/_running.html", {"running": running})
