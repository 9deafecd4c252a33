from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(**kwargs: Any) -> None:
    from rekisteri.accounts.services import roles_sync

    roles_sync(using=kwargs.get("using", "default"))


class AccountsConfig(AppConfig):
    name = "rekisteri.accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        # Roles are groups whose permissions live in code (roles.py); like Django's
        # own permissions they are brought up to date after every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="rekisteri.accounts.roles")
        from rekisteri.accounts import receivers  # noqa: F401
