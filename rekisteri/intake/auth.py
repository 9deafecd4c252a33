"""Who is calling the API: an integration recognised by its API key.

The key comes as `Authorization: Bearer rk_…` or as `X-API-Key: rk_…`. A request
without a key, or with one that is unknown or revoked, is refused with 401 and recorded
as a failed sign-in by an anonymous caller: no integration has proved who it is, and
the key itself is never written anywhere. Such refusals are counted per address
(rekisteri/audit/refusals.py); an address refused too often is answered 429 before
its key is looked up."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.refusals import refusal_record, refusals_wait
from rekisteri.audit.services import Actor
from rekisteri.intake.models import Integration
from rekisteri.intake.services import integration_for_api_key
from rekisteri.ratelimit import limit_hit

BEARER = "bearer "


class TooManyRequests(Exception):
    """The integration has used up its calls for this minute, or the address its
    refusals (answered 429)."""

    def __init__(
        self,
        retry_after: int,
        detail: str = "Too many requests for this API key. Try again in a minute.",
    ) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.detail = detail


def presented_api_key(request: HttpRequest) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization[: len(BEARER)].lower() == BEARER:
        return authorization[len(BEARER) :].strip()
    return request.headers.get("X-API-Key", "").strip()


def anonymous_actor(request: HttpRequest) -> Actor:
    """The caller as the audit trail sees it before a key has said who it is; a staff
    session that happens to come along proves nothing here."""
    return Actor(
        type=ActorType.ANONYMOUS,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )


class IntegrationKey(APIKeyHeader):
    """API-key authentication for integrations (documented as `X-API-Key`; a bearer
    token in `Authorization` works the same)."""

    param_name = "X-API-Key"
    openapi_description = "The integration's API key, rk_…; or send Authorization: Bearer rk_…"

    def __call__(self, request: HttpRequest) -> Integration | None:
        refused_wait = refusals_wait(request=request)
        if refused_wait is not None:
            raise TooManyRequests(
                refused_wait, "Too many refused requests from this address. Try again later."
            )
        api_key = presented_api_key(request)
        integration = integration_for_api_key(api_key) if api_key else None
        if integration is None:
            refusal_record(
                actor=anonymous_actor(request),
                action=Action.LOGIN_FAILURE,
                object_type="url",
                object_id=request.path[:64],
                reason="api key not recognised" if api_key else "api key missing",
            )
            return None
        wait = limit_hit(
            f"api:{integration.pk}", limit=settings.API_RATE_PER_MINUTE, window_seconds=60
        )
        if wait is not None:
            raise TooManyRequests(wait)
        return integration

    def authenticate(self, request: HttpRequest, key: str | None) -> Integration | None:
        return integration_for_api_key(key) if key else None


integration_key = IntegrationKey()
