"""Reads of staff accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from rekisteri.accounts.models import Authenticator, RoleGrant, RoleGrantDecision, User
from rekisteri.accounts.roles import CONFIRMED_ROLES, Role
from rekisteri.accounts.services import (
    first_privacy_officer_pending,
    has_chosen_own_password,
    may_decide,
)


@dataclass(frozen=True)
class StaffRow:
    user: User
    role_labels: list[str | Promise]
    two_factor: bool


def staff_list() -> list[StaffRow]:
    """Every staff account, active or not, with its roles in the order roles.py lists them."""
    users = User.objects.prefetch_related("groups").order_by("username")
    enrolled = set(Authenticator.objects.filter(confirmed=True).values_list("user_id", flat=True))
    rows = []
    for user in users:
        names = {group.name for group in user.groups.all()}
        labels: list[str | Promise] = [role.label for role in Role if role in names]
        rows.append(StaffRow(user=user, role_labels=labels, two_factor=user.pk in enrolled))
    return rows


@dataclass(frozen=True)
class GrantRow:
    grant: RoleGrant
    may_decide: bool  # `viewer` may confirm or refuse it
    is_first_privacy_officer: bool  # the administrator confirms it themselves
    has_chosen_own_password: bool  # the person has signed in and changed it


def role_grants_pending(*, viewer: User, user: User | None = None) -> list[GrantRow]:
    """Requested roles awaiting a privacy officer, oldest first (of `user` only, when
    given), with what `viewer` may do about each."""
    grants = RoleGrant.objects.filter(decision=RoleGrantDecision.PENDING)
    if user is not None:
        grants = grants.filter(user=user)
    first = first_privacy_officer_pending()
    return [
        GrantRow(
            grant=grant,
            may_decide=may_decide(user=viewer, grant=grant),
            is_first_privacy_officer=first and not viewer.has_perm("accounts.decide_rolegrant"),
            has_chosen_own_password=has_chosen_own_password(grant.user),
        )
        for grant in grants.select_related("user", "requested_by").order_by("requested_at", "pk")
    ]


def confirmed_role_holders(*, viewer: User) -> list[User]:
    """The active privacy officers and auditors other than `viewer`: a privacy officer
    sets their passwords and resets their two-factor sign-in."""
    return list(
        User.objects.filter(is_active=True, groups__name__in=CONFIRMED_ROLES)
        .exclude(pk=viewer.pk)
        .distinct()
        .order_by("username")
    )
