"""Separation of duties (security review finding 2): nobody gives roles to themselves; the
privacy officer's and auditor's roles take effect when a privacy officer confirms them;
an administrator cannot set the password or reset the two-factor sign-in of a privacy
officer or an auditor; the privacy officers are told of every such change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from rekisteri.accounts.models import Authenticator, RoleGrant, RoleGrantDecision, User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import user_roles
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.audit.models import AuditEvent
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

REVEAL = "customers.reveal_identity_code"
AUDIT_LOG = "audit.view_auditevent"
NEW_PASSWORD = "Revontulet-loistavat-taas-9"
OWN_PASSWORD = "Kuusikko-humisee-illalla-7"
ROLES_REFUSED = "You cannot give roles to yourself."
CREDENTIALS_REFUSED = (
    "A privacy officer sets the password and resets the two-factor sign-in of a "
    "privacy officer or an auditor."
)


def edit_data(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "roles": user_roles(user),
        "is_active": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value != ""}


def create_data(username: str, roles: list[str]) -> dict[str, object]:
    return {
        "username": username,
        "first_name": "Sanna",
        "last_name": "Lehtonen",
        "email": f"{username}@example.fi",
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
        "roles": roles,
    }


def fresh(user: User) -> User:
    """The user as the next request sees them (permissions are cached per object)."""
    return User.objects.get(pk=user.pk)


def first_sign_in(username: str) -> Client:
    """The new staff member signs in with the password they were given and changes it,
    as the password page insists."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"username": username, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {
            "old_password": NEW_PASSWORD,
            "new_password": OWN_PASSWORD,
            "new_password_confirmation": OWN_PASSWORD,
        },
    )
    assert response.status_code == 302
    return client


def decide(client: Client, grant: RoleGrant, decision: str):
    return client.post(f"/accounts/role-grants/{grant.pk}/", {"decision": decision, "next": "/"})


@pytest.fixture
def administrator() -> User:
    return make_staff(Role.ADMINISTRATOR, username="aino.admin")


@pytest.fixture
def officer() -> User:
    return make_staff(Role.PRIVACY_OFFICER, username="olli.tietosuoja")


def test_an_administrator_cannot_give_themselves_the_privacy_officers_role(administrator):
    """The reproduced attack: refused on the form, nothing changed, the refusal audited."""
    client = sign_in(administrator)

    response = client.post(
        f"/accounts/staff/{administrator.pk}/",
        edit_data(administrator, roles=[Role.ADMINISTRATOR, Role.PRIVACY_OFFICER]),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == [ROLES_REFUSED]
    assert user_roles(administrator) == [Role.ADMINISTRATOR]
    assert not RoleGrant.objects.exists()
    assert not fresh(administrator).has_perm(REVEAL)
    assert not fresh(administrator).has_perm(AUDIT_LOG)
    assert audit_trail("action", "actor_user_id", "object_id", "reason") == [
        ("permission_denied", administrator.pk, str(administrator.pk), "own roles: privacy_officer")
    ]


@pytest.mark.parametrize("role", [Role.MARKETING, Role.AUDITOR])
def test_nobody_adds_any_role_to_themselves(role):
    """Not even a role that needs no confirmation; a privacy officer neither."""
    user = make_staff(Role.ADMINISTRATOR)
    user.groups.add(Group.objects.get(name=Role.PRIVACY_OFFICER))
    client = sign_in(user)
    roles_before = user_roles(user)

    response = client.post(
        f"/accounts/staff/{user.pk}/", edit_data(user, roles=[*roles_before, role])
    )

    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == [ROLES_REFUSED]
    assert user_roles(user) == roles_before
    assert not RoleGrant.objects.exists()
    assert audit_trail("action", "object_id", "reason") == [
        ("permission_denied", str(user.pk), f"own roles: {role}")
    ]


def test_a_new_privacy_officer_waits_for_a_privacy_officers_confirmation(
    administrator, officer, django_capture_on_commit_callbacks
):
    """An account created with the privacy officer's role has no reveal right until
    another privacy officer confirms it; then it does."""
    admin_client = sign_in(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/accounts/staff/new/", create_data("sanna.l", [Role.PRIVACY_OFFICER])
        )

    assert response.status_code == 302
    new = User.objects.get(username="sanna.l")
    assert user_roles(new) == []
    assert not fresh(new).has_perm(REVEAL)
    grant = RoleGrant.objects.get()
    assert (grant.user, grant.role, grant.requested_by, grant.decision) == (
        new,
        Role.PRIVACY_OFFICER,
        administrator,
        RoleGrantDecision.PENDING,
    )
    assert audit_trail("action", "actor_user_id", "object_id", "reason") == [
        ("create", administrator.pk, str(new.pk), ""),
        ("role_grant_request", administrator.pk, str(new.pk), "requested privacy_officer"),
    ]
    # The administrator who asked may not confirm it: a privacy officer exists.
    assert decide(admin_client, grant, "confirm").status_code == 403
    grant.refresh_from_db()
    assert grant.decision == RoleGrantDecision.PENDING
    assert user_roles(new) == []

    # The privacy officer sees it on the start page, and confirms it once the person
    # has signed in and chosen their own password.
    officer_client = sign_in(officer)
    page = officer_client.get("/")
    assert [row.grant for row in page.context["page"].staff_security.grants] == [grant]
    refused_early = decide(officer_client, grant, "confirm")
    assert refused_early.status_code == 302
    assert user_roles(new) == []
    first_sign_in("sanna.l")
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(officer_client, grant, "confirm")

    assert (response.status_code, response["Location"]) == (302, "/")
    grant.refresh_from_db()
    assert (grant.decision, grant.decided_by) == (RoleGrantDecision.CONFIRMED, officer)
    assert user_roles(new) == [Role.PRIVACY_OFFICER]
    assert fresh(new).has_perm(REVEAL)
    assert audit_trail("action", "actor_user_id", "object_id", "reason")[-1] == (
        "role_grant_confirm",
        officer.pk,
        str(new.pk),
        "granted privacy_officer",
    )
    # Each step was emailed to the privacy officers (the new one too, once confirmed).
    run_queued_tasks()
    officers = ["olli.tietosuoja@example.fi", "sanna.l@example.fi"]
    assert [message.to for message in mail.outbox] == [officers] * 3
    assert all("sanna.l" in message.subject for message in mail.outbox)
    assert [message.body.split(": ")[0].split()[-1] for message in mail.outbox] == [
        "aino.admin",
        "aino.admin",
        "olli.tietosuoja",
    ]


def test_a_refused_grant_never_takes_effect(administrator, officer):
    member = make_staff(Role.CUSTOMER_SERVICE)
    admin_client = sign_in(administrator)
    admin_client.post(
        f"/accounts/staff/{member.pk}/",
        edit_data(member, roles=[Role.CUSTOMER_SERVICE, Role.AUDITOR]),
    )
    grant = RoleGrant.objects.get()

    response = decide(sign_in(officer), grant, "refuse")

    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.decision, grant.decided_by) == (RoleGrantDecision.REFUSED, officer)
    assert user_roles(member) == [Role.CUSTOMER_SERVICE]
    assert not fresh(member).has_perm(AUDIT_LOG)
    assert audit_trail("action", "reason")[-1] == ("role_grant_refuse", "refused auditor")
    # Decided once: a second decision changes nothing.
    before = audit_trail()
    decide(sign_in(officer, Client()), grant, "confirm")
    assert user_roles(member) == [Role.CUSTOMER_SERVICE]
    assert audit_trail() == before


@pytest.mark.parametrize("decision", ["", "maybe"])
def test_a_decision_that_is_neither_confirm_nor_refuse_changes_nothing(
    administrator, officer, decision
):
    member = make_staff(Role.CUSTOMER_SERVICE)
    sign_in(administrator).post(
        f"/accounts/staff/{member.pk}/",
        edit_data(member, roles=[Role.CUSTOMER_SERVICE, Role.AUDITOR]),
    )
    grant = RoleGrant.objects.get()
    before = audit_trail()

    response = decide(sign_in(officer), grant, decision)

    assert response.status_code == 400
    grant.refresh_from_db()
    assert (grant.decision, grant.decided_by) == (RoleGrantDecision.PENDING, None)
    assert user_roles(member) == [Role.CUSTOMER_SERVICE]
    assert audit_trail() == before


def test_the_person_cannot_confirm_their_own_grant(administrator, officer):
    """Not even a privacy officer asking to be an auditor too."""
    admin_client = sign_in(administrator)
    admin_client.post(
        f"/accounts/staff/{officer.pk}/",
        edit_data(officer, roles=[Role.PRIVACY_OFFICER, Role.AUDITOR]),
    )
    grant = RoleGrant.objects.get()

    response = decide(sign_in(officer), grant, "confirm")

    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.decision == RoleGrantDecision.PENDING
    assert user_roles(officer) == [Role.PRIVACY_OFFICER]
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None and last.action == "permission_denied"


def test_the_first_privacy_officer_is_confirmed_by_the_administrator_who_asked(administrator):
    """With no privacy officer yet the administrator confirms the first one, once."""
    admin_client = sign_in(administrator)
    admin_client.post("/accounts/staff/new/", create_data("eka.tietosuoja", [Role.PRIVACY_OFFICER]))
    grant = RoleGrant.objects.get()
    page = admin_client.get(f"/accounts/staff/{grant.user_id}/")
    assert b"No privacy officer yet: confirm this grant yourself." in page.content
    other_admin = sign_in(make_staff(Role.ADMINISTRATOR), Client())
    assert decide(other_admin, grant, "confirm").status_code == 403
    first_sign_in("eka.tietosuoja")

    response = decide(admin_client, grant, "confirm")

    assert response.status_code == 302
    assert user_roles(grant.user) == [Role.PRIVACY_OFFICER]
    # Now there is one: the next grant waits for them.
    admin_client.post(
        "/accounts/staff/new/", create_data("toka.tietosuoja", [Role.PRIVACY_OFFICER])
    )
    second = RoleGrant.objects.get(decision=RoleGrantDecision.PENDING)
    first_sign_in("toka.tietosuoja")
    assert decide(admin_client, second, "confirm").status_code == 403
    assert user_roles(second.user) == []


@pytest.mark.parametrize("target_role", [Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_an_administrator_cannot_set_a_privacy_officers_password_or_reset_their_two_factor(
    administrator, target_role
):
    target = make_staff(target_role)
    Authenticator.objects.create(
        user=target, name="authenticator", confirmed=True, key_encrypted="x"
    )
    admin_client = sign_in(administrator)
    password_before = User.objects.get(pk=target.pk).password

    edit = admin_client.post(
        f"/accounts/staff/{target.pk}/",
        edit_data(target, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD),
    )
    reset = admin_client.post(f"/accounts/staff/{target.pk}/two-factor-reset/")

    assert edit.status_code == 200
    assert edit.context["form"].errors["password"] == [CREDENTIALS_REFUSED]
    assert reset.status_code == 403
    target.refresh_from_db()
    assert target.password == password_before
    assert target.must_change_password is False
    assert Authenticator.objects.filter(user=target).count() == 1
    assert audit_trail("action", "actor_user_id", "object_type", "object_id") == [
        ("permission_denied", administrator.pk, "accounts.user", str(target.pk)),
        (
            "permission_denied",
            administrator.pk,
            "url",
            f"/accounts/staff/{target.pk}/two-factor-reset/",
        ),
    ]


def test_another_privacy_officer_sets_their_password_and_is_told(
    officer, django_capture_on_commit_callbacks
):
    auditor = make_staff(Role.AUDITOR, username="tilintarkastaja")
    officer_client = sign_in(officer)
    assert officer_client.get(f"/accounts/staff/{auditor.pk}/credentials/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            f"/accounts/staff/{auditor.pk}/credentials/",
            {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
        )

    assert response.status_code == 302
    auditor.refresh_from_db()
    assert auditor.check_password(NEW_PASSWORD)
    assert auditor.must_change_password is True
    assert audit_trail("action", "actor_user_id", "object_id", "changed_fields") == [
        ("update", officer.pk, str(auditor.pk), ["password"])
    ]
    run_queued_tasks()
    assert [message.to for message in mail.outbox] == [["olli.tietosuoja@example.fi"]]
    assert "tilintarkastaja" in mail.outbox[0].body
    events = officer_client.get("/").context["page"].staff_security.events
    assert [(event.actor, event.username) for event in events] == [
        ("olli.tietosuoja", "tilintarkastaja")
    ]
    # A privacy officer does not set the password of other staff, nor their own here.
    other = make_staff(Role.CUSTOMER_SERVICE)
    assert officer_client.get(f"/accounts/staff/{other.pk}/credentials/").status_code == 403
    assert officer_client.get(f"/accounts/staff/{officer.pk}/credentials/").status_code == 403


def test_a_deactivated_privacy_officer_hears_of_it(
    administrator, officer, django_capture_on_commit_callbacks
):
    """Deactivating every privacy officer (after which the administrator could confirm a
    "first" one) does not go unseen: each of them is emailed."""
    admin_client = sign_in(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/accounts/staff/{officer.pk}/", edit_data(officer, is_active="")
        )

    assert response.status_code == 302
    assert fresh(officer).is_active is False
    assert audit_trail("action", "object_id", "changed_fields", "reason") == [
        ("update", str(officer.pk), ["is_active"], "deactivated")
    ]
    run_queued_tasks()
    assert [message.to for message in mail.outbox] == [["olli.tietosuoja@example.fi"]]
    # In Finnish, as every notice: only the names are checked here.
    assert "aino.admin: " in mail.outbox[0].body
    assert "olli.tietosuoja" in mail.outbox[0].subject
