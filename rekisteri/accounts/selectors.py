"""Reads of staff accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role


@dataclass(frozen=True)
class StaffRow:
    user: User
    role_labels: list[str | Promise]


def staff_list() -> list[StaffRow]:
    """Every staff account, active or not, with its roles in the order roles.py lists them."""
    users = User.objects.prefetch_related("groups").order_by("username")
    rows = []
    for user in users:
        names = {group.name for group in user.groups.all()}
        rows.append(StaffRow(user=user, role_labels=[role.label for role in Role if role in names]))
    return rows
