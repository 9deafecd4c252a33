"""The privacy app's modules moved into packages (requests/, breaches/, ...), so two
background tasks have a new import path. A task queued before the upgrade and not yet
run is stored under its old path; without this the worker could not import it and the
mail it sends would be lost."""

from django.db import migrations

MOVED = {
    "rekisteri.privacy.request_tasks.send_request_verification": (
        "rekisteri.privacy.requests.tasks.send_request_verification"
    ),
    "rekisteri.privacy.breach_tasks.send_breach_notices": (
        "rekisteri.privacy.breaches.tasks.send_breach_notices"
    ),
}


def forwards(apps, schema_editor):
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        task_result.objects.filter(task_path=old).update(task_path=new)


def backwards(apps, schema_editor):
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        task_result.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0006_access_delivery_downloads_allowed"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
