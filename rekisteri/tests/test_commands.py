"""The `rekisteri` commands: keys, demo (P14: personal demo accounts per role)."""

import datetime
import stat
import subprocess
import sys
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rekisteri import crypto
from rekisteri.accounts.models import PledgeAcceptance, User
from rekisteri.accounts.pledge import PLEDGE_VERSION, pledge_digest
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer
from rekisteri.intake.models import InboxDelivery
from rekisteri.marketing.models import Campaign, CampaignMessage, CampaignStatus, MessageStatus
from rekisteri.orders.models import (
    Delivery,
    Order,
    OrderStatus,
    PaymentMethod,
    Product,
    Return,
    ReturnStatus,
)
from rekisteri.privacy.models import Breach, RetentionCategory, SubjectRequest
from rekisteri.privacy.retention.services import retention_plan
from rekisteri.testing.auth import sign_in
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


def _demo_counts() -> dict[str, int]:
    models = (
        Customer,
        Order,
        Delivery,
        Return,
        ConsentEvent,
        CreditCheck,
        Campaign,
        CampaignMessage,
        SubjectRequest,
        Breach,
        InboxDelivery,
        AuditEvent,
    )
    return {model.__name__: model.objects.count() for model in models}


def _start_page(username: str) -> Any:
    """The start page as the demo user `username` sees it, signed in and the pledge
    accepted: the page's sections (its context), after checking it answered."""
    user = User.objects.get(username=username)
    PledgeAcceptance.objects.create(
        user=user,
        version=PLEDGE_VERSION,
        language="fi",
        text_digest=pledge_digest("fi"),
        accepted_at=timezone.now(),
    )
    response = sign_in(user).get("/")
    assert response.status_code == 200
    return response.context["page"]


@pytest.mark.django_db
def test_demo_makes_two_years_of_history_once_and_every_start_page_shows_it(monkeypatch):
    """`rekisteri demo` on an empty register: staff for every role, and customers with
    two years of history made by the real services at their own moments; run again,
    it adds nothing. The audit trail verifies, identity codes are kept only with
    invoice orders, and the retention run finds nothing to do."""
    monkeypatch.setenv("REKISTERI_DEMO_PASSWORD", "demo-salasana-2026")
    cache.clear()  # the start page keeps its consent counts for a while
    first = StringIO()

    call_command("demo", "--customers", "60", stdout=first)
    made = _demo_counts()
    call_command("demo", "--customers", "60")

    assert "Demo history: 105 weeks" in first.getvalue()
    assert _demo_counts() == made
    assert Customer.objects.count() == 60
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
    assert Product.objects.count() == 8

    # Two years of orders, more in some weeks than in others, to this week.
    now = timezone.now()
    placed = sorted(Order.objects.values_list("placed_at", flat=True))
    assert placed[-1] - placed[0] >= datetime.timedelta(days=730)
    assert placed[-1] <= now
    weeks = Counter(timezone.localtime(moment).isocalendar()[:2] for moment in placed)
    assert len(set(weeks.values())) >= 3
    customers_created = Customer.objects.values_list("created_at", flat=True)
    assert min(customers_created) < now - datetime.timedelta(days=700)
    # Their lives: delivered, some returned, invoices paid; the latest still open.
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {OrderStatus.DELIVERED, OrderStatus.RECEIVED} <= statuses
    assert Delivery.objects.filter(status="delivered").exists()
    returns = set(Return.objects.values_list("status", flat=True))
    assert {ReturnStatus.REFUNDED, ReturnStatus.REQUESTED} <= returns
    invoices = Order.objects.filter(payment_method=PaymentMethod.INVOICE)
    assert invoices.filter(settled_at__isnull=False).exists()
    assert invoices.filter(settled_at__isnull=True).exclude(status=OrderStatus.CANCELLED).exists()
    # Every invoice order was checked with the bureau (the simulator) when it was made.
    assert set(CreditCheck.objects.values_list("order_id", flat=True)) == set(
        invoices.values_list("pk", flat=True)
    )
    assert not CreditCheck.objects.filter(is_simulated=False).exists()

    # Identity codes only with invoice orders (P8), and none kept past the policy.
    with_code = set(
        Customer.objects.exclude(identity_code_encrypted="").values_list("pk", flat=True)
    )
    assert with_code
    assert with_code <= set(invoices.values_list("customer_id", flat=True))
    assert {report.category: report.due for report in retention_plan()} == {
        category: 0 for category in RetentionCategory.values
    }
    assert (
        AuditEvent.objects.filter(
            action=Action.UPDATE, object_type="privacy.retentionpolicy", object_id="run"
        ).count()
        >= 8
    )

    # Consents given and withdrawn over time; a few bans.
    kinds = Counter(ConsentEvent.objects.values_list("kind", flat=True))
    assert kinds[EventKind.GRANT] > kinds[EventKind.WITHDRAWAL] > 0
    assert kinds[EventKind.BAN] > 0
    assert ConsentEvent.objects.filter(occurred_at__lt=now - datetime.timedelta(days=365)).exists()

    # Campaigns sent in the past, as the sender records them; a draft to try.
    sent = Campaign.objects.filter(status=CampaignStatus.SENT)
    assert sent.count() >= 2
    assert all(c.finished_at is not None and c.finished_at < now for c in sent)
    assert CampaignMessage.objects.filter(status=MessageStatus.SENT).exists()
    assert CampaignMessage.objects.filter(unsubscribed_at__isnull=False).exists()
    assert Campaign.objects.filter(status=CampaignStatus.DRAFT).count() == 1

    # The audit trail agrees with the rows' times, and verifies whole and sealed.
    order = Order.objects.order_by("placed_at").first()
    assert order is not None
    created = AuditEvent.objects.get(
        action=Action.CREATE, object_type="orders.order", object_id=str(order.pk)
    )
    assert created.occurred_at == order.placed_at
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times[0] < now - datetime.timedelta(days=730)
    report = audit_chain_verify()
    assert (report.is_intact, report.unsealed) == (True, 0), report.problem
    verified = StringIO()
    call_command("audit", "verify", stdout=verified)
    assert "Audit trail intact" in verified.getvalue()

    # The demo shop's deliveries: two orders of known customers, one waiting (in SEK).
    assert Order.objects.filter(integration__name="Verkkokauppa (demo)").count() == 2
    assert list(InboxDelivery.objects.order_by("id").values_list("state", "reason")) == [
        ("done", ""),
        ("done", ""),
        ("attention", "currency"),
    ]

    # Every role's start page shows it: charts with bars before this week and in it,
    # open returns, requests overdue and near their deadline, a breach's clock running.
    orders = _start_page("asiakaspalvelu").orders
    per_week = orders.chart.series[0].values
    assert per_week[-1] > 0
    assert sum(per_week[:-1]) > 0
    assert len(set(per_week)) >= 2
    assert orders.recent
    assert orders.returns_open_count >= 1
    assert orders.not_shipped_count >= 1

    marketing = _start_page("markkinointi").marketing
    assert marketing.campaigns
    email_reach = dict(
        zip(
            [series.label for series in marketing.consent_chart.series],
            [series.values for series in marketing.consent_chart.series],
            strict=True,
        )
    )["Email"]
    assert sum(1 for value in email_reach if value) >= 6
    new_customers = [
        sum(month)
        for month in zip(*(s.values for s in marketing.customers_chart.series), strict=True)
    ]
    assert sum(1 for count in new_customers if count) >= 6

    privacy = _start_page("tietosuoja")
    assert privacy.requests.open_count == 3
    assert privacy.requests.overdue_count == 1
    assert [row for row in privacy.requests.rows if 0 <= row.days_left <= 7]
    (breach,) = privacy.breaches
    assert 0 < breach.clock.hours_left < 72
    assert breach.breach.authority_notified_at is None

    administrator = _start_page("yllapito")
    (shop,) = administrator.integrations
    assert shop.last_order_at is not None
    assert administrator.staff.active == 5


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
