"""A post group's address list or labels as a staff member gets them now: asked for,
prepared by the worker, downloaded once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.test import Client, TestCase
from django.urls import reverse

from rekisteri.testing.tasks import run_queued_tasks

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def prepared_download(client: Client, url: str) -> _MonkeyPatchedWSGIResponse:
    """Posts to `url` (`marketing:export` or `marketing:labels` of a group), runs the
    worker and downloads the file. A refusal to prepare it is returned as it is."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(url)
    if asked.status_code != 302:
        return asked
    run_queued_tasks()
    public_id = asked["Location"].rstrip("/").split("/")[-1]
    return client.post(reverse("marketing:address_list_download", args=[public_id]))
