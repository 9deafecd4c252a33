"""Background work of the marketing app, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.marketing import address_list_running, sending


@task()
def send_campaign(campaign_id: int) -> None:
    sending.campaign_run(campaign_id=campaign_id)


@task()
def prepare_address_list(list_id: int) -> None:
    ready = address_list_running.address_list_run(list_id=list_id)
    if ready is not None:
        expire_address_list.using(run_after=ready.file_expires_at).enqueue(ready.pk)


@task()
def expire_address_list(list_id: int) -> None:
    address_list_running.address_list_expire(list_id=list_id)
