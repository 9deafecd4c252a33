"""Background work of the staff accounts, run by `rekisteri worker`."""

from django_tasks import task


@task()
def send_staff_security_notice(event_id: int) -> None:
    # Imported here: the services enqueue this task.
    from rekisteri.accounts.notices import staff_security_notice_send

    staff_security_notice_send(event_id=event_id)
