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
began then: an approximation, the object gives no date of the failed payment). A discount
with its coupon expanded (``discount_coupon_percent_off`` or ``_amount_off``,
``discount_coupon_duration``, ``discount_start``; ``discount_source_coupon_...`` in API versions
from 2025-09-30) is read: a ``forever`` coupon applied when the line began is taken off its MRR
and kept as its ``recurring_discount`` (:data:`mrrkit.engine.lines.LINE_DISCOUNTS`), so MRR is
what is billed and ``discounts="none"`` adds it back; a coupon for a limited time (``once``,
``repeating``) or applied later covers part of the line only and is said, its MRR before it. A
``discount`` column with the coupon's id only is said: its amount is not in the subscription.

A JSON ``stripe subscriptions list`` (:mod:`mrrkit.io.json_table`) is read as such a table with
one row per item (``items_data_price_unit_amount``, ``items_data_quantity``,
``items_data_current_period_start``...: each price of a subscription is billed, so each is a
line), the subscription's fields copied on each.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..cells import text
from ..dates import DateColumns
from ..drafts import Columns, Draft, Rule
from ..headers import column, columns
from ..messages import note
from ..parse import parse_amounts
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
    coupon = _coupon_columns(h)
    without = _read_coupons(frame, cols, coupon, draft) if coupon else draft.reasons.ok
    discount = column(h, "discount", "discount_coupon_id", "discounts", "discount_id")
    if discount is not None and not coupon:
        with_coupon = int(((text(frame[discount]) != "").to_numpy() & without).sum())
        if with_coupon:
            draft.notes.append(note("stripe_coupon", count=with_coupon, column=discount))
    return draft


#: The subscription's discount with its coupon expanded, flattened: ``discount.coupon`` (API
#: versions before 2025-09-30) or ``discount.source.coupon`` (later ones, expanded).
_COUPON_PREFIXES = ("discount_coupon_", "discount_source_coupon_")


def _coupon_columns(h: list) -> dict[str, str] | None:
    """The coupon's ``percent_off`` / ``amount_off``, ``duration`` and the discount's ``start``
    headers, when the file has its amount and duration (else None: an id says no amount)."""
    for prefix in _COUPON_PREFIXES:
        found = {name: column(h, prefix + name) for name in ("percent_off", "amount_off",
                                                              "duration")}
        if found["duration"] and (found["percent_off"] or found["amount_off"]):
            found["start"] = column(h, "discount_start")
            return found
    return None


def _read_coupons(frame: pd.DataFrame, cols: Columns, coupon: dict, draft: Draft):
    """Take each ``forever`` coupon off its line's MRR and keep it as the line's
    ``recurring_discount``: Stripe's coupon object (https://docs.stripe.com/api/coupons/object)
    takes ``percent_off`` percent or ``amount_off`` (the currency's smallest unit) "off the
    subtotal of any invoices", for ``duration`` ``forever``, ``once`` or ``repeating``
    (``duration_in_months``); the discount's ``start`` is the "date that the coupon was
    applied" (https://docs.stripe.com/api/discounts/object). A coupon for a limited time
    (``once``, ``repeating``), or applied after the line began, covers part of the line only:
    its MRR stays before it (Stripe's own MRR leaves finite coupons out) and a note says how
    many. The rows without a coupon read are returned (for the note on coupon ids)."""
    ok = draft.reasons.ok
    n = len(frame)
    duration = text(frame[coupon["duration"]]).str.strip().str.lower().to_numpy()
    has = duration != ""

    def amounts(name):
        if not coupon[name]:
            return np.full(n, np.nan)
        return parse_amounts(frame[coupon[name]]).values.to_numpy(dtype="float64",
                                                                   na_value=np.nan)

    percent, amount_off = amounts("percent_off"), amounts("amount_off")
    # The share of each invoice the coupon takes: a percentage, or a fixed amount over the
    # subscription's invoice (its items' period amounts, shared by amount as an invoice is).
    period = np.nan_to_num(parse_amounts(frame[cols.amount[0]]).values.to_numpy(
        dtype="float64", na_value=np.nan))
    if cols.quantity:
        q = parse_amounts(frame[cols.quantity[0]]).values.to_numpy(dtype="float64",
                                                                     na_value=np.nan)
        period = period * np.where(np.isnan(q), 1.0, q)
    subscription = column(list(frame.columns), "id", "subscription")
    invoice = (pd.Series(period).groupby(text(frame[subscription]).to_numpy()).transform("sum")
               .to_numpy() if subscription else period)
    with np.errstate(invalid="ignore", divide="ignore"):
        fixed = np.where(invoice > 0, amount_off / invoice, np.nan)
    share = np.clip(np.where(np.isnan(percent), fixed, percent / 100.0), 0.0, 1.0)
    late = np.zeros(n, bool)
    if coupon["start"]:
        applied = DateColumns(frame, [coupon["start"]]).get(coupon["start"]).values
        late = (applied.dt.normalize() > draft.start.dt.normalize()).fillna(False).to_numpy()
    read = ok & has & (duration == "forever") & ~late & np.isfinite(share) & (share > 0)
    limited = ok & has & ~read
    if read.any():
        monthly = np.where(read, draft.mrr * np.nan_to_num(share), 0.0)
        draft.mrr = draft.mrr - monthly
        draft.attributes = {**draft.attributes, "recurring_discount": pd.Series(
            monthly, index=frame.index, dtype="float64")}
        said = coupon["percent_off"] if coupon["percent_off"] else coupon["amount_off"]
        draft.notes.append(note("deducted", column=said, field="discount",
                                count=int(read.sum())))
    if limited.any():
        draft.notes.append(note("stripe_coupon_limited", count=int(limited.sum()),
                                column=coupon["duration"]))
    return ok & ~has


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
