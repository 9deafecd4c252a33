"""Background work of customer imports, run by `rekisteri worker`."""

from django_tasks import task

from rekisteri.imports import running


@task()
def run_customer_import(import_id: int, dry_run: bool) -> None:
    running.customer_import_run(import_id=import_id, dry_run=dry_run)


@task()
def expire_customer_import(import_id: int) -> None:
    running.customer_import_expire(import_id=import_id)
