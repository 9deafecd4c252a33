"""The form base every app's forms share.

Validation lives in the services (so the API, the webhooks and the staff pages check
alike); a form only shapes the page and carries a service's errors to its fields."""

from django import forms
from django.core.exceptions import ValidationError


class ServiceErrorsForm(forms.Form):
    def add_service_errors(self, error: ValidationError) -> None:
        """Puts a service's ValidationError onto the fields it names (else the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
