"""The main navigation (rekisteri/navigation.py, includes/main_navigation.html): the
same groups of work for every role, each person shown only the links whose pages open
for them, a group of one link drawn as the link, and the page being read marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.navigation import GROUPS
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff

CS, MK, PO, AD, AU = (
    Role.CUSTOMER_SERVICE,
    Role.MARKETING,
    Role.PRIVACY_OFFICER,
    Role.ADMINISTRATOR,
    Role.AUDITOR,
)

# What each role sees, in order: a menu's name and its links, or (None, [link]) for a
# link alone.
Seen = list[tuple[str | None, list[str]]]
SEEN: dict[str, Seen] = {
    CS: [
        ("Customers", ["Customers", "Likely duplicates", "Customer imports"]),
        ("Orders", ["Orders", "Web shop inbox"]),
        (None, ["Requests"]),
    ],
    MK: [("Marketing", ["Target groups", "Campaigns"])],
    PO: [
        ("Customers", ["Customers", "Likely duplicates", "Customer imports"]),
        (None, ["Orders"]),
        ("Marketing", ["Target groups", "Campaigns"]),
        (
            "Privacy",
            [
                "Requests",
                "Waiting for a restriction",
                "Disclosures",
                "Breaches",
                "Retention",
                "Privacy notice",
                "Records of processing",
            ],
        ),
        (None, ["Audit log"]),
    ],
    AD: [
        (None, ["Web shop inbox"]),
        ("Administration", ["Staff", "Integrations", "Credit policy", "Backups"]),
    ],
    AU: [("Privacy", ["Privacy notice", "Records of processing"]), (None, ["Audit log"])],
}


@dataclass
class Item:
    menu: str | None  # the menu button's name; None for a link alone
    links: list[tuple[str, str, str]] = field(default_factory=list)  # text, href, aria-current
    current: str = ""  # the menu button's aria-current


class Navigation(HTMLParser):
    """The main navigation as a person reads it: its top-level items in order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Item] = []
        self.has_menu_button = False
        self.in_navigation = False
        self.in_menu = False
        self.reading: str | None = None  # "summary" or "a"
        self.text = ""
        self.attributes: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "details" and attributes.get("class") == "nav-menu":
            self.has_menu_button = True
        if tag == "nav" and attributes.get("id") == "main-navigation":
            self.in_navigation = True
        if not self.in_navigation:
            return
        if tag == "details":
            self.in_menu = True
        if tag in ("summary", "a"):
            self.reading, self.text, self.attributes = tag, "", attributes

    def handle_data(self, data: str) -> None:
        if self.reading:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_navigation = False
        elif tag == "details":
            self.in_menu = False
        elif tag == "summary" and self.reading == "summary":
            self.items.append(
                Item(self.text.strip(), current=self.attributes.get("aria-current") or "")
            )
        elif tag == "a" and self.reading == "a":
            link = (
                self.text.strip(),
                self.attributes["href"] or "",
                self.attributes.get("aria-current") or "",
            )
            if not self.in_menu:
                self.items.append(Item(None))
            self.items[-1].links.append(link)
        if tag == self.reading:
            self.reading = None


def navigation(client, path: str = "/") -> Navigation:
    response = client.get(path)
    assert response.status_code == 200
    parsed = Navigation()
    parsed.feed(response.content.decode())
    return parsed


def seen(parsed: Navigation) -> Seen:
    return [(item.menu, [text for text, _href, _current in item.links]) for item in parsed.items]


@pytest.mark.django_db
@pytest.mark.parametrize("role", SEEN)
def test_each_role_sees_the_same_groups_with_only_the_links_it_may_open(role):
    client = sign_in(make_staff(role))

    parsed = navigation(client)

    assert seen(parsed) == SEEN[role]
    assert parsed.has_menu_button
    for item in parsed.items:
        for text, href, _current in item.links:
            assert client.get(href).status_code == 200, (text, href)


@pytest.mark.django_db
def test_every_page_in_the_navigation_is_in_some_roles_navigation():
    """No link that no role can see: a page left out of every role's menu is lost."""
    shown = {link for menus in SEEN.values() for _menu, links in menus for link in links}

    assert shown == {str(link.label) for group in GROUPS for link in group.links}


@pytest.mark.django_db
def test_a_person_with_two_roles_finds_each_link_in_its_one_group():
    person = make_staff(PO)
    person.groups.add(Group.objects.get(name=AD))

    parsed = navigation(sign_in(person))

    assert seen(parsed) == [
        ("Customers", ["Customers", "Likely duplicates", "Customer imports"]),
        ("Orders", ["Orders", "Web shop inbox"]),
        ("Marketing", ["Target groups", "Campaigns"]),
        SEEN[PO][3],
        ("Administration", ["Staff", "Integrations", "Credit policy", "Backups", "Audit log"]),
    ]


@pytest.mark.django_db
def test_the_page_being_read_and_its_group_are_marked_current():
    client = sign_in(make_staff(PO))
    customer = make_customer()

    requests = navigation(client, reverse("privacy:requests"))
    under_customers = navigation(
        client, reverse("customers:detail", args=[customer.customer_number])
    )
    start = navigation(client, reverse("home"))

    privacy = next(item for item in requests.items if item.menu == "Privacy")
    assert privacy.current == "true"
    assert privacy.links[0] == ("Requests", reverse("privacy:requests"), "page")
    assert [link for item in requests.items for link in item.links if link[2]] == [privacy.links[0]]
    customers = under_customers.items[0]
    assert (customers.menu, customers.current) == ("Customers", "true")
    assert customers.links[0] == ("Customers", reverse("customers:list"), "true")
    assert not [item for item in start.items if item.current or any(link[2] for link in item.links)]


@pytest.mark.django_db
def test_a_person_with_no_role_in_effect_has_no_navigation():
    parsed = navigation(sign_in(make_staff(None)))

    assert parsed.items == []
    assert not parsed.has_menu_button
