"""The breach register (GDPR arts. 33 and 34): its services and selectors.

A personal data breach is recorded when it is detected, and from that moment a
72-hour clock runs to the notification of the Data Protection Ombudsman (art. 33(1)).
The clock stops when the authority has been notified, or when the privacy officer
decides, with a reason, that the breach is unlikely to result in a risk and is not
notified. A notification later than 72 hours needs the reasons for the delay.

When the breach is likely to result in a high risk, the people affected are told
(art. 34): they are listed by customer number, and a background task
(`breaches.tasks.send_breach_notices`, sending in `breaches.sending`) emails each the
notice, saving the outcome per recipient. Audit reasons carry counts and decisions,
never personal data."""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import Customer
from rekisteri.privacy.breaches.sending import unclaimed_notices
from rekisteri.privacy.breaches.tasks import send_breach_notices
from rekisteri.privacy.models import Breach, BreachDecision, BreachNoticeStatus, BreachSubject
from rekisteri.reasons import REASON_MIN_LENGTH, reason_too_short
from rekisteri.versioning import version_bump, version_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

NOTIFICATION_PERIOD = datetime.timedelta(hours=72)
# The privacy officers are reminded when less than this is left, or the time is up...
REMIND_WHEN_LEFT = datetime.timedelta(hours=24)
# ...and again at most this often, while the clock runs.
REMIND_EVERY = datetime.timedelta(hours=6)
SUMMARY_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000
REFERENCE_MAX_LENGTH = 100
SUBJECTS_MAX_PER_ADD = 10_000
CUSTOMER_NUMBER_MAX = 2**63 - 1
UNKNOWN_NUMBERS_SHOWN = 20
LOOKUP_CHUNK = 500
# A notice claimed by a sender and not saved this long after is taken as lost with its
# sender (a worker that died) and is queued again by the next send. A batch takes at
# most `breaches.sending.SEND_BATCH` times the SMTP timeout (30 s by default) to send.
CLAIM_TIMEOUT = datetime.timedelta(hours=1)


class DataCategory(models.TextChoices):
    """The kinds of personal data Rekisteri holds, as a breach names them."""

    NAMES = "names", _("Names")
    CONTACT_DETAILS = "contact_details", _("Contact details (address, phone, email)")
    IDENTITY_CODES = "identity_codes", _("Personal identity codes")
    ORDER_HISTORY = "order_history", _("Order history (orders, deliveries, returns)")
    CREDIT_DATA = "credit_data", _("Credit data (credit checks and decisions)")
    MARKETING_CHOICES = "marketing_choices", _("Marketing choices (consents and bans)")
    ONLINE_IDENTIFIERS = "online_identifiers", _("Online identifiers (IP addresses)")
    STAFF_ACCOUNTS = "staff_accounts", _("Staff accounts")


# The 72-hour clock --------------------------------------------------------------------


def _utc(moment: datetime.datetime) -> datetime.datetime:
    # Python adds to and subtracts aware times of one zone by the wall clock: in UTC,
    # the wall clock is the real one, and a daylight saving change counts right.
    return moment.astimezone(datetime.UTC)


def notification_deadline(breach: Breach) -> datetime.datetime:
    """72 hours from the detection (art. 33(1)), in real hours (UTC)."""
    return _utc(breach.detected_at) + NOTIFICATION_PERIOD


def hours_left(breach: Breach, now: datetime.datetime | None = None) -> float:
    """Hours to the deadline of the notification; negative once it has passed."""
    now = now or timezone.now()
    return (notification_deadline(breach) - _utc(now)).total_seconds() / 3600


def clock_running(breach: Breach) -> bool:
    """The clock runs until the authority is notified or it is decided not to notify."""
    return breach.authority_notified_at is None and breach.decision != BreachDecision.NOT_NOTIFY


@dataclass(frozen=True)
class BreachClock:
    deadline: datetime.datetime
    running: bool
    hours_left: float
    # How late the authority was notified, in whole hours begun; 0 when on time.
    hours_late: int

    @property
    def overdue(self) -> bool:
        return self.running and self.hours_left < 0

    @property
    def urgent(self) -> bool:
        """Running with less than a day left, or overdue: what the reminders are about."""
        return self.running and self.hours_left * 3600 < REMIND_WHEN_LEFT.total_seconds()

    @property
    def whole_hours_left(self) -> int:
        return max(math.floor(self.hours_left), 0)

    @property
    def hours_overdue(self) -> int:
        """Whole hours begun since the deadline: 10 minutes over is "overdue by 1 h"."""
        return max(math.ceil(-self.hours_left), 0)


def breach_clock(breach: Breach, *, now: datetime.datetime | None = None) -> BreachClock:
    deadline = notification_deadline(breach)
    late = 0
    if breach.authority_notified_at is not None and breach.authority_notified_at > deadline:
        late = math.ceil((_utc(breach.authority_notified_at) - deadline).total_seconds() / 3600)
    return BreachClock(deadline, clock_running(breach), hours_left(breach, now), late)


# Selectors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachRow:
    breach: Breach
    clock: BreachClock


def breach_register(*, now: datetime.datetime | None = None) -> list[BreachRow]:
    """Every breach: first those whose clock runs, the nearest deadline first; then
    the others, the latest detected first."""
    now = now or timezone.now()
    rows = [
        BreachRow(breach, breach_clock(breach, now=now))
        for breach in Breach.objects.select_related("decided_by").order_by("-detected_at", "-pk")
    ]
    running = sorted((row for row in rows if row.clock.running), key=lambda row: row.clock.deadline)
    return running + [row for row in rows if not row.clock.running]


def breach_get(*, public_id: str) -> Breach | None:
    return (
        Breach.objects.select_related("recorded_by", "decided_by")
        .filter(public_id=public_id)
        .first()
    )


def data_category_labels(breach: Breach) -> list[StrOrPromise]:
    return [label for value, label in DataCategory.choices if value in breach.data_categories]


def breach_subjects(breach: Breach) -> QuerySet[BreachSubject]:
    """The people affected, by customer number only: listing them reads no one's
    personal data."""
    return (
        BreachSubject.objects.filter(breach=breach)
        .select_related("customer")
        .only("notice_status", "notified_at", "detail", "added_at", "customer__customer_number")
        .order_by("customer__customer_number")
    )


def breach_notice_counts(breach: Breach) -> dict[str, int]:
    """How many of the people affected are in each notice status, and in all."""
    counts = dict.fromkeys(BreachNoticeStatus.values, 0)
    rows = (
        BreachSubject.objects.filter(breach=breach)
        .values("notice_status")
        .annotate(count=Count("pk"))
        .values_list("notice_status", "count")
    )
    counts.update(dict(rows))
    counts["total"] = sum(counts[status] for status in BreachNoticeStatus.values)
    return counts


def sending_begun(breach: Breach) -> bool:
    """Whether a notice of the breach has been sent or tried: its text is then fixed."""
    return (
        BreachSubject.objects.filter(breach=breach)
        .exclude(notice_status=BreachNoticeStatus.PENDING, notified_at__isnull=True)
        .exists()
    )


# Recording and updating ---------------------------------------------------------------


def _clean_facts(
    *,
    detected_at: datetime.datetime,
    occurred_at: datetime.datetime | None,
    summary: str,
    description: str,
    data_categories: Sequence[str],
    people_affected: int | None,
    records_affected: int | None,
    likely_consequences: str,
    measures_taken: str,
) -> dict[str, Any]:
    """The facts of a breach (art. 33(3)) as stored, or a ValidationError naming every
    field in error."""
    errors: dict[str, list[StrOrPromise]] = {}
    now = timezone.now()
    if detected_at > now:
        errors["detected_at"] = [_("The time of detection cannot be in the future.")]
    if occurred_at is not None and occurred_at > detected_at:
        errors["occurred_at"] = [_("The breach cannot have occurred after it was detected.")]
    summary = " ".join(summary.split())
    if not summary:
        errors["summary"] = [_("Write a one-line summary of what happened.")]
    elif len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = [_("Write at most %(max)d characters.") % {"max": SUMMARY_MAX_LENGTH}]
    texts = {
        "description": description.strip(),
        "likely_consequences": likely_consequences.strip(),
        "measures_taken": measures_taken.strip(),
    }
    if not texts["description"]:
        errors["description"] = [_("Describe what happened.")]
    for name, text in texts.items():
        if len(text) > TEXT_MAX_LENGTH:
            errors[name] = [_("Write at most %(max)d characters.") % {"max": TEXT_MAX_LENGTH}]
    unknown = set(data_categories) - set(DataCategory.values)
    if unknown:
        errors["data_categories"] = [_("Choose the categories from the list.")]
    for name, number in (
        ("people_affected", people_affected),
        ("records_affected", records_affected),
    ):
        if number is not None and number < 0:
            errors[name] = [_("Give a number of zero or more, or leave it empty if not known.")]
    if errors:
        raise ValidationError(errors)
    return {
        "detected_at": detected_at,
        "occurred_at": occurred_at,
        "summary": summary,
        # In the list's order, each once.
        "data_categories": [value for value in DataCategory.values if value in data_categories],
        "people_affected": people_affected,
        "records_affected": records_affected,
        **texts,
    }


def _save(breach: Breach) -> None:
    # An unknown number is None (art. 33(3)(a) asks for it "where possible"), which
    # the model's fields, without blank=True, would refuse.
    breach.full_clean(exclude=["people_affected", "records_affected"])
    breach.save()


def breach_record(
    *,
    actor: Actor,
    detected_at: datetime.datetime,
    occurred_at: datetime.datetime | None,
    summary: str,
    description: str,
    data_categories: Sequence[str],
    people_affected: int | None,
    records_affected: int | None,
    likely_consequences: str,
    measures_taken: str,
) -> Breach:
    """Records a breach; its 72-hour clock runs from `detected_at`. Unknown numbers of
    people and records are None."""
    facts = _clean_facts(
        detected_at=detected_at,
        occurred_at=occurred_at,
        summary=summary,
        description=description,
        data_categories=data_categories,
        people_affected=people_affected,
        records_affected=records_affected,
        likely_consequences=likely_consequences,
        measures_taken=measures_taken,
    )
    with audited_transaction():
        breach = Breach(**facts, recorded_at=timezone.now(), recorded_by=actor.user)
        _save(breach)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=breach,
            changed_fields=[name for name, value in facts.items() if value not in (None, "", [])],
            reason="breach recorded",
        )
    return breach


def _locked(breach: Breach, version: int | None) -> Breach:
    current = Breach.objects.select_for_update().get(pk=breach.pk)
    version_check(current, version)
    return current


def _same_minute(given: datetime.datetime | None, stored: datetime.datetime | None) -> bool:
    # The forms show times to the minute: a time given back unchanged keeps its seconds.
    if given is None or stored is None:
        return given is stored
    return given.replace(second=0, microsecond=0) == stored.replace(second=0, microsecond=0)


def breach_update(
    *,
    actor: Actor,
    breach: Breach,
    version: int | None,
    detected_at: datetime.datetime,
    occurred_at: datetime.datetime | None,
    summary: str,
    description: str,
    data_categories: Sequence[str],
    people_affected: int | None,
    records_affected: int | None,
    likely_consequences: str,
    measures_taken: str,
) -> Breach:
    """Corrects or completes the facts of a breach as more is learnt (art. 33(4)).
    The time of detection, which the clock runs from, is fixed once the authority has
    been notified."""
    with audited_transaction():
        current = _locked(breach, version)
        if _same_minute(detected_at, current.detected_at):
            detected_at = current.detected_at
        if _same_minute(occurred_at, current.occurred_at):
            occurred_at = current.occurred_at
        facts = _clean_facts(
            detected_at=detected_at,
            occurred_at=occurred_at,
            summary=summary,
            description=description,
            data_categories=data_categories,
            people_affected=people_affected,
            records_affected=records_affected,
            likely_consequences=likely_consequences,
            measures_taken=measures_taken,
        )
        if current.authority_notified_at is not None and detected_at != current.detected_at:
            raise ValidationError(
                {
                    "detected_at": [
                        _("The authority has been notified: the time of detection is fixed.")
                    ]
                }
            )
        changed = [name for name, value in facts.items() if getattr(current, name) != value]
        for name, value in facts.items():
            setattr(current, name, value)
        version_bump(current)
        _save(current)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=changed,
            reason="breach updated",
        )
    return current


# The decision and the notification of the authority -----------------------------------


def breach_decide(
    *, actor: Actor, breach: Breach, decision: str, reason: str, version: int | None
) -> Breach:
    """Records whether the authority is notified, why, by whom and when (art. 33(5)).
    A decision not to notify stops the clock. The decision can be changed until the
    authority has been notified."""
    errors: dict[str, list[StrOrPromise]] = {}
    if decision not in (BreachDecision.NOTIFY, BreachDecision.NOT_NOTIFY):
        errors["decision"] = [_("Choose whether the authority is notified.")]
    if reason_too_short(reason):
        errors["reason"] = [
            _("Give the reason for the decision (at least %(min)d characters).")
            % {"min": REASON_MIN_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        current = _locked(breach, version)
        if current.authority_notified_at is not None:
            raise ValidationError(_("The authority has already been notified."))
        current.decision = decision
        current.decision_reason = reason.strip()
        current.decided_at = timezone.now()
        current.decided_by = actor.user
        version_bump(current)
        _save(current)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=["decision", "decision_reason", "decided_at", "decided_by"],
            reason=f"decision: {decision}",
        )
    return current


def breach_authority_notified(
    *,
    actor: Actor,
    breach: Breach,
    notified_at: datetime.datetime,
    reference: str,
    late_reason: str,
    version: int | None,
) -> Breach:
    """Records the notification of the Data Protection Ombudsman, which stops the
    clock. Later than 72 hours from the detection, the reasons for the delay are
    required (art. 33(1))."""
    with audited_transaction():
        current = _locked(breach, version)
        if current.authority_notified_at is not None:
            raise ValidationError(_("The notification of the authority is already recorded."))
        if current.decision != BreachDecision.NOTIFY:
            raise ValidationError(_("Record the decision to notify the authority first."))
        errors: dict[str, list[StrOrPromise]] = {}
        if notified_at > timezone.now():
            errors["notified_at"] = [_("The time of the notification cannot be in the future.")]
        elif notified_at < current.detected_at:
            errors["notified_at"] = [
                _("The authority cannot have been notified before the breach was detected.")
            ]
        if len(reference.strip()) > REFERENCE_MAX_LENGTH:
            errors["reference"] = [
                _("Write at most %(max)d characters.") % {"max": REFERENCE_MAX_LENGTH}
            ]
        late = notified_at > notification_deadline(current)
        if late and reason_too_short(late_reason):
            errors["late_reason"] = [
                _(
                    "The notification is later than 72 hours from the detection: give the "
                    "reasons for the delay (at least %(min)d characters)."
                )
                % {"min": REASON_MIN_LENGTH}
            ]
        if errors:
            raise ValidationError(errors)
        current.authority_notified_at = notified_at
        current.authority_reference = reference.strip()
        current.late_notification_reason = late_reason.strip() if late else ""
        version_bump(current)
        _save(current)
        hours_late = breach_clock(current).hours_late
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=[
                "authority_notified_at",
                "authority_reference",
                *(["late_notification_reason"] if late else []),
            ],
            reason=(
                f"authority notified {hours_late} h after the 72-hour deadline"
                if late
                else "authority notified within 72 hours"
            ),
        )
    return current


# The people affected and their notice (art. 34) ---------------------------------------


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def breach_subjects_add(*, actor: Actor, breach: Breach, customer_numbers: list[int]) -> int:
    """Adds the customers with these numbers to the people affected and returns how
    many were new: those already listed are left as they are. When a number is
    unknown no one is added, and the error names the unknown numbers."""
    numbers = sorted(set(customer_numbers))
    if not numbers:
        raise ValidationError({"customer_numbers": [_("Give at least one customer number.")]})
    if len(numbers) > SUBJECTS_MAX_PER_ADD:
        raise ValidationError(
            {
                "customer_numbers": [
                    _("Give at most %(max)d customer numbers at a time.")
                    % {"max": SUBJECTS_MAX_PER_ADD}
                ]
            }
        )
    found: dict[int, int] = {}
    in_range = [number for number in numbers if 0 < number <= CUSTOMER_NUMBER_MAX]
    for chunk in _chunks(in_range, LOOKUP_CHUNK):
        found.update(
            Customer.objects.filter(customer_number__in=chunk).values_list("customer_number", "pk")
        )
    unknown = [number for number in numbers if number not in found]
    if unknown:
        shown = ", ".join(str(number) for number in unknown[:UNKNOWN_NUMBERS_SHOWN])
        if len(unknown) > UNKNOWN_NUMBERS_SHOWN:
            shown += " …"
        raise ValidationError(
            {
                "customer_numbers": [
                    _("No customer has these numbers: %(numbers)s. No one was added.")
                    % {"numbers": shown}
                ]
            }
        )
    with audited_transaction():
        # Locked so that two additions to one breach count their new people right.
        current = Breach.objects.select_for_update().get(pk=breach.pk)
        customer_ids = sorted(found.values())
        listed: set[int] = set()
        for chunk in _chunks(customer_ids, LOOKUP_CHUNK):
            listed.update(
                BreachSubject.objects.filter(breach=current, customer_id__in=chunk).values_list(
                    "customer_id", flat=True
                )
            )
        now = timezone.now()
        new = [
            BreachSubject(breach=current, customer_id=customer_id, added_at=now)
            for customer_id in customer_ids
            if customer_id not in listed
        ]
        BreachSubject.objects.bulk_create(new, batch_size=LOOKUP_CHUNK)
        if new:
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=current,
                changed_fields=["subjects"],
                reason=f"people affected added: {len(new)}",
            )
    return len(new)


def breach_notice_update(
    *,
    actor: Actor,
    breach: Breach,
    people_must_be_told: bool,
    notice_subject: str,
    notice_body: str,
    version: int | None,
) -> Breach:
    """Whether the people affected must be told (art. 34(1): the breach is likely to
    result in a high risk to them), and the notice they are sent. Once sending has
    begun the notice is fixed: it is the record of what people were told."""
    subject = notice_subject.strip()
    errors: dict[str, list[StrOrPromise]] = {}
    if "\n" in subject or "\r" in subject:
        errors["notice_subject"] = [_("Write the subject on one line.")]
    elif len(subject) > SUMMARY_MAX_LENGTH:
        errors["notice_subject"] = [
            _("Write at most %(max)d characters.") % {"max": SUMMARY_MAX_LENGTH}
        ]
    if len(notice_body.strip()) > TEXT_MAX_LENGTH:
        errors["notice_body"] = [_("Write at most %(max)d characters.") % {"max": TEXT_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        current = _locked(breach, version)
        if sending_begun(current):
            raise ValidationError(_("Sending has begun: the notice can no longer be changed."))
        values = {
            "people_must_be_told": people_must_be_told,
            "notice_subject": subject,
            "notice_body": notice_body.strip(),
        }
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        current.people_must_be_told = people_must_be_told
        current.notice_subject = subject
        current.notice_body = notice_body.strip()
        version_bump(current)
        _save(current)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=changed,
            reason=(
                "notice saved: the people affected must be told"
                if people_must_be_told
                else "notice saved: the people affected are not told"
            ),
        )
    return current


def _claimed(breach: Breach) -> QuerySet[BreachSubject]:
    return BreachSubject.objects.filter(
        breach=breach, notice_status=BreachNoticeStatus.PENDING, notified_at__isnull=False
    )


def breach_notices_send(*, actor: Actor, breach: Breach) -> int:
    """Queues the notice for the background sender: to everyone not yet told, and
    again to those whose notice failed. Returns how many are queued."""
    with audited_transaction():
        current = Breach.objects.select_for_update().get(pk=breach.pk)
        if not current.people_must_be_told:
            raise ValidationError(
                _("First record that the people affected must be told, with the notice.")
            )
        if not current.notice_subject or not current.notice_body:
            raise ValidationError(_("Write the notice's subject and text first."))
        BreachSubject.objects.filter(
            breach=current, notice_status=BreachNoticeStatus.FAILED
        ).update(notice_status=BreachNoticeStatus.PENDING, notified_at=None, detail="")
        _claimed(current).filter(notified_at__lt=timezone.now() - CLAIM_TIMEOUT).update(
            notified_at=None
        )
        queued = unclaimed_notices(current).count()
        if not queued:
            raise ValidationError(_("No one listed is waiting for the notice."))
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=["subjects"],
            reason=f"breach notices queued: {queued}",
        )
        breach_id = current.pk
        transaction.on_commit(lambda: send_breach_notices.enqueue(breach_id))
    return queued


# Reminders ----------------------------------------------------------------------------


def breaches_to_remind(*, now: datetime.datetime) -> list[Breach]:
    """Breaches whose clock runs with less than 24 hours left or overdue, not reminded
    within the last 6 hours."""
    return list(
        Breach.objects.filter(authority_notified_at__isnull=True)
        .exclude(decision=BreachDecision.NOT_NOTIFY)
        .filter(detected_at__lt=now - (NOTIFICATION_PERIOD - REMIND_WHEN_LEFT))
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_EVERY))
        .order_by("detected_at", "pk")
    )


def breaches_remind(*, now: datetime.datetime | None = None) -> int:
    """Emails the privacy officers every breach whose 72-hour clock runs with less
    than 24 hours left or overdue, at most once in 6 hours per breach (a scheduled
    job runs it hourly); returns how many breaches were in the reminder."""
    now = now or timezone.now()
    due = breaches_to_remind(now=now)
    if not due:
        return 0
    officers = list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    if officers:
        with translation.override("fi"):
            body = render_to_string(
                "privacy/email/breach_reminder.txt",
                {
                    "rows": [BreachRow(breach, breach_clock(breach, now=now)) for breach in due],
                    "public_url": settings.PUBLIC_URL,
                },
            )
            subject = str(_("Personal data breaches: notify the authority within 72 hours"))
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, officers)
    else:
        logger.warning("breach reminder: no active privacy officer has an email address")
    with audited_transaction():
        Breach.objects.filter(pk__in=[breach.pk for breach in due]).update(reminded_at=now)
        for breach in due:
            audit_record(
                actor=Actor.system("breach reminder"),
                action=Action.UPDATE,
                obj=breach,
                changed_fields=["reminded_at"],
                reason=f"72-hour reminder sent to {len(officers)} privacy officers",
            )
    return len(due)
