"""Chargebee's subscriptions export ("Export data": ``Subscriptions.csv``, columns prefixed with
their entity).

Real files have ``subscriptions.id, subscriptions.plan_id, subscriptions.plan_quantity,
subscriptions.plan_unit_price, subscriptions.plan_quantity_in_decimal,
subscriptions.plan_unit_price_in_decimal, subscriptions.status, subscriptions.start_date,
subscriptions.trial_start, subscriptions.trial_end, subscriptions.current_term_start,
subscriptions.current_term_end, subscriptions.remaining_billing_cycles,
subscriptions.created_at, subscriptions.started_at, subscriptions.cancelled_at,
subscriptions.pause_date, subscriptions.resume_date, subscriptions.po_number,
subscriptions.auto_collection``, custom fields as ``subscriptions.cf_<name>``, then
``customers.id, customers.email`` and ``addresses.*``; no currency column (the amounts are in
the site's currency). Status values as displayed: ``Active, In Trial, Non Renewing, Cancelled,
Paused, Future``; prices in major units. Public migration scripts also name
``subscriptions.customer_id, subscriptions.activated_at, subscriptions.currency_code,
subscriptions.cancel_reason``, read when a file has them.

Statuses (the Subscription object's ``status``,
https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object, and pausing,
https://www.chargebee.com/docs/pause-subscription.html), what each means for MRR here and where
its line ends:

============ ============ ================================================================
status       meaning      the line
============ ============ ================================================================
Active       paying       runs
In Trial     trial        starts at ``trial_end``
Non Renewing paying       runs until ``cancelled_at`` (else ``current_term_end``): cancelled
                          at the end of its paid term
Paused       paused       ends at ``pause_date``: a paused subscription "does not renew, and
                          Chargebee does not generate renewal invoices for it" (Chargebee
                          keeps it out of its churn; whether its MRR stays is issue 15's
                          definitions switch)
Cancelled    ended        ends at ``cancelled_at``
Future       never paid   rejected: not started yet
============ ============ ================================================================

Dates the lines carry (:data:`mrrkit.engine.lines.LINE_DATES`): ``paused_at`` from
``pause_date`` (also on an active subscription with a pause scheduled), ``resumes_at`` from
``resume_date``, ``delinquent_since`` from ``due_since`` (the subscription's dues, where the
file has the column) and ``canceled_at`` from ``cancel_schedule_created_at`` (where the file has
it; ``cancelled_at`` is the end, not the request). Chargebee publishes no MRR rule for
subscriptions in dunning: an ``Active`` one with dues still counts.
"""

from __future__ import annotations

import re

import pandas as pd

from ..cells import text
from ..drafts import Columns, Draft, Rule
from ..headers import attribute_name, column, columns, normalise
from ..messages import note
from ..rules import subscription_draft
from .common import Vendor, add_custom_fields, has_any, named_headers

__all__ = ["VENDOR"]

STATUSES = {
    "active": Rule("count", meaning="paying"),
    "non_renewing": Rule("until", ("subscriptions.cancelled_at", "subscriptions.current_term_end"),
                         meaning="paying"),
    "in_trial": Rule("trial", meaning="trial"),
    "cancelled": Rule("ended", ("subscriptions.cancelled_at",), meaning="ended"),
    "canceled": Rule("ended", ("subscriptions.cancelled_at",), meaning="ended"),
    "paused": Rule("ended", ("subscriptions.pause_date",), meaning="paused"),
    "future": Rule("reject", reason="future", meaning="never_paid"),
}
#: The line dates the export gives: ``cancelled_at`` is when the subscription ends (or ended),
#: not when its cancellation was asked (``cancel_schedule_created_at``, where a file has it).
_DATES = {
    "canceled_at": ("subscriptions.cancel_schedule_created_at",),
    "paused_at": ("subscriptions.pause_date",),
    "resumes_at": ("subscriptions.resume_date",),
    "delinquent_since": ("subscriptions.due_since",),
}

#: ``subscriptions.cf_industry``, ``customers.cf_account_manager``: Chargebee custom fields.
_CUSTOM = re.compile(r"^(?:subscriptions|customers)\.cf_(.*\S)$", re.IGNORECASE)
#: The customer's country: billing address first, else the export's ``addresses.*`` columns.
_COUNTRY = (
    "customers.billing_address_country",
    "customers.billing_address.country",
    "billing_addresses.country",
    "addresses.country",
)


def detect(headers) -> bool:
    """``subscriptions.*`` columns and a customer id."""
    norm = [normalise(x) for x in headers]
    return any(x.startswith("subscriptions ") for x in norm) and has_any(
        headers, "subscriptions.customer_id", "customers.id"
    )


def _filled_first(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[str, ...]:
    """``cols`` without the columns that are empty on every row (all of them if all are): the
    same values once coalesced, and the first one is a column that is read."""
    filled = tuple(c for c in cols if (text(frame[c]) != "").any())
    return filled or cols


def _attributes(h: list) -> dict[str, str]:
    attributes = named_headers(
        h,
        ("plan", "subscriptions.plan_id", "subscription_items.item_price_id"),
        ("churn_reason", "subscriptions.cancel_reason", "subscriptions.cancel_reason_code"),
        ("customer_name", "customers.company"),
        ("email", "customers.email"),
    )
    # Custom fields: subscriptions.cf_<name> and customers.cf_<name> -> attribute <name> (a
    # known one by its app name: cf_sector -> industry), as Stripe metadata keys are.
    add_custom_fields(attributes, h, _CUSTOM, attribute_name)
    if "country" not in attributes:
        found = column(h, *_COUNTRY)
        if found is not None:
            attributes["country"] = found
    return attributes


def read(frame: pd.DataFrame) -> Draft:
    """Active and non-renewing count (non-renewing until their cancel date), trials from their
    end, cancelled at cancelled_at, paused at pause_date; prices in major units."""
    h = list(frame.columns)
    attributes = _attributes(h)
    # The *_in_decimal columns are empty unless the site uses multi-decimal pricing: the
    # mapping then names the column actually read.
    unit_price = _filled_first(
        frame,
        columns(
            h,
            "subscriptions.plan_unit_price_in_decimal",
            "subscriptions.plan_unit_price",
            "subscription_items.unit_price_in_decimal",
            "subscription_items.unit_price",
        ),
    )
    total = _filled_first(
        frame, columns(h, "subscriptions.plan_amount_in_decimal", "subscriptions.plan_amount")
    )
    quantity = _filled_first(
        frame,
        columns(
            h,
            "subscriptions.plan_quantity_in_decimal",
            "subscriptions.plan_quantity",
            "subscription_items.quantity_in_decimal",
            "subscription_items.quantity",
        ),
    )
    cols = Columns(
        customer_id=columns(h, "subscriptions.customer_id", "customers.id"),
        start=columns(
            h,
            "subscriptions.started_at",
            "subscriptions.activated_at",
            "subscriptions.start_date",
            "subscriptions.created_at",
        ),
        trial_end=columns(h, "subscriptions.trial_end"),
        amount=unit_price or total,
        interval=columns(h, "subscriptions.billing_period_unit", "plans.period_unit"),
        interval_count=columns(h, "subscriptions.billing_period", "plans.period"),
        # plan_amount is already unit price x quantity: the quantity is then only an attribute.
        quantity=quantity if unit_price else (),
        currency=columns(h, "subscriptions.currency_code", "customers.preferred_currency_code"),
        status=columns(h, "subscriptions.status"),
        period_start=columns(h, "subscriptions.current_term_start"),
        period_end=columns(h, "subscriptions.current_term_end"),
        plan=columns(h, "subscriptions.plan_id", "subscription_items.item_price_id"),
        attributes=attributes,
        dates=_DATES,
    )
    if not unit_price and quantity:
        attributes["quantity"] = quantity[0]
    draft = subscription_draft(
        frame,
        cols,
        statuses=STATUSES,
        cents=False,
        default_months=1.0,
        notes=[note("chargebee_rules")],
    )
    if not cols.currency:
        # Chargebee's Subscriptions.csv has no currency column: said unless the reading is given
        # a reporting currency (then "no currency column: amounts read as ..." says it).
        draft.no_currency_notes = [note("chargebee_no_currency")]
    return draft


VENDOR = Vendor(
    name="chargebee_subscriptions",
    label="Chargebee subscriptions export",
    detect=detect,
    read=read,
    needs="Chargebee: subscriptions.* columns with subscriptions.customer_id or customers.id",
    source="https://apidocs.chargebee.com/docs/api/exports",
    priority=30,
    statuses=STATUSES,
)
