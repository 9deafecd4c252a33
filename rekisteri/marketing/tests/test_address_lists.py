"""Prepared address lists and labels (docs/marketing.md): asked for on a post group's
page, prepared by the worker with progress, downloaded once by their maker, deleted on
download or expiry; every step audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.marketing.models import AddressList, AddressListStatus, RestrictionList
from rekisteri.marketing.restrictions import restriction_list_import
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.prepared_files import FILE_KEPT_FOR, file_read
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
ASML = b"sukunimi;etunimet;lahiosoite;postinumero\nVirtanen;Aino;Isokatu 1;90100\n"


@pytest.fixture
def marketer(client_as):
    return client_as(Role.MARKETING)


@pytest.fixture
def group():
    """A post group of three members, one of them on the restriction list, and a
    fourth customer whose ban keeps them out."""
    made = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Postitus", channel="post"))
    make_customer(
        first_names="Tuomas",
        surname="Hämäläinen",
        street_address="Linnankatu 3",
        postal_code="90100",
        post_office="OULU",
    )
    make_customer(
        first_names="Pekka",
        surname="Mäkelä",
        street_address="Kirkkotie 5",
        postal_code="90440",
        post_office="KEMPELE",
    )
    make_customer(
        first_names="Aino", surname="Virtanen", street_address="Isokatu 1", postal_code="90100"
    )
    banned = make_customer(first_names="Eero", surname="Salminen")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source="phone_call")
    restriction_list_import(actor=SYSTEM, file=SimpleUploadedFile("asml.csv", ASML))
    return made


def ask(client, group, captured, kind="export"):
    with captured(execute=True):
        return client.post(reverse(f"marketing:{kind}", args=[group.pk]))


def the_list() -> AddressList:
    return AddressList.objects.get()


def urls(address_list: AddressList) -> tuple[str, str, str]:
    args = [address_list.public_id]
    return (
        reverse("marketing:address_list", args=args),
        reverse("marketing:address_list_progress", args=args),
        reverse("marketing:address_list_download", args=args),
    )


def test_asking_for_the_address_list_queues_it_and_shows_its_progress(
    marketer, group, django_capture_on_commit_callbacks
):
    response = ask(marketer, group, django_capture_on_commit_callbacks)

    address_list = the_list()
    detail, progress, _download = urls(address_list)
    assert response.status_code == 302
    assert response["Location"] == detail
    assert (address_list.kind, address_list.status) == ("csv", AddressListStatus.QUEUED)
    assert address_list.created_by == response.wsgi_request.user
    assert address_list.file_encrypted == ""
    task = DBTaskResult.objects.get()
    assert task.task_path == "rekisteri.marketing.tasks.prepare_address_list"
    event = AuditEvent.objects.get(object_type="marketing.addresslist")
    assert (event.action, event.actor_user, event.reason) == (
        Action.CREATE,
        response.wsgi_request.user,
        "csv of target group 'Postitus' asked for",
    )
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    box = marketer.get(progress).content.decode()
    assert f'hx-get="{progress}" hx-trigger="every 2s"' in box
    assert "Waiting for the background worker." in box
    assert f'<a href="{detail}">Refresh</a>' in box
    page = marketer.get(detail).content.decode()
    assert 'id="address-list-progress"' in page
    assert "Download the file" not in page


def test_the_worker_prepares_the_file_and_the_page_shows_the_result(
    marketer, group, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks)
    address_list = the_list()
    detail, progress, download = urls(address_list)

    assert run_queued_tasks() == 1

    address_list.refresh_from_db()
    assert address_list.status == AddressListStatus.READY
    assert (
        address_list.rows_total,
        address_list.rows_done,
        address_list.rows_written,
        address_list.left_out_restriction_list,
        address_list.left_out_consents,
    ) == (3, 3, 2, 1, 1)
    raw = file_read(address_list)
    assert address_list.file_size == len(raw)
    assert "Hämäläinen" not in address_list.file_encrypted
    assert address_list.finished_at is not None
    assert address_list.file_expires_at == address_list.finished_at + FILE_KEPT_FOR
    expiry = DBTaskResult.objects.get(status="READY")
    assert expiry.task_path == "rekisteri.marketing.tasks.expire_address_list"
    assert expiry.run_after == address_list.file_expires_at
    event = AuditEvent.objects.filter(action=Action.UPDATE).get()
    assert (event.actor_label, event.reason) == (
        "address list",
        "prepared: 2 rows of 3 members, 1 on the restriction list; 1 left out by consents and bans",
    )
    done = marketer.get(progress, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    box = marketer.get(progress).content.decode()
    assert "hx-trigger" not in box
    assert "3 of 3 members handled" in box
    page = marketer.get(detail).content.decode()
    assert "Ready to download" in page
    assert f'action="{download}"' in page
    assert "Left out: on the ASML restriction list</dt><dd>1</dd>" in page
    assert "Rows in the file</dt><dd>2</dd>" in page
    group_page = marketer.get(reverse("marketing:detail", args=[group.pk])).content.decode()
    assert f'href="{detail}"' in group_page


def test_the_file_is_downloaded_once_and_then_deleted(
    marketer, group, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks)
    run_queued_tasks()
    address_list = the_list()
    detail, _progress, download = urls(address_list)

    response = marketer.post(download)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="target-group-{group.pk}-'
    )
    assert response["Cache-Control"].startswith("max-age=0")
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["Name", "Street address", "Postal code", "Post office", "Country"],
        ["Tuomas Hämäläinen", "Linnankatu 3", "90100", "OULU", "FI"],
        ["Pekka Mäkelä", "Kirkkotie 5", "90440", "KEMPELE", "FI"],
    ]
    address_list.refresh_from_db()
    assert (address_list.status, address_list.file_encrypted) == (
        AddressListStatus.DOWNLOADED,
        "",
    )
    assert address_list.downloaded_at is not None
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert (export.actor_user, export.object_type, export.object_id, export.reason) == (
        response.wsgi_request.user,
        "marketing.targetgroup",
        str(group.pk),
        "post address list of 'Postitus': 2 rows",
    )
    deleted = AuditEvent.objects.filter(action=Action.UPDATE).latest("id")
    assert deleted.reason == "downloaded, the file deleted"

    again = marketer.post(download, follow=True)

    assert again.redirect_chain == [(detail, 302)]
    assert "This file has been downloaded already or has expired." in again.content.decode()
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == 1


def test_labels_are_prepared_and_downloaded_as_pdf(
    marketer, group, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks, kind="labels")
    run_queued_tasks()
    address_list = the_list()

    response = marketer.post(urls(address_list)[2])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    address_list.refresh_from_db()
    assert (address_list.kind, address_list.status, address_list.rows_written) == (
        "labels",
        AddressListStatus.DOWNLOADED,
        2,
    )
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.reason == "post address labels of 'Postitus': 2 labels"


def test_another_staff_members_list_is_not_found_and_stays(
    marketer, group, client_as, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks)
    run_queued_tasks()
    address_list = the_list()
    colleague = client_as(Role.MARKETING)
    events = AuditEvent.objects.count()

    detail, progress, download = urls(address_list)
    statuses = [
        colleague.get(detail).status_code,
        colleague.get(progress).status_code,
        colleague.post(download).status_code,
    ]

    assert statuses == [404, 404, 404]
    address_list.refresh_from_db()
    assert address_list.status == AddressListStatus.READY
    assert address_list.file_encrypted != ""
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR, Role.AUDITOR]
)
def test_other_roles_cannot_ask_for_a_list_and_nothing_is_queued(
    client_as, role, group, django_capture_on_commit_callbacks
):
    response = ask(client_as(role), group, django_capture_on_commit_callbacks)

    assert response.status_code == 403
    assert not AddressList.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(object_type="marketing.addresslist").exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse("marketing:export", args=[group.pk])


def test_a_group_of_another_channel_has_no_list_and_nothing_is_queued(
    marketer, django_capture_on_commit_callbacks
):
    email = target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Posti", channel="email"))

    response = ask(marketer, email, django_capture_on_commit_callbacks, kind="labels")

    assert response.status_code == 400
    assert response.content.decode() == "Only a post target group has address labels to print."
    assert not AddressList.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_restriction_list_unusable_when_the_worker_comes_stops_the_list_safely(
    marketer, group, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks)
    RestrictionList.objects.create(imported_at=timezone.now(), key_id="0123456789abcdef")

    run_queued_tasks()

    address_list = the_list()
    assert (address_list.status, address_list.error, address_list.file_encrypted) == (
        AddressListStatus.FAILED,
        "restriction_list_unusable",
        "",
    )
    page = marketer.get(urls(address_list)[0]).content.decode()
    assert "Stopped by an error" in page
    assert "Import the list again, then prepare the list again." in page
    assert "Download the file" not in page
    assert marketer.post(urls(address_list)[2]).status_code == 302
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_file_nobody_downloads_is_deleted_when_it_expires(
    marketer, group, django_capture_on_commit_callbacks
):
    ask(marketer, group, django_capture_on_commit_callbacks)
    run_queued_tasks()
    AddressList.objects.update(file_expires_at=timezone.now())
    DBTaskResult.objects.update(run_after=timezone.now())

    assert run_queued_tasks() == 1

    address_list = the_list()
    assert (address_list.status, address_list.file_encrypted) == (AddressListStatus.EXPIRED, "")
    event = AuditEvent.objects.filter(action=Action.UPDATE).latest("id")
    assert (event.actor_label, event.reason) == ("address list", "expired: the file deleted")
    assert marketer.post(urls(address_list)[2]).status_code == 302
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
