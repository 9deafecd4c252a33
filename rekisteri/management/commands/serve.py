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

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from rekisteri.wsgi import application

        self._start_credit_simulator_for_the_demo()
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
