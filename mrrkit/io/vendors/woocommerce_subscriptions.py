"""WooCommerce Subscriptions' CSV, as its official Importer/Exporter writes and reads it (issue 14).

Columns, as the extension's documentation lists them
(https://github.com/woocommerce/woocommerce-subscriptions-importer-exporter, "CSV Columns"):
``customer_id`` (blank for a new user: then ``customer_email``, else ``customer_username``),
``subscription_status`` (``wc-active, wc-expired, wc-pending, wc-on-hold, wc-pending-cancel,
wc-cancelled``; the ``wc-`` prefix optional), ``start_date``, ``trial_end_date``,
``next_payment_date``, ``end_date`` (``Y-m-d H:i:s``; ``0`` or empty: none), ``billing_period``
(``day, week, month, year``) and ``billing_interval``, ``order_items``
(``product_id:123|name:Pro|quantity:3|total:30.00``, items separated by ``;``), ``order_total``
("the total amount to charge for each renewal payment"), ``order_tax``, ``order_shipping``,
``order_shipping_tax``, ``cart_discount``, ``order_currency``, billing and shipping addresses.

MRR: the renewal's ``order_total`` without its taxes and shipping (``order_total - order_tax -
order_shipping - order_shipping_tax``; the cart discount is already out of the total) per billing
period. Statuses: ``active`` counts; ``pending-cancel`` counts until its prepaid term ends
(``end_date``, else ``next_payment_date``); ``on-hold`` (a renewal not paid, or suspended) counts
until its ``end_date``, else its ``next_payment_date`` (the renewal it did not pay);
``cancelled``, ``expired`` and ``switched`` end at ``end_date``; ``pending`` never paid.

Statuses (https://woocommerce.com/document/subscriptions/statuses/, "Subscription Status
Guide"), what each means for MRR here and where its line ends:

============== ============ =============================================================
status         meaning      the line
============== ============ =============================================================
active         paying       runs (to ``end_date`` if it has one)
pending-cancel paying       runs until ``end_date`` (else ``next_payment_date``): cancelled
                            by the customer with a "pre-paid term" left
on-hold        delinquent   ends at ``end_date``, else ``next_payment_date``: "an associated
                            order is awaiting payment" (a renewal not paid), or a store
                            owner or customer suspended it, which the file does not tell
cancelled      ended        ends at ``end_date``
expired        ended        ends at ``end_date`` (it reached its end)
switched       ended        ends at ``end_date`` (replaced by another subscription)
pending        never paid   rejected: "no payments have been processed on the subscription"
============== ============ =============================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): the ``delinquent_since`` of an
``on-hold`` one is its ``next_payment_date``, the renewal it did not pay (a suspension is read
alike). The documented columns give no cancellation request nor pause dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import column, columns
from ..messages import note
from ..parse import parse_amounts
from ..rules import subscription_draft
from .common import Vendor, has_all, has_any

__all__ = ["VENDOR"]

STATUSES = {
    "active": Rule("count", meaning="paying"),
    # Cancelled by the customer, paid until its prepaid term ends.
    "pending_cancel": Rule("ended", ("next_payment_date",), meaning="paying"),
    "on_hold": Rule("ended", ("next_payment_date",), meaning="delinquent",
                    since=("next_payment_date",)),
    "cancelled": Rule("ended", meaning="ended"),
    "canceled": Rule("ended", meaning="ended"),
    "expired": Rule("ended", meaning="ended"),
    "switched": Rule("ended", meaning="ended"),
    "pending": Rule("reject", reason="woo_pending", meaning="never_paid"),
}
_DATES = ("start_date", "trial_end_date", "next_payment_date", "end_date")
#: What the renewal's total holds that is no recurring revenue.
_NOT_REVENUE = ("order_tax", "order_shipping", "order_shipping_tax")


def detect(headers) -> bool:
    """``subscription_status``, ``billing_period`` and the renewal's ``order_total`` (or its
    ``order_items``)."""
    return (has_all(headers, "subscription_status", "billing_period", "start_date")
            and has_any(headers, "order_total", "order_items"))


def _statuses_without_prefix(frame: pd.DataFrame, status: str) -> pd.Series:
    """``wc-active`` -> ``active`` (the prefix is optional in the files)."""
    return text(frame[status]).str.replace(r"^\s*wc-", "", regex=True)


def _items(frame: pd.DataFrame, items: str) -> pd.Series:
    """The names (else product ids) of each row's ``order_items``, joined: its plan."""
    def names(cell: str) -> str:
        out = []
        for item in cell.split(";"):
            fields = dict(part.split(":", 1) for part in item.split("|") if ":" in part)
            name = fields.get("name") or fields.get("product_id") or item.strip()
            if name:
                out.append(name.strip())
        return ", ".join(out)

    return text(frame[items]).map(names).astype("str")


def read(frame: pd.DataFrame) -> Draft:
    """Active counts, pending-cancel and on-hold until their next payment date, the others end
    at end_date; MRR from the renewal total without tax and shipping, per billing period."""
    h = list(frame.columns)
    work = frame.copy()
    # "0" is WooCommerce's "no date".
    for name in columns(h, *_DATES):
        cells = text(work[name])
        work[name] = cells.where(cells.str.strip() != "0", "")
    status = column(h, "subscription_status")
    work[status] = _statuses_without_prefix(work, status)
    total = column(h, "order_total")
    deductions = columns(h, *_NOT_REVENUE)
    bad = {}
    if total is not None and deductions:
        net = parse_amounts(work[total]).values.to_numpy(dtype=float)
        for name in deductions:
            parsed = parse_amounts(work[name])
            bad[name] = np.asarray(parsed.bad, dtype=bool)
            net = net - np.nan_to_num(parsed.values.to_numpy(dtype=float))
        work[total] = pd.Series([("" if np.isnan(x) else repr(float(x))) for x in net],
                                index=work.index, dtype="str")
    attributes = {}
    items = column(h, "order_items")
    if items is not None:
        work["plan"] = _items(work, items)
        attributes["plan"] = "plan"
    cols = Columns(
        customer_id=columns(h, "customer_id", "customer_email", "customer_username"),
        start=columns(h, "start_date"),
        trial_end=columns(h, "trial_end_date"),
        end=columns(h, "end_date"),
        amount=(total,) if total is not None else (),
        interval=columns(h, "billing_period"),
        interval_count=columns(h, "billing_interval"),
        currency=columns(h, "order_currency"),
        status=(status,),
        attributes=attributes,
    )
    draft = subscription_draft(work, cols, statuses=STATUSES, cents=False,
                               notes=[note("woo_rules")])
    for name, cells in bad.items():
        draft.reasons.reject(cells, "bad_number", field="amount", column=name)
    if items is not None:
        draft.mapping["plan"] = items
    return draft


VENDOR = Vendor(
    name="woocommerce_subscriptions",
    label="WooCommerce Subscriptions CSV (Importer/Exporter)",
    detect=detect,
    read=read,
    needs="WooCommerce Subscriptions: subscription_status, billing_period, start_date and "
          "order_total",
    source="https://github.com/woocommerce/woocommerce-subscriptions-importer-exporter",
    priority=40,
    statuses=STATUSES,
)
