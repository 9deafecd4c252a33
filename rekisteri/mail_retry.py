"""Sending an email from a background task, and trying again later when it fails.

The portal's emails (a request's verification link, the consent page's link) are sent
by the worker, never inside the web request: a mail server that is down must neither
show in the answer nor lose the email. A send that fails is recorded in the audit
trail (the exception's class name and the attempt, nothing personal: an SMTP answer may
quote the address) and its task is queued again after 5, 10, 20 and 40 minutes,
MAIL_ATTEMPTS in all. The task's last argument is the attempt, counted from 1."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from rekisteri.audit.services import audited_transaction

if TYPE_CHECKING:
    from django_tasks.base import Task

MAIL_ATTEMPTS = 5
MAIL_RETRY_FIRST_DELAY = datetime.timedelta(minutes=5)


def mail_retry_delay(attempt: int) -> datetime.timedelta:
    """5, 10, 20, 40 minutes: a mail server that is down for an hour loses nothing."""
    factor: int = 2 ** (attempt - 1)
    return MAIL_RETRY_FIRST_DELAY * factor


def mail_failure_reason(what: str, error: Exception, attempt: int) -> str:
    outcome = "tried again later" if attempt < MAIL_ATTEMPTS else "given up"
    return (
        f"{what} email failed ({type(error).__name__}), attempt {attempt} of {MAIL_ATTEMPTS}: "
        f"{outcome}"
    )


def mail_send_or_retry(
    send: Callable[[], object],
    *,
    what: str,
    attempt: int,
    record_failure: Callable[[str], object],
    retry: Task[..., Any],
    retry_args: tuple[object, ...],
) -> bool:
    """Calls `send` and returns whether the email left. When it fails, one transaction
    records the failure (`record_failure` writes the audit event, given its reason)
    and, unless this was the last of MAIL_ATTEMPTS, queues the task `retry` again with
    `retry_args` and the next attempt, after mail_retry_delay(attempt): the failure
    and the next try are kept together or not at all."""
    try:
        send()
    except Exception as error:
        with audited_transaction():
            record_failure(mail_failure_reason(what, error, attempt))
            if attempt < MAIL_ATTEMPTS:
                retry.using(run_after=timezone.now() + mail_retry_delay(attempt)).enqueue(
                    *retry_args, attempt + 1
                )
        return False
    return True
