"""Background work of subject requests, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.privacy.requests import notices, sending


@task()
def send_request_verification(request_id: int, attempt: int) -> None:
    # The task hands itself over: a failed send queues it again.
    sending.subject_request_verification_send(
        request_id=request_id, attempt=attempt, retry=send_request_verification
    )


@task()
def send_request_notice(notice_id: int, attempt: int) -> None:
    # A notice about a request to the person or to a recipient (GDPR arts. 12, 19).
    notices.request_notice_deliver(notice_id=notice_id, attempt=attempt, retry=send_request_notice)
