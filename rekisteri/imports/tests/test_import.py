"""The import after its dry run: the rows that can be imported become customers with
source "import", through the customer and consent services and audited; consents only
with their evidence; the file is deleted; progress and the report on the page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.consents.selectors import consent_state
from rekisteri.customers.models import Customer, Source
from rekisteri.imports.models import CustomerImport, ImportedConsent, ImportRow, ImportStatus
from rekisteri.imports.running import customer_import_expire
from rekisteri.testing.customer_files import (
    HEADER,
    a_code,
    csv_bytes,
    dry_run,
    import_after_dry_run,
    person,
    xlsx_bytes,
)
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def helsinki(year: int, month: int, day: int) -> datetime.datetime:
    """The start of a day in Finnish time."""
    return timezone.make_aware(datetime.datetime(year, month, day))


MARKETING_HEADER = [
    *HEADER,
    "Sähköpostilupa",
    "Sähköpostiluvan todiste",
    "Tekstiviestilupa",
    "Tekstiviestiluvan todiste",
    "Suoramarkkinointikielto",
]


def evidence(email: str = "", sms: str = "") -> dict[str, str]:
    return {"Sähköpostiluvan todiste": email, "Tekstiviestiluvan todiste": sms}


@pytest.fixture
def people():
    existing = make_customer()
    return [
        person(Henkilötunnus=a_code(day=1, individual=901)),  # 2
        person(Postinumero="abc"),  # 3: refused
        person(Sähköposti=existing.email),  # 4: refused
        person(
            Sähköpostilupa="Kyllä",
            Tekstiviestilupa="x",
            **evidence(email="verkkokauppa 1.3.2024", sms="messut 2023-09-14 arvonta"),
        ),  # 5
        person(Sähköpostilupa="kyllä", Tekstiviestilupa="kyllä", **evidence(sms="lomake")),  # 6
        person(
            Sähköpostilupa="kyllä",
            Suoramarkkinointikielto="kyllä",
            **evidence(email="lomake 2024-03-01"),
        ),  # 7
    ]


def test_the_import_creates_exactly_the_rows_that_can_be_imported(clerk, captured, people):
    raw = csv_bytes(people, header=MARKETING_HEADER)
    customer_import = dry_run(clerk, raw, captured=captured)
    before = set(Customer.objects.values_list("pk", flat=True))

    customer_import = import_after_dry_run(clerk, customer_import, captured=captured)

    assert customer_import.status == ImportStatus.IMPORTED
    created = Customer.objects.exclude(pk__in=before).order_by("customer_number")
    assert [(c.email, c.source) for c in created] == [
        (people[i]["Sähköposti"], Source.IMPORT) for i in (0, 3, 4, 5)
    ]
    # Its code only told duplicates apart: an import stores none (P8).
    assert not created[0].has_identity_code
    counts = (
        customer_import.rows_done,
        customer_import.rows_ok,
        customer_import.rows_with_remarks,
        customer_import.rows_refused,
        customer_import.consents_imported,
    )
    assert counts == (6, 2, 2, 2, 3)
    assert list(
        ImportRow.objects.filter(customer_import=customer_import)
        .order_by("number")
        .values_list("number", "status")
    ) == [(2, "remarks"), (3, "refused"), (4, "refused"), (5, "ok"), (6, "remarks"), (7, "ok")]


def test_every_customer_and_consent_is_audited_as_the_staff_member(clerk, captured, people):
    raw = csv_bytes(people, header=MARKETING_HEADER)
    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured), captured=captured
    )
    uploader = customer_import.created_by_id
    created = Customer.objects.filter(source=Source.IMPORT)

    customer_events = AuditEvent.objects.filter(
        action=Action.CREATE, object_type="customers.customer", customer__in=created
    )
    consent_events = AuditEvent.objects.filter(
        action=Action.CREATE, object_type="consents.consentevent"
    )
    assert customer_events.count() == 4
    assert set(customer_events.values_list("actor_user", flat=True)) == {uploader}
    with_code = created.get(email=people[0]["Sähköposti"])
    assert "identity_code" not in customer_events.get(customer=with_code).changed_fields
    assert consent_events.count() == 4  # three consents and one ban
    assert set(consent_events.values_list("actor_user", flat=True)) == {uploader}
    finished = AuditEvent.objects.filter(object_type="imports.customerimport").first()
    assert finished is not None
    assert finished.reason == (
        "imported, the file deleted: 6 rows, 2 OK, 2 with remarks, 2 refused, 3 consents"
    )
    assert finished.changed_fields == ["file", "status"]


def test_consents_are_imported_only_with_their_evidence(clerk, captured, people):
    raw = csv_bytes(people, header=MARKETING_HEADER)
    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured), captured=captured
    )
    by_email = {c.email: c for c in Customer.objects.filter(source=Source.IMPORT)}
    both, without, banned = (by_email[people[i]["Sähköposti"]] for i in (3, 4, 5))

    grants = ConsentEvent.objects.filter(kind=EventKind.GRANT).order_by("pk")
    # Given on the evidence's day, reached the register by the import, to no wording of
    # ours: the list does not say which words were shown.
    assert [
        (e.customer_id, e.channel, e.source, timezone.localtime(e.occurred_at), e.text_id)
        for e in grants
    ] == [
        (both.pk, "email", "import", helsinki(2024, 3, 1), None),
        (both.pk, "sms", "import", helsinki(2023, 9, 14), None),
        (banned.pk, "email", "import", helsinki(2024, 3, 1), None),
    ]
    assert {e.staff_user_id for e in grants} == {customer_import.created_by_id}
    assert ConsentEvent.objects.get(customer=banned, kind=EventKind.BAN).source == "import"
    assert list(
        ImportedConsent.objects.order_by("pk").values_list("consent_event__channel", "evidence")
    ) == [
        ("email", "verkkokauppa 1.3.2024"),
        ("sms", "messut 2023-09-14 arvonta"),
        ("email", "lomake 2024-03-01"),
    ]
    assert not ConsentEvent.objects.filter(customer=without).exists()
    assert consent_state(both).channels["email"].allowed
    state = consent_state(banned)
    assert state.banned and not state.channels["email"].allowed
    row_6 = ImportRow.objects.get(number=6)
    assert [p["field"] for p in row_6.problems] == [
        "email_consent_evidence",
        "sms_consent_evidence",
    ]


def test_the_file_is_deleted_when_the_import_ends(clerk, captured, people):
    raw = csv_bytes(people, header=MARKETING_HEADER)

    customer_import = import_after_dry_run(
        clerk, dry_run(clerk, raw, captured=captured), captured=captured
    )

    assert customer_import.file_encrypted == ""
    page = clerk.get(reverse("imports:detail", args=[customer_import.public_id])).content.decode()
    assert "The file has been deleted." in page
    assert people[0]["Sukunimi"] not in page  # no preview without the file


def test_the_progress_is_polled_while_the_import_runs_and_ends_in_a_refresh(clerk, captured):
    raw = csv_bytes([person(), person()])
    customer_import = dry_run(clerk, raw, captured=captured)
    with captured(execute=True):
        clerk.post(reverse("imports:run", args=[customer_import.public_id]))
    progress_url = reverse("imports:progress", args=[customer_import.public_id])
    detail_url = reverse("imports:detail", args=[customer_import.public_id])

    waiting = clerk.get(progress_url)
    page = clerk.get(detail_url).content.decode()

    box = waiting.content.decode()
    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in box
    assert "Waiting for the background worker." in box
    assert f'<a href="{detail_url}">Refresh</a>' in box  # without JavaScript
    assert 'id="import-progress"' in page
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    run_queued_tasks()

    done = clerk.get(progress_url, headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert done["HX-Refresh"] == "true"
    box = clerk.get(progress_url).content.decode()
    assert "hx-trigger" not in box
    assert "2 of 2 rows handled" in box


def test_an_xlsx_import_gives_the_zeros_back_to_postal_codes(clerk, captured):
    raw = xlsx_bytes(
        [["Aino", "Virtanen", "Mannerheimintie 1", 100, "Helsinki", 401234567, ""]],
        header=HEADER[:7],
    )
    customer_import = dry_run(clerk, raw, captured=captured, name="asiakkaat.xlsx")

    import_after_dry_run(clerk, customer_import, captured=captured)

    customer = Customer.objects.get()
    assert (customer.surname, customer.postal_code, customer.post_office) == (
        "Virtanen",
        "00100",
        "Helsinki",
    )
    assert (customer.phone, customer.source) == ("+358401234567", Source.IMPORT)


def test_a_file_that_can_no_longer_be_read_stops_the_run_and_is_deleted(clerk, captured):
    """As after `keys rotate` retired the key it was encrypted with."""
    customer_import = dry_run(clerk, csv_bytes([person()]), captured=captured)
    with captured(execute=True):
        clerk.post(reverse("imports:run", args=[customer_import.public_id]))
    CustomerImport.objects.update(file_encrypted="v1:k99:AAAA")

    run_queued_tasks()

    customer_import.refresh_from_db()
    assert (customer_import.status, customer_import.file_encrypted) == (ImportStatus.FAILED, "")
    assert not Customer.objects.exists()
    event = AuditEvent.objects.filter(object_type="imports.customerimport").first()
    assert event is not None
    assert event.reason == "failed: the file could not be decrypted; the file deleted"
    page = clerk.get(reverse("imports:detail", args=[customer_import.public_id]))
    assert "The run stopped because of an error" in page.content.decode()


def test_an_import_that_expired_before_the_worker_came_imports_nothing(clerk, captured):
    customer_import = dry_run(clerk, csv_bytes([person()]), captured=captured)
    with captured(execute=True):
        clerk.post(reverse("imports:run", args=[customer_import.public_id]))

    customer_import_expire(import_id=customer_import.pk)
    run_queued_tasks()

    customer_import.refresh_from_db()
    assert (customer_import.status, customer_import.file_encrypted) == (ImportStatus.EXPIRED, "")
    assert not Customer.objects.exists()
    assert (
        clerk.post(
            reverse("imports:discard", args=[customer_import.public_id]), follow=True
        ).status_code
        == 200
    )
    customer_import.refresh_from_db()
    assert customer_import.status == ImportStatus.EXPIRED


def test_a_run_under_way_cannot_be_discarded(clerk, captured):
    customer_import = dry_run(clerk, csv_bytes([person()]), captured=captured)
    with captured(execute=True):
        clerk.post(reverse("imports:run", args=[customer_import.public_id]))

    response = clerk.post(reverse("imports:discard", args=[customer_import.public_id]), follow=True)

    assert "Only an import that is not under way or done can be discarded." in (
        response.content.decode()
    )
    customer_import.refresh_from_db()
    assert customer_import.status == ImportStatus.IMPORTING and customer_import.has_file
