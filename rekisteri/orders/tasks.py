"""Background work of orders, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.orders import confirmations


@task()
def send_order_confirmation(confirmation_id: int, attempt: int) -> None:
    # The task hands itself over: a failed send queues it again.
    confirmations.order_confirmation_send(
        confirmation_id=confirmation_id, attempt=attempt, retry=send_order_confirmation
    )
