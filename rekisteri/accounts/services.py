"""Staff accounts: roles, sign-in and sign-out, the confidentiality pledge and the
administrator's changes to accounts. Each change is audited in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from rekisteri.accounts import twofactor
from rekisteri.accounts.models import (
    Authenticator,
    PledgeAcceptance,
    RecoveryCodes,
    RoleGrant,
    RoleGrantDecision,
    User,
)
from rekisteri.accounts.pledge import PLEDGE_VERSION, pledge_digest
from rekisteri.accounts.roles import CONFIRMED_ROLES, ROLE_PERMISSIONS, Role
from rekisteri.accounts.session_keys import SESSION_LOGIN_AT, TWO_FACTOR_CHECKED_AT
from rekisteri.accounts.staff_sessions import (
    mark_authenticated,
    session_ended,
    session_rekeyed,
    session_started,
)
from rekisteri.accounts.tasks import send_staff_security_notice
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.refusals import refusal_record
from rekisteri.audit.services import Actor, audit_record, audited_transaction

MANAGE_STAFF = "accounts.manage_staff"
DECIDE_GRANTS = "accounts.decide_rolegrant"


def roles_sync(*, using: str = "default") -> None:
    """Makes each role's group hold exactly the permissions roles.py gives it."""
    from django.apps import apps

    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            try:
                model_class = next(
                    m
                    for m in apps.get_app_config(app_label).get_models()
                    if any(
                        codename == f"{action}_{m._meta.model_name}"
                        for action in m._meta.default_permissions
                    )
                    or codename in dict(m._meta.permissions)
                )
            except (LookupError, StopIteration):
                continue  # the app is not migrated yet; a later post_migrate gets it
            content_type = ContentType.objects.db_manager(using).get_for_model(model_class)
            permission, _created = Permission.objects.using(using).get_or_create(
                content_type=content_type,
                codename=codename,
                defaults={"name": _permission_name(model_class, codename)},
            )
            permissions.append(permission)
        group.permissions.set(permissions)


def _permission_name(model_class: type[models.Model], codename: str) -> str:
    custom = dict(model_class._meta.permissions)
    if codename in custom:
        return str(custom[codename])
    action = codename.split("_", 1)[0]
    return f"Can {action} {model_class._meta.verbose_name_raw}"


def user_roles(user: User) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in Role.values if role in names]


def pending_roles(user: User) -> list[str]:
    """The roles requested for `user` that await a privacy officer's confirmation."""
    pending = RoleGrant.objects.filter(user=user, decision=RoleGrantDecision.PENDING)
    names = set(pending.values_list("role", flat=True))
    return [role for role in Role.values if role in names]


def holds_confirmed_role(user: User) -> bool:
    """`user` has, or awaits, a role that opens identity codes or the audit trail."""
    return bool(
        user.groups.filter(name__in=CONFIRMED_ROLES).exists()
        or RoleGrant.objects.filter(
            user=user, role__in=CONFIRMED_ROLES, decision=RoleGrantDecision.PENDING
        ).exists()
    )


def may_set_credentials(*, actor: Actor, user: User) -> bool:
    """Whether `actor` may set `user`'s password or reset their two-factor sign-in.

    Only a privacy officer may do it for a privacy officer or an auditor (or one
    awaiting the role): whoever sets someone's password can sign in as them, and a
    privacy officer gains nothing by it that they do not have already, while an
    administrator would gain identity codes and the audit trail."""
    if actor.user is None or actor.user.pk == user.pk:
        return True  # the system (a console command), or the person themselves
    if holds_confirmed_role(user):
        return actor.user.has_perm(DECIDE_GRANTS)
    return actor.user.has_perm(MANAGE_STAFF)


def _ordered(roles: Iterable[str]) -> list[str]:
    roles = set(roles)
    return [role for role in Role.values if role in roles]


def credentials_change_check(*, actor: Actor, user: User) -> None:
    """Refuses, audited, a password or two-factor reset `may_set_credentials` forbids."""
    if not may_set_credentials(actor=actor, user=user):
        _refuse(
            actor=actor,
            user=user,
            reason="credentials of a privacy officer or auditor",
            errors={"password": [CREDENTIALS_REFUSED]},
        )


def _checked_roles(roles: Iterable[str]) -> set[str]:
    roles = set(roles)
    if roles - set(Role.values):
        raise ValidationError({"roles": [_("Choose roles from the list.")]})
    return roles


def _roles_reason(*, granted: Iterable[str], removed: Iterable[str] = ()) -> str:
    parts = []
    if granted := _ordered(granted):
        parts.append("granted " + ", ".join(granted))
    if removed := _ordered(removed):
        parts.append("removed " + ", ".join(removed))
    return "; ".join(parts)


def _refuse(*, actor: Actor, user: User, reason: str, errors: dict[str, list[Promise]]) -> NoReturn:
    """Records the refusal like any refused act, then says why on the form."""
    with audited_transaction():
        audit_record(actor=actor, action=Action.PERMISSION_DENIED, obj=user, reason=reason)
    raise ValidationError(errors)


def notify_privacy_officers(event: AuditEvent) -> None:
    """Emails the privacy officers of a change to a staff account's roles, password or
    two-factor sign-in, once the transaction has committed (the task queue sends it)."""
    event_id = event.pk
    transaction.on_commit(lambda: send_staff_security_notice.enqueue(event_id))


def _role_grant_request(*, actor: Actor, user: User, role: str) -> None:
    """Records a request for a role that takes a privacy officer's confirmation."""
    _grant, created = RoleGrant.objects.get_or_create(
        user=user,
        role=role,
        decision=RoleGrantDecision.PENDING,
        defaults={"requested_by": actor.user, "requested_at": timezone.now()},
    )
    if created:
        event = audit_record(
            actor=actor, action=Action.ROLE_GRANT_REQUEST, obj=user, reason=f"requested {role}"
        )
        notify_privacy_officers(event)


def _roles_apply(*, actor: Actor, user: User, requested: set[str]) -> str:
    """Makes `user`'s roles what the administrator asked: roles taken away and roles
    that need no confirmation at once, the others as requests; a request no longer
    asked for is withdrawn. Returns the audit reason of the roles changed at once."""
    effective = set(user_roles(user))
    pending = set(pending_roles(user))
    added = requested - effective - pending
    removed = effective - requested
    for role in _ordered(added & CONFIRMED_ROLES):
        _role_grant_request(actor=actor, user=user, role=role)
    for role in _ordered(pending - requested):
        RoleGrant.objects.filter(user=user, role=role, decision=RoleGrantDecision.PENDING).update(
            decision=RoleGrantDecision.WITHDRAWN, decided_by=actor.user, decided_at=timezone.now()
        )
        audit_record(
            actor=actor, action=Action.ROLE_GRANT_WITHDRAW, obj=user, reason=f"withdrawn {role}"
        )
    granted = added - CONFIRMED_ROLES
    if granted:
        user.groups.add(*Group.objects.filter(name__in=granted))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    return _roles_reason(granted=granted, removed=removed)


def staff_create(
    *,
    actor: Actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    roles: Iterable[str],
    must_change_password: bool = True,
) -> User:
    """Creates a personal staff account (P14) with the given roles (P13): the
    privacy officer's and auditor's roles as requests a privacy officer confirms.
    The person changes the password at the first sign-in, unless they chose it
    themselves (`must_change_password=False`, as `rekisteri createadmin`)."""
    username = username.strip()
    requested = _checked_roles(roles)
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        is_active=True,
        must_change_password=must_change_password,
    )
    errors: dict[str, list[str | Promise]] = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("A staff member with this username already exists.")]
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        user.set_password(password)
        user.save()
        event = audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=user,
            changed_fields=["username", "first_name", "last_name", "email", "roles"],
            reason=_roles_reason(granted=requested - CONFIRMED_ROLES),
        )
        _roles_apply(actor=actor, user=user, requested=requested)
        notify_privacy_officers(event)
    return user


def staff_update(
    *,
    actor: Actor,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    roles: Iterable[str],
    is_active: bool,
    password: str = "",
) -> User:
    """Changes a staff member's details, roles or whether the account is in use, and
    sets a new password when `password` is given; all of it or nothing.

    A deactivated account's sessions end at once: authentication refuses inactive
    users on every request. Administrators cannot deactivate their own account or
    take away their own administrator role, so one always remains able to fix things.
    Nobody adds roles to themselves; the privacy officer's and auditor's roles are
    requests a privacy officer confirms (`role_grant_decide`). A password set by
    someone else is changed at the next sign-in."""
    requested = _checked_roles(roles)
    is_self = actor.user is not None and actor.user.pk == user.pk
    if is_self:
        if not is_active:
            raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
        if Role.ADMINISTRATOR in user_roles(user) and Role.ADMINISTRATOR not in requested:
            raise ValidationError(
                {"roles": [_("You cannot remove the administrator role from yourself.")]}
            )
        added = requested - set(user_roles(user)) - set(pending_roles(user))
        if added:
            _refuse(
                actor=actor,
                user=user,
                reason="own roles: " + ", ".join(_ordered(added)),
                errors={"roles": [_("You cannot give roles to yourself.")]},
            )
    if password:
        credentials_change_check(actor=actor, user=user)
    with audited_transaction():
        current = User.objects.select_for_update().get(pk=user.pk)
        values = {
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "email": email.strip().lower(),
            "is_active": is_active,
        }
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, values[name])
        errors: dict[str, list[str | Promise]] = {}
        try:
            current.full_clean(exclude=["password"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[field] = list(messages)
        if password:
            try:
                validate_password(password, current)
            except ValidationError as error:
                errors["password"] = list(error.messages)
            current.set_password(password)
            current.must_change_password = not is_self
            changed.append("password")
        if errors:
            raise ValidationError(errors)
        current.save()
        reason = _roles_apply(actor=actor, user=current, requested=requested)
        if reason:
            changed.append("roles")
        if "is_active" in changed:
            # Told too: deactivating every privacy officer would otherwise go unseen.
            activity = "reactivated" if is_active else "deactivated"
            reason = f"{reason}; {activity}" if reason else activity
        if changed:
            event = audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=current,
                changed_fields=changed,
                reason=reason,
            )
            if reason or (password and not is_self):
                notify_privacy_officers(event)
    return current


CREDENTIALS_REFUSED = _(
    "A privacy officer sets the password and resets the two-factor sign-in of a "
    "privacy officer or an auditor."
)


def role_grant_decide(*, actor: Actor, grant: RoleGrant, confirm: bool) -> RoleGrant:
    """A privacy officer confirms (the role takes effect) or refuses a requested role.

    Neither the staff member nor the one who asked may decide. Only while an install
    has no active privacy officer may the administrator who asked for the first one
    confirm it. The staff member must have signed in and chosen their own password
    first, so that the role goes to the person, not to whoever knew the first one."""
    decider = actor.user
    assert decider is not None
    with audited_transaction():
        grant = RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
        if grant.decision != RoleGrantDecision.PENDING:
            raise ValidationError(_("This request has already been decided."))
        if not may_decide(user=decider, grant=grant):
            raise PermissionDenied(DECIDE_GRANTS)  # audited by the 403 handler
        if confirm and not has_chosen_own_password(grant.user):
            raise ValidationError(
                _(
                    "%(username)s has not yet signed in and chosen their own password. "
                    "Confirm the role after that."
                )
                % {"username": grant.user.username}
            )
        grant.decision = RoleGrantDecision.CONFIRMED if confirm else RoleGrantDecision.REFUSED
        grant.decided_by = decider
        grant.decided_at = timezone.now()
        grant.full_clean()
        grant.save()
        if confirm:
            grant.user.groups.add(Group.objects.get(name=grant.role))
        event = audit_record(
            actor=actor,
            action=Action.ROLE_GRANT_CONFIRM if confirm else Action.ROLE_GRANT_REFUSE,
            obj=grant.user,
            reason=f"{'granted' if confirm else 'refused'} {grant.role}",
        )
        notify_privacy_officers(event)
    return grant


def has_chosen_own_password(user: User) -> bool:
    return user.last_login is not None and not user.must_change_password


def first_privacy_officer_pending() -> bool:
    """No active privacy officer yet: the install's first one is confirmed by the
    administrator who asked for it."""
    return not User.objects.filter(is_active=True, groups__name=Role.PRIVACY_OFFICER).exists()


def may_decide(*, user: User, grant: RoleGrant) -> bool:
    if user.pk in (grant.user_id, None) or not user.is_active:
        return False
    if user.has_perm(DECIDE_GRANTS):
        return user.pk != grant.requested_by_id
    return (
        grant.role == Role.PRIVACY_OFFICER
        and user.pk == grant.requested_by_id
        and user.has_perm(MANAGE_STAFF)
        and first_privacy_officer_pending()
    )


def _password_change(*, actor: Actor, user: User, password: str, field: str) -> AuditEvent:
    """Checks the password like every password (length, common, own details), then
    stores it, audited; a refusal names `field`."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: list(error.messages)}) from None
    with audited_transaction():
        user.set_password(password)
        user.save(update_fields=["password"])
        return audit_record(
            actor=actor, action=Action.UPDATE, obj=user, changed_fields=["password"]
        )


def staff_set_password(*, actor: Actor, user: User, password: str) -> None:
    """Someone else sets a staff member's new password (an administrator, or for a
    privacy officer or an auditor another privacy officer: `may_set_credentials`); the
    staff member changes it at the next sign-in, and the privacy officers are told."""
    credentials_change_check(actor=actor, user=user)
    with audited_transaction():
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
        event = _password_change(actor=actor, user=user, password=password, field="password")
        notify_privacy_officers(event)


def two_factor_reset(*, actor: Actor, user: User) -> None:
    """An administrator removes a staff member's authenticator and recovery codes (a
    lost phone). Where two-factor sign-in is required, the next sign-in sets it up anew.
    For a privacy officer or an auditor only another privacy officer may
    (`may_set_credentials`); the privacy officers are told of every reset."""
    credentials_change_check(actor=actor, user=user)
    with audited_transaction():
        Authenticator.objects.filter(user=user).delete()
        RecoveryCodes.objects.filter(user=user).delete()
        event = audit_record(actor=actor, action=Action.TWO_FACTOR_RESET, obj=user)
        notify_privacy_officers(event)


def staff_password_change(*, request: HttpRequest, old_password: str, new_password: str) -> None:
    """The signed-in staff member changes their own password and stays signed in."""
    actor = Actor.from_request(request)
    user = actor.user
    assert user is not None
    if not user.check_password(old_password):
        raise ValidationError({"old_password": [_("Your current password is incorrect.")]})
    with audited_transaction():
        _password_change(actor=actor, user=user, password=new_password, field="new_password")
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)  # a new session key too
        session_rekeyed(request)


def staff_login(
    *, request: HttpRequest, user: User, device: Device | None = None, reason: str = ""
) -> None:
    """Signs in; `device` is the second factor that confirmed it, if any (django-otp
    keeps it in the session), and `reason` says so when it was a recovery code."""
    with audited_transaction():
        if device is not None:
            user.otp_device = device  # type: ignore[attr-defined]  # read on user_logged_in
        login(request, user)
        session_started(request, user)
        request.session[SESSION_LOGIN_AT] = timezone.now().timestamp()
        mark_authenticated(request)
        if device is None:
            _two_factor_checked(request, user)
        audit_record(
            actor=Actor.from_request(request), action=Action.LOGIN, obj=user, reason=reason
        )


def _two_factor_checked(request: HttpRequest, user: User) -> None:
    """Notes in the session that this staff member needs no second factor (the
    middleware asks again a minute later)."""
    if not twofactor.is_enrolled(user) and not twofactor.is_required(user):
        request.session[TWO_FACTOR_CHECKED_AT] = timezone.now().timestamp()


def staff_reauthenticated(*, request: HttpRequest, method: str) -> None:
    """The signed-in staff member confirmed it is them (`method`: password or code)."""
    actor = Actor.from_request(request)
    with audited_transaction():
        # A new session id: one seen before the confirmation (a shared screen, a log)
        # does not carry the fresh confirmation that exports and erasure ask for.
        request.session.cycle_key()
        session_rekeyed(request)
        mark_authenticated(request)
        audit_record(actor=actor, action=Action.REAUTHENTICATE, obj=actor.user, reason=method)


def _sign_in_refused(*, request: HttpRequest, username: str, action: str, reason: str) -> None:
    """Records a refused sign-in. The attempted name is kept only when it is a real
    account: people sometimes type their password into the username field.

    Before sign-in anyone can send these, so they are counted per address and account
    (rekisteri/audit/refusals.py): the first of a window is an event at once, the rest
    one event with the count. A signed-in staff member who fails to confirm it is them
    is a known person: that is an event of its own."""
    user = User.objects.filter(username=username).first()
    actor = Actor(
        type=ActorType.ANONYMOUS,
        label=user.username if user else "",
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )
    signed_in = getattr(request, "user", None)
    if signed_in is not None and signed_in.is_authenticated:
        audit_record(actor=actor, action=action, obj=user, reason=reason)
    else:
        refusal_record(actor=actor, action=action, obj=user, reason=reason)


def staff_login_failed(*, request: HttpRequest, username: str, reason: str = "") -> None:
    """Records a failed sign-in (see `_sign_in_refused`)."""
    _sign_in_refused(request=request, username=username, action=Action.LOGIN_FAILURE, reason=reason)


def staff_locked_out(*, request: HttpRequest, username: str) -> None:
    """Records that django-axes locked a username out at an address."""
    _sign_in_refused(request=request, username=username, action=Action.LOCKOUT, reason="")


def staff_logout(*, request: HttpRequest, action: str = Action.LOGOUT) -> None:
    """Signs out; `action` says whether the person did or their session ran out."""
    actor = Actor.from_request(request)
    with audited_transaction():
        if actor.user is not None:
            audit_record(actor=actor, action=action, obj=actor.user)
        session_ended(request)
        logout(request)


def pledge_accept(*, request: HttpRequest, language: str) -> PledgeAcceptance:
    """Records that the signed-in staff member accepted the current pledge text."""
    actor = Actor.from_request(request)
    assert actor.user is not None
    with audited_transaction():
        acceptance, created = PledgeAcceptance.objects.get_or_create(
            user=actor.user,
            version=PLEDGE_VERSION,
            defaults={
                "language": language,
                "text_digest": pledge_digest(language),
                "accepted_at": timezone.now(),
                "ip_address": actor.ip_address,
            },
        )
        if created:
            audit_record(
                actor=actor,
                action=Action.PLEDGE_ACCEPT,
                obj=acceptance,
                reason=f"version {PLEDGE_VERSION}",
            )
    return acceptance


def has_accepted_pledge(user: User) -> bool:
    return PledgeAcceptance.objects.filter(user=user, version=PLEDGE_VERSION).exists()
