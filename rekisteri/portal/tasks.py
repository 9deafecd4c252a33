"""Background work of the privacy portal, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.portal import sending


@task()
def send_consent_link(customer_id: int | None, attempt: int) -> None:
    # The task hands itself over: a failed send queues it again.
    sending.consent_link_send(customer_id=customer_id, attempt=attempt, retry=send_consent_link)
