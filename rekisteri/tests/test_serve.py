"""`rekisteri serve` as a real process: gunicorn over HTTP and over its own TLS, the
background worker it runs for the demo, and what it refuses to start with."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import random
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.urls import reverse

from bench.order_intake import catalogue, free_port, order_body
from rekisteri.testing.identity_codes import identity_code_for
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation

TASK_SECONDS = 90.0


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    with throwaway_installation(tmp_path_factory.mktemp("serve"), name="serve") as made:
        yield made


@pytest.fixture(scope="module")
def certificate(installation: Installation) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = installation.data_dir / "tls-cert.pem"
    key_path = installation.data_dir / "tls-key.pem"
    cert_path.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture(scope="module")
def development_server(installation: Installation) -> Iterator[ServerProcess]:
    """`make run`'s server (--worker), with the test client's address as the trusted
    proxy."""
    server = installation.serve(
        "--worker",
        port=free_port(),
        environment=installation.environment(REKISTERI_TRUSTED_PROXY="127.0.0.1"),
        log_name="development",
    )
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_server(
    installation: Installation, certificate: tuple[Path, Path]
) -> Iterator[ServerProcess]:
    """Production mode serving HTTPS itself, with no proxy trusted."""
    cert_path, key_path = certificate
    server = installation.serve(
        "--certfile",
        str(cert_path),
        "--keyfile",
        str(key_path),
        port=free_port(),
        environment=installation.production_environment(),
        log_name="tls",
    )
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def get(
    server: ServerProcess,
    path: str,
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = server.connection(context=context)
    try:
        connection.request("GET", path, headers={"Accept-Language": "en", **(headers or {})})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def audited_addresses(installation: Installation, request_id: str) -> list[str | None]:
    """The client addresses the audit trail recorded for one request."""
    code = (
        "import json\n"
        "from rekisteri.audit.models import AuditEvent\n"
        f"print(json.dumps(list(AuditEvent.objects.filter(request_id={request_id!r})"
        ".values_list('ip_address', flat=True))))\n"
    )
    addresses: list[str | None] = json.loads(installation.python(code))
    return addresses


def refused_api_call(server: ServerProcess, forwarded_for: str) -> str:
    """An API call with a key nobody has (audited with the caller's address); its
    request id."""
    request_id = f"serve-test-{uuid.uuid4().hex}"
    response, _body = get(
        server,
        "/api/v1/orders/1",
        {
            "Authorization": "Bearer rk_no-such-key",
            "X-Forwarded-For": forwarded_for,
            "X-Request-ID": request_id,
        },
    )
    assert response.status == 401
    return request_id


def test_development_serves_plain_http_without_hsts(development_server: ServerProcess) -> None:
    response, body = get(development_server, reverse("accounts:login"))

    assert response.status == 200
    assert b'name="password"' in body
    assert response.getheader("Strict-Transport-Security") is None
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy", "")
    assert response.getheader("Server", "").startswith("gunicorn")
    assert (
        f"Rekisteri (development) at http://127.0.0.1:{development_server.port}/"
        in development_server.log(lines=1000)
    )


def test_the_access_log_leaves_out_query_strings(development_server: ServerProcess) -> None:
    """A search's query string holds what was searched for, a name or an email."""
    response, _body = get(development_server, "/accounts/login/?next=/customers/%3Fq%3DVirtanen")

    assert response.status == 200
    log = development_server.log(lines=1000)
    assert '"GET /accounts/login/ HTTP/1.1" 200' in log
    assert "Virtanen" not in log


def test_the_worker_option_runs_queued_tasks_in_one_worker_process(
    development_server: ServerProcess, installation: Installation
) -> None:
    """`make run`: tasks queued in the database run, all in the one task worker the
    master started, however many app server processes it forked."""
    enqueue = (
        "from rekisteri.testing.servers import echo\n"
        "for number in range(3):\n"
        "    print(echo.enqueue(f'task {number}').id)\n"
    )
    task_ids = installation.python(enqueue).split()
    check = (
        "import json\n"
        "from django_tasks_db.models import DBTaskResult\n"
        f"rows = DBTaskResult.objects.filter(id__in={task_ids!r})\n"
        "print(json.dumps([[r.status, r.return_value, r.worker_ids] for r in rows]))\n"
    )

    deadline = time.monotonic() + TASK_SECONDS
    while True:
        results = json.loads(installation.python(check))
        if all(status in ("SUCCESSFUL", "FAILED") for status, _value, _workers in results):
            break
        assert time.monotonic() < deadline, f"tasks not run: {results}\n{development_server.log()}"
        time.sleep(1)

    assert [status for status, _value, _workers in results] == ["SUCCESSFUL"] * 3
    assert sorted(value for _status, value, _workers in results) == ["task 0", "task 1", "task 2"]
    assert len({worker for _s, _v, workers in results for worker in workers}) == 1
    task_workers = [
        line for line in development_server.session_processes() if "rekisteri.cli worker" in line
    ]
    assert len(task_workers) == 1, development_server.session_processes()


def test_app_server_processes_reach_the_credit_simulator_the_master_started(
    development_server: ServerProcess, installation: Installation
) -> None:
    """An invoice order asks the bureau from a forked app server process: the
    simulator's address was set before the fork (900-939: no payment defaults)."""
    api_key = installation.invoice_shop_key("Simulator shop")
    rng = random.Random(8)
    body = order_body(
        external_id="SIM-1",
        buyer={
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": "aino.virtanen.sim@example.fi",
            "identity_code": identity_code_for(datetime.date(1980, 5, 17), 912),
            "street_address": "Kauppakatu 1",
            "postal_code": "90100",
            "post_office": "Oulu",
        },
        products=catalogue(rng),
        rng=rng,
        placed_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
    )
    body["payment_method"] = "invoice"

    connection = development_server.connection(timeout=60)
    connection.request(
        "POST",
        "/api/v1/orders",
        body=json.dumps(body),
        headers={
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            # Processed at once (RFC 7240): the answer is the order, with its decision.
            "Prefer": "wait=10",
        },
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()

    assert response.status == 201, answer
    assert response.getheader("Preference-Applied") == "wait=10"
    assert answer["credit_check"]["decision"] == "approved"


def test_the_trusted_proxy_forwards_the_client_address(
    development_server: ServerProcess, installation: Installation
) -> None:
    request_id = refused_api_call(development_server, forwarded_for="198.51.100.7")

    assert audited_addresses(installation, request_id) == ["198.51.100.7"]


def test_production_serves_https_with_hsts_and_the_security_headers(
    tls_server: ServerProcess, certificate: tuple[Path, Path]
) -> None:
    cert_path, _key_path = certificate
    verified = ssl.create_default_context(cafile=str(cert_path))

    response, body = get(tls_server, reverse("accounts:login"), context=verified)

    assert response.status == 200
    assert b'name="password"' in body
    assert (
        response.getheader("Strict-Transport-Security")
        == "max-age=31536000; includeSubDomains; preload"
    )
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy", "")
    assert "camera=()" in response.getheader("Permissions-Policy", "")
    assert "no-store" in response.getheader("Cache-Control", "")
    cookie = response.getheader("Set-Cookie", "")
    assert cookie.startswith("__Host-rekisteri-csrf=")
    assert "Secure" in cookie
    assert f"Rekisteri (production) at https://127.0.0.1:{tls_server.port}/" in tls_server.log(
        lines=1000
    )


def test_without_a_trusted_proxy_nobody_can_claim_plain_http_or_another_address(
    tls_server: ServerProcess, installation: Installation
) -> None:
    """Believed, `X-Forwarded-Proto: http` would get a redirect to HTTPS."""
    response, _body = get(
        tls_server,
        reverse("accounts:login"),
        {"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.9"},
    )
    request_id = refused_api_call(tls_server, forwarded_for="203.0.113.9")

    assert response.status == 200
    assert audited_addresses(installation, request_id) == ["127.0.0.1"]


def test_plain_http_to_the_tls_port_gets_no_answer(tls_server: ServerProcess) -> None:
    plain = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=30)

    with pytest.raises((OSError, http.client.HTTPException)):
        plain.request("GET", reverse("accounts:login"))
        plain.getresponse().read()
    plain.close()


@pytest.mark.parametrize(
    ("arguments", "variables", "message"),
    [
        (["--certfile", "{cert}"], {}, "HTTPS needs both a certificate and its key"),
        ([], {"REKISTERI_TLS_KEY": "{key}"}, "HTTPS needs both a certificate and its key"),
        (
            ["--certfile", "{missing}", "--keyfile", "{key}"],
            {},
            "Cannot read the TLS certificate {missing}: No such file or directory.",
        ),
        (
            ["--certfile", "{key}", "--keyfile", "{cert}"],
            {},
            "do not load as a pair of PEM files",
        ),
    ],
)
def test_it_refuses_a_certificate_and_key_that_do_not_make_a_pair(
    installation: Installation,
    certificate: tuple[Path, Path],
    arguments: list[str],
    variables: dict[str, str],
    message: str,
) -> None:
    cert_path, key_path = certificate
    paths = {"cert": cert_path, "key": key_path, "missing": installation.data_dir / "none.pem"}

    result = installation.run(
        "serve",
        "--port",
        str(free_port()),
        *(argument.format(**paths) for argument in arguments),
        environment=installation.environment(
            **{name: value.format(**paths) for name, value in variables.items()}
        ),
    )

    assert result.returncode == 1
    assert message.format(**paths) in result.stderr
    assert "Listening at" not in result.stderr


def test_production_refuses_plain_http_on_an_address_others_reach(
    installation: Installation,
) -> None:
    result = installation.run(
        "serve",
        "--host",
        "0.0.0.0",  # noqa: S104  # the very thing refused
        "--port",
        str(free_port()),
        environment=installation.production_environment(),
    )

    assert result.returncode == 1
    assert "In production Rekisteri serves plain HTTP on 0.0.0.0 only to a trusted" in (
        result.stderr
    )
    assert "Listening at" not in result.stderr


def test_the_server_limits_what_a_client_may_make_it_hold() -> None:
    """gunicorn's request line, header count and header size limits, and a timeout for
    a stuck app server process, are set explicitly."""
    from rekisteri.management.commands.serve import server_config

    config = server_config(
        address="127.0.0.1:8000",
        options={"workers": 2, "threads": 4, "graceful_timeout": 30},
        tls=None,
        proxies=[],
    )

    assert (
        config["limit_request_line"],
        config["limit_request_fields"],
        config["limit_request_field_size"],
        config["timeout"],
    ) == (4094, 50, 8190, 60)


def test_an_over_long_request_line_or_header_is_refused_by_the_server(
    development_server: ServerProcess,
) -> None:
    long_line, _body = get(development_server, "/accounts/login/?next=" + "a" * 5000)
    long_header, _body = get(development_server, "/accounts/login/", {"X-Padding": "b" * 9000})
    many_headers, _body = get(
        development_server,
        "/accounts/login/",
        {f"X-Header-{number}": "c" for number in range(60)},
    )

    assert long_line.status == 414
    assert long_header.status == 431
    assert many_headers.status == 431


def test_a_huge_anonymous_upload_is_refused_before_its_body_is_sent(
    development_server: ServerProcess,
) -> None:
    """Only the headers go out: the app answers 413 from the declared length alone."""
    connection = development_server.connection()
    try:
        connection.putrequest("POST", reverse("accounts:login"))
        connection.putheader("Content-Type", "multipart/form-data; boundary=rekisteri")
        connection.putheader("Content-Length", str(300 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
    finally:
        connection.close()
