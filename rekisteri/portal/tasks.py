"""Background work of the privacy portal, run by `rekisteri worker`."""

from django_tasks import task


@task()
def send_consent_link(customer_id: int | None, attempt: int) -> None:
    # Imported here: the portal services enqueue this task.
    from rekisteri.portal.services import consent_link_send

    consent_link_send(customer_id=customer_id, attempt=attempt)
