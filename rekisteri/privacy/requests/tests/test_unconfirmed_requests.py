"""Portal requests nobody confirmed stay off the privacy officer's board and out of the
reminders, and the retention run deletes them after REKISTERI_UNCONFIRMED_REQUEST_DAYS
days, with one audit event for them all (security finding 13)."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.models import RequestStatus, SubjectRequest
from rekisteri.privacy.requests import services
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def portal_request(email: str, *, days_ago: int = 0, confirmed: bool = False) -> SubjectRequest:
    Client().post(
        reverse("portal:request"),
        {"kind": "erasure", "name": "Aino Virtanen", "email": email},
        REMOTE_ADDR=f"192.0.2.{days_ago + (100 if confirmed else 1)}",
    )
    run_queued_tasks()
    request = SubjectRequest.objects.order_by("-pk").first()
    assert request is not None
    if confirmed:
        services.subject_request_verify(request=request, ip_address=None)
    received = timezone.now() - datetime.timedelta(days=days_ago)
    SubjectRequest.objects.filter(pk=request.pk).update(received_at=received)
    return SubjectRequest.objects.get(pk=request.pk)


def staff_recorded_waiting(customer, *, days_ago: int) -> SubjectRequest:
    return services.subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="letter",
        received_at=timezone.now() - datetime.timedelta(days=days_ago),
        customer=customer,
        name="Aino Virtanen",
    )


def retention(*args: str) -> str:
    stdout = io.StringIO()
    call_command("retention", *args, stdout=stdout)
    return stdout.getvalue()


def test_unconfirmed_portal_requests_are_not_on_the_board(privacy_officer_client):
    customer = make_customer(email="aino.virtanen@example.fi")
    junk = portal_request("aino.virtanen@example.fi")
    unknown = portal_request("ei.asiakas@example.fi")
    confirmed = portal_request("aino.virtanen@example.fi", confirmed=True)
    by_letter = staff_recorded_waiting(customer, days_ago=1)

    content = privacy_officer_client.get(reverse("privacy:requests")).content.decode()

    assert reverse("privacy:request", args=[confirmed.public_id]) in content
    assert reverse("privacy:request", args=[by_letter.public_id]) in content
    assert reverse("privacy:request", args=[junk.public_id]) not in content
    assert reverse("privacy:request", args=[unknown.public_id]) not in content
    start = privacy_officer_client.get(reverse("home")).content.decode()
    assert reverse("privacy:request", args=[junk.public_id]) not in start


def test_reminders_leave_out_unconfirmed_portal_requests():
    make_customer(email="aino.virtanen@example.fi")
    portal_request("aino.virtanen@example.fi", days_ago=6)
    SubjectRequest.objects.update(due_on=timezone.localdate())
    mail.outbox.clear()

    assert services.requests_remind() == 0
    assert mail.outbox == []


def test_the_retention_run_deletes_only_old_unconfirmed_portal_requests():
    customer = make_customer(email="aino.virtanen@example.fi")
    old_junk = portal_request("aino.virtanen@example.fi", days_ago=8)
    old_unknown = portal_request("ei.asiakas@example.fi", days_ago=30)
    recent_junk = portal_request("aino.virtanen@example.fi", days_ago=6)
    old_confirmed = portal_request("aino.virtanen@example.fi", days_ago=9, confirmed=True)
    old_by_letter = staff_recorded_waiting(customer, days_ago=20)
    events = AuditEvent.objects.count()

    dry_run = retention("run", "--dry-run")

    assert "unconfirmed portal requests (7 days)\n  due: 2\n" in dry_run
    assert SubjectRequest.objects.count() == 5
    assert AuditEvent.objects.count() == events

    output = retention("run")

    assert "unconfirmed portal requests (7 days)\n  due: 2\n  done: 2\n" in output
    assert set(SubjectRequest.objects.all()) == {recent_junk, old_confirmed, old_by_letter}
    assert not SubjectRequest.objects.filter(pk__in=[old_junk.pk, old_unknown.pk]).exists()
    [event] = AuditEvent.objects.filter(
        object_type="privacy.subjectrequest", object_id="unconfirmed"
    )
    assert (event.action, event.actor_label, event.customer_id) == (Action.ERASE, "retention", None)
    assert event.reason == "2 portal requests deleted: unconfirmed for 7 days"
    assert old_confirmed.status == RequestStatus.OPEN


@override_settings(UNCONFIRMED_REQUEST_DAYS=3)
def test_the_days_are_configurable():
    make_customer(email="aino.virtanen@example.fi")
    portal_request("aino.virtanen@example.fi", days_ago=4)

    assert services.unconfirmed_requests_expire(actor=SYSTEM) == 1
    assert not SubjectRequest.objects.exists()
    assert services.unconfirmed_requests_expire(actor=SYSTEM) == 0


def test_run_now_on_the_retention_page_deletes_them_too(privacy_officer_client):
    make_customer(email="aino.virtanen@example.fi")
    old_junk = portal_request("aino.virtanen@example.fi", days_ago=8)
    recent_junk = portal_request("aino.virtanen@example.fi", days_ago=6)

    response = privacy_officer_client.post(reverse("privacy:retention_run"), follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "Unconfirmed portal requests deleted: 1." in messages
    assert list(SubjectRequest.objects.all()) == [recent_junk]
    assert not SubjectRequest.objects.filter(pk=old_junk.pk).exists()
    [event] = AuditEvent.objects.filter(
        object_type="privacy.subjectrequest", object_id="unconfirmed"
    )
    assert event.actor_user == response.wsgi_request.user
    assert event.reason == "1 portal requests deleted: unconfirmed for 7 days"
