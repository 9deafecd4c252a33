import contextlib

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from rekisteri.audit.models import AuditEvent

register = template.Library()


def _extra_labels() -> dict[str, str]:
    """Labels of changed 'fields' that are not model fields of their own."""
    return {
        "identity_code": _("personal identity code"),
        "roles": _("roles"),
        "password": _("password"),
        "lines": _("lines"),
        "delivery_address": _("delivery address"),
    }


@register.filter
def changed_field_labels(event: AuditEvent) -> str:
    """The changed fields of an event as people read them, in the current language."""
    extra = _extra_labels()
    try:
        model = apps.get_model(event.object_type) if event.object_type else None
    except (LookupError, ValueError):
        model = None
    labels = []
    for name in event.changed_fields:
        label = extra.get(name, name)
        if name not in extra and model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                field = model._meta.get_field(name)
                label = str(getattr(field, "verbose_name", name))
        labels.append(label)
    return ", ".join(labels)
