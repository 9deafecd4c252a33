"""Background work of the breach register, run by `rekisteri worker`."""

from django_tasks import task


@task()
def send_breach_notices(breach_id: int) -> None:
    # Imported here: the breach services enqueue this task.
    from rekisteri.privacy.breaches.services import breach_notices_deliver

    breach_notices_deliver(breach_id=breach_id)
