"""Access checks for views: permissions, never role names, always on the server."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def require_permission(
    permission: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Refuses (403, audited by the project's handler) a user without `permission`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def require_any_permission(
    *permissions: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Refuses (403, audited) a user with none of `permissions`; the view or its
    service checks which of them the act needs."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not any(request.user.has_perm(permission) for permission in permissions):
                raise PermissionDenied(permissions[0])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
