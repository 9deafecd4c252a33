"""`rekisteri createadmin`: the first administrator, made from the console."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from rekisteri.accounts import services
from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor

PASSWORD_VARIABLE = "REKISTERI_ADMIN_PASSWORD"  # noqa: S105 - a variable name
FIELD_OPTIONS = {
    "username": "--username",
    "email": "--email",
    "first_name": "--first-name",
    "last_name": "--last-name",
    "password": PASSWORD_VARIABLE,
}


class Command(BaseCommand):
    help = (
        f"Creates a staff account with the administrator role. The password is read from "
        f"{PASSWORD_VARIABLE} or asked twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=f"Never prompt; the password must then be in {PASSWORD_VARIABLE}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(PASSWORD_VARIABLE, "") or self._ask_password(
            interactive=options["interactive"]
        )
        try:
            user = services.staff_create(
                actor=Actor.system("createadmin"),
                username=options["username"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                password=password,
                roles=[Role.ADMINISTRATOR],
                # The administrator typed the password: nobody else knows it.
                must_change_password=False,
            )
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Administrator %(username)s created.") % {"username": user.username}
            )
        )

    def _ask_password(self, *, interactive: bool) -> str:
        if not interactive:
            raise CommandError(
                _("With --no-input the password must be given in %(variable)s.")
                % {"variable": PASSWORD_VARIABLE}
            )
        password = getpass.getpass(_("Password: "))
        if password != getpass.getpass(_("Password again: ")):
            raise CommandError(_("The two passwords do not match."))
        return password


def _describe(error: ValidationError) -> str:
    return "\n".join(
        f"{FIELD_OPTIONS.get(field, field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    )
