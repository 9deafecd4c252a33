from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorType(models.TextChoices):
    STAFF = "staff", _("Staff member")
    INTEGRATION = "integration", _("Integration")
    SYSTEM = "system", _("System")
    CUSTOMER = "customer", _("Customer")
    ANONYMOUS = "anonymous", _("Anonymous")


class Action(models.TextChoices):
    VIEW = "view", _("View")
    SEARCH = "search", _("Search")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    REVEAL = "reveal", _("Reveal identity code")
    EXPORT = "export", _("Export")
    ERASE = "erase", _("Erase")
    LOGIN = "login", _("Sign in")
    LOGIN_FAILURE = "login_failure", _("Failed sign-in")
    LOCKOUT = "lockout", _("Account locked out")
    LOGOUT = "logout", _("Sign out")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    PLEDGE_ACCEPT = "pledge_accept", _("Confidentiality pledge accepted")
    TWO_FACTOR_ENROLL = "two_factor_enroll", _("Two-factor sign-in set up")
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset")
    TWO_FACTOR_ENROLL_START = "two_factor_enroll_start", _("Two-factor set-up started")
    SESSION_END = "session_end", _("Other session ended")
    RECOVERY_CODES = "recovery_codes", _("Recovery codes issued")
    REAUTHENTICATE = "reauthenticate", _("Identity confirmed again")
    KEY_ROTATE = "key_rotate", _("Encryption key rotated")
    CREDIT_CHECK = "credit_check", _("Credit check")
    CREDIT_OVERRIDE = "credit_override", _("Credit decision reviewed")
    ROLE_GRANT_REQUEST = "role_grant_request", _("Role requested")
    ROLE_GRANT_CONFIRM = "role_grant_confirm", _("Role grant confirmed")
    ROLE_GRANT_REFUSE = "role_grant_refuse", _("Role grant refused")
    ROLE_GRANT_WITHDRAW = "role_grant_withdraw", _("Role request withdrawn")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    A writer inserts its event in its own transaction with `mac`, a MAC over the
    event's own content, and no place in the chain: no writer waits for another. The
    sealer (rekisteri/audit/sealing.py) later gives committed events, in batches, their
    `seq` (gapless), `prev_hash` and `hash` (a MAC over `seq`, the previous hash and
    `mac`). Database triggers refuse DELETE, and every UPDATE but that one sealing of
    an unsealed event; `rekisteri audit verify` checks the sealed chain and each
    unsealed event's MAC, so a row altered or removed behind our back is noticed.
    Events written before sealing existed have no `mac`: their `hash` covers their
    content directly (chain format 1).

    Values of personal data are never stored here, only the names of changed fields.
    A reason typed about a customer is kept in `personal_reason`, encrypted under that
    customer's own key (`SubjectKey`), which erasure destroys.
    """

    # Null until sealed; then the event's place in the chain, without gaps.
    seq = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    # No index of their own: the indexes below lead with these columns, and each index
    # is one more write for every event.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    changed_fields = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    # A reason about the customer, encrypted under the customer's SubjectKey.
    personal_reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The MAC over the event's own content, set by its writer.
    mac = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="audit_customer_id"),
            models.Index(fields=["actor_user", "-id"], name="audit_actor_id"),
            models.Index(fields=["action", "-id"], name="audit_action_id"),
            # What the sealer reads: the few events still waiting for their place.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"
            ),
        ]

    def __str__(self) -> str:
        place = f"#{self.seq}" if self.seq is not None else f"(unsealed {self.pk})"
        return f"{place} {self.action} by {self.actor_label or self.actor_type}"


class AuditCheckpoint(models.Model):
    """The head of the chain after one sealed batch: its last `seq`, that event's hash
    and the time. Each is also appended to a file beside the backups and written to
    the log, so a copy kept outside the database catches a rewrite of the whole table
    (which would leave a chain that verifies on its own)."""

    last_seq = models.PositiveBigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class SubjectKey(models.Model):
    """A customer's own key for the personal text of their audit events
    (crypto-shredding). The key is stored encrypted under the key ring. Erasure
    destroys it: the text in the immutable trail becomes unreadable, while the chain,
    which covers the ciphertext, still verifies."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="+"
    )
    key_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"key of customer {self.customer_id}"


class RefusalTally(models.Model):
    """How often requests from one source were refused in one window, counted here
    instead of each being an event (rekisteri/audit/refusals.py).

    Only refusals of requests nobody has proved who sent (no or a wrong API key, an
    unknown or unsigned webhook, a sign-in that failed) are counted: anyone can send
    those, and each event is permanent. `source` is the client address; `subject` is
    the real account or integration the refusal names, if any. The first refusal of a
    window is an event at once; once the window has closed, one more event carries
    the count and the row is deleted."""

    source = models.CharField(max_length=45, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    # As in AuditEvent, without choices: the closing event repeats them.
    action = models.CharField(max_length=32)
    reason = models.CharField(max_length=200, blank=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "source",
                    "subject_type",
                    "subject_id",
                    "action",
                    "reason",
                    "window_start",
                ],
                name="audit_refusal_tally_unique",
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="audit_refusal_window")]

    def __str__(self) -> str:
        return f"{self.action} from {self.source or '?'}: {self.count}"
