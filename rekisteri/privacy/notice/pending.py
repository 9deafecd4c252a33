"""The notice waiting to be published: the version in force with its generated parts
written again from the live sources (`notice.sources`). It is computed when it is
asked for, never stored, so there is no draft that could fall behind the retention
policies, the credit policy, the data map or the marketing in use; the privacy officer
reads what changed and publishes it (`notice_pending_publish`), or the published
notice stays as it is. See docs/privacy-notice.md."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.document import (
    current_description,
    description_normalized,
    description_publish,
)
from rekisteri.privacy.notice.sources import content_from_sources

# The change note of a version published from the sources, by what changed: stored
# once in both languages, as the public version history shows it to everyone.
SOURCE_NOTES = {
    "purposes": ("markkinointi ilman ennakkosuostumusta", "marketing without an opt-in"),
    "data_categories": ("tietoryhmät", "categories of data"),
    "retention": ("säilytysajat", "retention periods"),
    "credit_decision_logic": ("luottopäätöksen säännöt", "credit decision rules"),
}


def notice_pending() -> RegisterDescription | None:
    """The next version as the live sources would write it (unsaved), or None when the
    version in force already says what they say."""
    current = current_description()
    content = description_normalized(content_from_sources(current.content))
    if content == current.content:
        return None
    return RegisterDescription(version=current.version + 1, content=content)


def pending_digest(pending: RegisterDescription) -> str:
    """A short fingerprint of a pending text: the publish form carries the one the
    privacy officer read, so a text that changed since is not published unread."""
    text = json.dumps(pending.content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def pending_change_note(current: RegisterDescription, pending: RegisterDescription) -> str:
    """ "Päivitetty järjestelmästä: säilytysajat / Updated from the system: retention
    periods", naming the parts that changed."""
    changed = [
        names
        for section, names in SOURCE_NOTES.items()
        if current.content.get(section) != pending.content.get(section)
    ]
    finnish = ", ".join(names[0] for names in changed) or "muut osat"
    english = ", ".join(names[1] for names in changed) or "other parts"
    return f"Päivitetty järjestelmästä: {finnish} / Updated from the system: {english}"


def notice_pending_publish(*, actor: Actor, based_on: int, digest: str) -> RegisterDescription:
    """Publishes the pending notice as the next version, audited (by
    `description_publish`). Refuses, with nothing written: when nothing is pending,
    when another version was published since `based_on`, and when the pending text is
    no longer the one the privacy officer read (`digest`)."""
    current = current_description()
    pending = notice_pending()
    if pending is None:
        message = _("Nothing to publish: the notice in force already says what the system does.")
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    if pending_digest(pending) != digest:
        message = _(
            "The system's settings changed while you were reading, so nothing was "
            "published. Read the new differences and publish again."
        )
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    return description_publish(
        actor=actor,
        content=pending.content,
        change_note=pending_change_note(current, pending),
        based_on=based_on,
        reason=f"register description version {current.version + 1} published from the sources",
    )
