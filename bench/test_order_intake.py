"""The order intake benchmark's machinery: the orders it plans, the figures it computes,
and a small run through the real API on the test server. No timing is asserted."""

from __future__ import annotations

import datetime
import json
import random
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections

from bench import order_intake
from bench.generate import FIRST_NUMBER, generate_customers
from rekisteri import fi
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order, OrderLine


def _register(count: int) -> list[dict[str, str]]:
    return [
        {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": f"aino.virtanen.{number}@example.fi",
            "phone": "+358401234567",
            "identity_code": "",
            "street_address": "Kauppakatu 1",
            "postal_code": "00100",
            "post_office": "Helsinki",
            "country": "FI",
        }
        for number in range(FIRST_NUMBER, FIRST_NUMBER + count)
    ]


def _bodies(orders: list[order_intake.PlannedOrder]) -> list[dict[str, Any]]:
    return [json.loads(order.body) for order in orders]


def test_it_plans_half_new_and_half_returning_buyers_with_three_lines_each() -> None:
    """New buyers are unique and unknown to the register; returning ones are register
    customers or (after the warm-up) buyers the warm-up added; prices are strings."""
    register = _register(30)
    plan = order_intake.plan_orders(
        count=41, warm_up=10, seed=5, register=register, first_free_number=FIRST_NUMBER + 30
    )

    assert len(plan.warm_up) == 10
    assert len(plan.measured) == 41
    assert sum(o.is_new_customer for o in plan.warm_up) == 5
    assert sum(o.is_new_customer for o in plan.measured) == 20
    assert plan.new_customers == 25
    warm_up, measured = _bodies(plan.warm_up), _bodies(plan.measured)
    everything = warm_up + measured
    assert len({body["external_id"] for body in everything}) == 51
    assert len({o.idempotency_key for o in plan.warm_up + plan.measured}) == 51
    new = [
        body["customer"]
        for body, o in zip(everything, plan.warm_up + plan.measured, strict=True)
        if o.is_new_customer
    ]
    assert len({buyer["email"] for buyer in new}) == 25
    assert not {buyer["email"] for buyer in new} & {buyer["email"] for buyer in register}
    warm_up_new = [
        b["customer"] for b, o in zip(warm_up, plan.warm_up, strict=True) if o.is_new_customer
    ]
    for body, planned in zip(measured, plan.measured, strict=True):
        if not planned.is_new_customer:
            assert body["customer"] in register + warm_up_new
    for body in everything:
        assert len(body["lines"]) == order_intake.LINES_PER_ORDER
        assert len({line["sku"] for line in body["lines"]}) == order_intake.LINES_PER_ORDER
        assert body["payment_method"] in order_intake.PAYMENT_METHODS
        assert body["customer"]["email"].endswith("@example.fi")
        assert fi.normalize_email(body["customer"]["email"]) == body["customer"]["email"]
        code = body["customer"]["identity_code"]
        if code:
            compact = fi.normalize_identity_code(code, allow_temporary=True)
            assert 900 <= int(compact[7:10]) <= 999
        for line in body["lines"]:
            assert isinstance(line["unit_price"], str)
            assert Decimal(line["unit_price"]) == Decimal(line["unit_price"]).quantize(
                Decimal("0.01")
            )
            assert Decimal(line["vat_rate"]) in (Decimal("25.5"), Decimal("14"), Decimal("10"))


def test_the_same_seed_plans_the_same_orders() -> None:
    """Two runs with one seed post the same bodies, so their figures compare."""
    now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC)
    first, second = (
        order_intake.plan_orders(
            count=6, warm_up=2, seed=9, register=_register(5), first_free_number=2000, now=now
        )
        for _ in range(2)
    )

    assert [o.body for o in first.measured] == [o.body for o in second.measured]


def test_it_counts_only_successful_orders_and_every_failure_as_an_error() -> None:
    """Orders per second from the 2xx responses; a 4xx, a 5xx and a lost connection
    are three errors; latency percentiles are nearest-rank over every request."""
    samples = [order_intake.Sample(0.0, float(ms), 201) for ms in range(1, 98)]
    samples += [
        order_intake.Sample(0.0, 200.0, 422, "bad line"),
        order_intake.Sample(0.0, 300.0, 500, "server error"),
        order_intake.Sample(0.0, 400.0, 0, "ConnectionResetError"),
    ]
    phase = order_intake.Phase(samples=samples, seconds=2.0, server_cpu_seconds=0.97)

    result = order_intake.summarize(phase)

    assert result["orders_per_s"] == 48.5
    assert result["errors"] == 3
    assert result["p50_ms"] == 50.0
    assert result["p99_ms"] == 300.0
    assert result["max_ms"] == 400.0
    assert result["statuses"] == {"0": 1, "201": 97, "422": 1, "500": 1}
    assert result["error_samples"] == ["ConnectionResetError", "bad line", "server error"]
    assert result["server_cpu_ms_per_order"] == 10.0


@pytest.fixture
def api_server(db: None) -> Iterator[tuple[str, int]]:
    """The app on a one-thread WSGI server that shares the test's database connection,
    so the server sees the test's data and the test's rollback removes the server's.
    (A live server would need a flush, which the append-only audit trail refuses.)"""
    shared = connections["default"]
    shared.inc_thread_sharing()
    # As the test client does: a request must not close the connection in a transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=QuietHandler)

    def serve() -> None:
        connections["default"] = shared
        server.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        shared.dec_thread_sharing()


def test_it_posts_the_planned_orders_through_the_api(api_server: tuple[str, int]) -> None:
    """A small run through the HTTP API creates every order once, a customer for each
    new buyer and none for a returning one, and reports the figures."""
    generate_customers(total=40, seed=3)
    api_key = order_intake.bench_integration()
    plan = order_intake.plan_orders(
        count=20,
        warm_up=4,
        seed=3,
        register=order_intake.register_buyers(count=40, rng=random.Random(3), customers=40),
        first_free_number=FIRST_NUMBER + 40,
    )
    host, port = api_server

    result = order_intake.run(host=host, port=port, api_key=api_key, plan=plan, clients=1)

    assert result["errors"] == result["warm_up_errors"] == 0, result["error_samples"]
    assert result["statuses"] == {"201": 20}
    assert {"orders_per_s", "p50_ms", "p99_ms", "errors", "load_average"} <= set(result)
    assert Order.objects.count() == 24
    assert OrderLine.objects.count() == 24 * order_intake.LINES_PER_ORDER
    assert Customer.objects.count() == 40 + plan.new_customers
    external_ids = {json.loads(o.body)["external_id"] for o in plan.warm_up + plan.measured}
    assert set(Order.objects.values_list("external_id", flat=True)) == external_ids
