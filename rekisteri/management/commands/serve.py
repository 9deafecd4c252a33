"""`rekisteri serve`: the WSGI app on gunicorn, static files through WhiteNoise.

Plain HTTP behind a TLS-terminating reverse proxy, or HTTPS with a certificate and key
of its own (deploy/README.md). The master process loads the app once and forks the
app server processes; it holds no database connection while it does."""

from __future__ import annotations

import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# No query string, referrer or user agent: a search or a link clicked from a search
# result carries what was searched for (a name, an email address) in its query string.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

WORKER_TIMEOUT_SECONDS = 60
# One process per core of a small machine, each with a few threads.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELDS = 50
LIMIT_REQUEST_FIELD_SIZE = 8190

# Headers only a trusted proxy may set; from anyone else they are dropped.
FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PROTOCOL",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_FORWARDED",
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Serve Rekisteri on gunicorn: HTTPS with --certfile and --keyfile, otherwise plain "
        "HTTP for a TLS-terminating reverse proxy (REKISTERI_TRUSTED_PROXY) in front."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=_positive,
            default=DEFAULT_WORKERS,
            help="App server processes (default %(default)s: one per core of a small machine).",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=DEFAULT_THREADS,
            help="Threads per process (default %(default)s).",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=_positive,
            default=30,
            help="Seconds a stopping server gives the requests in progress (default 30).",
        )
        parser.add_argument(
            "--certfile",
            default=os.environ.get("REKISTERI_TLS_CERT", ""),
            help="The PEM certificate (chain) to serve HTTPS with (default REKISTERI_TLS_CERT).",
        )
        parser.add_argument(
            "--keyfile",
            default=os.environ.get("REKISTERI_TLS_KEY", ""),
            help="Its unencrypted PEM private key (default REKISTERI_TLS_KEY).",
        )
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Also run the background worker, as a child process (the demo; production "
            "runs `rekisteri worker` on its own).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        tls = tls_files(options["certfile"], options["keyfile"])
        proxies = trusted_proxies(settings.TRUSTED_PROXY)
        if settings.IS_PRODUCTION and tls is None and not proxies and not is_loopback(host):
            raise CommandError(
                f"In production Rekisteri serves plain HTTP on {host} only to a trusted "
                "TLS-terminating proxy (REKISTERI_TRUSTED_PROXY). Serve HTTPS with --certfile "
                "and --keyfile, or bind to 127.0.0.1 behind the proxy."
            )

        self._start_credit_simulator_for_the_demo()
        from rekisteri.wsgi import application

        # Forked app servers must not share a connection the master opened.
        connections.close_all()
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        config = server_config(address=address, options=options, tls=tls, proxies=proxies)
        task_worker = TaskWorker() if options["worker"] else None
        if task_worker is not None:
            config["when_ready"] = task_worker.start
        server = Server(behind_proxies(application, proxies), config)

        scheme = "https" if tls else "http"
        self.stdout.write(
            f"Rekisteri ({settings.MODE}) at {scheme}://{address}/ - stop with Ctrl+C"
        )
        if task_worker is not None:
            self.stdout.write("Background work runs in a child process (--worker).")
        self.stdout.flush()
        try:
            server.run()
        finally:
            if task_worker is not None:
                task_worker.stop()

    def _start_credit_simulator_for_the_demo(self) -> None:
        """Outside production, with no credit bureau configured, the demo asks the
        local simulator over real HTTP (its results are labelled simulated). It runs in
        the master, started before the app servers are forked, so they inherit the
        variables that point at it; it uses no database."""
        if settings.IS_PRODUCTION or os.environ.get("REKISTERI_ASIAKASTIETO_URL"):
            return
        from rekisteri.credit.simulator import serve_simulator

        simulator = serve_simulator("127.0.0.1", 0, delay_seconds=10.0)
        threading.Thread(
            target=simulator.serve_forever, name="credit-simulator", daemon=True
        ).start()
        os.environ.update(simulator.environment())
        self.stdout.write(f"Credit checks ask the local simulator at {simulator.url}")


class Server(BaseApplication):
    """gunicorn with its configuration from this command, not its own command line."""

    def __init__(self, application: WSGIApplication, config: dict[str, object]) -> None:
        self.application = application
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.config.items():
            self.cfg.set(name, value)

    def load(self) -> WSGIApplication:
        return self.application


class TaskWorker:
    """`rekisteri worker` as a child of the master, started once the server listens:
    one worker however many app server processes there are, sharing neither their
    database connections nor their forks."""

    def __init__(self) -> None:
        self.master_pid = os.getpid()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, _arbiter: object) -> None:
        command = [sys.executable, "-m", "rekisteri.cli", "worker", "--no-reload"]
        command += ["--no-startup-delay", "--interval", "1"]
        self.process = subprocess.Popen(command)  # noqa: S603  # our own interpreter and command

    def stop(self) -> None:
        # An app server process unwinds through the same `finally` when it exits.
        if self.process is None or os.getpid() != self.master_pid:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_config(
    *,
    address: str,
    options: dict[str, Any],
    tls: tuple[str, str] | None,
    proxies: list[IPNetwork],
) -> dict[str, object]:
    """gunicorn's settings: the app loaded once in the master, then forked."""
    config: dict[str, object] = {
        "bind": [address],
        "workers": options["workers"],
        "worker_class": "gthread",
        "threads": options["threads"],
        "graceful_timeout": options["graceful_timeout"],
        # A stuck app server process is restarted after this long without a heartbeat.
        "timeout": WORKER_TIMEOUT_SECONDS,
        # Limits on what a client may make the server hold before the app sees it (the
        # body is limited by rekisteri.request_limits): a request line as long as a
        # URL the app makes, headers as many and as long as a browser sends.
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "preload_app": True,
        "forwarded_allow_ips": ",".join(str(network) for network in proxies),
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "rekisteri",
        # gunicorn's control socket lives in the home directory, which the systemd
        # unit makes read-only, and two servers of one user would share it.
        "control_socket_disable": True,
    }
    if tls is not None:
        config["certfile"], config["keyfile"] = tls
    return config


def tls_files(certfile: str, keyfile: str) -> tuple[str, str] | None:
    """The certificate and key as absolute paths, checked to load as a pair; None for
    plain HTTP."""
    if not certfile and not keyfile:
        return None
    if not certfile or not keyfile:
        raise CommandError(
            "HTTPS needs both a certificate and its key: give --certfile and --keyfile "
            "(or REKISTERI_TLS_CERT and REKISTERI_TLS_KEY), or neither for plain HTTP."
        )
    for what, path in (("certificate", certfile), ("key", keyfile)):
        try:
            with open(path, "rb"):
                pass
        except OSError as error:
            raise CommandError(f"Cannot read the TLS {what} {path}: {error.strerror}.") from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        # An encrypted key would make OpenSSL ask for its password on the terminal.
        context.load_cert_chain(certfile, keyfile, password=_no_password)
    except (ssl.SSLError, ValueError) as error:
        raise CommandError(
            f"The TLS certificate {certfile} and key {keyfile} do not load as a pair of PEM "
            f"files with an unencrypted key: {error}"
        ) from None
    return os.path.abspath(certfile), os.path.abspath(keyfile)


def _no_password() -> str:
    raise ValueError("the key is encrypted")


def trusted_proxies(value: str) -> list[IPNetwork]:
    """REKISTERI_TRUSTED_PROXY: an address, or addresses and networks, comma-separated."""
    networks = []
    for item in value.split(","):
        try:
            if item.strip():
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise CommandError(
                "REKISTERI_TRUSTED_PROXY must be the proxy's IP address (or addresses and "
                f"networks, comma-separated), not {item.strip()!r}."
            ) from None
    return networks


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def behind_proxies(application: WSGIApplication, proxies: list[IPNetwork]) -> WSGIApplication:
    """The app with the client's address as a trusted proxy forwarded it; from any other
    peer the forwarding headers are dropped, so that nobody can claim another address
    or HTTPS (Django trusts X-Forwarded-Proto in production)."""

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _is_trusted(environ.get("REMOTE_ADDR", ""), proxies):
            client = environ.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
            if _is_address(client):
                environ["REMOTE_ADDR"] = client
        else:
            for name in FORWARDING_HEADERS:
                environ.pop(name, None)
        return application(environ, start_response)

    return serve


def _is_trusted(address: str, proxies: list[IPNetwork]) -> bool:
    if not proxies or not _is_address(address):
        return False
    peer = ipaddress.ip_address(address)
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in network for network in proxies)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
