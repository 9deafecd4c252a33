"""How fast the worker turns a backlog of the inbox into orders.

The run stores N deliveries as `POST /api/v1/orders` stores them (`delivery_store`,
untimed): the orders order_intake plans, half from new buyers and half from returning
ones, three lines each, from a generic integration. Then it starts `rekisteri worker`
as a process of its own (production mode, the bench database and key ring) and polls
the database until no delivery waits; or, with `in_process`, calls `inbox_process()`
here batch after batch, as the worker's inbox thread does. The last line of output is
one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.models import Max, Min

from bench.generate import generate_customers
from bench.order_intake import (
    bench_integration,
    plan_orders,
    process_cpu_seconds,
    register_buyers,
    server_environment,
)
from rekisteri.customers.models import Customer

TARGET_ORDERS_PER_S = 200.0
POLL_SECONDS = 0.25
STORE_CHUNK = 500
# A worker that makes no progress for this long is taken as stuck.
STALL_SECONDS = 120.0
WORKER_STOP_SECONDS = 30.0


def store_backlog(*, api_key: str, deliveries: int, customers: int, seed: int) -> int:
    """Stores the planned orders in the inbox as waiting deliveries, in chunks of one
    transaction each (storing is not what is measured); the number of new buyers."""
    from rekisteri.intake.inbox import delivery_store
    from rekisteri.intake.models import DeliverySource, Integration

    integration = Integration.objects.get(api_key_prefix=api_key[:12])
    rng = random.Random(seed)
    last_number = Customer.objects.order_by("-customer_number").values_list(
        "customer_number", flat=True
    )[0]
    plan = plan_orders(
        count=deliveries,
        warm_up=0,
        seed=seed,
        register=register_buyers(count=2000, rng=rng, customers=customers),
        first_free_number=last_number + 1,
    )
    for start in range(0, len(plan.measured), STORE_CHUNK):
        with transaction.atomic():
            for order in plan.measured[start : start + STORE_CHUNK]:
                delivery_store(
                    integration=integration,
                    source=DeliverySource.API,
                    body=order.body,
                    topic="order",
                    delivery_key=order.idempotency_key,
                    compare_digest=True,
                )
    return plan.new_customers


def waiting() -> int:
    from rekisteri.intake.models import DeliveryState, InboxDelivery

    return InboxDelivery.objects.filter(state=DeliveryState.WAITING).count()


def worker_environment() -> dict[str, str]:
    """The server's production environment (bench/order_intake.py), with Rekisteri's
    own settings and no WooCommerce sync beside the inbox."""
    return {
        **server_environment(secrets.token_urlsafe(50)),
        "DJANGO_SETTINGS_MODULE": "rekisteri.settings",
        "REKISTERI_WOOCOMMERCE_SYNC_MINUTES": "0",
    }


def process_with_worker(*, total: int, log_path: Path, workers: int = 1) -> dict[str, float]:
    """Starts `rekisteri worker` (`workers` of them) and polls until nothing waits; the
    seconds from the start to then and to the first batch committed (the start-up),
    and the workers' CPU seconds."""
    connections.close_all()
    command = [sys.executable, "-m", "rekisteri.cli", "worker", "--no-reload"]
    command += ["--no-startup-delay", "--interval", "1"]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        processes = [
            subprocess.Popen(  # noqa: S603  # our own interpreter and command
                command, env=worker_environment(), stdout=log, stderr=subprocess.STDOUT
            )
            for _ in range(workers)
        ]
        first = cpu = 0.0
        try:
            left, progress_at = total, started
            while left:
                time.sleep(POLL_SECONDS)
                if any(process.poll() is not None for process in processes):
                    raise RuntimeError(f"a worker stopped; the log is {log_path}")
                now_left = waiting()
                now = time.perf_counter()
                if now_left < left:
                    first = first or now - started
                    left, progress_at = now_left, now
                elif now - progress_at > STALL_SECONDS:
                    raise RuntimeError(f"the workers made no progress; the log is {log_path}")
            seconds = time.perf_counter() - started
            cpu = sum(process_cpu_seconds(process.pid) for process in processes)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=WORKER_STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return {"seconds": seconds, "startup_seconds": first, "cpu_seconds": cpu}


def process_in_process() -> dict[str, float]:
    """`inbox_process()` batch after batch until a batch finds nothing, as the
    worker's inbox thread does."""
    from rekisteri.intake.inbox import inbox_process

    started, cpu = time.perf_counter(), time.process_time()
    while inbox_process():
        pass
    return {
        "seconds": time.perf_counter() - started,
        "startup_seconds": 0.0,
        "cpu_seconds": time.process_time() - cpu,
    }


def run(
    *,
    deliveries: int,
    customers: int,
    seed: int,
    in_process: bool,
    log_path: Path | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Stores the backlog, processes it, and counts what the database then holds."""
    from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
    from rekisteri.orders.models import Order

    api_key = bench_integration()
    integration = Integration.objects.get(api_key_prefix=api_key[:12])
    started = time.perf_counter()
    new_customers = store_backlog(
        api_key=api_key, deliveries=deliveries, customers=customers, seed=seed
    )
    store_seconds = time.perf_counter() - started
    customers_before = Customer.objects.count()
    already_waiting = waiting() - deliveries
    load_before = os.getloadavg()[0]
    if in_process or log_path is None:
        timing = process_in_process()
    else:
        timing = process_with_worker(
            total=deliveries + already_waiting, log_path=log_path, workers=workers
        )
    load_after = os.getloadavg()[0]
    ours = InboxDelivery.objects.filter(integration=integration)
    states = Counter(ours.values_list("state", flat=True))
    outcomes = Counter(ours.values_list("outcome", flat=True))
    orders = Order.objects.filter(integration=integration).count()
    seconds = timing["seconds"]
    span = ours.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    # From the first delivery begun to the last: the worker's own rate, start-up aside.
    processing = (
        (span["last"] - span["first"]).total_seconds() if span["first"] and span["last"] else 0.0
    )
    return {
        "deliveries": deliveries,
        "orders": orders,
        "orders_per_s": round(orders / seconds, 1) if seconds else 0.0,
        "seconds": round(seconds, 2),
        "startup_seconds": round(timing["startup_seconds"], 2),
        "processing_seconds": round(processing, 2),
        "processing_orders_per_s": round(orders / processing, 1) if processing else None,
        "worker_cpu_ms_per_order": (
            round(timing["cpu_seconds"] * 1000 / orders, 2) if orders else None
        ),
        "attention": states.get(DeliveryState.ATTENTION, 0),
        "still_waiting": states.get(DeliveryState.WAITING, 0),
        "states": dict(sorted(states.items())),
        "outcomes": {key or "-": n for key, n in sorted(outcomes.items())},
        "customers_created": Customer.objects.count() - customers_before,
        "expected_customers": new_customers,
        "others_waiting_before": already_waiting,
        "store_seconds": round(store_seconds, 2),
        "worker": "in-process"
        if in_process or log_path is None
        else f"{workers} x rekisteri worker",
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }


def report(result: dict[str, Any]) -> str:
    ok = {True: "met", False: "MISSED"}
    return "\n".join(
        [
            f"{result['deliveries']} deliveries in the inbox on {result['engine']} "
            f"(stored in {result['store_seconds']} s, untimed), processed by "
            f"{result['worker']}",
            f"  {result['orders_per_s']} orders/s: {result['orders']} orders in "
            f"{result['seconds']} s (start-up and first batch {result['startup_seconds']} s "
            f"included); {result['processing_orders_per_s']} orders/s from the first delivery "
            f"begun to the last ({result['processing_seconds']} s)",
            f"  worker CPU {result['worker_cpu_ms_per_order']} ms per order (PostgreSQL's "
            f"apart); load average {result['load_average']} on {result['cpus']} CPUs",
            f"  deliveries by state {result['states']}, by outcome {result['outcomes']}; "
            f"{result['customers_created']} customers created "
            f"(expected {result['expected_customers']})",
            f"target orders/s >= {TARGET_ORDERS_PER_S:g}: {ok[result['targets']['orders_per_s']]}",
            f"target nothing waits for a person: {ok[result['targets']['attention']]}",
        ]
    )


def main(
    *,
    deliveries: int,
    customers: int,
    seed: int,
    in_process: bool,
    database: Any,
    workers: int = 1,
) -> dict[str, Any]:
    generated = generate_customers(total=customers, seed=seed)
    if generated.created:
        print(f"generated {generated.created:,} customers into {database.label}", flush=True)
    # The worker process finds the SQLite bench file only through these settings.
    in_process = in_process or database.engine == "sqlite"
    data_dir = Path(os.environ["REKISTERI_DATA_DIR"])
    result = run(
        deliveries=deliveries,
        customers=customers,
        seed=seed,
        in_process=in_process,
        log_path=data_dir / "bench-inbox-backlog-worker.log",
        workers=workers,
    )
    result = {"engine": connections["default"].vendor, **result, "cpus": os.cpu_count()}
    result["targets"] = {
        "orders_per_s": result["orders_per_s"] >= TARGET_ORDERS_PER_S,
        "attention": result["attention"] == 0 and result["still_waiting"] == 0,
    }
    print(report(result))
    print(json.dumps(result))
    return result
