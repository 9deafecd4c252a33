"""Background work of the staff accounts, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.accounts.notices import staff_security_notice_send


@task()
def send_staff_security_notice(event_id: int) -> None:
    staff_security_notice_send(event_id=event_id)
