"""Who may import (P13): customer service and the privacy officer (customers.add_customer),
each only their own imports. Other roles are refused with 403, audited, and nothing
changes; another staff member's import is a 404, as if it did not exist."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers.models import Customer
from rekisteri.imports.models import CustomerImport, ImportStatus
from rekisteri.testing.auth import sign_in
from rekisteri.testing.customer_files import csv_bytes, dry_run, person, uploaded

pytestmark = pytest.mark.django_db

OBJECT_PAGES = [
    ("get", "imports:detail"),
    ("get", "imports:mapping"),
    ("post", "imports:mapping"),
    ("post", "imports:check"),
    ("post", "imports:run"),
    ("post", "imports:discard"),
    ("get", "imports:progress"),
    ("get", "imports:report"),
]


@pytest.fixture
def checked(clerk, captured):
    """An import with its dry run done, ready to be imported."""
    return dry_run(clerk, csv_bytes([person(), person()]), captured=captured)


def _state(customer_import):
    customer_import.refresh_from_db()
    return (
        customer_import.status,
        customer_import.file_encrypted,
        customer_import.mapping,
        CustomerImport.objects.count(),
        Customer.objects.count(),
        DBTaskResult.objects.count(),
    )


def _request(client, method, name, customer_import):
    url = reverse(name, args=[customer_import.public_id])
    if method == "post":
        return client.post(url, {"column_0": "surname", "column_1": "first_names"})
    return client.get(url)


@pytest.mark.parametrize("role", [Role.MARKETING, Role.AUDITOR, Role.ADMINISTRATOR, None])
def test_other_roles_are_refused_audited_and_nothing_changes(client_as, checked, role):
    client = client_as(role)
    before = _state(checked)
    denied_before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()

    responses = [
        client.get(reverse("imports:list")),
        client.get(reverse("imports:upload")),
        client.post(reverse("imports:upload"), {"file": uploaded(csv_bytes([person()]))}),
        *(_request(client, method, name, checked) for method, name in OBJECT_PAGES),
    ]

    assert [response.status_code for response in responses] == [403] * (3 + len(OBJECT_PAGES))
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert denied.count() - denied_before == 3 + len(OBJECT_PAGES)
    assert _state(checked) == before
    assert checked.status == ImportStatus.CHECKED


def test_another_staff_members_import_is_not_found_and_nothing_changes(client_as, checked):
    colleague = client_as(Role.PRIVACY_OFFICER)
    before = _state(checked)

    responses = [_request(colleague, method, name, checked) for method, name in OBJECT_PAGES]

    assert [response.status_code for response in responses] == [404] * len(OBJECT_PAGES)
    assert _state(checked) == before
    assert colleague.get(reverse("imports:list")).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client, checked):
    before = _state(checked)

    response = client.post(reverse("imports:run", args=[checked.public_id]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert _state(checked) == before


def test_a_staff_member_without_consent_rights_cannot_map_consent_columns(staff):
    user = staff(None)
    user.user_permissions.add(
        Permission.objects.get(codename="add_customer", content_type__app_label="customers")
    )
    client = sign_in(user)
    header = ["Etunimi", "Sukunimi", "Puhelin", "Sähköpostilupa", "Sähköpostiluvan todiste"]
    raw = csv_bytes([person(Sähköpostilupa="kyllä")], header=header)
    client.post(reverse("imports:upload"), {"file": uploaded(raw)})
    customer_import = CustomerImport.objects.get()

    page = client.get(reverse("imports:mapping", args=[customer_import.public_id]))
    refused = client.post(
        reverse("imports:mapping", args=[customer_import.public_id]),
        {"column_0": "first_names", "column_1": "surname", "column_3": "email_consent"},
    )

    assert 'value="email_consent"' not in page.content.decode()
    assert refused.status_code == 400
    customer_import.refresh_from_db()
    assert customer_import.status == ImportStatus.MAPPING


def test_a_guessed_import_is_not_found(clerk, checked):
    before = _state(checked)
    guessed = CustomerImport(public_id=uuid.uuid4())

    responses = [_request(clerk, method, name, guessed) for method, name in OBJECT_PAGES]

    assert [response.status_code for response in responses] == [404] * len(OBJECT_PAGES)
    assert checked.public_id.version == 4
    assert _state(checked) == before
