"""Paddle Billing subscriptions, as a flat copy of the API's subscription entity (Paddle's
dashboard has no subscriptions report: its reports are transactions, adjustments,
products/prices, discounts).

Columns: ``id, status, customer_id, currency_code, started_at, first_billed_at, next_billed_at,
paused_at, canceled_at, billing_cycle.interval, billing_cycle.frequency`` and the item's
``price.unit_price.amount`` (a string in the lowest denomination: 10 USD = "1000") and
``quantity``; statuses ``active, trialing, past_due, paused, canceled``. Underscore spellings
(``billing_cycle_interval``) are accepted too.

Statuses (the subscription entity's ``status``,
https://developer.paddle.com/api-reference/subscriptions/overview), what each means for MRR
here and where its line ends:

========= ============ =====================================================================
status    meaning      the line
========= ============ =====================================================================
active    paying       runs: "Paddle is billing for this subscription and related
                       transactions aren't past due"
trialing  trial        starts at ``next_billed_at`` (the trial's end)
past_due  delinquent   runs: "has an overdue payment" (payment failed, or an invoice's terms
                       elapsed); Paddle retries, then cancels or pauses as set
paused    paused       ends at ``paused_at``; no transactions while paused
canceled  ended        ends at ``canceled_at``: the day the cancellation took effect (one
                       asked for the end of the period is a scheduled change until then)
========= ============ =====================================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): ``paused_at``, and the
``delinquent_since`` of a ``past_due`` one: its ``current_billing_period.starts_at``, the
renewal whose payment is overdue (an approximation: the entity gives no date of the failed
payment). ``canceled_at`` is the end, not the request, so it is no line date; the request and
a resume date are in ``scheduled_change`` (not read).
"""

from __future__ import annotations

import pandas as pd

from ..drafts import Columns, Draft, Rule
from ..headers import columns
from ..messages import note
from ..rules import subscription_draft
from .common import Vendor, has_all, has_any, named_headers

__all__ = ["VENDOR"]

_PERIOD_START = ("current_billing_period.starts_at", "current_billing_period_starts_at")
STATUSES = {
    "active": Rule("count", meaning="paying"),
    "past_due": Rule("count", meaning="delinquent", since=_PERIOD_START),
    "trialing": Rule("trial", ("next_billed_at",), meaning="trial"),
    "canceled": Rule("ended", ("canceled_at",), meaning="ended"),
    "paused": Rule("ended", ("paused_at",), meaning="paused"),
}
_DATES = {"paused_at": ("paused_at",)}

def detect(headers) -> bool:
    """customer_id, currency_code and a billing date or cycle."""
    return has_all(headers, "customer_id", "currency_code") and has_any(
        headers,
        "next_billed_at",
        "first_billed_at",
        "billing_cycle.interval",
        "billing_cycle_interval",
    )


def read(frame: pd.DataFrame) -> Draft:
    """Active and past_due count, trials from next_billed_at, churn at canceled_at (paused at
    paused_at); unit prices in the lowest denomination (cents)."""
    h = list(frame.columns)
    attributes = named_headers(
        h,
        (
            "plan",
            "price.name",
            "price_name",
            "items[0].price.name",
            "price.id",
            "price_id",
            "items[0].price.id",
        ),
        (
            "product",
            "product.name",
            "product_name",
            "price.product_id",
            "product_id",
            "items[0].price.product_id",
        ),
    )
    cols = Columns(
        customer_id=columns(h, "customer_id"),
        start=columns(h, "first_billed_at", "started_at", "created_at"),
        end=(),
        amount=columns(
            h,
            "price.unit_price.amount",
            "unit_price.amount",
            "unit_price_amount",
            "items[0].price.unit_price.amount",
            "unit_price",
        ),
        interval=columns(
            h,
            "billing_cycle.interval",
            "billing_cycle_interval",
            "price.billing_cycle.interval",
            "items[0].price.billing_cycle.interval",
        ),
        interval_count=columns(
            h,
            "billing_cycle.frequency",
            "billing_cycle_frequency",
            "price.billing_cycle.frequency",
            "items[0].price.billing_cycle.frequency",
        ),
        quantity=columns(h, "quantity", "items[0].quantity"),
        currency=columns(h, "currency_code"),
        status=columns(h, "status"),
        period_start=columns(h, *_PERIOD_START),
        period_end=columns(h, "current_billing_period.ends_at", "current_billing_period_ends_at"),
        plan=columns(h, "price.id", "price_id", "items[0].price.id", "price.name", "price_name"),
        attributes=attributes,
        dates=_DATES,
    )
    return subscription_draft(
        frame, cols, statuses=STATUSES, cents=True, notes=[note("paddle_rules")]
    )


VENDOR = Vendor(
    name="paddle_subscriptions",
    label="Paddle Billing subscriptions",
    detect=detect,
    read=read,
    needs=(
        "Paddle Billing: customer_id, currency_code and next_billed_at / "
        "first_billed_at / billing_cycle.interval"
    ),
    source="https://developer.paddle.com/api-reference/subscriptions/list-subscriptions",
    priority=70,
    statuses=STATUSES,
)
