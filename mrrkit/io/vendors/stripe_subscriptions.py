"""Stripe's subscriptions export (Dashboard, Billing > Subscriptions > Export).

Columns, as read by public scripts that parse these exports (pandas notebooks selecting exactly
these columns, a TypeScript importer reading ``Amount`` "as string like 33.00" in major units
while the API gives cents): ``id, Customer ID, Customer Name, Customer Email, Plan, Product,
Quantity, Currency, Interval, Amount, Status, Cancellation Reason, Created (UTC)``,
``Start (UTC)`` or ``Start Date (UTC)``, ``Current Period Start (UTC), Current Period End (UTC),
Trial Start (UTC), Trial End (UTC), Canceled At (UTC), Ended At (UTC)`` and metadata as
``<key> (metadata)``. Some Dashboard exports name the price columns ``Plan Amount``,
``Plan Interval``...

Statuses (the Subscription object, https://docs.stripe.com/api/subscriptions/object, and
https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses), what each means
for MRR here (its ``billing_status``) and where its line ends:

================== ============ =============================================================
status             meaning      the line
================== ============ =============================================================
active             paying       runs (ends at ``Ended At`` if any)
trialing           trial        starts at ``Trial End``
past_due           delinquent   runs: "payment on the latest invoice either failed or wasn't
                                attempted"; Stripe retries and the subscription stays in place
                                (counted as ChartMogul and Baremetrics count it)
unpaid             delinquent   ends at ``Current Period Start``: Stripe "has exhausted all
                                payment retry attempts", the subscription stays but its
                                invoices are no longer attempted; the months before are paid,
                                the current period is not (the export gives no earlier date)
paused             paused       ends at ``Current Period Start``: Stripe enters it "when a trial
                                ends without a payment method" and creates no invoices; one
                                paused at the end of its trial never paid ("never paid")
canceled           ended        ends at ``Ended At`` (else ``Canceled At``)
incomplete         never paid   rejected: the first payment never succeeded
incomplete_expired never paid   rejected: "the initial payment on the subscription failed and
                                no successful payment was made within 23 hours" (terminal; no
                                period behind it was paid)
================== ============ =============================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): ``canceled_at`` from
``Canceled At`` (the cancellation request: with ``cancel_at_period_end`` a still active
subscription has one, its end comes later); ``paused_at`` of a ``paused`` subscription and
``delinquent_since`` of a ``past_due`` or ``unpaid`` one are its ``Current Period Start``, an
approximation: the export gives no date of the failed payment, and the period not paid is the
one that began then. ``Pause Collection`` (a pause of payment collection, not the ``paused``
status: the subscription stays ``active``) gives ``resumes_at`` where the export has its
``Pause Collection Resumes At`` column.

Why a subscription ended is its ``cancellation_details``: ``reason``
(``cancellation_requested, payment_disputed, payment_failed``: how it ended), ``feedback`` (the
customer's own pick: ``too_expensive, missing_features, switched_service, unused,
customer_service, too_complex, low_quality, other``) and ``comment`` (free text). Exports write
them as ``Cancellation Reason`` and, in some versions, ``Cancellation Feedback`` and
``Cancellation Comment`` or ``Cancellation Reason Text``: the churn reason is the feedback where
the customer gave one, else the ``Cancellation Reason`` (values kept as Stripe writes them); the
free text is kept as ``churn_comment``, never a segment
(:data:`mrrkit.views.segments.NOTE_COLUMNS`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import column, columns, is_cents
from ..messages import note
from ..rules import subscription_draft
from .common import Vendor, add_custom_fields, coalesced, has_all, has_any, named_headers

__all__ = ["VENDOR"]

_PERIOD_START = ("Current Period Start (UTC)", "Current Period Start")
STATUSES = {
    "active": Rule("count", meaning="paying"),
    "past_due": Rule("count", meaning="delinquent", since=_PERIOD_START),
    "trialing": Rule("trial", meaning="trial"),
    "canceled": Rule("ended", ("Canceled At (UTC)", "Canceled At"), meaning="ended"),
    "cancelled": Rule("ended", ("Canceled At (UTC)", "Canceled At"), meaning="ended"),
    "incomplete": Rule("reject", reason="stripe_incomplete", meaning="never_paid"),
    "incomplete_expired": Rule("reject", reason="stripe_incomplete_expired",
                               meaning="never_paid"),
    # Paid until the period not paid began (see the module).
    "unpaid": Rule("ended", _PERIOD_START, meaning="delinquent", since=_PERIOD_START),
    "paused": Rule("ended", _PERIOD_START, meaning="paused", since=_PERIOD_START),
}
#: The line dates the export gives (the others come from the statuses' ``since``).
_DATES = {
    "canceled_at": ("Canceled At (UTC)", "Canceled At"),
    "resumes_at": ("Pause Collection Resumes At (UTC)", "Pause Collection Resumes At"),
}
_METADATA = re.compile(r"^(.*\S)\s*\(metadata\)$", re.IGNORECASE)
_AMOUNT = ("Amount", "Plan Amount", "Price Amount", "Amount (cents)", "Plan Amount (cents)")
#: The churn reason: the customer's feedback first, then how the subscription ended.
_CHURN_REASON = (
    "Cancellation Feedback",
    "Cancellation Details Feedback",
    "Cancellation Reason",
    "Cancellation Details Reason",
)
#: What the customer wrote when cancelling: kept, never a segment.
_CHURN_COMMENT = (
    "Cancellation Comment",
    "Cancellation Details Comment",
    "Cancellation Reason Text",
)
_INTERVAL = ("Interval", "Plan Interval", "Price Interval")


def detect(headers) -> bool:
    """Customer ID, Status, an amount, an interval (or the current period) and ``(UTC)`` dates.
    An export without any interval column is still read (interval from the current period)."""
    return (
        has_all(headers, "Customer ID", "Status")
        and has_any(headers, *_AMOUNT)
        and (has_any(headers, *_INTERVAL) or has_all(headers, "Current Period End (UTC)"))
        and any(str(h).strip().endswith("(UTC)") for h in headers)
    )


def _attributes(h: list) -> dict[str, str]:
    attributes = named_headers(
        h,
        ("plan", "Plan", "Plan Nickname", "Plan price ID", "Price ID", "Plan ID", "Price"),
        ("product", "Product", "Product Name"),
        ("churn_reason", *_CHURN_REASON),
        ("churn_comment", *_CHURN_COMMENT),
        ("customer_name", "Customer Name", "Customer Description"),
        ("email", "Customer Email"),
    )
    add_custom_fields(attributes, h, _METADATA)
    return attributes


def read(frame: pd.DataFrame) -> Draft:
    """Active and past_due count, trials from their end, unpaid and paused paid until their
    current period began, churn at Ended At; amounts in major units ("49.00") unless the header
    says cents ("Amount (cents)")."""
    h = list(frame.columns)
    cols = Columns(
        customer_id=columns(h, "Customer ID", "Customer"),
        start=columns(h, "Start Date (UTC)", "Start (UTC)", "Start Date", "Created (UTC)"),
        trial_end=columns(h, "Trial End (UTC)", "Trial End"),
        end=columns(h, "Ended At (UTC)", "Ended At"),
        amount=columns(h, *_AMOUNT),
        interval=columns(h, *_INTERVAL),
        interval_count=columns(h, "Interval Count", "Plan Interval Count", "Price Interval Count"),
        quantity=columns(h, "Quantity"),
        currency=columns(h, "Currency", "Plan Currency", "Price Currency"),
        status=columns(h, "Status"),
        period_start=columns(h, "Current Period Start (UTC)", "Current Period Start"),
        period_end=columns(h, "Current Period End (UTC)", "Current Period End"),
        plan=columns(h, "Plan", "Plan price ID", "Price ID", "Plan ID", "Price", "Plan Nickname"),
        attributes=_attributes(h),
        dates=_DATES,
    )
    draft = subscription_draft(frame, cols, statuses=STATUSES, notes=[note("stripe_rules")])
    # Exports name the customer "Customer Name" or (older ones, and customers with a description
    # only) "Customer Description": a blank name takes the description.
    names = columns(h, "Customer Name", "Customer Description")
    if len(names) > 1:
        draft.attributes["customer_name"] = coalesced(frame, names)
    # A churn with the customer's feedback has it as its reason; one without (a failed payment,
    # a cancellation with no answer) keeps Stripe's "Cancellation Reason". Likewise the comment.
    for name, candidates in (("churn_reason", _CHURN_REASON), ("churn_comment", _CHURN_COMMENT)):
        found = columns(h, *candidates)
        if len(found) > 1:
            draft.attributes[name] = coalesced(frame, found)
    _say_whole_amounts(frame, cols.amount[0], draft)
    _say_coupons(frame, h, draft)
    return draft


def _say_whole_amounts(frame: pd.DataFrame, amount: str, draft: Draft) -> None:
    """Amounts all written as whole numbers (``4900``) may be cents: said, with the remedy."""
    if is_cents(amount) or not _whole_numbers_only(frame[amount], draft.reasons.ok):
        return
    written = text(frame[amount])
    written = written[(written != "").to_numpy() & draft.reasons.ok]
    draft.notes.append(
        note(
            "stripe_whole_numbers",
            column=amount,
            example=written.iloc[0],
            renamed=amount + " (cents)",
        )
    )


def _say_coupons(frame: pd.DataFrame, h: list, draft: Draft) -> None:
    """A coupon's amount is not in the export: the MRR of its subscriptions is before it."""
    coupon = column(h, "Coupon", "Coupon ID", "Discount")
    if coupon is None:
        return
    with_coupon = int(((text(frame[coupon]) != "").to_numpy() & draft.reasons.ok).sum())
    if with_coupon:
        draft.notes.append(note("stripe_coupon", count=with_coupon, column=coupon))


def _whole_numbers_only(col: pd.Series, kept: np.ndarray) -> bool:
    """Whether every kept, filled cell is written as a whole number of 3+ digits (``4900``);
    the first thousand cells settle most files without a pass over a million."""
    head = text(col.iloc[:1000])[kept[:1000]]
    head = head[head != ""]
    if len(head) and not head.str.fullmatch(r"\d{3,}").all():
        return False
    written = text(col)[kept]
    written = written[written != ""]
    return bool(len(written)) and bool(written.str.fullmatch(r"\d{3,}").all())


VENDOR = Vendor(
    name="stripe_subscriptions",
    label="Stripe subscriptions export",
    detect=detect,
    read=read,
    needs=(
        "Stripe subscriptions: Customer ID, Status, Amount, Interval and '... (UTC)' date columns"
    ),
    source="https://docs.stripe.com/api/subscriptions/object",
    priority=20,
    statuses=STATUSES,
)
