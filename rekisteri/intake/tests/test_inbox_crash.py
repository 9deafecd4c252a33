"""The inbox's crash test: 2,000 deliveries from a WooCommerce shop, a Shopify shop and
an API client come in from several clients while the app server and the worker are
each killed with SIGKILL in the middle of the run and started again. Afterwards every
acknowledged delivery is exactly one order, or one delivery waiting for a person, and
delivering everything once more changes nothing. On SQLite and on PostgreSQL, as
real processes (rekisteri/testing/servers.py)."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from bench.order_intake import free_port
from rekisteri.intake.models import Integration
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation
from rekisteri.testing.shops import (
    benchmark_orders,
    post_shopify,
    post_woocommerce,
    shopify_json,
    shopify_order,
    woocommerce_json,
    woocommerce_order,
)

DELIVERIES = 2000
CLIENTS = 4
# Every so many deliveries of each kind is an order in another currency: it waits for
# a person, and must wait there once, however often it comes.
ATTENTION_EVERY = 50
BUYERS = 300
# The server is killed when this many deliveries are acknowledged; the worker once it
# has committed this many and still has deliveries waiting (so it is in a batch).
KILL_SERVER_AT = 800
KILL_WORKER_AFTER_DONE = 250
KILL_SECONDS = 120.0
PAUSE_AFTER_NO_ANSWER = 0.2
REQUEST_SECONDS = 30.0
SETTLED_SECONDS = 300.0
API_PATH = "/api/v1/orders"

STATE = """
import json
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.customers.models import Customer
from rekisteri.intake.models import InboxDelivery
from rekisteri.orders.models import Order

orders = Order.objects.select_related("integration").order_by("order_number")
deliveries = InboxDelivery.objects.select_related("integration", "order").order_by("id")
report = audit_chain_verify()
print(json.dumps({
    "orders": [
        [o.integration.kind, o.external_id, o.order_number, o.status, str(o.total_gross),
         o.customer_id, o.version, o.updated_at.isoformat()]
        for o in orders
    ],
    "deliveries": [
        [str(d.public_id), d.integration.kind, d.delivery_key, d.state, d.outcome, d.reason,
         d.external_id, d.order.order_number if d.order_id else None]
        for d in deliveries
    ],
    "customers": Customer.objects.count(),
    "audit": {"is_intact": report.is_intact, "problem": report.problem,
              "checked": report.checked, "unsealed": report.unsealed},
}))
"""


@dataclass(frozen=True)
class Planned:
    """One delivery as its sender sends it, every time the same: the same bytes, the
    same Shopify webhook id or Idempotency-Key (`key`; WooCommerce has none)."""

    kind: str
    external_id: str
    body: bytes
    key: str
    needs_attention: bool


@dataclass(frozen=True)
class Answer:
    status: int  # 0 when no answer came (the server was killed or away)
    result: str = ""
    receipt: str = ""
    order_number: int | None = None

    @property
    def is_acknowledged(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Shops:
    woocommerce: Integration
    woocommerce_secret: str
    shopify: Integration
    shopify_secret: str
    api_key: str


class HttpClient:
    """The test client's `post` over one keep-alive connection to a server process,
    so that post_woocommerce and post_shopify sign and send as they do in-process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, data: bytes, *, content_type: str, headers: dict[str, str]) -> Answer:
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_SECONDS
                )
            self.connection.request(
                "POST", path, body=data, headers={**headers, "Content-Type": content_type}
            )
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return Answer(0)
        if response.will_close:
            self.close()
        try:
            answer = json.loads(content)
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return Answer(
            response.status,
            result=str(answer.get("result", answer.get("state", ""))),
            receipt=str(answer.get("receipt", "")),
            order_number=answer.get("order_number"),
        )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send(client: HttpClient, shops: Shops, delivery: Planned) -> Answer:
    answer: Answer
    if delivery.kind == "woocommerce":
        answer = post_woocommerce(
            client,  # type: ignore[arg-type]  # the same post() as Django's test client
            shops.woocommerce,
            shops.woocommerce_secret,
            delivery.body,
            topic="order.created",
        )
    elif delivery.kind == "shopify":
        answer = post_shopify(
            client,  # type: ignore[arg-type]  # as above
            shops.shopify,
            shops.shopify_secret,
            delivery.body,
            topic="orders/create",
            webhook_id=delivery.key,
        )
    else:
        answer = client.post(
            API_PATH,
            delivery.body,
            content_type="application/json",
            headers={
                "Authorization": f"Bearer {shops.api_key}",
                "Idempotency-Key": delivery.key,
            },
        )
    return answer


def deliver(
    deliveries: list[Planned],
    *,
    port: int,
    shops: Shops,
    on_answer: Callable[[int], None] | None = None,
) -> list[Answer]:
    """Sends each delivery once, from CLIENTS threads, in order; the answer to each.
    `on_answer` is given the count acknowledged so far after every answer. A client
    that gets no answer pauses a moment, as a server away does not come back at once."""
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(deliveries)):
        pending.put(index)
    answers: list[Answer] = [Answer(0)] * len(deliveries)
    acknowledged = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal acknowledged
        connection = HttpClient(port)
        try:
            while True:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                answer = send(connection, shops, deliveries[index])
                with lock:
                    answers[index] = answer
                    acknowledged += answer.is_acknowledged
                    count = acknowledged
                if on_answer is not None:
                    on_answer(count)
                if not answer.is_acknowledged:
                    time.sleep(PAUSE_AFTER_NO_ANSWER)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def resend_unanswered(
    deliveries: list[Planned], answers: list[Answer], *, port: int, shops: Shops
) -> list[Answer]:
    """Sends again what was not acknowledged, as Shopify and API clients retry (and as a
    WooCommerce shop's owner might by hand), until everything is; the final answers."""
    answers = list(answers)
    for _round in range(5):
        unanswered = [i for i, answer in enumerate(answers) if not answer.is_acknowledged]
        if not unanswered:
            break
        again = deliver([deliveries[i] for i in unanswered], port=port, shops=shops)
        for index, answer in zip(unanswered, again, strict=True):
            answers[index] = answer
    return answers


# The deliveries -----------------------------------------------------------------------


def buyers() -> list[dict[str, str]]:
    """Buyers who each order several times, from either shop, always by one name."""
    fake = Faker("fi_FI")
    fake.seed_instance(2011)
    return [
        {
            "first_name": fake.first_name(),
            "last_name": fake.last_name(),
            "email": f"inbox.crash.{number}@example.fi",
        }
        for number in range(BUYERS)
    ]


def woocommerce_delivery(number: int, buyer: dict[str, str], *, attention: bool) -> Planned:
    order = woocommerce_order(id=10_000 + number, number=str(10_000 + number))
    order["billing"] = {**order["billing"], **buyer}
    order["shipping"] = {**order["shipping"], **{k: buyer[k] for k in ("first_name", "last_name")}}
    if attention:
        order["currency"] = "USD"
    return Planned("woocommerce", str(order["id"]), woocommerce_json(order), "", attention)


def shopify_delivery(number: int, buyer: dict[str, str], *, attention: bool) -> Planned:
    names = {"first_name": buyer["first_name"], "last_name": buyer["last_name"]}
    order = shopify_order(
        id=5_890_123_456_789_000_000 + number,
        email=buyer["email"],
        contact_email=buyer["email"],
        name=f"#{20_000 + number}",
    )
    order["billing_address"].update(names, name=f"{names['first_name']} {names['last_name']}")
    order["shipping_address"].update(names, name=f"{names['first_name']} {names['last_name']}")
    order["customer"].update(names, email=buyer["email"])
    if attention:
        order["currency"] = "SEK"
    key = f"crash-webhook-{number}"
    return Planned("shopify", str(order["id"]), shopify_json(order), key, attention)


def api_deliveries(count: int) -> list[Planned]:
    """The order intake benchmark's orders, every ATTENTION_EVERYth in another currency."""
    planned = []
    for number, order in enumerate(
        benchmark_orders(count=count, seed=2011, returning=40, first_free_number=300_000)
    ):
        data = json.loads(order.body)
        attention = number % ATTENTION_EVERY == ATTENTION_EVERY - 1
        if attention:
            data["currency"] = "NOK"
        body = json.dumps(data, separators=(",", ":")).encode()
        planned.append(
            Planned("generic", data["external_id"], body, order.idempotency_key, attention)
        )
    return planned


def all_deliveries() -> list[Planned]:
    """DELIVERIES deliveries, the three kinds interleaved, as a busy hour brings them."""
    people = buyers()
    per_kind = DELIVERIES // 3
    api = api_deliveries(DELIVERIES - 2 * per_kind)
    woocommerce = [
        woocommerce_delivery(
            n, people[n % BUYERS], attention=n % ATTENTION_EVERY == ATTENTION_EVERY - 1
        )
        for n in range(per_kind)
    ]
    shopify = [
        shopify_delivery(
            n, people[(n * 7) % BUYERS], attention=n % ATTENTION_EVERY == ATTENTION_EVERY - 2
        )
        for n in range(per_kind)
    ]
    mixed: list[Planned] = []
    for index in range(len(api)):
        for kind in (woocommerce, shopify, api):
            if index < len(kind):
                mixed.append(kind[index])
    return mixed


# The installation and its processes ---------------------------------------------------


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    with throwaway_installation(tmp_path / "inbox-crash", name="inboxcrash") as made:
        yield made


def create_shops(installation: Installation) -> Shops:
    secrets = {}
    integrations = {}
    for kind in ("woocommerce", "shopify"):
        created = installation.run(
            "integrations", "create", "--kind", kind, "--name", f"Crash {kind}", "--json"
        )
        assert created.returncode == 0, created.stderr
        made = json.loads(created.stdout)
        secrets[kind] = made["secret"]
        # Only its public id is used: the address the shop posts to.
        integrations[kind] = Integration(public_id=made["id"], kind=kind)
    return Shops(
        woocommerce=integrations["woocommerce"],
        woocommerce_secret=secrets["woocommerce"],
        shopify=integrations["shopify"],
        shopify_secret=secrets["shopify"],
        # The benchmark's new buyers come with identity codes: a shop selling on invoice.
        api_key=installation.invoice_shop_key("Crash API"),
    )


def start_server(
    installation: Installation, environment: dict[str, str], port: int
) -> ServerProcess:
    server = installation.serve(port=port, environment=environment, log_name="crash-server")
    server.wait_until_ready()
    return server


def start_worker(installation: Installation, environment: dict[str, str]) -> ServerProcess:
    """`rekisteri worker` in a session of its own: a ServerProcess without a port, whose
    kill and stop serve a worker as they serve a server."""
    return ServerProcess(
        command=[sys.executable, "-m", "rekisteri.cli", "worker", "--no-reload"],
        environment=environment,
        port=0,
        is_tls=False,
        log_path=installation.data_dir / "crash-worker.log",
    )


def inbox_states(installation: Installation) -> Counter[str]:
    """The inbox's deliveries by state, read straight from the database: a Django
    process would take seconds to start for each look."""
    query = "SELECT state, COUNT(*) FROM intake_inboxdelivery GROUP BY state"
    rows: list[tuple[str, int]]
    if installation.database_url:
        import psycopg

        with psycopg.connect(installation.database_url) as connection:
            rows = connection.execute(query).fetchall()
    else:
        path = installation.data_dir / "rekisteri.sqlite3"
        with contextlib.closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
        ) as connection:
            rows = connection.execute(query).fetchall()
    return Counter(dict(rows))


def worker_busy(installation: Installation, worker: ServerProcess) -> Counter[str]:
    """Returns the inbox's states once the worker has committed KILL_WORKER_AFTER_DONE
    deliveries and more wait: it is then in the middle of its next batch."""
    deadline = time.monotonic() + KILL_SECONDS
    while True:
        states = inbox_states(installation)
        if states["done"] >= KILL_WORKER_AFTER_DONE and states["waiting"]:
            return states
        assert time.monotonic() < deadline, (states, worker.log())
        assert worker.process.poll() is None, worker.log()
        time.sleep(0.1)


def wait_until_settled(installation: Installation, worker: ServerProcess) -> Counter[str]:
    """Returns once no delivery waits, or the states as they are at the time limit."""
    deadline = time.monotonic() + SETTLED_SECONDS
    while True:
        states = inbox_states(installation)
        if not states["waiting"] or time.monotonic() > deadline:
            return states
        assert worker.process.poll() is None, worker.log()
        time.sleep(0.5)


def database_state(installation: Installation) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(installation.python(STATE))
    return state


# The test -----------------------------------------------------------------------------


def test_every_acknowledged_delivery_is_one_order_or_one_waiting_item_after_kills(
    installation: Installation,
) -> None:
    shops = create_shops(installation)
    deliveries = all_deliveries()
    environment = installation.production_environment(
        REKISTERI_SSL_REDIRECT="false", REKISTERI_API_RATE_PER_MINUTE="1000000"
    )
    port = free_port()
    server_kill_due = threading.Event()

    def on_answer(acknowledged: int) -> None:
        if acknowledged >= KILL_SERVER_AT:
            server_kill_due.set()

    started = time.monotonic()
    timings: dict[str, float] = {}
    server = start_server(installation, environment, port)
    worker = start_worker(installation, environment)
    try:
        first: list[Answer] = []
        sender = threading.Thread(
            target=lambda: first.extend(
                deliver(deliveries, port=port, shops=shops, on_answer=on_answer)
            ),
            daemon=True,
        )
        sender.start()

        assert server_kill_due.wait(KILL_SECONDS), server.log()
        at_server_kill = inbox_states(installation)
        server.kill()
        assert server.session_processes() == []
        timings["server killed"] = time.monotonic() - started
        server = start_server(installation, environment, port)

        at_worker_kill = worker_busy(installation, worker)
        worker.kill()
        assert worker.session_processes() == []
        timings["worker killed"] = time.monotonic() - started
        worker = start_worker(installation, environment)
        sender.join()

        answers = resend_unanswered(deliveries, first, port=port, shops=shops)
        timings["all acknowledged"] = time.monotonic() - started
        settled = wait_until_settled(installation, worker)
        timings["all processed"] = time.monotonic() - started
        after_crash = database_state(installation)

        redelivered = resend_unanswered(
            deliveries, deliver(deliveries, port=port, shops=shops), port=port, shops=shops
        )
        timings["all redelivered"] = time.monotonic() - started
        settled_again = wait_until_settled(installation, worker)
        timings["all processed again"] = time.monotonic() - started
        final = database_state(installation)
        verified = installation.run("audit", "verify", environment=environment)
    finally:
        worker.stop()
        server.stop()
        # Shown when the test fails: how far it came, and how long each part took.
        print("seconds from the start:", {k: round(v, 1) for k, v in timings.items()})

    # Both were killed while busy: deliveries were waiting for the worker and some had
    # already been made orders; the clients went on past the server's death.
    assert at_worker_kill["waiting"] > 0 and at_worker_kill["done"] > 0, at_worker_kill
    assert at_server_kill["waiting"] > 0, at_server_kill
    # Those the server's death left without an answer; on SQLite, on a loaded machine,
    # also a few whose insert waited out the busy timeout behind the worker's batch
    # (500): not acknowledged, so sent again like the others.
    missed = Counter(answer.status for answer in first if not answer.is_acknowledged)
    assert missed[0] > 0 and set(missed) <= {0, 500}, missed
    assert all(answer.is_acknowledged for answer in answers), Counter(a.status for a in answers)
    assert settled["waiting"] == 0 and settled_again["waiting"] == 0, (settled, settled_again)

    check_after_crash(deliveries, answers, after_crash)
    check_redelivery(deliveries, answers, redelivered, after_crash, final)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def check_after_crash(
    deliveries: list[Planned], answers: list[Answer], state: dict[str, Any]
) -> None:
    """Each delivery acknowledged is one order or one delivery waiting for a person."""
    orders = {(kind, external_id): row for kind, external_id, *row in state["orders"]}
    by_receipt = {row[0]: row for row in state["deliveries"]}
    assert len(orders) == len(state["orders"])  # no shop's order twice
    expected_orders = {(d.kind, d.external_id) for d in deliveries if not d.needs_attention}
    assert set(orders) == expected_orders
    for delivery, answer in zip(deliveries, answers, strict=True):
        if answer.receipt:
            _, kind, _, status, outcome, reason, external_id, order_number = by_receipt[
                answer.receipt
            ]
            assert (kind, external_id) == (delivery.kind, delivery.external_id)
            if delivery.needs_attention:
                assert (status, reason, order_number) == ("attention", "currency", None)
            else:
                assert status == "done" and outcome in ("created", "unchanged"), status
                assert order_number == orders[(kind, external_id)][0]
        else:
            # An API client's resend of an order made meanwhile is answered with it.
            assert delivery.kind == "generic" and not delivery.needs_attention
            assert answer.order_number == orders[("generic", delivery.external_id)][0]
    # One row per Shopify webhook id and per Idempotency-Key; WooCommerce's resends of
    # a delivery stored before the server died are rows of their own, for one order.
    rows = Counter((row[1], row[6]) for row in state["deliveries"])
    keyed = Counter((d.kind, d.external_id) for d in deliveries if d.kind != "woocommerce")
    assert {key: rows[key] for key in keyed} == keyed
    for _, kind, _, status, outcome, _, external_id, order_number in state["deliveries"]:
        if (kind, external_id) in orders:
            assert (status, order_number) == ("done", orders[(kind, external_id)][0])
            assert outcome in ("created", "unchanged")
    assert Counter(row[3] for row in state["deliveries"])["done"] >= len(expected_orders)
    assert sum(row[4] == "created" for row in state["deliveries"]) == len(expected_orders)
    assert state["audit"]["is_intact"], state["audit"]
    waiting_for_a_person = Counter(
        (row[1], row[6]) for row in state["deliveries"] if row[3] == "attention"
    )
    expected_attention = {(d.kind, d.external_id): 1 for d in deliveries if d.needs_attention}
    assert dict(waiting_for_a_person) == expected_attention


def check_redelivery(
    deliveries: list[Planned],
    answers: list[Answer],
    redelivered: list[Answer],
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Everything sent once more changes nothing: the same orders, customers and
    deliveries; WooCommerce's copies (it has no delivery id) are rows of their own
    that find their order unchanged."""
    assert after["orders"] == before["orders"]
    assert after["customers"] == before["customers"]
    old, new = (
        after["deliveries"][: len(before["deliveries"])],
        after["deliveries"][len(before["deliveries"]) :],
    )
    assert old == before["deliveries"]
    orders = {(kind, external_id): row[0] for kind, external_id, *row in after["orders"]}
    for delivery, first, again in zip(deliveries, answers, redelivered, strict=True):
        assert again.is_acknowledged, (delivery.kind, again)
        if delivery.kind == "shopify":
            assert (again.result, again.receipt) == ("duplicate", first.receipt)
        elif delivery.kind == "generic" and delivery.needs_attention:
            assert (again.status, again.receipt) == (202, first.receipt)
        elif delivery.kind == "generic":
            assert (again.status, again.order_number) == (
                200,
                orders[("generic", delivery.external_id)],
            )
    # New rows only for WooCommerce's copies, which carry no delivery id (an inbox that
    # knows a copy by its body may store none).
    assert {row[1] for row in new} <= {"woocommerce"}
    made_orders = [row for row in new if ("woocommerce", row[6]) in orders]
    for _, _, _, status, outcome, _, external_id, order_number in made_orders:
        assert (status, outcome, order_number) == (
            "done",
            "unchanged",
            orders[("woocommerce", external_id)],
        )
    assert after["audit"]["is_intact"], after["audit"]
    # Last, as a known gap of the inbox at the time of writing: a WooCommerce copy of
    # an order that already waits for a person must not wait a second time.
    again_for_a_person = [row for row in new if row[3] == "attention"]
    assert again_for_a_person == [], (
        f"{len(again_for_a_person)} WooCommerce redeliveries wait for a person a second time"
    )
