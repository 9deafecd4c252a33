"""The `rekisteri` commands: keys, demo (P14: personal demo accounts per role)."""

import stat
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rekisteri import crypto
from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.consents.models import ConsentEvent
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer
from rekisteri.intake.models import InboxDelivery
from rekisteri.orders.models import Order, Product
from rekisteri.testing.factories import make_customer


@pytest.fixture
def key_file(settings, tmp_path):
    path = tmp_path / "keys.json"
    settings.REKISTERI_KEYS = ""
    settings.REKISTERI_KEY_FILE = path
    return path


def test_keys_generate_creates_a_private_key_file(key_file, capsys):
    call_command("keys", "generate")

    ring = crypto.KeyRing.from_json(key_file.read_text())
    assert ring.active == "k1"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "Created the key file" in capsys.readouterr().out


def test_keys_generate_if_missing_leaves_an_existing_file_alone(key_file):
    call_command("keys", "generate")
    before = key_file.read_text()

    call_command("keys", "generate", "--if-missing")

    assert key_file.read_text() == before


def test_keys_generate_on_an_existing_file_adds_a_new_active_key(key_file):
    call_command("keys", "generate")
    first = crypto.KeyRing.from_json(key_file.read_text())

    call_command("keys", "generate")

    second = crypto.KeyRing.from_json(key_file.read_text())
    assert second.active == "k2"
    assert second.encryption["k1"] == first.encryption["k1"]
    assert second.index == first.index


@pytest.mark.django_db
def test_reencrypt_moves_identity_codes_to_the_active_key(key_file):
    call_command("keys", "generate")
    customer = make_customer(with_identity_code=True)
    old = customer.identity_code_encrypted
    row = str(customer.public_id)
    plain = crypto.keyring().decrypt(old, purpose=IDENTITY_CODE_PURPOSE, row=row)
    call_command("keys", "generate")

    call_command("keys", "reencrypt")

    customer.refresh_from_db()
    assert old.startswith("v2:k1:")
    assert customer.identity_code_encrypted.startswith("v2:k2:")
    assert (
        crypto.keyring().decrypt(
            customer.identity_code_encrypted, purpose=IDENTITY_CODE_PURPOSE, row=row
        )
        == plain
    )
    assert AuditEvent.objects.filter(action=Action.KEY_ROTATE).count() == 1


def test_keys_from_the_environment_are_not_rewritten(settings):
    settings.REKISTERI_KEYS = crypto.KeyRing.generate().to_json()

    with pytest.raises(CommandError, match="REKISTERI_KEYS"):
        call_command("keys", "generate")


@pytest.mark.django_db
def test_demo_creates_staff_for_every_role_and_customers_and_is_idempotent(monkeypatch):
    monkeypatch.setenv("REKISTERI_DEMO_PASSWORD", "demo-salasana-2026")

    call_command("demo", "--customers", "30")
    call_command("demo", "--customers", "30")

    assert Customer.objects.count() == 30
    roles = {u.username: [g.name for g in u.groups.all()] for u in User.objects.all()}
    assert roles == {
        "asiakaspalvelu": [Role.CUSTOMER_SERVICE],
        "markkinointi": [Role.MARKETING],
        "tietosuoja": [Role.PRIVACY_OFFICER],
        "yllapito": [Role.ADMINISTRATOR],
        "tarkastaja": [Role.AUDITOR],
    }
    assert User.objects.get(username="tietosuoja").check_password("demo-salasana-2026")
    emails = list(Customer.objects.values_list("email", flat=True))
    assert all(email.endswith("@example.fi") for email in emails)
    assert Customer.objects.exclude(identity_code_encrypted="").count() == 10
    assert (
        AuditEvent.objects.filter(action=Action.CREATE, object_type="customers.customer").count()
        == 30
    )
    assert Product.objects.count() == 8
    staff_orders = Order.objects.filter(integration__isnull=True)
    assert staff_orders.count() == 10
    assert all(order.lines.count() == 2 for order in staff_orders)
    assert ConsentEvent.objects.exists()
    # The demo shop's deliveries: two orders of known customers, one waiting (in SEK).
    assert Order.objects.filter(integration__name="Verkkokauppa (demo)").count() == 2
    assert list(InboxDelivery.objects.order_by("id").values_list("state", "reason")) == [
        ("done", ""),
        ("done", ""),
        ("attention", "currency"),
    ]


@pytest.mark.django_db
def test_demo_prints_the_authenticator_keys_that_sign_the_demo_users_in(monkeypatch):
    """The roles that need two-factor sign-in get an authenticator with a stable key,
    printed for an app; `--code` prints the current code instead."""
    from io import StringIO

    from django.test import Client

    from rekisteri.accounts.models import Authenticator

    monkeypatch.setenv("REKISTERI_DEMO_PASSWORD", "demo-salasana-2026")
    first, second = StringIO(), StringIO()
    call_command("demo", "--customers", "1", stdout=first)
    call_command("demo", "--customers", "1", stdout=second)

    devices = Authenticator.objects.filter(confirmed=True)
    assert sorted(devices.values_list("user__username", flat=True)) == ["tietosuoja", "yllapito"]
    for device in devices:
        key = " ".join(
            line.split("key: ")[1]
            for line in second.getvalue().splitlines()
            if line.strip().startswith(device.user.username) and "key: " in line
        )
        assert key.replace(" ", "") in first.getvalue().replace(" ", "")  # stable
        assert device.config_url in second.getvalue()

    code = StringIO()
    call_command("demo", "--code", "tietosuoja", stdout=code)
    client = Client()
    client.post("/accounts/login/", {"username": "tietosuoja", "password": "demo-salasana-2026"})
    response = client.post("/accounts/login/code/", {"code": code.getvalue().strip()})
    assert (response.status_code, response["Location"]) == (302, "/")
    with pytest.raises(CommandError, match="not a demo user"):
        call_command("demo", "--code", "joku-muu")


@pytest.mark.django_db
def test_demo_refuses_a_short_password(monkeypatch):
    monkeypatch.setenv("REKISTERI_DEMO_PASSWORD", "lyhyt")

    with pytest.raises(CommandError, match="at least 12"):
        call_command("demo", "--customers", "1")
    assert Customer.objects.count() == 0


def test_the_rekisteri_console_command_lists_its_commands():
    result = subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", "help"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    for command in ("serve", "demo", "createadmin", "keys", "audit", "backup", "requests"):
        assert command in result.stdout


def test_hyphenated_command_names_reach_their_commands():
    """`rekisteri credit-simulator` runs the command module `credit_simulator`."""
    from rekisteri.cli import _with_command_names

    assert _with_command_names(["rekisteri", "credit-simulator", "--port", "0"]) == [
        "rekisteri",
        "credit_simulator",
        "--port",
        "0",
    ]
    assert _with_command_names(["rekisteri", "demo"]) == ["rekisteri", "demo"]


def test_rekisteri_worker_runs_the_database_queues_worker_and_the_sealer():
    from django.core.management import get_commands
    from django_tasks_db.management.commands.db_worker import Command as TaskWorkerCommand

    from rekisteri.cli import _with_command_names
    from rekisteri.management.commands.worker import Command as WorkerCommand

    assert _with_command_names(["rekisteri", "worker", "--batch"]) == [
        "rekisteri",
        "worker",
        "--batch",
    ]
    assert get_commands()["worker"] == "rekisteri"
    assert issubclass(WorkerCommand, TaskWorkerCommand)
