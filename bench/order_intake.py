"""How many web shop orders the production server takes: `POST /api/v1/orders`.

The run starts `rekisteri serve` (gunicorn) as a separate process in production mode
on the bench database, makes a generic integration for its API key, and posts orders
from concurrent clients over keep-alive connections: half from new customers, half
from returning ones (customers of the register, matched by identity code or email,
and buyers first seen in the warm-up), three lines each. Meanwhile a customer service
member searches the staff search page about five times a second. The last line of
output is one JSON object.

By default it counts acknowledgements: the inbox stores each order and answers 202
with a receipt (rekisteri/intake/inbox.py); nothing processes them during the run.
With `wait` it sends `Prefer: wait=N`, so each request makes its order before it is
answered, and counts the 201s.

The floor: the same clients post the same bodies, as many, to `/bench/floor` on the
same server (bench/floor_urls.py: one INSERT of the body, 202), in turns with the
orders. Its rate is the most any acknowledgement can reach on this machine at this
moment, so `floor_share` holds on a slower or busier machine too.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.db import connections

from bench.customer_search import percentile
from bench.floor_urls import FLOOR_PATH, FLOOR_TABLE
from bench.generate import FIRST_NUMBER, Pools, has_identity_code, identity_code_of
from rekisteri.customers.models import Customer

API_PATH = "/api/v1/orders"
READY_PATH = "/api/v1/openapi.json"
# The server runs with the floor's URLconf for the whole run (bench/floor_settings.py).
SERVER_SETTINGS = "bench.floor_settings"
BENCH_DIR = Path(__file__).resolve().parent
# The targets of the issue "Web shop orders are never lost": acknowledgements, and
# answers that wait for the order (`Prefer: wait=5`).
TARGET_ORDERS_PER_S = 400.0
TARGET_P99_MS = 100.0
TARGET_FLOOR_SHARE = 0.5
TARGET_WAIT_P99_MS = 250.0
# Of the issue "An audit trail that never holds the register up".
TARGET_SEARCH_P95_MS = 50.0
# The floor and the orders take turns: floor, orders, orders, floor, ...
DEFAULT_ROUNDS = 2
SEARCH_PATH = "/customers/search/"
LIST_PATH = "/customers/"
# A staff member searches about five times a second while the shops post orders.
SEARCH_PAUSE_SECONDS = 0.2
# The production server's cookie names (rekisteri/settings.py, production mode).
SESSION_COOKIE = "__Host-rekisteri-session"
CSRF_COOKIE = "__Host-rekisteri-csrf"
LINES_PER_ORDER = 3
PRODUCTS = 60
IDENTITY_CODE_SHARE = 0.3  # of new buyers; returning ones give theirs when the register has it
# Invoice orders are left out: each one waits for the credit bureau (issue 4), which
# is not what this benchmark measures.
PAYMENT_METHODS = ("prepaid", "cash_on_delivery")
PAYMENT_WEIGHTS = (80, 20)
VAT_RATES = ("25.5", "14.0", "10.0")
VAT_WEIGHTS = (80, 15, 5)
SERVER_START_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class PlannedOrder:
    """One request as a shop would send it, encoded before the clock starts."""

    body: bytes
    idempotency_key: str
    is_new_customer: bool


@dataclass(frozen=True)
class Plan:
    warm_up: list[PlannedOrder]
    measured: list[PlannedOrder]
    new_customers: int  # buyers the register does not know yet, in both phases


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit_price: str
    vat_rate: str


def catalogue(rng: random.Random) -> list[Product]:
    """A shop's products: prices as the strings shops send, VAT mostly at 25.5 %."""
    kinds = ("Villasukat", "Kahvipaketti", "Kirja", "Lamppu", "Juomapullo", "Reppu", "Pipo")
    products = []
    for number in range(1, PRODUCTS + 1):
        cents = rng.randrange(190, 19990)
        products.append(
            Product(
                sku=f"BENCH-{number:03d}",
                name=f"{rng.choice(kinds)} {number}",
                unit_price=str(Decimal(cents) / 100),
                vat_rate=rng.choices(VAT_RATES, VAT_WEIGHTS)[0],
            )
        )
    return products


def register_buyers(*, count: int, rng: random.Random, customers: int) -> list[dict[str, str]]:
    """`count` random customers of the generated register, as a shop knows them."""
    numbers = rng.sample(range(FIRST_NUMBER, FIRST_NUMBER + customers), min(count, customers))
    rows = Customer.objects.filter(customer_number__in=numbers).values_list(
        "customer_number",
        "surname",
        "first_names",
        "email",
        "phone",
        "street_address",
        "postal_code",
        "post_office",
    )
    buyers = []
    for number, surname, first_names, email, phone, street, postal_code, post_office in rows:
        buyers.append(
            {
                "surname": surname,
                "first_names": first_names,
                "email": email,
                "phone": phone,
                "identity_code": identity_code_of(number) if has_identity_code(number) else "",
                "street_address": street,
                "postal_code": postal_code,
                "post_office": post_office,
                "country": "FI",
            }
        )
    rng.shuffle(buyers)
    return buyers


def new_buyer(*, pools: Pools, rng: random.Random, number: int) -> dict[str, str]:
    """A buyer the register does not know. `number` is past every customer number in
    the register, so the email and identity code derived from it are unused."""
    surname = rng.choice(pools.surnames)
    first_name = rng.choice(pools.first_names)
    street, postal_code, post_office = rng.choice(pools.addresses)
    local = "".join(c for c in f"{first_name}.{surname}".casefold() if c.isascii() and c != " ")
    return {
        "surname": surname,
        "first_names": first_name,
        "email": f"{local}.{number}@example.fi",
        "phone": f"050{rng.randrange(10**7):07d}",
        "identity_code": identity_code_of(number) if rng.random() < IDENTITY_CODE_SHARE else "",
        "street_address": street,
        "postal_code": postal_code,
        "post_office": post_office,
        "country": "FI",
    }


def order_body(
    *,
    external_id: str,
    buyer: dict[str, str],
    products: list[Product],
    rng: random.Random,
    placed_at: datetime.datetime,
) -> dict[str, Any]:
    lines = [
        {
            "sku": product.sku,
            "name": product.name,
            "unit_price": product.unit_price,
            "vat_rate": product.vat_rate,
            "quantity": rng.choices((1, 2, 3), (70, 20, 10))[0],
        }
        for product in rng.sample(products, LINES_PER_ORDER)
    ]
    return {
        "external_id": external_id,
        "customer": buyer,
        "lines": lines,
        "payment_method": rng.choices(PAYMENT_METHODS, PAYMENT_WEIGHTS)[0],
        "placed_at": placed_at.isoformat(),
        "modified_at": placed_at.isoformat(),
    }


def plan_orders(
    *,
    count: int,
    warm_up: int,
    seed: int,
    register: list[dict[str, str]],
    first_free_number: int,
    now: datetime.datetime | None = None,
) -> Plan:
    """The warm-up's and the measured orders, each half new and half returning buyers.

    Returning buyers of the warm-up come from the register; those of the measured
    orders also include buyers the warm-up added, found again by their email or code."""
    if not register:
        raise ValueError("returning buyers need a register to come from")
    rng = random.Random(seed)
    pools = Pools.draw(seed)
    products = catalogue(rng)
    now = now or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    numbers = iter(range(first_free_number, first_free_number + count + warm_up))
    serial = iter(range(1, count + warm_up + 1))

    def phase(size: int, known: list[dict[str, str]]) -> tuple[list[PlannedOrder], list[Any]]:
        orders, added = [], []
        kinds = [True] * (size // 2) + [False] * (size - size // 2)
        rng.shuffle(kinds)
        for is_new in kinds:
            if is_new:
                buyer = new_buyer(pools=pools, rng=rng, number=next(numbers))
                added.append(buyer)
            else:
                buyer = rng.choice(known)
            body = order_body(
                external_id=f"bench-{next(serial)}",
                buyer=buyer,
                products=products,
                rng=rng,
                placed_at=now - datetime.timedelta(seconds=rng.randrange(3600)),
            )
            orders.append(
                PlannedOrder(
                    body=json.dumps(body, separators=(",", ":")).encode("utf-8"),
                    idempotency_key=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    is_new_customer=is_new,
                )
            )
        return orders, added

    warm_up_orders, seen_in_warm_up = phase(warm_up, register)
    measured, _added = phase(count, register + seen_in_warm_up)
    return Plan(
        warm_up=warm_up_orders,
        measured=measured,
        new_customers=sum(o.is_new_customer for o in warm_up_orders + measured),
    )


@dataclass(frozen=True)
class Sample:
    started: float
    milliseconds: float
    status: int  # 0 when the request failed without a response
    detail: str = ""


class Connection:
    """One client's keep-alive connection; a failed request opens a new one."""

    def __init__(self, *, host: str, port: int, api_key: str, wait: int | None = None) -> None:
        self.host, self.port = host, port
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if wait is not None:
            self.headers["Prefer"] = f"wait={wait}"
        self.connection: http.client.HTTPConnection | None = None

    def post(self, order: PlannedOrder, path: str = API_PATH) -> Sample:
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT_SECONDS
                )
            self.connection.request(
                "POST",
                path,
                body=order.body,
                headers={**self.headers, "Idempotency-Key": order.idempotency_key},
            )
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            elapsed = (time.perf_counter() - started) * 1000
            return Sample(started, elapsed, 0, f"{type(error).__name__}: {error}"[:300])
        elapsed = (time.perf_counter() - started) * 1000
        if response.will_close:
            self.close()
        if 200 <= response.status < 300:
            return Sample(started, elapsed, response.status)
        detail = " ".join(content[:400].decode(errors="replace").split())[:200]
        return Sample(started, elapsed, response.status, f"{response.status} {detail}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Searcher:
    """A customer service member on the staff search page while the shops post
    orders: signed in (a session made for the bench user in the database the server
    uses), searching register customers by number and by surname prefix through the
    full page, as without JavaScript, until told to stop."""

    def __init__(self, *, host: str, port: int, session_key: str, terms: list[tuple[str, str]]):
        self.host, self.port = host, port
        self.session_key = session_key
        self.terms = terms  # (what is typed, what the page must show)
        self.samples: list[Sample] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _csrf(self, connection: http.client.HTTPConnection) -> tuple[str, str]:
        """The CSRF cookie and the form's token, from the customer list."""
        connection.request(
            "GET", LIST_PATH, headers={"Cookie": f"{SESSION_COOKIE}={self.session_key}"}
        )
        response = connection.getresponse()
        page = response.read().decode(errors="replace")
        if response.status != 200:
            raise RuntimeError(
                f"the bench user could not open the customer list: {response.status}"
            )
        cookie = response.headers.get_all("Set-Cookie") or []
        found = [c.split(";", 1)[0].split("=", 1)[1] for c in cookie if c.startswith(CSRF_COOKIE)]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found or token is None:
            raise RuntimeError("the customer list gave no CSRF token")
        return found[0], token.group(1)

    def _run(self) -> None:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        cookie, token = self._csrf(connection)
        headers = {
            "Cookie": f"{SESSION_COOKIE}={self.session_key}; {CSRF_COOKIE}={cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        turn = 0
        while not self.stop.is_set():
            typed, expected = self.terms[turn % len(self.terms)]
            turn += 1
            body = urlencode({"q": typed, "csrfmiddlewaretoken": token})
            started = time.perf_counter()
            try:
                connection.request("POST", SEARCH_PATH, body=body, headers=headers)
                response = connection.getresponse()
                page = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException) as error:
                elapsed = (time.perf_counter() - started) * 1000
                self.samples.append(Sample(started, elapsed, 0, type(error).__name__))
                connection.close()
                connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT_SECONDS
                )
                continue
            elapsed = (time.perf_counter() - started) * 1000
            detail = (
                ""
                if response.status == 200 and expected in page
                else f"{response.status} not found"
            )
            self.samples.append(Sample(started, elapsed, response.status, detail))
            self.stop.wait(SEARCH_PAUSE_SECONDS)
        connection.close()

    def summary(self) -> dict[str, Any]:
        latencies = [s.milliseconds for s in self.samples] or [0.0]
        return {
            "searches": len(self.samples),
            "search_p50_ms": round(percentile(latencies, 0.50), 2),
            "search_p95_ms": round(percentile(latencies, 0.95), 2),
            "search_max_ms": round(max(latencies), 2),
            "search_errors": sum(1 for s in self.samples if s.detail),
        }


@dataclass
class Phase:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    machine_busy: float = 0.0  # share of all the machine's CPU time that was not idle


def run_phase(
    orders: list[PlannedOrder],
    *,
    pool: list[Connection],
    server_pid: int | None = None,
    path: str = API_PATH,
) -> Phase:
    """Every order posted once to `path`, by as many threads as there are connections."""
    pending: queue.SimpleQueue[PlannedOrder] = queue.SimpleQueue()
    for order in orders:
        pending.put(order)
    per_client: list[list[Sample]] = [[] for _ in pool]

    def client(connection: Connection, samples: list[Sample]) -> None:
        while True:
            try:
                order = pending.get_nowait()
            except queue.Empty:
                return
            samples.append(connection.post(order, path))

    threads = [
        threading.Thread(target=client, args=(c, s), daemon=True)
        for c, s in zip(pool, per_client, strict=True)
    ]
    cpu_before = process_cpu_seconds(server_pid)
    machine_before = machine_cpu_ticks()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase = Phase(
        samples=[sample for samples in per_client for sample in samples],
        seconds=time.perf_counter() - started,
        server_cpu_seconds=process_cpu_seconds(server_pid) - cpu_before,
    )
    busy_after, total_after = machine_cpu_ticks()
    total = total_after - machine_before[1]
    phase.machine_busy = (busy_after - machine_before[0]) / total if total else 0.0
    return phase


def process_cpu_seconds(pid: int | None) -> float:
    """User and system CPU time of a process and its live children (Linux: gunicorn's
    master and its forked workers), 0 when unknown."""
    if pid is None:
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot (Linux), zeros when unknown."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]) - idle, sum(values[:8])


def phases_joined(phases: list[Phase]) -> Phase:
    """The turns of one kind as one phase: their samples and their time added up."""
    seconds = sum(phase.seconds for phase in phases)
    return Phase(
        samples=[sample for phase in phases for sample in phase.samples],
        seconds=seconds,
        server_cpu_seconds=sum(phase.server_cpu_seconds for phase in phases),
        machine_busy=(
            sum(phase.machine_busy * phase.seconds for phase in phases) / seconds
            if seconds
            else 0.0
        ),
    )


def summarize(phase: Phase, *, expected: int = 202) -> dict[str, Any]:
    """Throughput of the requests answered with the `expected` status (202 an
    acknowledgement, 201 an order made while the client waited), latency of every
    request, and errors: every other answer, or none."""
    latencies = [s.milliseconds for s in phase.samples] or [0.0]
    succeeded = sum(1 for s in phase.samples if s.status == expected)
    failed = [s for s in phase.samples if s.status != expected]
    errors = len(phase.samples) - succeeded
    orders_per_s = succeeded / phase.seconds if phase.seconds else 0.0
    return {
        "orders_per_s": round(orders_per_s, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(sum(latencies) / len(latencies), 2),
        "errors": errors,
        "statuses": {
            str(status): n for status, n in sorted(Counter(s.status for s in phase.samples).items())
        },
        "error_samples": sorted({s.detail or f"{s.status}, not {expected}" for s in failed})[:3],
        "seconds": round(phase.seconds, 2),
        "server_cpu_ms_per_order": (
            round(phase.server_cpu_seconds * 1000 / succeeded, 2) if succeeded else None
        ),
        "machine_cpu_busy": round(phase.machine_busy, 2),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(secret_key: str) -> dict[str, str]:
    """Production mode on the bench database and key ring (set by `configure`);
    plain HTTP on the loopback, so no redirect to HTTPS; the per-key API rate limit
    out of the way, since the run measures how fast orders can come in. The settings
    are Rekisteri's with the floor's URL added (bench/floor_settings.py)."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "PYTHONPATH": os.pathsep.join(p for p in (str(BENCH_DIR.parent), path) if p),
        "REKISTERI_API_RATE_PER_MINUTE": "100000000",
        "REKISTERI_MODE": "production",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "REKISTERI_SSL_REDIRECT": "false",
        "REKISTERI_DEBUG": "false",
        # Production refuses the 900-series codes real people never have; the bench
        # uses nothing else.
        "REKISTERI_ACCEPT_TEMPORARY_IDENTITY_CODES": "true",
        "PYTHONUNBUFFERED": "1",
    }


class Server:
    """`rekisteri serve` in a process of its own, its output in a log file."""

    def __init__(self, *, workers: int, threads: int, log_path: Path, secret_key: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.log = log_path.open("wb")
        command = [sys.executable, "-m", "rekisteri.cli", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(workers), "--threads", str(threads)]
        self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and command
            command,
            env=server_environment(secret_key),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start:\n{self.log_tail()}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", READY_PATH)
                probe.getresponse().read()
                probe.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer in {SERVER_START_SECONDS:g} s")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def bench_integration() -> str:
    """A new generic integration of this run; its API key."""
    from rekisteri.audit.services import Actor
    from rekisteri.intake.services import integration_create

    # Its buyers come with identity codes, which only a shop selling on invoice sends.
    created = integration_create(
        actor=Actor.system("bench"),
        kind="generic",
        name=f"Bench order intake {secrets.token_hex(4)}",
        sells_on_invoice=True,
    )
    return created.api_key


def report(result: dict[str, Any]) -> str:
    ok = {True: "met", False: "MISSED"}
    targets = result["targets"]
    wait = result.get("wait")
    what = "orders made while the client waited (201)" if wait else "deliveries acknowledged (202)"
    lines = [
        f"{result['orders']} orders ({result['new_customers']} from new customers) on "
        f"{result['engine']}, {result['clients']} clients, "
        f"server {result['server_workers']} processes x {result['server_threads']} threads, "
        f"after {result['warm_up']} warm-up orders; "
        + (f"Prefer: wait={wait}" if wait else "no Prefer: wait"),
        f"  {result['orders_per_s']} {what}/s in {result['seconds']} s; latency ms: "
        f"p50 {result['p50_ms']}, p95 {result['p95_ms']}, p99 {result['p99_ms']}, "
        f"max {result['max_ms']}",
        f"  responses {result['statuses']}, errors {result['errors']} "
        f"(and {result['warm_up_errors']} in the warm-up)"
        + (f": {result['error_samples']}" if result["error_samples"] else ""),
        f"  server CPU {result['server_cpu_ms_per_order']} ms per order; machine CPU "
        f"{result['machine_cpu_busy']:.0%} busy; load average {result['load_average']} "
        f"on {result['cpus']} CPUs",
    ]
    if "floor_per_s" in result:
        lines.append(
            f"  floor (one INSERT, 202) {result['floor_per_s']}/s, p50 {result['floor_p50_ms']} "
            f"ms, p99 {result['floor_p99_ms']} ms, errors {result['floor_errors']}, server CPU "
            f"{result['floor_server_cpu_ms']} ms a request; orders at "
            f"{result['floor_share']:.0%} of the floor ({result['rounds']} turns each)"
        )
    lines.append(
        f"  in the database: {result['deliveries_stored']} deliveries, "
        f"{result['orders_created']} orders and {result['customers_created']} customers "
        f"made by the run (expected {result['expected_deliveries']}, "
        f"{result['expected_orders']} and {result['expected_customers']}, warm-up included)"
    )
    if "searches" in result:
        lines.append(
            f"  staff searches meanwhile: {result['searches']}, p50 "
            f"{result['search_p50_ms']} ms, p95 {result['search_p95_ms']} ms, max "
            f"{result['search_max_ms']} ms, failed {result['search_errors']}"
        )
    if "orders_per_s" in targets:
        lines.append(f"target orders/s >= {TARGET_ORDERS_PER_S:g}: {ok[targets['orders_per_s']]}")
    if "floor_share" in targets:
        lines.append(f"target floor share >= {TARGET_FLOOR_SHARE:g}: {ok[targets['floor_share']]}")
    p99_target = TARGET_WAIT_P99_MS if wait else TARGET_P99_MS
    lines.append(f"target p99 <= {p99_target:g} ms: {ok[targets['p99_ms']]}")
    lines.append(f"target zero errors: {ok[targets['errors']]}")
    if "search_p95_ms" in targets:
        lines.append(
            f"target staff search p95 <= {TARGET_SEARCH_P95_MS:g} ms (none failed): "
            f"{ok[targets['search_p95_ms']]}"
        )
    return "\n".join(lines)


def turns(orders: list[PlannedOrder], rounds: int) -> list[list[PlannedOrder]]:
    """The measured orders in `rounds` nearly equal turns."""
    rounds = max(1, min(rounds, len(orders)))
    size, extra = divmod(len(orders), rounds)
    chunks, start = [], 0
    for number in range(rounds):
        end = start + size + (1 if number < extra else 0)
        chunks.append(orders[start:end])
        start = end
    return chunks


def run(
    *,
    host: str,
    port: int,
    api_key: str,
    plan: Plan,
    clients: int,
    wait: int | None = None,
    floor: bool = True,
    rounds: int = DEFAULT_ROUNDS,
    server_pid: int | None = None,
    searcher: Searcher | None = None,
) -> dict[str, Any]:
    """Posts the warm-up (to the orders and the floor), then the measured orders and,
    with `floor`, the same bodies to the floor, in turns (floor, orders, orders,
    floor, ...: a drift in the machine's load weighs on both alike), with the
    `searcher` searching meanwhile; the measured figures of both."""
    pool = [Connection(host=host, port=port, api_key=api_key, wait=wait) for _ in range(clients)]
    order_turns: list[Phase] = []
    floor_turns: list[Phase] = []
    try:
        warm_up = run_phase(plan.warm_up, pool=pool)
        floor_warm_up = run_phase(plan.warm_up, pool=pool, path=FLOOR_PATH) if floor else None
        load_before = os.getloadavg()[0]
        if searcher is not None:
            searcher.thread.start()
        for number, chunk in enumerate(turns(plan.measured, rounds)):
            kinds = ("floor", "orders") if number % 2 == 0 else ("orders", "floor")
            for kind in kinds:
                if kind == "orders":
                    order_turns.append(run_phase(chunk, pool=pool, server_pid=server_pid))
                elif floor:
                    floor_turns.append(
                        run_phase(chunk, pool=pool, server_pid=server_pid, path=FLOOR_PATH)
                    )
        load_after = os.getloadavg()[0]
    finally:
        if searcher is not None and searcher.thread.is_alive():
            searcher.stop.set()
            searcher.thread.join()
        for connection in pool:
            connection.close()
    result = summarize(phases_joined(order_turns), expected=201 if wait else 202)
    if searcher is not None:
        result.update(searcher.summary())
    result["warm_up_errors"] = summarize(warm_up, expected=201 if wait else 202)["errors"]
    if floor and floor_warm_up is not None:
        floor_result = summarize(phases_joined(floor_turns))
        result.update(
            {
                "floor_per_s": floor_result["orders_per_s"],
                "floor_p50_ms": floor_result["p50_ms"],
                "floor_p99_ms": floor_result["p99_ms"],
                "floor_errors": floor_result["errors"] + summarize(floor_warm_up)["errors"],
                "floor_server_cpu_ms": floor_result["server_cpu_ms_per_order"],
                "floor_share": (
                    round(result["orders_per_s"] / floor_result["orders_per_s"], 3)
                    if floor_result["orders_per_s"]
                    else 0.0
                ),
                "rounds": len(order_turns),
            }
        )
        if floor_result["error_samples"]:
            result["floor_error_samples"] = floor_result["error_samples"]
    result["load_average"] = [round(load_before, 2), round(load_after, 2)]
    return result


def floor_table_create() -> None:
    """The floor's table, in the bench database (dropped by floor_table_drop)."""
    from django.db import connection

    key = (
        "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        if connection.vendor == "postgresql"
        else "integer PRIMARY KEY AUTOINCREMENT"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id {key}, body text NOT NULL, "
            "received_at timestamp with time zone NOT NULL)"
        )


def floor_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_floor")
        count: int = cursor.fetchone()[0]
    return count


def floor_table_drop() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")


def search_terms(*, rng: random.Random, count: int = 100) -> list[tuple[str, str]]:
    """Customers of the register as staff would look them up: half by customer number
    (the page must show that number), half by the first three letters of a surname
    (the page must show a name that starts so)."""
    rows = list(Customer.objects.order_by("?").values_list("customer_number", "surname")[:count])
    rng.shuffle(rows)
    return [
        (str(number), str(number)) if turn % 2 else (surname[:3], surname[:3])
        for turn, (number, surname) in enumerate(rows)
    ]


def staff_session(secret_key: str) -> str:
    """A session of the bench's customer service member, signed with the server's
    secret, in the database the server reads sessions from."""
    from django.conf import settings

    from bench.customer_search import staff_client

    settings.SECRET_KEY = secret_key
    session_key: str = staff_client().session.session_key or ""
    return session_key


def main(
    *,
    orders: int,
    warm_up: int,
    clients: int,
    workers: int,
    threads: int,
    customers: int,
    seed: int,
    database: Any,
    search: bool = True,
    wait: int | None = None,
    rounds: int = DEFAULT_ROUNDS,
) -> dict[str, Any]:
    from bench.generate import generate_customers

    generated = generate_customers(total=customers, seed=seed)
    if generated.created:
        print(f"generated {generated.created:,} customers into {database.label}", flush=True)
    rng = random.Random(seed)
    last_number = Customer.objects.order_by("-customer_number").values_list(
        "customer_number", flat=True
    )[0]
    plan = plan_orders(
        count=orders,
        warm_up=warm_up,
        seed=seed,
        register=register_buyers(count=2000, rng=rng, customers=customers),
        first_free_number=last_number + 1,
    )
    customers_before = Customer.objects.count()
    api_key = bench_integration()
    secret_key = secrets.token_urlsafe(50)
    session_key = staff_session(secret_key) if search else ""
    terms = search_terms(rng=rng) if search else []
    floor_table_create()
    connections.close_all()  # the server process makes its own

    data_dir = Path(os.environ["REKISTERI_DATA_DIR"])
    server = Server(
        workers=workers,
        threads=threads,
        log_path=data_dir / "bench-order-intake-server.log",
        secret_key=secret_key,
    )
    try:
        server.wait_until_ready()
        print(f"server (production mode) at 127.0.0.1:{server.port}, log {server.log_path}")
        searcher = (
            Searcher(host="127.0.0.1", port=server.port, session_key=session_key, terms=terms)
            if search
            else None
        )
        result = run(
            host="127.0.0.1",
            port=server.port,
            api_key=api_key,
            plan=plan,
            clients=clients,
            wait=wait,
            rounds=rounds,
            server_pid=server.process.pid,
            searcher=searcher,
        )
    finally:
        server.stop()
        stored_on_floor = floor_rows()
        floor_table_drop()

    from rekisteri.intake.models import InboxDelivery, Integration
    from rekisteri.orders.models import Order

    integration = Integration.objects.get(api_key_prefix=api_key[:12])
    result = {
        "engine": connections["default"].vendor,
        "orders": orders,
        "warm_up": warm_up,
        "wait": wait,
        "clients": clients,
        "server_workers": workers,
        "server_threads": threads,
        "customers_in_register": customers_before,
        "new_customers": sum(o.is_new_customer for o in plan.measured),
        **result,
        "deliveries_stored": InboxDelivery.objects.filter(integration=integration).count(),
        "floor_rows": stored_on_floor,
        "orders_created": Order.objects.filter(integration=integration).count(),
        "customers_created": Customer.objects.count() - customers_before,
        "expected_deliveries": orders + warm_up,
        # Without `wait` nothing processes the deliveries during the run.
        "expected_orders": orders + warm_up if wait else 0,
        "expected_customers": plan.new_customers if wait else 0,
        "cpus": os.cpu_count(),
    }
    result["targets"] = targets(result)
    print(report(result))
    print(json.dumps(result))
    return result


def targets(result: dict[str, Any]) -> dict[str, bool]:
    """Acknowledgements: the rate, its share of the floor, p99 and errors; answers that
    wait for the order: p99 and errors (the rate follows from the clients)."""
    met: dict[str, bool] = {}
    if result.get("wait"):
        met["p99_ms"] = result["p99_ms"] <= TARGET_WAIT_P99_MS
    else:
        met["orders_per_s"] = result["orders_per_s"] >= TARGET_ORDERS_PER_S
        met["p99_ms"] = result["p99_ms"] <= TARGET_P99_MS
        if "floor_share" in result:
            met["floor_share"] = result["floor_share"] >= TARGET_FLOOR_SHARE
    met["errors"] = result["errors"] == 0
    if "search_p95_ms" in result:
        met["search_p95_ms"] = (
            result["search_p95_ms"] <= TARGET_SEARCH_P95_MS and result["search_errors"] == 0
        )
    return met
