from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IntegrationKind(models.TextChoices):
    GENERIC = "generic", _("Generic API")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    SHOPIFY = "shopify", _("Shopify")


class Integration(models.Model):
    """A web shop (or other machine) that sends orders.

    Its API key is stored only as a SHA-256 digest (the key is random and long, so a
    slow hash adds nothing); a webhook secret must be usable to check signatures, so it
    is stored encrypted with the key ring. Integrations are revoked, never deleted."""

    public_id = models.UUIDField(unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IntegrationKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    api_key_prefix = models.CharField(max_length=12, blank=True, db_index=True)
    api_key_digest = models.CharField(max_length=64, blank=True)
    secret_encrypted = models.TextField(blank=True)
    shop_url = models.URLField(_("shop address"), blank=True)
    consumer_key_encrypted = models.TextField(blank=True)
    consumer_secret_encrypted = models.TextField(blank=True)
    # Only a shop that sells on invoice has a reason to send identity codes (for the
    # credit check); any other integration could only use them to probe the register.
    sells_on_invoice = models.BooleanField(
        _("sells on invoice"),
        default=False,
        help_text=_("May send invoice orders with the buyer's identity code."),
    )
    # The shop's payment methods (gateway ids, such as "klarna_invoice" or
    # "Lasku") whose orders are on invoice: those get their credit check (P12).
    invoice_payment_methods = models.CharField(
        _("invoice payment methods"),
        max_length=500,
        blank=True,
        help_text=_("The shop's payment method ids that bill the buyer later, one per line."),
    )
    # The WooCommerce catch-up sync: where the last run left off, and how it went.
    sync_position = models.DateTimeField(null=True, blank=True)
    sync_last_run_at = models.DateTimeField(null=True, blank=True)
    sync_last_outcome = models.CharField(max_length=300, blank=True)
    sync_last_failed = models.BooleanField(default=False)
    # When the shop last proved the connection works (a signed test notification).
    test_received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        permissions = [("manage_integrations", _("Can create and revoke integrations"))]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """A shop's delivery id taken before the inbox (`InboxDelivery.delivery_key` now).

    Nothing writes here any more: migration 0006 copied every row into the inbox, and
    the table goes with the release after this one, once no installation needs it."""

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "delivery_id"], name="webhook_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return self.delivery_id


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` taken before the inbox (`InboxDelivery.delivery_key` now).

    Nothing writes here any more: migration 0006 copied every key, with its body's
    digest and its order, into the inbox; erasure still deletes any left of an erased
    customer's orders. The table goes with the release after this one."""

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    body_digest = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key"], name="idempotency_key_once_per_integration"
            )
        ]

    def __str__(self) -> str:
        return self.key


class DeliveryState(models.TextChoices):
    WAITING = "waiting", _("Waiting to be processed")
    DONE = "done", _("Processed")
    ATTENTION = "attention", _("Needs attention")
    DISCARDED = "discarded", _("Discarded")
    TEST = "test", _("Test notification")
    IGNORED = "ignored", _("Not an order")


class DeliverySource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    API = "api", _("Orders API")
    SYNC = "sync", _("Catch-up sync")


class InboxDelivery(models.Model):
    """One authentic delivery from a shop or an API client, stored before it is answered.

    The body is kept encrypted with the key ring (it names the buyer) until the
    retention run purges it a set time after the delivery became an order, or
    erasure of the customer does. `delivery_key` is the shop's delivery id (Shopify's
    webhook id) or the API client's Idempotency-Key: the same key twice is one delivery.
    `public_id` is the receipt the API client can ask about."""

    public_id = models.UUIDField(unique=True)
    # Its foreign keys' own indexes are left out: inbox_by_integration leads with the
    # integration, and the others are partial, for the few rows that have one.
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="deliveries", db_index=False
    )
    source = models.CharField(_("source"), max_length=16, choices=DeliverySource.choices)
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    delivery_key = models.CharField(max_length=255, blank=True)
    body_digest = models.CharField(max_length=64)
    body_encrypted = models.TextField(blank=True)
    received_at = models.DateTimeField(_("received"))
    # The sending server's address and the request's id, for the audit events its
    # processing writes later (the shop's or client's machine, not the buyer's).
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.WAITING
    )
    # What processing made of it: created, updated, unchanged or stale (`Outcome`).
    outcome = models.CharField(_("outcome"), max_length=16, blank=True)
    # Why it waits for a person: a code, and the fields concerned (never their values).
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    external_id = models.CharField(_("shop's order id"), max_length=64, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The register's customer a doubtful match led to (shown to staff, never to a shop).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        permissions = [("handle_deliveries", _("Can correct, attach and discard deliveries"))]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "delivery_key"],
                condition=~models.Q(delivery_key=""),
                name="inbox_delivery_once",
            )
        ]
        indexes = [
            # The worker's queue and the list of what needs a person stay small.
            models.Index(
                fields=["id"],
                condition=models.Q(state="waiting"),
                name="inbox_waiting",
            ),
            models.Index(
                fields=["received_at"],
                condition=models.Q(state="attention"),
                name="inbox_attention",
            ),
            models.Index(fields=["integration", "received_at"], name="inbox_by_integration"),
            models.Index(
                fields=["order"], condition=models.Q(order__isnull=False), name="inbox_order"
            ),
            models.Index(
                fields=["customer"],
                condition=models.Q(customer__isnull=False),
                name="inbox_customer",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)
