"""axe-core on the main pages, as each role sees them: no violation of impact
"serious" or "critical" (WCAG 2.0-2.2 A and AA, and best practice). The pages a flow
reaches only through an email link (a request's confirmation, the download page, the
unsubscribe page) are checked in test_flows.py on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, StorageState, expect

from rekisteri.testing.browser import (
    CHROMIUM,
    MISSING_CHROMIUM,
    Accessibility,
    Site,
    sign_in,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

# Who looks: a staff login's key in Site.staff, or None for the public.
LOGINS = {
    "public": None,
    "customer service": "asiakaspalvelu",
    "marketing": "markkinointi",
    "privacy officer": "pages",
    "administrator": "yllapito",
}


@dataclass(frozen=True)
class Visit:
    who: str
    path: str  # formatted with the site's numbers: {customer}, {order}, {campaign}, ...
    language: str = "en"
    # Brings the page to the state checked; gets the numbers the path was formatted with.
    then: Callable[[Page, dict[str, object]], None] | None = None


def sent_empty(button: str) -> Callable[[Page, dict[str, object]], None]:
    """Sends the form as it is, to see its error messages."""

    def send(page: Page, numbers: dict[str, object]) -> None:
        page.get_by_role("button", name=button).click()
        expect(page.locator(".errorlist").first).to_be_visible()

    return send


def searched(term: str) -> Callable[[Page, dict[str, object]], None]:
    """A search whose results htmx swaps into the page."""

    def search(page: Page, numbers: dict[str, object]) -> None:
        page.get_by_label("Search").fill(term.format(**numbers))
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#results table")).to_be_visible()

    return search


VISITS = {
    "sign-in": Visit("public", "/accounts/login/"),
    "sign-in, Finnish": Visit("public", "/accounts/login/", language="fi"),
    "portal": Visit("public", "/tietosuoja/", language="fi"),
    "portal request": Visit("public", "/tietosuoja/pyynto/", language="fi"),
    "portal request with errors": Visit(
        "public", "/tietosuoja/pyynto/", language="fi", then=sent_empty("Lähetä pyyntö")
    ),
    "portal request, English": Visit("public", "/tietosuoja/pyynto/"),
    "portal marketing choices link": Visit("public", "/tietosuoja/markkinointi/", language="fi"),
    "privacy notice": Visit("public", "/tietosuojaseloste/", language="fi"),
    "privacy notice, Swedish": Visit("public", "/tietosuojaseloste/", language="sv"),
    "portal request, Swedish": Visit("public", "/tietosuoja/pyynto/", language="sv"),
    "start page": Visit("customer service", "/"),
    "start page, marketing": Visit("marketing", "/"),
    "start page, privacy officer": Visit("privacy officer", "/"),
    "start page, administrator": Visit("administrator", "/"),
    "customer list": Visit("customer service", "/customers/"),
    "customer list, Finnish": Visit("customer service", "/customers/", language="fi"),
    "customer search": Visit("customer service", "/customers/", then=searched("{surname}")),
    "customer": Visit("customer service", "/customers/{customer}/"),
    "new customer": Visit("customer service", "/customers/new/"),
    "new customer with errors": Visit(
        "customer service", "/customers/new/", then=sent_empty("Create customer")
    ),
    "order list": Visit("customer service", "/orders/"),
    "order entry: find the customer": Visit(
        "customer service", "/orders/new/", then=searched("{surname}")
    ),
    "order entry: a new caller with errors": Visit(
        "customer service",
        "/orders/new/customer/",
        then=sent_empty("Create the customer and go on to the order"),
    ),
    "order entry": Visit("customer service", "/orders/new/{customer}/"),
    "order entry with errors": Visit(
        "customer service", "/orders/new/{customer}/", then=sent_empty("Save the order")
    ),
    "order": Visit("customer service", "/orders/{order}/"),
    "target groups": Visit("marketing", "/marketing/"),
    "target group": Visit("marketing", "/marketing/{target_group}/"),
    "campaigns": Visit("marketing", "/marketing/campaigns/"),
    "campaign": Visit("marketing", "/marketing/campaigns/{campaign}/"),
    "new campaign": Visit("marketing", "/marketing/campaigns/new/"),
    "request board": Visit("privacy officer", "/privacy/requests/"),
    "record a request": Visit("privacy officer", "/privacy/requests/new/"),
    "customer, privacy officer": Visit("privacy officer", "/customers/{customer}/"),
    "erasure": Visit("privacy officer", "/privacy/customers/{customer}/erasure/"),
    "audit log": Visit("privacy officer", "/audit/"),
    "disclosures": Visit("privacy officer", "/privacy/disclosures/"),
    "staff": Visit("administrator", "/accounts/staff/"),
    "credit policy": Visit("administrator", "/credit/policy/"),
    "web shop inbox": Visit("customer service", "/integrations/inbox/"),
    "web shop inbox, Finnish": Visit("customer service", "/integrations/inbox/", language="fi"),
    "delivery waiting for a person": Visit("customer service", "/integrations/inbox/{delivery}/"),
    "integration": Visit("administrator", "/integrations/{integration}/"),
    "customer imports": Visit("customer service", "/imports/"),
    "customer import with errors": Visit(
        "customer service", "/imports/", then=sent_empty("Upload")
    ),
}


@pytest.fixture(scope="module")
def signed_in() -> dict[str, StorageState]:
    """Each role's signed-in browser state, made on first use: an authenticator code
    is good once, so every login signs in once for the whole module."""
    return {}


@pytest.fixture
def page_for(
    new_page: Callable[..., Page], site: Site, signed_in: dict[str, StorageState]
) -> Callable[[Visit], Page]:
    """A page as the visit's person sees it, signed in if staff."""

    def make(visit: Visit) -> Page:
        username = LOGINS[visit.who]
        if username is not None and visit.who not in signed_in:
            first = new_page()
            sign_in(first, site, site.staff[username])
            signed_in[visit.who] = first.context.storage_state()
        return new_page(visit.language, signed_in.get(visit.who))

    return make


@pytest.mark.parametrize("name", VISITS)
def test_the_page_has_no_serious_accessibility_violations(
    name: str, site: Site, page_for: Callable[[Visit], Page], accessibility: Accessibility
) -> None:
    visit = VISITS[name]
    numbers: dict[str, object] = {
        "customer": site.customers["portal"]["customer_number"],
        "surname": site.customers["portal"]["surname"],
        **site.demo,
    }
    page = page_for(visit)

    response = page.goto(site.url + visit.path.format(**numbers))
    assert response is not None and response.status == 200, response and response.status
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if visit.then is not None:
        visit.then(page, numbers)
    accessibility.assert_no_serious_violations(page)


def test_form_fields_are_described_by_their_help_and_their_errors(
    site: Site, page_for: Callable[[Visit], Page]
) -> None:
    """WCAG 1.3.1 and 3.3.1: a screen reader reads a field's help text and its error
    with the field, not only somewhere on the page."""
    page = page_for(Visit("customer service", "/customers/new/"))
    page.goto(f"{site.url}/customers/new/")
    notes = page.get_by_label("Notes")
    expect(notes).to_have_accessible_description(
        "Other customer-specific data. Never write the identity code here."
    )

    page.get_by_role("button", name="Create customer").click()

    surname = page.get_by_label("Surname")
    expect(surname).to_have_attribute("aria-invalid", "true")
    expect(surname).to_have_accessible_description("This field is required.")
    surname.fill("Kettunen")
    page.get_by_label("First names").fill("Alvar")
    email = page.get_by_label("Email")
    email.fill("alvar.kettunen@")
    page.get_by_role("button", name="Create customer").click()

    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(
        "Enter a valid email address, such as name@example.fi."
    )
    expect(surname).not_to_have_attribute("aria-invalid", "true")
    expect(notes).to_have_accessible_description(
        "Other customer-specific data. Never write the identity code here."
    )
