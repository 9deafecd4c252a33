"""The main navigation in Chromium, for every role, on a wide screen (1280 px) and on
a phone (390 px): one row on the wide screen, no sideways scrolling on the phone,
every link reached by keyboard alone through the menus, and axe-core finding no
violation of any impact on the start page, a menu open. Screenshots of each are kept in
test-artifacts/screenshots/ (nav-<role>-<width>.png).

Which links each role has is rekisteri/tests/test_navigation.py's; here, how a person
reaches them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import FloatRect, Locator, Page, StorageState, expect

from rekisteri.testing.browser import (
    CHROMIUM,
    MISSING_CHROMIUM,
    SCREENSHOTS,
    Accessibility,
    Site,
    sign_in,
    violation_report,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

# A role's login in Site.staff: logins of their own where an authenticator code is
# needed, as a code is accepted once.
ROLES = {
    "customer-service": "asiakaspalvelu",
    "marketing": "markkinointi",
    "privacy-officer": "navigation",
    "administrator": "navigation-admin",
    "auditor": "tarkastaja",
}
WIDE, PHONE = 1280, 390
HEIGHTS = {WIDE: 800, PHONE: 844}
# Tab presses enough to pass through the whole header, every menu open.
MAX_TABS = 80

FOCUSED = """() => {
  const element = document.activeElement;
  const details = element.closest("details");
  return {
    tag: element.tagName.toLowerCase(),
    text: element.textContent.trim(),
    inHeader: !!element.closest(".site-header"),
    inNavigation: !!element.closest("#main-navigation"),
    isClosed: element.tagName === "SUMMARY" && !details.open,
  };
}"""


@pytest.fixture(scope="module")
def signed_in() -> dict[str, StorageState]:
    """Each role's signed-in browser state, made on first use (a code is good once)."""
    return {}


@pytest.fixture
def page_as(
    new_page: Callable[..., Page], site: Site, signed_in: dict[str, StorageState]
) -> Callable[[str, int], Page]:
    def make(role: str, width: int) -> Page:
        if role not in signed_in:
            first = new_page()
            sign_in(first, site, site.staff[ROLES[role]])
            signed_in[role] = first.context.storage_state()
        # In Finnish, the staff's first language and the longer words.
        page = new_page("fi", signed_in[role])
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        page.goto(f"{site.url}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        return page

    return make


def finnish_navigation(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Päävalikko")


def links_in_navigation(page: Page) -> list[str]:
    """Every link of the main navigation, shown or in a closed menu."""
    links = page.locator("#main-navigation").get_by_role("link", include_hidden=True)
    return [text.strip() for text in links.all_text_contents()]


def reached_by_keyboard(page: Page) -> list[str]:
    """Tabs from the top of the page through the header, opening each closed menu on
    the way with Enter, as a keyboard user does; the navigation links reached."""
    reached: list[str] = []
    page.locator("body").focus()
    for _press in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if not focused["inHeader"] and reached:
            break
        if focused["isClosed"]:
            page.keyboard.press("Enter")
        elif focused["tag"] == "a" and focused["inNavigation"]:
            reached.append(focused["text"])
    return reached


def top_of_each(page: Page, selector: str) -> list[float]:
    return [
        box["y"] for box in (item.bounding_box() for item in page.locator(selector).all()) if box
    ]


@pytest.mark.parametrize("role", ROLES)
def test_on_a_wide_screen_the_navigation_is_one_row_and_every_link_is_reached_by_keyboard(
    role: str, page_as: Callable[[str, int], Page], accessibility: Accessibility
) -> None:
    page = page_as(role, WIDE)
    navigation = finnish_navigation(page)
    expect(navigation).to_be_visible()
    expect(page.locator(".nav-menu")).to_be_hidden()

    # One row: the brand, every top-level item and the tools side by side.
    items = ".site-header > .brand, #main-navigation > ul > li, .header-tools > *"
    tops = top_of_each(page, items)
    assert len(tops) >= 4 and max(tops) - min(tops) < 8, tops
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 70, header
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE

    reached = reached_by_keyboard(page)
    assert reached and sorted(reached) == sorted(links_in_navigation(page))
    # The largest menu opened by keyboard, then closed with Escape, focus on its button.
    menus = page.locator("#main-navigation details")
    if menus.count():
        largest = max(menus.all(), key=lambda menu: menu.locator("a").count())
        largest.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(largest.get_by_role("link").first).to_be_visible()
        assert_no_violations(page, accessibility)
        page.screenshot(path=SCREENSHOTS / f"nav-{role}-{WIDE}.png", clip=clip_of_header(page))
        page.keyboard.press("Escape")
        expect(largest.get_by_role("link")).to_have_count(0)
        assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    else:
        assert_no_violations(page, accessibility)
        page.screenshot(path=SCREENSHOTS / f"nav-{role}-{WIDE}.png", clip=clip_of_header(page))


@pytest.mark.parametrize("role", ROLES)
def test_on_a_phone_the_menu_button_holds_every_link_and_nothing_scrolls_sideways(
    role: str, page_as: Callable[[str, int], Page], accessibility: Accessibility
) -> None:
    page = page_as(role, PHONE)
    expect(page.locator("#main-navigation")).to_be_hidden()
    expect(page.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    expect(page.get_by_role("button", name="In English")).to_be_visible()
    expect(page.get_by_role("link", name="Rekisteri", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert_no_violations(page, accessibility)

    reached = reached_by_keyboard(page)

    assert reached and sorted(reached) == sorted(links_in_navigation(page))
    expect(finnish_navigation(page)).to_be_visible()
    # The largest menu open (one at a time), for axe and the screenshot.
    menus = page.locator("#main-navigation details")
    if menus.count():
        max(menus.all(), key=lambda menu: menu.locator("a").count()).locator("summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert_no_violations(page, accessibility)
    page.screenshot(path=SCREENSHOTS / f"nav-{role}-{PHONE}.png", full_page=True)


def assert_no_violations(page: Page, accessibility: Accessibility) -> None:
    """axe-core finds nothing on the page, of any impact."""
    found = accessibility.violations(page)
    assert not found, f"axe-core on {page.url}:\n{violation_report(found)}"


def clip_of_header(page: Page) -> FloatRect:
    """The header and any menu open below it."""
    bottom = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            ".site-header, .nav-group details[open] ul")].map(
            (element) => element.getBoundingClientRect().bottom))"""
    )
    return {"x": 0, "y": 0, "width": WIDE, "height": bottom + 16}
