"""Recurly's subscriptions export ("Subscriptions - export").

In this order: ``uuid, account_code, email, plan_code, state, auto_renew, currency, quantity,
unit_amount, add_on_amount, total_recurring_amount, current_period_started_at,
current_period_ends_at, trial_started_at, trial_ends_at, total_billing_cycles,
remaining_billing_cycles, activated_at, modified_at, canceled_at, expires_at``, ...,
``plan_name``, ..., ``paused_at``, ..., ``current_term_started_at, current_term_ends_at,
renewal_billing_cycles, shipping_amount_in_cents, shipping_method_code, pricing_model,
current_ramp_id, tax_inclusive, subscription_api_id, gateway_code`` and custom fields last as
``custom_field_<name>``. Amounts in major units (``unit_amount`` 99);
``total_recurring_amount = unit_amount x quantity + add_on_amount`` (114 with 15 of add-ons);
dates like ``2010-03-24 17:18:46 PDT``. The export has no plan interval column: the interval is
the current period's length. States ``pending, active, canceled, expired`` (+ ``future``,
``paused``; ``failed``, which the export's page does not list, is read too and rejected).
``*_in_cents`` columns are read in cents.

States (https://docs.recurly.com/docs/subscriptions, "Subscription Lifecycle"), what each means
for MRR here and where its line ends:

======== ============ ====================================================================
state    meaning      the line
======== ============ ====================================================================
active   paying       runs ("both regular paying subscriptions and subscriptions currently
                      in a trial": a trial's line starts at ``trial_ends_at``)
canceled paying       runs until ``expires_at``: it "will automatically expire at the term
                      renewal date"
expired  ended        ends at ``expires_at`` (else ``canceled_at``): "churned subscriptions
                      that cannot be reactivated", by dunning or by cancelling
paused   paused       ends at ``paused_at``: "currently paused and will not be invoiced"
                      (Recurly counts them as renewing)
future   never paid   rejected: not started yet
pending  never paid   rejected: awaiting its first payment or its start
failed   never paid   rejected: not published on the export's page; read as never activated
======== ============ ====================================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): ``canceled_at`` (the
cancellation; the end is ``expires_at``) and ``paused_at`` (also on an active subscription
whose pause is scheduled). Dunning is no state of its own (a past-due subscription stays
``active`` or ``canceled``) and the export gives no date of it; nor does it give a resume date.
"""

from __future__ import annotations

import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import column, columns, normalise
from ..messages import note
from ..rules import subscription_draft
from .common import TRUE, Vendor, has_all, has_any, named_headers

__all__ = ["VENDOR"]

STATUSES = {
    "active": Rule("count", meaning="paying"),
    # Live until expires_at, the end of the paid term.
    "canceled": Rule("until", meaning="paying"),
    "cancelled": Rule("until", meaning="paying"),
    "expired": Rule("ended", ("canceled_at",), meaning="ended"),
    "paused": Rule("ended", ("paused_at",), meaning="paused"),
    "future": Rule("reject", reason="state_future", meaning="never_paid"),
    "failed": Rule("reject", reason="failed", meaning="never_paid"),
    # Created but not started: awaiting its first payment (a pending purchase) or its start.
    "pending": Rule("reject", reason="state_pending", meaning="never_paid"),
}
_DATES = {
    "canceled_at": ("canceled_at", "subscription_canceled_at"),
    "paused_at": ("paused_at", "subscription_paused_at"),
}

def detect(headers) -> bool:
    """account_code, plan_code or activated_at, and a state."""
    return (
        has_all(headers, "account_code")
        and has_any(headers, "activated_at", "plan_code")
        and has_any(headers, "state", "subscription_state", "status")
    )


def read(frame: pd.DataFrame) -> Draft:
    """Active counts, canceled counts until expires_at, expired ends at expires_at."""
    h = list(frame.columns)
    attributes = named_headers(
        h,
        ("plan", "plan_name", "plan_code"),
        ("churn_reason", "expiration_reason", "cancel_reason"),
        ("customer_name", "company_name", "company"),
        ("email", "email", "account_email"),
    )
    for header in h:
        if normalise(header).startswith("custom field "):
            attributes[normalise(header).removeprefix("custom field ").replace(" ", "_")] = header
    cols = Columns(
        customer_id=columns(h, "account_code"),
        start=columns(h, "activated_at", "subscription_activated_at", "created_at"),
        trial_end=columns(h, "trial_ends_at", "trial_end"),
        end=columns(h, "expires_at", "subscription_expires_at"),
        amount=columns(
            h,
            "unit_amount",
            "subscription_unit_amount",
            "unit_amount_in_cents",
            "subscription_unit_amount_in_cents",
        ),
        interval=columns(
            h, "plan_interval_unit", "interval_unit", "subscription_plan_interval_unit"
        ),
        interval_count=columns(
            h, "plan_interval_length", "interval_length", "subscription_plan_interval_length"
        ),
        quantity=columns(h, "quantity", "subscription_quantity"),
        # total_recurring_amount = unit_amount x quantity + add_on_amount (Recurly's export).
        add_on=columns(h, "add_on_amount", "add_on_amount_in_cents"),
        total=columns(h, "total_recurring_amount", "total_recurring_amount_in_cents"),
        currency=columns(h, "currency", "subscription_currency"),
        status=columns(h, "state", "subscription_state", "status"),
        period_start=columns(
            h, "current_period_started_at", "subscription_current_period_started_at"
        ),
        period_end=columns(
            h,
            "current_period_ends_at",
            "current_period_ended_at",
            "subscription_current_period_ends_at",
        ),
        plan=columns(h, "plan_code", "plan_name"),
        attributes=attributes,
        dates=_DATES,
    )
    draft = subscription_draft(
        frame, cols, statuses=STATUSES, default_months=1.0, notes=[note("recurly_rules")]
    )
    tax_col = column(h, "tax_inclusive")
    if tax_col is not None:
        # The price includes the tax, whose rate the export does not give: it stays in the MRR.
        inclusive = text(frame[tax_col]).str.lower().isin(TRUE).to_numpy() & draft.reasons.ok
        if inclusive.any():
            draft.notes.append(
                note("recurly_tax_inclusive", count=int(inclusive.sum()), column=tax_col)
            )
    return draft


VENDOR = Vendor(
    name="recurly_subscriptions",
    label="Recurly subscriptions export",
    detect=detect,
    read=read,
    needs="Recurly: account_code, plan_code or activated_at, and state",
    source="https://docs.recurly.com/docs/subscriptions-exports",
    priority=40,
    statuses=STATUSES,
)
