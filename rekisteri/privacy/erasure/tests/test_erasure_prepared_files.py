"""Erasure deletes at once the prepared files that may hold the person
(docs/subject-requests.md): their own copies for hand-over, and every address list or
labels not yet downloaded; a file already taken, and another person's copy, stay as
they were."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.marketing.models import AddressList, AddressListStatus
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.privacy.models import AccessCopy, AccessCopyStatus, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.retention import holds
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö sähköpostitse"
DELETED = "expired: the file deleted at once, a person it may hold was erased"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


def customer_in_post_group(surname: str, street_address: str):
    return make_customer(
        surname=surname,
        first_names="Aino",
        email=f"{surname.lower()}@example.fi",
        street_address=street_address,
        postal_code="90100",
        post_office="OULU",
    )


def access_request(customer) -> SubjectRequest:
    return subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name=f"Aino {customer.surname}",
        email=customer.email,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla.",
    )


def prepare_copy(officer, subject_request, captured) -> AccessCopy:
    with captured(execute=True):
        officer.post(reverse("privacy:access_copy_prepare", args=[subject_request.public_id]))
    return AccessCopy.objects.get(subject_request=subject_request)


def prepare_list(marketer, group, captured) -> AddressList:
    with captured(execute=True):
        response = marketer.post(reverse("marketing:export", args=[group.pk]))
    public_id = response["Location"].rstrip("/").split("/")[-1]
    return AddressList.objects.get(public_id=public_id)


def test_erasure_deletes_the_persons_copy_and_every_list_that_may_hold_them(
    client_as, django_capture_on_commit_callbacks
):
    officer = client_as(Role.PRIVACY_OFFICER)
    marketer = client_as(Role.MARKETING)
    erased = customer_in_post_group("Lehtonen", "Isokatu 1")
    other = customer_in_post_group("Mäkelä", "Kirkkotie 5")
    group = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Postitus", channel="post"))
    taken = prepare_list(marketer, group, django_capture_on_commit_callbacks)
    run_queued_tasks()
    marketer.post(reverse("marketing:address_list_download", args=[taken.public_id]))
    ready_list = prepare_list(marketer, group, django_capture_on_commit_callbacks)
    own_copy = prepare_copy(officer, access_request(erased), django_capture_on_commit_callbacks)
    other_copy = prepare_copy(officer, access_request(other), django_capture_on_commit_callbacks)
    run_queued_tasks()
    # Queued after the worker ran: prepared after the erasure, without the person.
    queued_list = prepare_list(marketer, group, django_capture_on_commit_callbacks)
    jobs = [taken, ready_list, own_copy, other_copy, queued_list]
    for job in jobs:
        job.refresh_from_db()
    assert [job.status for job in jobs] == [
        AddressListStatus.DOWNLOADED,
        AddressListStatus.READY,
        AccessCopyStatus.READY,
        AccessCopyStatus.READY,
        AddressListStatus.QUEUED,
    ]
    taken_before = AddressList.objects.filter(pk=taken.pk).values().get()

    response = officer.post(
        reverse("privacy:erase", args=[erased.customer_number]),
        {"reason": REASON, "confirm": "on"},
    )

    assert response.status_code == 302
    for job in (ready_list, own_copy):
        job.refresh_from_db()
        assert (job.status, job.file_encrypted) == ("expired", "")
        event = AuditEvent.objects.get(
            object_type=job._meta.label_lower, object_id=str(job.pk), reason=DELETED
        )
        assert (event.action, event.customer_id, event.actor_user) == (
            Action.UPDATE,
            None,
            response.wsgi_request.user,
        )
        assert event.changed_fields == ["file", "status"]
    assert AddressList.objects.filter(pk=taken.pk).values().get() == taken_before
    other_copy.refresh_from_db()
    assert other_copy.status == AccessCopyStatus.READY
    assert other_copy.file_encrypted
    assert AuditEvent.objects.filter(reason=DELETED).count() == 2
    # The list queued before the erasure reads the members after it: the person is not
    # in it, the others are.
    queued_list.refresh_from_db()
    assert queued_list.status == AddressListStatus.QUEUED
    run_queued_tasks()
    download = marketer.post(
        reverse("marketing:address_list_download", args=[queued_list.public_id])
    )
    content = b"".join(download.streaming_content) if download.streaming else download.content
    assert download.status_code == 200
    assert "Mäkelä" in content.decode()
    assert "Lehtonen" not in content.decode()


def test_a_refused_erasure_deletes_no_prepared_file(client_as, django_capture_on_commit_callbacks):
    officer = client_as(Role.PRIVACY_OFFICER)
    customer = customer_in_post_group("Lehtonen", "Isokatu 1")
    own_copy = prepare_copy(officer, access_request(customer), django_capture_on_commit_callbacks)
    run_queued_tasks()
    holds.legal_hold_place(
        actor=SYSTEM, customer=customer, reason="Riita-asia käräjäoikeudessa, asia L 26/1234"
    )

    response = officer.post(
        reverse("privacy:erase", args=[customer.customer_number]),
        {"reason": REASON, "confirm": "on"},
    )

    assert response.status_code == 409
    own_copy.refresh_from_db()
    assert own_copy.status == AccessCopyStatus.READY
    assert own_copy.file_encrypted
    assert not AuditEvent.objects.filter(reason=DELETED).exists()
