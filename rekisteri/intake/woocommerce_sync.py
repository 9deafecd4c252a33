"""The pull of a WooCommerce store's changed orders over its REST API, which makes up
for webhook deliveries WooCommerce never retries: each order pulled goes into the
inbox as a delivery (rekisteri/intake/inbox.py), and the worker takes it from there."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.intake.inbox import delivery_store
from rekisteri.intake.models import DeliverySource, Integration, IntegrationKind
from rekisteri.intake.services import (
    integration_actor,
    integration_consumer_credentials,
    shop_time,
)

PAGE_SIZE = 100
MAX_PAGE_BYTES = 32 * 1024 * 1024
TIMEOUT_SECONDS = 30


class SyncError(Exception):
    """The shop could not be asked for its orders."""


@dataclass(frozen=True)
class Shop:
    """Where and how to reach a WooCommerce store's REST API."""

    url: str
    consumer_key: str
    consumer_secret: str

    @classmethod
    def of(cls, integration: Integration) -> Shop:
        key, secret = integration_consumer_credentials(integration)
        if not integration.shop_url or not key or not secret:
            raise SyncError(
                "The integration needs the shop address and the REST API consumer key and secret."
            )
        parts = urllib.parse.urlsplit(integration.shop_url)
        # Plain http only to a shop on this machine (a development shop or a test's fake).
        is_local_http = parts.scheme == "http" and _is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not is_local_http:
            raise SyncError("The shop address must start with https://.")
        return cls(integration.shop_url.rstrip("/"), key, secret)

    def get(self, path: str, query: Mapping[str, str | int]) -> tuple[bytes, Mapping[str, str]]:
        request = urllib.request.Request(  # noqa: S310  # https (or loopback) checked in of()
            f"{self.url}{path}?{urllib.parse.urlencode(query)}",
            headers={"Authorization": self._authorization(), "Accept": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                body = response.read(MAX_PAGE_BYTES + 1)
                headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            raise SyncError(f"The shop answered HTTP {error.code} to {path}.") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise SyncError(f"The shop could not be reached: {error}.") from None
        if len(body) > MAX_PAGE_BYTES:
            raise SyncError("The shop's answer is too large.")
        return body, headers

    def _authorization(self) -> str:
        pair = f"{self.consumer_key}:{self.consumer_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def _origin(url: str) -> str:
    """scheme://host:port, with the scheme's default port filled in."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def _shown_origin(url: str) -> str:
    """The origin as a person would write it (no default port, nothing after it)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the shop's origin (scheme, host and port).
    urllib would otherwise send the Authorization header, with the consumer key and
    secret, on to any host a redirect names, and over plain http."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise SyncError(
                f"The shop redirected the request to {_shown_origin(newurl)}, another "
                "address than the shop's: the consumer key is sent to the shop's own "
                "address only. Set the shop address to the one the shop answers at."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Only http(s) and our redirect rule: no file://, ftp:// or data: handlers either. The
# environment's proxy settings still apply, as they did to urlopen.
_OPENER = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.UnknownHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
    _SameOriginRedirects(),
):
    _OPENER.add_handler(_handler)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


logger = logging.getLogger(__name__)

# The first run of an integration, with no position yet, asks for the orders changed in
# this many hours before it (webhooks carry the rest; `--since` reaches further back).
FIRST_SYNC_HOURS = 24
# The position is set this far before the latest change seen: an order the shop saved in
# the same second, or whose transaction committed a moment late, or a clock a little
# off, is asked for again. A repeat is the same delivery (its key) and changes nothing.
SYNC_OVERLAP = datetime.timedelta(minutes=1)
SYNC_TOPIC = "sync"
_JSON_WHITESPACE = " \t\n\r"


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position] in _JSON_WHITESPACE:
        position += 1
    return position


def _page_orders(body: bytes, page: int) -> list[tuple[dict[str, Any], bytes]]:
    """Each order object of a page, parsed, with its bytes exactly as the shop wrote
    them: the inbox reads that, as it reads a webhook's body (no number rounded, no
    escape re-written). Anything in the list that is not an object is left out."""
    try:
        orders = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SyncError(f"Page {page} of the shop's orders is not JSON.") from None
    if not isinstance(orders, list):
        raise SyncError(f"Page {page} of the shop's orders is not a list.")
    # The page parsed, so each element can be cut out of it one by one.
    text = body.decode("utf-8-sig")
    decoder = json.JSONDecoder(parse_float=Decimal)
    position = _skip_whitespace(text, _skip_whitespace(text, 0) + 1)  # past the "["
    found: list[tuple[dict[str, Any], bytes]] = []
    for _element in orders:
        value, end = decoder.raw_decode(text, position)
        if isinstance(value, dict):
            found.append((value, text[position:end].encode("utf-8")))
        position = _skip_whitespace(text, end)
        position = _skip_whitespace(text, position + 1)  # past the "," (or the "]")
    return found


def orders_modified_since(shop: Shop, since: str) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Every order changed after `since` (UTC, ISO 8601), with its own bytes, page by
    page in order of id, which later changes do not reorder."""
    page, total_pages = 1, 1
    while page <= total_pages:
        body, headers = shop.get(
            "/wp-json/wc/v3/orders",
            {
                "modified_after": since,
                "dates_are_gmt": "true",
                "orderby": "id",
                "order": "asc",
                "per_page": PAGE_SIZE,
                "page": page,
            },
        )
        orders = _page_orders(body, page)
        yield from orders
        pages = {key.lower(): value for key, value in headers.items()}.get("x-wp-totalpages")
        if pages is not None and pages.isdigit():
            total_pages = int(pages)
        elif len(orders) == PAGE_SIZE:
            total_pages = page + 1
        page += 1


@dataclass(frozen=True)
class SyncRun:
    """One run of the sync: what it asked for and what it stored, or why it failed.
    `outcome` is what the integration records; it names counts and the shop's
    answer, never an order's contents."""

    integration: Integration
    since: datetime.datetime
    pulled: int = 0
    new: int = 0
    position: datetime.datetime | None = None
    failed: bool = False
    outcome: str = ""


def _delivery_key(data: Mapping[str, Any], raw: bytes) -> str:
    """One delivery per order and modification time, however often it is pulled; an
    order without the two is known by its bytes."""
    order_id, modified = data.get("id"), data.get("date_modified_gmt")
    if isinstance(order_id, int) and not isinstance(order_id, bool) and isinstance(modified, str):
        return f"sync:{order_id}:{modified.strip()[:40]}"
    return f"sync:sha256:{hashlib.sha256(raw).hexdigest()}"


def _modified_at(data: Mapping[str, Any]) -> datetime.datetime | None:
    try:
        return shop_time(data.get("date_modified_gmt"), field="date_modified_gmt")
    except ValidationError:
        return None


def _position_after(
    *,
    old: datetime.datetime | None,
    since: datetime.datetime,
    latest: datetime.datetime | None,
) -> datetime.datetime | None:
    """Where the next run starts. A run from later than the position (a --since given)
    left the time between them unasked, so the position stays; otherwise it moves to
    the latest change seen, less the overlap, and never back."""
    if old is not None and since > old:
        return old
    candidates = [old if old is not None else since]
    if latest is not None:
        candidates.append(latest - SYNC_OVERLAP)
    return max(candidates)


def _since_default(integration: Integration, now: datetime.datetime) -> datetime.datetime:
    if integration.sync_position is not None:
        return integration.sync_position
    return now - datetime.timedelta(hours=FIRST_SYNC_HOURS)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sync_record(run: SyncRun, *, actor: Actor, started: datetime.datetime) -> None:
    """Writes the run onto the integration, and its audit event, together."""
    fields = {
        "sync_last_run_at": started,
        "sync_last_outcome": run.outcome[:300],
        "sync_last_failed": run.failed,
    }
    if not run.failed:
        fields["sync_position"] = run.position
    integration = run.integration
    with audited_transaction():
        Integration.objects.filter(pk=integration.pk).update(**fields)
        for name, value in fields.items():
            setattr(integration, name, value)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=integration,
            changed_fields=sorted(fields),
            reason=f"woocommerce sync: {run.outcome}"[:200],
        )


def woocommerce_sync(
    *,
    actor: Actor,
    integration: Integration,
    since: datetime.datetime | None = None,
) -> SyncRun:
    """Pulls the orders the shop changed since `since` (by default where the last
    successful run left off: `Integration.sync_position`, or FIRST_SYNC_HOURS back on
    the first run) and stores each in the inbox, where the worker makes it an order
    as it would a webhook delivery. An order pulled again unchanged is the delivery
    already stored.

    Every run is recorded on the integration (when, how it went) and audited; the
    position moves only when the whole run succeeded. A SyncError (the shop could not
    be asked, or answered nonsense) is a failed run, returned; any other error is
    recorded as failed too, and raised."""
    started = timezone.now()
    since = (since or _since_default(integration, started)).astimezone(datetime.UTC)
    pulled = new = 0
    latest: datetime.datetime | None = None
    try:
        shop = Shop.of(integration)
        for data, raw in orders_modified_since(shop, since.strftime("%Y-%m-%dT%H:%M:%S")):
            stored = delivery_store(
                integration=integration,
                source=DeliverySource.SYNC,
                body=raw,
                topic=SYNC_TOPIC,
                delivery_key=_delivery_key(data, raw),
            )
            pulled += 1
            new += not stored.repeated
            modified = _modified_at(data)
            if modified is not None and (latest is None or modified > latest):
                latest = modified
    except SyncError as error:
        run = SyncRun(integration, since, pulled, new, failed=True, outcome=str(error))
        _sync_record(run, actor=actor, started=started)
        return run
    except Exception as error:
        outcome = f"The sync failed ({type(error).__name__}) after {pulled} orders."
        _sync_record(
            SyncRun(integration, since, pulled, new, failed=True, outcome=outcome),
            actor=actor,
            started=started,
        )
        raise
    outcome = (
        f"{_plural(pulled, 'order', 'orders')} pulled, "
        f"{_plural(new, 'new delivery', 'new deliveries')}"
    )
    position = _position_after(old=integration.sync_position, since=since, latest=latest)
    run = SyncRun(integration, since, pulled, new, position=position, outcome=outcome)
    _sync_record(run, actor=actor, started=started)
    return run


def woocommerce_sync_integrations() -> QuerySet[Integration]:
    """The active WooCommerce integrations that can be synced: with the shop address
    and the REST API consumer key and secret."""
    return (
        Integration.objects.filter(kind=IntegrationKind.WOOCOMMERCE, revoked_at__isnull=True)
        .exclude(shop_url="")
        .exclude(consumer_key_encrypted="")
        .exclude(consumer_secret_encrypted="")
        .order_by("id")
    )


def woocommerce_sync_due(now: datetime.datetime | None = None) -> list[SyncRun]:
    """Runs the sync of each integration whose last run began at least
    REKISTERI_WOOCOMMERCE_SYNC_MINUTES ago (or never ran); nothing when that is 0.

    Each run is claimed first by moving its `sync_last_run_at` to now in one UPDATE
    that only a due row matches, so of several workers one runs it. A failure is
    logged with the integration's name and the shop's answer, never an order's
    contents, and the others still run."""
    minutes = settings.REKISTERI_WOOCOMMERCE_SYNC_MINUTES
    if minutes <= 0:
        return []
    now = now or timezone.now()
    due_before = now - datetime.timedelta(minutes=minutes)
    runs = []
    for integration in woocommerce_sync_integrations().filter(
        Q(sync_last_run_at__isnull=True) | Q(sync_last_run_at__lte=due_before)
    ):
        claimed = (
            Integration.objects.filter(pk=integration.pk)
            .filter(Q(sync_last_run_at__isnull=True) | Q(sync_last_run_at__lte=due_before))
            .update(sync_last_run_at=now)
        )
        if not claimed:
            continue
        try:
            run = woocommerce_sync(actor=integration_actor(integration), integration=integration)
        except Exception as error:
            # The error's text could quote what the shop sent; the log names its kind.
            logger.error(
                "the WooCommerce sync of %r failed (%s)", integration.name, type(error).__name__
            )
            continue
        if run.failed:
            logger.warning("the WooCommerce sync of %r failed: %s", integration.name, run.outcome)
        runs.append(run)
    return runs
