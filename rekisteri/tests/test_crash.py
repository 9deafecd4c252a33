"""The crash test: web shop orders come in from several clients, the app server is
killed with SIGKILL mid-run and started again. No order answered with a 2xx is lost or
stored twice, and sending every order again with its Idempotency-Key, and letting the
worker empty the inbox, leaves exactly one order per key (docs/testing.md).

The orders ask to be processed at once (RFC 7240 `Prefer: wait`), so that the kill
finds requests at every step: storing the delivery, making its order, answering."""

from __future__ import annotations

import json
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.order_intake import Connection, PlannedOrder, free_port
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation
from rekisteri.testing.shops import benchmark_orders

ORDERS = 120
CLIENTS = 6
KILL_AFTER_ACKNOWLEDGED = 30
ACKNOWLEDGED_SECONDS = 120.0

PREFER_WAIT = "wait=5"

# Every order in the database, every delivery in the inbox by the key it was stored
# under (its state and the order it made), and whether the audit trail's hash chain
# holds.
DATABASE_STATE = """
import json
from django.db.models import Count
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.intake.models import InboxDelivery
from rekisteri.orders.models import Order

orders = Order.objects.annotate(line_count=Count("lines")).order_by("order_number")
report = audit_chain_verify()
print(json.dumps({
    "orders": [
        [o.external_id, o.order_number, o.status, str(o.total_gross), o.customer_id,
         o.version, o.updated_at.isoformat(), o.line_count]
        for o in orders
    ],
    "keys": {
        key: [state, number]
        for key, state, number in InboxDelivery.objects.values_list(
            "delivery_key", "state", "order__order_number"
        )
    },
    "deliveries": InboxDelivery.objects.count(),
    "audit": {"is_intact": report.is_intact, "checked": report.checked,
              "unsealed": report.unsealed, "problem": report.problem},
}))
"""
# What the worker does: every waiting delivery made into its order.
INBOX_DRAIN = """
from rekisteri.intake.inbox import inbox_drain
print(sum(inbox_drain().values()))
"""


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    with throwaway_installation(tmp_path / "crash", name="crash") as made:
        yield made


def shop_orders() -> list[PlannedOrder]:
    return benchmark_orders(count=ORDERS, seed=1808, returning=20, first_free_number=100_000)


def external_id(order: PlannedOrder) -> str:
    value: str = json.loads(order.body)["external_id"]
    return value


def post_all(
    orders: list[PlannedOrder],
    *,
    port: int,
    api_key: str,
    acknowledged_enough: threading.Event | None = None,
) -> dict[str, int]:
    """Posts every order once from CLIENTS threads; the status each key got (0 for no
    answer). Sets `acknowledged_enough` at the KILL_AFTER_ACKNOWLEDGEDth 2xx."""
    pending: queue.SimpleQueue[PlannedOrder] = queue.SimpleQueue()
    for order in orders:
        pending.put(order)
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def client() -> None:
        connection = Connection(host="127.0.0.1", port=port, api_key=api_key)
        connection.headers["Prefer"] = PREFER_WAIT
        try:
            while True:
                try:
                    order = pending.get_nowait()
                except queue.Empty:
                    return
                status = connection.post(order).status
                with lock:
                    statuses[order.idempotency_key] = status
                    acknowledged = sum(200 <= s < 300 for s in statuses.values())
                if acknowledged_enough is not None and acknowledged >= KILL_AFTER_ACKNOWLEDGED:
                    acknowledged_enough.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def database_state(installation: Installation) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(installation.python(DATABASE_STATE))
    return state


def start(installation: Installation, port: int) -> ServerProcess:
    """Production mode over plain HTTP on the loopback, as behind the proxy."""
    server = installation.serve(
        port=port,
        environment=installation.production_environment(
            REKISTERI_SSL_REDIRECT="false", REKISTERI_API_RATE_PER_MINUTE="1000000"
        ),
        log_name="crash-server",
    )
    server.wait_until_ready()
    return server


def test_no_acknowledged_order_is_lost_or_doubled_when_the_server_is_killed(
    installation: Installation,
) -> None:
    # The benchmark's new buyers come with identity codes: a shop that sells on invoice.
    api_key = installation.invoice_shop_key("Crash shop")
    orders = shop_orders()
    external_ids = {order.idempotency_key: external_id(order) for order in orders}
    port = free_port()

    server = start(installation, port)
    try:
        acknowledged_enough = threading.Event()
        first: dict[str, int] = {}
        sender = threading.Thread(
            target=lambda: first.update(
                post_all(
                    orders, port=port, api_key=api_key, acknowledged_enough=acknowledged_enough
                )
            ),
            daemon=True,
        )
        sender.start()
        assert acknowledged_enough.wait(ACKNOWLEDGED_SECONDS), server.log()
        server.kill()
        sender.join()
        assert server.session_processes() == []

        server = start(installation, port)
        after_crash = database_state(installation)
        retried = post_all(orders, port=port, api_key=api_key)
        drained = int(installation.python(INBOX_DRAIN))
        final = database_state(installation)
    finally:
        server.stop()

    acknowledged = {key for key, status in first.items() if 200 <= status < 300}
    assert len(first) == ORDERS
    assert KILL_AFTER_ACKNOWLEDGED <= len(acknowledged) < ORDERS  # killed mid-run
    stored = {row[0]: row for row in after_crash["orders"]}
    assert len(stored) == len(after_crash["orders"])  # no external id twice
    keys = after_crash["keys"]
    assert len(keys) == after_crash["deliveries"]  # no key twice
    assert acknowledged <= keys.keys()  # every 2xx was stored
    for key in acknowledged:
        state, number = keys[key]
        if first[key] in (200, 201):  # answered with its order: made, and kept
            assert (state, stored[external_ids[key]][1]) == ("done", number)
    # An order and its delivery's state are written in one transaction.
    made = {number for state, number in keys.values() if state == "done"}
    assert made == {row[1] for row in after_crash["orders"]}
    assert {state for state, _number in keys.values()} <= {"waiting", "done"}
    assert after_crash["audit"]["is_intact"], after_crash["audit"]

    assert set(retried.values()) <= {200, 201, 202}, Counter(retried.values())
    # A key stored before is answered from its first delivery: the order it made (200),
    # or its receipt while it waits (202); a key first stored now makes its order (201).
    for key, (state, _number) in keys.items():
        assert retried[key] == (200 if state == "done" else 202), (key, retried[key])
    assert sum(status == 201 for status in retried.values()) == ORDERS - len(keys)
    assert drained == sum(state == "waiting" for state, _number in keys.values())

    assert sorted(row[0] for row in final["orders"]) == sorted(external_ids.values())
    final_orders = {row[0]: row for row in final["orders"]}
    assert final["deliveries"] == ORDERS
    assert final["keys"] == {
        key: ["done", final_orders[external_ids[key]][1]] for key in external_ids
    }
    for row in after_crash["orders"]:
        assert final_orders[row[0]] == row
    assert final["audit"]["is_intact"], final["audit"]
    # Without a worker nothing is sealed yet: every event is checked by its own MAC.
    final_events = final["audit"]["checked"] + final["audit"]["unsealed"]
    assert final_events > after_crash["audit"]["checked"] + after_crash["audit"]["unsealed"]
