"""A task queued before the privacy app moved into rooms still runs after the upgrade:
migration 0007 points it at the task's new import path."""

import importlib

import pytest
from django.apps import apps
from django_tasks_db.models import DBTaskResult

from rekisteri.privacy.breaches.tasks import send_breach_notices
from rekisteri.privacy.requests.tasks import send_request_verification

migration = importlib.import_module("rekisteri.privacy.migrations.0007_task_paths_moved")

pytestmark = pytest.mark.django_db


def test_tasks_queued_under_their_old_paths_run_under_the_new_ones():
    verification = send_request_verification.enqueue(1, 1)
    notices = send_breach_notices.enqueue(1)
    DBTaskResult.objects.filter(id=verification.id).update(
        task_path="rekisteri.privacy.request_tasks.send_request_verification"
    )
    DBTaskResult.objects.filter(id=notices.id).update(
        task_path="rekisteri.privacy.breach_tasks.send_breach_notices"
    )

    migration.forwards(apps, None)

    assert DBTaskResult.objects.get(id=verification.id).task == send_request_verification
    assert DBTaskResult.objects.get(id=notices.id).task == send_breach_notices


def test_the_new_paths_are_where_the_tasks_are():
    assert set(migration.MOVED.values()) == {
        send_request_verification.module_path,
        send_breach_notices.module_path,
    }
