"""Retention: how long each category of personal data is kept, and what is done with
it after that (GDPR art. 5(1)(e)). The privacy officer sets the period of each category
(`RetentionPolicy`); `retention_plan` says what each policy would do now and why,
`retention_run` does it, in batches, each batch one audited transaction.

Periods are counted in whole months back from today (a Helsinki date) to a cut-off
date: what happened before the cut-off's first moment is past its period. Orders are
vouchers, kept from the end of their financial year (the calendar year), so their
cut-off is the first of January of the year the months lead back to. A customer with a
legal hold is left alone by every policy. See docs/retention.md."""

from __future__ import annotations

import calendar
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import (
    Actor,
    audit_event_build,
    audit_record,
    audit_records_insert,
    audited_transaction,
)
from rekisteri.audit.subject_keys import SubjectKeys
from rekisteri.consents.models import BANNING_KINDS, ConsentEvent, EventKind
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import Customer, Status
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.marketing.models import CampaignMessage, CampaignStatus
from rekisteri.orders.models import Order, OrderStatus, PaymentMethod
from rekisteri.privacy.erasure.services import (
    CUSTOMER_ERASED_FIELDS,
    DELIVERY_PURGED_FIELDS,
    ORDER_MINIMISED_FIELDS,
    ORDER_RECIPIENT,
    customers_anonymise,
    deliveries_purge,
    orders_minimise,
)
from rekisteri.privacy.models import RetentionCategory, RetentionPolicy
from rekisteri.privacy.retention.holds import legal_holds_active

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)
# The Accounting Act (1336/1997) 2:10 §: vouchers are kept six years from the end of
# the year in which the financial year ended.
ACCOUNTING_MINIMUM_MONTHS = 72
# A shop's delivery is kept whole only to look into what the shop sent (a mistake in
# the shop's data, a dispute over an order) while that can still come up; the order
# made of it is kept on its own.
DELIVERY_MAXIMUM_MONTHS = 12
MONTHS_MIN, MONTHS_MAX = 1, 600
BATCH_SIZE = 200
AUDIT_OBJECT_TYPE = "privacy.retentionpolicy"


# Cut-off dates ----------------------------------------------------------------------


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` earlier; the month's last day when it has no
    such day (31 May - 3 months = 28 or 29 February)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(*, category: str, months: int, today: datetime.date) -> datetime.date:
    """The first day whose data is still kept: anything from before it is past its
    period. An order is kept `months` from the end of the calendar year it was placed
    in, so every order placed before the first of January of the year `months` back
    from today is past."""
    earliest = months_before(today, months)
    if category == RetentionCategory.ORDERS:
        return datetime.date(earliest.year, 1, 1)
    return earliest


def _first_moment(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in Helsinki, as the data's times are compared."""
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


# Candidates: everything past its period, legal holds included -----------------------


def inactive_customers_due(*, cutoff: datetime.date) -> QuerySet[Customer]:
    """Active or restricted customers with no order, no consent event and no other
    recorded activity since the cut-off."""
    moment = _first_moment(cutoff)
    recent_orders = Order.objects.filter(customer=OuterRef("pk"), placed_at__gte=moment)
    recent_consents = ConsentEvent.objects.filter(customer=OuterRef("pk"), occurred_at__gte=moment)
    return Customer.objects.filter(
        ~Exists(recent_orders),
        ~Exists(recent_consents),
        status__in=[Status.ACTIVE, Status.RESTRICTED],
        last_activity_at__lt=moment,
    )


def orders_due(*, cutoff: datetime.date) -> QuerySet[Order]:
    """Orders placed before the cut-off not yet minimised: a minimised order's recipient
    is "Asiakas <customer number>" and its address and notes are empty
    (`erasure.orders_minimise`)."""
    customer_number = Cast("customer__customer_number", output_field=CharField())
    return (
        Order.objects.filter(placed_at__lt=_first_moment(cutoff))
        .annotate(minimised_recipient=Concat(Value(f"{ORDER_RECIPIENT} "), customer_number))
        .exclude(
            delivery_name=F("minimised_recipient"),
            delivery_street_address="",
            delivery_postal_code="",
            delivery_post_office="",
            notes="",
        )
    )


def consent_evidence_due(*, cutoff: datetime.date) -> QuerySet[ConsentEvent]:
    """Events still holding evidence (an IP address or a user agent) of a consent that
    ended before the cut-off and has not been given again: the latest event of their
    channel is a withdrawal from before the cut-off, or the customer's direct marketing
    ban (or objection) from before the cut-off is in force and came after them."""
    moment = _first_moment(cutoff)
    # For a ban event (channel ""), its "channel" is the ban's own line of events.
    of_channel = ConsentEvent.objects.filter(
        customer=OuterRef("customer"), channel=OuterRef("channel")
    ).order_by("-pk")
    of_ban = ConsentEvent.objects.filter(customer=OuterRef("customer"), channel="").order_by("-pk")
    return (
        ConsentEvent.objects.filter(Q(ip_address__isnull=False) | ~Q(user_agent=""))
        .annotate(
            channel_last_kind=Subquery(of_channel.values("kind")[:1]),
            channel_last_at=Subquery(of_channel.values("occurred_at")[:1]),
            ban_last_pk=Subquery(of_ban.values("pk")[:1]),
            ban_last_kind=Subquery(of_ban.values("kind")[:1]),
            ban_last_at=Subquery(of_ban.values("occurred_at")[:1]),
        )
        .filter(
            Q(channel_last_kind=EventKind.WITHDRAWAL, channel_last_at__lt=moment)
            | Q(
                ban_last_kind__in=BANNING_KINDS,
                ban_last_at__lt=moment,
                pk__lte=F("ban_last_pk"),
            )
        )
    )


def credit_checks_due(*, cutoff: datetime.date) -> QuerySet[CreditCheck]:
    """Credit checks made before the cut-off that still hold the bureau's details."""
    return CreditCheck.objects.filter(
        ~Q(provider_reference="")
        | ~Q(classification_code="")
        | Q(default_count__isnull=False)
        | ~Q(override_reason=""),
        checked_at__lt=_first_moment(cutoff),
    )


def campaign_messages_due(*, cutoff: datetime.date) -> QuerySet[CampaignMessage]:
    """The per-recipient log of campaigns whose sending finished before the cut-off."""
    return CampaignMessage.objects.filter(
        campaign__status__in=[CampaignStatus.SENT, CampaignStatus.FAILED],
        campaign__finished_at__lt=_first_moment(cutoff),
    )


# A delivery in any other state (waiting, needs attention) still needs its body.
FINISHED_DELIVERY_STATES = (
    DeliveryState.DONE,
    DeliveryState.DISCARDED,
    DeliveryState.TEST,
    DeliveryState.IGNORED,
)


def shop_deliveries_due(*, cutoff: datetime.date) -> QuerySet[InboxDelivery]:
    """Deliveries from the shops, finished (an order made of them, discarded, a test
    notification or not an order) before the cut-off, whose body is not purged yet."""
    return InboxDelivery.objects.filter(
        state__in=FINISHED_DELIVERY_STATES,
        processed_at__lt=_first_moment(cutoff),
        purged_at__isnull=True,
    )


def identity_codes_due(*, cutoff: datetime.date) -> QuerySet[Customer]:
    """Customers holding an identity code that no sale on credit needs any more (P8):
    none of their invoice orders is open (neither paid nor cancelled) and none was
    paid or cancelled since the cut-off. A code with no invoice order behind it at all
    was stored with no need, and goes once the customer was added before the cut-off."""
    moment = _first_moment(cutoff)
    invoices = Order.objects.filter(customer=OuterRef("pk"), payment_method=PaymentMethod.INVOICE)
    still_open = invoices.filter(settled_at__isnull=True).exclude(status=OrderStatus.CANCELLED)
    closed_since = invoices.filter(
        Q(settled_at__gte=moment) | Q(status=OrderStatus.CANCELLED, updated_at__gte=moment)
    )
    return (
        Customer.objects.exclude(identity_code_encrypted="")
        .exclude(status=Status.ANONYMISED)
        .filter(~Exists(still_open), ~Exists(closed_since))
        .filter(Exists(invoices) | Q(created_at__lt=moment))
    )


def audit_events_due(*, cutoff: datetime.date) -> QuerySet[AuditEvent]:
    """Audit events recorded before the cut-off. Only reported: see docs/retention.md."""
    return AuditEvent.objects.filter(occurred_at__lt=_first_moment(cutoff))


def _on_hold(customer_path: str | tuple[str, ...]) -> Exists:
    """Whether the candidate's customer (any of them, when it has several paths) has a
    legal hold in force, as a query."""
    paths = (customer_path,) if isinstance(customer_path, str) else customer_path
    of_customer = Q()
    for path in paths:
        of_customer |= Q(customer=OuterRef(path))
    return Exists(legal_holds_active().filter(of_customer))


# What is done -----------------------------------------------------------------------


def _customers_anonymise(actor: Actor, pks: list[int], reason: str) -> int:
    done = customers_anonymise(
        actor=actor, customers=Customer.objects.filter(pk__in=pks).only("pk"), reason=reason
    )
    for pk in sorted(done.refused):
        # Refused (the reason happens to contain one of the customer's names, say): the
        # customer is left as it was, the batch goes on; a person erases this one. By id
        # only: the refusal's message may tell something of the person.
        logger.warning("retention could not anonymise customer id %s", pk)
    return len(done.anonymised)


def _orders_minimise(actor: Actor, pks: list[int], reason: str) -> int:
    return orders_minimise(actor=actor, orders=Order.objects.filter(pk__in=pks).order_by("pk"))


def _consent_evidence_clear(actor: Actor, pks: list[int], reason: str) -> int:
    return ConsentEvent.objects.filter(pk__in=pks).update(ip_address=None, user_agent="")


CREDIT_DETAILS = ("classification_code", "default_count", "override_reason", "provider_reference")


def _credit_details_clear(actor: Actor, pks: list[int], reason: str) -> int:
    return CreditCheck.objects.filter(pk__in=pks).update(
        classification_code="", default_count=None, override_reason="", provider_reference=""
    )


def _campaign_messages_delete(actor: Actor, pks: list[int], reason: str) -> int:
    deleted, _by_model = CampaignMessage.objects.filter(pk__in=pks).delete()
    return deleted


def _shop_deliveries_purge(actor: Actor, pks: list[int], reason: str) -> int:
    return deliveries_purge(InboxDelivery.objects.filter(pk__in=pks))


def _identity_codes_remove(actor: Actor, pks: list[int], reason: str) -> int:
    """Removes the codes, with an event on each customer's own trail: the customer's
    history shows when and why their code went (the run's event only counts them)."""
    customers = list(
        Customer.objects.select_for_update()
        .filter(pk__in=pks)
        .exclude(identity_code_encrypted="")
        .only("pk")
    )
    if not customers:
        return 0
    Customer.objects.filter(pk__in=[customer.pk for customer in customers]).update(
        identity_code_encrypted="",
        identity_code_index="",
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    keys = SubjectKeys().load(customer.pk for customer in customers)
    return audit_records_insert(
        audit_event_build(
            actor=actor,
            action=Action.UPDATE,
            obj=customer,
            customer=customer,
            changed_fields=["identity_code"],
            reason=reason,
            keys=keys,
        )
        for customer in customers
    )


@dataclass(frozen=True)
class Rule:
    """How one category is found and handled."""

    due: Callable[..., QuerySet[Any]]
    # From a candidate to its customer, for legal holds; a candidate that may belong to
    # a customer in more than one way gives each path.
    customer_path: str | tuple[str, ...]
    noun: str  # what one candidate is, in audit reasons and command output
    action: StrOrPromise
    reason: StrOrPromise  # formatted with {cutoff} and {months}
    apply: Callable[[Actor, list[int], str], int] | None = None  # None: report only
    audit_action: str = Action.UPDATE
    changed_fields: tuple[str, ...] = ()


RULES: dict[str, Rule] = {
    RetentionCategory.INACTIVE_CUSTOMERS: Rule(
        due=inactive_customers_due,
        customer_path="pk",
        noun="customers",
        action=_(
            "Anonymise the customer: names, contact data, identity code, notes and consent "
            "evidence; their orders are minimised."
        ),
        reason=_(
            "Active or restricted, with no order, no consent event and no other activity "
            "since {cutoff} ({months} months)."
        ),
        apply=_customers_anonymise,
        audit_action=Action.ERASE,
        changed_fields=CUSTOMER_ERASED_FIELDS,
    ),
    RetentionCategory.ORDERS: Rule(
        due=orders_due,
        customer_path="customer",
        noun="orders",
        action=_(
            'Minimise the order: the recipient becomes "Asiakas" and the customer number; '
            "the delivery address, notes, tracking codes, return reasons and credit check "
            "details go. The lines, totals and VAT stay for the books."
        ),
        reason=_(
            "Placed before {cutoff}: {months} months have passed since the end of the "
            "financial year (the calendar year) the order belongs to."
        ),
        apply=_orders_minimise,
        changed_fields=ORDER_MINIMISED_FIELDS,
    ),
    RetentionCategory.CONSENT_EVIDENCE: Rule(
        due=consent_evidence_due,
        customer_path="customer",
        noun="consent events",
        action=_(
            "Clear the IP address and the user agent. The events stay: the ledger is the "
            "proof of the opt-out."
        ),
        reason=_(
            "The consent ended (withdrawn, or a direct marketing ban or objection) before "
            "{cutoff} ({months} months) and has not been given again."
        ),
        apply=_consent_evidence_clear,
        changed_fields=("ip_address", "user_agent"),
    ),
    RetentionCategory.CREDIT_CHECKS: Rule(
        due=credit_checks_due,
        customer_path="order__customer",
        noun="credit checks",
        action=_(
            "Clear the classification code, the payment defaults, the provider's reference "
            "and the review's reason. The decision stays with the order."
        ),
        reason=_("Checked before {cutoff} ({months} months)."),
        apply=_credit_details_clear,
        changed_fields=CREDIT_DETAILS,
    ),
    RetentionCategory.CAMPAIGN_MESSAGES: Rule(
        due=campaign_messages_due,
        customer_path="customer",
        noun="campaign messages",
        action=_("Delete the message log rows. The campaign and its totals stay."),
        reason=_("The campaign finished sending before {cutoff} ({months} months)."),
        apply=_campaign_messages_delete,
        audit_action=Action.ERASE,
    ),
    RetentionCategory.SHOP_DELIVERIES: Rule(
        due=shop_deliveries_due,
        # Its order's customer, or the customer a doubtful match led to.
        customer_path=("order__customer", "customer"),
        noun="shop deliveries",
        action=_(
            "Purge the delivery as the shop sent it (the buyer's details and the order) and "
            "the details of why it waited. The row stays: when it came, what became of it, "
            "and the digest that keeps a repeated delivery from being taken twice."
        ),
        reason=_(
            "Finished before {cutoff} ({months} months): made into an order, discarded, a "
            "test notification or not an order. Deliveries waiting or needing attention "
            "are kept."
        ),
        apply=_shop_deliveries_purge,
        changed_fields=DELIVERY_PURGED_FIELDS,
    ),
    RetentionCategory.IDENTITY_CODES: Rule(
        due=identity_codes_due,
        customer_path="pk",
        noun="identity codes",
        action=_(
            "Remove the customer's identity code (its ciphertext and its search digest). "
            "The customer, the orders and the credit decisions stay."
        ),
        reason=_(
            "Every invoice order of the customer was paid or cancelled before {cutoff} "
            "({months} months) and none is open: no credit check or sale on credit needs "
            "the code. A code with no invoice order behind it goes too."
        ),
        apply=_identity_codes_remove,
        changed_fields=("identity_code",),
    ),
    RetentionCategory.AUDIT_EVENTS: Rule(
        due=audit_events_due,
        customer_path="customer",
        noun="audit events",
        action=_(
            "Nothing: only reported. The audit trail is append-only and hash-chained; "
            "pruning it needs an archive-and-rechain step that is not built."
        ),
        reason=_("Recorded before {cutoff} ({months} months)."),
    ),
}


# Reports, plan and run --------------------------------------------------------------


@dataclass(frozen=True)
class PolicyReport:
    """What one policy would do (a plan) or did (a run), and why."""

    category: str
    label: str
    months: int
    enabled: bool
    cutoff: datetime.date
    due: int  # past the cut-off, not held back
    held_back: int  # past the cut-off, but the customer has a legal hold
    action: str
    reason: str
    is_report_only: bool
    done: int | None = None  # None in a plan


def _eligible(rule: Rule, cutoff: datetime.date) -> QuerySet[Any]:
    return rule.due(cutoff=cutoff).filter(~_on_hold(rule.customer_path))


def _report(policy: RetentionPolicy, today: datetime.date) -> PolicyReport:
    rule = RULES[policy.category]
    cutoff = retention_cutoff(category=policy.category, months=policy.months, today=today)
    due = held_back = 0
    if policy.enabled:
        candidates = rule.due(cutoff=cutoff)
        held_back = candidates.filter(_on_hold(rule.customer_path)).count()
        due = candidates.count() - held_back
    return PolicyReport(
        category=policy.category,
        label=str(RetentionCategory(policy.category).label),
        months=policy.months,
        enabled=policy.enabled,
        cutoff=cutoff,
        due=due,
        held_back=held_back,
        action=str(rule.action),
        reason=str(rule.reason).format(cutoff=cutoff.isoformat(), months=policy.months),
        is_report_only=rule.apply is None,
    )


def retention_plan(*, today: datetime.date | None = None) -> list[PolicyReport]:
    """What each policy would do today, and why. Writes nothing."""
    today = today or timezone.localdate()
    return [_report(policy, today) for policy in retention_policies()]


def _apply(
    *,
    actor: Actor,
    policy: RetentionPolicy,
    cutoff: datetime.date,
    batch_size: int,
) -> int:
    rule = RULES[policy.category]
    assert rule.apply is not None
    eligible = _eligible(rule, cutoff)
    reason = f"retention {policy.category}: before {cutoff.isoformat()} ({policy.months} months)"
    done, last_pk = 0, 0
    while True:
        batch = eligible.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)
        pks = list(batch[:batch_size])
        if not pks:
            return done
        last_pk = pks[-1]
        with audited_transaction():
            # Again in the batch's transaction: a legal hold placed, an order taken or a
            # consent given since the batch was chosen wins (and the anonymisation asks
            # for legal holds once more with the customers locked).
            current = list(eligible.filter(pk__in=pks).values_list("pk", flat=True))
            count = rule.apply(actor, current, reason) if current else 0
            if count:
                audit_record(
                    actor=actor,
                    action=rule.audit_action,
                    object_type=AUDIT_OBJECT_TYPE,
                    object_id=str(policy.pk),
                    changed_fields=rule.changed_fields,
                    reason=f"{reason}: {count} {rule.noun}",
                )
        done += count


def retention_run(
    *, actor: Actor, today: datetime.date | None = None, batch_size: int = BATCH_SIZE
) -> list[PolicyReport]:
    """Does what each policy in use says, in batches of `batch_size`: each batch is one
    transaction with one audit event (counts and the cut-off, nothing personal). Ends
    with one audit event that sums up the run, also when nothing was due."""
    today = today or timezone.localdate()
    reports = []
    for policy in retention_policies():
        report = _report(policy, today)
        done = 0
        if policy.enabled and not report.is_report_only:
            done = _apply(actor=actor, policy=policy, cutoff=report.cutoff, batch_size=batch_size)
        reports.append(replace(report, done=done))
    summary = ", ".join(
        f"{report.category} {'report only' if report.is_report_only else report.done}"
        for report in reports
        if report.enabled
    )
    with audited_transaction():
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=AUDIT_OBJECT_TYPE,
            object_id="run",
            reason=f"retention run on {today.isoformat()}: {summary or 'no policy in use'}",
        )
    return reports


# The policies themselves ------------------------------------------------------------


def _policy_errors(category: str, months: int) -> dict[str, list[StrOrPromise]]:
    if not MONTHS_MIN <= months <= MONTHS_MAX:
        return {"months": [_("Give a period of 1 to 600 months.")]}
    if category == RetentionCategory.ORDERS and months < ACCOUNTING_MINIMUM_MONTHS:
        return {
            "months": [
                _(
                    "Orders and invoices are vouchers: the Accounting Act (1336/1997, "
                    "2:10 §) requires keeping them at least 6 years (72 months) from the "
                    "end of their financial year."
                )
            ]
        }
    if category == RetentionCategory.SHOP_DELIVERIES and months > DELIVERY_MAXIMUM_MONTHS:
        return {
            "months": [
                _(
                    "The shops' deliveries are kept whole only to look into an order while "
                    "that can still come up: give at most 12 months. The orders made of "
                    "them are kept on their own."
                )
            ]
        }
    return {}


def retention_policy_update(
    *, actor: Actor, policy: RetentionPolicy, months: int, enabled: bool
) -> RetentionPolicy:
    """Changes a policy's period and whether it is in use; audited. Periods run from 1
    to 600 months, orders are kept at least the accounting period (72 months) and the
    shops' deliveries at most 12 months."""
    errors = _policy_errors(policy.category, months)
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        current = RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
        before = (current.months, current.enabled)
        values = {"months": months, "enabled": enabled}
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, values[name])
        current.updated_at = timezone.now()
        current.updated_by = actor.user
        current.full_clean()
        current.save()
        if changed:
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=current,
                changed_fields=changed,
                reason=(
                    f"{current.category}: {before[0]} months, in use {before[1]}; "
                    f"now {months} months, in use {enabled}"
                ),
            )
    return current


def retention_policies() -> list[RetentionPolicy]:
    """The policies in the order of their categories, with who last changed them."""
    order = list(RULES)
    policies = RetentionPolicy.objects.select_related("updated_by").filter(category__in=order)
    return sorted(policies, key=lambda policy: order.index(policy.category))
