"""Erasure (GDPR art. 17) and restriction of processing (art. 18). The legal holds that
stop an erasure are retention's (`privacy.retention.holds`).

An erasure is planned first (`erasure_plan`, a dry run that writes nothing), then done
in one transaction (`customer_erase`): the customer's own data goes, the records the
law makes us keep stay in minimised form under a pseudonym, and the erasure is
written to the erasure log by opaque id only. A restored backup cannot roll that file
back; `erasure_log_replay` erases again anyone a restore brought back."""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from rekisteri import fi
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import (
    Actor,
    audit_event_build,
    audit_record,
    audit_records_insert,
    audited_transaction,
)
from rekisteri.audit.subject_keys import SubjectKeys, subject_keys_destroy
from rekisteri.consents.models import ConsentEvent
from rekisteri.credit.models import CreditCheck
from rekisteri.customers.models import Customer, HeldChange, Status
from rekisteri.intake.inbox import Reason
from rekisteri.intake.models import DeliveryState, IdempotencyKey, InboxDelivery
from rekisteri.marketing.models import (
    ADDRESS_LIST_ENDED,
    AddressList,
    AddressListStatus,
    CampaignMessage,
)
from rekisteri.orders.models import (
    Delivery,
    Order,
    OrderStatus,
    PaymentMethod,
    Return,
    ReturnStatus,
)
from rekisteri.prepared_files import jobs_expired_now
from rekisteri.privacy.erasure.personal_terms import PersonalTerms, reason_clean
from rekisteri.privacy.models import (
    ACCESS_COPY_ENDED,
    AccessCopy,
    ActKind,
    Disclosure,
    ErasureLogEntry,
    LegalHold,
    NoticeKind,
    RequestKind,
    RequestNotice,
    SubjectRequest,
)
from rekisteri.privacy.replay.log import act_record, jsonl_append
from rekisteri.privacy.requests.services import subject_request_complete
from rekisteri.privacy.restriction.sending import restriction_lift_tell
from rekisteri.privacy.retention.holds import legal_holds_active
from rekisteri.reasons import REASON_MIN_LENGTH, reason_collapse
from rekisteri.versioning import version_bump

logger = logging.getLogger(__name__)

# Stored data, in the company's language, never translated on the way out.
ERASED_NAME = "Poistettu asiakas"  # an erased customer: "Poistettu asiakas 1234"
ORDER_RECIPIENT = "Asiakas"  # a minimised order's recipient: "Asiakas 1234"

# Kirjanpitolaki (1336/1997) 2:10 §: vouchers (orders, invoices) are kept six years
# from the end of the year in which the financial year ended; the books ten years,
# but those are the accounting system's, not Rekisteri's.
VOUCHER_YEARS = 6
ACCOUNTING_GROUND = "Kirjanpitolaki 2:10 §"
SQL_BATCH = 500  # ids per IN (...) list: well inside SQLite's variable limit

ALREADY_ANONYMISED = _("The customer has already been anonymised.")
MERGED_RECORD = _(
    "This record was merged into another record of the same person: erase that one, and "
    "this record goes with it."
)
LEGAL_HOLD_IN_FORCE = _("A legal hold is in force: the customer is not erased.")
CUSTOMER_ERASED_FIELDS = (
    "surname",
    "first_names",
    "street_address",
    "postal_code",
    "post_office",
    "phone",
    "email",
    "notes",
    "identity_code",
    "status",
)
RELATED_ERASED = (
    "orders",
    "deliveries",
    "returns",
    "credit_checks",
    "consent_evidence",
    "subject_requests",
    "shop_deliveries",
    "idempotency_keys",
)
# A shop's delivery as it came (it names the buyer) and why it waited; the row stays,
# its key and digest with it, so that the shop sending it again changes nothing.
DELIVERY_PURGED_FIELDS = ("body_encrypted", "detail")
# Erasure also clears what staff wrote about how they handled it.
DELIVERY_ERASED_FIELDS = (*DELIVERY_PURGED_FIELDS, "resolution")
ORDER_MINIMISED_FIELDS = (
    "delivery_name",
    "delivery_street_address",
    "delivery_postal_code",
    "delivery_post_office",
    "notes",
)
# The columns of an anonymised customer that differ from the living one's: the erased
# fields (the identity code is two columns) and what follows from them.
CUSTOMER_ANONYMISED_COLUMNS = (
    *(field for field in CUSTOMER_ERASED_FIELDS if field != "identity_code"),
    "identity_code_encrypted",
    "identity_code_index",
    "name_key",
    "updated_at",
    "version",
)
SUBJECT_REQUEST_MINIMISED_FIELDS = (
    "requester_name",
    "requester_email",
    "details",
    "ip_address",
    "verification_note",
    "extension_reason",
    "outcome",
    "version",
)

Item = TypeVar("Item")


def pseudonym(customer: Customer) -> str:
    """The name an erased customer is left with: it says only the customer number."""
    return f"{ERASED_NAME} {customer.customer_number}"


def order_recipient(customer_number: int) -> str:
    """The recipient a minimised order is left with."""
    return f"{ORDER_RECIPIENT} {customer_number}"


class ErasureRefused(Exception):
    """The plan has refusals (an open invoice or refund, a legal hold, already
    anonymised): nothing was changed. The messages are safe to show; the exception's
    own text holds no personal data."""

    def __init__(self, refusals: list[str]) -> None:
        super().__init__(f"erasure refused: {len(refusals)} reason(s)")
        self.refusals = refusals


def _subject_request_check(
    subject_request: SubjectRequest | None, customer: Customer, kind: str
) -> str:
    """The request's part of an audit reason, after checking that it fits."""
    if subject_request is None:
        return ""
    if subject_request.customer_id not in (None, customer.pk) or subject_request.kind != kind:
        raise ValidationError(
            {
                "subject_request": [
                    gettext("Choose a request of this customer's, of the right kind.")
                ]
            }
        )
    return f" (subject request {subject_request.public_id})"


# Restriction (art. 18) ----------------------------------------------------------------


def _status_set(customer: Customer, status: str) -> None:
    customer.status = status
    customer.updated_at = timezone.now()
    version_bump(customer)
    customer.save(update_fields=["status", "updated_at", "version"])


def customer_restrict(
    *,
    actor: Actor,
    customer: Customer,
    reason: str,
    subject_request: SubjectRequest | None = None,
) -> Customer:
    """Restricts the processing of a customer's data (GDPR art. 18): the data is only
    stored; marketing (`consents.selectors`) and new consents already refuse anyone not
    active. Raises ValidationError for an anonymised or already restricted customer."""
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if current.status == Status.ANONYMISED:
            raise ValidationError(ALREADY_ANONYMISED)
        if current.status == Status.RESTRICTED:
            raise ValidationError(_("The customer's processing is already restricted."))
        reason = reason_clean(customer=current, reason=reason, min_length=REASON_MIN_LENGTH)
        request_note = _subject_request_check(subject_request, current, RequestKind.RESTRICTION)
        _status_set(current, Status.RESTRICTED)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current,
            changed_fields=["status"],
            reason=f"restricted (art. 18): {reason}{request_note}",
        )
        act_record(customer=current, kind=ActKind.RESTRICTION, done_at=current.updated_at)
        if subject_request is not None:
            subject_request_complete(
                actor=actor,
                request=subject_request,
                outcome="The processing was restricted: the data is only stored.",
            )
    return current


NOT_RESTRICTED = _("The customer's processing is not restricted.")
TOLD_BY_EMAIL = "by email to the address on record"


def _told_how_clean(customer: Customer, told_how: str) -> str:
    """How the privacy officer told a person who has no email address (it goes to the
    audit log, so it is held to a reason's rules)."""
    try:
        return reason_clean(customer=customer, reason=told_how, min_length=REASON_MIN_LENGTH)
    except ValidationError as error:
        raise ValidationError({"told_how": error.message_dict["reason"]}) from None


def customer_restriction_lift(
    *, actor: Actor, customer: Customer, reason: str, told_how: str = ""
) -> Customer:
    """Ends a restriction: the customer is active again (never an anonymised one).

    The person is told first (GDPR art. 18(3)): by email to the address on record,
    in their language, before anything changes; a customer without an email address
    was told by the privacy officer, who says how (`told_how`, required then). The
    lift's audit event records how the person was told. The shops' orders that waited
    for the restriction go back to the inbox, to be taken as any other; the changes
    staff asked for keep waiting for the privacy officer's decision.

    Raises ValidationError for a customer not restricted, a bad reason or `told_how`,
    or an email that could not be sent; then nothing is changed."""
    before = Customer.objects.get(pk=customer.pk)
    if before.status != Status.RESTRICTED:
        raise ValidationError(NOT_RESTRICTED)
    reason = reason_clean(customer=before, reason=reason, min_length=REASON_MIN_LENGTH)
    told = TOLD_BY_EMAIL if before.email else _told_how_clean(before, told_how)
    if before.email:
        try:
            restriction_lift_tell(before)
        except Exception as error:
            logger.error("restriction lift email not sent (%s)", type(error).__name__)
            raise ValidationError(
                _(
                    "The email telling the customer could not be sent, so the restriction "
                    "was not lifted. Try again in a while."
                )
            ) from None
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if current.status != Status.RESTRICTED:
            raise ValidationError(NOT_RESTRICTED)
        _status_set(current, Status.ACTIVE)
        returned = InboxDelivery.objects.filter(
            customer=current, state=DeliveryState.ATTENTION, reason=Reason.RESTRICTED
        ).update(state=DeliveryState.WAITING, reason="", detail="", next_attempt_at=None)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current,
            changed_fields=["status"],
            reason=f"restriction lifted: {reason}; the person was told first: {told}"
            + (f"; {returned} shop orders back to the inbox" if returned else ""),
        )
        act_record(customer=current, kind=ActKind.RESTRICTION_LIFTED, done_at=current.updated_at)
    return current


# The plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    category: str
    count: int
    what: str
    until: datetime.date | None = None  # kept until (at least) this day
    ground: str = ""


@dataclass(frozen=True)
class ErasurePlan:
    erased: list[PlanItem]
    kept: list[PlanItem]
    refusals: list[str]

    @property
    def may_erase(self) -> bool:
        return not self.refusals


def voucher_kept_until(placed_at: datetime.datetime) -> datetime.date:
    """The last day an order must be kept: six years from the end of its financial
    year, which is taken to be the calendar year (in Finnish time)."""
    return datetime.date(timezone.localtime(placed_at).year + VOUCHER_YEARS, 12, 31)


def _numbers(values: Iterable[int]) -> str:
    return ", ".join(str(value) for value in sorted(set(values)))


def _refusals(customer: Customer) -> list[str]:
    if customer.status == Status.ANONYMISED:
        return [str(ALREADY_ANONYMISED)]
    if customer.status == Status.MERGED:
        return [str(MERGED_RECORD)]
    refusals = []
    open_invoices = Order.objects.filter(
        customer=customer, payment_method=PaymentMethod.INVOICE
    ).exclude(status__in=[OrderStatus.COMPLETED, OrderStatus.CANCELLED])
    numbers = list(open_invoices.values_list("order_number", flat=True))
    if numbers:
        refusals.append(
            ngettext(
                "Order %(numbers)s is on invoice and not completed or cancelled: its "
                "invoice may still be open.",
                "Orders %(numbers)s are on invoice and not completed or cancelled: their "
                "invoices may still be open.",
                len(numbers),
            )
            % {"numbers": _numbers(numbers)}
        )
    unsettled = Return.objects.filter(
        order__customer=customer, status__in=[ReturnStatus.REQUESTED, ReturnStatus.RECEIVED]
    ).values_list("order__order_number", flat=True)
    numbers = list(unsettled)
    if numbers:
        refusals.append(
            ngettext(
                "A return of order %(numbers)s is not settled: a refund may still be owed.",
                "Returns of orders %(numbers)s are not settled: refunds may still be owed.",
                len(set(numbers)),
            )
            % {"numbers": _numbers(numbers)}
        )
    for hold in legal_holds_active().filter(customer=customer).order_by("placed_at"):
        refusals.append(
            gettext("A legal hold placed on %(date)s is in force: lift it first if it has ended.")
            % {"date": timezone.localtime(hold.placed_at).strftime("%d.%m.%Y")}
        )
    return refusals


def _subject_requests_of(customer: Customer) -> QuerySet[SubjectRequest]:
    """The customer's requests, and any not yet matched to a customer that came from
    the customer's email address."""
    matched = Q(customer=customer)
    if customer.email:
        matched |= Q(customer__isnull=True, requester_email__iexact=customer.email)
    return SubjectRequest.objects.filter(matched)


def _own_data(customer: Customer) -> str:
    present = [
        (customer.surname or customer.first_names, gettext("name")),
        (
            customer.street_address or customer.postal_code or customer.post_office,
            gettext("address"),
        ),
        (customer.phone, gettext("phone")),
        (customer.email, gettext("email")),
        (customer.has_identity_code, gettext("identity code")),
        (customer.notes, gettext("notes")),
    ]
    return ", ".join(label for value, label in present if value)


def erasure_plan(customer: Customer) -> ErasurePlan:
    """What erasing the customer would erase, keep (until when, on which ground) and
    whether anything stops it. A dry run: it reads, never writes."""
    refusals = _refusals(customer)
    orders = list(Order.objects.filter(customer=customer).values_list("placed_at", flat=True))
    today = timezone.localdate()
    kept_until = [voucher_kept_until(placed_at) for placed_at in orders]
    within = [until for until in kept_until if until >= today]
    deliveries = Delivery.objects.filter(order__customer=customer).exclude(tracking_code="")
    returns = Return.objects.filter(order__customer=customer).exclude(reason="")
    evidence = ConsentEvent.objects.filter(customer=customer).filter(
        Q(ip_address__isnull=False) | ~Q(user_agent="")
    )
    checks = CreditCheck.objects.filter(order__customer=customer)
    requests = _subject_requests_of(customer)
    keys = IdempotencyKey.objects.filter(order__customer=customer)
    shop_deliveries = _deliveries_of(customer)
    erased = [
        PlanItem(
            gettext("The customer's own data"),
            1,
            gettext("Replaced by the pseudonym %(name)s; removed: %(fields)s.")
            % {"name": pseudonym(customer), "fields": _own_data(customer) or "—"},
        ),
        PlanItem(
            gettext("Delivery addresses and notes of orders"),
            len(orders),
            gettext("The recipient becomes %(name)s; address and notes removed.")
            % {"name": order_recipient(customer.customer_number)},
        ),
        PlanItem(gettext("Tracking codes of deliveries"), deliveries.count(), gettext("Removed.")),
        PlanItem(gettext("Reasons given for returns"), returns.count(), gettext("Removed.")),
        PlanItem(
            gettext("Evidence of consents"),
            evidence.count(),
            gettext("IP address and browser removed."),
        ),
        PlanItem(
            gettext("Details of credit checks"),
            checks.count(),
            gettext(
                "Bureau's reference, classification, payment defaults and review reason removed."
            ),
        ),
        PlanItem(
            gettext("Requester's details in subject requests"),
            requests.count(),
            gettext(
                "Name given, email, details, IP address and verification note removed; "
                "any mention of the customer in the outcome removed."
            ),
        ),
        PlanItem(
            gettext("Orders as the web shops sent them"),
            shop_deliveries.count(),
            gettext(
                "The delivery's content (the buyer's details and the order), why it waited "
                "and how staff handled it removed; when it came and what became of it stay."
            ),
        ),
        PlanItem(gettext("API idempotency keys of orders"), keys.count(), gettext("Deleted.")),
        PlanItem(
            gettext("Changes asked for while the processing was restricted"),
            HeldChange.objects.filter(customer=customer)
            .exclude(payload_encrypted="", decision_reason="")
            .count(),
            gettext(
                "What was asked and the reason of the decision removed; that it was asked "
                "and decided stays."
            ),
        ),
        PlanItem(
            gettext("Records of the same person merged into this customer"),
            Customer.objects.filter(merged_into=customer).exclude(status=Status.ANONYMISED).count(),
            gettext(
                "Erased with it: the reasons about them in the audit trail become unreadable, and "
                "their ids go to the erasure log so that a restored backup erases them again."
            ),
        ),
        PlanItem(
            gettext("Reasons about the customer in the audit trail"),
            AuditEvent.objects.filter(customer=customer).exclude(personal_reason="").count(),
            gettext(
                "Made unreadable: the customer's own key they are encrypted under is destroyed."
            ),
        ),
    ]
    kept = [
        PlanItem(
            gettext("Orders and invoices in their accounting period"),
            len(within),
            gettext("Order number, date, lines, totals and VAT, under the pseudonym."),
            until=max(within) if within else None,
            ground=ACCOUNTING_GROUND,
        ),
        PlanItem(
            gettext("Orders past their accounting period"),
            len(orders) - len(within),
            gettext("Lines, totals and VAT only; nothing in them identifies the person."),
        ),
        PlanItem(
            gettext("Credit decisions"),
            checks.count(),
            gettext("The decision and its reason code, kept with the order."),
            until=max(within) if within else None,
            ground=ACCOUNTING_GROUND,
        ),
        PlanItem(
            gettext("The customer record"),
            1,
            gettext("Customer number, id, status and dates, to tie the kept orders together."),
            ground=gettext("GDPR art. 17(3)(b) and 5(2)"),
        ),
        PlanItem(
            gettext("Consent and ban events"),
            ConsentEvent.objects.filter(customer=customer).count(),
            gettext("What was allowed and when, without the evidence."),
            ground=gettext("GDPR art. 7(1) and 5(2)"),
        ),
        PlanItem(
            gettext("Subject requests"),
            requests.count(),
            gettext("That a request came and how it was answered."),
            ground=gettext("GDPR art. 12 and 5(2)"),
        ),
        PlanItem(
            gettext("Disclosures"),
            Disclosure.objects.filter(customer=customer).count(),
            gettext("To whom, when and on which ground; mentions of the customer removed."),
            ground=gettext("GDPR art. 5(2), 30"),
        ),
        PlanItem(
            gettext("Legal holds"),
            LegalHold.objects.filter(customer=customer).count(),
            gettext("When placed and lifted; mentions of the customer removed."),
            ground=gettext("GDPR art. 5(2)"),
        ),
        PlanItem(
            gettext("Campaign messages"),
            CampaignMessage.objects.filter(customer=customer).count(),
            gettext("What was sent and when; no contact data is in them."),
        ),
        PlanItem(
            gettext("Audit events"),
            AuditEvent.objects.filter(customer=customer).count(),
            gettext("Who did what and when; they never hold personal data values."),
            ground=gettext("GDPR art. 5(2), 32"),
        ),
    ]
    return ErasurePlan(
        erased=[item for item in erased if item.count],
        kept=[item for item in kept if item.count],
        refusals=refusals,
    )


# Minimising and anonymising ------------------------------------------------------------


def _chunks(items: Sequence[Item], size: int = SQL_BATCH) -> Iterable[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns_save(rows: Sequence[Model], columns: Sequence[str]) -> None:
    """Saves `columns` of `rows` of one model: a column that has the same value in every
    row with one plain UPDATE, only the others with `bulk_update`, whose CASE per row
    and column costs much more to build and to run."""
    if not rows:
        return
    model = type(rows[0])
    first = rows[0]
    same = {
        column: getattr(first, column)
        for column in columns
        if all(getattr(row, column) == getattr(first, column) for row in rows)
    }
    if same:
        for chunk in _chunks(rows):
            model._default_manager.filter(pk__in=[row.pk for row in chunk]).update(**same)
    differing = [column for column in columns if column not in same]
    if differing:
        model._default_manager.bulk_update(rows, differing, batch_size=SQL_BATCH)


def deliveries_purge(
    deliveries: QuerySet[InboxDelivery], *, fields: Sequence[str] = DELIVERY_PURGED_FIELDS
) -> int:
    """Empties `fields` of the deliveries and stamps them purged, keeping the time of
    an earlier purge (no audit; the caller records it); returns how many changed."""
    return deliveries.update(
        **dict.fromkeys(fields, ""), purged_at=Coalesce(F("purged_at"), Value(timezone.now()))
    )


def _deliveries_of(customer: Customer) -> QuerySet[InboxDelivery]:
    """The shops' deliveries that became the customer's orders, or that a doubtful
    match led to the customer, with anything left for erasure to remove."""
    return InboxDelivery.objects.filter(Q(order__customer=customer) | Q(customer=customer)).exclude(
        **dict.fromkeys(DELIVERY_ERASED_FIELDS, "")
    )


def _orders_minimise(order_ids: list[int]) -> list[Order]:
    """Minimises the orders (no audit; the caller records it); returns those changed."""
    changed: list[Order] = []
    for chunk in _chunks(order_ids):
        orders = Order.objects.select_for_update().select_related("customer").filter(pk__in=chunk)
        for order in orders:
            recipient = order_recipient(order.customer.customer_number)
            values = (
                order.delivery_name,
                order.delivery_street_address,
                order.delivery_postal_code,
                order.delivery_post_office,
                order.notes,
            )
            if values == (recipient, "", "", "", ""):
                continue
            order.delivery_name = recipient
            order.delivery_street_address = ""
            order.delivery_postal_code = ""
            order.delivery_post_office = ""
            order.notes = ""
            version_bump(order)
            changed.append(order)
        Delivery.objects.filter(order__in=chunk).exclude(tracking_code="").update(tracking_code="")
        Return.objects.filter(order__in=chunk).exclude(reason="").update(reason="")
        CreditCheck.objects.filter(order__in=chunk).update(
            provider_reference="", classification_code="", default_count=None, override_reason=""
        )
        # The shop's delivery would still name the person the order no longer does.
        deliveries_purge(
            InboxDelivery.objects.filter(order__in=chunk).exclude(
                **dict.fromkeys(DELIVERY_PURGED_FIELDS, "")
            )
        )
        IdempotencyKey.objects.filter(order__in=chunk).delete()
    now = timezone.now()
    for order in changed:
        order.updated_at = now
    _columns_save(changed, [*ORDER_MINIMISED_FIELDS, "version", "updated_at"])
    return changed


def orders_minimise(*, actor: Actor, orders: Iterable[Order]) -> int:
    """Minimises orders for good: the recipient becomes "Asiakas <customer number>",
    the delivery address and notes go, and so do their deliveries' tracking codes,
    their returns' reasons, their credit checks' details, the bodies of the shops'
    deliveries they were made of and their API idempotency keys. Lines, totals, VAT,
    statuses and dates stay, so the books still add up. Orders of a customer under a
    legal hold are left as they are. Returns how many orders changed; one audit event
    per customer, all inserted together."""
    with audited_transaction():
        held = legal_holds_active().values("customer_id")
        ids = [order.pk for order in orders]
        allowed: list[int] = []
        for chunk in _chunks(ids):
            not_held = Order.objects.filter(pk__in=chunk).exclude(customer_id__in=held)
            allowed.extend(not_held.values_list("pk", flat=True))
        changed = _orders_minimise(allowed)
        by_customer: dict[int, list[Order]] = {}
        for order in changed:
            by_customer.setdefault(order.customer_id, []).append(order)
        # The reasons are encrypted under each customer's own key: fetched for all at once.
        keys = SubjectKeys().load(by_customer)
        audit_records_insert(
            audit_event_build(
                actor=actor,
                action=Action.UPDATE,
                object_type="orders.order",
                customer=customer_orders[0].customer,
                changed_fields=ORDER_MINIMISED_FIELDS,
                reason=f"orders minimised: {len(customer_orders)}",
                keys=keys,
            )
            for customer_orders in by_customer.values()
        )
    return len(changed)


@dataclass(frozen=True)
class _Erasing:
    """A customer locked for erasure, given the pseudonym in memory, with what the
    living customer's record said that the erasure still needs."""

    customer: Customer
    terms: PersonalTerms  # of the living customer: cut out of the kept records
    email: str  # the living customer's: their subject requests not yet matched to them


def _locked(customer_ids: Iterable[int]) -> list[Customer]:
    """The customers, locked, in the order of their ids (so that two batches never wait
    for each other round a loop)."""
    locked: list[Customer] = []
    for chunk in _chunks(sorted(set(customer_ids))):
        locked.extend(Customer.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
    return locked


def _pseudonymised(customer: Customer, now: datetime.datetime) -> _Erasing:
    """Gives `customer` the pseudonym and clears their own data, in memory only; raises
    ValidationError when the record would not be valid."""
    erasing = _Erasing(customer=customer, terms=PersonalTerms.of(customer), email=customer.email)
    name = pseudonym(customer)
    customer.surname = name
    customer.first_names = ""
    customer.street_address = customer.postal_code = customer.post_office = ""
    customer.phone = customer.email = customer.notes = ""
    customer.identity_code_encrypted = customer.identity_code_index = ""
    customer.name_key = fi.name_key(name)
    customer.status = Status.ANONYMISED
    customer.updated_at = now
    version_bump(customer)
    # An erased customer has no first names; the model asks for them of the living.
    customer.full_clean(exclude=["first_names"], validate_unique=False, validate_constraints=False)
    return erasing


def _merged_records_pseudonymised(
    erasing: list[_Erasing], now: datetime.datetime
) -> list[_Erasing]:
    """The records merged into the customers being erased (`customers.merging`), locked
    and pseudonymised in memory: they go with them. Their own data was cleared by the
    merge, but their audit reasons' keys, their consent evidence and their ids in the
    erasure log (a backup from before the merge holds them whole) are the person's."""
    merged: list[int] = []
    for chunk in _chunks([item.customer.pk for item in erasing]):
        merged.extend(
            Customer.objects.filter(merged_into_id__in=chunk)
            .exclude(status=Status.ANONYMISED)
            .values_list("pk", flat=True)
        )
    return [
        _pseudonymised(customer, now)
        for customer in _locked(merged)
        if customer.status != Status.ANONYMISED
    ]


def _subject_requests_minimise(erasing: list[_Erasing]) -> None:
    """The requester's details out of the customers' subject requests (`_subject_requests_of`
    each), mentions of the person cut out of their outcomes."""
    of_customer = {item.customer.pk: item for item in erasing}
    # Half a chunk: each customer may bring an id and an email to the query.
    for chunk in _chunks(erasing, SQL_BATCH // 2):
        matched = Q(customer_id__in=[item.customer.pk for item in chunk])
        by_email: dict[str, _Erasing] = {}
        for item in chunk:
            if item.email:
                matched |= Q(customer__isnull=True, requester_email__iexact=item.email)
                by_email.setdefault(item.email.casefold(), item)
        requests = list(SubjectRequest.objects.select_for_update().filter(matched).order_by("pk"))
        for request in requests:
            owner = of_customer.get(request.customer_id) if request.customer_id else None
            owner = owner or by_email.get(request.requester_email.casefold())
            if owner is None:
                # The database's case-insensitive match and Python's disagree (a letter
                # outside ASCII): ask the database whose it is.
                owner = next(
                    item
                    for item in chunk
                    if item.email
                    and SubjectRequest.objects.filter(
                        pk=request.pk, requester_email__iexact=item.email
                    ).exists()
                )
            request.requester_name = owner.customer.surname  # the pseudonym
            request.requester_email = ""
            request.details = ""
            request.ip_address = None
            request.verification_note = ""
            request.extension_reason = owner.terms.redact(request.extension_reason)
            request.outcome = owner.terms.redact(request.outcome)
            version_bump(request)
        _columns_save(requests, SUBJECT_REQUEST_MINIMISED_FIELDS)
        # A message to the person not yet sent loses its address too.
        RequestNotice.objects.filter(
            subject_request__in=[request.pk for request in requests]
        ).exclude(kind=NoticeKind.RECIPIENT).exclude(address="").update(address="")


def _anonymise(erasing: list[_Erasing]) -> None:
    """Erases the customers (locked and pseudonymised in memory by the caller) and
    minimises everything kept of them, a few statements for the whole batch."""
    if not erasing:
        return
    terms = {item.customer.pk: item.terms for item in erasing}
    ids = sorted(terms)
    _columns_save([item.customer for item in erasing], CUSTOMER_ANONYMISED_COLUMNS)
    order_ids: list[int] = []
    for chunk in _chunks(ids):
        order_ids.extend(Order.objects.filter(customer_id__in=chunk).values_list("pk", flat=True))
    _orders_minimise(sorted(order_ids))
    for chunk in _chunks(ids):
        ConsentEvent.objects.filter(customer_id__in=chunk).filter(
            Q(ip_address__isnull=False) | ~Q(user_agent="")
        ).update(ip_address=None, user_agent="")
    _subject_requests_minimise(erasing)
    for chunk in _chunks(ids):
        deliveries_purge(
            InboxDelivery.objects.filter(
                Q(order__customer_id__in=chunk) | Q(customer_id__in=chunk)
            ),
            fields=DELIVERY_ERASED_FIELDS,
        )
        # What staff asked for while the customer was restricted goes; that it was
        # asked and decided stays, as the record of the restriction.
        HeldChange.objects.filter(customer_id__in=chunk).update(
            payload_encrypted="", decision_reason=""
        )
        holds = list(LegalHold.objects.filter(customer_id__in=chunk))
        for hold in holds:
            hold.reason = terms[hold.customer_id].redact(hold.reason)
        LegalHold.objects.bulk_update(holds, ["reason"])
        disclosures = list(Disclosure.objects.filter(customer_id__in=chunk))
        for disclosure in disclosures:
            redact = terms[disclosure.customer_id].redact
            disclosure.recipient = redact(disclosure.recipient)
            disclosure.reference = redact(disclosure.reference)
            disclosure.legal_ground = redact(disclosure.legal_ground)
        Disclosure.objects.bulk_update(disclosures, ["recipient", "reference", "legal_ground"])
    # The reasons about the customers in the audit trail, which is never changed, become
    # unreadable: their keys go (crypto-shredding). The erasures' own events, written
    # after this, keep their reason readable: it was checked free of the person's data.
    subject_keys_destroy(ids)


def _erasures_audit(*, actor: Actor, customers: list[Customer], reason: str) -> None:
    audit_records_insert(
        audit_event_build(
            actor=actor,
            action=Action.ERASE,
            obj=customer,
            customer=customer,
            changed_fields=[*CUSTOMER_ERASED_FIELDS, *RELATED_ERASED],
            reason=reason,
        )
        for customer in customers
    )


def _prepared_files_delete(*, actor: Actor, customer_ids: Sequence[int]) -> None:
    """Deletes at once, rather than within the hour, the prepared files that may hold
    the erased customers: their own copies for hand-over, and every address list and
    labels being prepared or ready. A list is a file of many people, known only by
    decrypting it: any of them may hold the person, so all go, to be prepared again. A
    list still queued reads the members after this commit, without the person, and is
    left to be prepared. The events name the file, not the person."""
    if not customer_ids:
        return
    deleted: list[AccessCopy | AddressList] = []
    for chunk in _chunks(sorted(customer_ids)):
        deleted += jobs_expired_now(
            AccessCopy.objects.select_for_update(of=("self",))
            .filter(subject_request__customer_id__in=chunk)
            .exclude(status__in=ACCESS_COPY_ENDED)
            .order_by("pk")
        )
    deleted += jobs_expired_now(
        AddressList.objects.select_for_update()
        .exclude(status__in=ADDRESS_LIST_ENDED)
        .exclude(status=AddressListStatus.QUEUED)
        .order_by("pk")
    )
    audit_records_insert(
        audit_event_build(
            actor=actor,
            action=Action.UPDATE,
            obj=job,
            changed_fields=["status", "file"],
            reason="expired: the file deleted at once, a person it may hold was erased",
        )
        for job in deleted
    )


def erasure_log_path() -> Path:
    return Path(settings.REKISTERI_ERASURE_LOG)


def _erasure_log_append(lines: list[tuple[uuid.UUID, datetime.datetime]]) -> None:
    """Appends to the file and forces it to disk before the caller's commit: should the
    commit fail after this, a replay completes the erasure rather than lose it."""
    jsonl_append(
        erasure_log_path(),
        (
            {
                "customer": str(public_id),
                "erased_at": erased_at.astimezone(datetime.UTC).isoformat(),
            }
            for public_id, erased_at in lines
        ),
    )


def _erasure_log_read() -> dict[uuid.UUID, datetime.datetime]:
    """The erased customers' ids in the file, each with the time of its first entry."""
    path = erasure_log_path()
    if not path.exists():
        return {}
    entries: dict[uuid.UUID, datetime.datetime] = {}
    with path.open(encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                public_id = uuid.UUID(data["customer"])
                erased_at = datetime.datetime.fromisoformat(data["erased_at"])
            except (ValueError, KeyError, TypeError):
                logger.warning("erasure log line %s is unreadable and was skipped", number)
                continue
            entries.setdefault(public_id, erased_at)
    return entries


def _erasures_record(customers: list[Customer]) -> None:
    """The erasure log's entries (table and file) of the customers not in it yet."""
    logged: set[uuid.UUID] = set()
    for chunk in _chunks([customer.public_id for customer in customers]):
        logged.update(
            ErasureLogEntry.objects.filter(customer_public_id__in=chunk).values_list(
                "customer_public_id", flat=True
            )
        )
    new = [customer for customer in customers if customer.public_id not in logged]
    # A line written twice (another transaction logged the customer meanwhile) does no
    # harm: a replay reads each customer's first.
    ErasureLogEntry.objects.bulk_create(
        [
            ErasureLogEntry(customer_public_id=customer.public_id, erased_at=customer.updated_at)
            for customer in new
        ],
        ignore_conflicts=True,
        batch_size=SQL_BATCH,
    )
    _erasure_log_append([(customer.public_id, customer.updated_at) for customer in new])


@dataclass(frozen=True)
class Anonymisation:
    """What `customers_anonymise` did: the customers anonymised (as now stored), and
    why each of the others was left as it was, by customer id."""

    anonymised: list[Customer]
    refused: dict[int, ValidationError]


def customers_anonymise(
    *, actor: Actor, customers: Iterable[Customer], reason: str
) -> Anonymisation:
    """Anonymises many customers for good in one transaction (a retention run), as
    `customer_anonymise` does one, with a few statements for the whole batch: one
    erasure event each in the audit trail, their keys destroyed together, the erasure
    log appended to once.

    A customer that cannot be anonymised (already anonymised, under a legal hold, a
    reason that names them, a record that would not be valid) is left as it is and the
    others go on: `refused` says why, by customer id, for the caller to report without
    personal data. Customers no longer in the register are in neither list."""
    with audited_transaction():
        locked = _locked(customer.pk for customer in customers)
        held: set[int] = set()
        for chunk in _chunks([customer.pk for customer in locked]):
            held.update(
                legal_holds_active()
                .filter(customer_id__in=chunk)
                .values_list("customer_id", flat=True)
            )
        now = timezone.now()
        erasing: list[_Erasing] = []
        refused: dict[int, ValidationError] = {}
        for customer in locked:
            try:
                # In the order a single erasure has always checked them.
                reason_clean(customer=customer, reason=reason, min_length=1)
                if customer.status == Status.ANONYMISED:
                    raise ValidationError(ALREADY_ANONYMISED)
                if customer.pk in held:
                    raise ValidationError(LEGAL_HOLD_IN_FORCE)
                erasing.append(_pseudonymised(customer, now))
            except ValidationError as error:
                refused[customer.pk] = error
        erasing += _merged_records_pseudonymised(erasing, now)
        anonymised = [item.customer for item in erasing]
        if anonymised:
            _anonymise(erasing)
            _prepared_files_delete(
                actor=actor, customer_ids=[customer.pk for customer in anonymised]
            )
            # As `reason_clean` gives it back for each of them.
            _erasures_audit(actor=actor, customers=anonymised, reason=reason_collapse(reason))
            # Last, right before the commit: see `_erasure_log_append`.
            _erasures_record(anonymised)
    return Anonymisation(anonymised=anonymised, refused=refused)


def customer_anonymise(*, actor: Actor, customer: Customer, reason: str) -> None:
    """Anonymises a customer for good, for an erasure or for retention: names become
    the pseudonym "Poistettu asiakas <customer number>"; contact data, identity code
    and notes go; orders are minimised (`orders_minimise`); consent events lose their
    evidence; subject requests lose the requester's details; any mention of the
    person in the free text of a kept record is cut out. The erasure log (table and
    file) records the customer's opaque id, so that a restore cannot bring them back.
    The batch of one of `customers_anonymise`.

    Raises ValidationError for an anonymised customer, one under a legal hold, or a
    reason that names the person (the reason goes to the audit log). `customer` is
    refreshed from the database."""
    done = customers_anonymise(actor=actor, customers=[customer], reason=reason)
    if customer.pk in done.refused:
        raise done.refused[customer.pk]
    customer.refresh_from_db()


def customer_erase(
    *,
    actor: Actor,
    customer: Customer,
    subject_request: SubjectRequest | None = None,
    reason: str,
) -> None:
    """Erases a customer on request (GDPR art. 17), as `erasure_plan` shows.

    Raises ValidationError for a bad reason (at least 10 characters, never the
    person's own data) or a request of another customer or kind, and ErasureRefused
    when the plan has refusals; either way nothing is changed."""
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        reason = reason_clean(customer=current, reason=reason, min_length=REASON_MIN_LENGTH)
        request_note = _subject_request_check(subject_request, current, RequestKind.ERASURE)
        refusals = erasure_plan(current).refusals
        if refusals:
            raise ErasureRefused(refusals)
        # Read before it goes: the person is told there that the erasure is done.
        address = current.email
        customer_anonymise(
            actor=actor, customer=current, reason=f"erasure (art. 17): {reason}{request_note}"
        )
        if subject_request is not None:
            subject_request_complete(
                actor=actor,
                request=subject_request,
                outcome="The customer's personal data was erased; accounting records are "
                "kept minimised under a pseudonym.",
                address=address,
            )
    customer.refresh_from_db()


@dataclass(frozen=True)
class ErasedAgain:
    """A customer `erasure_log_replays` erased again."""

    customer_public_id: uuid.UUID
    customer_number: int
    erased_at: datetime.datetime  # the first time, as the log says


def erasure_log_replay(*, actor: Actor) -> int:
    """Erases again every customer the erasure log file lists who is not anonymised:
    a restored backup brought them back. The table and the file are made to agree
    (entries missing from either are added). Returns how many were erased again."""
    return len(erasure_log_replays(actor=actor))


def erasure_log_replays(*, actor: Actor) -> list[ErasedAgain]:
    """`erasure_log_replay`, which returns the customers it erased again."""
    in_file = _erasure_log_read()
    in_table = dict(ErasureLogEntry.objects.values_list("customer_public_id", "erased_at"))
    ErasureLogEntry.objects.bulk_create(
        [
            ErasureLogEntry(customer_public_id=public_id, erased_at=erased_at)
            for public_id, erased_at in in_file.items()
            if public_id not in in_table
        ],
        ignore_conflicts=True,
        batch_size=SQL_BATCH,
    )
    _erasure_log_append(
        [(public_id, at) for public_id, at in in_table.items() if public_id not in in_file]
    )
    logged = {**in_table, **in_file}
    erased: list[ErasedAgain] = []
    for batch in _chunks(sorted(set(in_file) | set(in_table))):
        returned = Customer.objects.filter(public_id__in=batch).exclude(status=Status.ANONYMISED)
        with audited_transaction():
            now = timezone.now()
            # The erasure was decided before the backup was restored: holds and open
            # invoices of the restored data do not stop it.
            erasing = [
                _pseudonymised(customer, now)
                for customer in _locked(returned.values_list("pk", flat=True))
                if customer.status != Status.ANONYMISED
            ]
            _anonymise(erasing)
            _prepared_files_delete(actor=actor, customer_ids=[item.customer.pk for item in erasing])
            _erasures_audit(
                actor=actor,
                customers=[item.customer for item in erasing],
                reason="erasure log replay",
            )
        erased += [
            ErasedAgain(
                customer_public_id=item.customer.public_id,
                customer_number=item.customer.customer_number,
                erased_at=logged[item.customer.public_id],
            )
            for item in erasing
        ]
    return erased
