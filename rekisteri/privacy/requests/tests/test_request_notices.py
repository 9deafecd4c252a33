"""The person is told of their request, and the recipients of their data of its outcome
(GDPR arts. 12(3)-(4) and 19): the receipt, an extension with its reasons, a refusal
with its reasons and the right to complain, and the completion of an erasure,
rectification or restriction, each emailed by the worker in the person's language and
recorded with what was sent, when and by which channel. A step refused, or tried by
someone not allowed to, sends nothing."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Status
from rekisteri.customers.services import CustomerInput, customer_input_of, customer_update
from rekisteri.mail_retry import MAIL_ATTEMPTS
from rekisteri.privacy.access.disclosures import disclosure_record
from rekisteri.privacy.models import (
    Disclosure,
    NoticeKind,
    NoticeStatus,
    RequestNotice,
    RequestStatus,
    SubjectRequest,
)
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
NOTE = "Soitettiin takaisin rekisterissä olevaan numeroon."
OMBUDSMAN = "Data Protection Ombudsman (Tietosuojavaltuutetun toimisto, tietosuoja.fi)"
AUTHORITY_EMAIL = "kirjaamo@poliisi.example.fi"


def recorded(customer: Customer | None, kind: str = "access", **extra: str) -> SubjectRequest:
    """A request received by phone and verified by staff: open at once."""
    return subject_request_record(
        actor=SYSTEM,
        kind=kind,
        received_via="phone",
        received_at=timezone.now(),
        customer=customer,
        name="Aino Virtanen",
        verification_note=NOTE,
        **extra,
    )


def notices(request: SubjectRequest) -> list[tuple[str, str, str, str]]:
    """(kind, status, channel, address) of each of the request's notices, oldest first."""
    return list(
        RequestNotice.objects.filter(subject_request=request)
        .order_by("pk")
        .values_list("kind", "status", "channel", "address")
    )


def told(request: SubjectRequest) -> list[str]:
    """The reasons of the audit events about the request's notices, oldest first."""
    events = AuditEvent.objects.filter(
        object_type="privacy.subjectrequest",
        object_id=str(request.pk),
        changed_fields=["notices"],
    ).order_by("id")
    return [personal_text_decrypt(event) or event.reason for event in events]


def act(client: Client, request: SubjectRequest, **data: str):
    request.refresh_from_db()
    response = client.post(
        reverse("privacy:request_action", args=[request.public_id]),
        {"version": request.version, **data},
    )
    said = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    return response, said


def authority_disclosure(customer: Customer, *, recipient_email: str = AUTHORITY_EMAIL):
    return disclosure_record(
        actor=SYSTEM,
        customer=customer,
        recipient_kind="authority",
        recipient="Oulun poliisilaitos",
        legal_ground="Poliisilaki 4:3 §",
        reference="POL-2026-118",
        categories=["name", "address"],
        recipient_email=recipient_email,
    )


# Receipt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "received_on", "subject"),
    [
        ("fi", "%-d.%-m.%Y", "Olemme vastaanottaneet pyyntösi: Oulunseutuvarasto"),
        ("sv", "%Y-%m-%d", "Vi har tagit emot din begäran: Oulunseutuvarasto"),
    ],
)
def test_a_request_recorded_by_staff_is_acknowledged_in_the_persons_language(
    privacy_officer_client, language, received_on, subject
):
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language=language)

    response = privacy_officer_client.post(
        reverse("privacy:request_create"),
        {
            "kind": "erasure",
            "received_via": "phone",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "customer_number": customer.customer_number,
            "verification_note": NOTE,
        },
    )
    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert notices(request) == [("receipt", "pending", "email", "aino.virtanen@example.fi")]
    assert mail.outbox == []

    assert run_queued_tasks() == 1

    [receipt] = mail.outbox
    assert receipt.to == ["aino.virtanen@example.fi"]
    assert receipt.subject == subject
    assert str(request.public_id) in receipt.body
    # The dates are written as the person's language writes them.
    assert timezone.localdate().strftime(received_on) in receipt.body
    assert request.due_on.strftime(received_on) in receipt.body
    notice = RequestNotice.objects.get(subject_request=request)
    assert (notice.language, notice.status, notice.channel, notice.address) == (
        language,
        NoticeStatus.SENT,
        "email",
        "",
    )
    assert notice.sent_at is not None
    assert told(request) == [
        "receipt notice to the person queued for email",
        "receipt notice to the person sent by email",
    ]


def test_a_portal_request_is_acknowledged_once_it_is_confirmed(customer_with_email):
    portal = Client(HTTP_ACCEPT_LANGUAGE="en")
    portal.post(
        reverse("portal:request"),
        {"kind": "rectification", "name": "Aino Virtanen", "email": customer_with_email.email},
    )
    run_queued_tasks()
    [verification] = mail.outbox
    request = SubjectRequest.objects.get()
    # Anyone may type in anyone's address: nothing is acknowledged before the link is used.
    assert notices(request) == []

    found = re.search(r"https?://\S+", str(verification.body))
    assert found is not None
    link = urlsplit(found.group(0))
    portal.post(link.path, {"t": parse_qs(link.query)["t"][0]})
    run_queued_tasks()

    assert [email.subject for email in mail.outbox[1:]] == [
        "We have received your request: Oulunseutuvarasto"
    ]
    assert mail.outbox[1].to == [customer_with_email.email]
    assert notices(request) == [("receipt", "sent", "email", "")]


def test_a_request_without_a_customer_is_acknowledged_at_the_address_it_came_with():
    request = subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=None,
        name="Aino Virtanen",
        email="Aino.Virtanen@Example.fi",
    )

    run_queued_tasks()

    assert [email.to for email in mail.outbox] == [["aino.virtanen@example.fi"]]
    assert notices(request) == [("receipt", "sent", "email", "")]


def test_an_address_only_typed_in_on_the_portal_is_never_written_to(privacy_officer_client):
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("portal:request"),
        {"kind": "erasure", "name": "Aino Virtanen", "email": "someone.else@example.fi"},
    )
    run_queued_tasks()
    request = SubjectRequest.objects.get()

    act(
        privacy_officer_client,
        request,
        action="refuse",
        outcome="Pyytäjää ei voitu tunnistaa eikä osoitetta löydy rekisteristä.",
    )
    run_queued_tasks()

    assert mail.outbox == []
    assert notices(request) == [("refusal", "no_address", "", "")]


def test_staff_are_told_to_reach_a_person_without_an_email_another_way(privacy_officer_client):
    request = recorded(make_customer(email=""))

    page = privacy_officer_client.get(reverse("privacy:request", args=[request.public_id]))

    assert notices(request) == [("receipt", "no_address", "", "")]
    assert told(request) == [
        "receipt notice to the person: no email address, to be told another way"
    ]
    assert not DBTaskResult.objects.exists()
    assert "No email address on record: tell the person another way." in page.content.decode()


# Extension and refusal -------------------------------------------------------------------


def test_an_extension_is_emailed_with_its_reasons_and_the_new_deadline(privacy_officer_client):
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="en")
    request = recorded(customer)
    run_queued_tasks()
    mail.outbox.clear()
    reason = "Pyyntö koskee kymmenen vuoden tilaushistoriaa kolmesta järjestelmästä."

    _response, said = act(privacy_officer_client, request, action="extend", reason=reason)
    run_queued_tasks()

    assert said == [("success", "Deadline extended by two months.")]
    request.refresh_from_db()
    [extension] = mail.outbox
    assert extension.to == ["aino.virtanen@example.fi"]
    assert extension.subject == "More time is needed to answer your request: Oulunseutuvarasto"
    body = str(extension.body)
    assert request.extended_to is not None
    assert reason in body
    assert request.extended_to.strftime("%m/%d/%Y") in body
    assert notices(request)[-1] == ("extension", "sent", "email", "")
    assert told(request)[-2:] == [
        "extension notice to the person queued for email",
        "extension notice to the person sent by email",
    ]


def test_an_extension_after_the_first_month_is_refused_and_nothing_is_sent(
    privacy_officer_client,
):
    request = subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="letter",
        received_at=timezone.now() - datetime.timedelta(days=40),
        customer=make_customer(),
        name="Aino Virtanen",
        verification_note=NOTE,
    )
    before = (notices(request), AuditEvent.objects.count(), DBTaskResult.objects.count())

    _response, said = act(
        privacy_officer_client, request, action="extend", reason="Laaja pyyntö, paljon tietoa."
    )

    assert said == [
        ("error", "The first month has passed: the deadline can no longer be extended.")
    ]
    request.refresh_from_db()
    assert request.extended_to is None
    assert (notices(request), AuditEvent.objects.count(), DBTaskResult.objects.count()) == before


def test_a_refusal_is_emailed_with_its_reasons_and_the_right_to_complain(privacy_officer_client):
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="en")
    request = recorded(customer, kind="erasure")
    run_queued_tasks()
    mail.outbox.clear()
    reason = "Tilauksen lasku on avoinna: tiedot säilytetään kirjanpitolain nojalla."

    act(privacy_officer_client, request, action="refuse", outcome=reason)
    run_queued_tasks()

    [refusal] = mail.outbox
    body = " ".join(refusal.body.split())
    assert refusal.subject == "Answer to your request: Oulunseutuvarasto"
    assert reason in body
    assert OMBUDSMAN in body
    assert "the right to seek a judicial remedy in court" in body
    assert notices(request)[-1] == ("refusal", "sent", "email", "")


def test_a_refusal_without_reasons_is_refused_and_sends_nothing(privacy_officer_client):
    request = recorded(make_customer())
    run_queued_tasks()
    mail.outbox.clear()
    events = AuditEvent.objects.count()

    _response, said = act(privacy_officer_client, request, action="refuse", outcome="Ei.")
    run_queued_tasks()

    assert said == [("error", "Give the reason for refusing (at least 10 characters).")]
    assert mail.outbox == []
    assert [kind for kind, *_rest in notices(request)] == ["receipt"]
    assert AuditEvent.objects.count() == events


def test_someone_not_allowed_to_answer_requests_sends_nothing(client_as):
    request = recorded(make_customer())
    run_queued_tasks()
    mail.outbox.clear()
    customer_service = client_as(Role.CUSTOMER_SERVICE)

    response, _said = act(
        customer_service, request, action="refuse", outcome="Pyyntö on perusteeton ja toistuva."
    )
    run_queued_tasks()

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert [kind for kind, *_rest in notices(request)] == ["receipt"]
    assert mail.outbox == []
    assert not DBTaskResult.objects.filter(status="READY").exists()


# Completion and art. 19 ------------------------------------------------------------------


def test_a_rectification_names_its_request_and_its_completion_tells_the_recipients(
    privacy_officer_client,
):
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="en")
    authority_disclosure(customer)
    no_address = authority_disclosure(customer, recipient_email="")
    request = recorded(customer, kind="rectification")
    run_queued_tasks()
    mail.outbox.clear()

    edit = privacy_officer_client.get(
        reverse("customers:edit", args=[customer.customer_number]),
        {"request": str(request.public_id)},
    )
    edited = privacy_officer_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        {
            "surname": customer.surname,
            "first_names": customer.first_names,
            "street_address": "Uusikatu 5",
            "postal_code": "90100",
            "post_office": "Oulu",
            "country": "FI",
            "phone": customer.phone,
            "email": customer.email,
            "preferred_language": customer.preferred_language,
            "notes": "",
            "version": customer.version,
            "subject_request": str(request.public_id),
        },
    )
    event = AuditEvent.objects.filter(object_type="customers.customer").latest("id")

    assert f'value="{request.public_id}" selected' in edit.content.decode()
    assert edited.status_code == 302
    assert (event.action, sorted(event.changed_fields), personal_text_decrypt(event)) == (
        Action.UPDATE,
        ["post_office", "postal_code", "street_address"],
        f"rectification (art. 16) for subject request {request.public_id}",
    )

    _response, said = act(
        privacy_officer_client,
        request,
        action="complete",
        outcome="Osoite korjattu asiakkaan pyynnöstä.",
    )
    run_queued_tasks()

    # After the edit's own "Changes saved.", never shown: the test follows no redirect.
    assert said[1:] == [
        ("success", "Request completed."),
        (
            "warning",
            "Some of those to be told have no email address: tell them another way. The "
            "request's messages below say whom.",
        ),
    ]
    assert notices(request) == [
        ("receipt", "sent", "email", ""),
        ("recipient", "sent", "email", ""),
        ("recipient", "no_address", "", ""),
        ("completion", "sent", "email", ""),
    ]
    to_recipient, to_person = mail.outbox
    assert to_recipient.to == [AUTHORITY_EMAIL]
    assert "POL-2026-118" in to_recipient.body
    # Recipients are written to in Finnish.
    assert "16 artikla" in to_recipient.body and "19 artikla" in to_recipient.body
    assert customer.surname not in to_recipient.body
    assert to_person.to == ["aino.virtanen@example.fi"]
    assert to_person.subject == "Your request has been carried out: Oulunseutuvarasto"
    assert "rectified as you asked" in to_person.body
    assert "told the 2 recipients" in to_person.body
    page = privacy_officer_client.get(reverse("privacy:request", args=[request.public_id]))
    assert "No email address for the recipient: tell them another way." in page.content.decode()
    assert RequestNotice.objects.get(disclosure=no_address).status == NoticeStatus.NO_ADDRESS


def test_an_edit_cannot_name_a_request_of_another_customer_or_kind(privacy_officer_client):
    customer = make_customer()
    recorded(customer, kind="rectification")
    other = recorded(make_customer(), kind="rectification")
    access = recorded(customer, kind="access")
    before = Customer.objects.get(pk=customer.pk)
    events = AuditEvent.objects.count()

    response = privacy_officer_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        {
            "surname": customer.surname,
            "first_names": customer.first_names,
            "street_address": "Uusikatu 5",
            "postal_code": "90100",
            "post_office": "Oulu",
            "country": "FI",
            "phone": customer.phone,
            "email": customer.email,
            "preferred_language": customer.preferred_language,
            "notes": "",
            "version": customer.version,
            "subject_request": str(other.public_id),
        },
    )

    assert response.status_code == 400
    with pytest.raises(ValidationError) as refused:
        customer_update(
            actor=SYSTEM,
            customer=customer,
            expected_version=customer.version,
            data=CustomerInput(**{**customer_input_of(customer).__dict__, "notes": "Korjattu"}),
            subject_request=access,
        )
    assert refused.value.message_dict == {
        "subject_request": ["Choose an open rectification request of this customer's."]
    }
    customer.refresh_from_db()
    assert (customer.street_address, customer.version) == (before.street_address, before.version)
    assert AuditEvent.objects.count() == events


def test_an_erasure_is_told_at_the_address_the_person_had_and_to_the_recipients(
    privacy_officer_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="sv")
    authority_disclosure(customer)
    request = recorded(customer, kind="erasure")
    run_queued_tasks()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        erased = privacy_officer_client.post(
            reverse("privacy:erase", args=[customer.customer_number]),
            {
                "reason": "Asiakkaan poistopyyntö puhelimitse",
                "confirm": "on",
                "subject_request": str(request.public_id),
            },
        )

    assert erased.status_code in (200, 302)
    customer.refresh_from_db()
    assert customer.status == Status.ANONYMISED
    # Sent once the erasure committed, to the address only memory kept.
    [to_person] = mail.outbox
    assert to_person.to == ["aino.virtanen@example.fi"]
    assert "Dina personuppgifter har raderats." in to_person.body
    completion = RequestNotice.objects.get(subject_request=request, kind=NoticeKind.COMPLETION)
    assert (completion.language, completion.status, completion.address) == ("sv", "sent", "")
    assert not RequestNotice.objects.filter(address__icontains="virtanen").exists()

    run_queued_tasks()

    assert [email.to for email in mail.outbox[1:]] == [[AUTHORITY_EMAIL]]
    assert "17 artikla" in mail.outbox[1].body
    assert notices(request) == [
        ("receipt", "sent", "email", ""),
        ("recipient", "sent", "email", ""),
        ("completion", "sent", "email", ""),
    ]


def test_a_restriction_is_told_to_the_person_and_to_the_recipients(privacy_officer_client):
    customer = make_customer(email="aino.virtanen@example.fi", preferred_language="en")
    authority_disclosure(customer)
    request = recorded(customer, kind="restriction")
    run_queued_tasks()
    mail.outbox.clear()

    privacy_officer_client.post(
        reverse("privacy:restrict", args=[customer.customer_number]),
        {
            "reason": "Asiakas kiistää tietojen paikkansapitävyyden",
            "subject_request": str(request.public_id),
        },
    )
    run_queued_tasks()

    customer.refresh_from_db()
    assert customer.status == Status.RESTRICTED
    to_recipient, to_person = mail.outbox
    assert to_recipient.to == [AUTHORITY_EMAIL] and "18 artikla" in to_recipient.body
    assert to_person.to == ["aino.virtanen@example.fi"]
    assert "restricted: it is only stored" in " ".join(to_person.body.split())
    assert told(request)[-4:] == [
        "art. 19 notice to a recipient queued for email",
        "completion notice to the person queued for email",
        "art. 19 notice to a recipient sent by email",
        "completion notice to the person sent by email",
    ]


def test_the_persons_own_copy_is_not_a_recipient_to_tell(privacy_officer_client):
    customer = make_customer(email="aino.virtanen@example.fi")
    request = recorded(customer, kind="rectification")
    Disclosure.objects.create(
        customer=customer,
        recipient_kind="data_subject",
        recipient="Aino Virtanen",
        legal_ground="GDPR art. 15",
        categories=["name"],
        disclosed_at=timezone.now(),
    )

    act(privacy_officer_client, request, action="complete", outcome="Nimi korjattu pyynnöstä.")

    assert [kind for kind, *_rest in notices(request)] == ["receipt", "completion"]


# Sending fails ---------------------------------------------------------------------------


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_failed_notice_is_tried_again_and_at_last_left_for_staff(settings):
    request = recorded(make_customer(email="aino.virtanen@example.fi"))
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    for _attempt in range(MAIL_ATTEMPTS):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        assert run_queued_tasks() == 1

    assert notices(request) == [("receipt", "failed", "email", "")]
    assert told(request)[-1] == (
        "receipt notice to the person email failed "
        f"(ConnectionRefusedError), attempt {MAIL_ATTEMPTS} of {MAIL_ATTEMPTS}: given up"
    )
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.fixture
def customer_with_email():
    return make_customer(email="aino.virtanen@example.fi")
