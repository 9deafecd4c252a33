"""`rekisteri credit-simulator`: the local Asiakastieto simulator in the foreground."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from rekisteri.credit.simulator import DEFAULT_DELAY_SECONDS, DEFAULT_PORT, serve_simulator


class Command(BaseCommand):
    help = (
        "Run a local simulator of Asiakastieto's consumer credit information service "
        "(answers by the individual number of a 900-999 identity code; see "
        "docs/credit-checks.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT)
        parser.add_argument(
            "--delay",
            type=float,
            default=DEFAULT_DELAY_SECONDS,
            help="Seconds the 980-989 codes wait before answering (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = serve_simulator(options["host"], options["port"], delay_seconds=options["delay"])
        self.stdout.write(f"Credit simulator at {server.url} - stop with Ctrl+C")
        self.stdout.write("Point Rekisteri at it with:")
        for name, value in server.environment().items():
            self.stdout.write(f"  export {name}={value}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
