"""Products, orders, deliveries and returns (P9), each kept per customer.

Money is Decimal in euros with two decimals; prices include VAT, as Finnish consumer
prices do. An order keeps a snapshot of every line and of the delivery address, so a
later change to a product or to the customer never rewrites what was sold."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The rates in force in Finland: general 25.5 %, reduced 14 % and 10 %, and zero.
VAT_RATES = (Decimal("25.5"), Decimal("14.0"), Decimal("10.0"), Decimal("0.0"))
VAT_RATE_CHOICES = [(rate, f"{rate:g} %") for rate in VAT_RATES]
WITHDRAWAL_DAYS = 14  # distance selling: the consumer may cancel within 14 days


class Product(models.Model):
    sku = models.CharField(_("product code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit_price = models.DecimalField(
        _("unit price (VAT included)"), max_digits=12, decimal_places=2
    )
    vat_rate = models.DecimalField(
        _("VAT rate"),
        max_digits=4,
        decimal_places=1,
        choices=VAT_RATE_CHOICES,
        default=VAT_RATES[0],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="product_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Channel(models.TextChoices):
    """How the order came (P10)."""

    WEB_SHOP = "web_shop", _("Web shop")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONFIRMED = "confirmed", _("Confirmed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses an order may move to from each status.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.RECEIVED: (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (OrderStatus.COMPLETED,),
    OrderStatus.COMPLETED: (),
    OrderStatus.CANCELLED: (),
}


class PaymentMethod(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid")
    INVOICE = "invoice", _("Invoice")
    CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")


class Order(models.Model):
    order_number = models.PositiveBigIntegerField(_("order number"), unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    integration = models.ForeignKey(
        "intake.Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    external_id = models.CharField(_("the shop's order id"), max_length=64, blank=True)
    # When the shop last changed the order: older updates are ignored.
    external_modified_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices
    )
    delivery_name = models.CharField(_("recipient"), max_length=260)
    delivery_street_address = models.CharField(_("street address"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    delivery_post_office = models.CharField(_("post office"), max_length=100, blank=True)
    delivery_country = models.CharField(_("country"), max_length=2, default="FI")
    total_gross = models.DecimalField(_("total (VAT included)"), max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_label = models.CharField(_("created by"), max_length=150)
    notes = models.TextField(_("notes"), blank=True)
    placed_at = models.DateTimeField(_("placed"))
    # When an invoice order's invoice was paid: the sale on credit is over, and the
    # customer's identity code is kept only a set time after it (P8, retention).
    settled_at = models.DateTimeField(_("invoice paid"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "-order_number"], name="order_customer"),
            # The start page's orders per week (rekisteri.dashboard) reads a time range.
            models.Index(fields=["placed_at"], name="order_placed_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "external_id"],
                condition=~models.Q(external_id=""),
                name="order_external_id_once_per_integration",
            ),
            models.CheckConstraint(
                condition=models.Q(total_gross__gte=0), name="order_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(self.order_number)

    @property
    def total_net(self) -> Decimal:
        return self.total_gross - self.total_vat

    def allowed_statuses(self) -> tuple[str, ...]:
        return ORDER_TRANSITIONS[self.status]


class OrderLine(models.Model):
    """A snapshot of what was sold, at the price of that day."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sku = models.CharField(_("product code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    unit_price = models.DecimalField(
        _("unit price (VAT included)"), max_digits=12, decimal_places=2
    )
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=1)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_once"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class Carrier(models.TextChoices):
    POSTI = "posti", "Posti"
    MATKAHUOLTO = "matkahuolto", "Matkahuolto"
    DB_SCHENKER = "db_schenker", "DB Schenker"
    PICKUP = "pickup", _("Pickup")
    OTHER = "other", _("Other")


class DeliveryStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")


class Delivery(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="deliveries")
    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.choices)
    tracking_code = models.CharField(_("tracking code"), max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PREPARING,
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_code}".strip()


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RECEIVED = "received", _("Received")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


RETURN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReturnStatus.REQUESTED: (ReturnStatus.RECEIVED, ReturnStatus.REJECTED),
    ReturnStatus.RECEIVED: (ReturnStatus.REFUNDED, ReturnStatus.REJECTED),
    ReturnStatus.REFUNDED: (),
    ReturnStatus.REJECTED: (),
}


class Return(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReturnStatus.choices,
        default=ReturnStatus.REQUESTED,
    )
    refund_amount = models.DecimalField(
        _("refund"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refund_amount__gte=0), name="return_refund_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"return {self.pk} of {self.order_id}"


class ReturnLine(models.Model):
    return_request = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="return_line_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class ConfirmationChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # The customer has neither an email address nor a mobile number on record.
    NONE = "none", _("No way to reach the customer")


class ConfirmationStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NOT_SENT = "not_sent", _("Not sent")


class OrderConfirmation(models.Model):
    """One confirmation of a phone or email order sent (or not) to the customer (P7,
    P12, GDPR art. 13): which channel, when, and how it went. The message itself is not
    kept: it is made from the order, which is."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="confirmations")
    channel = models.CharField(_("channel"), max_length=8, choices=ConfirmationChannel.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.QUEUED,
    )
    language = models.CharField(_("language"), max_length=2)
    # Whether the message told of the credit check (an invoice order's, P12).
    tells_of_credit_check = models.BooleanField(_("tells of the credit check"), default=False)
    requested_at = models.DateTimeField(_("requested"))
    requested_by_label = models.CharField(_("requested by"), max_length=150)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The kind of the last failure only (an SMTP answer may quote the address).
    detail = models.CharField(_("detail"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("order confirmation")
        verbose_name_plural = _("order confirmations")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"confirmation {self.pk} of {self.order_id}"


class OrderNumberCounter(models.Model):
    """The last order number given; one row, locked while the next one is taken."""

    last_number = models.PositiveBigIntegerField(default=100000)

    def __str__(self) -> str:
        return str(self.last_number)


def withdrawal_deadline(delivered_at: datetime.datetime) -> datetime.date:
    """The last day (in Finland) a consumer may cancel a distance sale: 14 days from
    the day they received the goods."""
    return timezone.localtime(delivered_at).date() + datetime.timedelta(days=WITHDRAWAL_DAYS)
