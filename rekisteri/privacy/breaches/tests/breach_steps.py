"""A breach recorded, decided, notified to the authority and its people added, through
the services, and the breach's audit events: the steps the tests of the services and
of the pages start from."""

from typing import Any

from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.breaches import services as breaches
from rekisteri.privacy.models import BreachDecision

SYSTEM = Actor.system("test")


def record(detected_at=None, **overrides):
    facts: dict[str, Any] = {
        "detected_at": detected_at or timezone.now(),
        "occurred_at": None,
        "summary": "Asiakaslista lähti väärälle vastaanottajalle",
        "description": "Tilausraportti lähetettiin sähköpostilla väärälle yhteistyökumppanille.",
        "data_categories": ["contact_details", "names"],
        "people_affected": 120,
        "records_affected": 130,
        "likely_consequences": "Tietojenkalastelu on mahdollista.",
        "measures_taken": "Vastaanottajaa pyydettiin poistamaan viesti.",
    }
    facts.update(overrides)
    return breaches.breach_record(actor=facts.pop("actor", SYSTEM), **facts)


def breach_events(breach=None):
    events = AuditEvent.objects.filter(object_type="privacy.breach").order_by("id")
    if breach is not None:
        events = events.filter(object_id=str(breach.pk))
    return list(events.values_list("action", "reason"))


def decide(breach, decision=BreachDecision.NOTIFY, reason="Yhteystietoja yli sadalta asiakkaalta."):
    return breaches.breach_decide(
        actor=SYSTEM, breach=breach, decision=decision, reason=reason, version=breach.version
    )


def notify(breach, notified_at, late_reason=""):
    return breaches.breach_authority_notified(
        actor=SYSTEM,
        breach=breach,
        notified_at=notified_at,
        reference="TSV/1234/2026",
        late_reason=late_reason,
        version=breach.version,
    )


def add(breach, *customers):
    return breaches.breach_subjects_add(
        actor=SYSTEM, breach=breach, customer_numbers=[c.customer_number for c in customers]
    )
