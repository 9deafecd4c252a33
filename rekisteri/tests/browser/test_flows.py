"""The main flows in a real browser, as people go through them: Chromium against
`rekisteri serve --worker` on a demo installation (conftest.py). Each flow checks
what the person sees, then the database, and runs axe-core on the pages it passes."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from collections.abc import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import FilePayload, Page, expect

from rekisteri.accounts.pledge import PLEDGE_VERSION
from rekisteri.testing.browser import (
    CHROMIUM,
    MISSING_CHROMIUM,
    Accessibility,
    Site,
    authenticator_code,
    link_in,
    navigation_link,
    sent_to,
    sign_in,
)
from rekisteri.testing.identity_codes import identity_code_for

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_CHROMIUM)

NewPage = Callable[..., Page]
HELSINKI = ZoneInfo("Europe/Helsinki")


def test_the_privacy_officer_signs_in_with_an_authenticator_code_and_the_pledge(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    login = site.staff["tietosuoja"]
    page = new_page()
    page.goto(f"{site.url}/customers/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/customers/"))
    accessibility.assert_no_serious_violations(page)
    page.get_by_label("Username").fill(login.username)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible()

    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
    code = page.get_by_label("Authenticator code or recovery code")
    expect(code).to_be_visible()
    accessibility.assert_no_serious_violations(page)
    code.fill(authenticator_code(login.authenticator_key))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/accounts/pledge/"))
    accessibility.assert_no_serious_violations(page)
    page.get_by_label("I have read the pledge above and I commit to it.").check()
    page.get_by_role("button", name="Accept").click()

    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    expect(navigation_link(page, "Requests")).to_be_visible()
    expect(navigation_link(page, "Audit log")).to_be_visible()
    assert site.query(
        """
import json
from rekisteri.accounts.models import PledgeAcceptance
from rekisteri.audit.models import AuditEvent
events = AuditEvent.objects.filter(actor_label="tietosuoja").order_by("id")
print(json.dumps({
    "events": [[e.action, e.reason] for e in events if e.action.startswith(("login", "pledge"))],
    "pledges": PledgeAcceptance.objects.filter(user__username="tietosuoja").count(),
}))
"""
    ) == {
        "events": [
            ["login_failure", ""],
            ["login", ""],
            ["pledge_accept", f"version {PLEDGE_VERSION}"],
        ],
        "pledges": 1,
    }


def test_signing_in_needs_only_the_keyboard_and_shows_where_the_focus_is(
    site: Site, new_page: NewPage
) -> None:
    """WCAG 2.1.1, 2.4.1, 2.4.3 and 2.4.7: every step by keyboard in reading order, the
    skip link first, and the focused control ringed."""
    login = site.staff["keyboard"]
    page = new_page()
    page.goto(f"{site.url}/accounts/login/")

    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(login.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(login.password)
    page.keyboard.press("Tab")
    sign_in_button = page.get_by_role("button", name="Sign in")
    expect(sign_in_button).to_be_focused()
    expect(sign_in_button).to_have_css("outline", re.compile(r"solid 3px$"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/pledge/"))
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    pledge = page.get_by_label("I have read the pledge above and I commit to it.")
    expect(pledge).to_be_focused()
    page.keyboard.press("Space")
    expect(pledge).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_customer_service_takes_a_phone_order_on_invoice_from_a_new_caller_by_keyboard(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    """A new caller's invoice order from the first key to the confirmation, keyboard only
    (WCAG 2.1.1, 2.4.3): the search finds no one, the customer's form opens on the same
    page, Enter creates the customer and opens the order form, Enter saves the order.
    Three page loads: the search page, the order form, the order. The credit check asks
    the simulator: 912 is a person with no payment defaults."""
    identity_code = identity_code_for(datetime.date(1984, 3, 9), 912)
    page = new_page()
    sign_in(page, site, site.staff["asiakaspalvelu"])
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    page.goto(f"{site.url}/orders/new/")
    keys = page.keyboard
    expect(page.get_by_label("Search")).to_be_focused()
    keys.type("Kettunen Alvar")
    keys.press("Enter")
    expect(page.get_by_text("No customer matches the search.")).to_be_visible()
    new_caller = page.get_by_role("region", name="New customer")
    expect(new_caller.get_by_label("Surname")).to_have_value("Kettunen")
    expect(new_caller.get_by_label("First names")).to_have_value("Alvar")
    accessibility.assert_no_serious_violations(page)
    keys.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    keys.press("Tab")
    expect(new_caller.get_by_label("Surname")).to_be_focused()
    keys.press("Tab")
    expect(new_caller.get_by_label("First names")).to_be_focused()
    for label, value in [
        ("Street address", "Pakkahuoneenkatu 8"),
        ("Postal code", "90100"),
        ("Post office", "Oulu"),
    ]:
        keys.press("Tab")
        expect(new_caller.get_by_label(label)).to_be_focused()
        keys.type(value)
    keys.press("Tab")
    expect(new_caller.get_by_label("Country")).to_be_focused()
    keys.press("Tab")
    keys.type("040 7654 321")
    keys.press("Tab")
    expect(new_caller.get_by_label("Email")).to_be_focused()
    keys.type("alvar.kettunen.selain@example.fi")
    expect(new_caller.get_by_label("The customer relationship started by")).to_have_value("phone")
    keys.press("Enter")

    expect(
        page.get_by_role("heading", name=re.compile(r"^New order for Kettunen, Alvar"))
    ).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Now record the order.")
    expect(page.get_by_label("The order came by")).to_be_focused()
    expect(page.get_by_label("The order came by")).to_have_value("phone")
    keys.press("Tab")
    expect(page.get_by_label("Payment method")).to_be_focused()
    keys.press("ArrowDown")
    expect(page.get_by_label("Payment method")).to_have_value("invoice")
    keys.press("Tab")
    # The code comes with the invoice order, which needs it (P8).
    expect(page.get_by_label("Personal identity code")).to_be_focused()
    keys.type(identity_code)
    keys.press("Tab")
    expect(page.get_by_label("Product code").first).to_be_focused()
    keys.type("HYL-120")
    keys.press("Tab")
    expect(page.get_by_label("Quantity").first).to_be_focused()
    keys.type("2")
    expect(page.locator(".product-info").first).to_contain_text("Varastohylly 120 cm")
    expect(page.get_by_label("Recipient")).to_have_value("Alvar Kettunen")
    accessibility.assert_no_serious_violations(page)
    keys.press("Enter")

    expect(page.get_by_role("heading", name=re.compile(r"^Order \d+$"))).to_be_visible()
    messages = page.get_by_role("status").filter(has_text="saved")
    expect(messages).to_contain_text("Credit check approved")
    credit = page.locator("#credit")
    expect(credit.get_by_role("heading", name="Credit check")).to_contain_text("Simulated")
    expect(credit).to_contain_text("Approved")
    expect(credit).to_contain_text("No payment defaults recorded")
    expect(page.locator("#lines")).to_contain_text("179.80")
    accessibility.assert_no_serious_violations(page)
    order_number = int(re.sub(r"\D", "", page.get_by_role("heading", level=1).inner_text()))
    paths = [urlsplit(url).path for url in loads]
    assert len(paths) == 3, paths
    assert paths[0] == "/orders/new/"
    assert re.fullmatch(r"/orders/new/\d+/", paths[1])
    assert paths[2] == f"/orders/{order_number}/"
    assert site.query(
        f"""
import json
from rekisteri.orders.models import Order
order = Order.objects.select_related("customer").get(order_number={order_number})
check = order.credit_check
print(json.dumps([
    order.customer.surname, order.customer.source, order.channel, order.payment_method,
    str(order.total_gross), check.decision, check.reason_code, check.is_simulated,
]))
"""
    ) == [
        "Kettunen",
        "phone",
        "phone",
        "invoice",
        "179.80",
        "approved",
        "no_payment_defaults",
        True,
    ]


def test_an_access_request_from_the_portal_ends_in_the_downloaded_copy(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    """The customer's pages in Finnish, the default; the privacy officer's in English."""
    customer = site.customers["portal"]
    full_name = f"{customer['first_names']} {customer['surname']}"
    person = new_page("fi")
    person.goto(f"{site.url}/tietosuoja/")
    accessibility.assert_no_serious_violations(person)
    person.get_by_role("link", name=re.compile(r"^Pyydä kopio tiedoistasi")).click()
    person.get_by_label("Mitä pyydät?").select_option(label="Pääsy omiin tietoihin (15 art.)")
    person.get_by_label("Nimesi").fill(full_name)
    person.get_by_label("Sähköpostiosoitteesi").fill(customer["email"])
    accessibility.assert_no_serious_violations(person)
    person.get_by_role("button", name="Lähetä pyyntö").click()
    expect(person.get_by_role("heading", name="Pyyntö vastaanotettu")).to_be_visible()

    (confirmation,) = site.outbox.wait_for(
        sent_to(customer["email"], linking_to="/tietosuoja/vahvista/")
    )
    person.goto(link_in(confirmation, "/tietosuoja/vahvista/"))
    expect(person.get_by_role("heading", name="Vahvista pyyntösi")).to_be_visible()
    accessibility.assert_no_serious_violations(person)
    person.get_by_role("button", name="Kyllä, tämä pyyntö on minun").click()
    expect(person.get_by_role("heading", name="Pyyntö vahvistettu")).to_be_visible()

    staff = new_page()
    sign_in(staff, site, site.staff["requests"])
    navigation_link(staff, "Requests").click()
    accessibility.assert_no_serious_violations(staff)
    row = staff.get_by_role("row").filter(has_text=str(customer["customer_number"]))
    expect(row).to_contain_text("Access to own data (art. 15)")
    expect(row).to_contain_text("Open")
    row.get_by_role("link").click()
    expect(staff.get_by_role("heading", name="Access to own data (art. 15)")).to_be_visible()
    accessibility.assert_no_serious_violations(staff)
    staff.get_by_role("button", name="Email a download link of the customer's data").click()
    expect(staff.get_by_role("status")).to_have_text(
        "A download link was emailed to the address on record."
    )

    (delivery,) = site.outbox.wait_for(sent_to(customer["email"], linking_to="/tietosuoja/lataa/"))
    person.goto(link_in(delivery, "/tietosuoja/lataa/"))
    expect(person.get_by_role("heading", name="Kopio tiedoistasi")).to_be_visible()
    accessibility.assert_no_serious_violations(person)
    with person.expect_download() as download_info:
        person.get_by_role("button", name="Lataa tietosi").click()
    download = download_info.value

    today = datetime.datetime.now(HELSINKI).date()
    assert download.suggested_filename == f"data-{customer['customer_number']}-{today:%Y%m%d}.zip"
    path = download.path()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["data.json", "index.html"]
        data = json.loads(archive.read("data.json"))
        index = archive.read("index.html").decode()
    assert data["format"] == "rekisteri.subject-data.v1"
    assert data["language"] == "fi"
    assert data["customer"]["customer_number"] == customer["customer_number"]
    assert data["customer"]["surname"] == customer["surname"]
    assert data["customer"]["email"] == customer["email"]
    assert [request["kind"] for request in data["subject_requests"]] == ["access"]
    assert customer["surname"] in index
    assert data["generated_at"].startswith(today.isoformat())
    assert site.query(
        f"""
import json
from rekisteri.privacy.models import Disclosure
print(json.dumps([
    [d.recipient_kind, d.legal_ground, d.subject_request.kind]
    for d in Disclosure.objects.filter(customer__customer_number={customer["customer_number"]})
]))
"""
    ) == [["data_subject", "GDPR art. 15", "access"]]


def test_marketing_sends_a_campaign_and_a_recipient_unsubscribes_in_one_click(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    customer = site.customers["campaign"]
    page = new_page()
    sign_in(page, site, site.staff["markkinointi"])
    navigation_link(page, "Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Talven tarjoukset")
    page.get_by_label("Channel").select_option(label="Email")
    page.get_by_label("Target group").select_option(label="Sähköpostiuutiskirje")
    page.get_by_label("Subject").fill("Talven tarjoukset varastolta")
    page.get_by_label("Message").fill("Hei!\n\nHyllyt ja laatikot nyt tarjouksessa.")
    accessibility.assert_no_serious_violations(page)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Talven tarjoukset")).to_be_visible()
    expect(page.locator("#recipient-count")).to_contain_text("may be reached now")
    accessibility.assert_no_serious_violations(page)
    page.get_by_role("button", name="Send the campaign").click()
    progress = page.locator("#campaign-progress")
    expect(progress.get_by_text("Sent", exact=True)).to_be_visible(timeout=120_000)
    accessibility.assert_no_serious_violations(page)

    (message,) = site.outbox.wait_for(sent_to(customer["email"], linking_to="/unsubscribe/"))
    assert message["Subject"] == "Talven tarjoukset varastolta"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = link_in(message, "/unsubscribe/")
    assert f"<{unsubscribe}>" in str(message["List-Unsubscribe"])

    person = new_page("fi")
    person.goto(unsubscribe)
    expect(person.get_by_role("heading", name="Peru markkinointi")).to_be_visible()
    accessibility.assert_no_serious_violations(person)
    person.get_by_role("button", name="Peru tilaus").click()
    expect(person.get_by_role("heading", name="Tilaus on peruttu")).to_be_visible()
    accessibility.assert_no_serious_violations(person)

    page.reload()
    row = page.get_by_role("row").filter(has_text=str(customer["customer_number"]))
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("—")
    assert site.query(
        f"""
import json
from rekisteri.consents.selectors import consent_events, consent_state
from rekisteri.customers.models import Customer
customer = Customer.objects.get(customer_number={customer["customer_number"]})
state = consent_state(customer).channels["email"]
events = consent_events(customer=customer)
print(json.dumps([state.allowed, [[e.kind, e.channel, e.source] for e in events]]))
"""
    ) == [
        False,
        [
            ["withdrawal", "email", "unsubscribe_link"],
            ["grant", "email", "web_shop_checkout"],
        ],
    ]


def test_the_privacy_officer_erases_a_customer_after_confirming_it_is_them(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    customer = site.customers["erasure"]
    login = site.staff["erasure"]
    page = new_page()
    sign_in(page, site, login)
    navigation_link(page, "Customers").click()
    page.get_by_label("Search").fill(customer["email"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"{customer['surname']}, {customer['first_names']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(customer["surname"])
    accessibility.assert_no_serious_violations(page)
    signed_in_long_ago(site, page)

    page.get_by_role("link", name="Erasure: see what would be erased").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    accessibility.assert_no_serious_violations(page)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Confirm").click()

    number = customer["customer_number"]
    expect(page.get_by_role("heading", name=f"Erasure of customer {number}")).to_be_visible()
    expect(page.get_by_text("Nothing has been changed yet.")).to_be_visible()
    expect(page.locator("#kept")).to_contain_text("Orders")
    accessibility.assert_no_serious_violations(page)
    reason = page.get_by_label("Reason")
    reason.fill("Asiakkaan pyyntö puhelimessa")
    page.get_by_role("button", name="Erase the customer").click()
    confirmation = page.get_by_label("I have read the plan. Erase this customer's personal data")
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_value("Asiakkaan pyyntö puhelimessa")
    confirmation.check()
    page.get_by_role("button", name="Erase the customer").click()

    expect(page.get_by_role("status").filter(has_text="The customer was erased.")).to_be_visible()
    expect(page.get_by_text("This customer has been erased.")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text(customer["surname"])
    accessibility.assert_no_serious_violations(page)
    assert site.query(
        f"""
import json
from rekisteri.customers.models import Customer
from rekisteri.privacy.models import ErasureLogEntry
customer = Customer.objects.get(customer_number={number})
print(json.dumps([
    customer.status, customer.email, {customer["surname"]!r} in customer.surname,
    ErasureLogEntry.objects.filter(customer_public_id=customer.public_id).count(),
]))
"""
    ) == ["anonymised", "", False, 1]


def signed_in_long_ago(site: Site, page: Page) -> None:
    """Makes the session's last password an hour old, as if the privacy officer had
    been working a while: a sensitive action then asks for it again."""
    (session,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    site.query(
        f"""
import time
from django.contrib.sessions.backends.db import SessionStore
from rekisteri.accounts.session_keys import SESSION_AUTH_AT
session = SessionStore(session_key={session["value"]!r})
session[SESSION_AUTH_AT] = time.time() - 3600
session.save()
print("null")
"""
    )


# Two customers to import and three rows the dry run refuses, each for its own reason.
CUSTOMER_FILE = (
    "Sukunimi;Etunimet;Sähköposti;Puhelin;Katuosoite;Postinumero;Postitoimipaikka\n"
    "Laine;Eeva;eeva.laine.tuonti@example.fi;;Rantakatu 3;90100;Oulu\n"
    "Heikkinen;Ville;ville.heikkinen.tuonti@example.fi;040 123 4567;;;\n"
    ";Sanna;sanna.tuonti@example.fi;;;;\n"
    "Mäkelä;Juha;juha.makela@;;;;\n"
    "Laine;Eeva;eeva.laine.tuonti@example.fi;;;;\n"
)
REFUSED = [
    ["4", "Refused", "Surname", "This field is required."],
    ["5", "Refused", "Email", "Enter a valid email address, such as name@example.fi."],
    ["6", "Refused", "Email", "The same as on row 2: likely the same customer."],
]


def test_customer_service_imports_a_file_with_errors_after_a_dry_run(
    site: Site, new_page: NewPage, accessibility: Accessibility
) -> None:
    page = new_page()
    sign_in(page, site, site.staff["asiakaspalvelu"])
    navigation_link(page, "Customer imports").click()
    accessibility.assert_no_serious_violations(page)
    upload: FilePayload = {
        "name": "asiakkaat.csv",
        "mimeType": "text/csv",
        "buffer": CUSTOMER_FILE.encode(),
    }
    page.get_by_label("Customer file (CSV or XLSX)").set_input_files(upload)
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Which column is which field")).to_be_visible()
    expect(page.get_by_label("Sukunimi")).to_have_value("surname")
    expect(page.get_by_label("Sähköposti")).to_have_value("email")
    expect(page.get_by_label("Postitoimipaikka")).to_have_value("post_office")
    accessibility.assert_no_serious_violations(page)
    page.get_by_role("button", name="Save the columns").click()

    expect(page.get_by_role("heading", name="Customer import")).to_be_visible()
    expect(page.get_by_role("heading", name="The first rows")).to_be_visible()
    page.get_by_role("button", name="Run the dry run").click()
    dry_run = page.locator("section").filter(has=page.get_by_role("heading", name="The dry run"))
    expect(dry_run).to_be_visible(timeout=120_000)
    # Rows, OK, OK with remarks, refused, consents with evidence.
    expect(dry_run.locator("dd")).to_have_text(["5", "2", "0", "3", "0"])
    report = page.locator("section").filter(
        has=page.get_by_role("heading", name="Rows refused or with remarks")
    )
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(3)
    for row, cells in zip(rows.all(), REFUSED, strict=True):
        expect(row.get_by_role("cell")).to_have_text(cells)
    expect(report).not_to_contain_text("juha.makela")
    accessibility.assert_no_serious_violations(page)
    page.get_by_role("button", name="Import 2 rows").click()

    imported = page.locator("section").filter(has=page.get_by_role("heading", name="Imported"))
    expect(imported).to_be_visible(timeout=120_000)
    expect(imported.locator("dd")).to_have_text(["5", "2", "0", "3", "0"])
    accessibility.assert_no_serious_violations(page)
    assert site.query(
        """
import json
from rekisteri.customers.models import Customer
print(json.dumps(sorted(
    [c.surname, c.email, c.source]
    for c in Customer.objects.filter(email__endswith="tuonti@example.fi")
    | Customer.objects.filter(surname="Mäkelä")
)))
"""
    ) == [
        ["Heikkinen", "ville.heikkinen.tuonti@example.fi", "import"],
        ["Laine", "eeva.laine.tuonti@example.fi", "import"],
    ]
