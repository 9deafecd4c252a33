"""The staff's main navigation (templates/includes/main_navigation.html): the same
groups of work for every role, each link shown to those whose permission opens its
page, so that a person sees only what they may use and finds it where a colleague in
another role would.

A group with one link for a person is drawn as that link: a menu of one is a click for
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PermissionHolder(Protocol):
    def has_perm(self, perm: str, obj: None = None) -> bool: ...


@dataclass(frozen=True)
class Link:
    url_name: str
    label: StrOrPromise
    permission: str  # the one the page's view checks


@dataclass(frozen=True)
class Group:
    label: StrOrPromise
    links: tuple[Link, ...]


GROUPS = (
    Group(
        _("Customers"),
        (
            Link("customers:list", _("Customers"), "customers.view_customer"),
            Link("customers:duplicates", _("Likely duplicates"), "customers.change_customer"),
            Link("imports:list", _("Customer imports"), "customers.add_customer"),
        ),
    ),
    Group(
        _("Orders"),
        (
            Link("orders:list", _("Orders"), "orders.view_order"),
            Link("intake:attention_list", _("Web shop inbox"), "intake.handle_deliveries"),
        ),
    ),
    Group(
        _("Marketing"),
        (
            Link("marketing:list", _("Target groups"), "marketing.view_targetgroup"),
            Link("marketing:campaigns", _("Campaigns"), "marketing.view_campaign"),
        ),
    ),
    Group(
        _("Privacy"),
        (
            Link("privacy:requests", _("Requests"), "privacy.view_subjectrequest"),
            Link("privacy:held_changes", _("Waiting for a restriction"), "privacy.erase_customer"),
            Link("privacy:disclosures", _("Disclosures"), "privacy.view_disclosure"),
            Link("privacy:breaches", _("Breaches"), "privacy.view_breach"),
            Link("privacy:retention", _("Retention"), "privacy.view_retentionpolicy"),
            Link(
                "privacy:notice_versions", _("Privacy notice"), "privacy.view_registerdescription"
            ),
            Link("privacy:records", _("Records of processing"), "privacy.view_registerdescription"),
        ),
    ),
    Group(
        _("Administration"),
        (
            Link("accounts:staff_list", _("Staff"), "accounts.manage_staff"),
            Link("intake:integration_list", _("Integrations"), "intake.manage_integrations"),
            Link("credit:policy", _("Credit policy"), "credit.change_creditpolicy"),
            Link("backups:status", _("Backups"), "backups.view_backuprun"),
            Link("audit:log", _("Audit log"), "audit.view_auditevent"),
        ),
    ),
)


@dataclass(frozen=True)
class ShownLink:
    label: StrOrPromise
    href: str
    # aria-current: "page" on the link's own page, "true" on a page under it (a
    # customer under Customers), "" elsewhere.
    current: str = ""


@dataclass(frozen=True)
class ShownGroup:
    label: StrOrPromise
    links: tuple[ShownLink, ...]

    @property
    def is_menu(self) -> bool:
        return len(self.links) > 1

    @property
    def is_current(self) -> bool:
        return any(link.current for link in self.links)


def navigation_for(user: PermissionHolder, path: str) -> list[ShownGroup]:
    """The groups and links `user` may use, in GROUPS' order, without the empty groups;
    the link whose address is the longest start of `path` marked current."""
    permitted: list[tuple[StrOrPromise, list[tuple[StrOrPromise, str]]]] = []
    for group in GROUPS:
        links = [
            (link.label, reverse(link.url_name))
            for link in group.links
            if user.has_perm(link.permission)
        ]
        if links:
            permitted.append((group.label, links))
    hrefs = [href for _group, links in permitted for _label, href in links]
    current = max((href for href in hrefs if path.startswith(href)), key=len, default=None)
    return [
        ShownGroup(
            group,
            tuple(
                ShownLink(label, href, _aria_current(href, current, path)) for label, href in links
            ),
        )
        for group, links in permitted
    ]


def _aria_current(href: str, current: str | None, path: str) -> str:
    if href != current:
        return ""
    return "page" if href == path else "true"
