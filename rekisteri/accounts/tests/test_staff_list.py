"""The administrator's list of staff: /accounts/staff/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group

from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.factories import make_staff

URL = "/accounts/staff/"

pytestmark = pytest.mark.django_db


def test_it_lists_every_staff_member_with_roles_state_and_last_sign_in(admin_client, administrator):
    """Active and deactivated accounts, roles by name, last sign-in in Helsinki time."""
    service = make_staff(
        Role.CUSTOMER_SERVICE, username="aino.virtanen", first_name="Aino", last_name="Virtanen"
    )
    service.groups.add(Group.objects.get(name=Role.MARKETING))
    service.last_login = datetime(2026, 11, 2, 7, 5, tzinfo=UTC)
    service.save()
    former = make_staff(None, username="eero.korhonen", is_active=False)

    response = admin_client.get(URL)

    assert response.status_code == 200
    rows = {row.user.username: row for row in response.context["rows"]}
    assert set(rows) >= {administrator.username, "aino.virtanen", "eero.korhonen"}
    assert [str(label) for label in rows["aino.virtanen"].role_labels] == [
        "Customer service",
        "Marketing",
    ]
    assert [str(label) for label in rows[administrator.username].role_labels] == ["Administrator"]
    assert rows["eero.korhonen"].role_labels == []
    page = response.content.decode()
    assert "Aino Virtanen" in page
    assert "Customer service, Marketing" in page
    assert "Deactivated" in page
    assert "11/02/2026 9:05 a.m." in page
    assert f'href="/accounts/staff/{former.pk}/"' in page
    assert audit_trail() == []
