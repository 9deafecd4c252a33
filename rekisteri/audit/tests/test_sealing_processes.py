"""The audit trail with more than one process on one database, as real processes: two
app servers and two workers take web shop orders at once and leave a chain that
verifies; a sealer killed with SIGKILL in the middle of a batch leaves a chain that
verifies, and the next sealer finishes the work. On SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.order_intake import Connection, PlannedOrder, free_port
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation
from rekisteri.testing.shops import benchmark_orders

ORDERS = 60
CLIENTS = 4
SEALED_SECONDS = 90.0

CHAIN_STATE = """
import json
from rekisteri.audit.models import AuditCheckpoint, AuditEvent
from rekisteri.audit.selectors import audit_chain_verify

report = audit_chain_verify()
print(json.dumps({
    "is_intact": report.is_intact, "problem": report.problem, "checked": report.checked,
    "unsealed": report.unsealed, "events": AuditEvent.objects.count(),
    "checkpoints": AuditCheckpoint.objects.count(),
}))
"""

# A sealer that stops in the middle of its batch: the batch's events have their places
# written but not committed when it says so and waits to be killed.
SEALER_STOPPED_MID_BATCH = """
import time
from rekisteri.audit import sealing

write = sealing._places_write

def write_then_wait(events):
    write(events)
    print("MID-BATCH", flush=True)
    time.sleep(300)

sealing._places_write = write_then_wait
sealing.audit_seal()
"""


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    with throwaway_installation(tmp_path / "sealing", name="sealing") as made:
        yield made


def chain_state(installation: Installation) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(installation.python(CHAIN_STATE))
    return state


def shop_orders() -> list[PlannedOrder]:
    return benchmark_orders(count=ORDERS, seed=1612, returning=10, first_free_number=200_000)


def post_to_both(orders: list[PlannedOrder], ports: list[int], api_key: str) -> list[int]:
    """Posts the orders from CLIENTS threads, each client to one of the servers."""
    statuses: list[int] = []
    lock = threading.Lock()
    shares = [orders[index::CLIENTS] for index in range(CLIENTS)]

    def client(index: int) -> None:
        # Prefer: wait: the servers make the orders (and their events) themselves.
        connection = Connection(
            host="127.0.0.1", port=ports[index % len(ports)], api_key=api_key, wait=10
        )
        try:
            for order in shares[index]:
                status = connection.post(order).status
                with lock:
                    statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@contextlib.contextmanager
def workers(installation: Installation, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`rekisteri worker` processes, each in a session of its own, logging to a file."""
    started = []
    try:
        for index in range(count):
            with (installation.data_dir / f"worker-{index}.log").open("ab") as log:
                started.append(
                    subprocess.Popen(  # our own interpreter and command
                        [sys.executable, "-m", "rekisteri.cli", "worker", "--no-reload"],
                        env=installation.environment(),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        yield started
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def wait_until_sealed(installation: Installation) -> dict[str, Any]:
    deadline = time.monotonic() + SEALED_SECONDS
    while True:
        state = chain_state(installation)
        if state["unsealed"] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(1)


def test_two_servers_and_two_workers_leave_one_chain_that_verifies(installation):
    api_key = installation.invoice_shop_key("Two servers")
    environment = installation.production_environment(
        REKISTERI_SSL_REDIRECT="false", REKISTERI_API_RATE_PER_MINUTE="1000000"
    )
    ports = [free_port(), free_port()]
    servers: list[ServerProcess] = []
    try:
        for index, port in enumerate(ports):
            server = installation.serve(
                port=port, environment=environment, log_name=f"server-{index}"
            )
            servers.append(server)
            server.wait_until_ready()
        with workers(installation, 2):
            statuses = post_to_both(shop_orders(), ports, api_key)
            state = wait_until_sealed(installation)
    finally:
        for server in servers:
            server.stop()

    assert statuses.count(201) == ORDERS, statuses
    assert state["is_intact"], state
    # Every event of the run has its place in one chain: nothing waits, nothing lost.
    assert state["unsealed"] == 0, state
    assert state["checked"] == state["events"]
    assert state["checkpoints"] >= 1


def test_a_sealer_killed_mid_batch_leaves_a_chain_that_verifies_and_the_next_one_finishes(
    installation,
):
    installation.python(
        "from rekisteri.audit.models import Action\n"
        "from rekisteri.audit.services import Actor, audit_record\n"
        "for number in range(50):\n"
        "    audit_record(actor=Actor.system('test'), action=Action.VIEW, object_id=str(number))\n"
    )
    with (installation.data_dir / "sealer.log").open("w+b") as log:
        sealer = subprocess.Popen(  # our own interpreter
            [sys.executable, "-c", "import django\ndjango.setup()\n" + SEALER_STOPPED_MID_BATCH],
            env=installation.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while b"MID-BATCH" not in Path(log.name).read_bytes():
            assert sealer.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "the sealer never reached its batch"
            time.sleep(0.2)
        sealer.send_signal(signal.SIGKILL)
        sealer.wait(timeout=30)

    killed = chain_state(installation)
    assert killed["is_intact"], killed
    assert (killed["checked"], killed["unsealed"]) == (0, 50)

    sealed = installation.run("audit", "seal")
    assert sealed.returncode == 0, sealed.stderr
    assert "Sealed 50 events" in sealed.stdout

    finished = chain_state(installation)
    assert finished["is_intact"], finished
    assert (finished["checked"], finished["unsealed"]) == (50, 0)
    assert finished["checkpoints"] == 1
