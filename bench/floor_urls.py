"""Rekisteri's URLs and the benchmark's floor: `POST /bench/floor` stores the body in
one row and answers 202, and does nothing else. Its rate is the most any
acknowledgement can reach on the same server and machine (bench/order_intake.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

FLOOR_PATH = "/bench/floor"
FLOOR_TABLE = "bench_floor"  # the floor view names it literally, for bandit


@csrf_exempt
@login_not_required
@require_POST
def floor(request: HttpRequest) -> JsonResponse:
    """One INSERT in autocommit, as the inbox stores a delivery, and a small answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor (body, received_at) VALUES (%s, %s)",
            [request.body.decode("utf-8", errors="replace"), timezone.now()],
        )
    return JsonResponse({"state": "received"}, status=202)


urlpatterns = [
    path(FLOOR_PATH.lstrip("/"), floor, name="bench_floor"),
    path("", include("rekisteri.urls")),
]

handler403 = "rekisteri.views.permission_denied"
