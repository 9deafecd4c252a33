"""The data map: every field of every model of Rekisteri's own apps, declared either as
personal data (with its category, what erasure does to it and whether the customer's
own copy gives it) or as not personal, or as a link to another row.

`undeclared_fields()` is what the test suite checks: a model that gains a field the map
does not declare fails the tests, so the privacy notice, the records of processing, the
access copy and erasure are reconsidered for every new field. See docs/data-map.md.

How a field is classified, consistently:

- Personal: a value that says something about a person, or about a person's own
  dealings with the company. In a row that belongs to a customer (an order, its lines,
  a consent event), the times, amounts and statuses are the customer's history and so
  personal; the same kinds of value in a row about no one (a product, a policy, a
  campaign's totals) are not.
- Not personal: surrogate keys (`id`), opaque ids of records other than the customer
  (`public_id` of a request or a message), optimistic locking `version`, hash chains,
  counters, configuration and texts written for everyone.
- Link: a foreign key. It ties a row to a person (which is why the row's other fields
  are personal) but adds no category of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.apps import apps
from django.apps.registry import Apps
from django.db import models
from django.db.models import Field
from django.utils.translation import gettext_lazy as _

from rekisteri.privacy.erasure.services import ACCOUNTING_GROUND

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Every app of the `rekisteri` package is declared, a new one included; Django's and
# third-party apps are not ours to declare (docs/data-map.md says what they hold).
PACKAGE = "rekisteri."


class Category(models.TextChoices):
    """The categories of personal data, as the notice and the records name them."""

    IDENTITY = "identity", _("Names")
    CONTACT = "contact", _("Contact data: address, phone and email")
    IDENTITY_CODE = "identity_code", _("Personal identity code")
    CUSTOMER_RELATIONSHIP = (
        "customer_relationship",
        _("Customer relationship: customer number, source, status, language and dates"),
    )
    ORDER_HISTORY = "order_history", _("Orders, deliveries and returns")
    PAYMENT_AND_CREDIT = "payment_and_credit", _("Payment method and credit decisions")
    MARKETING_CHOICES = (
        "marketing_choices",
        _("Marketing consents, bans and the marketing messages sent"),
    )
    ONLINE_IDENTIFIERS = "online_identifiers", _("Online identifiers: IP addresses and browsers")
    PRIVACY_RECORDS = (
        "privacy_records",
        _("Data protection records: requests, disclosures, legal holds and breach notices"),
    )
    FREE_TEXT = "free_text", _("Free text that may mention a person: notes and reasons")
    STAFF_ACCOUNT = (
        "staff_account",
        _("Staff data: accounts, roles, sign-ins, the confidentiality pledge"),
    )
    ACCESS_LOG = "access_log", _("Audit trail: who read or changed which data, and when")


class Subject(models.TextChoices):
    """The categories of data subjects."""

    CUSTOMER = "customer", _("Customers")
    REQUESTER = "requester", _("People who make a data protection request")
    STAFF = "staff", _("Staff members")
    RESTRICTION_LIST = (
        "restriction_list",
        _("People on the direct marketing restriction list (as keyed digests only)"),
    )


class Kind(models.TextChoices):
    PERSONAL = "personal", _("Personal data")
    NOT_PERSONAL = "not_personal", _("Not personal data")
    LINK = "link", _("Link to another row")


class Erasure(models.TextChoices):
    """What erasing a customer (`erasure.customer_anonymise`) does to a field."""

    # The customer's own data: cleared, or replaced by the pseudonym.
    ERASED = "erased", _("Erased")
    # In a record that is kept: cleared, or the mentions of the person cut out of it.
    MINIMISED = "minimised", _("Minimised")
    # Kept as it is, on the ground the entry names.
    KEPT = "kept", _("Kept")


@dataclass(frozen=True)
class Entry:
    """The declaration of one field; write it with the helpers below."""

    kind: Kind
    category: Category | None = None
    subjects: tuple[Subject, ...] = ()
    erasure: Erasure | None = None
    ground: StrOrPromise = ""  # why a KEPT value stays
    exported: bool = False  # in the customer's own copy (`export.subject_data`)
    not_exported: StrOrPromise = ""  # why not
    # What the records of processing call a field whose model gives it no name.
    label: StrOrPromise = ""

    def __post_init__(self) -> None:
        personal = self.kind == Kind.PERSONAL
        if (self.category is not None) != personal or (self.erasure is not None) != personal:
            raise ValueError("a personal field, and only one, has a category and an erasure")
        if personal != bool(self.subjects):
            raise ValueError("a personal field, and only one, names its data subjects")
        if (self.erasure == Erasure.KEPT) != bool(self.ground):
            raise ValueError("a kept field, and only one, names the ground for keeping it")
        if personal and self.exported == bool(self.not_exported):
            raise ValueError("a personal field is exported, or says why it is not")


NOT_PERSONAL = Entry(Kind.NOT_PERSONAL)
LINK = Entry(Kind.LINK)
CUSTOMERS = (Subject.CUSTOMER,)
STAFF = (Subject.STAFF,)


def erased(
    category: Category, *, not_exported: StrOrPromise = "", label: StrOrPromise = ""
) -> Entry:
    """The customer's own data, gone when the customer is erased."""
    return _personal(category, Erasure.ERASED, "", not_exported, CUSTOMERS, label)


def minimised(
    category: Category,
    *,
    not_exported: StrOrPromise = "",
    subjects: tuple[Subject, ...] = CUSTOMERS,
) -> Entry:
    """Part of a record kept after an erasure, cleared or with the person cut out of it."""
    return _personal(category, Erasure.MINIMISED, "", not_exported, subjects, "")


def kept(
    category: Category,
    ground: StrOrPromise,
    *,
    not_exported: StrOrPromise = "",
    subjects: tuple[Subject, ...] = CUSTOMERS,
    label: StrOrPromise = "",
) -> Entry:
    """Kept as it is when the customer is erased, on `ground`."""
    return _personal(category, Erasure.KEPT, ground, not_exported, subjects, label)


def _personal(
    category: Category,
    erasure: Erasure,
    ground: StrOrPromise,
    not_exported: StrOrPromise,
    subjects: tuple[Subject, ...],
    label: StrOrPromise,
) -> Entry:
    return Entry(
        Kind.PERSONAL,
        category=category,
        subjects=subjects,
        erasure=erasure,
        ground=ground,
        exported=not not_exported,
        not_exported=not_exported,
        label=label,
    )


# Grounds for keeping, the same words erasure.erasure_plan shows where it has them.
CUSTOMER_RECORD = _("GDPR art. 17(3)(b) and 5(2)")
ACCOUNTING = ACCOUNTING_GROUND
CONSENT_LEDGER = _("GDPR art. 7(1) and 5(2)")
REQUESTS = _("GDPR art. 12 and 5(2)")
DISCLOSURES = _("GDPR art. 5(2), 30")
HOLDS = _("GDPR art. 5(2)")
AUDIT_TRAIL = _("GDPR art. 5(2), 32")
BREACHES = _("GDPR art. 33(5) and 34")
MESSAGE_LOG = _(
    "GDPR art. 5(2): what was sent and when, until the campaign message retention policy deletes it"
)
CONFIRMATIONS = _(
    "GDPR art. 5(2) and 13: that the customer was told of the order, the credit check "
    "and the privacy notice, kept with the order"
)
# The copy gives each confirmation's order, times, channel and status; how the sending
# went inside the register is not the customer's data in any useful sense, and the
# language and the credit check are in the copy's own sections.
CONFIRMATION_COPY = _(
    "Not in the copy: the details of sending; the copy gives each confirmation's "
    "order, times, channel and status"
)
NOT_IDENTIFYING = _("Not identifying on its own: kept with the pseudonymised customer record")
STAFF_DATA = _(
    "Staff data, not erased with a customer: accounts are deactivated, never deleted, so "
    "the audit trail keeps its actors (GDPR art. 5(2), 32)"
)
RESTRICTION_LIST = _(
    "Direct marketing restrictions (GDPR art. 21(3)): replaced by the next import of the list"
)
RATE_LIMITS = _("GDPR art. 32: rate limits of the portal; pruned as new attempts are written")
PUBLISHED_CONTACT = _("GDPR art. 13(1)(a)-(b): the contact person named in the published notice")
ERASURE_LOG = _("GDPR art. 17 and 5(2): a restored backup cannot bring an erased customer back")
REPLAY_LOG = _(
    "GDPR art. 7(3), 18, 21 and 5(2): a restored backup cannot bring back processing the "
    "customer said no to"
)
DELIVERY_RECORD = _(
    "GDPR art. 5(2): that a web shop's order came and what became of it, without its "
    "content; the order itself is in the copy and kept for the books"
)
IMPORT_FILE = _(
    "Deleted when its import ends or is discarded, and 24 hours after the upload at the latest"
)

ADDRESS_LIST_FILE = _(
    "Deleted when it is downloaded, and an hour after it was prepared at the latest"
)

ACCESS_COPY_FILE = _(
    "Deleted when it is handed over, and an hour after it was prepared at the latest"
)

# Why a personal field is not in the customer's own copy.
IMPORT_FILE_COPY = _("Not in the copy: a file being imported, deleted within a day (see gaps)")
ADDRESS_LIST_FILE_COPY = _(
    "Not in the copy: an address list waiting for its download, deleted within an hour (see gaps)"
)
OF_STAFF = _("A staff member's data, not the customer's")
DIGEST_ONLY = _("A keyed digest: nothing in it can be read back or tied to a customer")
IDENTITY_CODE_COPY = _("A keyed digest of the identity code, which the copy gives")
NAME_KEY_COPY = _("A search key made of the names, which the copy gives")
MERGED_RECORD_COPY = _(
    "Set only on a record merged into another of the same person: the copy is made of the "
    "record it was merged into, and gives what stays on the merged record (its consent "
    "events and how it was handled) with it"
)
AUDIT_COPY = _(
    "Not in the copy: the copy says who handled the data by role, when, what was done and "
    "why, not the reasons typed, record numbers or addresses (docs/subject-access.md)"
)
STAFF_NAME_COPY = _("Not in the copy: a staff member's name; the copy gives their role")
BREACH_COPY = _(
    "Not in the copy: about a breach, not one customer; the people affected are told by "
    "the breach notice (art. 34)"
)
DOWNLOAD_COPY = _("Not in the copy: the download link's own log (see gaps)")
PREPARED_COPY = _("Not in the copy: the log of a copy prepared for hand-over (see gaps)")
REQUEST_STEP_COPY = _("Not in the copy: when the verification link was sent (see gaps)")
REQUEST_NOTICE_COPY = _(
    "Not in the copy: the messages about a request, which the person received themselves (see gaps)"
)
RECIPIENT_ADDRESS_COPY = _(
    "Not in the copy: the recipient's address for art. 19 notices; the copy names the recipient"
)
DELIVERY_COPY = _(
    "Not in the copy: the web shop's order as it came, which a doubtful match may have "
    "tied to the wrong person; the order made of it is in the copy (see gaps)"
)
RETURN_UPDATED_COPY = _("Not in the copy: when the return last changed (see gaps)")
SHOP_TIME_COPY = _("Not in the copy: the web shop's own time of its last change (see gaps)")
ERASURE_LOG_COPY = _("Exists only once the customer is erased; the copy gives the same id")
REPLAY_LOG_COPY = _(
    "The copy gives the same acts: the consent events, and the status of the customer"
)
NOTICE_COPY = _("Published in the privacy notice, not the customer's data")
HELD_CHANGES = _("GDPR art. 18(2) and 5(2): how a restriction of processing was kept")
HELD_CHANGE_COPY = _(
    "Not in the copy: a change staff asked for while the processing was restricted, "
    "which waits for the privacy officer; the copy has the data as it is"
)
PORTAL_COPY = _("A keyed digest of an IP or email address: cannot be tied to a customer")

AUDIT_SUBJECTS = (Subject.STAFF, Subject.CUSTOMER)


def _audit(
    category: Category,
    label: StrOrPromise,
    subjects: tuple[Subject, ...] = AUDIT_SUBJECTS,
    *,
    not_exported: StrOrPromise = AUDIT_COPY,
) -> Entry:
    return kept(category, AUDIT_TRAIL, not_exported=not_exported, subjects=subjects, label=label)


def _audit_in_copy(category: Category, label: StrOrPromise) -> Entry:
    """What the copy's list of who handled the data gives (copy._processing)."""
    return kept(category, AUDIT_TRAIL, subjects=AUDIT_SUBJECTS, label=label)


def _staff(category: Category = Category.STAFF_ACCOUNT, label: StrOrPromise = "") -> Entry:
    return kept(category, STAFF_DATA, not_exported=OF_STAFF, subjects=STAFF, label=label)


def _breach_text() -> Entry:
    return kept(Category.FREE_TEXT, BREACHES, not_exported=BREACH_COPY)


DATA_MAP: dict[str, dict[str, Entry]] = {
    # accounts ------------------------------------------------------------------------
    "accounts.User": {
        "id": NOT_PERSONAL,
        "password": _staff(),
        "last_login": _staff(),
        "is_superuser": _staff(),
        "username": _staff(),
        "first_name": _staff(),
        "last_name": _staff(),
        "email": _staff(),
        "is_staff": _staff(),
        "is_active": _staff(),
        "date_joined": _staff(),
        "groups": _staff(),
        "user_permissions": _staff(),
        "must_change_password": _staff(),
    },
    # Second factors: the key encrypted, the recovery codes as salted digests; what the
    # staff member's own devices are and when they were used is staff data.
    "accounts.Authenticator": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "name": NOT_PERSONAL,
        "confirmed": _staff(),
        "created_at": _staff(),
        "last_used_at": _staff(),
        "key_encrypted": _staff(label=_("authenticator key (encrypted)")),
        "step": NOT_PERSONAL,
        "t0": NOT_PERSONAL,
        "digits": NOT_PERSONAL,
        "tolerance": NOT_PERSONAL,
        "drift": NOT_PERSONAL,
        "last_t": _staff(),
        "throttling_failure_count": _staff(),
        "throttling_failure_timestamp": _staff(),
    },
    "accounts.RecoveryCodes": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "name": NOT_PERSONAL,
        "confirmed": _staff(),
        "created_at": _staff(),
        "last_used_at": _staff(),
        "salt": NOT_PERSONAL,
        "throttling_failure_count": _staff(),
        "throttling_failure_timestamp": _staff(),
    },
    "accounts.RecoveryCode": {
        "id": NOT_PERSONAL,
        "device": LINK,
        "digest": _staff(label=_("recovery code (salted digest)")),
    },
    "accounts.RoleGrant": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "role": _staff(),
        "requested_by": LINK,
        "requested_at": _staff(),
        "decided_by": LINK,
        "decided_at": _staff(),
        "decision": _staff(),
    },
    "accounts.SignInThrottle": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "failures": _staff(),
        "last_failure_at": _staff(),
        "blocked_until": _staff(),
    },
    "accounts.StaffSession": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "session_key_hash": NOT_PERSONAL,
        "started_at": _staff(),
        "last_seen": _staff(),
        "ip_address": _staff(Category.ONLINE_IDENTIFIERS, _("IP address")),
        "user_agent": _staff(Category.ONLINE_IDENTIFIERS, _("browser")),
    },
    "accounts.PledgeAcceptance": {
        "id": NOT_PERSONAL,
        "user": LINK,
        "version": NOT_PERSONAL,
        "language": NOT_PERSONAL,
        "text_digest": NOT_PERSONAL,
        "accepted_at": _staff(label=_("confidentiality pledge accepted")),
        "ip_address": _staff(Category.ONLINE_IDENTIFIERS, _("IP address")),
    },
    # audit ---------------------------------------------------------------------------
    "audit.AuditEvent": {
        "id": NOT_PERSONAL,
        "seq": NOT_PERSONAL,
        "occurred_at": _audit_in_copy(Category.ACCESS_LOG, _("time")),
        "actor_type": _audit_in_copy(Category.ACCESS_LOG, _("kind of actor")),
        "actor_user": LINK,
        "actor_label": _audit(Category.ACCESS_LOG, _("who"), STAFF, not_exported=STAFF_NAME_COPY),
        "action": _audit_in_copy(Category.ACCESS_LOG, _("action")),
        "object_type": _audit_in_copy(Category.ACCESS_LOG, _("kind of record")),
        "object_id": _audit(Category.ACCESS_LOG, _("record")),
        "customer": LINK,
        # Names of fields, never their values.
        "changed_fields": _audit_in_copy(Category.ACCESS_LOG, _("names of the fields changed")),
        # A reason about no customer, or an erasure's own (checked free of the
        # person's details: `erasure.personal_terms`).
        "reason": _audit(Category.FREE_TEXT, _("reason")),
        # Encrypted under the customer's own key (`SubjectKey`): erasure destroys the
        # key, and the text, which the trail never changes, can no longer be read.
        "personal_reason": erased(
            Category.FREE_TEXT,
            not_exported=AUDIT_COPY,
            label=_("reason about the customer (encrypted under a key of their own)"),
        ),
        "ip_address": _audit(Category.ONLINE_IDENTIFIERS, _("IP address")),
        "request_id": NOT_PERSONAL,
        "mac": NOT_PERSONAL,
        "prev_hash": NOT_PERSONAL,
        "hash": NOT_PERSONAL,
    },
    # The sealed chain's head after each batch: numbers and hashes.
    "audit.AuditCheckpoint": {
        "id": NOT_PERSONAL,
        "last_seq": NOT_PERSONAL,
        "last_hash": NOT_PERSONAL,
        "sealed_at": NOT_PERSONAL,
    },
    "audit.SubjectKey": {
        "id": NOT_PERSONAL,
        "customer": LINK,
        # A random key, encrypted; it says nothing about the person. Erasure overwrites
        # it with "", which is what erases `AuditEvent.personal_reason`.
        "key_encrypted": NOT_PERSONAL,
        "created_at": _audit(Category.ACCESS_LOG, _("time"), CUSTOMERS),
        "destroyed_at": _audit(Category.ACCESS_LOG, _("time"), CUSTOMERS),
    },
    # Refusals of requests nobody proved who sent, counted until their window closes
    # and one audit event carries the count (rekisteri/audit/refusals.py).
    "audit.RefusalTally": {
        "id": NOT_PERSONAL,
        "source": _audit(Category.ONLINE_IDENTIFIERS, _("IP address")),
        "subject_type": _audit(Category.ACCESS_LOG, _("kind of record")),
        "subject_id": _audit(Category.ACCESS_LOG, _("record")),
        "action": _audit(Category.ACCESS_LOG, _("action")),
        "reason": _audit(Category.ACCESS_LOG, _("reason")),
        "window_start": _audit(Category.ACCESS_LOG, _("time")),
        "count": NOT_PERSONAL,
        "first_at": _audit(Category.ACCESS_LOG, _("time")),
        "last_at": _audit(Category.ACCESS_LOG, _("time")),
        "actor_type": _audit(Category.ACCESS_LOG, _("kind of actor")),
        "actor_label": _audit(Category.ACCESS_LOG, _("who"), STAFF),
    },
    # customers -----------------------------------------------------------------------
    "customers.Customer": {
        "id": NOT_PERSONAL,
        "customer_number": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        "public_id": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD, label=_("opaque id")),
        "surname": erased(Category.IDENTITY),
        "first_names": erased(Category.IDENTITY),
        "street_address": erased(Category.CONTACT),
        "postal_code": erased(Category.CONTACT),
        "post_office": erased(Category.CONTACT),
        "country": kept(Category.CONTACT, NOT_IDENTIFYING),
        "phone": erased(Category.CONTACT),
        "email": erased(Category.CONTACT),
        "preferred_language": kept(Category.CUSTOMER_RELATIONSHIP, NOT_IDENTIFYING),
        "identity_code_encrypted": erased(
            Category.IDENTITY_CODE, label=_("personal identity code (encrypted)")
        ),
        "identity_code_index": erased(
            Category.IDENTITY_CODE,
            not_exported=IDENTITY_CODE_COPY,
            label=_("keyed digest of the identity code, for exact search"),
        ),
        "notes": erased(Category.FREE_TEXT),
        "source": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        # Becomes "anonymised".
        "status": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        "created_at": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        "updated_at": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        "last_activity_at": kept(Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD),
        "version": NOT_PERSONAL,
        "name_key": erased(
            Category.IDENTITY, not_exported=NAME_KEY_COPY, label=_("names as a search key")
        ),
        # A record merged into another of the same person points at it (the kept
        # record's number and public id are already in the copy); when it was merged.
        "merged_into": LINK,
        "merged_at": kept(
            Category.CUSTOMER_RELATIONSHIP, CUSTOMER_RECORD, not_exported=MERGED_RECORD_COPY
        ),
    },
    # A change staff asked for while the customer's processing was restricted (GDPR
    # art. 18): it waits for the privacy officer. What was asked is cleared once decided
    # and when the customer is erased; that it was asked and decided, and on which
    # ground, is kept as the record of how the restriction was kept.
    "customers.HeldChange": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "customer": LINK,
        "kind": kept(Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY),
        "order": LINK,
        # The names of the fields only, never their values.
        "changed_fields": kept(
            Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY
        ),
        "payload_encrypted": erased(
            Category.PRIVACY_RECORDS,
            not_exported=HELD_CHANGE_COPY,
            label=_("a change asked for while the processing was restricted (encrypted)"),
        ),
        "requested_by": LINK,
        "requested_by_label": _staff(),
        "requested_at": kept(Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY),
        "state": kept(Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY),
        "decided_by": LINK,
        "decided_at": kept(Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY),
        "ground": kept(Category.PRIVACY_RECORDS, HELD_CHANGES, not_exported=HELD_CHANGE_COPY),
        "decision_reason": erased(Category.FREE_TEXT, not_exported=HELD_CHANGE_COPY),
    },
    "customers.CustomerNumberCounter": {"id": NOT_PERSONAL, "last_number": NOT_PERSONAL},
    # intake: the web shops themselves; their orders are the orders app's ---------------
    "intake.Integration": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "kind": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "api_key_prefix": NOT_PERSONAL,
        "api_key_digest": NOT_PERSONAL,
        "secret_encrypted": NOT_PERSONAL,
        "shop_url": NOT_PERSONAL,
        "consumer_key_encrypted": NOT_PERSONAL,
        "consumer_secret_encrypted": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
        "last_used_at": NOT_PERSONAL,
        "revoked_at": NOT_PERSONAL,
        "sells_on_invoice": NOT_PERSONAL,
        "invoice_payment_methods": NOT_PERSONAL,
        "sync_position": NOT_PERSONAL,
        "sync_last_run_at": NOT_PERSONAL,
        "sync_last_outcome": NOT_PERSONAL,
        "sync_last_failed": NOT_PERSONAL,
        "test_received_at": NOT_PERSONAL,
    },
    "intake.WebhookDelivery": {
        "id": NOT_PERSONAL,
        "integration": LINK,
        "delivery_id": NOT_PERSONAL,
        "received_at": NOT_PERSONAL,
    },
    # The client's random key and a one-way digest of the body; deleted on erasure.
    "intake.IdempotencyKey": {
        "id": NOT_PERSONAL,
        "integration": LINK,
        "key": NOT_PERSONAL,
        "body_digest": NOT_PERSONAL,
        "order": LINK,
        "created_at": NOT_PERSONAL,
    },
    # A shop's delivery as it came. Its body names the buyer: purged by the retention
    # policy a month after it was finished, and at once when the customer is erased
    # (also for a doubtful match, `customer`). The row, its key and its digest stay.
    "intake.InboxDelivery": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "integration": LINK,
        "source": NOT_PERSONAL,
        "topic": NOT_PERSONAL,
        "delivery_key": NOT_PERSONAL,
        "body_digest": NOT_PERSONAL,
        "body_encrypted": erased(
            Category.ORDER_HISTORY,
            not_exported=DELIVERY_COPY,
            label=_("the order as the web shop sent it: the buyer's details and the order"),
        ),
        "received_at": kept(Category.ORDER_HISTORY, DELIVERY_RECORD, not_exported=DELIVERY_COPY),
        # The shop's or API client's server, not the buyer's browser.
        "ip_address": NOT_PERSONAL,
        "request_id": NOT_PERSONAL,
        "state": kept(Category.ORDER_HISTORY, DELIVERY_RECORD, not_exported=DELIVERY_COPY),
        "outcome": kept(Category.ORDER_HISTORY, DELIVERY_RECORD, not_exported=DELIVERY_COPY),
        "reason": NOT_PERSONAL,
        "detail": erased(
            Category.FREE_TEXT,
            not_exported=DELIVERY_COPY,
            label=_("why a shop's order waited for a person"),
        ),
        "external_id": kept(Category.ORDER_HISTORY, DELIVERY_RECORD, not_exported=DELIVERY_COPY),
        "order": LINK,
        "customer": LINK,
        "attempts": NOT_PERSONAL,
        "next_attempt_at": NOT_PERSONAL,
        "processed_at": kept(Category.ORDER_HISTORY, DELIVERY_RECORD, not_exported=DELIVERY_COPY),
        "resolved_by": LINK,
        "resolution": erased(
            Category.FREE_TEXT,
            not_exported=DELIVERY_COPY,
            label=_("how staff handled a shop's order that waited"),
        ),
        "purged_at": NOT_PERSONAL,
    },
    # orders --------------------------------------------------------------------------
    "orders.Product": {
        "id": NOT_PERSONAL,
        "sku": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "unit_price": NOT_PERSONAL,
        "vat_rate": NOT_PERSONAL,
        "is_active": NOT_PERSONAL,
    },
    "orders.Order": {
        "id": NOT_PERSONAL,
        "order_number": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "customer": LINK,
        "channel": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "integration": LINK,
        "external_id": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "external_modified_at": kept(
            Category.ORDER_HISTORY,
            ACCOUNTING,
            not_exported=SHOP_TIME_COPY,
            label=_("the shop's time of its last change"),
        ),
        "status": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "payment_method": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "delivery_name": minimised(Category.IDENTITY),
        "delivery_street_address": minimised(Category.CONTACT),
        "delivery_postal_code": minimised(Category.CONTACT),
        "delivery_post_office": minimised(Category.CONTACT),
        "delivery_country": kept(Category.CONTACT, NOT_IDENTIFYING),
        "total_gross": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "total_vat": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "currency": kept(Category.ORDER_HISTORY, ACCOUNTING, label=_("currency")),
        "created_by_user": LINK,
        "created_by_label": _staff(),
        "notes": minimised(Category.FREE_TEXT),
        "placed_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "settled_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "created_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "updated_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "version": NOT_PERSONAL,
    },
    "orders.OrderLine": {
        "id": NOT_PERSONAL,
        "order": LINK,
        "line_number": NOT_PERSONAL,
        "product": LINK,
        "sku": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "name": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "unit_price": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "vat_rate": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "quantity": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "line_total": kept(Category.ORDER_HISTORY, ACCOUNTING),
    },
    "orders.Delivery": {
        "id": NOT_PERSONAL,
        "order": LINK,
        "carrier": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "tracking_code": minimised(Category.ORDER_HISTORY),
        "status": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "shipped_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "delivered_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "created_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
    },
    "orders.Return": {
        "id": NOT_PERSONAL,
        "order": LINK,
        "reason": minimised(Category.FREE_TEXT),
        "status": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "refund_amount": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "created_at": kept(Category.ORDER_HISTORY, ACCOUNTING),
        "updated_at": kept(Category.ORDER_HISTORY, ACCOUNTING, not_exported=RETURN_UPDATED_COPY),
    },
    "orders.ReturnLine": {
        "id": NOT_PERSONAL,
        "return_request": LINK,
        "order_line": LINK,
        "quantity": kept(Category.ORDER_HISTORY, ACCOUNTING),
    },
    "orders.OrderNumberCounter": {"id": NOT_PERSONAL, "last_number": NOT_PERSONAL},
    "orders.OrderConfirmation": {
        "id": NOT_PERSONAL,
        "order": LINK,
        "channel": kept(Category.ORDER_HISTORY, CONFIRMATIONS),
        "status": kept(Category.ORDER_HISTORY, CONFIRMATIONS),
        "language": kept(
            Category.CUSTOMER_RELATIONSHIP, CONFIRMATIONS, not_exported=CONFIRMATION_COPY
        ),
        "tells_of_credit_check": kept(
            Category.PAYMENT_AND_CREDIT, CONFIRMATIONS, not_exported=CONFIRMATION_COPY
        ),
        "requested_at": kept(Category.ORDER_HISTORY, CONFIRMATIONS),
        "requested_by_label": _staff(),
        "attempts": kept(Category.ORDER_HISTORY, CONFIRMATIONS, not_exported=CONFIRMATION_COPY),
        "sent_at": kept(Category.ORDER_HISTORY, CONFIRMATIONS),
        "detail": kept(Category.ORDER_HISTORY, CONFIRMATIONS, not_exported=CONFIRMATION_COPY),
    },
    # credit --------------------------------------------------------------------------
    "credit.CreditPolicy": {
        "id": NOT_PERSONAL,
        "decline_on_payment_defaults": NOT_PERSONAL,
        "max_invoice_total": NOT_PERSONAL,
        "decline_unknown_person": NOT_PERSONAL,
        "updated_at": NOT_PERSONAL,
        "updated_by_label": _staff(),
    },
    "credit.CreditCheck": {
        "id": NOT_PERSONAL,
        "order": LINK,
        "checked_at": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "requested_by_user": LINK,
        "requested_by_label": _staff(),
        "provider": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "is_simulated": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "decision": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "reason_code": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "classification_code": minimised(Category.PAYMENT_AND_CREDIT),
        "default_count": minimised(Category.PAYMENT_AND_CREDIT),
        "provider_reference": minimised(Category.PAYMENT_AND_CREDIT),
        "override_decision": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
        "override_reason": minimised(Category.FREE_TEXT),
        "overridden_by": LINK,
        "overridden_at": kept(Category.PAYMENT_AND_CREDIT, ACCOUNTING),
    },
    # consents ------------------------------------------------------------------------
    "consents.ConsentText": {
        "id": NOT_PERSONAL,
        "channel": NOT_PERSONAL,
        "purpose": NOT_PERSONAL,
        "version": NOT_PERSONAL,
        "text_fi": NOT_PERSONAL,
        "text_sv": NOT_PERSONAL,
        "text_en": NOT_PERSONAL,
        "published_at": NOT_PERSONAL,
    },
    "consents.ConsentEvent": {
        "id": NOT_PERSONAL,
        "customer": LINK,
        "channel": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "purpose": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "kind": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "occurred_at": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "source": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "text": LINK,
        "language": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
        "staff_user": LINK,
        "ip_address": minimised(Category.ONLINE_IDENTIFIERS),
        "user_agent": minimised(Category.ONLINE_IDENTIFIERS),
        "order": LINK,
    },
    # marketing -----------------------------------------------------------------------
    "marketing.TargetGroup": {
        "id": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "channel": NOT_PERSONAL,
        "skus": NOT_PERSONAL,
        "last_order_from": NOT_PERSONAL,
        "last_order_to": NOT_PERSONAL,
        "minimum_total_spent": NOT_PERSONAL,
        "postal_code_ranges": NOT_PERSONAL,
        "languages": NOT_PERSONAL,
        "created_by": LINK,
        "created_at": NOT_PERSONAL,
        "updated_by": LINK,
        "updated_at": NOT_PERSONAL,
        "version": NOT_PERSONAL,
    },
    "marketing.Campaign": {
        "id": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "channel": NOT_PERSONAL,
        "target_group": LINK,
        "subject": NOT_PERSONAL,
        "body": NOT_PERSONAL,
        "existing_customer_exception": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "recipients_total": NOT_PERSONAL,
        "sent_count": NOT_PERSONAL,
        "skipped_count": NOT_PERSONAL,
        "failed_count": NOT_PERSONAL,
        "created_by": LINK,
        "created_at": NOT_PERSONAL,
        "updated_at": NOT_PERSONAL,
        "queued_by": LINK,
        "queued_at": NOT_PERSONAL,
        "started_at": NOT_PERSONAL,
        "finished_at": NOT_PERSONAL,
        "version": NOT_PERSONAL,
    },
    "marketing.CampaignMessage": {
        "id": NOT_PERSONAL,
        "campaign": LINK,
        "customer": LINK,
        # What the unsubscribe token signs; says nothing about the person.
        "public_id": NOT_PERSONAL,
        "status": kept(Category.MARKETING_CHOICES, MESSAGE_LOG),
        "detail": kept(Category.MARKETING_CHOICES, MESSAGE_LOG),
        # The email or SMS service's id of the message: a reference, like a key.
        "provider_id": NOT_PERSONAL,
        "sent_at": kept(Category.MARKETING_CHOICES, MESSAGE_LOG),
        "unsubscribed_at": kept(Category.MARKETING_CHOICES, MESSAGE_LOG),
    },
    "marketing.AddressList": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "target_group": LINK,
        "kind": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "created_by": LINK,
        "created_at": NOT_PERSONAL,
        "started_at": NOT_PERSONAL,
        "finished_at": NOT_PERSONAL,
        "downloaded_at": NOT_PERSONAL,
        "rows_total": NOT_PERSONAL,
        "rows_done": NOT_PERSONAL,
        "rows_written": NOT_PERSONAL,
        "left_out_restriction_list": NOT_PERSONAL,
        "left_out_consents": NOT_PERSONAL,
        # Names and postal addresses of a post group's members.
        "file_encrypted": kept(
            Category.CONTACT,
            ADDRESS_LIST_FILE,
            not_exported=ADDRESS_LIST_FILE_COPY,
            label=_("a prepared address list or labels (encrypted), until downloaded"),
        ),
        "file_size": NOT_PERSONAL,
        "file_expires_at": NOT_PERSONAL,
        "error": NOT_PERSONAL,
    },
    "marketing.RestrictionList": {
        "id": NOT_PERSONAL,
        "imported_at": NOT_PERSONAL,
        "imported_by": LINK,
        "rows_read": NOT_PERSONAL,
        "rows_rejected": NOT_PERSONAL,
        "key_id": NOT_PERSONAL,
    },
    "marketing.RestrictionEntry": {
        "id": NOT_PERSONAL,
        "restriction_list": LINK,
        "digest": kept(
            Category.MARKETING_CHOICES,
            RESTRICTION_LIST,
            not_exported=DIGEST_ONLY,
            subjects=(Subject.RESTRICTION_LIST,),
            label=_("keyed digest of a name and address"),
        ),
    },
    # backups -------------------------------------------------------------------------
    "backups.BackupRun": {
        "id": NOT_PERSONAL,
        "kind": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "started_at": NOT_PERSONAL,
        "finished_at": NOT_PERSONAL,
        "actor_label": _staff(label=_("who ran it")),
        "engine": NOT_PERSONAL,
        "file_name": NOT_PERSONAL,
        "size_bytes": NOT_PERSONAL,
        "sha256": NOT_PERSONAL,
        "key_id": NOT_PERSONAL,
        # A one-line reason, never personal data (backups.models).
        "error": NOT_PERSONAL,
        "verified_at": NOT_PERSONAL,
        "removed_at": NOT_PERSONAL,
        "bytes_done": NOT_PERSONAL,
        "bytes_total": NOT_PERSONAL,
        "progress_at": NOT_PERSONAL,
    },
    # imports: uploaded customer files until their import ends, and what stays -------
    "imports.CustomerImport": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "created_by": LINK,
        "created_at": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "file_format": NOT_PERSONAL,
        "file_size": NOT_PERSONAL,
        # Names, contact data, identity codes and marketing choices of everyone on the list.
        "file_encrypted": kept(
            Category.CONTACT,
            IMPORT_FILE,
            not_exported=IMPORT_FILE_COPY,
            label=_("an uploaded customer file (encrypted), until its import ends"),
        ),
        "file_expires_at": NOT_PERSONAL,
        "mapping": NOT_PERSONAL,
        "rows_total": NOT_PERSONAL,
        "rows_done": NOT_PERSONAL,
        "rows_ok": NOT_PERSONAL,
        "rows_with_remarks": NOT_PERSONAL,
        "rows_refused": NOT_PERSONAL,
        "consents_imported": NOT_PERSONAL,
        "run_started_at": NOT_PERSONAL,
        "finished_at": NOT_PERSONAL,
    },
    # Row numbers, statuses, field names and reasons: never a value of the file.
    "imports.ImportRow": {
        "id": NOT_PERSONAL,
        "customer_import": LINK,
        "number": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "problems": NOT_PERSONAL,
    },
    "imports.ImportedConsent": {
        "id": NOT_PERSONAL,
        "consent_event": LINK,
        "customer_import": LINK,
        "evidence": kept(Category.MARKETING_CHOICES, CONSENT_LEDGER),
    },
    # privacy -------------------------------------------------------------------------
    "privacy.SubjectRequest": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "kind": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "received_via": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "received_at": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "status": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "requester_name": minimised(Category.IDENTITY, subjects=(Subject.REQUESTER,)),
        "requester_email": minimised(Category.CONTACT, subjects=(Subject.REQUESTER,)),
        "details": minimised(Category.FREE_TEXT, subjects=(Subject.REQUESTER,)),
        "language": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "customer": LINK,
        "verified_at": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "verification_method": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "verification_note": minimised(Category.FREE_TEXT, subjects=(Subject.REQUESTER,)),
        "verification_sent_at": kept(
            Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_STEP_COPY
        ),
        "due_on": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "extended_to": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "extension_reason": minimised(Category.FREE_TEXT),
        # The reminder to staff of a near deadline: about the team's work, not the person.
        "reminded_at": NOT_PERSONAL,
        "recorded_by": LINK,
        "handled_by": LINK,
        "closed_at": kept(Category.PRIVACY_RECORDS, REQUESTS),
        "outcome": minimised(Category.FREE_TEXT),
        "ip_address": minimised(Category.ONLINE_IDENTIFIERS, subjects=(Subject.REQUESTER,)),
        "version": NOT_PERSONAL,
    },
    "privacy.Disclosure": {
        "id": NOT_PERSONAL,
        "customer": LINK,
        "recipient_kind": kept(Category.PRIVACY_RECORDS, DISCLOSURES),
        "recipient": minimised(Category.PRIVACY_RECORDS),
        "recipient_email": kept(
            Category.PRIVACY_RECORDS, DISCLOSURES, not_exported=RECIPIENT_ADDRESS_COPY
        ),
        "legal_ground": minimised(Category.PRIVACY_RECORDS),
        "reference": minimised(Category.PRIVACY_RECORDS),
        "categories": kept(Category.PRIVACY_RECORDS, DISCLOSURES),
        "disclosed_at": kept(Category.PRIVACY_RECORDS, DISCLOSURES),
        "disclosed_by": LINK,
        "subject_request": LINK,
    },
    "privacy.RequestNotice": {
        "id": NOT_PERSONAL,
        "subject_request": LINK,
        "kind": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
        "disclosure": LINK,
        "language": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
        "channel": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
        # Only until the message is sent or given up.
        "address": minimised(
            Category.CONTACT,
            not_exported=REQUEST_NOTICE_COPY,
            subjects=(Subject.CUSTOMER, Subject.REQUESTER),
        ),
        # The same words to everyone with a request of its kind.
        "subject": NOT_PERSONAL,
        "status": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
        "created_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
        "sent_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=REQUEST_NOTICE_COPY),
    },
    "privacy.AccessDelivery": {
        "id": NOT_PERSONAL,
        "subject_request": LINK,
        # The download link's id; signed, it is the link's key.
        "public_id": NOT_PERSONAL,
        "created_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=DOWNLOAD_COPY),
        "expires_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=DOWNLOAD_COPY),
        "downloaded_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=DOWNLOAD_COPY),
        "download_count": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=DOWNLOAD_COPY),
        "downloads_allowed": NOT_PERSONAL,
    },
    "privacy.AccessCopy": {
        "id": NOT_PERSONAL,
        "subject_request": LINK,
        "public_id": NOT_PERSONAL,
        "status": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=PREPARED_COPY),
        "created_by": LINK,
        "created_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=PREPARED_COPY),
        "started_at": NOT_PERSONAL,
        "finished_at": NOT_PERSONAL,
        "handed_over_at": kept(Category.PRIVACY_RECORDS, REQUESTS, not_exported=PREPARED_COPY),
        "sections_total": NOT_PERSONAL,
        "sections_done": NOT_PERSONAL,
        # The whole copy: every category of the customer's data, identity code included.
        "file_encrypted": kept(
            Category.CONTACT,
            ACCESS_COPY_FILE,
            not_exported=PREPARED_COPY,
            label=_("the customer's own copy prepared for hand-over (encrypted)"),
        ),
        "file_size": NOT_PERSONAL,
        "file_expires_at": NOT_PERSONAL,
        # A one-line reason in the source language, never a value of the copy.
        "error": NOT_PERSONAL,
    },
    "privacy.LegalHold": {
        "id": NOT_PERSONAL,
        "customer": LINK,
        "reason": minimised(Category.FREE_TEXT),
        "placed_at": kept(Category.PRIVACY_RECORDS, HOLDS),
        "placed_by": LINK,
        "lifted_at": kept(Category.PRIVACY_RECORDS, HOLDS),
        "lifted_by": LINK,
    },
    "privacy.ErasureLogEntry": {
        "id": NOT_PERSONAL,
        "customer_public_id": kept(
            Category.CUSTOMER_RELATIONSHIP, ERASURE_LOG, not_exported=ERASURE_LOG_COPY
        ),
        "erased_at": kept(
            Category.CUSTOMER_RELATIONSHIP, ERASURE_LOG, not_exported=ERASURE_LOG_COPY
        ),
    },
    "privacy.ReplayLogEntry": {
        "id": NOT_PERSONAL,
        # An opaque id of the act, which makes its replay idempotent.
        "act_id": NOT_PERSONAL,
        "customer_public_id": kept(
            Category.CUSTOMER_RELATIONSHIP, REPLAY_LOG, not_exported=REPLAY_LOG_COPY
        ),
        "kind": kept(Category.MARKETING_CHOICES, REPLAY_LOG, not_exported=REPLAY_LOG_COPY),
        "channel": kept(Category.MARKETING_CHOICES, REPLAY_LOG, not_exported=REPLAY_LOG_COPY),
        "source": kept(Category.MARKETING_CHOICES, REPLAY_LOG, not_exported=REPLAY_LOG_COPY),
        "done_at": kept(Category.MARKETING_CHOICES, REPLAY_LOG, not_exported=REPLAY_LOG_COPY),
    },
    "privacy.RetentionPolicy": {
        "id": NOT_PERSONAL,
        "category": NOT_PERSONAL,
        "months": NOT_PERSONAL,
        "enabled": NOT_PERSONAL,
        "updated_at": NOT_PERSONAL,
        "updated_by": LINK,
    },
    "privacy.PortalAttempt": {
        "id": NOT_PERSONAL,
        "action": NOT_PERSONAL,
        "key_digest": kept(
            Category.ONLINE_IDENTIFIERS,
            RATE_LIMITS,
            not_exported=PORTAL_COPY,
            subjects=(Subject.CUSTOMER, Subject.REQUESTER),
            label=_("keyed digest of an IP or email address"),
        ),
        "at": NOT_PERSONAL,
    },
    "privacy.RegisterDescription": {
        "id": NOT_PERSONAL,
        "version": NOT_PERSONAL,
        # Names the contact person for register matters, with a phone number.
        "content": kept(
            Category.STAFF_ACCOUNT, PUBLISHED_CONTACT, not_exported=NOTICE_COPY, subjects=STAFF
        ),
        "published_at": NOT_PERSONAL,
        "published_by": LINK,
        "change_note": NOT_PERSONAL,
    },
    # About an incident; the people it concerns are its BreachSubjects.
    "privacy.Breach": {
        "id": NOT_PERSONAL,
        "public_id": NOT_PERSONAL,
        "detected_at": NOT_PERSONAL,
        "occurred_at": NOT_PERSONAL,
        "summary": _breach_text(),
        "description": _breach_text(),
        "data_categories": NOT_PERSONAL,
        "people_affected": NOT_PERSONAL,
        "records_affected": NOT_PERSONAL,
        "likely_consequences": _breach_text(),
        "measures_taken": _breach_text(),
        "decision": NOT_PERSONAL,
        "decision_reason": _breach_text(),
        "decided_at": NOT_PERSONAL,
        "decided_by": LINK,
        "authority_notified_at": NOT_PERSONAL,
        "authority_reference": NOT_PERSONAL,
        "late_notification_reason": _breach_text(),
        "people_must_be_told": NOT_PERSONAL,
        # The same words to everyone affected.
        "notice_subject": NOT_PERSONAL,
        "notice_body": NOT_PERSONAL,
        "reminded_at": NOT_PERSONAL,
        "recorded_at": NOT_PERSONAL,
        "recorded_by": LINK,
        "closed_at": NOT_PERSONAL,
        "version": NOT_PERSONAL,
    },
    "privacy.BreachSubject": {
        "id": NOT_PERSONAL,
        "breach": LINK,
        "customer": LINK,
        "added_at": kept(Category.PRIVACY_RECORDS, BREACHES),
        "notice_status": kept(Category.PRIVACY_RECORDS, BREACHES),
        "notified_at": kept(Category.PRIVACY_RECORDS, BREACHES),
        "detail": kept(Category.PRIVACY_RECORDS, BREACHES),
    },
}


class PersonalField(NamedTuple):
    model: str  # "app_label.ModelName"
    field: str
    entry: Entry


def _models(registry: Apps) -> Iterable[type[models.Model]]:
    for model in registry.get_models():
        if model._meta.app_config.name.startswith(PACKAGE) and not model._meta.proxy:
            yield model


def model_fields(model: type[models.Model]) -> list[Field[object, object]]:
    """The fields a model stores: its columns and its many-to-many relations."""
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def undeclared_fields(registry: Apps = apps) -> list[str]:
    """ "app_label.Model.field" of every stored field the map does not declare."""
    missing = []
    for model in _models(registry):
        declared = DATA_MAP.get(model._meta.label, {})
        missing += [
            f"{model._meta.label}.{field.name}"
            for field in model_fields(model)
            if field.name not in declared
        ]
    return sorted(missing)


def stale_declarations(registry: Apps = apps) -> list[str]:
    """Declarations of models or fields that no longer exist: "app_label.Model.field"."""
    present = {
        model._meta.label: {field.name for field in model_fields(model)}
        for model in _models(registry)
    }
    return sorted(
        f"{label}.{name}"
        for label, fields in DATA_MAP.items()
        for name in fields
        if name not in present.get(label, set())
    )


def personal_fields(category: Category | None = None) -> list[PersonalField]:
    """The personal fields, in the map's order, of one category or of all."""
    return [
        PersonalField(label, name, entry)
        for label, fields in DATA_MAP.items()
        for name, entry in fields.items()
        if entry.kind == Kind.PERSONAL and (category is None or entry.category == category)
    ]


def categories_in_use() -> list[Category]:
    """The categories some field holds, in the order of `Category`."""
    used = {entry.category for _model, _field, entry in personal_fields()}
    return [category for category in Category if category in used]


def subjects_in_use() -> list[Subject]:
    """The categories of data subjects some personal field is about."""
    used = {subject for _model, _field, entry in personal_fields() for subject in entry.subjects}
    return [subject for subject in Subject if subject in used]
