"""`rekisteri serve`: the WSGI app on waitress, static files through WhiteNoise."""

import os
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rekisteri over HTTP (put a TLS-terminating proxy in front in production)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Also run the background worker in this process (the demo; production "
            "runs `rekisteri worker` on its own).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from rekisteri.wsgi import application

        self._start_credit_simulator_for_the_demo()
        if options["worker"]:
            self._start_worker()
        self.stdout.write(
            f"Rekisteri ({settings.MODE}) at http://{options['host']}:{options['port']}/ "
            "- stop with Ctrl+C"
        )
        proxy: dict[str, object] = {}
        if settings.TRUSTED_PROXY:
            proxy = {
                "trusted_proxy": settings.TRUSTED_PROXY,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            }
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="Rekisteri",
            **proxy,
        )

    def _start_worker(self) -> None:
        """The database queue's worker in a thread: campaign sending and other
        background work run while the demo is served."""
        from django.utils.crypto import get_random_string
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=["default"],
            interval=1,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="serve-" + get_random_string(12),
            excluded_queue_names=[],
        )
        threading.Thread(target=worker.run, name="task-worker", daemon=True).start()
        self.stdout.write("Background work runs in this process (--worker).")

    def _start_credit_simulator_for_the_demo(self) -> None:
        """Outside production, with no credit bureau configured, the demo asks the
        local simulator over real HTTP (its results are labelled simulated)."""
        if settings.IS_PRODUCTION or os.environ.get("REKISTERI_ASIAKASTIETO_URL"):
            return
        from rekisteri.credit.simulator import serve_simulator

        simulator = serve_simulator("127.0.0.1", 0, delay_seconds=10.0)
        threading.Thread(
            target=simulator.serve_forever, name="credit-simulator", daemon=True
        ).start()
        os.environ.update(simulator.environment())
        self.stdout.write(f"Credit checks ask the local simulator at {simulator.url}")
