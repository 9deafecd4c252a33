"""The audit trail as the staff-accounts tests read it."""

from __future__ import annotations

from typing import Any

from rekisteri.accounts.models import User
from rekisteri.audit.models import AuditEvent


def audit_trail(*fields: str) -> list[tuple[Any, ...]]:
    """Every audit event in order, as tuples of the given fields."""
    fields = fields or ("action", "actor_user_id", "object_id", "changed_fields")
    return list(AuditEvent.objects.order_by("id").values_list(*fields))


def actions(user: User) -> list[tuple[str, str]]:
    """The action and reason of each audit event of `user`'s account, in order."""
    return list(
        AuditEvent.objects.filter(object_id=str(user.pk))
        .order_by("id")
        .values_list("action", "reason")
    )
