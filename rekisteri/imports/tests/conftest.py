"""Fixtures for the import tests: the queued tasks of a block, and the clients of the
roles that import or upload lists."""

from __future__ import annotations

import pytest

from rekisteri.accounts.roles import Role


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks (the tasks queued) of a block."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def clerk(customer_service_client):
    return customer_service_client


@pytest.fixture
def marketing_client(client_as):
    return client_as(Role.MARKETING)
