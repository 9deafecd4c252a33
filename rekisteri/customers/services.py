"""Writes to the customer register. Each one validates first, then writes the change
and its audit event in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri import crypto, fi
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.customers.models import (
    IDENTITY_CODE_PURPOSE,
    Customer,
    CustomerNumberCounter,
    HeldChangeKind,
    Language,
    Source,
    Status,
)
from rekisteri.customers.restriction import (
    RESTRICTED_MEANWHILE,
    change_hold,
    processing_restricted,
)
from rekisteri.customers.selectors import customer_duplicates
from rekisteri.privacy.models import RequestKind, RequestStatus, SubjectRequest
from rekisteri.reasons import reason_collapse, reason_require
from rekisteri.running_numbers import next_running_number
from rekisteri.versioning import version_bump, version_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

IDENTITY_CODE_MESSAGES = {
    "format": _(
        "Enter the identity code as date of birth, century sign, individual number and "
        "check character (DDMMYYCNNNT)."
    ),
    "date": _("The date of birth in the identity code is not a real date."),
    "checksum": _("The check character of the identity code does not match; check the code."),
    "temporary": _("Temporary identity codes (individual numbers 900–999) are not accepted."),
}
TEXT_MESSAGES = {
    "unprintable": _(
        "Remove control characters and invisible characters, such as direction marks and "
        "zero-width spaces."
    ),
    "name": _("Write the name in letters, without emoji or other symbols."),
}


@dataclass(frozen=True)
class CustomerInput:
    """A customer's own data as staff, an integration or an import give it."""

    surname: str
    first_names: str
    street_address: str = ""
    postal_code: str = ""
    post_office: str = ""
    country: str = fi.FINLAND
    phone: str = ""
    email: str = ""
    preferred_language: str = Language.FINNISH
    notes: str = ""


# `Language.values` builds its list anew on every use: once here.
LANGUAGES = frozenset(Language.values)


class DuplicateCustomer(Exception):
    """The register seems to hold this customer already."""

    def __init__(self, candidates: list[Customer]) -> None:
        super().__init__(f"{len(candidates)} possible duplicate(s)")
        self.candidates = candidates


def _clean_input(data: CustomerInput) -> dict[str, str]:
    """Normalised values of `data`, or a ValidationError naming every bad field."""
    errors: dict[str, list[StrOrPromise]] = {}
    values = {f.name: " ".join(str(getattr(data, f.name)).split()) for f in fields(data)}
    values["notes"] = data.notes.strip()
    for name in ("surname", "first_names"):
        if not values[name]:
            errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = fi.normalize_name(values[name])
        except fi.InvalidValue as error:
            errors[name] = [TEXT_MESSAGES[error.reason]]
    for name in ("street_address", "post_office", "notes"):
        try:
            values[name] = fi.normalize_text(values[name], keep="\r\n\t" if name == "notes" else "")
        except fi.InvalidValue as error:
            errors[name] = [TEXT_MESSAGES[error.reason]]
    country = values["country"].upper() or fi.FINLAND
    if country not in countries:
        errors["country"] = [_("Choose a country from the list.")]
    values["country"] = country
    if values["postal_code"]:
        try:
            values["postal_code"] = fi.normalize_postal_code(values["postal_code"], country=country)
        except fi.InvalidValue as error:
            errors["postal_code"] = [
                _("A Finnish postal code is five digits, such as 90650.")
                if error.reason == "postal_code_fi"
                else _("Enter a postal code of letters, digits, spaces and hyphens.")
            ]
    if values["phone"]:
        try:
            values["phone"] = fi.normalize_phone(values["phone"])
        except fi.InvalidValue:
            errors["phone"] = [
                _("Enter a valid phone number, such as 040 123 4567 or +46 70 123 4567.")
            ]
    if values["email"]:
        try:
            values["email"] = fi.normalize_email(values["email"])
        except fi.InvalidValue:
            errors["email"] = [_("Enter a valid email address, such as name@example.fi.")]
    if values["preferred_language"] not in LANGUAGES:
        errors["preferred_language"] = [_("Choose Finnish, Swedish or English.")]
    has_address = all(values[n] for n in ("street_address", "postal_code", "post_office"))
    if not (values["phone"] or values["email"] or has_address) and not errors:
        errors["phone"] = [
            _("Give at least one way to reach the customer: phone, email or full address.")
        ]
    if errors:
        raise ValidationError(errors)
    return values


def _clean_identity_code(identity_code: str) -> str:
    try:
        return fi.normalize_identity_code(
            identity_code, allow_temporary=settings.ACCEPT_TEMPORARY_IDENTITY_CODES
        )
    except fi.InvalidValue as error:
        raise ValidationError({"identity_code": [IDENTITY_CODE_MESSAGES[error.reason]]}) from None


def customer_input_clean(data: CustomerInput, identity_code: str) -> tuple[dict[str, str], str]:
    """Both the contact data and the identity code (compact, "" for none), normalised,
    or a ValidationError with the errors of both at once. No database."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    compact = ""
    try:
        values = _clean_input(data)
    except ValidationError as error:
        errors.update(error.message_dict)
    if identity_code.strip():
        try:
            compact = _clean_identity_code(identity_code)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return values, compact


def identity_code_index(compact: str) -> str:
    """The blind index an identity code is stored with: under the active index key."""
    return crypto.keyring().blind_index(compact, purpose=IDENTITY_CODE_PURPOSE)


def identity_code_indexes(compact: str) -> list[str]:
    """Every blind index a stored identity code may have, one per index key in the
    ring: a lookup by them finds codes indexed before and after a key rotation."""
    return crypto.keyring().blind_indexes(compact, purpose=IDENTITY_CODE_PURPOSE)


IDENTITY_CODE_ONLY_WITH_AN_ORDER = _(
    "An identity code is stored only for a credit check or a sale on credit: give it with "
    "the customer's invoice order."
)
UNREADABLE_IDENTITY_CODE = _(
    "The stored identity code cannot be read: it was altered, or copied here from another "
    "customer's record, or its key is missing. Tell the administrator."
)


def identity_code_encrypt(ring: crypto.KeyRing, customer: Customer, compact: str) -> str:
    """The ciphertext of an identity code, bound to this customer's row by its public
    id (set before the first save): copied onto another customer it does not decrypt."""
    return ring.encrypt(compact, purpose=IDENTITY_CODE_PURPOSE, row=str(customer.public_id))


def identity_code_decrypt(ring: crypto.KeyRing, customer: Customer) -> str:
    """The customer's stored identity code in plain text (DecryptionError when it was
    made for another customer, or altered)."""
    return ring.decrypt(
        customer.identity_code_encrypted,
        purpose=IDENTITY_CODE_PURPOSE,
        row=str(customer.public_id),
    )


def _set_identity_code(customer: Customer, compact: str) -> None:
    ring = crypto.keyring()
    customer.identity_code_encrypted = identity_code_encrypt(ring, customer, compact)
    customer.identity_code_index = ring.blind_index(compact, purpose=IDENTITY_CODE_PURPOSE)


def _next_customer_number() -> int:
    return next_running_number(CustomerNumberCounter)


def customer_built(
    *, values: dict[str, str], compact: str, source: str, now: datetime.datetime
) -> Customer:
    """A new customer from `customer_input_clean`'s values, not saved and without its
    customer number, the identity code encrypted and indexed: what `customer_create`
    stores, and the import stores in bulk. Raises ValidationError for what only the
    model knows (the lengths of the fields)."""
    customer = Customer(
        **values,
        source=source,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        name_key=fi.name_key(f"{values['surname']} {values['first_names']}"),
    )
    if compact:
        _set_identity_code(customer, compact)
    # The number and public id are generated unique, and the database enforces
    # both and the check constraints: no queries spent re-checking them. The country
    # was checked against the same list by the cleaning; the field's own check walks
    # every country's choice again (a millisecond a customer, most of an import's time).
    customer.full_clean(exclude=BUILT_UNCHECKED, validate_unique=False, validate_constraints=False)
    return customer


# What `customer_built`'s model check leaves out: the number (given later), the
# country (see there), and what it makes itself rather than takes from the caller:
# the public id, status and version (the defaults), the times, the ciphertext. The
# caller's values, the source and the derived keys (their lengths) are all checked.
BUILT_UNCHECKED = [
    "customer_number",
    "country",
    "public_id",
    "status",
    "version",
    "created_at",
    "updated_at",
    "last_activity_at",
    "identity_code_encrypted",
]


def customer_created_fields(values: dict[str, str], compact: str) -> list[str]:
    """The fields the audit event of a new customer names."""
    changed = [name for name, value in values.items() if value]
    if compact:
        changed.append("identity_code")
    return [*changed, "source"]


def customer_create(
    *,
    actor: Actor,
    data: CustomerInput,
    source: str,
    identity_code: str = "",
    allow_duplicate: bool = False,
) -> Customer:
    """Adds a customer to the register (P1, P5, P7, P8, P10).

    Raises ValidationError for bad input and DuplicateCustomer when the email, phone
    or identity code is already on another customer, unless `allow_duplicate`."""
    values, compact = customer_input_clean(data, identity_code)
    if source not in Source.values:
        raise ValidationError({"source": [_("Choose where the customer relationship started.")]})
    if not allow_duplicate:
        candidates = customer_duplicates(
            email=values["email"],
            phone=values["phone"],
            identity_code_indexes=identity_code_indexes(compact) if compact else [],
        )
        if candidates:
            raise DuplicateCustomer(candidates)
    customer = customer_built(values=values, compact=compact, source=source, now=timezone.now())
    with audited_transaction():
        customer.customer_number = _next_customer_number()
        customer.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=customer,
            customer=customer,
            changed_fields=customer_created_fields(values, compact),
        )
    return customer


def customer_update(
    *,
    actor: Actor,
    customer: Customer,
    expected_version: int,
    data: CustomerInput,
    identity_code: str = "",
    remove_identity_code: bool = False,
    restriction_ground: str = "",
    subject_request: SubjectRequest | None = None,
) -> Customer:
    """Changes a customer's data. A blank `identity_code` keeps the stored one. An
    edit made for a rectification request (`subject_request`, GDPR art. 16) names the
    request in its audit event.

    Raises ValidationError for bad input and Conflict when the customer was
    changed since `expected_version` was read: a concurrent edit is never lost.
    A restricted customer's change waits for the privacy officer (ChangeHeld,
    `customers.restriction`) unless `restriction_ground` (art. 18(2)) is given."""
    values, compact = customer_input_clean(data, identity_code)
    request_note = _rectification_note(subject_request, customer)
    if processing_restricted(customer, ground=restriction_ground):
        _customer_update_hold(
            actor, customer, expected_version, values, compact, remove_identity_code
        )
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        version_check(current, expected_version)
        if current.status == Status.ANONYMISED:
            raise ValidationError(_("An anonymised customer cannot be changed."))
        if compact and not current.has_identity_code:
            # Added only with an invoice order, which needs it (P8); here only corrected.
            raise ValidationError({"identity_code": [IDENTITY_CODE_ONLY_WITH_AN_ORDER]})
        if current.status == Status.RESTRICTED and not restriction_ground:
            raise ValidationError(RESTRICTED_MEANWHILE)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, values[name])
        if compact and current.identity_code_index not in identity_code_indexes(compact):
            _set_identity_code(current, compact)
            changed.append("identity_code")
        elif remove_identity_code and current.has_identity_code and not compact:
            current.identity_code_encrypted = ""
            current.identity_code_index = ""
            changed.append("identity_code")
        if not changed:
            return current
        current.name_key = fi.name_key(f"{current.surname} {current.first_names}")
        current.updated_at = timezone.now()
        version_bump(current)
        current.full_clean(validate_unique=False, validate_constraints=False)
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            customer=current,
            changed_fields=changed,
            reason=request_note,
        )
    return current


def _rectification_note(subject_request: SubjectRequest | None, customer: Customer) -> str:
    """The audit reason of an edit made for a rectification request, after checking
    that the request is this customer's open rectification request."""
    if subject_request is None:
        return ""
    if (
        subject_request.customer_id != customer.pk
        or subject_request.kind != RequestKind.RECTIFICATION
        or subject_request.status != RequestStatus.OPEN
    ):
        raise ValidationError(
            {"subject_request": [_("Choose an open rectification request of this customer's.")]}
        )
    return f"rectification (art. 16) for subject request {subject_request.public_id}"


def _customer_update_hold(
    actor: Actor,
    customer: Customer,
    expected_version: int,
    values: dict[str, str],
    compact: str,
    remove_identity_code: bool,
) -> None:
    """Keeps the edit of a restricted customer for the privacy officer and raises
    ChangeHeld; an edit of an older version is a Conflict, as it would be applied."""
    current = Customer.objects.get(pk=customer.pk)
    version_check(current, expected_version)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    new_code = compact and current.identity_code_index not in identity_code_indexes(compact)
    code_removed = remove_identity_code and current.has_identity_code and not compact
    if new_code or code_removed:
        changed.append("identity_code")
    if not changed:
        return
    raise change_hold(
        actor=actor,
        customer=current,
        kind=HeldChangeKind.CUSTOMER_UPDATE,
        payload={
            "data": values,
            "identity_code": compact,
            "remove_identity_code": remove_identity_code,
        },
        changed_fields=changed,
    )


def customer_record_view(*, actor: Actor, customer: Customer) -> None:
    """Records that a person or an integration read this customer's data."""
    audit_record(actor=actor, action=Action.VIEW, obj=customer, customer=customer)


def customer_identity_code_reveal(*, actor: Actor, customer: Customer, reason: str) -> str:
    """The identity code in plain text, for a stated reason that the audit trail keeps."""
    reason = reason_collapse(reason)
    reason_require(
        reason,
        field="reason",
        message=_("Say why you need the identity code (at least 10 characters)."),
    )
    if not customer.has_identity_code:
        raise ValidationError(_("No identity code is stored for this customer."))
    with audited_transaction():
        try:
            plain = identity_code_decrypt(crypto.keyring(), customer)
        except crypto.DecryptionError:
            raise ValidationError(UNREADABLE_IDENTITY_CODE) from None
        audit_record(
            actor=actor,
            action=Action.REVEAL,
            obj=customer,
            customer=customer,
            changed_fields=[],
            reason=reason,
        )
    return plain


IDENTITY_CODE_OTHER_STORED = _(
    "The customer has another identity code stored. If it is wrong, correct it on the "
    "customer's page first."
)


def identity_code_differs(customer: Customer, compact: str) -> bool:
    """Whether the customer has a stored code that is not `compact`."""
    return customer.has_identity_code and (
        customer.identity_code_index not in identity_code_indexes(compact)
    )


def customer_identity_code_keep(*, actor: Actor, customer: Customer, compact: str) -> bool:
    """Stores the identity code given with an invoice order on its customer, in the
    caller's transaction: a code is kept only for a credit check or a sale on credit
    (P8), and the retention run removes it a set time after the customer's last
    invoice is paid. The same code stored already stays as it is; another one is a
    ValidationError (a person corrects the stored one). Returns whether it stored it."""
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if identity_code_differs(current, compact):
        raise ValidationError({"identity_code": [IDENTITY_CODE_OTHER_STORED]})
    if current.has_identity_code:
        return False
    _set_identity_code(current, compact)
    current.updated_at = timezone.now()
    version_bump(current)
    current.save(
        update_fields=["identity_code_encrypted", "identity_code_index", "updated_at", "version"]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=current,
        customer=current,
        changed_fields=["identity_code"],
        reason="kept for an invoice order",
    )
    customer.identity_code_encrypted = current.identity_code_encrypted
    customer.identity_code_index = current.identity_code_index
    customer.version, customer.updated_at = current.version, current.updated_at
    return True


def customer_input_of(customer: Customer) -> CustomerInput:
    """The editable data of a stored customer, for pre-filling a form."""
    names = {f.name for f in fields(CustomerInput)}
    return CustomerInput(**{name: str(getattr(customer, name)) for name in names})


def customer_identity_code_search_record(*, actor: Actor, customers: list[Customer]) -> None:
    """A search by identity code tells who is in the register: it is audited like a read,
    once for each customer found (and once, without a customer, when none is)."""
    with audited_transaction():
        found: list[Customer | None] = list(customers) or [None]
        for customer in found:
            audit_record(
                actor=actor,
                action=Action.SEARCH,
                customer=customer,
                object_type="customers.customer",
                object_id=str(customer.pk) if customer else "",
                reason="identity code search",
            )


def customer_identity_codes_rekey(
    *, ring: crypto.KeyRing, actor: Actor, batch_size: int = 500
) -> int:
    """Moves one batch of the identity codes not yet on the ring's active encryption
    key and format onto them: encrypted again (bound to the customer's row; "v1" codes
    were bound to the field only), and indexed with the active index key.
    One short transaction locks that batch only, so the app keeps serving; `ring` holds
    the old keys too (`rekisteri.key_rotation`). Returns how many moved, 0 when none is
    left. A code under a key `ring` lacks is a DecryptionError, and nothing moves."""
    with audited_transaction():
        batch = list(
            Customer.objects.select_for_update()
            .exclude(identity_code_encrypted="")
            .exclude(identity_code_encrypted__startswith=ring.active_prefix)
            .order_by("pk")
            .only("id", "public_id", "identity_code_encrypted", "identity_code_index")[:batch_size]
        )
        if not batch:
            return 0
        index = ring.blind_indexer(purpose=IDENTITY_CODE_PURPOSE)
        for customer in batch:
            plain = identity_code_decrypt(ring, customer)
            customer.identity_code_encrypted = identity_code_encrypt(ring, customer, plain)
            customer.identity_code_index = index(plain)
        Customer.objects.bulk_update(batch, ["identity_code_encrypted", "identity_code_index"])
        audit_record(
            actor=actor,
            action=Action.KEY_ROTATE,
            object_type="customers.customer",
            changed_fields=["identity_code"],
            reason=f"{len(batch)} identity codes moved to encryption key {ring.active} "
            f"and index key {ring.index_active}",
        )
    return len(batch)
