"""`rekisteri serve` and the other `rekisteri` commands as real processes, for the tests
that need a real server (TLS, the worker, a crash).

Each test installation has a data directory and a database of its own, never the test
run's: that one lives inside a transaction no other process can see, and the audit
table is append-only. PostgreSQL when DATABASE_URL is set (a database made for the
installation and dropped after it), otherwise SQLite in the data directory."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks import task

# Generous: a loaded two-core machine takes its time to start Python and Django.
COMMAND_SECONDS = 180.0
SERVER_START_SECONDS = 90.0
SERVER_STOP_SECONDS = 60.0
READY_PATH = "/accounts/login/"


@task()
def echo(text: str) -> str:
    """A task for `rekisteri serve --worker`'s tests: its result shows that it ran."""
    return text


class OutboxEmailBackend(BaseEmailBackend):
    """Writes each message to a file of its own in the data directory's outbox, for a
    test to read the links a server process sent (REKISTERI_EMAIL_BACKEND): one file
    per message, whole when it appears, whichever process sent it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        outbox = outbox_dir(Path(settings.DATA_DIR))
        outbox.mkdir(exist_ok=True)
        for message in email_messages:
            name = f"{time.time_ns()}-{secrets.token_hex(4)}"
            partial = outbox / f"{name}.partial"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(outbox / f"{name}.eml")
        return len(email_messages)


def outbox_dir(data_dir: Path) -> Path:
    return data_dir / "outbox"


def clean_environment() -> dict[str, str]:
    """The test run's environment without anything that configures Rekisteri."""
    names = ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE")
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REKISTERI_") and name not in names
    }


@dataclass
class Installation:
    """A data directory (key file, SQLite database, logs) and its database."""

    data_dir: Path
    database_url: str = ""  # empty for SQLite

    @property
    def engine(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def environment(self, **extra: str) -> dict[str, str]:
        """Development mode on this installation; `extra` adds or overrides variables."""
        environment = clean_environment()
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "rekisteri.settings",
                "REKISTERI_DATA_DIR": str(self.data_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database_url:
            environment["DATABASE_URL"] = self.database_url
        environment.update(extra)
        return environment

    def production_environment(self, **extra: str) -> dict[str, str]:
        """Production mode with its secrets; the key file is the installation's."""
        return self.environment(
            REKISTERI_MODE="production",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            # Test data has nothing but the 900-series codes no real person has.
            REKISTERI_ACCEPT_TEMPORARY_IDENTITY_CODES="true",
            **extra,
        )

    def run(
        self, *arguments: str, environment: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`rekisteri <arguments>`, finished; its exit status is the caller's to check."""
        return subprocess.run(  # noqa: S603  # our own interpreter and command
            [sys.executable, "-m", "rekisteri.cli", *arguments],
            env=environment or self.environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )

    def invoice_shop_key(self, name: str) -> str:
        """The API key of a new generic integration that sells on invoice (so its
        buyers may come with identity codes), made with `rekisteri integrations`."""
        created = self.run(
            "integrations",
            "create",
            "--kind",
            "generic",
            "--name",
            name,
            "--invoice-sales",
            "--json",
        )
        if created.returncode != 0:
            raise RuntimeError(f"integrations create failed: {created.stderr}")
        api_key: str = json.loads(created.stdout)["api_key"]
        return api_key

    def python(self, code: str, environment: dict[str, str] | None = None) -> str:
        """Runs Python code with Django set up on this installation; its output."""
        result = subprocess.run(  # noqa: S603  # our own interpreter
            [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
            env=environment or self.environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"the Python code failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def serve(
        self,
        *arguments: str,
        port: int,
        environment: dict[str, str] | None = None,
        log_name: str = "server",
    ) -> ServerProcess:
        """`rekisteri serve --host 127.0.0.1 --port <port> <arguments>`, started."""
        command = [sys.executable, "-m", "rekisteri.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), *arguments]
        return ServerProcess(
            command=command,
            environment=environment or self.environment(),
            port=port,
            is_tls="--certfile" in arguments,
            log_path=self.data_dir / f"{log_name}.log",
        )


@contextlib.contextmanager
def throwaway_installation(data_dir: Path, *, name: str) -> Iterator[Installation]:
    """A new installation, keyed and migrated; its PostgreSQL database dropped after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    installation = Installation(data_dir=data_dir)
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url:
        installation.database_url = _postgresql_create(server_url, name=name)
    try:
        for command in (("keys", "generate"), ("migrate", "--no-input", "-v", "0")):
            result = installation.run(*command)
            if result.returncode != 0:
                raise AssertionError(f"rekisteri {' '.join(command)} failed:\n{result.stderr}")
        yield installation
    finally:
        if installation.database_url:
            _postgresql_drop(installation.database_url)


def _postgresql_create(server_url: str, *, name: str) -> str:
    """A new database on DATABASE_URL's server; its URL (query, such as sslmode, kept)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    database = f"{parts.path.lstrip('/') or 'rekisteri'}_{name}_{secrets.token_hex(4)}"
    with psycopg.connect(_maintenance_url(server_url), autocommit=True) as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return urlunsplit(parts._replace(path=f"/{database}"))


def _postgresql_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


@dataclass
class ServerProcess:
    """A `rekisteri serve` in a session of its own, so that it and every process it
    forks can be signalled at once; its output goes to a log file."""

    command: list[str]
    environment: dict[str, str]
    port: int
    is_tls: bool
    log_path: Path
    process: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and command
                self.command,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_ready(self) -> None:
        """Returns once the server answers any HTTP request."""
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped at start:\n{self.log()}")
            try:
                probe = self.connection(timeout=10)
                probe.request("GET", READY_PATH)
                probe.getresponse().read()
                probe.close()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        raise AssertionError(
            f"the server did not answer in {SERVER_START_SECONDS:g} s:\n{self.log()}"
        )

    def connection(
        self, *, timeout: float = 30, context: ssl.SSLContext | None = None
    ) -> http.client.HTTPConnection:
        """A connection to the server; over TLS without checking the certificate
        unless a context says otherwise."""
        if not self.is_tls:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if context is None:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)

    def kill(self) -> None:
        """SIGKILL to the master, its app server processes and any worker, at once;
        returns when none of them is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=SERVER_STOP_SECONDS)
        deadline = time.monotonic() + SERVER_STOP_SECONDS
        while self.session_processes() and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL to whatever is left of the session."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=SERVER_STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=SERVER_STOP_SECONDS)

    def log(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def session_processes(self) -> list[str]:
        """The command lines of the live processes in the server's session (Linux)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getsid(int(entry.name)) != self.process.pid:
                    continue
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # dead, waiting for its parent to collect it
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, ProcessLookupError):
                continue
            found.append(" ".join(a.decode(errors="replace") for a in arguments if a))
        return found
