"""Subject requests: receipt, verification, deadlines across month ends, the board,
and answering them (GDPR arts. 12 and 21)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.selectors import consent_state
from rekisteri.privacy.models import RequestStatus, SubjectRequest
from rekisteri.privacy.requests import services
from rekisteri.privacy.requests.services import add_months, due_date
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
HELSINKI = datetime.timezone(datetime.timedelta(hours=2))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2027, 1, 31), 1, datetime.date(2027, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 31), 1, datetime.date(2027, 1, 31)),
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 4, 30)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 1, 15), 1, datetime.date(2026, 2, 15)),
        (datetime.date(2027, 1, 31), 3, datetime.date(2027, 4, 30)),
    ],
)
def test_months_are_counted_to_the_same_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_the_month_runs_from_the_helsinki_date_of_receipt():
    # 23:30 UTC on 31 March is already 1 April in Helsinki (UTC+3 in summer).
    received = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)

    assert due_date(received) == datetime.date(2026, 5, 1)


def record(customer=None, *, note="Soitettiin takaisin rekisterissä olevaan numeroon.", **extra):
    return services.subject_request_record(
        actor=SYSTEM,
        kind=extra.pop("kind", "access"),
        received_via="phone",
        received_at=extra.pop("received_at", timezone.now()),
        customer=customer,
        name="Aino Virtanen",
        verification_note=note,
        **extra,
    )


def test_an_extension_gives_three_months_from_receipt_once():
    received = datetime.datetime(2026, 1, 31, 10, 0, tzinfo=HELSINKI)
    request = record(make_customer(), received_at=received)
    assert request.due_on == datetime.date(2026, 2, 28)

    extended = services.subject_request_extend(
        actor=SYSTEM,
        request=request,
        reason="Pyyntö koskee laajaa aineistoa.",
        today=datetime.date(2026, 2, 20),
    )

    assert extended.extended_to == datetime.date(2026, 4, 30)
    with pytest.raises(ValidationError, match="already been extended"):
        services.subject_request_extend(
            actor=SYSTEM, request=extended, reason="Toinen pidennys ei ole sallittu."
        )


def test_staff_record_needs_a_real_note_and_no_future_time():
    with pytest.raises(ValidationError) as raised:
        record(
            make_customer(),
            note="soitto",
            received_at=timezone.now() + datetime.timedelta(days=1),
        )
    assert set(raised.value.message_dict) == {"verification_note", "received_at"}
    assert not SubjectRequest.objects.exists()


def test_a_request_without_a_note_waits_for_verification():
    customer = make_customer(email="aino@example.fi")
    request = record(customer, note="")

    assert request.status == RequestStatus.AWAITING_VERIFICATION
    with pytest.raises(ValidationError, match="open, verified"):
        services.subject_request_complete(
            actor=SYSTEM, request=request, outcome="Kopio lähetetty asiakkaalle."
        )

    services.subject_request_send_verification(actor=SYSTEM, request=request)
    assert mail.outbox[0].to == ["aino@example.fi"]
    assert "/tietosuoja/vahvista/" in mail.outbox[0].body


def test_the_board_lists_open_requests_with_days_left_and_overdue(privacy_officer_client):
    customer = make_customer()
    overdue = record(customer, received_at=timezone.now() - datetime.timedelta(days=40))
    record(customer, kind="erasure")

    response = privacy_officer_client.get(reverse("privacy:requests"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="overdue"' in content
    assert "days overdue" in content
    assert reverse("privacy:request", args=[overdue.public_id]) in content


def test_the_privacy_officer_completes_a_request_and_it_is_audited(privacy_officer_client):
    request = record(make_customer())

    response = privacy_officer_client.post(
        reverse("privacy:request_action", args=[request.public_id]),
        {"action": "complete", "outcome": "Kopio luovutettu asiakkaalle.", "version": 1},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED and request.closed_at
    event = AuditEvent.objects.filter(object_type="privacy.subjectrequest").latest("id")
    assert (event.action, personal_text_decrypt(event)) == (Action.UPDATE, "request completed")


def test_a_verified_objection_sets_the_ban(privacy_officer_client):
    customer = make_customer()
    request = record(customer, kind="objection")

    privacy_officer_client.post(
        reverse("privacy:request_action", args=[request.public_id]),
        {"action": "object", "version": request.version},
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert consent_state(customer).banned


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_other_roles_cannot_answer_and_nothing_changes(client_as, role):
    request = record(make_customer())
    audit_before = AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).count()

    response = client_as(role).post(
        reverse("privacy:request_action", args=[request.public_id]),
        {"action": "complete", "outcome": "Kopio luovutettu asiakkaalle."},
    )

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).count() == audit_before


def test_customer_service_records_a_phone_request(customer_service_client):
    customer = make_customer()

    response = customer_service_client.post(
        reverse("privacy:request_create"),
        {
            "kind": "erasure",
            "received_via": "phone",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "customer_number": customer.customer_number,
            "verification_note": "Tunnistettu tilaushistorian perusteella puhelimessa.",
        },
    )

    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert (request.kind, request.status, request.customer) == ("erasure", "open", customer)
    assert request.requester_name == f"{customer.first_names} {customer.surname}"


def test_reminders_go_to_the_privacy_officers_once_a_day():
    officer = make_staff(Role.PRIVACY_OFFICER, email="tietosuoja@example.fi")
    customer = make_customer()
    soon = record(customer, received_at=timezone.now() - datetime.timedelta(days=26))
    record(customer)  # a month left: not yet

    call_command("requests", "remind")

    assert [m.to for m in mail.outbox] == [[officer.email]]
    left = services.days_left(soon)
    assert f"{left} päivä" in mail.outbox[0].body and "jäljellä" in mail.outbox[0].body
    soon.refresh_from_db()
    assert soon.reminded_at is not None
    call_command("requests", "remind")
    assert len(mail.outbox) == 1


def test_an_access_request_is_answered_with_an_emailed_download_link(privacy_officer_client):
    customer = make_customer(email="aino@example.fi")
    request = record(customer)

    response = privacy_officer_client.post(
        reverse("privacy:request_action", args=[request.public_id]), {"action": "deliver"}
    )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["aino@example.fi"]]
    assert "/tietosuoja/lataa/" in mail.outbox[0].body
    assert request.deliveries.count() == 1
