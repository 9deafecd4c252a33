"""The administrator's view of the backups: the last good one and the recent runs.
Backups are made and restored by `rekisteri backup` on the server, not from here."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rekisteri.accounts.access import require_permission
from rekisteri.backups.selectors import backup_status


@never_cache
@require_GET
@require_permission("backups.view_backuprun")
def backup_status_page(request: HttpRequest) -> HttpResponse:
    return render(request, "backups/status.html", {"status": backup_status()})
