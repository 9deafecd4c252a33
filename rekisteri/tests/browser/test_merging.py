"""Merging two records of one person in a real browser (issue 19): from the list of
likely duplicates to the kept customer, whose merged-away number still finds it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from rekisteri.testing.browser import CHROMIUM, MISSING_CHROMIUM, Accessibility, Site, sign_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

NewPage = Callable[..., Page]

TWO_RECORDS = """
import json
from rekisteri.testing.factories import make_customer

common = dict(
    surname="Kaksinen", first_names="Ville", street_address="Torikatu 1",
    postal_code="90100", post_office="Oulu", phone="0409990001",
)
kept = make_customer(email="ville.kaksinen@example.fi", **common)
other = make_customer(email="ville.k@example.fi", **common)
print(json.dumps([kept.customer_number, other.customer_number]))
"""


def test_customer_service_merges_a_likely_duplicate_choosing_the_other_email(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    kept, other = site.query(TWO_RECORDS)
    page = new_page()
    sign_in(page, site, site.staff["asiakaspalvelu"])
    page.goto(f"{site.url}/customers/")

    page.get_by_role("link", name="Likely duplicates").click()
    expect(page.get_by_role("heading", name="Likely duplicates")).to_be_visible()
    row = (
        page.get_by_role("row")
        .filter(has_text=f"{kept} Kaksinen")
        .filter(has_text=f"{other} Kaksinen")
    )
    expect(row).to_contain_text("Same phone")
    expect(row).to_contain_text("Same name and address")
    accessibility.assert_no_serious_violations(page)
    row.get_by_role("link", name=re.compile(r"^Compare")).click()

    expect(
        page.get_by_role("heading", name=f"Merge customer {other} into customer {kept}")
    ).to_be_visible()
    expect(page.get_by_role("radio", name="Email: ville.kaksinen@example.fi")).to_be_checked()
    accessibility.assert_no_serious_violations(page)
    page.get_by_role("radio", name="Email: ville.k@example.fi").check()
    page.get_by_role("button", name="Merge the records").click()

    expect(page).to_have_url(f"{site.url}/customers/{kept}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Customer {other} was merged into this customer."
    )
    expect(page.get_by_role("link", name="ville.k@example.fi")).to_be_visible()
    page.goto(f"{site.url}/customers/{other}/")
    expect(page).to_have_url(f"{site.url}/customers/{kept}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Customer {other} was merged into customer {kept}."
    )
    assert site.query(
        f"""
import json
from rekisteri.customers.models import Customer
kept = Customer.objects.get(customer_number={kept})
other = Customer.objects.get(customer_number={other})
print(json.dumps([kept.email, other.status, other.merged_into_id == kept.pk]))
"""
    ) == ["ville.k@example.fi", "merged", True]
