"""Each role's start page after `rekisteri demo`, as a newcomer trying Rekisteri sees
it: an empty data directory, the real `rekisteri demo --customers 60` (its passwords
read from what it prints), `rekisteri serve --worker` as `make run` starts it, and
each demo login signed in through the sign-in page (the code from
`rekisteri demo --code` where the role needs two-factor sign-in, the pledge on first
sign-in). The start page is kept as a screenshot in test-artifacts/screenshots/
(start-<role>.png, and start-<role>-390.png on a phone), then checked: the sections
the demo fills, charts that show something, lists that are not empty, the navigation,
and axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.order_intake import free_port
from rekisteri.testing.browser import (
    CHROMIUM,
    MISSING_CHROMIUM,
    SCREENSHOTS,
    Accessibility,
    main_navigation,
    navigation_link,
    violation_report,
)
from rekisteri.testing.servers import Installation, ServerProcess, throwaway_installation

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

NewPage = Callable[..., Page]


@dataclass(frozen=True)
class StartPage:
    username: str  # the demo's login for the role
    sections: tuple[str, ...]  # the headings of the sections the demo fills
    link: str  # a link of the role's navigation


START_PAGES = {
    "customer-service": StartPage(
        "asiakaspalvelu", ("Web shop deliveries", "Orders and returns"), "Orders"
    ),
    "marketing": StartPage("markkinointi", ("Marketing",), "Campaigns"),
    "privacy-officer": StartPage(
        "tietosuoja", ("Orders and returns", "Subject requests", "Breaches"), "Requests"
    ),
    "administrator": StartPage(
        "yllapito", ("Web shop deliveries", "Staff accounts", "Integrations"), "Staff"
    ),
    "auditor": StartPage("tarkastaja", (), "Audit log"),
}

# Per chart, whether its table of numbers has a number above zero (the table is in a
# closed <details>, so read from the document rather than as shown).
CHARTS_WITH_NUMBERS = """() => [...document.querySelectorAll(".start-section .chart")].map(
  (chart) => [...chart.querySelectorAll("td.number")].some(
    (cell) => parseFloat(cell.textContent.replace(",", ".")) > 0))"""
# Per list (table) of a start section, outside the charts: its rows that are not an
# "empty" row (one cell across the table).
LIST_ROWS = """() => [...document.querySelectorAll(".start-section table")]
  .filter((table) => !table.closest(".chart"))
  .map((table) => [table.caption ? table.caption.textContent.trim() : "",
    table.querySelectorAll("tbody tr:not(:has(td[colspan]))").length])"""


@dataclass
class Demo:
    installation: Installation
    server: ServerProcess
    passwords: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def code(self, username: str) -> str:
        """The authenticator code now, as `rekisteri demo --code` prints it."""
        printed = self.installation.run("demo", "--code", username)
        assert printed.returncode == 0, printed.stderr
        return printed.stdout.strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = Path(tmp_path_factory.mktemp("demo"))
    with throwaway_installation(data_dir, name="demo") as installation:
        made = installation.run("demo", "--customers", "60")
        assert made.returncode == 0, made.stderr
        passwords = dict(re.findall(r"^\s+(\S+)\s.*password: (\S+)$", made.stdout, re.MULTILINE))
        assert set(passwords) >= {start.username for start in START_PAGES.values()}, made.stdout
        server = installation.serve("--worker", port=free_port(), log_name="demo-server")
        try:
            server.wait_until_ready()
            yield Demo(installation, server, passwords)
        finally:
            server.stop()


def sign_in(page: Page, demo: Demo, username: str) -> None:
    """Through the sign-in page, as the demo's output tells a newcomer to."""
    page.goto(f"{demo.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(demo.passwords[username])
    page.get_by_role("button", name="Sign in").click()
    if "/accounts/login/code/" in page.url:
        page.get_by_label("Authenticator code or recovery code").fill(demo.code(username))
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if "/accounts/pledge/" in page.url:
        page.get_by_label("I have read the pledge above and I commit to it.").check()
        page.get_by_role("button", name="Accept").click()
    expect(page).to_have_url(f"{demo.url}/")


@pytest.mark.parametrize("role", START_PAGES)
def test_the_start_page_after_the_demo_shows_the_roles_work(
    role: str, demo: Demo, new_page: NewPage, accessibility: Accessibility
) -> None:
    start = START_PAGES[role]
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 800})

    sign_in(page, demo, start.username)
    page.goto(f"{demo.url}/")  # as on any day after the first: no pledge message

    expect(page.get_by_role("heading", name="Start page", level=1)).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"start-{role}.png", full_page=True, animations="disabled")
    for heading in start.sections:
        expect(page.get_by_role("heading", name=heading, level=2, exact=True)).to_be_visible()
    assert all(page.evaluate(CHARTS_WITH_NUMBERS)), "a chart with nothing above zero"
    lists = page.evaluate(LIST_ROWS)
    assert all(rows > 0 for _caption, rows in lists), lists
    if start.sections:
        assert lists or page.locator(".start-section .chart").count(), "no list or chart"
    expect(main_navigation(page)).to_be_visible()
    expect(navigation_link(page, start.link)).to_be_visible()
    page.keyboard.press("Escape")
    found = accessibility.violations(page)
    assert not found, violation_report(found)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo.url}/")
    page.screenshot(
        path=SCREENSHOTS / f"start-{role}-390.png", full_page=True, animations="disabled"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
