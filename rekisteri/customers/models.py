import uuid

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from rekisteri.customers.fields import SearchKeyField

IDENTITY_CODE_PURPOSE = "customers.identity_code"


class Source(models.TextChoices):
    """Where the customer relationship started (P10)."""

    WEB_SHOP = "web_shop", _("Web shop")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IMPORT = "import", _("Import")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESTRICTED = "restricted", _("Restricted")
    ANONYMISED = "anonymised", _("Anonymised")
    # Merged into another record of the same person: a pointer to it (`merged_into`).
    MERGED = "merged", _("Merged")


class Language(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    SWEDISH = "sv", _("Swedish")
    ENGLISH = "en", _("English")


class Customer(models.Model):
    """A customer of any of the company's services (P1), with their contact data (P5, P7).

    The identity code (P8) is kept only as AES-256-GCM ciphertext plus an HMAC blind
    index for exact search; see `rekisteri.crypto`. Writes go through
    `customers.services`, which audits them and bumps `version` for optimistic locking.
    """

    customer_number = models.PositiveBigIntegerField(_("customer number"), unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    surname = models.CharField(_("surname"), max_length=100)
    first_names = models.CharField(_("first names"), max_length=150)
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    post_office = models.CharField(_("post office"), max_length=100, blank=True)
    country = CountryField(_("country"), default="FI")
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.FINNISH
    )
    identity_code_encrypted = models.TextField(blank=True)
    identity_code_index = models.CharField(max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    last_activity_at = models.DateTimeField(_("last activity"))
    version = models.PositiveIntegerField(default=1)
    # "surname first names", case-folded, for prefix search; kept by the services.
    name_key = SearchKeyField(max_length=251)
    # A record merged into another of the same person (`customers.merging`) points at
    # it: its number and public id still find the kept record, its own data is cleared.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("reveal_identity_code", _("Can reveal a customer's identity code"))]
        indexes = [
            # Name prefix search: a key range, in key order, paged by customer number.
            models.Index(fields=["name_key", "customer_number"], name="customer_name_key"),
            # Exact lookups only: plain B-trees (db_index would add LIKE indexes on
            # PostgreSQL that no query uses).
            models.Index(fields=["email"], name="customer_email"),
            # The start page's new customers per month reads a time range.
            models.Index(fields=["created_at"], name="customer_created_at"),
            models.Index(fields=["phone"], name="customer_phone"),
            models.Index(fields=["identity_code_index"], name="customer_identity_code_index"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(identity_code_encrypted="") | ~models.Q(identity_code_index=""),
                name="customer_identity_code_indexed",
            ),
            models.CheckConstraint(
                condition=~models.Q(surname=""), name="customer_surname_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True, merged_at__isnull=True)
                | models.Q(merged_into__isnull=False, merged_at__isnull=False),
                name="customer_merged_into_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.surname}, {self.first_names}"

    @property
    def has_identity_code(self) -> bool:
        return bool(self.identity_code_encrypted)


class HeldChangeKind(models.TextChoices):
    CUSTOMER_UPDATE = "customer_update", _("Change of the customer's data")
    ORDER_CREATE = "order_create", _("New order")
    ORDER_STATUS = "order_status", _("Change of an order's status")


# The names a held change gives to what is not one field of its model.
HELD_FIELD_LABELS = {
    "identity_code": _("personal identity code"),
    "lines": _("lines"),
    "delivery_address": _("delivery address"),
}


class HeldChangeState(models.TextChoices):
    WAITING = "waiting", _("Waiting for the privacy officer")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class RestrictionGround(models.TextChoices):
    """Why a change may go on while the processing is restricted (GDPR art. 18(2)), or
    that the restriction has ended."""

    CONSENT = "consent", _("The person consented")
    LEGAL_CLAIMS = "legal_claims", _("Establishment, exercise or defence of legal claims")
    OTHER_PERSON = "other_person", _("Protection of the rights of another person")
    PUBLIC_INTEREST = "public_interest", _("Important public interest")
    LIFTED = "lifted", _("The restriction has been lifted")


class HeldChange(models.Model):
    """A change asked for while the customer's processing was restricted (GDPR art. 18):
    kept, not applied, until the privacy officer applies it on a ground of art. 18(2)
    (or after the restriction is lifted) or rejects it. What was asked is kept
    encrypted with the key ring, bound to the row: it may hold an identity code.
    Written by `customers.restriction`; decided by `privacy.restriction`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="held_changes")
    kind = models.CharField(_("kind of change"), max_length=32, choices=HeldChangeKind.choices)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The names of the fields the change touches, never their values (the list shows them).
    changed_fields = models.JSONField(default=list, blank=True)
    payload_encrypted = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by_label = models.CharField(max_length=150, blank=True)
    requested_at = models.DateTimeField(_("asked"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=HeldChangeState.choices,
        default=HeldChangeState.WAITING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    ground = models.CharField(
        _("ground"), max_length=32, choices=RestrictionGround.choices, blank=True
    )
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("held change")
        verbose_name_plural = _("held changes")
        indexes = [models.Index(fields=["state", "requested_at"], name="held_change_state")]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    def field_label(self, name: str) -> str:
        """A field the change touches, named as staff read it (`phone` as "puhelin"):
        the verbose name of the customer's or the order's field, in the active language."""
        if name in HELD_FIELD_LABELS:
            return str(HELD_FIELD_LABELS[name])
        model: type[models.Model] = (
            Customer
            if self.kind == HeldChangeKind.CUSTOMER_UPDATE
            else apps.get_model("orders", "Order")
        )
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        return str(field.verbose_name) if isinstance(field, models.Field) else name

    def changed_field_labels(self) -> list[str]:
        return [self.field_label(name) for name in self.changed_fields]


class CustomerNumberCounter(models.Model):
    """The last customer number given; one row, locked while the next one is taken."""

    last_number = models.PositiveBigIntegerField(default=1000)

    def __str__(self) -> str:
        return str(self.last_number)
