"""Marketing staff build target groups with a live count and export a post group's
address list; the privacy officer may look; other roles are refused (P4, P13)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.testing.address_lists import prepared_download
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
FORM = {
    "name": "Oulun seutu",
    "channel": "post",
    "skus": "",
    "last_order_from": "",
    "last_order_to": "",
    "minimum_total_spent": "",
    "postal_code_ranges": "90100 - 90999, 91000",
}


@pytest.fixture
def marketing_client(client_as):
    return client_as(Role.MARKETING)


def a_group(channel: str = "post", **criteria: object) -> TargetGroup:
    data = TargetGroupInput(name="Oulun seutu", channel=channel, **criteria)  # type: ignore[arg-type]
    return target_group_save(actor=SYSTEM, data=data)


def test_marketing_counts_the_members_before_saving(marketing_client):
    """A preview counts without saving anything or writing to the audit log."""
    make_customer(postal_code="90100")
    make_customer(postal_code="90570")
    make_customer(postal_code="00100")
    audit_before = AuditEvent.objects.count()

    response = marketing_client.post(reverse("marketing:create"), {**FORM, "preview": "1"})

    assert response.status_code == 200
    assert "Fewer than 5 customers in the group now." in response.content.decode()
    assert "2 customers" not in response.content.decode()
    assert not TargetGroup.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_group_of_five_or_more_is_counted_exactly(marketing_client):
    for _ in range(5):
        make_customer(postal_code="90100")

    response = marketing_client.post(reverse("marketing:create"), {**FORM, "preview": "1"})

    assert "5 customers in the group now." in response.content.decode()
    assert "Fewer than" not in response.content.decode()


def test_a_group_of_three_is_shown_as_fewer_than_five_on_its_page(marketing_client):
    """A narrow group's exact size would tell whether a known person is in it."""
    group = a_group(postal_code_ranges=["90100-90999"])
    for _ in range(3):
        make_customer(postal_code="90100")

    response = marketing_client.get(reverse("marketing:detail", args=[group.pk]))

    page = response.content.decode()
    count = page[page.index('id="member-count"') :].split("</p>", 1)[0]
    assert "Fewer than 5 customers in the group now." in count
    assert "3" not in count


def test_the_htmx_preview_answers_with_the_count_alone(marketing_client):
    make_customer(postal_code="90100")

    response = marketing_client.post(
        reverse("marketing:create"), {**FORM, "preview": "1"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<p id="member-count"')
    assert "Fewer than 5 customers in the group now." in response.content.decode()


def test_marketing_saves_a_group_and_it_is_audited(marketing_client):
    response = marketing_client.post(
        reverse("marketing:create"),
        {**FORM, "skus": "HYL-120, LAT-10", "languages": ["sv", "fi"], "save": "1"},
    )

    group = TargetGroup.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("marketing:detail", args=[group.pk])
    user = response.wsgi_request.user
    assert (group.name, group.channel, group.skus, group.postal_code_ranges, group.languages) == (
        "Oulun seutu",
        "post",
        ["HYL-120", "LAT-10"],
        ["90100-90999", "91000-91000"],
        ["fi", "sv"],
    )
    assert (group.created_by, group.updated_by) == (user, user)
    audit = AuditEvent.objects.get(object_type="marketing.targetgroup")
    assert (audit.action, audit.actor_user, audit.object_id, audit.customer_id) == (
        Action.CREATE,
        user,
        str(group.pk),
        None,
    )


def test_a_bad_postal_code_range_is_refused_and_nothing_is_saved(marketing_client):
    audit_before = AuditEvent.objects.count()

    response = marketing_client.post(
        reverse("marketing:create"), {**FORM, "postal_code_ranges": "90999-90100", "save": "1"}
    )

    assert response.status_code == 200
    assert "90999-90100 is not a postal code range such as 90100-90999." in (
        response.content.decode()
    )
    assert not TargetGroup.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_marketing_edits_a_group_and_the_change_is_audited(marketing_client):
    group = a_group()

    response = marketing_client.post(
        reverse("marketing:edit", args=[group.pk]),
        {**FORM, "minimum_total_spent": "100", "save": "1"},
    )

    assert response.status_code == 302
    group.refresh_from_db()
    assert group.minimum_total_spent == Decimal("100.00")
    audit = AuditEvent.objects.filter(object_type="marketing.targetgroup").latest("id")
    assert (audit.action, audit.changed_fields) == (
        Action.UPDATE,
        ["minimum_total_spent", "postal_code_ranges"],
    )


def test_two_marketers_editing_one_group_the_second_gets_a_conflict(marketing_client):
    group = a_group()
    opened = {**FORM, "version": group.version, "save": "1"}
    first = marketing_client.post(
        reverse("marketing:edit", args=[group.pk]), {**opened, "minimum_total_spent": "100"}
    )
    audit_before = AuditEvent.objects.count()

    second = marketing_client.post(
        reverse("marketing:edit", args=[group.pk]), {**opened, "minimum_total_spent": "500"}
    )

    assert first.status_code == 302
    assert second.status_code == 409
    assert "Someone else saved this target group." in second.content.decode()
    group.refresh_from_db()
    assert (group.minimum_total_spent, group.version) == (Decimal("100.00"), 2)
    assert AuditEvent.objects.count() == audit_before


def test_the_detail_page_shows_the_count(privacy_officer_client):
    group = a_group(postal_code_ranges=["90100-90999"])
    make_customer(postal_code="90100")

    response = privacy_officer_client.get(reverse("marketing:detail", args=[group.pk]))

    assert response.status_code == 200
    assert "Fewer than 5 customers in the group now." in response.content.decode()
    assert "Download the address list" not in response.content.decode()


def export(client, group: TargetGroup):
    """The address list as the staff member gets it: prepared by the worker, then
    downloaded."""
    return prepared_download(client, reverse("marketing:export", args=[group.pk]))


def test_the_post_export_holds_the_address_columns_only_and_is_audited(marketing_client):
    group = a_group(postal_code_ranges=["90100-90999"])
    first = make_customer(
        first_names="Aino Maria",
        surname="Virtanen",
        street_address="Isokatu 1 A 2",
        postal_code="90100",
        post_office="OULU",
    )
    second = make_customer(
        first_names="Pekka",
        surname="Mäkelä",
        street_address="Kirkkotie 5, as. 3",
        postal_code="90440",
        post_office="KEMPELE",
    )
    banned = make_customer(postal_code="90100")
    consents.marketing_ban(actor=SYSTEM, customer=banned, source="phone_call")
    make_customer(postal_code="00100")

    response = export(marketing_client, group)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="target-group-{group.pk}-'
    )
    assert response["Cache-Control"].startswith("max-age=0")
    text = response.content.decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Street address", "Postal code", "Post office", "Country"],
        ["Aino Maria Virtanen", "Isokatu 1 A 2", "90100", "OULU", "FI"],
        ["Pekka Mäkelä", "Kirkkotie 5, as. 3", "90440", "KEMPELE", "FI"],
    ]
    for customer in (first, second):
        assert customer.email not in text and customer.phone not in text
    audit = AuditEvent.objects.get(action=Action.EXPORT)
    assert (audit.actor_user, audit.object_type, audit.object_id, audit.customer_id) == (
        response.wsgi_request.user,
        "marketing.targetgroup",
        str(group.pk),
        None,
    )
    assert audit.reason == "post address list of 'Oulun seutu': 2 rows"


@pytest.mark.parametrize("channel", ["email", "sms", "phone"])
def test_only_a_post_group_can_be_exported(marketing_client, channel):
    group = a_group(channel=channel)
    make_customer()

    response = export(marketing_client, group)

    assert response.status_code == 400
    assert response.content.decode() == "Only a post target group has an address list to export."
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.AUDITOR, Role.PRIVACY_OFFICER]
)
def test_other_roles_cannot_export_and_the_refusal_is_audited(client_as, role):
    group = a_group()
    make_customer()

    response = export(client_as(role), group)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse("marketing:export", args=[group.pk])


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.AUDITOR, Role.PRIVACY_OFFICER]
)
def test_other_roles_cannot_save_a_group_and_the_refusal_is_audited(client_as, role):
    group = a_group()

    created = client_as(role).post(reverse("marketing:create"), {**FORM, "save": "1"})
    edited = client_as(role).post(
        reverse("marketing:edit", args=[group.pk]), {**FORM, "name": "Muutettu", "save": "1"}
    )

    assert (created.status_code, edited.status_code) == (403, 403)
    assert list(TargetGroup.objects.values_list("name", flat=True)) == ["Oulun seutu"]
    assert AuditEvent.objects.filter(object_type="marketing.targetgroup").count() == 1
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 2
