"""`rekisteri worker`: the background worker (django-tasks' database worker), and beside
it the audit trail's sealer, every second (rekisteri/audit/sealing.py).

Any number of workers may run: the sealer of each tries for the sealing lock and the
one that gets it seals; the others find it taken and try again a second later."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as TaskWorkerCommand

from rekisteri.audit.sealing import audit_seal

logger = logging.getLogger(__name__)

SEAL_EVERY_SECONDS = 1.0


def _sealer(stop: threading.Event) -> None:
    """Seals what has committed, once a second, until the process ends. A failure is
    logged and tried again: the events wait, unsealed but with their own MACs."""
    while not stop.wait(SEAL_EVERY_SECONDS):
        try:
            close_old_connections()
            audit_seal(checkpoint=False)
        except Exception:
            logger.exception("sealing the audit trail failed; trying again")
    connection.close()


class Command(TaskWorkerCommand):
    help = "Run the background worker and the audit trail's sealer."

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("batch"):
            # Run until the queue is empty, then seal what the tasks wrote.
            super().handle(*args, **options)
            audit_seal()
            return
        stop = threading.Event()
        threading.Thread(target=_sealer, args=(stop,), name="audit-sealer", daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
