"""An imported consent is recorded as its evidence says (P11, GDPR art. 7(1)): given on
the evidence's day, "import" as how it reached the register, no wording of ours, the
evidence and its import beside it. The customer page and the customer's own copy show
the evidence; marketing still counts the consent."""

import datetime
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.models import Channel, ConsentEvent, EventKind, Source
from rekisteri.consents.selectors import consent_state, customers_eligible
from rekisteri.consents.services import consent_event_record
from rekisteri.customers.models import Customer
from rekisteri.imports.models import ImportedConsent
from rekisteri.privacy.access.copy import access_archive, subject_data
from rekisteri.testing.customer_files import (
    HEADER,
    csv_bytes,
    dry_run,
    import_after_dry_run,
    person,
)

pytestmark = pytest.mark.django_db

EVIDENCE = "verkkolomake 2023-05-02, tekstiversio 3"
HEADER_WITH_CONSENT = [*HEADER, "Sähköpostilupa", "Sähköpostiluvan todiste"]


def given_on(year: int, month: int, day: int) -> datetime.datetime:
    """The start of a day in Finnish time: an evidence gives a day, not a time."""
    return timezone.make_aware(datetime.datetime(year, month, day))


@pytest.fixture
def imported(clerk, captured):
    """Two customers imported from one list: one with an email consent and its
    evidence, one whose consent has no evidence."""
    people = [
        person(**{"Sähköpostilupa": "Kyllä", "Sähköpostiluvan todiste": EVIDENCE}),
        person(**{"Sähköpostilupa": "Kyllä", "Sähköpostiluvan todiste": ""}),
    ]
    raw = csv_bytes(people, header=HEADER_WITH_CONSENT)
    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured), captured=captured
    )
    with_evidence = Customer.objects.get(email=people[0]["Sähköposti"])
    without = Customer.objects.get(email=people[1]["Sähköposti"])
    return customer_import, with_evidence, without


def test_the_consent_is_recorded_as_the_evidence_says(imported):
    customer_import, customer, without = imported

    [event] = ConsentEvent.objects.filter(customer=customer)
    assert (event.kind, event.channel, event.source) == (EventKind.GRANT, "email", Source.IMPORT)
    assert timezone.localtime(event.occurred_at) == given_on(2023, 5, 2)
    assert event.text is None  # the list does not say which words were shown
    assert event.staff_user_id == customer_import.created_by_id
    evidence = ImportedConsent.objects.get(consent_event=event)
    assert (evidence.evidence, evidence.customer_import_id) == (EVIDENCE, customer_import.pk)
    # A consent without evidence is not recorded at all.
    assert not ConsentEvent.objects.filter(customer=without).exists()
    audit = AuditEvent.objects.get(
        action=Action.CREATE, object_type="consents.consentevent", object_id=str(event.pk)
    )
    assert (audit.customer_id, audit.actor_user_id) == (customer.pk, customer_import.created_by_id)
    assert personal_text_decrypt(audit) == "grant email (import)"


def test_marketing_counts_an_imported_consent_with_evidence(imported):
    _import, customer, without = imported

    assert consent_state(customer).channels[Channel.EMAIL].allowed
    assert consent_state(customer).channels[Channel.EMAIL].since == given_on(2023, 5, 2)
    eligible = customers_eligible(
        Channel.EMAIL, Customer.objects.filter(pk__in=[customer.pk, without.pk])
    )
    assert list(eligible) == [customer]


def test_the_customer_page_shows_the_evidence_its_day_and_the_import(imported, clerk):
    _import, customer, _without = imported

    response = clerk.get(reverse("customers:detail", args=[customer.customer_number]))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Evidence in the customer list: “{EVIDENCE}”" in page
    assert '<time datetime="2023-05-02">2.5.2023</time>' in page
    assert "Customer list import" in page
    assert "as the evidence says" in page


def test_the_customers_own_copy_gives_the_evidence(imported):
    customer_import, customer, _without = imported

    data = subject_data(customer, include_identity_code=False, language="en")

    [event] = data["consent_events"]
    assert event["occurred_at"] == given_on(2023, 5, 2).isoformat()
    assert (event["source"], event["wording"], event["wording_version"]) == ("import", None, None)
    assert event["imported_evidence"] == EVIDENCE
    assert event["imported_at"] == timezone.localtime(customer_import.run_started_at).isoformat(
        timespec="seconds"
    )
    archive = access_archive(customer=customer, language="en", include_identity_code=False)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        html = opened.read("index.html").decode()
        assert json.loads(opened.read("data.json"))["consent_events"][0]["imported_evidence"] == (
            EVIDENCE
        )
    assert f"Evidence in the customer list: {EVIDENCE}" in html
    assert "<td>2023-05-02</td>" in html


def test_staff_cannot_record_a_consent_as_imported(imported):
    _import, customer, _without = imported
    events, trail = ConsentEvent.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        consent_event_record(
            actor=Actor.system("test"),
            customer=customer,
            kind=EventKind.GRANT,
            channel=Channel.SMS,
            source=Source.IMPORT,
        )

    assert refused.value.message_dict == {
        "source": ["An imported consent is recorded only by an import."]
    }
    assert (ConsentEvent.objects.count(), AuditEvent.objects.count()) == (events, trail)
