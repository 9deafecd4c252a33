"""Request bodies are refused by their declared size before anything reads them
(docs/security.md).

Django's CSRF check parses a multipart body before any view runs, and spools a large
one to a temporary file: whoever can reach the app could fill its disk without signing
in. So a body is measured by its Content-Length first:

- `RequestBodyLimitMiddleware`, first in the chain, refuses with 413 what is larger
  than the largest file the app takes (settings.MAX_REQUEST_BODY_BYTES), and with 411
  a chunked body without a length (Django would read it as empty anyway).
- `AnonymousBodyLimitMiddleware`, right after the user is known, refuses with 413 a
  body larger than DATA_UPLOAD_MAX_MEMORY_SIZE from anyone not signed in: nothing a
  stranger may send (a sign-in, an API order, a webhook, a portal form) is larger,
  and what is smaller stays in memory.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def declared_length(request: HttpRequest) -> int:
    """The body's Content-Length; 0 when there is none or it is not a number (Django
    then reads no body at all)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def too_large() -> HttpResponse:
    return HttpResponse(
        "Request body too large.\n",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if declared_length(request) > settings.MAX_REQUEST_BODY_BYTES:
            return too_large()
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not (
            request.META.get("CONTENT_LENGTH")
        ):
            return HttpResponse(
                "Send the request with a Content-Length.\n",
                status=411,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class AnonymousBodyLimitMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (
            limit is not None
            and declared_length(request) > limit
            and not request.user.is_authenticated
        ):
            return too_large()
        return self.get_response(request)
