"""The first day of a real installation in a real browser: an empty data directory
without the demo, the steps README.md's "Production" section lists (keys, migrate,
createadmin, collectstatic, serve in production mode), then every staff member's first sign-in in
Chromium: the password someone else chose changed, two-factor sign-in set up from
the key the page shows where the role needs it, the recovery codes kept, the pledge,
and the page first asked for, never a redirect loop. Then the same after an
administrator resets someone's two-factor sign-in and an upgrade brings a new pledge
version.

The tests are one story in order (pytest runs a file's tests in order, and
`make test`'s `--dist loadfile` keeps them in one process), sharing the installation
and what each person knows (their password, the key in their authenticator app)."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from bench.order_intake import free_port
from rekisteri.accounts.pledge import PLEDGE_VERSION
from rekisteri.testing.browser import (
    CHROMIUM,
    MISSING_CHROMIUM,
    Accessibility,
    Outbox,
    authenticator_code,
    navigation_link,
    sent_to,
    text_of,
)
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

NewPage = Callable[..., Page]
ADMIN_PASSWORD = "Saimaannorppa-ui-2026"
# The pledge version an upgrade brings; any version other than today's.
NEW_PLEDGE_VERSION = f"{PLEDGE_VERSION}-uusi"
STEP_SECONDS = 30  # an authenticator code's time step

# `rekisteri serve` as an upgraded installation runs it: the pledge module is set to
# the new version before anything imports it, then the command line as `rekisteri`
# itself. gunicorn runs in this process and forks its app servers from it, so they
# all see the new version.
UPGRADED_SERVE = f"""
import sys
import rekisteri.accounts.pledge
rekisteri.accounts.pledge.PLEDGE_VERSION = {NEW_PLEDGE_VERSION!r}
from rekisteri.cli import main
sys.argv[0] = "rekisteri"
main()
"""


@dataclass
class Person:
    """A staff member as they know themselves: what they type and what their phone has."""

    username: str
    role: str  # the role's label on the staff form
    first_name: str
    last_name: str
    password: str  # the password they sign in with now
    own_password: str  # the one they choose on their first sign-in
    two_factor: bool  # whether their role needs two-factor sign-in
    start: str  # a link in the main navigation that only their role has
    authenticator_key: str = ""
    last_code_step: int = -1  # the time step of the last code they typed

    @property
    def email(self) -> str:
        return f"{self.username}@example.fi"

    def fresh_code(self) -> str:
        """The code their app shows now, once it is not the one they last typed: a code
        is accepted once, so a second sign-in within its 30 seconds waits for the next
        one, as a person does (at most one step)."""
        step = int(time.time()) // STEP_SECONDS
        if step <= self.last_code_step:
            time.sleep((self.last_code_step + 1) * STEP_SECONDS - time.time() + 0.5)
        self.last_code_step = int(time.time()) // STEP_SECONDS
        return authenticator_code(self.authenticator_key)


@dataclass
class Installed:
    """The installation, its server, and the people of the story."""

    installation: Installation
    environment: dict[str, str]
    port: int
    server: ServerProcess
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.installation.data_dir)

    def query(self, code: str) -> Any:
        return json.loads(self.installation.python(code, environment=self.environment))

    def age_sign_in(self, page: Page) -> None:
        """As if the person in `page` had last given their password or code longer ago
        than re-authentication allows (the server's own session, in its database)."""
        cookies = page.context.cookies()
        key = next(c["value"] for c in cookies if c["name"] == "__Host-rekisteri-session")
        self.installation.python(
            f"""
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rekisteri.accounts.session_keys import SESSION_AUTH_AT
session = SessionStore(session_key={key!r})
session[SESSION_AUTH_AT] = timezone.now().timestamp() - settings.REAUTH_SECONDS - 60
session.save()
""",
            environment=self.environment,
        )

    def upgrade(self) -> None:
        """Stops the server and starts the upgraded one (the new pledge version)."""
        self.server.stop()
        command = [sys.executable, "-c", UPGRADED_SERVE, "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--worker"]
        self.server = ServerProcess(
            command=command,
            environment=self.environment,
            port=self.port,
            is_tls=False,
            log_path=self.installation.data_dir / "upgraded-server.log",
        )
        self.server.wait_until_ready()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """A real installation's first steps, in production mode. Plain HTTP on the
    loopback address, where `rekisteri serve` allows it and Chromium treats the site as
    a secure context, so the Secure __Host- cookies work as behind the TLS proxy; no
    redirect to HTTPS, as the proxy would do that."""
    data_dir = Path(tmp_path_factory.mktemp("first-day"))
    with throwaway_installation(data_dir, name="first_day") as installation:
        port = free_port()
        environment = installation.production_environment(
            REKISTERI_SSL_REDIRECT="false",
            REKISTERI_EMAIL_BACKEND="rekisteri.testing.servers.OutboxEmailBackend",
            REKISTERI_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        created = installation.run(
            "createadmin",
            "--username",
            "pomo",
            "--email",
            "pomo@example.fi",
            "--first-name",
            "Ville",
            "--last-name",
            "Heikkinen",
            environment={**environment, "REKISTERI_ADMIN_PASSWORD": ADMIN_PASSWORD},
        )
        assert created.returncode == 0, created.stderr
        # Production serves the collected static files only (WhiteNoise, no finders).
        collected = installation.run("collectstatic", "--no-input", environment=environment)
        assert collected.returncode == 0, collected.stderr
        server = installation.serve(
            "--worker", port=port, environment=environment, log_name="first-day-server"
        )
        made = Installed(installation, environment, port, server)
        try:
            server.wait_until_ready()
            yield made
        finally:
            made.server.stop()


def person(
    username: str, role: str, first: str, last: str, *, two_factor: bool, start: str
) -> Person:
    return Person(
        username=username,
        role=role,
        first_name=first,
        last_name=last,
        password=f"Valittu-{username}-2026",
        own_password=f"Oma-salasana-{username}-2026",
        two_factor=two_factor,
        start=start,
    )


STAFF = [
    person("asiakaspalvelu", "Customer service", "Aino", "Laine", two_factor=False, start="Orders"),
    person("markkinointi", "Marketing", "Eero", "Salo", two_factor=False, start="Campaigns"),
    person("tietosuoja", "Privacy officer", "Helmi", "Koski", two_factor=True, start="Requests"),
    person("yllapito", "Administrator", "Oskari", "Niemi", two_factor=True, start="Staff"),
    person("tarkastaja", "Auditor", "Kerttu", "Aalto", two_factor=False, start="Audit log"),
]


def sign_in(page: Page, site: Installed, who: Person, *, asking_for: str = "/") -> None:
    """Username and password on the sign-in page, reached by asking for a page."""
    page.goto(f"{site.url}{asking_for}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(who.username)
    page.get_by_label("Password", exact=True).fill(who.password)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page: Page, who: Person) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
    page.get_by_label("Authenticator code or recovery code").fill(who.fresh_code())
    page.get_by_role("button", name="Sign in").click()


def change_password(page: Page, who: Person, accessibility: Accessibility | None) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/password/"))
    expect(page.get_by_text("Someone else chose your current password.")).to_be_visible()
    if accessibility:
        accessibility.assert_no_serious_violations(page)
    page.get_by_label("Current password").fill(who.password)
    page.get_by_label("New password", exact=True).fill(who.own_password)
    page.get_by_label("New password again").fill(who.own_password)
    page.get_by_role("button", name="Change password").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/password/"))
    who.password = who.own_password


def set_up_two_factor(page: Page, who: Person, accessibility: Accessibility | None) -> None:
    """Adds the key the page shows to the 'app', confirms it with the app's code, and
    keeps the ten recovery codes."""
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    if accessibility:
        accessibility.assert_no_serious_violations(page)
    who.authenticator_key = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7 ]{16,}", who.authenticator_key), who.authenticator_key
    who.last_code_step = -1
    page.get_by_label("Code from the app").fill(who.fresh_code())
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    if accessibility:
        accessibility.assert_no_serious_violations(page)
    page.get_by_role("link", name="I have saved them, continue").click()


def accept_pledge(page: Page, accessibility: Accessibility | None) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/pledge/"))
    if accessibility:
        accessibility.assert_no_serious_violations(page)
    page.get_by_label("I have read the pledge above and I commit to it.").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("You have accepted the confidentiality pledge.")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/accounts/(pledge|two-factor|password)/"))


def confirm_it_is_you_if_asked(page: Page, who: Person, then: Callable[[], None]) -> None:
    """Does `then`; if the site first asks to confirm it is them (the last password is
    a few minutes old), types the password and does it again, as the page says."""
    then()
    if "/accounts/confirm/" in page.url:
        page.get_by_label("Password", exact=True).fill(who.password)
        page.get_by_role("button", name="Confirm").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/confirm/"))
        then()


def main_navigation(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def test_the_first_administrator_sets_up_two_factor_and_the_pledge_then_sees_the_staff_page(
    installed: Installed, new_page: NewPage, accessibility: Accessibility
) -> None:
    pomo = Person("pomo", "Administrator", "Ville", "Heikkinen", ADMIN_PASSWORD, "", True, "Staff")
    installed.people["pomo"] = pomo
    page = new_page()

    sign_in(page, installed, pomo, asking_for="/accounts/staff/")
    # createadmin's password was typed by the administrator: no change asked.
    set_up_two_factor(page, pomo, accessibility)
    accept_pledge(page, accessibility)

    expect(page).to_have_url(f"{installed.url}/accounts/staff/")
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"pomo"))).to_contain_text("On.")
    # Its cookies are the production ones, kept by Chromium over loopback HTTP.
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "__Host-rekisteri-session" in cookies, cookies


def test_the_administrator_creates_a_staff_member_of_every_role(
    installed: Installed, new_page: NewPage, accessibility: Accessibility
) -> None:
    pomo = installed.people["pomo"]
    page = new_page()
    sign_in(page, installed, pomo, asking_for="/accounts/staff/")
    enter_code(page, pomo)
    expect(page).to_have_url(f"{installed.url}/accounts/staff/")

    for member in STAFF:
        installed.people[member.username] = member

        def open_form() -> None:
            page.goto(f"{installed.url}/accounts/staff/")
            page.get_by_role("link", name="New staff member").click()

        confirm_it_is_you_if_asked(page, pomo, open_form)
        expect(page.get_by_role("heading", name="New staff member")).to_be_visible()
        if member is STAFF[0]:
            accessibility.assert_no_serious_violations(page)
        page.get_by_label("Username").fill(member.username)
        page.get_by_label("First name").fill(member.first_name)
        page.get_by_label("Last name").fill(member.last_name)
        page.get_by_label("Email address").fill(member.email)
        page.get_by_label("Password", exact=True).fill(member.password)
        page.get_by_label("Password again").fill(member.password)
        page.get_by_label(member.role, exact=True).check()
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_text(f"Staff member {member.username} created.")).to_be_visible()

    # The privacy officer's and the auditor's roles wait for a confirmation: the
    # first privacy officer's by the administrator who asked, once the officer has
    # signed in with a password of their own.
    officer, auditor = awaiting(page, "tietosuoja"), awaiting(page, "tarkastaja")
    expect(officer).to_contain_text("No privacy officer yet: confirm this grant yourself.")
    expect(officer).to_contain_text("Not yet signed in with a password of their own")
    expect(auditor).to_contain_text("Awaits a privacy officer's confirmation.")
    expect(auditor.get_by_role("button", name="Confirm")).to_have_count(0)
    accessibility.assert_no_serious_violations(page)


def awaiting(page: Page, username: str) -> Locator:
    """The role grant of `username` among the roles awaiting confirmation (on the
    staff page, or on a privacy officer's start page)."""
    heading = re.compile(r"^Roles awaiting (your )?confirmation$")
    section = page.locator("section", has=page.get_by_role("heading", name=heading))
    return section.get_by_role("listitem").filter(has_text=f"for {username} ")


@pytest.mark.parametrize("username", [member.username for member in STAFF])
def test_each_staff_member_signs_in_for_the_first_time_and_reaches_their_start_page(
    installed: Installed, new_page: NewPage, accessibility: Accessibility, username: str
) -> None:
    """The privacy officer's and the auditor's roles are not in effect yet: they get
    in without them (and without the two-factor sign-in the role will need)."""
    who = installed.people[username]
    check = accessibility if username == "yllapito" else None
    page = new_page()

    sign_in(page, installed, who)
    change_password(page, who, check)
    if who.two_factor and username != "tietosuoja":
        set_up_two_factor(page, who, check)
    accept_pledge(page, check)

    expect(page).to_have_url(f"{installed.url}/")
    expect(page.get_by_role("heading", name="Start page")).to_be_visible()
    # Links in closed menus count too (include_hidden): none is there to find.
    links = main_navigation(page).get_by_role("link", include_hidden=True)
    if username in ("tietosuoja", "tarkastaja"):
        expect(links).to_have_count(0)
        expect(page.get_by_text("awaits a privacy officer's confirmation.")).to_be_visible()
    else:
        expect(navigation_link(page, who.start)).to_be_visible()
        expect(links.filter(has_text="Audit log")).to_have_count(0)


def test_the_administrator_confirms_the_first_privacy_officer_on_the_staff_page(
    installed: Installed, new_page: NewPage
) -> None:
    pomo = installed.people["pomo"]
    page = new_page()
    sign_in(page, installed, pomo, asking_for="/accounts/staff/")
    enter_code(page, pomo)
    officer = awaiting(page, "tietosuoja")
    expect(officer).not_to_contain_text("Not yet signed in with a password of their own")

    confirm_it_is_you_if_asked(
        page, pomo, lambda: officer.get_by_role("button", name="Confirm").click()
    )

    expect(page.get_by_text("tietosuoja now has the role Privacy officer.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"tietosuoja"))).to_contain_text(
        "Privacy officer"
    )
    # The auditor's waits for the privacy officer, now that there is one.
    auditor = awaiting(page, "tarkastaja")
    expect(auditor).to_contain_text("Awaits a privacy officer's confirmation.")
    expect(auditor.get_by_role("button", name="Confirm")).to_have_count(0)


def test_the_privacy_officer_sets_up_two_factor_and_confirms_the_auditor_on_their_start_page(
    installed: Installed, new_page: NewPage, accessibility: Accessibility
) -> None:
    officer = installed.people["tietosuoja"]
    page = new_page()
    sign_in(page, installed, officer)
    # The role now in effect needs two-factor sign-in: set up before anything else.
    set_up_two_factor(page, officer, accessibility)
    expect(page).to_have_url(f"{installed.url}/")
    expect(navigation_link(page, "Requests")).to_be_visible()
    expect(navigation_link(page, "Audit log")).to_be_visible()

    grant = awaiting(page, "tarkastaja")
    expect(grant).to_contain_text("Auditor")
    expect(grant).to_contain_text("asked by pomo")
    accessibility.assert_no_serious_violations(page)
    # A while later: a role grant asks to confirm it is them, here with the app's code.
    installed.age_sign_in(page)
    grant.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm/"))
    expect(page.get_by_text("Confirm it is you, then do it again.")).to_be_visible()
    accessibility.assert_no_serious_violations(page)
    page.get_by_label("or an authenticator code").fill(officer.fresh_code())
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{installed.url}/")
    awaiting(page, "tarkastaja").get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("tarkastaja now has the role Auditor.")).to_be_visible()
    expect(awaiting(page, "tarkastaja")).to_have_count(0)


def test_the_auditor_signs_in_and_reaches_the_audit_log(
    installed: Installed, new_page: NewPage
) -> None:
    auditor = installed.people["tarkastaja"]
    page = new_page()

    sign_in(page, installed, auditor, asking_for="/audit/")

    expect(page).to_have_url(re.compile(r"/audit/"))
    expect(navigation_link(page, "Audit log")).to_be_visible()
    links = main_navigation(page).get_by_role("link", include_hidden=True)
    expect(links.filter(has_text="Customers")).to_have_count(0)


def test_a_staff_member_signs_out_and_in_again_with_a_fresh_code(
    installed: Installed, new_page: NewPage
) -> None:
    officer = installed.people["tietosuoja"]
    page = new_page()
    sign_in(page, installed, officer)
    enter_code(page, officer)
    expect(page).to_have_url(f"{installed.url}/")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, installed, officer, asking_for="/privacy/requests/")
    enter_code(page, officer)

    expect(page).to_have_url(re.compile(r"/privacy/requests/"))


def test_after_a_two_factor_reset_and_an_upgrade_with_a_new_pledge_the_first_day_again(
    installed: Installed, new_page: NewPage, accessibility: Accessibility
) -> None:
    pomo = installed.people["pomo"]
    administrator = installed.people["yllapito"]
    page = new_page()
    sign_in(page, installed, pomo, asking_for="/accounts/staff/")
    enter_code(page, pomo)

    # Administrators may not reset a privacy officer's sign-in.
    page.get_by_role("link", name="tietosuoja", exact=True).click()
    expect(page.get_by_role("button", name="Reset two-factor sign-in")).to_have_count(0)
    page.get_by_role("link", name="Back to staff").click()
    page.get_by_role("link", name="yllapito", exact=True).click()
    confirm_it_is_you_if_asked(
        page, pomo, lambda: page.get_by_role("button", name="Reset two-factor sign-in").click()
    )
    expect(page.get_by_text("Two-factor sign-in of yllapito was reset.")).to_be_visible()
    # The privacy officers are told, through the worker, in the staff's language.
    installed.outbox.wait_for(
        lambda message: (
            sent_to("tietosuoja@example.fi")(message)
            and "pomo: nollasi käyttäjän yllapito kaksivaiheisen kirjautumisen" in text_of(message)
        )
    )

    installed.upgrade()
    page = new_page()
    sign_in(page, installed, administrator, asking_for="/accounts/staff/")
    set_up_two_factor(page, administrator, None)
    accept_pledge(page, None)

    expect(page).to_have_url(f"{installed.url}/accounts/staff/")
    expect(page.get_by_role("row", name=re.compile(r"yllapito"))).to_contain_text("On.")


def test_the_database_shows_the_story(installed: Installed) -> None:
    found = installed.query(
        """
import json
from rekisteri.accounts.models import Authenticator, PledgeAcceptance, RoleGrant
from rekisteri.audit.models import AuditEvent
story = ("login", "two_factor_enroll", "two_factor_reset", "pledge_accept", "create",
         "role_grant_request", "role_grant_confirm", "reauthenticate")
events = {}
for event in AuditEvent.objects.filter(action__in=story).order_by("id"):
    events.setdefault(event.actor_label, []).append(event.action)
print(json.dumps({
    "events": events,
    "pledges": {
        username: list(
            PledgeAcceptance.objects.filter(user__username=username)
            .order_by("pk").values_list("version", flat=True)
        )
        for username in ("pomo", "asiakaspalvelu", "markkinointi", "tietosuoja",
                         "yllapito", "tarkastaja")
    },
    "authenticators": sorted(
        Authenticator.objects.filter(confirmed=True).values_list("user__username", flat=True)
    ),
    "grants": sorted(
        RoleGrant.objects.values_list("user__username", "role", "decision",
                                      "decided_by__username")
    ),
}))
"""
    )
    assert found["pledges"] == {
        "pomo": [PLEDGE_VERSION],
        "asiakaspalvelu": [PLEDGE_VERSION],
        "markkinointi": [PLEDGE_VERSION],
        "tietosuoja": [PLEDGE_VERSION],
        "yllapito": [PLEDGE_VERSION, NEW_PLEDGE_VERSION],
        "tarkastaja": [PLEDGE_VERSION],
    }
    assert found["authenticators"] == ["pomo", "tietosuoja", "yllapito"]
    events = found["events"]
    assert events["createadmin"][0] == "create"
    assert events["pomo"].count("login") == 4
    assert events["pomo"].count("create") == len(STAFF)
    assert events["pomo"].count("role_grant_request") == 2
    assert events["pomo"].count("role_grant_confirm") == 1
    assert "two_factor_reset" in events["pomo"]
    assert events["tietosuoja"] == [
        "login",
        "pledge_accept",
        "login",
        "two_factor_enroll",
        "reauthenticate",
        "role_grant_confirm",
        "login",
        "login",
    ]
    assert events["tarkastaja"] == ["login", "pledge_accept", "login"]
    assert events["yllapito"] == [
        "login",
        "two_factor_enroll",
        "pledge_accept",
        "login",
        "two_factor_enroll",
        "pledge_accept",
    ]
    for username in ("asiakaspalvelu", "markkinointi"):
        assert events[username] == ["login", "pledge_accept"], username
    assert found["grants"] == [
        ["tarkastaja", "auditor", "confirmed", "tietosuoja"],
        ["tietosuoja", "privacy_officer", "confirmed", "pomo"],
    ], found["grants"]
