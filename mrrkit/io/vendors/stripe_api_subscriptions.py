"""Stripe subscriptions as the API, Sigma and the Data Pipeline deliver them (issue 14).

The Subscription object's own field names, snake case, flattened to columns
(https://docs.stripe.com/api/subscriptions/object; Sigma's and the Data Pipeline's
``subscriptions`` table, https://docs.stripe.com/stripe-data/schema, use the same names):
``id, customer, status, start_date`` (else ``created``), ``current_period_start``,
``current_period_end``, ``trial_end``, ``canceled_at``, ``ended_at``, ``cancel_at_period_end``,
``quantity``, ``currency`` and the price of its item, flattened from ``plan`` / ``price`` /
``items.data[0].price``: ``plan_amount`` (or ``price_unit_amount``, ``unit_amount``) in the
currency's smallest unit (cents; a zero-decimal currency such as JPY as it is),
``plan_interval`` (or ``price_recurring_interval``, ``recurring_interval``) and
``plan_interval_count`` (or ``interval_count``...). Dates are Unix seconds (the API) or ISO
timestamps (Sigma). ``metadata_<key>`` or ``metadata.<key>`` columns are attributes; the
churn reason is ``cancellation_details_feedback`` else ``cancellation_details_reason``.

Statuses have the meaning they have in the Dashboard export (the table of
:mod:`mrrkit.io.vendors.stripe_subscriptions`, from
https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses): ``active``
paying; ``past_due`` delinquent, counted; ``trialing`` from ``trial_end``; ``unpaid``
(delinquent) and ``paused`` (paused) paid until ``current_period_start``; ``canceled`` ends at
``ended_at``; ``incomplete``, ``incomplete_expired`` never paid. The lines carry ``canceled_at``
(the cancellation request), ``resumes_at`` from ``pause_collection_resumes_at`` (a pause of
collection: the status stays ``active``), and ``paused_at`` / ``delinquent_since`` of the
``paused`` / ``past_due`` and ``unpaid`` ones from ``current_period_start`` (the period not paid
began then: an approximation, the object gives no date of the failed payment). A ``discount``
column (a coupon) is said: its amount is not in the subscription's price.

A JSON ``stripe subscriptions list`` (:mod:`mrrkit.io.json_table`) is read as such a table with
one row per item (``items_data_price_unit_amount``, ``items_data_quantity``,
``items_data_current_period_start``...: each price of a subscription is billed, so each is a
line), the subscription's fields copied on each.
"""

from __future__ import annotations

import re

import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import column, columns
from ..messages import note
from ..rules import subscription_draft
from .common import Vendor, add_custom_fields, coalesced, has_all, has_any, named_headers

__all__ = ["VENDOR"]

_PERIOD_START = ("current_period_start", "items_data_current_period_start")
STATUSES = {
    "active": Rule("count", meaning="paying"),
    "past_due": Rule("count", meaning="delinquent", since=_PERIOD_START),
    "trialing": Rule("trial", ("trial_end",), meaning="trial"),
    "canceled": Rule("ended", ("canceled_at",), meaning="ended"),
    "cancelled": Rule("ended", ("canceled_at",), meaning="ended"),
    "unpaid": Rule("ended", _PERIOD_START, meaning="delinquent", since=_PERIOD_START),
    "paused": Rule("ended", _PERIOD_START, meaning="paused", since=_PERIOD_START),
    "incomplete": Rule("reject", reason="stripe_incomplete", meaning="never_paid"),
    "incomplete_expired": Rule("reject", reason="stripe_incomplete_expired",
                               meaning="never_paid"),
}
_DATES = {
    "canceled_at": ("canceled_at",),
    "resumes_at": ("pause_collection_resumes_at", "pause_collection.resumes_at"),
}
_AMOUNT = ("plan_amount", "price_unit_amount", "plan_unit_amount", "unit_amount",
           "items_data_price_unit_amount", "price_unit_amount_decimal")
_INTERVAL = ("plan_interval", "price_recurring_interval", "recurring_interval",
             "items_data_price_recurring_interval", "interval")
_INTERVAL_COUNT = ("plan_interval_count", "price_recurring_interval_count",
                   "recurring_interval_count", "items_data_price_recurring_interval_count",
                   "interval_count")
#: A subscription item's price, as a JSON ``stripe subscriptions list`` flattens it (one row per
#: item, :mod:`mrrkit.io.json_table`).
_ITEM_PLAN = ("items_data_price_nickname", "items_data_plan_nickname", "items_data_price_id",
              "items_data_plan_id")
_CHURN_REASON = ("cancellation_details_feedback", "cancellation_details_reason")
_METADATA = re.compile(r"^metadata[._](.+)$")


def detect(headers) -> bool:
    """The API's snake-case names: ``customer``, ``status``, an amount and an interval (or the
    current period)."""
    return (
        has_all(headers, "customer", "status")
        and has_any(headers, *_AMOUNT)
        and (has_any(headers, *_INTERVAL) or has_all(headers, "current_period_end"))
        and any("_" in str(h) for h in headers)
        and not any(str(h).strip().endswith("(UTC)") for h in headers)
    )


def read(frame: pd.DataFrame) -> Draft:
    """As the Dashboard export (statuses, trials, churn at ``ended_at``), amounts in cents."""
    h = list(frame.columns)
    attributes = named_headers(
        h,
        ("plan", "plan_nickname", "price_nickname", "plan_id", "price_id", "plan", "price",
         *_ITEM_PLAN),
        ("product", "plan_product", "price_product", "product", "items_data_price_product"),
        ("churn_reason", *_CHURN_REASON),
        ("churn_comment", "cancellation_details_comment"),
    )
    add_custom_fields(attributes, h, _METADATA)
    cols = Columns(
        customer_id=columns(h, "customer", "customer_id"),
        start=columns(h, "start_date", "created"),
        trial_end=columns(h, "trial_end"),
        end=columns(h, "ended_at"),
        amount=columns(h, *_AMOUNT),
        interval=columns(h, *_INTERVAL),
        interval_count=columns(h, *_INTERVAL_COUNT),
        quantity=columns(h, "quantity", "items_data_quantity"),
        currency=columns(h, "currency", "plan_currency", "price_currency"),
        status=columns(h, "status"),
        period_start=columns(h, *_PERIOD_START),
        period_end=columns(h, "current_period_end", "items_data_current_period_end"),
        plan=columns(h, "plan_id", "price_id", "plan_nickname", "price_nickname", *_ITEM_PLAN),
        attributes=attributes,
        dates=_DATES,
    )
    draft = subscription_draft(frame, cols, statuses=STATUSES, cents=True,
                               notes=[note("stripe_api_rules")])
    found = columns(h, *_CHURN_REASON)
    if len(found) > 1:
        draft.attributes["churn_reason"] = coalesced(frame, found)
    discount = column(h, "discount", "discount_coupon_id", "discounts")
    if discount is not None:
        with_coupon = int(((text(frame[discount]) != "").to_numpy() & draft.reasons.ok).sum())
        if with_coupon:
            draft.notes.append(note("stripe_coupon", count=with_coupon, column=discount))
    return draft


VENDOR = Vendor(
    name="stripe_api_subscriptions",
    label="Stripe subscriptions (API, Sigma or Data Pipeline names)",
    detect=detect,
    read=read,
    needs=("Stripe subscriptions with API names: customer, status, plan_amount (cents) and "
           "plan_interval (or current_period_start/_end)"),
    source="https://docs.stripe.com/api/subscriptions/object",
    priority=21,
    statuses=STATUSES,
)
