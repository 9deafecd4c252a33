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
    """A shop's delivery id already taken, so a retried delivery changes nothing.

    Shopify retries a delivery until it gets a 2xx, with the same X-Shopify-Webhook-Id."""

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
    """An `Idempotency-Key` an API client sent, with a digest of the body it came with
    and the order it produced: the same key again returns that order, and the same key
    with another body is refused rather than silently taken for the first."""

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
