"""Running the background queue inside a test.

`rekisteri worker` (django-tasks-db's db_worker) calls `close_old_connections()` between
tasks, which drops a connection left inside a transaction: on PostgreSQL that closes the
test's own transaction. This runs the ready tasks the way the worker does, claim and
all, without touching the connection."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

WORKER_ID = "test-worker"


def run_queued_tasks() -> int:
    """Runs every ready task, in order, until none is left; returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=WORKER_ID,
        excluded_queue_names=[],
    )
    ran = 0
    while (task_result := DBTaskResult.objects.ready().get_locked()) is not None:
        task_result.claim(WORKER_ID)
        worker.run_task(task_result)
        task_result.refresh_from_db()
        if task_result.status == "FAILED":
            raise AssertionError(f"{task_result.task_path} failed:\n{task_result.traceback}")
        ran += 1
    return ran
