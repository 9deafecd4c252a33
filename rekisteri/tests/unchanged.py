"""The check that a refused request changed nothing: every row of every table as it was,
but for the audit events that record the refusal (and the bookkeeping of sessions,
sign-in lockout and the portal's rate limit), and no identity code in those events."""

from __future__ import annotations

import re

from django.apps import apps

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.testing.identity_codes import ISSUED

# What a refused request may still write: its audit event (or the count of refusals
# nobody proved who sent, rekisteri/audit/refusals.py), and the bookkeeping of
# sessions, sign-in lockout and the portal's rate limit.
MAY_CHANGE = {
    "audit.auditevent",
    "audit.refusaltally",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "privacy.portalattempt",
}
# Columns that move with any authenticated call, refused or not.
BOOKKEEPING_COLUMNS = {"intake.integration": {"last_used_at"}, "accounts.user": {"last_login"}}
REFUSAL_ACTIONS = {Action.PERMISSION_DENIED, Action.LOGIN_FAILURE}


def database_state() -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table a refused request must leave alone."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in MAY_CHANGE:
            continue
        skipped = BOOKKEEPING_COLUMNS.get(label, set())
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in skipped]
        state[label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


class Unchanged:
    """Remembers the database; `check()` fails unless nothing but the expected number of
    refusals was recorded (forms record none; the API and webhooks audit each one)."""

    def __init__(self) -> None:
        self.state = database_state()
        self.last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    def check(self, *, refusals: int = 0) -> None:
        after = database_state()
        changed = sorted(label for label in after if after[label] != self.state[label])
        assert changed == []
        new_events = list(
            AuditEvent.objects.filter(id__gt=self.last_id or 0).values_list(
                "action", "reason", "object_id"
            )
        )
        assert len(new_events) == refusals
        for action, reason, object_id in new_events:
            assert action in REFUSAL_ACTIONS
            assert_no_identity_code(f"{reason} {object_id}")


def identity_codes_in_play(*submitted: str) -> set[str]:
    codes = set(ISSUED) | {code[:6] + code[7:] for code in ISSUED}
    return codes | {value for value in submitted if len(re.findall("[0-9]", value)) >= 6}


def assert_no_identity_code(text: str, *submitted: str) -> None:
    leaked = sorted(code for code in identity_codes_in_play(*submitted) if code in text)
    assert leaked == []
