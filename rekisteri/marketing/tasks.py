"""Background work of the marketing app, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.marketing import sending


@task()
def send_campaign(campaign_id: int) -> None:
    sending.campaign_run(campaign_id=campaign_id)
