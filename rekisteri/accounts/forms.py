"""Forms of the staff-accounts pages. They only check the shape of the input;
services check the rest (password rules, unique usernames) and say which field failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.roles import Role
from rekisteri.forms import ServiceErrorsForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PASSWORD_HELP = _(
    "At least 12 characters. Not a common password and not similar to the "
    "name, username or email address."
)


def _password_field(
    label: StrOrPromise, *, required: bool = True, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class PasswordConfirmationForm(ServiceErrorsForm):
    """A new password typed twice; the second copy must match the first."""

    new_field = "password"
    confirmation_field = "password_confirmation"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get(self.new_field)
        confirmation = cleaned.get(self.confirmation_field)
        if (password or confirmation) and password != confirmation:
            self.add_error(self.confirmation_field, _("The two passwords do not match."))
        return cleaned


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_field(label: StrOrPromise, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        required=required,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class SecondFactorForm(forms.Form):
    code = _code_field(_("Authenticator code or recovery code"))
    code.help_text = _(
        "The six digits your authenticator app shows now, or one of your recovery codes."
    )


class EnrollmentForm(forms.Form):
    code = _code_field(_("Code from the app"))
    code.help_text = _("The six digits the app shows after you have added the account.")


class ReauthenticationForm(forms.Form):
    """The password, or (for those with an authenticator) a code instead."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = _code_field(_("or an authenticator code"), required=False)

    def __init__(self, *args: Any, with_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("password") and not cleaned.get("code"):
            message = (
                _("Type your password or an authenticator code.")
                if "code" in self.fields
                else _("Type your password.")
            )
            raise forms.ValidationError(message)
        return cleaned


class PledgeForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the pledge above and I commit to it."),
        required=True,
        error_messages={"required": _("Tick the box to accept the pledge.")},
    )


class StaffCreateForm(PasswordConfirmationForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    password = _password_field(_("Password"), help_text=PASSWORD_HELP)
    password_confirmation = _password_field(_("Password again"))
    roles = _roles_field()


class StaffEditForm(PasswordConfirmationForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    roles = _roles_field()
    is_active = forms.BooleanField(
        label=_("Account in use"),
        required=False,
        help_text=_("Clear this to deactivate the account. Its sessions end at once."),
    )
    password = _password_field(
        _("New password"),
        required=False,
        help_text=format_lazy(
            "{} {}", _("Leave empty to keep the current password."), PASSWORD_HELP
        ),
    )
    password_confirmation = _password_field(_("New password again"), required=False)


class PasswordChangeForm(PasswordConfirmationForm):
    new_field = "new_password"
    confirmation_field = "new_password_confirmation"

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = _password_field(_("New password"), help_text=PASSWORD_HELP)
    new_password_confirmation = _password_field(_("New password again"))


class PasswordSetForm(PasswordConfirmationForm):
    password = _password_field(_("New password"), help_text=PASSWORD_HELP)
    password_confirmation = _password_field(_("New password again"))
