"""Schemathesis against our own OpenAPI schema: every operation, with requests made
from the schema (valid ones and ones that break it), answers without a server error,
with a status the schema documents and a body that fits the schema of that status.

The schema is the document /api/v1/openapi.json serves, read when the module is
collected by calling the view itself: reading it needs no database, while going
through the middleware would need a signed-in session, and pytest-django's database
is not there yet at collection. (schemathesis' lazy `from_fixture` would read it
inside the test, but it does not run on pytest 9: it sets `Node._nodeid`, which
pytest 9 no longer has.) The calls go through the whole WSGI application, middleware
and all, inside the test database, with a valid integration API key and a customer
service session, so that each operation is reached past its authentication."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import resolve
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from rekisteri.accounts.roles import Role
from rekisteri.audit.services import Actor
from rekisteri.intake.services import integration_create
from rekisteri.testing.factories import make_customer
from rekisteri.tests.bad_inputs import valid_order

SCHEMA_PATH = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES_PER_OPERATION = 50


def served_schema() -> dict[str, Any]:
    request = RequestFactory().get(SCHEMA_PATH)
    match = resolve(SCHEMA_PATH)
    response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


schema = schemathesis.openapi.from_dict(served_schema())


@pytest.fixture
def wsgi_app():
    """The WSGI application, kept from closing the database connection at the start and
    end of each request (as Django's test client does): on PostgreSQL that would end
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(client_as, settings):
    """A valid integration API key (with no rate limit in the way of the examples) and
    a customer service session's cookie."""
    settings.API_RATE_PER_MINUTE = 1_000_000
    created = integration_create(actor=Actor.system("test"), kind="generic", name="Fuzz")
    staff = client_as(Role.CUSTOMER_SERVICE)
    return {
        "headers": {"X-API-Key": created.api_key, "Accept-Language": "en"},
        "cookies": {
            settings.SESSION_COOKIE_NAME: staff.cookies[settings.SESSION_COOKIE_NAME].value
        },
    }


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_within_its_schema(case, wsgi_app, credentials):
    case.call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)


@pytest.mark.django_db
def test_the_successful_answers_fit_the_schema(wsgi_app, credentials):
    """Generated requests seldom succeed (a made-up customer waits for a person, an
    order number seldom exists), so each operation's 200, 201 and 202 answers are asked
    for here."""
    customer = make_customer()
    orders = schema["/api/v1/orders"]
    prefer_wait = {"Prefer": "wait=5"}

    stored = (
        orders["POST"]
        .Case(body={**valid_order(), "external_id": "WEB-2002"})
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    created = (
        orders["POST"]
        .Case(body=valid_order(), headers=prefer_wait)
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    again = (
        orders["POST"]
        .Case(body=valid_order(), headers=prefer_wait)
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    waits = (
        orders["POST"]
        .Case(body={**valid_order(), "external_id": "WEB-2003", "lines": []}, headers=prefer_wait)
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    receipt = (
        schema["/api/v1/orders/receipts/{receipt}"]["GET"]
        .Case(path_parameters={"receipt": stored.json()["receipt"]})
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    read = (
        schema["/api/v1/orders/{order_number}"]["GET"]
        .Case(path_parameters={"order_number": created.json()["order_number"]})
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )
    customer_read = (
        schema["/api/v1/customers/{public_id}"]["GET"]
        .Case(path_parameters={"public_id": str(customer.public_id)})
        .call_and_validate(app=wsgi_app, checks=CHECKS, **credentials)
    )

    assert [stored.status_code, created.status_code, again.status_code] == [202, 201, 200]
    assert [waits.status_code, receipt.status_code, read.status_code] == [202, 200, 200]
    assert (waits.json()["state"], receipt.json()["state"]) == ("attention", "waiting")
    assert read.json() == created.json()
    assert customer_read.status_code == 200
    assert customer_read.json()["customer_number"] == customer.customer_number
