"""Background work of the breach register, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.privacy.breaches import sending


@task()
def send_breach_notices(breach_id: int) -> None:
    sending.breach_notices_deliver(breach_id=breach_id)
