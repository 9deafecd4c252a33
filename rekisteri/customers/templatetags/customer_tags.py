from django import template

from rekisteri import fi

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """A stored phone number as people read it (Finnish numbers nationally)."""
    return fi.format_phone(e164) if e164 else ""
