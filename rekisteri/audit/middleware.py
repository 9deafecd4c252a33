import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (a proxy's X-Request-ID when sane) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if REQUEST_ID_PATTERN.match(offered) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
