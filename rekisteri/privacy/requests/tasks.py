"""Background work of subject requests, run by `rekisteri worker`."""

from django_tasks import task


@task()
def send_request_verification(request_id: int, attempt: int) -> None:
    # Imported here: the request services enqueue this task.
    from rekisteri.privacy.requests.services import subject_request_verification_send

    subject_request_verification_send(request_id=request_id, attempt=attempt)
