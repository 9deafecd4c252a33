"""A request body is refused by its declared size before anything reads it: nobody can
fill the disk with uploads without signing in, and nobody signed in with more than
the largest file the app takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from rekisteri.audit.models import AuditEvent
from rekisteri.imports import services as imports
from rekisteri.imports.models import CustomerImport
from rekisteri.marketing import restrictions
from rekisteri.testing.customer_files import csv_bytes, person, upload

pytestmark = pytest.mark.django_db

THREE_HUNDRED_MEGABYTES = 300 * 1024 * 1024


class UnreadableInput:
    """A WSGI input that fails the test if anything reads from it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the request body was read")

    readline = read

    def __iter__(self) -> UnreadableInput:
        raise AssertionError("the request body was read")


def post_declaring(client: Client, path: str, length: int):
    environ: dict[str, object] = {
        "CONTENT_LENGTH": str(length),
        "wsgi.input": UnreadableInput(),
    }
    return client.generic(
        "POST",
        path,
        data=b"-",
        content_type="multipart/form-data; boundary=rekisteri",
        **environ,  # type: ignore[arg-type]  # WSGI environ entries, as the test client takes them
    )


@pytest.fixture
def upload_directory(tmp_path: Path):
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        yield tmp_path


def test_an_anonymous_huge_upload_is_refused_unread_with_no_temporary_file(
    client, upload_directory
):
    events = AuditEvent.objects.count()

    response = post_declaring(client, reverse("accounts:login"), THREE_HUNDRED_MEGABYTES)

    assert response.status_code == 413
    assert list(upload_directory.iterdir()) == []
    assert AuditEvent.objects.count() == events


def test_an_anonymous_body_over_the_in_memory_limit_is_refused_unread(client, upload_directory):
    """Three megabytes to the import page: more than a stranger may send anywhere."""
    response = post_declaring(client, reverse("imports:upload"), 3 * 1024 * 1024)

    assert response.status_code == 413
    assert list(upload_directory.iterdir()) == []
    assert CustomerImport.objects.count() == 0


def test_a_signed_in_body_over_the_largest_file_is_refused_unread(
    customer_service_client, upload_directory
):
    response = post_declaring(
        customer_service_client, reverse("imports:upload"), THREE_HUNDRED_MEGABYTES
    )

    assert response.status_code == 413
    assert list(upload_directory.iterdir()) == []
    assert CustomerImport.objects.count() == 0


def test_a_chunked_body_without_a_length_is_refused_unread(client):
    response = client.generic(
        "POST",
        reverse("accounts:login"),
        data=b"-",
        content_type="multipart/form-data; boundary=rekisteri",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableInput()},
    )

    assert response.status_code == 411


def test_a_signed_in_import_larger_than_a_stranger_may_send_still_works(
    customer_service_client,
):
    # One fake person, copied until the file is over the limit: a fixed count of
    # copies fell short of it now and then when Faker drew a short name and address.
    row = person()
    row_bytes = len(csv_bytes([row, row])) - len(csv_bytes([row]))
    raw = csv_bytes([row] * (2_621_440 // row_bytes + 2))
    assert len(raw) > 2_621_440  # DATA_UPLOAD_MAX_MEMORY_SIZE

    response = upload(customer_service_client, raw)

    assert response.status_code == 302
    assert CustomerImport.objects.get().file_size == len(raw)


def test_the_limit_admits_the_largest_files_the_app_takes():
    from django.conf import settings

    largest = max(imports.MAX_FILE_BYTES, restrictions.MAX_FILE_BYTES)
    envelope = settings.MAX_REQUEST_BODY_BYTES - largest
    assert envelope >= 64 * 1024
