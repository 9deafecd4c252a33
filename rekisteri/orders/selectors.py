"""Reads of orders: a customer's orders, one order with its lines, deliveries and
returns, and the list of recent orders."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet

from rekisteri.orders.models import (
    ConfirmationChannel,
    Order,
    Product,
    Return,
    withdrawal_deadline,
)


def customer_orders(*, customer_id: int, limit: int = 50) -> list[Order]:
    """A customer's orders newest first, with their deliveries and returns."""
    return list(
        Order.objects.filter(customer_id=customer_id)
        .prefetch_related("deliveries", "returns")
        .order_by("-order_number")[:limit]
    )


def order_get(*, order_number: int) -> Order | None:
    return (
        Order.objects.select_related("customer", "integration")
        .prefetch_related(
            "lines",
            "deliveries",
            Prefetch("returns", queryset=Return.objects.prefetch_related("lines__order_line")),
        )
        .filter(order_number=order_number)
        .first()
    )


def order_list(*, before: int | None, limit: int) -> tuple[list[Order], int | None]:
    """Newest orders first; `before` continues from an earlier page's last number."""
    orders: QuerySet[Order] = Order.objects.select_related("customer").order_by("-order_number")
    if before is not None:
        orders = orders.filter(order_number__lt=before)
    rows = list(orders[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].order_number if more and rows else None)


def product_list() -> list[Product]:
    return list(Product.objects.order_by("-is_active", "sku"))


def order_withdrawal_deadline(*, order: Order) -> datetime.date | None:
    """The last day to cancel the distance sale, counted from the first delivery that
    reached the customer; None while nothing has been delivered."""
    delivered = [d.delivered_at for d in order.deliveries.all() if d.delivered_at is not None]
    return withdrawal_deadline(min(delivered)) if delivered else None


def product_get(*, pk: int) -> Product | None:
    return Product.objects.filter(pk=pk).first()


def product_by_sku(*, sku: str) -> Product | None:
    return Product.objects.filter(sku=sku.strip(), is_active=True).first() if sku.strip() else None


def order_confirmation_impossible(*, order: Order) -> bool:
    """Whether the order's latest confirmation could not be sent for want of an email
    address or a mobile number, which staff must then know."""
    latest = order.confirmations.order_by("-requested_at", "-id").first()
    return latest is not None and latest.channel == ConfirmationChannel.NONE
