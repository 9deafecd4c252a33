"""django-axes tells of a lockout only through its signal; the audit trail wants it."""

from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest


@receiver(user_locked_out, dispatch_uid="rekisteri.accounts.lockout")
def record_lockout(request: HttpRequest, username: str, **kwargs: Any) -> None:
    from rekisteri.accounts.services import staff_locked_out

    staff_locked_out(request=request, username=username or "")
