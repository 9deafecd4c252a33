"""How long the records of signing in are kept (security review finding 11): django-axes'
attempts (AccessAttempt, AccessFailureLog) and sign-ins (AccessLog) are deleted when
older than settings.ACCESS_LOG_DAYS, by the nightly retention run
(`rekisteri retention run`, which says beforehand with --dry-run what it would do).
They name the account and the address, so they are personal data of the staff
(GDPR art. 5(1)(e)); the audit trail keeps the sign-ins and refusals themselves."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction

AUDIT_OBJECT_TYPE = "axes.accesslog"


@dataclass(frozen=True)
class AccessLogReport:
    days: int
    cutoff: datetime.datetime
    attempts: int  # AccessAttempt and AccessFailureLog rows
    sign_ins: int  # AccessLog rows
    done: int | None = None  # None in a plan

    @property
    def due(self) -> int:
        return self.attempts + self.sign_ins


def _cutoff(now: datetime.datetime | None) -> tuple[int, datetime.datetime]:
    days = int(settings.ACCESS_LOG_DAYS)
    return days, (now or timezone.now()) - datetime.timedelta(days=days)


def _due(model: type[Model], cutoff: datetime.datetime) -> QuerySet[Model]:
    return model._default_manager.filter(attempt_time__lt=cutoff)


def access_log_plan(*, now: datetime.datetime | None = None) -> AccessLogReport:
    """What the retention run would delete now. Writes nothing."""
    days, cutoff = _cutoff(now)
    return AccessLogReport(
        days=days,
        cutoff=cutoff,
        attempts=_due(AccessAttempt, cutoff).count() + _due(AccessFailureLog, cutoff).count(),
        sign_ins=_due(AccessLog, cutoff).count(),
    )


def access_log_prune(*, actor: Actor, now: datetime.datetime | None = None) -> AccessLogReport:
    """Deletes the records older than settings.ACCESS_LOG_DAYS, audited with the
    counts when there were any."""
    days, cutoff = _cutoff(now)
    with audited_transaction():
        attempts = _due(AccessAttempt, cutoff).delete()[1].get(AccessAttempt._meta.label, 0)
        attempts += _due(AccessFailureLog, cutoff).delete()[1].get(AccessFailureLog._meta.label, 0)
        sign_ins = _due(AccessLog, cutoff).delete()[1].get(AccessLog._meta.label, 0)
        if attempts or sign_ins:
            audit_record(
                actor=actor,
                action=Action.ERASE,
                object_type=AUDIT_OBJECT_TYPE,
                object_id="retention",
                reason=(
                    f"access log before {cutoff.date().isoformat()} ({days} days): "
                    f"{attempts} attempts, {sign_ins} sign-ins"
                ),
            )
    done = attempts + sign_ins
    return AccessLogReport(days, cutoff, attempts, sign_ins, done=done)
