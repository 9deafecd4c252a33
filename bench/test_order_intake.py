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
from rekisteri.intake.models import DeliveryState, InboxDelivery
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
    """Orders per second from the answers of the expected status; a 4xx, a 5xx and a
    lost connection are three errors; latency percentiles are nearest-rank over every
    request."""
    samples = [order_intake.Sample(0.0, float(ms), 201) for ms in range(1, 98)]
    samples += [
        order_intake.Sample(0.0, 200.0, 422, "bad line"),
        order_intake.Sample(0.0, 300.0, 500, "server error"),
        order_intake.Sample(0.0, 400.0, 0, "ConnectionResetError"),
    ]
    phase = order_intake.Phase(samples=samples, seconds=2.0, server_cpu_seconds=0.97)

    result = order_intake.summarize(phase, expected=201)

    assert result["orders_per_s"] == 48.5
    assert result["errors"] == 3
    assert result["p50_ms"] == 50.0
    assert result["p99_ms"] == 300.0
    assert result["max_ms"] == 400.0
    assert result["statuses"] == {"0": 1, "201": 97, "422": 1, "500": 1}
    assert result["error_samples"] == ["ConnectionResetError", "bad line", "server error"]
    assert result["server_cpu_ms_per_order"] == 10.0


def test_an_acknowledgement_run_counts_202s_and_any_other_answer_as_an_error() -> None:
    """Without `Prefer: wait` the inbox answers 202; a 201 there is not what was
    asked for, and a run waiting for its orders counts the 201s alone."""
    samples = [order_intake.Sample(0.0, 5.0, 202) for _ in range(9)]
    samples.append(order_intake.Sample(0.0, 5.0, 201))
    phase = order_intake.Phase(samples=samples, seconds=1.0)

    acknowledged = order_intake.summarize(phase)
    waited = order_intake.summarize(phase, expected=201)

    assert (acknowledged["orders_per_s"], acknowledged["errors"]) == (9.0, 1)
    assert acknowledged["error_samples"] == ["201, not 202"]
    assert (waited["orders_per_s"], waited["errors"]) == (1.0, 9)


def test_turns_of_both_kinds_join_into_one_phase_each() -> None:
    """The measured orders split into nearly equal turns, none lost; joined turns add
    their samples and seconds, and weigh the machine's load by their seconds."""
    planned = [order_intake.PlannedOrder(b"{}", str(n), False) for n in range(7)]
    chunks = order_intake.turns(planned, 2)
    joined = order_intake.phases_joined(
        [
            order_intake.Phase([order_intake.Sample(0.0, 1.0, 202)] * 3, 1.0, 0.1, 0.5),
            order_intake.Phase([order_intake.Sample(0.0, 1.0, 202)] * 4, 3.0, 0.2, 1.0),
        ]
    )

    assert [len(chunk) for chunk in chunks] == [4, 3]
    assert [o for chunk in chunks for o in chunk] == planned
    assert len(joined.samples) == 7
    assert joined.seconds == 4.0
    assert joined.machine_busy == pytest.approx(0.875)


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


@pytest.fixture
def floor(settings: Any) -> Iterator[None]:
    """The server with the floor's URL, as the benchmark starts it, and its table."""
    settings.ROOT_URLCONF = "bench.floor_urls"
    order_intake.floor_table_create()
    yield
    order_intake.floor_table_drop()


def _planned_run(count: int, warm_up: int) -> tuple[str, order_intake.Plan]:
    generate_customers(total=40, seed=3)
    api_key = order_intake.bench_integration()
    plan = order_intake.plan_orders(
        count=count,
        warm_up=warm_up,
        seed=3,
        register=order_intake.register_buyers(count=40, rng=random.Random(3), customers=40),
        first_free_number=FIRST_NUMBER + 40,
    )
    return api_key, plan


def test_it_posts_the_planned_orders_and_as_many_to_the_floor(
    api_server: tuple[str, int], floor: None
) -> None:
    """A small run through the HTTP API stores every order once in the inbox (202,
    nothing made yet), the floor stores as many bodies, and the figures say so."""
    api_key, plan = _planned_run(20, 4)
    host, port = api_server

    result = order_intake.run(host=host, port=port, api_key=api_key, plan=plan, clients=1)

    assert result["errors"] == result["warm_up_errors"] == result["floor_errors"] == 0, result[
        "error_samples"
    ]
    assert result["statuses"] == {"202": 20}
    assert result["rounds"] == 2
    assert {"orders_per_s", "p99_ms", "floor_per_s", "floor_p99_ms", "floor_share"} <= set(result)
    assert result["floor_share"] > 0
    assert order_intake.floor_rows() == 24
    assert InboxDelivery.objects.filter(state=DeliveryState.WAITING).count() == 24
    assert Order.objects.count() == 0
    keys = {o.idempotency_key for o in plan.warm_up + plan.measured}
    assert set(InboxDelivery.objects.values_list("delivery_key", flat=True)) == keys


def test_with_prefer_wait_it_posts_the_planned_orders_and_they_are_made(
    api_server: tuple[str, int],
) -> None:
    """With `Prefer: wait` (and no floor) each order is made before its answer: 201s,
    every order once, a customer for each new buyer and none for a returning one."""
    api_key, plan = _planned_run(20, 4)
    host, port = api_server

    result = order_intake.run(
        host=host, port=port, api_key=api_key, plan=plan, clients=1, wait=5, floor=False
    )

    assert result["errors"] == result["warm_up_errors"] == 0, result["error_samples"]
    assert result["statuses"] == {"201": 20}
    assert "floor_per_s" not in result
    assert Order.objects.count() == 24
    assert OrderLine.objects.count() == 24 * order_intake.LINES_PER_ORDER
    assert Customer.objects.count() == 40 + plan.new_customers
    external_ids = {json.loads(o.body)["external_id"] for o in plan.warm_up + plan.measured}
    assert set(Order.objects.values_list("external_id", flat=True)) == external_ids
    assert not InboxDelivery.objects.filter(state=DeliveryState.WAITING).exists()


def test_the_targets_of_each_kind_of_run() -> None:
    """Acknowledgements are held to the rate, the floor share, p99 100 ms and no
    errors; a run waiting for its orders to p99 250 ms and no errors."""
    acknowledged = {"orders_per_s": 450.0, "p99_ms": 90.0, "errors": 0, "floor_share": 0.4}
    waited = {"wait": 5, "orders_per_s": 50.0, "p99_ms": 240.0, "errors": 0}

    assert order_intake.targets(acknowledged) == {
        "orders_per_s": True,
        "p99_ms": True,
        "floor_share": False,
        "errors": True,
    }
    assert order_intake.targets(waited) == {"p99_ms": True, "errors": True}
