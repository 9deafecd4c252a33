"""A customer's own copy prepared in the background for hand-over
(docs/subject-requests.md): asked for on the request's page, gathered by the worker
section by section, handed over once with the same disclosure as the direct
hand-over, deleted on hand-over or expiry."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.prepared_files import FILE_KEPT_FOR, file_read
from rekisteri.privacy.access.copy import own_copy_categories
from rekisteri.privacy.models import AccessCopy, AccessCopyStatus, Disclosure, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import identity_code_for
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CODE = identity_code_for(datetime.date(1981, 4, 12), 951)


@pytest.fixture
def customer():
    return make_customer(
        surname="Lehtonen",
        first_names="Ilkka",
        email="ilkka.lehtonen@example.fi",
        identity_code=CODE,
    )


def request_for(customer, *, verified: bool = True) -> SubjectRequest:
    return subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name="Ilkka Lehtonen",
        email=customer.email,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla." if verified else "",
    )


@pytest.fixture
def officer(client_as):
    return client_as(Role.PRIVACY_OFFICER)


def prepare(client, subject_request, captured):
    with captured(execute=True):
        return client.post(reverse("privacy:access_copy_prepare", args=[subject_request.public_id]))


def progress_url(access_copy: AccessCopy) -> str:
    return reverse(
        "privacy:access_copy_progress",
        args=[access_copy.subject_request.public_id, access_copy.public_id],
    )


def hand_over(client, access_copy: AccessCopy, **extra):
    url = reverse("privacy:access_handover", args=[access_copy.subject_request.public_id])
    return client.post(url, {"copy": str(access_copy.public_id)}, **extra)


def test_asking_for_the_copy_queues_it_and_the_request_page_shows_its_progress(
    officer, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer)

    response = prepare(officer, subject_request, django_capture_on_commit_callbacks)

    page_url = reverse("privacy:request", args=[subject_request.public_id])
    assert (response.status_code, response["Location"]) == (302, page_url)
    access_copy = AccessCopy.objects.get()
    assert (access_copy.subject_request, access_copy.status) == (
        subject_request,
        AccessCopyStatus.QUEUED,
    )
    assert access_copy.created_by == response.wsgi_request.user
    assert DBTaskResult.objects.filter(
        task_path="rekisteri.privacy.access.tasks.prepare_access_copy"
    ).exists()
    event = AuditEvent.objects.get(object_type="privacy.accesscopy")
    assert (event.action, event.customer_id, event.actor_user) == (
        Action.CREATE,
        customer.pk,
        response.wsgi_request.user,
    )
    page = officer.get(page_url).content.decode()
    assert f'hx-get="{progress_url(access_copy)}" hx-trigger="every 2s"' in page
    assert "Waiting for the background worker." in page
    assert "Prepare the copy to hand over" not in page
    assert not Disclosure.objects.exists()


def test_the_worker_gathers_every_section_and_the_page_shows_the_result(
    officer, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer)
    prepare(officer, subject_request, django_capture_on_commit_callbacks)
    access_copy = AccessCopy.objects.get()

    run_queued_tasks()

    access_copy.refresh_from_db()
    sections = own_copy_categories(customer, include_identity_code=True)
    assert access_copy.status == AccessCopyStatus.READY
    assert (access_copy.sections_total, access_copy.sections_done) == (len(sections), sections)
    raw = file_read(access_copy)
    assert access_copy.file_size == len(raw)
    assert CODE not in access_copy.file_encrypted
    assert access_copy.finished_at is not None
    assert access_copy.file_expires_at == access_copy.finished_at + FILE_KEPT_FOR
    expiry = DBTaskResult.objects.get(status="READY", task_path__endswith="expire_access_copy")
    assert expiry.run_after == access_copy.file_expires_at
    done = officer.get(progress_url(access_copy), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    box = officer.get(progress_url(access_copy)).content.decode()
    assert "hx-trigger" not in box
    assert f"{len(sections)} of {len(sections)} sections gathered" in box
    page = officer.get(reverse("privacy:request", args=[subject_request.public_id]))
    text = page.content.decode()
    assert "Ready to hand over" in text
    assert f'name="copy" value="{access_copy.public_id}"' in text
    assert "Personal identity code" in text  # the sections, by name
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_the_prepared_copy_is_handed_over_once_and_recorded_as_a_disclosure(
    officer, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer)
    prepare(officer, subject_request, django_capture_on_commit_callbacks)
    run_queued_tasks()
    access_copy = AccessCopy.objects.get()

    response = hand_over(officer, access_copy)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="data-{customer.customer_number}-'
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as opened:
        assert opened.namelist() == ["index.html", "data.json"]
        assert json.loads(opened.read("data.json"))["customer"]["identity_code"] == CODE
    access_copy.refresh_from_db()
    assert (access_copy.status, access_copy.file_encrypted) == (AccessCopyStatus.HANDED_OVER, "")
    [disclosure] = Disclosure.objects.all()
    assert (disclosure.recipient_kind, disclosure.legal_ground, disclosure.subject_request) == (
        "data_subject",
        "GDPR art. 15",
        subject_request,
    )
    assert disclosure.disclosed_by == response.wsgi_request.user
    [export] = AuditEvent.objects.filter(action=Action.EXPORT)
    assert (export.actor_user, export.customer_id) == (response.wsgi_request.user, customer.pk)

    again = hand_over(officer, access_copy, follow=True)

    assert again.redirect_chain[-1][1] == 302
    assert "This copy has been handed over already or has expired." in again.content.decode()
    assert Disclosure.objects.count() == 1


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_only_the_privacy_officer_asks_for_a_copy_and_nothing_is_queued(
    client_as, role, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer)

    response = prepare(client_as(role), subject_request, django_capture_on_commit_callbacks)

    assert response.status_code == 403
    assert not AccessCopy.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="prepare_access_copy").exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse(
        "privacy:access_copy_prepare", args=[subject_request.public_id]
    )


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_only_the_privacy_officer_hands_over_a_prepared_copy(
    officer, client_as, role, customer, django_capture_on_commit_callbacks
):
    prepare(officer, request_for(customer), django_capture_on_commit_callbacks)
    run_queued_tasks()
    access_copy = AccessCopy.objects.get()

    response = hand_over(client_as(role), access_copy)

    assert response.status_code == 403
    access_copy.refresh_from_db()
    assert access_copy.status == AccessCopyStatus.READY
    assert not Disclosure.objects.exists()


def test_an_unverified_request_gets_no_prepared_copy(
    officer, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer, verified=False)

    response = prepare(officer, subject_request, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    page = officer.get(response["Location"]).content.decode()
    assert "Verify the requester&#x27;s identity first." in page
    assert not AccessCopy.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="prepare_access_copy").exists()
    assert not AuditEvent.objects.filter(object_type="privacy.accesscopy").exists()


def test_another_requests_copy_is_not_found(officer, customer, django_capture_on_commit_callbacks):
    prepare(officer, request_for(customer), django_capture_on_commit_callbacks)
    run_queued_tasks()
    access_copy = AccessCopy.objects.get()
    other = request_for(make_customer(surname="Koskinen"))

    url = reverse("privacy:access_handover", args=[other.public_id])
    response = officer.post(url, {"copy": str(access_copy.public_id)})
    bad = officer.post(url, {"copy": "not-a-uuid"})

    assert (response.status_code, bad.status_code) == (404, 404)
    access_copy.refresh_from_db()
    assert access_copy.status == AccessCopyStatus.READY
    assert not Disclosure.objects.exists()


def test_a_copy_nobody_hands_over_is_deleted_when_it_expires(
    officer, customer, django_capture_on_commit_callbacks
):
    prepare(officer, request_for(customer), django_capture_on_commit_callbacks)
    run_queued_tasks()
    AccessCopy.objects.update(file_expires_at=timezone.now())
    DBTaskResult.objects.update(run_after=timezone.now())

    run_queued_tasks()

    access_copy = AccessCopy.objects.get()
    assert (access_copy.status, access_copy.file_encrypted) == (AccessCopyStatus.EXPIRED, "")
    event = AuditEvent.objects.filter(object_type="privacy.accesscopy").latest("id")
    assert (event.actor_label, event.action) == ("prepared copy", Action.UPDATE)
    assert hand_over(officer, access_copy).status_code == 302
    assert not Disclosure.objects.exists()


def test_a_request_refused_before_the_worker_came_gets_no_copy(
    officer, customer, django_capture_on_commit_callbacks
):
    subject_request = request_for(customer)
    prepare(officer, subject_request, django_capture_on_commit_callbacks)
    SubjectRequest.objects.filter(pk=subject_request.pk).update(status="refused")

    run_queued_tasks()

    access_copy = AccessCopy.objects.get()
    assert (access_copy.status, access_copy.error, access_copy.file_encrypted) == (
        AccessCopyStatus.FAILED,
        "the request no longer gets a copy",
        "",
    )
