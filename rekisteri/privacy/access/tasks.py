"""Background work of copies prepared for hand-over, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.privacy.access import copy_running


@task()
def prepare_access_copy(copy_id: int) -> None:
    ready = copy_running.access_copy_run(copy_id=copy_id)
    if ready is not None:
        expire_access_copy.using(run_after=ready.file_expires_at).enqueue(ready.pk)


@task()
def expire_access_copy(copy_id: int) -> None:
    copy_running.access_copy_expire(copy_id=copy_id)
