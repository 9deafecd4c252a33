"""The pages of the breach register, through the test client: the register with the
72-hour clocks, recording a breach, and the breach page's steps, each checked in the
response, the database and the audit trail. Other roles are refused and nothing
changes."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.privacy.breaches.tests.breach_steps import add, breach_events, decide, record
from rekisteri.privacy.models import Breach, BreachDecision, BreachSubject
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
HELSINKI = ZoneInfo("Europe/Helsinki")


def page(breach):
    return reverse("privacy:breach", args=[breach.public_id])


def step(name, breach):
    return reverse(f"privacy:{name}", args=[breach.public_id])


def test_the_urls():
    breach = record()
    base = f"/privacy/breaches/{breach.public_id}/"

    assert reverse("privacy:breaches") == "/privacy/breaches/"
    assert reverse("privacy:breach_create") == "/privacy/breaches/new/"
    assert page(breach) == base
    assert step("breach_edit", breach) == base + "edit/"
    assert step("breach_decide", breach) == base + "decide/"
    assert step("breach_authority_notified", breach) == base + "authority/"
    assert step("breach_subjects_add", breach) == base + "people/"
    assert step("breach_notice", breach) == base + "notice/"
    assert step("breach_notices_send", breach) == base + "notice/send/"


def test_the_register_shows_each_clock_and_highlights_the_overdue(privacy_officer_client):
    now = timezone.now()
    record(now - 100 * HOUR + HOUR / 2, summary="Murto varastoon")
    record(now - 2 * HOUR, summary="Kadonnut muistitikku")
    stopped = record(now - 200 * HOUR, summary="Salattu levy hukassa")
    decide(stopped, BreachDecision.NOT_NOTIFY, "Levy oli salattu, avain tallessa.")

    response = privacy_officer_client.get(reverse("privacy:breaches"))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('<tr class="overdue">') == 1
    overdue_row = content.split('<tr class="overdue">')[1].split("</tr>")[0]
    assert "Murto varastoon" in overdue_row
    assert "overdue by 28 h" in overdue_row
    assert "69 h left" in content
    assert "Stopped: not notified" in content
    assert "No notification: unlikely to result in a risk" in content
    # Running clocks first, the nearest deadline first; then the rest.
    order = [content.index(s) for s in ("Murto", "Kadonnut", "Salattu")]
    assert order == sorted(order)


def test_the_breach_page_shows_the_deadline_in_helsinki_time(privacy_officer_client):
    breach = record(datetime.datetime(2025, 3, 28, 12, 0, tzinfo=datetime.UTC))

    response = privacy_officer_client.get(page(breach))

    deadline = datetime.datetime(2025, 3, 31, 15, 0, tzinfo=HELSINKI)
    with translation.override("en"):
        shown = formats.date_format(deadline, "SHORT_DATETIME_FORMAT")
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert "overdue by" in response.content.decode()


def test_the_privacy_officer_records_a_breach(privacy_officer_client):
    response = privacy_officer_client.post(
        reverse("privacy:breach_create"),
        {
            "detected_at": "2026-03-02T09:30",
            "occurred_at": "2026-03-01T22:00",
            "summary": "Tilausraportti väärälle vastaanottajalle",
            "description": "Raportti lähti sähköpostilla väärälle kumppanille.",
            "data_categories": ["names", "order_history"],
            "people_affected": "40",
            "records_affected": "",
            "likely_consequences": "",
            "measures_taken": "Vastaanottaja vahvisti poistaneensa viestin.",
        },
    )

    breach = Breach.objects.get()
    assert response.status_code == 302
    assert response.url == page(breach)
    # The form's times are Helsinki time (UTC+2 in March).
    assert breach.detected_at == datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
    assert breach.occurred_at == datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)
    assert breach.data_categories == ["names", "order_history"]
    assert (breach.people_affected, breach.records_affected) == (40, None)
    assert breach.recorded_by is not None
    assert breach.recorded_by.groups.get().name == Role.PRIVACY_OFFICER
    assert breach_events() == [(Action.CREATE, "breach recorded")]


def test_a_breach_detected_in_the_future_is_refused_with_nothing_stored(privacy_officer_client):
    future = timezone.localtime() + datetime.timedelta(days=1)

    response = privacy_officer_client.post(
        reverse("privacy:breach_create"),
        {
            "detected_at": future.strftime("%Y-%m-%dT%H:%M"),
            "summary": "Huomenna",
            "description": "Ei vielä tapahtunut.",
        },
    )

    assert response.status_code == 400
    assert "The time of detection cannot be in the future." in response.content.decode()
    assert not Breach.objects.exists()
    assert breach_events() == []


def test_the_decision_is_recorded_on_the_breach_page(privacy_officer_client):
    breach = record(timezone.now() - 80 * HOUR)

    response = privacy_officer_client.post(
        step("breach_decide", breach),
        {
            "decide-decision": "not_notify",
            "decide-reason": "Tiedot olivat salattuja eikä avain vuotanut.",
            "decide-version": "1",
        },
        follow=True,
    )

    breach.refresh_from_db()
    assert response.redirect_chain == [(page(breach), 302)]
    assert "Decision recorded." in response.content.decode()
    assert "Stopped: not notified" in response.content.decode()
    assert breach.decision == BreachDecision.NOT_NOTIFY
    assert breach.decided_by is not None
    assert breach.decided_by.groups.get().name == Role.PRIVACY_OFFICER
    assert breach_events()[-1] == (Action.UPDATE, "decision: not_notify")


def test_a_short_reason_is_refused_and_the_input_kept(privacy_officer_client):
    breach = record()

    response = privacy_officer_client.post(
        step("breach_decide", breach),
        {"decide-decision": "notify", "decide-reason": "Riski", "decide-version": "1"},
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "Give the reason for the decision (at least 10 characters)." in content
    assert "Riski</textarea>" in content
    breach.refresh_from_db()
    assert (breach.decision, breach.version) == (BreachDecision.UNDECIDED, 1)
    assert breach_events() == [(Action.CREATE, "breach recorded")]


def test_a_stale_page_changes_nothing(privacy_officer_client):
    breach = decide(record())

    response = privacy_officer_client.post(
        step("breach_decide", breach),
        {
            "decide-decision": "not_notify",
            "decide-reason": "Ei riskiä, tiedot olivat salattuja.",
            "decide-version": "1",
        },
        follow=True,
    )

    assert "Someone else changed this breach. Check it again." in response.content.decode()
    breach.refresh_from_db()
    assert breach.decision == BreachDecision.NOTIFY


def test_a_late_notification_without_reasons_is_refused_on_the_page(privacy_officer_client):
    detected = timezone.now() - 100 * HOUR
    breach = decide(record(detected))

    response = privacy_officer_client.post(
        step("breach_authority_notified", breach),
        {
            "notified-notified_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "notified-reference": "TSV/99/2026",
            "notified-late_reason": "",
            "notified-version": str(breach.version),
        },
    )

    assert response.status_code == 400
    assert "give the reasons for the delay" in response.content.decode()
    breach.refresh_from_db()
    assert breach.authority_notified_at is None
    assert breach.authority_reference == ""


def test_people_are_added_by_customer_number_and_told(
    privacy_officer_client, django_capture_on_commit_callbacks
):
    breach = record()
    first = make_customer(email="eka@example.fi")
    second = make_customer(email="toka@example.fi")

    added = privacy_officer_client.post(
        step("breach_subjects_add", breach),
        {"subjects-customer_numbers": f"{first.customer_number},\n{second.customer_number}"},
        follow=True,
    )
    assert "People added: 2." in added.content.decode()
    privacy_officer_client.post(
        step("breach_notice", breach),
        {
            "notice-people_must_be_told": "on",
            "notice-notice_subject": "Tietoturvaloukkaus",
            "notice-notice_body": "Nimesi ja osoitteesi päätyivät ulkopuoliselle.",
            "notice-version": "1",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = privacy_officer_client.post(step("breach_notices_send", breach), follow=True)
    run_queued_tasks()

    assert "Notices queued for sending: 2." in sent.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["eka@example.fi", "toka@example.fi"]
    assert set(BreachSubject.objects.values_list("notice_status", flat=True)) == {"sent"}
    shown = privacy_officer_client.get(page(breach)).content.decode()
    assert "sent: 2" in shown
    assert str(first.customer_number) in shown


def test_words_that_are_not_customer_numbers_are_refused(privacy_officer_client):
    breach = record()
    customer = make_customer()

    response = privacy_officer_client.post(
        step("breach_subjects_add", breach),
        {"subjects-customer_numbers": f"{customer.customer_number} Virtanen"},
    )

    assert response.status_code == 400
    assert "These are not customer numbers: Virtanen" in response.content.decode()
    assert not BreachSubject.objects.exists()


def test_sending_before_the_notice_is_written_is_refused_on_the_page(
    privacy_officer_client, django_capture_on_commit_callbacks
):
    breach = record()
    add(breach, make_customer(email="eka@example.fi"))

    with django_capture_on_commit_callbacks(execute=True):
        response = privacy_officer_client.post(step("breach_notices_send", breach))

    assert response.status_code == 400
    assert "must be told" in response.content.decode()
    assert not DBTaskResult.objects.exists()
    assert mail.outbox == []


# Who may ------------------------------------------------------------------------------


def test_the_privacy_officer_has_the_register_in_the_menu(privacy_officer_client, client_as):
    assert (
        'href="/privacy/breaches/"'
        in privacy_officer_client.get("/privacy/breaches/").content.decode()
    )
    others = client_as(Role.CUSTOMER_SERVICE).get(reverse("customers:list"))
    assert 'href="/privacy/breaches/"' not in others.content.decode()


POSTS = {
    "breach_edit": {"summary": "Muutettu", "description": "Muutettu kuvaus", "version": "1"},
    "breach_decide": {
        "decide-decision": "not_notify",
        "decide-reason": "Ei riskiä kenellekään.",
        "decide-version": "1",
    },
    "breach_authority_notified": {"notified-reference": "TSV/1/2026", "notified-version": "1"},
    "breach_subjects_add": {"subjects-customer_numbers": "{number}"},
    "breach_notice": {
        "notice-people_must_be_told": "on",
        "notice-notice_subject": "Otsikko",
        "notice-notice_body": "Teksti",
        "notice-version": "1",
    },
    "breach_notices_send": {},
}


def snapshot(breach):
    breach.refresh_from_db()
    return (
        Breach.objects.count(),
        breach.version,
        breach.decision,
        breach.people_must_be_told,
        BreachSubject.objects.count(),
        DBTaskResult.objects.count(),
        len(mail.outbox),
        AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).count(),
    )


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
@pytest.mark.parametrize("name", ["breach_create", *POSTS])
def test_other_roles_are_refused_and_nothing_changes(
    client_as, role, name, django_capture_on_commit_callbacks
):
    client = client_as(role)
    breach = record(timezone.now() - 60 * HOUR)
    customer = make_customer(email="aino@example.fi")
    before = snapshot(breach)
    denied_before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()
    data = {
        key: value.format(number=customer.customer_number)
        for key, value in POSTS.get(name, {"summary": "Uusi", "description": "Uusi"}).items()
    }
    url = reverse("privacy:breach_create") if name == "breach_create" else step(name, breach)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 403
    assert snapshot(breach) == before
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()
    assert denied == denied_before + 1
