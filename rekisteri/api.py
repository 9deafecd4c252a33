"""The one NinjaAPI at /api/v1/; each app adds its router here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from pydantic import BaseModel

from rekisteri.customers.api import router as customers_router
from rekisteri.intake import api as intake_api
from rekisteri.intake.auth import TooManyRequests


class RekisteriAPI(NinjaAPI):
    """NinjaAPI with two additions.

    Operations decorated with `@login_not_required` are let past the staff sign-in
    middleware: machines prove who they are with keys, not sessions. (Django's
    middleware reads the attribute from the view it resolves, which ninja builds per
    path, so the mark is carried over to a path whose operations all have it.)

    Request bodies that an operation reads itself (to check their size before parsing)
    are still described in the OpenAPI schema by their models in `body_schemas`."""

    def __init__(self, *args: Any, body_schemas: Sequence[type[BaseModel]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.body_schemas = tuple(body_schemas)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        login_free = self._login_free_url_names()
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and pattern.name in login_free:
                pattern.callback.login_required = False  # type: ignore[attr-defined]  # Django reads it
        return patterns

    def _login_free_url_names(self) -> set[str]:
        names: set[str] = set()
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                operations = path_view.operations
                if operations and all(
                    getattr(operation.view_func, "login_required", True) is False
                    for operation in operations
                ):
                    names.update(
                        str(getattr(operation, "url_name", "")) for operation in operations
                    )
        names.discard("")
        return names

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in self.body_schemas:
            definition = model.model_json_schema(ref_template=REF_TEMPLATE)
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        return schema


api = RekisteriAPI(
    title="Rekisteri API",
    version="1",
    description="Rekisteri's customer register. Every read of a customer is audited.",
    urls_namespace="api",
    body_schemas=intake_api.BODY_SCHEMAS,
)


@api.exception_handler(TooManyRequests)
def too_many_requests(request: HttpRequest, error: TooManyRequests) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": error.detail},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


api.add_router("/customers/", customers_router)
api.add_router("/orders", intake_api.router)
