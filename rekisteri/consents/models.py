"""The consent ledger (rule 6 of DESIGN.md): every grant, withdrawal, objection and
ban is an event; what a customer currently allows is derived from the events
(`consents.selectors`), never stored as a flag."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rekisteri.customers.models import Language


class Channel(models.TextChoices):
    """How marketing may reach a customer. Email and SMS need an opt-in (P11); post
    and phone are allowed unless the customer refused them."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    POST = "post", _("Post")
    PHONE = "phone", _("Phone")


OPT_IN_CHANNELS = (Channel.EMAIL, Channel.SMS)


class Purpose(models.TextChoices):
    OWN_DIRECT_MARKETING = "own_direct_marketing", _("Own direct marketing")


class EventKind(models.TextChoices):
    GRANT = "grant", _("Consent given")
    WITHDRAWAL = "withdrawal", _("Consent withdrawn")
    OBJECTION = "objection", _("Objection to direct marketing (GDPR art. 21)")
    BAN = "ban", _("Direct marketing ban")
    BAN_LIFTED = "ban_lifted", _("Direct marketing ban lifted")


# Kinds that concern one channel; the others flip the ban, which covers every channel.
CHANNEL_KINDS = (EventKind.GRANT, EventKind.WITHDRAWAL)
BANNING_KINDS = (EventKind.OBJECTION, EventKind.BAN)


class Source(models.TextChoices):
    """Where the customer said it; for an imported event, that it reached the register
    with a customer list, whose evidence (`imports.ImportedConsent`) says where and
    when it was given."""

    WEB_SHOP_CHECKOUT = "web_shop_checkout", _("Web shop checkout")
    PHONE_CALL = "phone_call", _("Phone call")
    EMAIL = "email", _("Email")
    PRIVACY_PORTAL = "privacy_portal", _("Privacy portal")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    STAFF = "staff", _("Staff")
    IMPORT = "import", _("Customer list import")


class ConsentText(models.Model):
    """The exact wording a customer is shown when asked for a consent. A change of
    wording is a new version (a new row): a grant points at the words it was given to."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=32, choices=Purpose.choices, default=Purpose.OWN_DIRECT_MARKETING
    )
    version = models.PositiveIntegerField(_("version"))
    text_fi = models.TextField(_("text in Finnish"))
    text_sv = models.TextField(_("text in Swedish"))
    text_en = models.TextField(_("text in English"))
    published_at = models.DateTimeField(_("published"))

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "purpose", "version"], name="consenttext_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} v{self.version}"

    def text_in(self, language: str) -> str:
        if language == Language.SWEDISH:
            return self.text_sv
        if language == Language.ENGLISH:
            return self.text_en
        return self.text_fi


class ConsentEvent(models.Model):
    """One entry of the append-only consent ledger. A grant or a withdrawal names its
    channel; an objection, a ban and its lifting have none (they cover every channel)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="consent_events",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=32, choices=Purpose.choices, default=Purpose.OWN_DIRECT_MARKETING
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    text = models.ForeignKey(
        ConsentText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wording shown"),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_events",
        verbose_name=_("order"),
    )

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        indexes = [
            # The latest event of a customer's channel (or of the ban, channel ""):
            # one index range per customer and channel, newest first.
            models.Index(fields=["customer", "channel", "-id"], name="consentevent_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=CHANNEL_KINDS) & ~models.Q(channel="")
                    | ~models.Q(kind__in=CHANNEL_KINDS) & models.Q(channel="")
                ),
                name="consentevent_channel_for_channel_kinds",
            ),
            # An imported grant has the file's evidence instead: a list seldom says
            # which words were shown, and today's are not those (docs/import.md).
            models.CheckConstraint(
                condition=~models.Q(kind=EventKind.GRANT)
                | models.Q(text__isnull=False)
                | models.Q(source=Source.IMPORT),
                name="consentevent_grant_has_text_or_import",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.channel or '*'}"
