"""The browser tests' site and browser: one demo installation and server for the run
(each pytest-xdist worker that runs browser tests starts its own), one Chromium per
module, a fresh browser context (cookies, storage) per person in a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect, sync_playwright

from rekisteri.testing.browser import CHROMIUM, TIMEOUT_MS, Accessibility, Site, demo_site


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("browser")) as made:
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module: Playwright's event loop must be gone before another
    module's tests use Django's ORM in this process."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def accessibility() -> Accessibility:
    return Accessibility()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """new_page(language="en", storage_state=None): a page in a browser context of its
    own, as one person's browser (cookies from `storage_state`); closed after the
    test."""
    contexts = []

    def make(language: str = "en", storage_state: StorageState | None = None) -> Page:
        locale = {"en": "en-GB", "fi": "fi-FI", "sv": "sv-FI"}[language]
        context = browser.new_context(locale=locale, storage_state=storage_state)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
