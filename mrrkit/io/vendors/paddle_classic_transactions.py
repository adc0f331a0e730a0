"""Paddle Classic's transactions report, recognised and refused: it lists payments with no
subscription periods, so no MRR can be read from it (and read as a plain table it would be read
as something it is not). Its columns: ``Order ID, Order Status, Order Type, Product ID, Product
Name, ..., Customer Email, Customer Country, Coupon Applied, Quantity, Total, Tax, Fee, Currency,
Balance Earnings, Balance Currency, Source, Checkout...``. The export to upload instead is the
subscription users list (:mod:`mrrkit.io.vendors.paddle_classic_subscriptions`).
"""

from __future__ import annotations

from .common import RefusedExport, has_all

__all__ = ["VENDOR"]


def detect(headers) -> bool:
    """Order ID and Balance Earnings."""
    return has_all(headers, "Order ID", "Balance Earnings")


VENDOR = RefusedExport(
    name="paddle_classic_transactions",
    label="Paddle Classic transactions report",
    detect=detect,
    refusal="paddle_classic_transactions",
    source="https://developer.paddle.com/api-reference/subscription-api/users/listusers",
)
