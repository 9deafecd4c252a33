"""Browser tests' helpers: a demo installation served by `rekisteri serve --worker`,
Debian's Chromium driven by Playwright, axe-core's accessibility check, staff signing
in through the pages, and the emails the server sent.

Nothing here touches the test run's own database: while Playwright's sync API runs,
its event loop is the thread's running loop and Django refuses ORM calls. What a test
needs from the server's database it asks with `Site.query`."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import importlib.resources
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django_otp.oath import totp
from playwright.sync_api import Locator, Page, expect

from bench.order_intake import free_port
from rekisteri.testing.servers import (
    Installation,
    ServerProcess,
    outbox_dir,
    throwaway_installation,
)

CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = (
    f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); CI installs it"
)
# Generous: a loaded two-core machine renders and answers slowly.
TIMEOUT_MS = 30_000
EMAIL_SECONDS = 120.0
SERIOUS_IMPACTS = ("serious", "critical")
DEMO_PASSWORD = "demo-browser-tests-1"
# Screenshots the browser tests keep for people to look at (.gitignore'd).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Run in the installation after `rekisteri demo`: privacy officers and an administrator
# with authenticators of their own (an authenticator code is accepted once, so each
# signs in for one test or module only), a staff member yet to accept the pledge, the
# customers the flows act on, and the numbers of some demo records. Prints what the
# tests need as JSON.
SETUP = """
import json
from rekisteri.accounts import twofactor
from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.consents.services import consent_grant
from rekisteri.intake.models import InboxDelivery, Integration
from rekisteri.marketing.models import Campaign, TargetGroup
from rekisteri.orders.models import Channel, Order, PaymentMethod
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import PASSWORD, make_customer, make_staff

actor = Actor.system("browser tests")


def officer(username, role=Role.PRIVACY_OFFICER):
    user = make_staff(role, accepted_pledge=False, username=username)
    device = twofactor.authenticator_install(user=user)
    return {
        "username": username,
        "password": PASSWORD,
        "authenticator_key": twofactor.secret(device),
    }


def customer(**fields):
    made = make_customer(with_identity_code=True, preferred_language="fi", **fields)
    return made, {
        "customer_number": made.customer_number,
        "surname": made.surname,
        "first_names": made.first_names,
        "email": made.email,
    }


staff = {
    name: officer(f"tietosuoja-{name}") for name in ("requests", "erasure", "pages", "navigation")
}
staff["navigation-admin"] = officer("yllapito-navigation", Role.ADMINISTRATOR)
keyboard = make_staff(Role.CUSTOMER_SERVICE, accepted_pledge=False, username="asiakaspalvelu-2")
staff["keyboard"] = {"username": keyboard.username, "password": PASSWORD}
_, portal = customer()
recipient, campaign = customer()
consent_grant(
    actor=actor, customer=recipient, channel="email", source="web_shop_checkout", language="fi"
)
erased, erasure = customer()
order_create(
    actor=actor,
    customer=erased,
    channel=Channel.PHONE,
    payment_method=PaymentMethod.PREPAID,
    lines=[LineInput("HYL-120", 1)],
)
print(json.dumps({
    "staff": staff,
    "customers": {"portal": portal, "campaign": campaign, "erasure": erasure},
    "demo": {
        "order": Order.objects.order_by("order_number").first().order_number,
        "target_group": TargetGroup.objects.order_by("pk").first().pk,
        "campaign": Campaign.objects.order_by("pk").first().pk,
        # The demo shop and its delivery that waits for a person (in crowns).
        "integration": Integration.objects.get(name="Verkkokauppa (demo)").pk,
        "delivery": str(InboxDelivery.objects.get(state="attention").public_id),
    },
}))
"""


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    authenticator_key: str = ""  # base32 as people type it, for two-factor sign-in


@dataclass
class Site:
    """A running demo installation: its address, staff, customers and outbox."""

    installation: Installation
    server: ServerProcess
    staff: dict[str, StaffLogin]
    customers: dict[str, dict[str, Any]]
    # The numbers of a demo order, target group, campaign and web shop, and the id of
    # the shop's delivery that waits for a person.
    demo: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.installation.data_dir)

    def query(self, code: str) -> Any:
        """Runs Python with Django set up on the site's database; what it printed, as
        JSON."""
        return json.loads(self.installation.python(code))


@contextlib.contextmanager
def demo_site(data_dir: Path) -> Iterator[Site]:
    """A new installation with the demo data and the SETUP, served on a free port by
    `rekisteri serve --worker` (the background worker and, outside production, the
    credit bureau simulator), sending its email to the data directory's outbox."""
    with throwaway_installation(data_dir, name="browser") as installation:
        demo = installation.run(
            "demo",
            "--customers",
            "20",
            environment=installation.environment(REKISTERI_DEMO_PASSWORD=DEMO_PASSWORD),
        )
        assert demo.returncode == 0, demo.stderr
        keys = dict(re.findall(r"^\s+(\S+)\s+key: ([A-Z2-7 ]+)$", demo.stdout, re.MULTILINE))
        made = json.loads(installation.python(SETUP))
        staff = {
            username: StaffLogin(username, DEMO_PASSWORD, keys.get(username, ""))
            for username in (
                "asiakaspalvelu",
                "markkinointi",
                "tietosuoja",
                "yllapito",
                "tarkastaja",
            )
        }
        for name, login in made["staff"].items():
            staff[name] = StaffLogin(**login)
        port = free_port()
        server = installation.serve(
            "--worker",
            port=port,
            environment=installation.environment(
                REKISTERI_EMAIL_BACKEND="rekisteri.testing.servers.OutboxEmailBackend",
                REKISTERI_PUBLIC_URL=f"http://127.0.0.1:{port}",
            ),
            log_name="browser-server",
        )
        try:
            server.wait_until_ready()
            yield Site(installation, server, staff, made["customers"], made["demo"])
        finally:
            server.stop()


def authenticator_code(key: str) -> str:
    """The six digits an authenticator app shows now for a base32 key."""
    secret = key.replace(" ", "").upper()
    binary = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(binary, step=30, t0=0, digits=6):06d}"


def sign_in(page: Page, site: Site, login: StaffLogin) -> None:
    """Signs in through the pages as a person does: username and password, the code
    from the authenticator when asked, and the confidentiality pledge on first sign-in.
    Returns on the page signing in led to."""
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_label("Username").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    if login.authenticator_key:
        expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
        page.get_by_label("Authenticator code or recovery code").fill(
            authenticator_code(login.authenticator_key)
        )
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if "/accounts/pledge/" in page.url:
        page.get_by_label("I have read the pledge above and I commit to it.").check()
        page.get_by_role("button", name="Accept").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/pledge/"))


def main_navigation(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def navigation_link(page: Page, name: str) -> Locator:
    """The main navigation's link called `name`, shown as a person shows it: on a
    narrow screen the Menu opened, then the group that holds the link."""
    menu = page.locator(".nav-menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()
    anywhere = page.get_by_role("link", name=name, exact=True, include_hidden=True)
    group = page.locator("#main-navigation details").filter(has=anywhere)
    if group.count() and group.get_attribute("open") is None:
        group.locator("summary").click()
    return main_navigation(page).get_by_role("link", name=name, exact=True)


class Accessibility:
    """axe-core (as axe-playwright-python ships it: only its script is used), run on
    a page as it is now with the rules it runs by default: WCAG 2.0, 2.1 and 2.2 A and
    AA, and best practice. Injected through the DevTools protocol, which the page's
    Content-Security-Policy does not govern."""

    def __init__(self) -> None:
        self.script = (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text(
            encoding="utf-8"
        )

    def violations(self, page: Page) -> list[dict[str, Any]]:
        page.evaluate(self.script)
        results: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations: list[dict[str, Any]] = results["violations"]
        return violations

    def assert_no_serious_violations(self, page: Page) -> None:
        found = [v for v in self.violations(page) if v["impact"] in SERIOUS_IMPACTS]
        assert not found, f"axe-core on {page.url}:\n{violation_report(found)}"


def violation_report(violations: list[dict[str, Any]]) -> str:
    """One line per violation and one per element (at most five) it was found on."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(map(str, node["target"]))
            summary = node["failureSummary"].replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@dataclass
class Outbox:
    """The emails the site sent (servers.OutboxEmailBackend), oldest first."""

    data_dir: Path

    def messages(self) -> list[EmailMessage]:
        directory = outbox_dir(self.data_dir)
        paths = sorted(directory.glob("*.eml")) if directory.exists() else []
        return [_parsed(path.read_bytes()) for path in paths]

    def wait_for(
        self, matches: Callable[[EmailMessage], bool], *, count: int = 1
    ) -> list[EmailMessage]:
        """The first `count` messages that match, once they have been sent."""
        deadline = time.monotonic() + EMAIL_SECONDS
        while True:
            found = [message for message in self.messages() if matches(message)]
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} of {count} emails were sent in {EMAIL_SECONDS:g} s"
                )
            time.sleep(0.25)


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def sent_to(address: str, *, linking_to: str = "") -> Callable[[EmailMessage], bool]:
    """Matches the emails to `address` (whose text links to the path `linking_to`)."""

    def matches(message: EmailMessage) -> bool:
        return str(message["To"]) == address and linking_to in text_of(message)

    return matches


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage), "the email has no plain text part"
    text: str = body.get_content()
    return text


def link_in(message: EmailMessage, path: str) -> str:
    """The one address in the email's text whose path starts with `path`."""
    pattern = rf"https?://[^/\s]+{re.escape(path)}[^\s<>\"]*"
    links = {str(link) for link in re.findall(pattern, text_of(message))}
    assert len(links) == 1, f"expected one link to {path} in the email, found {len(links)}"
    return links.pop()
