import importlib

import pytest

from rekisteri.privacy.models import RegisterDescription

SWEDISH_VERSION = importlib.import_module("rekisteri.privacy.migrations.0013_swedish_notice")


@pytest.fixture(autouse=True)
def _version_1_in_force(db):
    """The notice's tests start from version 1 as migration privacy 0005 writes it, in
    Finnish and English. The version with Swedish texts that migration 0014 publishes
    after it is tested with the languages (rekisteri/tests/test_languages.py)."""
    RegisterDescription.objects.filter(
        published_by=None, change_note=SWEDISH_VERSION.CHANGE_NOTE
    ).delete()
