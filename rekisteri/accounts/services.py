"""Staff accounts: roles, sign-in and sign-out, the confidentiality pledge and the
administrator's changes to accounts. Each change is audited in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from rekisteri.accounts.models import PledgeAcceptance, User
from rekisteri.accounts.pledge import PLEDGE_VERSION, pledge_digest
from rekisteri.accounts.roles import ROLE_PERMISSIONS, Role
from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction

SESSION_LOGIN_AT = "rekisteri_login_at"


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


def _set_roles(user: User, roles: Iterable[str]) -> None:
    roles = list(roles)
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ValidationError({"roles": [_("Choose roles from the list.")]})
    user.groups.set(Group.objects.filter(name__in=roles))


def staff_create(
    *,
    actor: Actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    roles: Iterable[str],
) -> User:
    """Creates a personal staff account (P14) with the given roles (P13)."""
    username = username.strip()
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        is_active=True,
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
        _set_roles(user, roles)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=user,
            changed_fields=["username", "first_name", "last_name", "email", "roles"],
        )
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
    take away their own administrator role, so one always remains able to fix things."""
    roles = sorted(set(roles))
    if actor.user is not None and actor.user.pk == user.pk:
        if not is_active:
            raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
        if Role.ADMINISTRATOR in user_roles(user) and Role.ADMINISTRATOR not in roles:
            raise ValidationError(
                {"roles": [_("You cannot remove the administrator role from yourself.")]}
            )
    with audited_transaction():
        current = User.objects.select_for_update().get(pk=user.pk)
        before_roles = sorted(user_roles(current))
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
            changed.append("password")
        if errors:
            raise ValidationError(errors)
        current.save()
        if roles != before_roles:
            _set_roles(current, roles)
            changed.append("roles")
        if changed:
            audit_record(actor=actor, action=Action.UPDATE, obj=current, changed_fields=changed)
    return current


def _password_change(*, actor: Actor, user: User, password: str, field: str) -> None:
    """Checks the password like every password (length, common, own details), then
    stores it, audited; a refusal names `field`."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: list(error.messages)}) from None
    with audited_transaction():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action=Action.UPDATE, obj=user, changed_fields=["password"])


def staff_set_password(*, actor: Actor, user: User, password: str) -> None:
    """An administrator sets a staff member's new password."""
    _password_change(actor=actor, user=user, password=password, field="password")


def staff_password_change(*, request: HttpRequest, old_password: str, new_password: str) -> None:
    """The signed-in staff member changes their own password and stays signed in."""
    actor = Actor.from_request(request)
    user = actor.user
    assert user is not None
    if not user.check_password(old_password):
        raise ValidationError({"old_password": [_("Your current password is incorrect.")]})
    with audited_transaction():
        _password_change(actor=actor, user=user, password=new_password, field="new_password")
        update_session_auth_hash(request, user)


def staff_login(
    *, request: HttpRequest, user: User, device: Device | None = None, reason: str = ""
) -> None:
    """Signs in; `device` is the second factor that confirmed it, if any (django-otp
    keeps it in the session), and `reason` says so when it was a recovery code."""
    from rekisteri.accounts.reauth import mark_authenticated

    with audited_transaction():
        if device is not None:
            user.otp_device = device  # type: ignore[attr-defined]  # read on user_logged_in
        login(request, user)
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
    from rekisteri.accounts import twofactor
    from rekisteri.accounts.middleware import TWO_FACTOR_CHECKED_AT

    if not twofactor.is_enrolled(user) and not twofactor.is_required(user):
        request.session[TWO_FACTOR_CHECKED_AT] = timezone.now().timestamp()


def staff_reauthenticated(*, request: HttpRequest, method: str) -> None:
    """The signed-in staff member confirmed it is them (`method`: password or code)."""
    from rekisteri.accounts.reauth import mark_authenticated

    actor = Actor.from_request(request)
    with audited_transaction():
        mark_authenticated(request)
        audit_record(actor=actor, action=Action.REAUTHENTICATE, obj=actor.user, reason=method)


def staff_login_failed(*, request: HttpRequest, username: str, reason: str = "") -> None:
    """Records a failed sign-in. The attempted name is kept only when it is a real
    account: people sometimes type their password into the username field."""
    user = User.objects.filter(username=username).first()
    actor = Actor(
        type=ActorType.ANONYMOUS,
        label=user.username if user else "",
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )
    audit_record(actor=actor, action=Action.LOGIN_FAILURE, obj=user, reason=reason)


def staff_locked_out(*, request: HttpRequest, username: str) -> None:
    user = User.objects.filter(username=username).first()
    actor = Actor(
        type=ActorType.ANONYMOUS,
        label=user.username if user else "",
        ip_address=request.META.get("REMOTE_ADDR") or None,
        request_id=getattr(request, "request_id", ""),
    )
    audit_record(actor=actor, action=Action.LOCKOUT, obj=user)


def staff_logout(*, request: HttpRequest, action: str = Action.LOGOUT) -> None:
    """Signs out; `action` says whether the person did or their session ran out."""
    actor = Actor.from_request(request)
    with audited_transaction():
        if actor.user is not None:
            audit_record(actor=actor, action=action, obj=actor.user)
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
