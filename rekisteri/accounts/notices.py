"""What the privacy officers are told of changes to staff accounts: every role given
or asked for, every password set by someone else and every two-factor sign-in reset.
Each is an audit event; it is emailed to them (`send_staff_security_notice`) and
listed on their start page (`staff_security_events`)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent

logger = logging.getLogger(__name__)

USER_OBJECT_TYPE = "accounts.user"
GRANT_TEXTS = {
    Action.ROLE_GRANT_REQUEST: "requested",
    Action.ROLE_GRANT_CONFIRM: "granted",
    Action.ROLE_GRANT_REFUSE: "refused",
    Action.ROLE_GRANT_WITHDRAW: "withdrawn",
}
NOTICE_ACTIONS = (Action.CREATE, Action.UPDATE, Action.TWO_FACTOR_RESET, *GRANT_TEXTS)
# The start page reads this many of the latest candidate events to find its rows.
EVENTS_SCANNED = 200


@dataclass(frozen=True)
class SecurityEvent:
    occurred_at: datetime.datetime
    actor: str
    username: str
    text: str


def _labels(codes: str) -> str:
    return ", ".join(
        str(Role(code).label) if code in Role.values else code
        for code in (part.strip() for part in codes.split(","))
        if code
    )


def _reason_texts(reason: str, names: dict[str, str]) -> list[str]:
    """The audit reason "granted a, b; removed c; deactivated" as words."""
    texts = []
    for part in reason.split("; "):
        verb, _space, codes = part.partition(" ")
        if verb == "granted" and codes:
            texts.append(_("roles given: %(roles)s") % {"roles": _labels(codes)})
        elif verb == "removed" and codes:
            texts.append(_("roles taken away: %(roles)s") % {"roles": _labels(codes)})
        elif verb == "deactivated":
            texts.append(_("deactivated the account %(username)s") % names)
        elif verb == "reactivated":
            texts.append(_("reactivated the account %(username)s") % names)
    return texts


def describe(event: AuditEvent, username: str) -> str | None:
    """What happened to the account, in words; None when the privacy officers need
    not be told (a change of name, or the person's own new password)."""
    names = {"username": username}
    if event.action in GRANT_TEXTS:
        role = _labels(event.reason.partition(" ")[2])
        grant_texts: dict[str, str] = {
            Action.ROLE_GRANT_REQUEST: _(
                "asked for the role %(role)s for %(username)s; it awaits a privacy "
                "officer's confirmation"
            ),
            Action.ROLE_GRANT_CONFIRM: _("confirmed the role %(role)s of %(username)s"),
            Action.ROLE_GRANT_REFUSE: _("refused the role %(role)s of %(username)s"),
            Action.ROLE_GRANT_WITHDRAW: _(
                "withdrew the request for the role %(role)s of %(username)s"
            ),
        }
        return grant_texts[event.action] % {**names, "role": role}
    if event.action == Action.TWO_FACTOR_RESET:
        return _("reset the two-factor sign-in of %(username)s") % names
    parts = []
    if event.action == Action.CREATE:
        parts.append(_("created the account %(username)s and chose its first password") % names)
    elif "password" in event.changed_fields and event.actor_user_id != int(event.object_id):
        parts.append(_("set the password of %(username)s") % names)
    texts = _reason_texts(event.reason, names)
    if "roles" in event.changed_fields and event.action == Action.UPDATE:
        parts.append(_("changed the roles of %(username)s") % names)
    parts.extend(texts)
    return "; ".join(parts) or None


def _candidates() -> list[AuditEvent]:
    return list(
        # Newest first by id: an event is there as soon as it has committed, before the
        # sealer gives it a seq (NULL until then).
        AuditEvent.objects.filter(object_type=USER_OBJECT_TYPE, action__in=NOTICE_ACTIONS).order_by(
            "-id"
        )[:EVENTS_SCANNED]
    )


def _rows(events: list[AuditEvent]) -> list[SecurityEvent]:
    ids = {int(event.object_id) for event in events if event.object_id.isdigit()}
    usernames = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    rows = []
    for event in events:
        username = usernames.get(int(event.object_id), event.object_id)
        text = describe(event, username)
        if text is not None:
            actor = event.actor_label or str(event.get_actor_type_display())
            rows.append(SecurityEvent(event.occurred_at, actor, username, text))
    return rows


def staff_security_events(*, since: datetime.datetime, limit: int) -> list[SecurityEvent]:
    """The latest changes the privacy officers are told of, newest first."""
    recent = [event for event in _candidates() if event.occurred_at >= since]
    return _rows(recent)[:limit]


def privacy_officer_emails() -> list[str]:
    return list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def _affected_officer_email(event: AuditEvent) -> list[str]:
    """The account's own address when it is, or just stopped being, a privacy officer:
    one deactivated or taken off the role hears of it too."""
    user = User.objects.filter(pk=int(event.object_id)).exclude(email="").first()
    if user is None:
        return []
    was_officer = f"{Role.PRIVACY_OFFICER}" in event.reason.partition("removed ")[2]
    if was_officer or user.groups.filter(name=Role.PRIVACY_OFFICER).exists():
        return [user.email]
    return []


def staff_security_notice_send(*, event_id: int) -> None:
    """Emails the active privacy officers what happened in audit event `event_id`
    (and the account itself when it is or was a privacy officer)."""
    event = AuditEvent.objects.get(pk=event_id)
    officers = sorted({*privacy_officer_emails(), *_affected_officer_email(event)})
    if not officers:
        logger.warning("staff account change: no active privacy officer has an email address")
        return
    with translation.override("fi"):
        rows = _rows([event])
        if not rows:
            return
        subject = _("Staff account changed: %(username)s") % {"username": rows[0].username}
        body = render_to_string(
            "accounts/email/security_notice.txt",
            {"event": rows[0], "start_url": settings.PUBLIC_URL + reverse("home")},
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, officers)
