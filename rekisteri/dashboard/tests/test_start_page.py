"""The start page at /: each person sees the sections their permissions open, with
numbers that match the register, in bounded queries, in Finnish or English."""

from __future__ import annotations

import datetime
import itertools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts import services as accounts
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import ActorType
from rekisteri.audit.services import Actor
from rekisteri.backups.models import BackupRun, RunKind, RunStatus
from rekisteri.consents import services as consents
from rekisteri.customers.models import Customer, Status
from rekisteri.intake.services import integration_create
from rekisteri.marketing.models import CampaignStatus
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    campaign_send,
    target_group_save,
)
from rekisteri.orders.models import OrderStatus, Product
from rekisteri.orders.services import LineInput, order_create, order_status_change, return_create
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.models import BreachDecision
from rekisteri.privacy.requests.services import add_months, subject_request_record
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
URL = "/"
SECTIONS = {
    "orders": 'id="start-orders"',
    "requests": 'id="start-requests"',
    "breaches": 'id="start-breaches"',
    "backups": 'id="start-backups"',
    "marketing": 'id="start-marketing"',
    "staff": 'id="start-staff"',
    "integrations": 'id="start-integrations"',
}


def sections_on(page: str) -> set[str]:
    return {name for name, marker in SECTIONS.items() if marker in page}


def staff_with(*roles: str):
    user = make_staff(roles[0])
    for role in roles[1:]:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def shelf(db: None) -> Product:
    return Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))


def place_order(customer=None, **overrides):
    values: dict[str, object] = {
        "actor": SYSTEM,
        "customer": customer or make_customer(),
        "channel": "phone",
        "payment_method": "prepaid",
        "lines": [LineInput("HYL-120", 1)],
    }
    values.update(overrides)
    return order_create(**values)  # type: ignore[arg-type]


def a_request(*, received_at: datetime.datetime):
    return subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="phone",
        received_at=received_at,
        customer=make_customer(),
        name="Aino Virtanen",
        verification_note="Tunnistettu puhelimessa asiakasnumerolla ja osoitteella.",
    )


def a_breach(*, detected_at: datetime.datetime, summary: str):
    return breaches.breach_record(
        actor=SYSTEM,
        detected_at=detected_at,
        occurred_at=None,
        summary=summary,
        description="Tilausraportti lähetettiin väärälle vastaanottajalle.",
        data_categories=["names", "contact_details"],
        people_affected=4,
        records_affected=4,
        likely_consequences="Tietojenkalastelu.",
        measures_taken="Vastaanottajaa pyydettiin poistamaan viesti.",
    )


def a_backup(*, hours_ago: float, status: str = RunStatus.OK, verified: bool = True) -> BackupRun:
    """A backup run; a good one verified a minute after it was written, unless not."""
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    is_verified = verified and status == RunStatus.OK
    return BackupRun.objects.create(
        verified_at=finished + datetime.timedelta(minutes=1) if is_verified else None,
        kind=RunKind.CREATE,
        status=status,
        started_at=finished - datetime.timedelta(seconds=40),
        finished_at=finished,
        engine="sqlite",
        actor_label="backup create",
        file_name=f"rekisteri-{finished:%Y%m%dT%H%M%S}Z.rkbackup" if status == RunStatus.OK else "",
        sha256="a" * 64 if status == RunStatus.OK else "",
        size_bytes=1024 if status == RunStatus.OK else None,
        key_id="k1",
        error="" if status == RunStatus.OK else "pg_dump failed: connection refused",
    )


@pytest.mark.parametrize("role", Role.values)
def test_every_role_gets_a_start_page(client_as, role):
    """/ answers 200 with the start page for every role, instead of redirecting."""
    response = client_as(role).get(URL)

    assert response.status_code == 200
    assert "<h1>Start page</h1>" in response.content.decode()
    assert reverse("home") == URL


def test_customer_service_sees_the_latest_orders_and_the_returns_to_handle(client_as, shelf):
    """Customer service: the ten latest orders, returns to handle, orders not yet shipped;
    no requests, breaches, backups, marketing, staff or integrations."""
    orders = [place_order() for _ in range(12)]
    order_status_change(actor=SYSTEM, order=orders[0], status=OrderStatus.CANCELLED)
    order_status_change(actor=SYSTEM, order=orders[1], status=OrderStatus.SHIPPED)
    line = orders[1].lines.get()
    to_handle = return_create(
        actor=SYSTEM, order=orders[1], quantities={line.pk: 1}, reason="Väärä koko."
    )

    response = client_as(Role.CUSTOMER_SERVICE).get(URL)

    page = response.content.decode()
    section = response.context["page"].orders
    assert [order.order_number for order in section.recent] == [
        order.order_number for order in reversed(orders[2:])
    ]
    assert section.not_shipped_count == 10
    assert section.returns_open == [to_handle]
    assert section.returns_open_count == 1
    assert "<strong>10</strong> orders not yet shipped" in page
    assert "<strong>1</strong> return to handle" in page
    assert f'href="/orders/{orders[11].order_number}/"' in page
    assert f'href="/orders/{orders[1].order_number}/#returns"' in page
    assert f'href="/orders/{orders[1].order_number}/"' not in page  # not among the latest ten
    assert sections_on(page) == {"orders"}
    # Customer numbers only: the start page shows no one's name (the header shows the
    # staff member's own, which Faker may draw from the same surnames).
    main = page[page.index("<main") : page.index("</main>")]
    assert orders[11].customer.surname not in main
    assert orders[11].customer.first_names not in main


def test_the_privacy_officer_sees_requests_breaches_and_the_last_backup(client_as, shelf):
    """The privacy officer: open requests with days left, overdue ones; breaches whose
    clock runs; the last good backup with the 26-hour warning; orders too (the role
    handles them). Not marketing, staff or integrations."""
    now = timezone.now()
    today = timezone.localdate()
    overdue = a_request(received_at=now - datetime.timedelta(days=45))
    recent = a_request(received_at=now - datetime.timedelta(days=3))
    running = a_breach(
        detected_at=now - datetime.timedelta(hours=10, minutes=30), summary="Lista väärälle"
    )
    stopped = a_breach(detected_at=now - datetime.timedelta(days=5), summary="Kadonnut muistitikku")
    breaches.breach_decide(
        actor=SYSTEM,
        breach=stopped,
        decision=BreachDecision.NOT_NOTIFY,
        reason="Tikku oli salattu eikä avainta kadonnut.",
        version=stopped.version,
    )
    a_backup(hours_ago=30)
    a_backup(hours_ago=2, status=RunStatus.FAILED)

    response = client_as(Role.PRIVACY_OFFICER).get(URL)

    page = response.content.decode()
    requests = response.context["page"].requests
    overdue_days = (today - add_months(timezone.localdate(overdue.received_at), 1)).days
    assert [row.request for row in requests.rows] == [overdue, recent]
    assert (requests.open_count, requests.overdue_count) == (2, 1)
    assert (
        requests.rows[1].days_left
        == (add_months(today - datetime.timedelta(days=3), 1) - today).days
    )
    assert f"{overdue_days} days overdue" in page
    assert "<strong>2</strong> open requests" in page
    assert [row.breach for row in response.context["page"].breaches] == [running]
    assert "Lista väärälle" in page and "Kadonnut muistitikku" not in page
    assert "61 h left" in page
    assert "The last good backup is older than 26 hours." in page
    assert "Failed" in page  # the last run
    assert 'href="/backups/"' not in page  # the backup page is the administrator's
    assert sections_on(page) == {"orders", "requests", "breaches", "backups"}


def test_the_administrator_sees_staff_integrations_and_backups(client_as, shelf):
    """The administrator: accounts in use, without two-factor sign-in, locked out; each
    integration with its last order; the last backup. Nothing else."""
    without_authenticator = make_staff(Role.CUSTOMER_SERVICE, username="aino")
    make_staff(Role.MARKETING, username="poissa", is_active=False)
    AccessAttempt.objects.create(
        username="aino",
        ip_address="192.0.2.10",
        user_agent="Firefox",
        http_accept="text/html",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    shop = integration_create(actor=SYSTEM, kind="generic", name="Oulun verkkokauppa").integration
    integration_create(actor=SYSTEM, kind="woocommerce", name="Vanha kauppa")
    order = place_order(channel="web_shop", integration=shop, external_id="A-1001")
    a_backup(hours_ago=3)
    client = client_as(Role.ADMINISTRATOR)

    response = client.get(URL)

    page = response.content.decode()
    staff = response.context["page"].staff
    assert (staff.active, staff.without_two_factor, staff.locked_out) == (2, 1, ["aino"])
    assert without_authenticator.username in page
    integrations = {i.name: i.last_order_at for i in response.context["page"].integrations}
    assert integrations == {"Oulun verkkokauppa": order.created_at, "Vanha kauppa": None}
    assert "older than 26 hours" not in page
    assert 'href="/backups/"' in page
    assert sections_on(page) == {"staff", "integrations", "backups"}


def test_the_last_good_backup_on_the_start_page_is_the_last_verified_one(client_as):
    """A backup written but never verified may not restore: the start page does not
    count it, and warns that there is no good backup."""
    a_backup(hours_ago=1, verified=False)

    response = client_as(Role.ADMINISTRATOR).get(URL)

    assert response.context["page"].backups.last_good is None
    page = response.content.decode()
    assert "There is no good backup yet." in page


def test_marketing_sees_whom_it_may_reach_and_the_campaign_sends(
    client_as, django_capture_on_commit_callbacks
):
    """Marketing: the share of active customers it may reach per channel, from the
    ledger; the latest campaign sends with their progress; the two charts."""
    opted_in, sms, refused_post, banned, _plain = (make_customer() for _ in range(5))
    restricted = make_customer()
    consents.consent_grant(actor=SYSTEM, customer=opted_in, channel="email", source="staff")
    consents.consent_grant(actor=SYSTEM, customer=sms, channel="sms", source="staff")
    consents.consent_withdraw(actor=SYSTEM, customer=refused_post, channel="post", source="email")
    consents.consent_grant(actor=SYSTEM, customer=banned, channel="email", source="staff")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source="phone_call")
    consents.consent_grant(actor=SYSTEM, customer=restricted, channel="email", source="staff")
    Customer.objects.filter(pk=restricted.pk).update(status=Status.RESTRICTED)
    group = target_group_save(
        actor=SYSTEM, data=TargetGroupInput(name="Uutiskirje", channel="email")
    )
    sent = campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Kevät <alennus>", channel="email", target_group=group, subject="S", body="B"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(actor=SYSTEM, campaign=sent, version=sent.version)
    run_queued_tasks()
    campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Luonnos", channel="email", target_group=group, subject="S", body="B"
        ),
    )

    response = client_as(Role.MARKETING).get(URL)

    page = response.content.decode()
    section = response.context["page"].marketing
    reach = {row.channel: (row.reached, row.active) for row in section.reach}
    assert reach == {"email": (1, 5), "sms": (1, 5), "post": (3, 5), "phone": (4, 5)}
    assert re.search(
        r'<th scope="row">Email</th>\s*<td class="number">1</td>\s*<td class="number">20.0%</td>',
        page,
    )
    assert re.search(
        r'<th scope="row">Phone</th>\s*<td class="number">4</td>\s*<td class="number">80.0%</td>',
        page,
    )
    assert [campaign.name for campaign in section.campaigns] == ["Kevät <alennus>"]
    assert section.campaigns[0].status == CampaignStatus.SENT
    assert "Kevät &lt;alennus&gt;" in page and "Luonnos" not in page
    assert '<progress max="1" value="1"' in page
    assert "1 of 1 handled" in page
    for chart_id in ("chart-consent-rates", "chart-new-customers"):
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in page
    # The latest point of the consent chart is now, and agrees with the table.
    consent_chart = section.consent_chart
    assert [series.values[-1] for series in consent_chart.series] == [20.0, 20.0, 60.0, 80.0]
    assert sections_on(page) == {"marketing"}


def test_the_auditor_is_told_where_the_pages_are(client_as):
    response = client_as(Role.AUDITOR).get(URL)

    page = response.content.decode()
    assert response.context["page"].is_empty
    assert "Nothing on the start page concerns your role." in page
    assert sections_on(page) == set()


def test_a_person_whose_role_awaits_confirmation_is_told_so(client_as):
    """The auditor's role is not in effect until a privacy officer confirms it; until
    then the start page says why the menu is empty."""
    administrator = staff_with(Role.ADMINISTRATOR)
    waiting = make_staff(None, username="tarkastaja-uusi")
    accounts.staff_update(
        actor=Actor(type=ActorType.STAFF, user=administrator, label=administrator.username),
        user=waiting,
        first_name=waiting.first_name,
        last_name=waiting.last_name,
        email=waiting.email,
        roles=[Role.AUDITOR],
        is_active=True,
    )

    response = sign_in(waiting).get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your role (Auditor) awaits a privacy officer's confirmation." in page
    assert "Nothing on the start page concerns your role." not in page
    assert not waiting.groups.exists()
    assert sections_on(page) == set()


def test_a_person_with_two_roles_sees_the_sections_of_both(shelf):
    client = sign_in(staff_with(Role.CUSTOMER_SERVICE, Role.MARKETING))

    page = client.get(URL).content.decode()

    assert sections_on(page) == {"orders", "marketing"}


def test_an_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_is_finnish_by_default(shelf):
    """Finnish numbers and dates: a decimal comma, d.m.yyyy; Finnish words."""
    customer = make_customer()
    consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="staff")
    make_customer()
    make_customer()
    order = place_order(customer)
    client = sign_in(staff_with(Role.CUSTOMER_SERVICE, Role.MARKETING), Client())

    page = client.get(URL).content.decode()

    assert '<html lang="fi">' in page
    assert '<th scope="col">Tilattu</th>' in page and '<th scope="col">Kanava</th>' in page
    assert re.search('<td class="number">33,3\xa0?%</td>', page)
    placed = timezone.localtime(order.placed_at)
    assert f"{placed.day}.{placed.month}.{placed.year}" in page


class Outline(HTMLParser):
    """The headings in order, and each table's caption and header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables: list[dict[str, object]] = []
        self.in_thead = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables.append({"caption": False, "unscoped": 0})
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        elif tag == "thead":
            self.in_thead = True
        elif tag == "th" and "scope" not in dict(attrs):
            self.tables[-1]["unscoped"] = int(self.tables[-1]["unscoped"]) + 1  # type: ignore[call-overload]

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self.in_thead = False


def test_headings_go_in_order_and_every_table_has_a_caption_and_scoped_headers(shelf):
    """WCAG basics for the whole page with every section: no heading level skipped,
    tables captioned with scoped header cells, no inline styles, charts named."""
    place_order()
    a_request(received_at=timezone.now())
    a_breach(detected_at=timezone.now(), summary="Lista väärälle")
    integration_create(actor=SYSTEM, kind="generic", name="Oulun verkkokauppa")
    client = sign_in(staff_with(*Role.values))

    page = client.get(URL).content.decode()

    outline = Outline()
    outline.feed(page)
    assert outline.headings[0] == 1
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(outline.headings))
    # Latest orders, returns, requests, breaches, reach, integrations; three charts' numbers.
    assert len(outline.tables) == 9
    assert all(table == {"caption": True, "unscoped": 0} for table in outline.tables)
    assert " style=" not in page and "<style" not in page
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to check it
        assert root.get("role") == "img"
        assert [child.tag.split("}")[1] for child in root[:2]] == ["title", "desc"]


def test_the_number_of_queries_does_not_grow_with_the_register(
    shelf, django_assert_max_num_queries
):
    """Every section is a fixed number of aggregate queries: more customers, orders,
    consents, requests and campaigns add none."""
    user = staff_with(*Role.values)
    client = sign_in(user)

    def add_data(count: int) -> None:
        for _ in range(count):
            customer = make_customer()
            consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="staff")
            order = place_order(customer)
            return_create(
                actor=SYSTEM, order=order, quantities={order.lines.get().pk: 1}, reason="Rikki."
            )
            a_request(received_at=timezone.now())
        a_backup(hours_ago=1)

    def queries() -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as context:
            assert client.get(URL).status_code == 200
        return len(context.captured_queries)

    client.get(URL)  # the first page after signing in also records the session's checks
    add_data(1)
    few = queries()
    add_data(6)
    many = queries()

    assert many == few
    with django_assert_max_num_queries(30):
        client.get(URL)


def test_the_consent_counts_come_from_the_cache_for_a_while(client_as):
    """The consent counts read the whole ledger: a second page within minutes reads
    them from the cache, and says when they were counted."""
    client = client_as(Role.MARKETING)
    first = client.get(URL).context["page"].marketing
    customer = make_customer()
    consents.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="staff")

    second = client.get(URL).context["page"].marketing

    assert second.counted_at == first.counted_at
    assert [row.reached for row in second.reach] == [row.reached for row in first.reach]
