"""Target groups (P4): who a campaign is for, by order history, postal code and
language, always within the channel's consent rules (`consents.selectors`)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rekisteri import prepared_files
from rekisteri.consents.models import Channel


class TargetGroup(models.Model):
    """The criteria of a group; the members are computed, never stored, so a consent
    withdrawn or a ban set after the group was saved is honoured at once."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # Customers who bought any of these product codes (empty: no condition).
    skus = models.JSONField(_("products bought"), default=list, blank=True)
    last_order_from = models.DateField(_("last order from"), null=True, blank=True)
    last_order_to = models.DateField(_("last order to"), null=True, blank=True)
    minimum_total_spent = models.DecimalField(
        _("minimum total spent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # "90100-90999" strings (see postal_codes.py); empty: every postal code.
    postal_code_ranges = models.JSONField(_("postal code ranges"), default=list, blank=True)
    languages = models.JSONField(_("preferred languages"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        permissions = [("export_targetgroup", _("Can export a target group's addresses"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_total_spent__isnull=True)
                | models.Q(minimum_total_spent__gte=0),
                name="targetgroup_minimum_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(last_order_from__isnull=True)
                | models.Q(last_order_to__isnull=True)
                | models.Q(last_order_from__lte=models.F("last_order_to")),
                name="targetgroup_order_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignChannel(models.TextChoices):
    """The channels a campaign is sent on; post goes out as an address list or labels
    of a post target group, phone as a call list is not offered."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    QUEUED = "queued", _("Queued for sending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Campaign(models.Model):
    """An email or SMS campaign to a target group. Its recipients are decided when it
    is sent, and each again just before its message leaves (`CampaignMessage`)."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices)
    target_group = models.ForeignKey(
        TargetGroup,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("target group"),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    # 917/2014 § 200: the seller's own similar products to customers whose contact
    # details came with a purchase and who have not opted out, without an opt-in.
    existing_customer_exception = models.BooleanField(
        _("existing customers without an opt-in (917/2014 § 200)"), default=False
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    recipients_total = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    queued_at = models.DateTimeField(_("sending requested"), null=True, blank=True)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [("send_campaign", _("Can send a campaign"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(channel="email") | ~models.Q(subject=""),
                name="campaign_email_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def processed_count(self) -> int:
        return self.sent_count + self.skipped_count + self.failed_count


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent: no longer allowed")
    FAILED = "failed", _("Failed")


class CampaignMessage(models.Model):
    """The per-recipient log of a campaign: one row for each customer who was in the
    group when sending began, with what happened to their message. `public_id` is what
    the recipient's unsubscribe token signs; it says nothing about the person."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="messages", verbose_name=_("campaign")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="campaign_messages",
        verbose_name=_("customer"),
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    # Why it was skipped (a consents.selectors.Reason) or how it failed; never an address.
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaignmessage_one_per_customer"
            )
        ]
        indexes = [models.Index(fields=["campaign", "status", "id"], name="campaignmessage_todo")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} {self.status}"


class RestrictionList(models.Model):
    """An imported ASML direct marketing restriction list (people who refused
    addressed direct mail). Only keyed digests of its names and addresses are kept
    (`RestrictionEntry`), enough to match customers out, nothing to read back. The
    newest import is the list in force."""

    imported_at = models.DateTimeField(_("imported"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    key_id = models.CharField(_("key"), max_length=40)

    class Meta:
        verbose_name = _("restriction list")
        verbose_name_plural = _("restriction lists")

    def __str__(self) -> str:
        return f"{self.imported_at:%Y-%m-%d} ({self.rows_read})"


class RestrictionEntry(models.Model):
    restriction_list = models.ForeignKey(
        RestrictionList, on_delete=models.CASCADE, related_name="entries"
    )
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["restriction_list", "digest"], name="restrictionentry_unique_digest"
            )
        ]

    def __str__(self) -> str:
        return self.digest[:12]


class AddressListKind(models.TextChoices):
    CSV = "csv", _("Address list (CSV)")
    LABELS = "labels", _("Address labels (PDF)")


class AddressListStatus(models.TextChoices):
    QUEUED = prepared_files.QUEUED, _("Waiting for the background worker")
    RUNNING = prepared_files.RUNNING, _("Being prepared")
    READY = prepared_files.READY, _("Ready to download")
    DOWNLOADED = "downloaded", _("Downloaded")
    FAILED = prepared_files.FAILED, _("Stopped by an error")
    EXPIRED = prepared_files.EXPIRED, _("Expired")


class AddressListError(models.TextChoices):
    """Why a list could not be prepared: what the page may say, never a value."""

    RESTRICTION_LIST_UNUSABLE = (
        "restriction_list_unusable",
        _(
            "The restriction list in force was imported under another encryption key and "
            "cannot be matched. Import the list again, then prepare the list again."
        ),
    )
    FILE_UNREADABLE = "file_unreadable", _("The prepared file could not be decrypted.")
    UNEXPECTED = "unexpected", _("An unexpected error stopped the work; it has been logged.")


# The file is gone in these; nothing more can be done with the list.
ADDRESS_LIST_ENDED = (
    AddressListStatus.DOWNLOADED,
    AddressListStatus.FAILED,
    AddressListStatus.EXPIRED,
)


class AddressList(prepared_files.PreparedFile):
    """A post group's address list or labels, prepared by the worker for the staff
    member who asked (docs/marketing.md), downloadable once, by its maker only."""

    ENDED = ADDRESS_LIST_ENDED
    FILE_PURPOSE = "marketing.address_list"

    target_group = models.ForeignKey(
        TargetGroup,
        on_delete=models.PROTECT,
        related_name="address_lists",
        verbose_name=_("target group"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AddressListKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=AddressListStatus.choices)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)
    # The group's members when the work started; `rows_done` of them gone through.
    rows_total = models.PositiveIntegerField(_("members"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("members handled"), default=0)
    rows_written = models.PositiveIntegerField(_("rows in the file"), default=0)
    left_out_restriction_list = models.PositiveIntegerField(
        _("left out: on the restriction list"), default=0
    )
    # Those meeting the criteria whom consents, bans or a restriction of processing
    # keep out of the group.
    left_out_consents = models.PositiveIntegerField(_("left out: consents and bans"), default=0)
    error = models.CharField(
        _("error"), max_length=32, choices=AddressListError.choices, blank=True
    )

    class Meta:
        verbose_name = _("prepared address list")
        verbose_name_plural = _("prepared address lists")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="addresslist_creator")]
        constraints = [
            prepared_files.ended_without_file(
                ADDRESS_LIST_ENDED, name="addresslist_ended_without_file"
            ),
        ]

    def __str__(self) -> str:
        return f"address list {self.public_id}"
