"""Paddle Classic's subscription users (API ``/2.0/subscription/users``, as flattened by export
scripts).

Columns: ``subscription_id, plan_id, user_id, user_email, marketing_consent, update_url,
cancel_url, state, signup_date, last_payment {amount, currency, date}, next_payment {amount,
currency, date}, payment_information, quantity, paused_at, paused_from``; states ``active,
past_due, trialing, paused, deleted``; amounts in major units (``"amount": 10`` is 10 USD). It
carries no plan price, interval or cancellation date: a user may add them
(``recurring_price``, ``billing_type`` and ``billing_period``,
``cancellation_effective_date``).

States (Paddle's subscription status reference,
https://developer.paddle.com/reference/platform-parameters), what each means for MRR here and
where its line ends:

========= ============ =====================================================================
state     meaning      the line
========= ============ =====================================================================
active    paying       runs: "payments are up-to-date"
trialing  trial        starts at the next payment date (the first recurring payment)
past_due  delinquent   runs: a payment failed and Paddle retries it; "after a few more
                       payment attempts this will either change to active, paused or
                       deleted"
paused    paused       ends at ``paused_from`` (else ``paused_at``): "the customer will not be
                       charged for the next or subsequent payments"
deleted   ended        ends at the cancellation date a user adds (the export has none)
========= ============ =====================================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): ``paused_at`` (``paused_from``,
else ``paused_at``). The export gives no date of a failed payment nor of a cancellation request.
"""

from __future__ import annotations

import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import columns
from ..messages import ExportError, note
from ..rules import subscription_draft
from .common import Vendor, has_all, has_any, named_headers

__all__ = ["VENDOR"]

_NEXT_DATE = ("next_payment.date", "next_payment_date", "next_bill_date")
_LAST_DATE = ("last_payment.date", "last_payment_date")
_CANCELLED = (
    "cancellation_effective_date",
    "cancelled_at",
    "canceled_at",
    "cancellation_date",
    "end_date",
)
STATUSES = {
    "active": Rule("count", meaning="paying"),
    "past_due": Rule("count", meaning="delinquent"),
    "trialing": Rule("trial", _NEXT_DATE, meaning="trial"),
    "paused": Rule("ended", ("paused_from", "paused_at"), meaning="paused"),
    "deleted": Rule("ended", _CANCELLED, meaning="ended"),
}
#: ``paused_from``: the pause takes effect; ``paused_at``: it was asked.
_DATES = {"paused_at": ("paused_from", "paused_at")}
#: Plan prices a user may add to the file (the export has none): per unit, before tax.
_PRICE = ("recurring_price", "plan_price", "unit_price", "price")
#: The payments the file does carry: the whole charge (quantity included), as charged.
_PAYMENT = (
    "next_payment.amount",
    "next_payment_amount",
    "last_payment.amount",
    "last_payment_amount",
)


def detect(headers) -> bool:
    """subscription_id, plan_id, signup_date, a user and a state."""
    return (
        has_all(headers, "subscription_id", "plan_id", "signup_date")
        and has_any(headers, "user_id", "user_email")
        and has_any(headers, "state", "status")
    )


def read(frame: pd.DataFrame) -> Draft:
    """Active and past_due count, trials from the next payment date, paused at paused_from
    (else paused_at), deleted at their cancellation date; MRR from a plan price the user added,
    else from the payments listed."""
    h = list(frame.columns)
    price = columns(h, *_PRICE)
    payment = columns(h, *_PAYMENT)
    if not price and not payment:
        raise ExportError("paddle_classic_no_amount", columns=h)
    attributes = named_headers(h, ("plan", "plan_name", "plan_id"), ("email", "user_email"))
    quantity = columns(h, "quantity")
    cols = Columns(
        customer_id=columns(h, "user_id", "user_email"),
        start=columns(h, "signup_date"),
        amount=price or payment,
        interval=columns(h, "billing_type", "plan.billing_type", "plan_billing_type"),
        interval_count=columns(h, "billing_period", "plan.billing_period", "plan_billing_period"),
        # A payment is the whole charge: the quantity is then only an attribute.
        quantity=quantity if price else (),
        currency=columns(
            h,
            "currency",
            "next_payment.currency",
            "next_payment_currency",
            "last_payment.currency",
            "last_payment_currency",
        ),
        status=columns(h, "state", "status"),
        period_start=columns(h, *_LAST_DATE),
        period_end=columns(h, *_NEXT_DATE),
        plan=columns(h, "plan_id", "plan_name"),
        attributes=attributes,
        dates=_DATES,
    )
    if not cols.interval:
        cols.interval_count = ()  # a count alone says nothing
    if not price and quantity:
        attributes["quantity"] = quantity[0]
    notes = [note("paddle_classic_rules")]
    if price:
        notes.append(note("paddle_classic_price", column=price[0]))
    else:
        notes.append(note("paddle_classic_payments", columns=list(payment)))
    draft = subscription_draft(frame, cols, statuses=STATUSES, cents=False, notes=notes)
    deleted = (text(frame[cols.status[0]]).str.lower() == "deleted").to_numpy()
    no_end = deleted & draft.reasons.coded("no_end")
    if no_end.any():
        draft.notes.append(note("paddle_classic_deleted", count=int(no_end.sum())))
    return draft


VENDOR = Vendor(
    name="paddle_classic_subscriptions",
    label="Paddle Classic subscription users",
    detect=detect,
    read=read,
    needs=(
        "Paddle Classic subscription users: subscription_id, plan_id, user_id or user_email, "
        "state and signup_date"
    ),
    source="https://developer.paddle.com/api-reference/subscription-api/users/listusers",
    priority=60,
    statuses=STATUSES,
)
