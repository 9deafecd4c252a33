"""`rekisteri worker`: the background worker (django-tasks' database worker), and beside
it the audit trail's sealer, every second (rekisteri/audit/sealing.py), and the shops'
inbox, which turns waiting deliveries into orders (rekisteri/intake/inbox.py), and the
WooCommerce catch-up sync every REKISTERI_WOOCOMMERCE_SYNC_MINUTES (0: not at all).

Any number of workers may run: the sealer of each tries for the sealing lock and the
one that gets it seals; the others find it taken and try again a second later."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as TaskWorkerCommand

from rekisteri.audit.sealing import audit_seal
from rekisteri.intake.inbox import inbox_drain, inbox_process
from rekisteri.intake.woocommerce_sync import woocommerce_sync_due

logger = logging.getLogger(__name__)

SEAL_EVERY_SECONDS = 1.0
# How often an idle inbox is looked at; a full batch is followed by the next at once.
INBOX_EVERY_SECONDS = 0.5
# How often the shops' sync schedule is looked at; each shop runs once an interval.
SYNC_CHECK_SECONDS = 60.0


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


def _inbox(stop: threading.Event) -> None:
    """Processes the inbox's waiting deliveries batch by batch until the process ends.
    A failed batch is logged and tried again; its deliveries are still waiting."""
    while not stop.is_set():
        busy = False
        try:
            close_old_connections()
            busy = bool(inbox_process())
        except Exception:
            logger.exception("processing the inbox failed; trying again")
        if not busy:
            stop.wait(INBOX_EVERY_SECONDS)
    connection.close()


def _woocommerce_sync(stop: threading.Event) -> None:
    """Runs the WooCommerce sync of each shop whose interval has passed, from the start
    and then once a minute, until the process ends. A failed run is recorded on its
    integration and logged by woocommerce_sync_due; this logs only what stopped the
    round itself (the database away), by its kind: its text could quote an order."""
    while not stop.is_set():
        try:
            close_old_connections()
            woocommerce_sync_due()
        except Exception as error:
            logger.error(
                "the WooCommerce sync round failed (%s); trying again", type(error).__name__
            )
        stop.wait(SYNC_CHECK_SECONDS)
    connection.close()


class Command(TaskWorkerCommand):
    help = "Run the background worker and the audit trail's sealer."

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("batch"):
            # Run until the queue is empty, then seal what the tasks wrote.
            super().handle(*args, **options)
            inbox_drain()
            audit_seal()
            return
        stop = threading.Event()
        threading.Thread(target=_sealer, args=(stop,), name="audit-sealer", daemon=True).start()
        threading.Thread(target=_inbox, args=(stop,), name="inbox", daemon=True).start()
        if settings.REKISTERI_WOOCOMMERCE_SYNC_MINUTES > 0:
            threading.Thread(
                target=_woocommerce_sync, args=(stop,), name="woocommerce-sync", daemon=True
            ).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
