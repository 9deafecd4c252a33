"""Reads of staff accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django_otp.plugins.otp_totp.models import TOTPDevice

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role


@dataclass(frozen=True)
class StaffRow:
    user: User
    role_labels: list[str | Promise]
    two_factor: bool


def staff_list() -> list[StaffRow]:
    """Every staff account, active or not, with its roles in the order roles.py lists them."""
    users = User.objects.prefetch_related("groups").order_by("username")
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    rows = []
    for user in users:
        names = {group.name for group in user.groups.all()}
        labels: list[str | Promise] = [role.label for role in Role if role in names]
        rows.append(StaffRow(user=user, role_labels=labels, two_factor=user.pk in enrolled))
    return rows
