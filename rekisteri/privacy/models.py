"""Data subject requests, disclosures, legal holds, erasures and retention (P17 and the
GDPR's rights of the data subject, arts. 12-21)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rekisteri import prepared_files


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access to own data (art. 15)")
    RECTIFICATION = "rectification", _("Rectification (art. 16)")
    ERASURE = "erasure", _("Erasure (art. 17)")
    RESTRICTION = "restriction", _("Restriction of processing (art. 18)")
    OBJECTION = "objection", _("Objection to direct marketing (art. 21)")
    PORTABILITY = "portability", _("Data portability (art. 20)")


class ReceivedVia(models.TextChoices):
    PORTAL = "portal", _("Privacy portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")


class RequestStatus(models.TextChoices):
    AWAITING_VERIFICATION = "awaiting", _("Awaiting identity verification")
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused")


class VerificationMethod(models.TextChoices):
    EMAIL_LINK = "email_link", _("A link sent to the email on record")
    STAFF = "staff", _("Verified by staff")


class SubjectRequest(models.Model):
    """A request of a data subject, from receipt to its answer. The deadline is one
    month from receipt (GDPR art. 12(3)), extendable by two further months with a
    recorded reason."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    received_via = models.CharField(_("received via"), max_length=8, choices=ReceivedVia.choices)
    received_at = models.DateTimeField(_("received"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RequestStatus.choices,
        default=RequestStatus.AWAITING_VERIFICATION,
    )
    # What the requester told us; kept with the request as its record.
    requester_name = models.CharField(_("name given"), max_length=260)
    requester_email = models.CharField(_("email given"), max_length=254, blank=True)
    details = models.TextField(_("details"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="fi")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subject_requests",
        verbose_name=_("customer"),
    )
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    verification_method = models.CharField(
        _("verified by"), max_length=12, choices=VerificationMethod.choices, blank=True
    )
    verification_note = models.TextField(_("how the identity was verified"), blank=True)
    verification_sent_at = models.DateTimeField(_("verification sent"), null=True, blank=True)
    due_on = models.DateField(_("due"))
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("subject request")
        verbose_name_plural = _("subject requests")
        permissions = [("erase_customer", _("Can erase a customer"))]
        indexes = [models.Index(fields=["status", "due_on"], name="subjectrequest_open_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class RecipientKind(models.TextChoices):
    AUTHORITY = "authority", _("An authority")
    DATA_SUBJECT = "data_subject", _("The data subject")
    OTHER = "other", _("Other")


class Disclosure(models.Model):
    """One disclosure of a customer's data to someone outside the company (P17)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name=_("customer"),
    )
    recipient_kind = models.CharField(
        _("recipient kind"), max_length=12, choices=RecipientKind.choices
    )
    recipient = models.CharField(_("recipient"), max_length=200)
    # Where the recipient is told of a later rectification, erasure or restriction
    # (GDPR art. 19); blank when they must be told another way.
    recipient_email = models.EmailField(_("recipient's email"), blank=True)
    legal_ground = models.CharField(_("legal ground"), max_length=300)
    reference = models.CharField(_("request reference"), max_length=200, blank=True)
    categories = models.JSONField(_("data disclosed"), default=list)
    disclosed_at = models.DateTimeField(_("disclosed"))
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disclosed by"),
    )
    subject_request = models.ForeignKey(
        SubjectRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=_("subject request"),
    )

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self) -> str:
        return f"{self.recipient_kind} {self.disclosed_at:%Y-%m-%d}"


class NoticeKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt of the request")
    EXTENSION = "extension", _("Extension of the deadline")
    REFUSAL = "refusal", _("Refusal")
    COMPLETION = "completion", _("Completion")
    RECIPIENT = "recipient", _("Notice to a recipient (art. 19)")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    NO_ADDRESS = "no_address", _("No email address: tell them another way")
    FAILED = "failed", _("Failed: tell them another way")


class RequestNotice(models.Model):
    """One message about a subject request: to the person (its receipt, extension,
    refusal or completion, GDPR art. 12(3)-(4)) or to a recipient the data was
    disclosed to (art. 19). The address is kept only until the message is sent or
    given up: the record says what was sent, when and by which channel."""

    # An unconfirmed portal request deleted by retention takes its notices with it.
    subject_request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("notice"), max_length=10, choices=NoticeKind.choices)
    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    language = models.CharField(_("language"), max_length=2)
    channel = models.CharField(_("channel"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("request notice")
        verbose_name_plural = _("request notices")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d}"


class AccessDelivery(models.Model):
    """An expiring download link of a customer's own copy (access or portability),
    good for `downloads_allowed` downloads. The file is built when it is downloaded,
    never stored."""

    subject_request = models.ForeignKey(
        SubjectRequest, on_delete=models.PROTECT, related_name="deliveries"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    downloads_allowed = models.PositiveIntegerField(_("downloads allowed"), default=1)

    class Meta:
        verbose_name = _("download link")
        verbose_name_plural = _("download links")

    def __str__(self) -> str:
        return str(self.public_id)


class AccessCopyStatus(models.TextChoices):
    QUEUED = prepared_files.QUEUED, _("Waiting for the background worker")
    RUNNING = prepared_files.RUNNING, _("Being prepared")
    READY = prepared_files.READY, _("Ready to hand over")
    HANDED_OVER = "handed_over", _("Handed over")
    FAILED = prepared_files.FAILED, _("Stopped by an error")
    EXPIRED = prepared_files.EXPIRED, _("Expired")


# The file is gone in these.
ACCESS_COPY_ENDED = (
    AccessCopyStatus.HANDED_OVER,
    AccessCopyStatus.FAILED,
    AccessCopyStatus.EXPIRED,
)


class AccessCopy(prepared_files.PreparedFile):
    """A customer's own copy prepared by the worker for staff to hand over
    (docs/subject-requests.md), kept only until it is handed over, an hour at the most;
    what stays is its size and sections."""

    ENDED = ACCESS_COPY_ENDED
    FILE_PURPOSE = "privacy.access_copy"

    subject_request = models.ForeignKey(
        SubjectRequest,
        on_delete=models.CASCADE,
        related_name="prepared_copies",
        verbose_name=_("request"),
    )
    status = models.CharField(_("status"), max_length=12, choices=AccessCopyStatus.choices)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    sections_total = models.PositiveIntegerField(_("sections"), default=0)
    # The `copy.DataCategory` values gathered so far, in order.
    sections_done = models.JSONField(_("sections gathered"), default=list, blank=True)
    # The whole ZIP, named a copy rather than a file.
    file_encrypted = models.TextField(_("copy (encrypted)"), blank=True)
    # A safe one-line reason in the source language, never a value of the copy.
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("prepared copy")
        verbose_name_plural = _("prepared copies")
        constraints = [
            prepared_files.ended_without_file(
                ACCESS_COPY_ENDED, name="accesscopy_ended_without_file"
            ),
        ]

    def __str__(self) -> str:
        return f"prepared copy {self.public_id}"


class LegalHold(models.Model):
    """A reason to keep a customer's data as it is: erasure and retention stop."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="legal_holds",
        verbose_name=_("customer"),
    )
    reason = models.TextField(_("reason"))
    placed_at = models.DateTimeField(_("placed"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.placed_at:%Y-%m-%d}"


class ErasureLogEntry(models.Model):
    """That a customer was erased, by opaque id only. The same entries are appended to
    a file in the data directory, which a restored backup cannot roll back; replaying
    it erases again anyone a restore brought back (`rekisteri erasures replay`)."""

    customer_public_id = models.UUIDField(_("customer id"), unique=True)
    erased_at = models.DateTimeField(_("erased"))

    class Meta:
        verbose_name = _("erasure log entry")
        verbose_name_plural = _("erasure log")

    def __str__(self) -> str:
        return str(self.customer_public_id)


class ActKind(models.TextChoices):
    """The acts of the replay log: each says no to processing, or takes such a no back.
    The first four are the consent ledger's own kinds (`consents.models.EventKind`)."""

    WITHDRAWAL = "withdrawal", _("Consent withdrawn")
    OBJECTION = "objection", _("Objection to direct marketing (GDPR art. 21)")
    BAN = "ban", _("Direct marketing ban")
    BAN_LIFTED = "ban_lifted", _("Direct marketing ban lifted")
    RESTRICTION = "restriction", _("Processing restricted (GDPR art. 18)")
    RESTRICTION_LIFTED = "restriction_lifted", _("Restriction lifted")


class ReplayLogEntry(models.Model):
    """An act a restored backup must not lose (a withdrawal, an objection, a ban, a
    restriction, or the lifting of a ban or a restriction), by opaque ids only. The same
    entries are appended to a file beside the erasure log; a restore does again, in
    order, the acts the file has and this table lacks (`privacy.replay`)."""

    act_id = models.UUIDField(_("act id"), unique=True)
    customer_public_id = models.UUIDField(_("customer id"))
    kind = models.CharField(_("kind"), max_length=20, choices=ActKind.choices)
    channel = models.CharField(_("channel"), max_length=8, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    done_at = models.DateTimeField(_("done"))

    class Meta:
        verbose_name = _("replay log entry")
        verbose_name_plural = _("replay log")

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_public_id}"


class RetentionCategory(models.TextChoices):
    INACTIVE_CUSTOMERS = "inactive_customers", _("Customers with no orders or activity")
    ORDERS = "orders", _("Orders and invoices after their accounting period")
    CONSENT_EVIDENCE = "consent_evidence", _("Consent evidence after withdrawal")
    CREDIT_CHECKS = "credit_checks", _("Credit check details")
    CAMPAIGN_MESSAGES = "campaign_messages", _("Campaign message logs")
    SHOP_DELIVERIES = "shop_deliveries", _("Orders as the web shops sent them")
    IDENTITY_CODES = "identity_codes", _("Identity codes after the last invoice is paid")
    AUDIT_EVENTS = "audit_events", _("Audit events")


class RetentionPolicy(models.Model):
    """How long one category of data is kept, set by the privacy officer."""

    category = models.CharField(
        _("category"), max_length=20, choices=RetentionCategory.choices, unique=True
    )
    months = models.PositiveIntegerField(_("kept for (months)"))
    enabled = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        permissions = [("run_retention", _("Can run the retention policies"))]

    def __str__(self) -> str:
        return f"{self.category}: {self.months} months"


class PortalAttempt(models.Model):
    """One use of a rate-limited portal form, by a keyed digest of who (an IP address
    or an email address): enough to count, nothing to read back. Old rows are pruned
    as new ones are written."""

    action = models.CharField(max_length=32)
    key_digest = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["action", "key_digest", "at"], name="portalattempt_window")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class RegisterDescription(models.Model):
    """One published version of the register description: what the privacy notice
    and the records of processing are generated from (`privacy.notice`). Versions are
    never changed; an edit publishes a new one."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    # The structure is defined and validated by privacy.notice.document (Description).
    content = models.JSONField(_("content"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("register description")
        verbose_name_plural = _("register descriptions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


class BreachDecision(models.TextChoices):
    UNDECIDED = "undecided", _("Not decided yet")
    NOTIFY = "notify", _("Notify the authority")
    NOT_NOTIFY = "not_notify", _("No notification: unlikely to result in a risk")


class Breach(models.Model):
    """A personal data breach (GDPR arts. 33 and 34): what happened, whom it concerns,
    and the decision on notifying the Data Protection Ombudsman within 72 hours of its
    detection and the people affected."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    detected_at = models.DateTimeField(_("detected"))
    occurred_at = models.DateTimeField(_("occurred"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("what happened"))
    data_categories = models.JSONField(_("categories of data"), default=list)
    people_affected = models.PositiveIntegerField(_("people affected (approx.)"), null=True)
    records_affected = models.PositiveIntegerField(_("records affected (approx.)"), null=True)
    likely_consequences = models.TextField(_("likely consequences"), blank=True)
    measures_taken = models.TextField(_("measures taken or proposed"), blank=True)
    decision = models.CharField(
        _("decision"),
        max_length=12,
        choices=BreachDecision.choices,
        default=BreachDecision.UNDECIDED,
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    authority_notified_at = models.DateTimeField(_("authority notified"), null=True, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=100, blank=True)
    late_notification_reason = models.TextField(_("reason for a late notification"), blank=True)
    people_must_be_told = models.BooleanField(_("the people affected must be told"), default=False)
    notice_subject = models.CharField(_("notice subject"), max_length=200, blank=True)
    notice_body = models.TextField(_("notice to the people affected"), blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("personal data breach")
        verbose_name_plural = _("personal data breaches")

    def __str__(self) -> str:
        return self.summary


class BreachNoticeStatus(models.TextChoices):
    PENDING = "pending", _("Not sent yet")
    SENT = "sent", _("Sent")
    NO_EMAIL = "no_email", _("No email on record")
    FAILED = "failed", _("Failed")


class BreachSubject(models.Model):
    """A customer affected by a breach, and the notice sent to them (art. 34)."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="subjects")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="breach_notices"
    )
    added_at = models.DateTimeField(_("added"))
    notice_status = models.CharField(
        _("notice"),
        max_length=8,
        choices=BreachNoticeStatus.choices,
        default=BreachNoticeStatus.PENDING,
    )
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("person affected by a breach")
        verbose_name_plural = _("people affected by a breach")
        constraints = [
            models.UniqueConstraint(fields=["breach", "customer"], name="breachsubject_unique")
        ]

    def __str__(self) -> str:
        return f"{self.breach_id}:{self.customer_id}"
