"""How fast writers append to the audit trail, and how long events wait to be sealed.

`python -m bench audit_append [--writers W] [--events N] [--seconds S]`: W writers, each
a thread with its own database connection, append events as a staff page does (one
`audited_transaction()` with one `audit_record(...)` in it, so one commit per event),
for S seconds or until N events in all. Beside them the sealer runs as the worker runs
it, once a second. Reported: events per second over the timed run, and the sealing lag
of every event (from the moment its writer built it to the end of the sealing
transaction that gave it its place), p50 and p99. The last line of output is one JSON
object with `events_per_s` and `seal_lag_p99_ms`.

The writers run in P processes (`--processes`, as gunicorn's app server processes) of
W/P threads each, and the sealer in a process of its own, as `rekisteri worker` runs it.
Events per second are counted over the writing time; events still waiting when it ends
are sealed before the chain is verified.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from bench.customer_search import percentile
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.sealing import SEAL_BATCH, audit_seal, sealed_head
from rekisteri.audit.services import Actor, audit_record, audited_transaction

TARGET_EVENTS_PER_S = 3000.0
TARGET_SEAL_LAG_P99_MS = 2000.0
SEAL_EVERY_SECONDS = 1.0


def _writer(stop: Any, start: Any, counts: list[int], index: int, label: str) -> None:
    actor = Actor(type="staff", label=label, ip_address="192.0.2.10")
    written = 0
    start.wait()
    try:
        while not stop.is_set():
            with audited_transaction():
                audit_record(
                    actor=actor,
                    action=Action.SEARCH,
                    object_type="customers.customer",
                    object_id=str(written),
                    reason="bench",
                )
            written += 1
    finally:
        counts[index] = written
        connections.close_all()


def _writer_process(threads: int, stop: Any, start: Any, results: Any, first: int) -> None:
    """One app server process: `threads` writers, as gunicorn's threads would be."""
    counts = [0] * threads
    workers = [
        threading.Thread(
            target=_writer, args=(stop, start, counts, index, f"bench-{first + index}")
        )
        for index in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(("written", sum(counts)))


def _sealer_process(stop: Any, results: Any) -> None:
    """The worker's sealer, in a process of its own as in production, with each sealed
    event's lag read from its occurred_at."""
    lags_ms: list[float] = []
    try:
        while True:
            stopping = stop.wait(SEAL_EVERY_SECONDS)
            head = sealed_head()
            run = audit_seal(batch_size=SEAL_BATCH, checkpoint=False)
            sealed_at = timezone.now()
            if run.sealed:
                moments = AuditEvent.objects.filter(
                    seq__gt=head.seq, seq__lte=run.head.seq
                ).values_list("occurred_at", flat=True)
                lags_ms.extend((sealed_at - moment).total_seconds() * 1000 for moment in moments)
            if stopping and not run.sealed:
                break
    finally:
        connections.close_all()
        results.put(("lags", lags_ms))


def main(*, writers: int, processes: int, seconds: float, database: Any) -> dict[str, Any]:
    # The run's checkpoints in a file of its own: a file of an earlier bench database
    # would not fit this one's chain.
    settings.REKISTERI_AUDIT_CHECKPOINTS = Path(tempfile.mkdtemp()) / "checkpoints.jsonl"
    audit_seal()  # a kept database may hold events of an earlier run
    before = AuditEvent.objects.count()
    # Forked with Django set up and no connection open: each child opens its own.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    start = context.Barrier(writers + 1)
    results = context.Queue()
    per_process = [
        writers // processes + (index < writers % processes) for index in range(processes)
    ]
    children = [
        context.Process(
            target=_writer_process,
            args=(count, stop, start, results, sum(per_process[:index])),
        )
        for index, count in enumerate(per_process)
        if count
    ]
    sealer = context.Process(target=_sealer_process, args=(stop, results))
    for child in children:
        child.start()
    sealer.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    written = 0
    lags_ms: list[float] = []
    for _ in range(len(children) + 1):
        kind, value = results.get()
        if kind == "written":
            written += value
        else:
            lags_ms = value
    elapsed = time.perf_counter() - began
    for child in [*children, sealer]:
        child.join()
    stored = AuditEvent.objects.count() - before
    from rekisteri.audit.selectors import audit_chain_verify

    report = audit_chain_verify()
    result: dict[str, Any] = {
        "engine": connection.vendor,
        "writers": writers,
        "processes": len(children),
        "seconds": round(elapsed, 2),
        "events": written,
        "events_stored": stored,
        "events_per_s": round(written / seconds, 1),
        "sealed": len(lags_ms),
        "seal_lag_p50_ms": round(percentile(lags_ms, 0.50), 1) if lags_ms else None,
        "seal_lag_p99_ms": round(percentile(lags_ms, 0.99), 1) if lags_ms else None,
        "chain_intact": report.is_intact,
        "chain_problem": report.problem,
        "unsealed_after": report.unsealed,
        "load_average": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "database": database.label,
    }
    result["target_met"] = (
        result["events_per_s"] >= TARGET_EVENTS_PER_S
        and result["seal_lag_p99_ms"] is not None
        and result["seal_lag_p99_ms"] <= TARGET_SEAL_LAG_P99_MS
        and report.is_intact
        and stored == written
    )
    print(
        f"{written} events from {writers} writers in {elapsed:.1f} s on {connection.vendor}: "
        f"{result['events_per_s']} events/s; sealing lag p50 {result['seal_lag_p50_ms']} ms, "
        f"p99 {result['seal_lag_p99_ms']} ms; chain intact: {report.is_intact}"
    )
    print(json.dumps(result))
    return result
