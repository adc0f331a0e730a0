"""Billing-system exports: which columns each vendor writes and what its statuses mean.

Column names were checked against public material (searched while writing this module):

- **Stripe Dashboard subscriptions export**: ``id, Customer ID, Customer Name, Customer Email,
  Plan, Product, Quantity, Currency, Interval, Amount, Status, Cancellation Reason,
  Created (UTC), Start (UTC)`` or ``Start Date (UTC)``, ``Current Period Start (UTC),
  Current Period End (UTC), Trial Start (UTC), Trial End (UTC), Canceled At (UTC),
  Ended At (UTC)`` and metadata as ``<key> (metadata)`` -- as read by several public scripts
  that parse these exports (e.g. pandas notebooks selecting exactly these columns, and a
  TypeScript importer reading ``Amount`` "as string like 33.00" in major units while the API
  gives cents). Statuses: ``incomplete, incomplete_expired, trialing, active, past_due,
  canceled, unpaid`` (+ ``paused``), as in Stripe's subscription object. Why a subscription
  ended is the subscription's ``cancellation_details`` (Stripe API reference, Subscription
  object): ``reason`` (``cancellation_requested, payment_disputed, payment_failed``: how it
  ended), ``feedback`` (the customer's own pick: ``too_expensive, missing_features,
  switched_service, unused, customer_service, too_complex, low_quality, other``) and
  ``comment`` (free text). Exports write them as ``Cancellation Reason`` and, in some versions,
  ``Cancellation Feedback`` and ``Cancellation Comment`` or ``Cancellation Reason Text``: the
  churn reason is the feedback where the customer gave one, else the ``Cancellation Reason``
  (values kept as Stripe writes them); the free text is kept as ``churn_comment``, never a
  segment (:data:`mrrkit.views.segments.NOTE_COLUMNS`).
- **Stripe invoices**: the Dashboard invoices export has ``id, Customer, Customer Name,
  Subscription, Status, Currency, Amount Due, Subtotal, Tax, Tax Percent, Total, Amount Paid,
  Total Discount Amount, Exclusive Tax Amount, Inclusive Tax Amount, Starting Balance,
  Ending Balance, Date (UTC), Due Date (UTC), Paid At (UTC), Finalized At (UTC),
  Period Start (UTC), Period End (UTC), Minimum Line Item Period Start (UTC),
  Maximum Line Item Period End (UTC), Paid, Closed, Forgiven, Applied Coupons, Number, Billing,
  Charge, Description`` (amounts in major units, e.g. ``Amount Paid`` "9.90", sometimes with a
  decimal comma; an invoice's revenue is its ``Total`` minus its taxes, see
  :func:`_stripe_invoices`); invoice *line items* carry
  ``invoice, subscription, amount, currency, period_start, period_end, proration, type,
  quantity`` (Stripe's line item object). Sigma / Data Pipeline ``invoice_line_items`` has
  ``id, invoice_id, subscription, subscription_item_id, invoice_item_id, source_type, amount``
  (cents) ``, currency, description, discountable, discounts, discount_amounts, quantity,
  period_start, period_end, plan_id, price_id, proration``: the line's type is in
  ``source_type`` (``subscription``, ``invoiceitem``) and there is no invoice status (it is on
  the ``invoices`` table). Both shapes are read; API-style lower-case ``amount`` is read in
  cents.
- **Chargebee** "Export data" CSVs prefix columns with the entity. Real ``Subscriptions.csv``
  files have ``subscriptions.id, subscriptions.plan_id, subscriptions.plan_quantity,
  subscriptions.plan_unit_price, subscriptions.plan_quantity_in_decimal,
  subscriptions.plan_unit_price_in_decimal, subscriptions.status, subscriptions.start_date,
  subscriptions.trial_start, subscriptions.trial_end, subscriptions.current_term_start,
  subscriptions.current_term_end, subscriptions.remaining_billing_cycles,
  subscriptions.created_at, subscriptions.started_at, subscriptions.cancelled_at,
  subscriptions.pause_date, subscriptions.resume_date, subscriptions.po_number,
  subscriptions.auto_collection``, custom fields as ``subscriptions.cf_<name>``, then
  ``customers.id, customers.email`` and ``addresses.*``; no currency column (the amounts are in
  the site's currency). Status values as displayed: ``Active, In Trial, Non Renewing,
  Cancelled, Paused, Future``; prices in major units. Public migration scripts also name
  ``subscriptions.customer_id, subscriptions.activated_at, subscriptions.currency_code,
  subscriptions.cancel_reason``, read when a file has them.
- **Recurly** subscriptions export (docs.recurly.com "Subscriptions - export"), in this order:
  ``uuid, account_code, email, plan_code, state, auto_renew, currency, quantity, unit_amount,
  add_on_amount, total_recurring_amount, current_period_started_at, current_period_ends_at,
  trial_started_at, trial_ends_at, total_billing_cycles, remaining_billing_cycles,
  activated_at, modified_at, canceled_at, expires_at``, ..., ``plan_name``, ...,
  ``paused_at``, ..., ``current_term_started_at, current_term_ends_at,
  renewal_billing_cycles, shipping_amount_in_cents, shipping_method_code, pricing_model,
  current_ramp_id, tax_inclusive, subscription_api_id, gateway_code`` and custom fields last as
  ``custom_field_<name>``. Amounts in major units (``unit_amount`` 99);
  ``total_recurring_amount = unit_amount x quantity + add_on_amount`` (114 with 15 of add-ons);
  dates like ``2010-03-24 17:18:46 PDT``. The export has no plan interval column: the interval
  is the current period's length. States ``pending, active, canceled, expired`` (+ ``future``,
  ``paused``; ``failed``, which the export's page does not list, is read too and rejected).
  ``*_in_cents`` columns are read in cents.
- **Paddle Billing** has no subscriptions report in its dashboard (its reports are
  transactions, adjustments, products/prices, discounts), so a subscriptions file is a flat
  copy of the API's subscription entity: ``id, status, customer_id, currency_code,
  started_at, first_billed_at, next_billed_at, paused_at, canceled_at,
  billing_cycle.interval, billing_cycle.frequency`` and the item's ``price.unit_price.amount``
  (a string in the lowest denomination: 10 USD = "1000") and ``quantity``; statuses
  ``active, trialing, past_due, paused, canceled``. Underscore spellings
  (``billing_cycle_interval``) are accepted too.
- **Paddle Billing transactions report** (dashboard Reports > Transactions, or Transaction line
  items; developer.paddle.com/build/finance/reports/transactions): "column headings on
  transaction reports mirror fields in the Paddle API". The page describes, in order: the
  transaction id, status, invoice number, customer id, customer email, address id and country,
  business id and name, the price ids and discount ids, subscription id, created / updated /
  billed / completed dates, origin, collection mode, custom data, payment terms, the billing
  period's start and end, invoice notes, currency code, then subtotal ("before discount, tax,
  and deductions"), discount, tax, total ("after discount and tax"), credit, grand total, fee,
  earnings, and the same totals in the balance currency with the exchange rate. The literal
  headings were not visible in any copy found, so each is read under its API name in the
  spellings a flattened export uses (``subscription_id``, ``billing_period.starts_at`` or
  ``billing_period_starts_at``, ``details.totals.subtotal`` or ``subtotal``...). Statuses
  ``draft, ready, billed, paid, completed, past_due, canceled``; origins ``web, api,
  subscription_recurring, subscription_update, subscription_charge,
  subscription_payment_method_change``. Since March 2024 a prorated subscription change is one
  transaction whose items and totals may be negative (the credit for removed items), not a
  separate adjustment (Paddle changelog "Improvements to how proration is processed").
  Refunds, credits and chargebacks are in the separate adjustments report.
- **Paddle Classic** subscription users (API ``/2.0/subscription/users``, as flattened by
  export scripts): ``subscription_id, plan_id, user_id, user_email, marketing_consent,
  update_url, cancel_url, state, signup_date, last_payment {amount, currency, date},
  next_payment {amount, currency, date}, payment_information, quantity, paused_at,
  paused_from``; states ``active, past_due, trialing, paused, deleted``; amounts in major units
  (``"amount": 10`` is 10 USD). It carries no plan price, interval or cancellation date.
- **Baremetrics** import template: ``plan_oid, plan_name, plan_currency, plan_amount`` (cents,
  "$1 == 100"), ``plan_interval`` (week, month, year), ``plan_interval_count, customer_oid,
  customer_name, customer_email, subscription_oid, subscription_started_at``,
  ``subscription_canceled_at`` (cancellation date, not period end; YYYY-MM-DD),
  ``subscription_quantity`` (default 1).

Where an export names the customer or gives its email (Stripe's ``Customer Name`` or
``Customer Description`` and ``Customer Email``, Chargebee's ``customers.company`` and
``customers.email``, Recurly's ``company_name`` and ``email``, Paddle's ``business_name`` and
``customer_email`` or ``user_email``, Baremetrics' ``customer_name`` and ``customer_email``), they
are kept as the attributes ``customer_name`` and ``email``: shown next to the customer's id and
searched, never segments (:data:`mrrkit.views.segments.IDENTITY_COLUMNS`).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from .errors import ExportError
from .formats import (
    MAX_MRR,
    Columns,
    Credits,
    DateColumns,
    Draft,
    Reasons,
    Rule,
    cents_divisor,
    column,
    columns,
    months_between,
    per_value,
    subscription_draft,
    text,
)
from .headers import attribute_name, is_cents, normalise
from .notes import Note, note
from .parse import parse_amounts

__all__ = ["REFUSED", "VENDORS"]


def _has(headers, *names) -> bool:
    return all(column(headers, n) is not None for n in names)


def _any(headers, *names) -> bool:
    return any(column(headers, n) is not None for n in names)


# --------------------------------------------------------------------------------------------
# Stripe subscriptions
# --------------------------------------------------------------------------------------------

_STRIPE_STATUSES = {
    "active": Rule("count"),
    "past_due": Rule("count"),
    "trialing": Rule("trial"),
    "canceled": Rule("ended", ("Canceled At (UTC)", "Canceled At")),
    "cancelled": Rule("ended", ("Canceled At (UTC)", "Canceled At")),
    "incomplete": Rule(
        "reject", reason="status 'incomplete': first payment never succeeded (not MRR)"
    ),
    "incomplete_expired": Rule(
        "reject", reason="status 'incomplete_expired': never paid (not MRR)"
    ),
    "unpaid": Rule(
        "reject", reason="status 'unpaid': Stripe leaves unpaid subscriptions out of MRR"
    ),
    "paused": Rule("reject", reason="status 'paused': no payment collected (not MRR)"),
}
_METADATA = re.compile(r"^(.*\S)\s*\(metadata\)$", re.IGNORECASE)
#: Names a metadata key cannot take as an attribute: the canonical line's own columns.
_RESERVED = {"customer_id", "start", "end", "mrr", "currency", "quantity"}


_STRIPE_AMOUNT = ("Amount", "Plan Amount", "Price Amount", "Amount (cents)", "Plan Amount (cents)")
#: The churn reason: the customer's feedback first, then how the subscription ended.
_STRIPE_CHURN_REASON = (
    "Cancellation Feedback", "Cancellation Details Feedback",
    "Cancellation Reason", "Cancellation Details Reason",
)
#: What the customer wrote when cancelling: kept, never a segment.
_STRIPE_CHURN_COMMENT = (
    "Cancellation Comment", "Cancellation Details Comment", "Cancellation Reason Text",
)
_STRIPE_INTERVAL = ("Interval", "Plan Interval", "Price Interval")


def _detect_stripe_subscriptions(headers) -> bool:
    # Some Dashboard exports name the price columns "Plan Amount", "Plan Interval"...; an
    # export without any interval column is still read (interval from the current period).
    return (
        _has(headers, "Customer ID", "Status")
        and _any(headers, *_STRIPE_AMOUNT)
        and (_any(headers, *_STRIPE_INTERVAL) or _has(headers, "Current Period End (UTC)"))
        and any(str(h).strip().endswith("(UTC)") for h in headers)
    )


def _coalesced(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    """The first non-blank cell of ``cols`` on each row, as text ("" where all are blank)."""
    out = text(frame[cols[0]])
    for col in cols[1:]:
        out = out.where(out != "", text(frame[col]))
    return out


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


def _stripe_subscriptions(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    attributes = {}
    for name, *cands in (
        ("plan", "Plan", "Plan Nickname", "Plan price ID", "Price ID", "Plan ID", "Price"),
        ("product", "Product", "Product Name"),
        ("churn_reason", *_STRIPE_CHURN_REASON),
        ("churn_comment", *_STRIPE_CHURN_COMMENT),
        ("customer_name", "Customer Name", "Customer Description"),
        ("email", "Customer Email"),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
    for header in h:
        m = _METADATA.match(str(header))
        if m:
            key = m.group(1).strip()
            # A key named like a canonical column or another attribute keeps its header.
            taken = key in attributes or key.lower() in _RESERVED
            attributes[str(header) if taken else key] = header
    cols = Columns(
        customer_id=columns(h, "Customer ID", "Customer"),
        start=columns(h, "Start Date (UTC)", "Start (UTC)", "Start Date", "Created (UTC)"),
        trial_end=columns(h, "Trial End (UTC)", "Trial End"),
        end=columns(h, "Ended At (UTC)", "Ended At"),
        amount=columns(h, *_STRIPE_AMOUNT),
        interval=columns(h, *_STRIPE_INTERVAL),
        interval_count=columns(h, "Interval Count", "Plan Interval Count", "Price Interval Count"),
        quantity=columns(h, "Quantity"),
        currency=columns(h, "Currency", "Plan Currency", "Price Currency"),
        status=columns(h, "Status"),
        period_start=columns(h, "Current Period Start (UTC)", "Current Period Start"),
        period_end=columns(h, "Current Period End (UTC)", "Current Period End"),
        plan=columns(h, "Plan", "Plan price ID", "Price ID", "Plan ID", "Price", "Plan Nickname"),
        attributes=attributes,
    )
    notes = [
        note("Stripe rules: active and past_due count, trials from their end, churn at Ended At")
    ]
    # Major units ("49.00") unless the header says cents ("Amount (cents)").
    draft = subscription_draft(frame, cols, statuses=_STRIPE_STATUSES, notes=notes)
    # Exports name the customer "Customer Name" or (older ones, and customers with a description
    # only) "Customer Description": a blank name takes the description.
    names = columns(h, "Customer Name", "Customer Description")
    if len(names) > 1:
        draft.attributes["customer_name"] = _coalesced(frame, names)
    # A churn with the customer's feedback has it as its reason; one without (a failed payment,
    # a cancellation with no answer) keeps Stripe's "Cancellation Reason". Likewise the comment.
    for name, candidates in (
        ("churn_reason", _STRIPE_CHURN_REASON), ("churn_comment", _STRIPE_CHURN_COMMENT)
    ):
        found = columns(h, *candidates)
        if len(found) > 1:
            draft.attributes[name] = _coalesced(frame, found)
    amount = cols.amount[0]
    if not is_cents(amount) and _whole_numbers_only(frame[amount], draft.reasons.ok):
        written = text(frame[amount])
        written = written[(written != "").to_numpy() & draft.reasons.ok]
        draft.notes.append(
            note(
                "every {column!r} is a whole number with no decimals (e.g. {example}): read as "
                "major units, as the Dashboard writes them (49.00). If they are cents, as "
                "Stripe's API gives them, rename the column {renamed!r} and read it again",
                column=amount,
                example=written.iloc[0],
                renamed=amount + " (cents)",
            )
        )
    coupon = column(h, "Coupon", "Coupon ID", "Discount")
    if coupon is not None:
        with_coupon = int(((text(frame[coupon]) != "").to_numpy() & draft.reasons.ok).sum())
        if with_coupon:
            draft.notes.append(
                note(
                    "{count} subscription(s) carry a coupon ({column!r}) whose amount the "
                    "subscriptions export does not give: their MRR is before the discount. The "
                    "invoice line items export gives discounted MRR",
                    count=with_coupon,
                    column=coupon,
                )
            )
    return draft


# --------------------------------------------------------------------------------------------
# Stripe invoices and invoice line items
# --------------------------------------------------------------------------------------------

_PERIOD_START = (
    "Minimum Line Item Period Start (UTC)",
    "Line Item Period Start (UTC)",
    "Period Start (UTC)",
    "Period Start",
    "period_start",
    "period.start",
)
_PERIOD_END = (
    "Maximum Line Item Period End (UTC)",
    "Line Item Period End (UTC)",
    "Period End (UTC)",
    "Period End",
    "period_end",
    "period.end",
)


def _detect_stripe_invoices(headers) -> bool:
    return (
        _any(headers, *_PERIOD_START)
        and _any(headers, *_PERIOD_END)
        and _any(headers, "Subscription", "Subscription ID", "subscription", "subscription_id")
        and _any(
            headers, "Amount", "amount", "Subtotal", "Amount Excluding Tax", "amount_excluding_tax"
        )
    )


def _stripe_invoices(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    n = len(frame)
    reasons = Reasons(n)
    notes: list[Note] = [
        note(
            "Stripe invoices: each paid subscription line is a line over its service period, "
            "MRR = amount / months"
        )
    ]
    invoice_level = column(h, "Minimum Line Item Period Start (UTC)") is not None
    customer_col = column(h, "Customer ID", "Customer", "customer", "customer_id")
    invoice_col = column(h, "Invoice ID", "invoice_id", "invoice") or (
        column(h, "id") if invoice_level else None
    )
    sub_col = column(h, "Subscription ID", "Subscription", "subscription", "subscription_id")
    # Revenue of a whole invoice (the Dashboard invoices export), after every discount and
    # without tax. Stripe's invoice ``subtotal`` is "before any invoice level discount or
    # exclusive tax", item discounts "already incorporated", and includes inclusive tax;
    # ``total_discount_amounts`` aggregates every discount, item-level ones too; ``total`` is
    # "after discounts and taxes" and ``total_excluding_tax`` "including all discounts but
    # excluding all tax" (Stripe API reference, Invoice object). So Subtotal - Total Discount
    # Amount takes item discounts off twice and keeps inclusive tax: the revenue is Total minus
    # its taxes (Exclusive Tax Amount and Inclusive Tax Amount, else Tax, the sum of all the
    # invoice's tax amounts). Only a file without Total falls back on the subtotal.
    tax_cols: tuple[str, ...] = ()
    from_total = None
    if invoice_level:
        from_total = column(h, "Total Excluding Tax", "total_excluding_tax")
        if from_total is None and column(h, "Total") is not None:
            tax_cols = columns(h, "Exclusive Tax Amount", "Inclusive Tax Amount") or columns(
                h, "Tax"
            )
            from_total = column(h, "Total") if tax_cols else None
        amount_cols = (
            (from_total,)
            if from_total
            else columns(h, "Subtotal Excluding Tax", "Subtotal", "Amount Due")
        )
    else:
        amount_cols = columns(h, "Amount Excluding Tax", "amount_excluding_tax", "Amount", "amount")
    line_discount_col = column(h, "Discount Amount", "discount_amount", "Discount", "Line Discount")
    invoice_discount_col = column(
        h, "Total Discount Amount", "Invoice Discount", "total_discount_amount"
    )
    if from_total:  # the total is after every discount
        line_discount_col = invoice_discount_col = None
    status_col = column(h, "Invoice Status", "invoice_status", "Status", "status")
    currency_col = column(h, "Currency", "currency")
    start_col = column(h, *_PERIOD_START)
    end_col = column(h, *_PERIOD_END)

    if customer_col:
        customer = text(frame[customer_col])
    elif sub_col:
        # Warehouse and Sigma line-item tables carry no customer (it is on the invoice).
        customer = text(frame[sub_col])
        notes.append(
            note(
                "no customer column: each subscription ({column!r}) is read as its own "
                "customer; join the invoices' customer to the lines for customer-level figures",
                column=sub_col,
            )
        )
    else:
        customer = pd.Series([""] * n, index=frame.index, dtype="str")
    if customer_col or not sub_col:
        # (A line without subscription, in a table without customers, is a one-off item.)
        reasons.reject((customer == "").to_numpy(), "missing customer id")
    currency = text(frame[currency_col]).str.upper() if currency_col else None

    if status_col:
        status = text(frame[status_col]).str.lower()
        unpaid = (status != "paid").to_numpy()
        reasons.reject(
            unpaid,
            per_value(status, lambda s: f"invoice status {s!r}: only paid invoices count"),
        )
    else:
        # Sigma / Data Pipeline's invoice_line_items has no status: it is on the invoices table.
        notes.append(
            note(
                "no invoice status column (line item tables such as Stripe Sigma's "
                "invoice_line_items have none): every line is read as paid, including lines of "
                "draft, open, void or uncollectible invoices. Keep only the lines of paid "
                "invoices (join the invoices' status on the invoice id) for exact MRR"
            )
        )

    subscription = (
        text(frame[sub_col]) if sub_col else pd.Series([""] * n, index=frame.index, dtype="str")
    )
    reasons.reject((subscription == "").to_numpy(), "one-off item, not recurring")
    # The line's type: "subscription" or "invoiceitem" (Sigma / Data Pipeline: source_type).
    type_col = column(h, "Type", "type", "Line Item Type", "source_type")
    proration_col = column(h, "Proration", "proration", "Is Proration")
    proration = (
        text(frame[proration_col]).str.lower().isin(["true", "1", "yes", "t"]).to_numpy()
        if proration_col
        else None
    )
    if type_col and proration is not None:
        # An invoice item that is no proration is a one-off charge, even on a subscription's
        # invoice (Stripe's MRR leaves one-off items out).
        one_off = (text(frame[type_col]).str.lower() == "invoiceitem").to_numpy() & ~proration
        reasons.reject(one_off, "one-off item, not recurring")

    dates = DateColumns(frame, [start_col, end_col])
    start = dates.get(start_col)
    end = dates.get(end_col)
    reasons.reject(start.bad, f"start: cannot read the date in {start_col!r}")
    reasons.reject(end.bad, f"end: cannot read the date in {end_col!r}")
    reasons.reject(
        start.values.isna().to_numpy() | end.values.isna().to_numpy(), "missing service period"
    )
    s = start.values.to_numpy()
    e = end.values.to_numpy()
    reasons.reject((e < s) & ~np.isnat(e) & ~np.isnat(s), "end date before start date")
    reasons.reject((e == s) & ~np.isnat(s), "one-off item, not recurring")

    amount = np.full(n, np.nan)
    for col in amount_cols:
        parsed = parse_amounts(frame[col])
        if parsed.convention == "decimal ','":
            notes.append(note("{column!r} read with a decimal comma", column=col))
        reasons.reject(parsed.bad, f"amount: cannot read the number in {col!r}")
        v = parsed.values.to_numpy()
        amount = np.where(np.isnan(amount), v, amount)
    reasons.reject(np.isnan(amount), "missing amount")
    for col in tax_cols:
        parsed = parse_amounts(frame[col])
        if parsed.convention == "decimal ','":
            notes.append(note("{column!r} read with a decimal comma", column=col))
        reasons.reject(parsed.bad, f"tax: cannot read the number in {col!r}")
        amount = amount - np.nan_to_num(parsed.values.to_numpy())  # an empty cell: no tax
    if tax_cols:
        notes.append(
            note(
                "invoice revenue = {total!r} minus tax ({columns}): after every discount, tax "
                "excluded (Stripe's subtotal already has item discounts taken off: subtotal "
                "minus the total discount amount would take them off twice)",
                total=from_total,
                columns=list(tax_cols),
            )
        )
    discount = np.zeros(n)
    if line_discount_col:
        parsed = parse_amounts(frame[line_discount_col])
        reasons.reject(parsed.bad, f"discount: cannot read the number in {line_discount_col!r}")
        discount += np.nan_to_num(parsed.values.to_numpy())
    if invoice_discount_col and invoice_discount_col != line_discount_col:
        parsed = parse_amounts(frame[invoice_discount_col])
        reasons.reject(parsed.bad, f"discount: cannot read the number in {invoice_discount_col!r}")
        inv_discount = np.nan_to_num(parsed.values.to_numpy())
        if invoice_level or invoice_col is None:
            discount += inv_discount
        else:
            # An invoice-wide discount repeated on each of its lines: share it by line amount.
            share_base = np.where(reasons.ok & (amount > 0), amount, 0.0)
            invoice = text(frame[invoice_col]).to_numpy()
            totals = pd.Series(share_base).groupby(invoice).transform("sum").to_numpy()
            first = pd.Series(inv_discount).groupby(invoice).transform("first").to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                discount += np.where(totals > 0, first * share_base / totals, 0.0)
        notes.append(note("discounts from {column!r} applied", column=invoice_discount_col))
    json_discount_col = column(h, "discount_amounts")
    if json_discount_col and json_discount_col != line_discount_col:
        # The API's list of discounts on a line: [{"amount": 500, "discount": "di_..."}].
        parsed = _json_discounts(frame[json_discount_col])
        reasons.reject(np.isnan(parsed), f"discount: cannot read {json_discount_col!r}")
        discount += np.nan_to_num(parsed)
        notes.append(note("discounts from {column!r} applied", column=json_discount_col))
    net = amount - discount
    header = amount_cols[0] if amount_cols else ""
    api_style = bool(header) and header == header.lower() and " " not in header
    if api_style:
        net = net / cents_divisor(currency, n)
        notes.append(
            note("{column!r} read in cents (Stripe API/Sigma column names)", column=header)
        )
    else:
        notes.append(
            note("amounts read in major units, taxes excluded (Stripe Dashboard export)")
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        months = months_between(s, e)
        mrr = net / months
    reasons.reject(~np.isfinite(mrr), "amount cannot be read")
    reasons.reject(np.abs(mrr) > MAX_MRR, "amount too large (over 10 billion a month)")

    attributes = {}
    for name, *cands in (
        ("plan", "Plan", "Price", "Plan Nickname", "plan_id", "price_id", "price"),
        ("product", "Product", "Product Name", "product", "product_id"),
        ("quantity", "Quantity", "quantity"),
        ("customer_name", "Customer Name"),
        ("email", "Customer Email", "customer_email"),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = text(frame[found])
    # A proration credit ("Unused time on Pro after 15 Feb") reduces the charge of its price on
    # its subscription, which started before it; the charge for the new price made by the same
    # change ("Remaining time on Basic", also a proration) does not carry it.
    credits = Credits(
        subscription,
        plan=attributes.get("plan"),
        covers_same_day=None if proration is None else ~proration,
    )
    if (reasons.ok & (mrr < 0)).any():
        notes.append(
            note(
                "credits for unused time (negative lines) are kept only when the charge they "
                "reduce is in the file: a credit whose charge was invoiced before the export's "
                "first date is rejected"
            )
        )
    mapping = {
        k: v
        for k, v in {
            "customer_id": customer_col,
            "start": start_col,
            "end": end_col,
            "amount": header or None,
            "currency": currency_col,
            "status": status_col,
            "subscription": sub_col,
            "invoice": invoice_col,
        }.items()
        if v
    }
    return Draft(
        customer_id=customer,
        start=start.values,
        end=end.values,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping=mapping,
        notes=notes,
        credits=credits,
    )


def _json_discounts(col: pd.Series) -> np.ndarray:
    """Sum of the ``amount`` fields of a JSON list per cell; 0 for an empty cell or ``[]``, NaN
    for a cell that is no such list."""
    cells = text(col)
    codes, uniques = pd.factorize(cells)

    def total(cell: str) -> float:
        if cell in ("", "[]", "null"):
            return 0.0
        try:
            items = json.loads(cell)
            return float(sum(float(item["amount"]) for item in items))
        except (ValueError, TypeError, KeyError):
            return np.nan

    table = np.array([total(u) for u in uniques] + [0.0])
    return table[codes]


# --------------------------------------------------------------------------------------------
# Chargebee
# --------------------------------------------------------------------------------------------

_CHARGEBEE_STATUSES = {
    "active": Rule("count"),
    "non_renewing": Rule("until", ("subscriptions.cancelled_at", "subscriptions.current_term_end")),
    "in_trial": Rule("trial"),
    "cancelled": Rule("ended", ("subscriptions.cancelled_at",)),
    "canceled": Rule("ended", ("subscriptions.cancelled_at",)),
    "paused": Rule("ended", ("subscriptions.pause_date",)),
    "future": Rule("reject", reason="status 'future': not started yet"),
}


#: ``subscriptions.cf_industry``, ``customers.cf_account_manager``: Chargebee custom fields.
_CHARGEBEE_CUSTOM = re.compile(r"^(?:subscriptions|customers)\.cf_(.*\S)$", re.IGNORECASE)
#: The customer's country: billing address first, else the export's ``addresses.*`` columns.
_CHARGEBEE_COUNTRY = (
    "customers.billing_address_country",
    "customers.billing_address.country",
    "billing_addresses.country",
    "addresses.country",
)


def _filled_first(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[str, ...]:
    """``cols`` without the columns that are empty on every row (all of them if all are): the
    same values once coalesced, and the first one is a column that is read."""
    filled = tuple(c for c in cols if (text(frame[c]) != "").any())
    return filled or cols


def _detect_chargebee(headers) -> bool:
    norm = [normalise(x) for x in headers]
    return any(x.startswith("subscriptions ") for x in norm) and _any(
        headers, "subscriptions.customer_id", "customers.id"
    )


def _chargebee(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    attributes = {}
    for name, *cands in (
        ("plan", "subscriptions.plan_id", "subscription_items.item_price_id"),
        ("churn_reason", "subscriptions.cancel_reason", "subscriptions.cancel_reason_code"),
        ("customer_name", "customers.company"),
        ("email", "customers.email"),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
    for header in h:
        # Custom fields: subscriptions.cf_<name> and customers.cf_<name> -> attribute <name>
        # (a known one by its app name: cf_sector -> industry), as Stripe metadata keys are.
        m = _CHARGEBEE_CUSTOM.match(str(header))
        if m:
            key = attribute_name(m.group(1))
            taken = key in attributes or key.lower() in _RESERVED
            attributes[str(header) if taken else key] = header
    if "country" not in attributes:
        found = column(h, *_CHARGEBEE_COUNTRY)
        if found is not None:
            attributes["country"] = found
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
    )
    if not unit_price and quantity:
        attributes["quantity"] = quantity[0]
    notes = [
        note(
            "Chargebee rules: active and non-renewing count (non-renewing until their cancel "
            "date), trials from their end, cancelled at cancelled_at, paused at pause_date; "
            "prices read in major units"
        )
    ]
    draft = subscription_draft(
        frame, cols, statuses=_CHARGEBEE_STATUSES, cents=False, default_months=1.0, notes=notes
    )
    if not cols.currency:
        # Chargebee's Subscriptions.csv has no currency column: said unless the reading is given
        # a reporting currency (then "no currency column: amounts read as ..." says it).
        draft.no_currency_notes = [
            note(
                "no currency column: every amount read as one currency, the site's. A "
                "Chargebee site billing in several currencies must export one file per "
                "currency, or add a column 'subscriptions.currency_code'"
            )
        ]
    return draft


# --------------------------------------------------------------------------------------------
# Recurly
# --------------------------------------------------------------------------------------------

_RECURLY_STATUSES = {
    "active": Rule("count"),
    "canceled": Rule("until"),  # live until expires_at, the end of the paid term
    "cancelled": Rule("until"),
    "expired": Rule("ended", ("canceled_at",)),
    "paused": Rule("ended", ("paused_at",)),
    "future": Rule("reject", reason="state 'future': not started yet"),
    "failed": Rule("reject", reason="state 'failed': never activated"),
    # Created but not started: awaiting its first payment (a pending purchase) or its start.
    "pending": Rule(
        "reject", reason="state 'pending': not started yet (awaiting payment), never counted"
    ),
}

_TRUE = ("true", "1", "yes", "t", "y")


def _detect_recurly(headers) -> bool:
    return (
        _has(headers, "account_code")
        and _any(headers, "activated_at", "plan_code")
        and _any(headers, "state", "subscription_state", "status")
    )


def _recurly(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    attributes = {}
    for name, *cands in (
        ("plan", "plan_name", "plan_code"),
        ("churn_reason", "expiration_reason", "cancel_reason"),
        ("customer_name", "company_name", "company"),
        ("email", "email", "account_email"),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
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
    )
    notes = [
        note(
            "Recurly rules: active counts, canceled counts until expires_at, expired ends at "
            "expires_at"
        )
    ]
    draft = subscription_draft(
        frame, cols, statuses=_RECURLY_STATUSES, default_months=1.0, notes=notes
    )
    tax_col = column(h, "tax_inclusive")
    if tax_col is not None:
        # The price includes the tax, whose rate the export does not give: it stays in the MRR.
        inclusive = text(frame[tax_col]).str.lower().isin(_TRUE).to_numpy() & draft.reasons.ok
        if inclusive.any():
            draft.notes.append(
                note(
                    "{count} row(s) with tax-inclusive prices ({column!r}): their MRR includes "
                    "the tax, as the export gives no tax rate to take it out",
                    count=int(inclusive.sum()),
                    column=tax_col,
                )
            )
    return draft


# --------------------------------------------------------------------------------------------
# Paddle Billing
# --------------------------------------------------------------------------------------------

_PADDLE_STATUSES = {
    "active": Rule("count"),
    "past_due": Rule("count"),
    "trialing": Rule("trial", ("next_billed_at",)),
    "canceled": Rule("ended", ("canceled_at",)),
    "paused": Rule("ended", ("paused_at",)),
}


def _detect_paddle(headers) -> bool:
    return _has(headers, "customer_id", "currency_code") and _any(
        headers,
        "next_billed_at",
        "first_billed_at",
        "billing_cycle.interval",
        "billing_cycle_interval",
    )


def _paddle(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    attributes = {}
    for name, *cands in (
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
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
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
        period_start=columns(
            h, "current_billing_period.starts_at", "current_billing_period_starts_at"
        ),
        period_end=columns(h, "current_billing_period.ends_at", "current_billing_period_ends_at"),
        plan=columns(h, "price.id", "price_id", "items[0].price.id", "price.name", "price_name"),
        attributes=attributes,
    )
    notes = [
        note(
            "Paddle rules: active and past_due count, trials from next_billed_at, churn at "
            "canceled_at (paused at paused_at); unit prices read in the lowest denomination "
            "(cents)"
        )
    ]
    return subscription_draft(frame, cols, statuses=_PADDLE_STATUSES, cents=True, notes=notes)


# --------------------------------------------------------------------------------------------
# Paddle Billing transactions report (and its line-items variant)
# --------------------------------------------------------------------------------------------

#: Each role under the API field's name, as a flattened export may spell it.
_PT_SUBSCRIPTION = ("subscription_id", "subscription.id")
_PT_PERIOD_START = (
    "proration.billing_period.starts_at",
    "proration_billing_period_starts_at",
    "billing_period.starts_at",
    "billing_period_starts_at",
    "billing_period_start",
)
_PT_PERIOD_END = (
    "proration.billing_period.ends_at",
    "proration_billing_period_ends_at",
    "billing_period.ends_at",
    "billing_period_ends_at",
    "billing_period_end",
)
_PT_SUBTOTAL = ("details.totals.subtotal", "totals.subtotal", "subtotal")
_PT_DISCOUNT = ("details.totals.discount", "totals.discount", "discount")
_PT_TAX = ("details.totals.tax", "totals.tax", "tax")
_PT_TOTAL = ("details.totals.total", "totals.total", "total")
#: Every money column of the report: whether any of them is written with decimals tells the
#: file's unit (Paddle's API writes amounts as whole numbers in the lowest denomination).
_PT_MONEY = (
    *_PT_SUBTOTAL,
    *_PT_DISCOUNT,
    *_PT_TAX,
    *_PT_TOTAL,
    "credit",
    "grand_total",
    "fee",
    "earnings",
    "balance",
    "credit_to_balance",
    "balance_subtotal",
    "balance_discount",
    "balance_tax",
    "balance_total",
    "balance_fee",
    "balance_earnings",
    "details.totals.grand_total",
    "details.totals.fee",
    "details.totals.earnings",
    "unit_price",
    "unit_price.amount",
    "price.unit_price.amount",
)
_PT_COUNTED = ("completed", "paid", "billed", "past_due")
_PT_STATUS_REASONS = {
    "draft": "transaction status 'draft': not billed (an open checkout or an unfinished invoice)",
    "ready": "transaction status 'ready': not billed yet",
    "canceled": "transaction status 'canceled': no longer due (not MRR)",
    "cancelled": "transaction status 'canceled': no longer due (not MRR)",
}
_PT_ORIGIN_REASONS = {
    "subscription_charge": "one-off item, not recurring",
    "subscription_payment_method_change": (
        "payment method update (origin subscription_payment_method_change): not a charge"
    ),
}
_PT_KNOWN_ORIGINS = {
    "web",
    "api",
    "subscription_recurring",
    "subscription_update",
    *_PT_ORIGIN_REASONS,
}


def _detect_paddle_transactions(headers) -> bool:
    return (
        _any(headers, *_PT_SUBSCRIPTION)
        and _any(headers, *_PT_PERIOD_START)
        and _any(headers, *_PT_PERIOD_END)
        and _any(headers, *_PT_SUBTOTAL, *_PT_TOTAL)
        and _any(headers, "currency_code", "origin", "collection_mode")
    )


def _written_whole(col: pd.Series) -> bool:
    """Whether every readable cell of a money column is a whole number written without decimals
    (``2900``, ``-500``); a column of numbers (a spreadsheet) is whole when every value is."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        v = v[np.isfinite(v)]
        return bool(np.all(v == np.round(v)))
    cells = text(col)
    # Unreadable cells ("n/a") are rejected row by row; they say nothing about the unit.
    readable = (cells != "").to_numpy() & ~parse_amounts(col).bad
    return bool(cells[readable].str.fullmatch(r"[-+]?\d+").all())


def _item_column(frame: pd.DataFrame) -> str | None:
    """The column holding transaction item ids (``txnitm_...``), whatever its heading."""
    for h in frame.columns:
        cells = text(frame[h].iloc[:200])
        cells = cells[cells != ""]
        if len(cells) and cells.str.startswith("txnitm_").all():
            return h
    return None


def _paddle_transactions(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    n = len(frame)
    reasons = Reasons(n)
    notes: list[Note] = [
        note(
            "Paddle transactions report: each billed subscription transaction is a line over "
            "its billing period, MRR = (subtotal - discount, tax excluded) / months in the period"
        )
    ]
    empty = pd.Series([""] * n, index=frame.index, dtype="str")
    customer_col = column(h, "customer_id", "customer.id")
    email_col = column(h, "customer_email", "customer.email")
    sub_col = column(h, *_PT_SUBSCRIPTION)
    status_col = column(h, "status", "transaction_status", "transaction.status")
    origin_col = column(h, "origin", "transaction_origin", "transaction.origin")
    currency_col = column(h, "currency_code", "currency")
    start_cols = columns(h, *_PT_PERIOD_START)
    end_cols = columns(h, *_PT_PERIOD_END)
    txn_col = column(h, "transaction_id", "transaction.id") or column(h, "id")
    item_col = _item_column(frame)

    # Customer: Paddle's customer id, else the email (said in the notes).
    customer = text(frame[customer_col]) if customer_col else empty
    if email_col:
        email = text(frame[email_col])
        by_email = ((customer == "") & (email != "")).to_numpy()
        if by_email.any():
            customer = customer.where(~by_email, email)
            notes.append(
                note(
                    "{count} row(s) without {column!r}: customer read from {email!r}",
                    count=int(by_email.sum()),
                    column=customer_col or "customer_id",
                    email=email_col,
                )
            )

    # Status first: a draft checkout has no customer yet, and its status says why it is out.
    if status_col:
        status = text(frame[status_col]).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
        counted = status.isin(_PT_COUNTED).to_numpy()

        def status_reason(s: str) -> str:
            if s == "":
                return "missing transaction status"
            return _PT_STATUS_REASONS.get(s, f"unknown transaction status {s!r}")

        reasons.reject(~counted, per_value(status, status_reason))
    else:
        status = empty
        notes.append(note("no status column: every transaction read as billed"))
    reasons.reject((customer == "").to_numpy(), "missing customer id")

    subscription = text(frame[sub_col]) if sub_col else empty
    no_subscription = (subscription == "").to_numpy()
    # A paid checkout is not processed yet: its subscription id comes with 'completed'.
    reasons.reject(
        no_subscription & (status == "paid").to_numpy(),
        "transaction status 'paid' without a subscription id yet: Paddle adds it when the "
        "transaction is completed (export the report again later)",
    )
    if origin_col:
        origin = text(frame[origin_col]).str.lower()
        reasons.reject(
            origin.isin(list(_PT_ORIGIN_REASONS)).to_numpy(),
            per_value(origin, lambda o: _PT_ORIGIN_REASONS.get(o, "")),
        )
        other = sorted(set(origin[reasons.ok]) - _PT_KNOWN_ORIGINS - {""})
        if other:
            notes.append(
                note(
                    "origins not documented by Paddle, read like the others: {origins}",
                    origins=other,
                )
            )
    reasons.reject(no_subscription, "one-off item, not recurring")

    # The billing period: an item's proration period when the file has one, else the
    # transaction's (a column only fills the gaps of the one before).
    dates = DateColumns(frame, [*start_cols[:1], *end_cols[:1]])

    def period_bound(cols_: tuple[str, ...], what: str) -> pd.Series:
        out = None
        for col in cols_:
            parsed = dates.get(col)
            reasons.reject(parsed.bad, f"{what}: cannot read the date in {col!r}")
            out = parsed.values if out is None else out.fillna(parsed.values)
        return out

    start = period_bound(start_cols, "start")
    end = period_bound(end_cols, "end")
    s = start.to_numpy()
    e = end.to_numpy()
    reasons.reject(np.isnat(s) & np.isnat(e), "one-off item, not recurring")
    reasons.reject(np.isnat(s) | np.isnat(e), "missing billing period start or end")
    reasons.reject((e < s) & ~np.isnat(e) & ~np.isnat(s), "end date before start date")
    reasons.reject((e == s) & ~np.isnat(s), "one-off item, not recurring")

    # Money: subtotal - discount (tax excluded), else total - tax.
    def amounts(cols_, what):
        found = column(h, *cols_)
        if found is None:
            return None, None
        parsed = parse_amounts(frame[found])
        reasons.reject(parsed.bad, f"{what}: cannot read the number in {found!r}")
        return parsed.values.to_numpy(), found

    subtotal, subtotal_col = amounts(_PT_SUBTOTAL, "amount")
    discount, discount_col = amounts(_PT_DISCOUNT, "discount")
    if subtotal is not None:
        net = subtotal - (np.nan_to_num(discount) if discount is not None else 0.0)
        reasons.reject(np.isnan(subtotal), "missing amount")
        amount_col = subtotal_col
        if discount_col is None:
            notes.append(
                note(
                    "no discount column: {column!r} read as the amount after discount",
                    column=subtotal_col,
                )
            )
    else:
        total, total_col = amounts(_PT_TOTAL, "amount")
        tax, tax_col = amounts(_PT_TAX, "tax")
        if tax is None:
            raise ExportError(
                f"the Paddle transactions file has {total_col!r} but neither a subtotal nor a tax "
                "column: MRR excludes tax, so it needs 'subtotal' (and 'discount'), or 'total' "
                f"and 'tax'; columns are {h}"
            )
        net = total - np.nan_to_num(tax)
        reasons.reject(np.isnan(total), "missing amount")
        amount_col = total_col
        notes.append(
            note(
                "amount = {total!r} - {tax!r} (no subtotal column)", total=total_col, tax=tax_col
            )
        )

    currency = text(frame[currency_col]).str.upper() if currency_col else None
    money_cols = columns(h, *_PT_MONEY)
    if all(_written_whole(frame[c]) for c in money_cols):
        net = net / cents_divisor(currency, n)
        written = text(frame[amount_col])
        example = written[written != ""].iloc[0] if (written != "").any() else ""
        notes.append(
            note(
                "every amount is a whole number (e.g. {column!r} {example}): read in the lowest "
                "denomination (cents; whole units for zero-decimal currencies such as JPY), as "
                "Paddle's API writes amounts. Had they been whole currency units, every MRR "
                "would be 100 times too small",
                column=amount_col,
                example=example,
            )
        )
    else:
        notes.append(note("amounts written with decimals: read in currency units"))

    with np.errstate(invalid="ignore", divide="ignore"):
        months = months_between(s, e)
        mrr = net / months
    reasons.reject(~np.isfinite(mrr) & reasons.ok, "amount cannot be read")
    reasons.reject(np.abs(mrr) > MAX_MRR, "amount too large (over 10 billion a month)")

    # The same transaction (or item) twice: two overlapping report downloads put together.
    key_col = item_col or (txn_col if column(h, "price_ids") else None)
    if key_col is not None:
        key = text(frame[key_col])
        repeated = (key != "").to_numpy() & key.duplicated(keep="first").to_numpy()
        reasons.reject(repeated, f"duplicate of an earlier row (same {key_col!r})")

    kept = reasons.ok
    zero = kept & (np.abs(np.nan_to_num(mrr)) <= 1e-9)
    if zero.any():
        notes.append(
            note(
                "{count} transaction(s) worth 0 (trials, 100% discounts) kept as lines worth 0",
                count=int(zero.sum()),
            )
        )
    if origin_col:
        updates = kept & (text(frame[origin_col]).str.lower() == "subscription_update").to_numpy()
        if updates.any():
            notes.append(
                note(
                    "{count} prorated change(s) (origin subscription_update) read as the change "
                    "in MRR over their billing period: Paddle puts the credit for removed items "
                    "on the same transaction",
                    count=int(updates.sum()),
                )
            )
    notes.append(
        note(
            "refunds, credits and chargebacks are in Paddle's adjustments report, which is not "
            "read: a refunded transaction still counts here"
        )
    )

    attributes = {}
    for name, *cands in (
        ("plan", "price_name", "price.name", "price_id", "price.id", "price_ids"),
        ("product", "product_name", "product.name", "product_id", "product.id"),
        ("quantity", "quantity"),
        ("customer_name", "business_name", "business.name"),
        ("email", "customer_email", "customer.email"),
        (
            "country",
            "address_country_code",
            "address.country_code",
            "country_code",
            "customer_country_code",
        ),
        ("subscription", *_PT_SUBSCRIPTION),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = text(frame[found])
    mapping = {
        k: v
        for k, v in {
            "customer_id": customer_col or email_col,
            "start": start_cols[0] if start_cols else None,
            "end": end_cols[0] if end_cols else None,
            "amount": amount_col,
            "currency": currency_col,
            "status": status_col,
            "subscription": sub_col,
            "invoice": txn_col,
        }.items()
        if v
    }
    return Draft(
        customer_id=customer,
        start=start,
        end=end,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping=mapping,
        notes=notes,
        credits=Credits(subscription),
    )


# --------------------------------------------------------------------------------------------
# Paddle Classic subscription users
# --------------------------------------------------------------------------------------------

_PC_NEXT_DATE = ("next_payment.date", "next_payment_date", "next_bill_date")
_PC_LAST_DATE = ("last_payment.date", "last_payment_date")
_PC_CANCELLED = (
    "cancellation_effective_date",
    "cancelled_at",
    "canceled_at",
    "cancellation_date",
    "end_date",
)
_PC_STATUSES = {
    "active": Rule("count"),
    "past_due": Rule("count"),
    "trialing": Rule("trial", _PC_NEXT_DATE),
    "paused": Rule("ended", ("paused_from", "paused_at")),
    "deleted": Rule("ended", _PC_CANCELLED),
}
#: Plan prices a user may add to the file (the export has none): per unit, before tax.
_PC_PRICE = ("recurring_price", "plan_price", "unit_price", "price")
#: The payments the file does carry: the whole charge (quantity included), as charged.
_PC_PAYMENT = (
    "next_payment.amount",
    "next_payment_amount",
    "last_payment.amount",
    "last_payment_amount",
)


def _detect_paddle_classic(headers) -> bool:
    return (
        _has(headers, "subscription_id", "plan_id", "signup_date")
        and _any(headers, "user_id", "user_email")
        and _any(headers, "state", "status")
    )


def _paddle_classic(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    price = columns(h, *_PC_PRICE)
    payment = columns(h, *_PC_PAYMENT)
    if not price and not payment:
        raise ExportError(
            "this Paddle Classic subscription users file has no amount: the export gives no plan "
            "price, and neither 'next_payment.amount' nor 'last_payment.amount' is there. Add a "
            "column 'recurring_price' (the plan's price per billing period, before tax) and, "
            "unless 'last_payment.date' and 'next_payment.date' are there, 'billing_type' "
            f"(day, week, month, year) with 'billing_period' (how many); columns are {h}"
        )
    attributes = {}
    for name, *cands in (("plan", "plan_name", "plan_id"), ("email", "user_email")):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
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
        period_start=columns(h, *_PC_LAST_DATE),
        period_end=columns(h, *_PC_NEXT_DATE),
        plan=columns(h, "plan_id", "plan_name"),
        attributes=attributes,
    )
    if not cols.interval:
        cols.interval_count = ()  # a count alone says nothing
    if not price and quantity:
        attributes["quantity"] = quantity[0]
    notes = [
        note(
            "Paddle Classic rules: active and past_due count, trials from the next payment "
            "date, paused at paused_from (else paused_at), deleted at their cancellation date"
        )
    ]
    if price:
        notes.append(
            note("MRR from {column!r} x quantity, read in currency units", column=price[0])
        )
    else:
        notes.append(
            note(
                "the file gives no plan price: MRR from the payments it lists ({columns}, the "
                "first filled one per row), read in currency units as charged. They may "
                "include sales tax or VAT and a prorated first payment: for exact MRR add a "
                "column 'recurring_price' with each plan's price before tax",
                columns=list(payment),
            )
        )
    draft = subscription_draft(frame, cols, statuses=_PC_STATUSES, cents=False, notes=notes)
    deleted = text(frame[cols.status[0]]).str.lower() == "deleted"
    no_end = (deleted.to_numpy() & (draft.reasons.text == "status 'deleted' without an end date"))
    if no_end.any():
        draft.notes.append(
            note(
                "{count} deleted subscription(s) rejected: Paddle Classic's user list gives no "
                "cancellation date. Add a column 'cancellation_effective_date' (from the "
                "subscription_cancelled webhooks or the dashboard) to date their churn",
                count=int(no_end.sum()),
            )
        )
    return draft


# --------------------------------------------------------------------------------------------
# Baremetrics
# --------------------------------------------------------------------------------------------


def _detect_baremetrics(headers) -> bool:
    return _has(headers, "customer_oid", "plan_amount", "subscription_started_at")


def _baremetrics(frame: pd.DataFrame) -> Draft:
    h = list(frame.columns)
    attributes = {}
    for name, *cands in (
        ("plan", "plan_name", "plan_oid"),
        ("customer_name", "customer_name"),
        ("email", "customer_email"),
    ):
        found = column(h, *cands)
        if found is not None:
            attributes[name] = found
    cols = Columns(
        customer_id=columns(h, "customer_oid"),
        start=columns(h, "subscription_started_at"),
        end=columns(h, "subscription_canceled_at"),
        amount=columns(h, "plan_amount"),
        interval=columns(h, "plan_interval"),
        interval_count=columns(h, "plan_interval_count"),
        quantity=columns(h, "subscription_quantity"),
        currency=columns(h, "plan_currency"),
        attributes=attributes,
    )
    notes = [note("Baremetrics template: plan_amount in cents, churn at subscription_canceled_at")]
    return subscription_draft(frame, cols, cents=True, notes=notes)


# --------------------------------------------------------------------------------------------
# Exports recognised and refused: they hold no subscription periods
# --------------------------------------------------------------------------------------------


def _detect_paddle_classic_transactions(headers) -> bool:
    # Paddle Classic's dashboard Transactions Report: Order ID, Order Status, Order Type,
    # Product ID, Product Name, ..., Customer Email, Customer Country, Coupon Applied, Quantity,
    # Total, Tax, Fee, Currency, Balance Earnings, Balance Currency, Source, Checkout...
    return _has(headers, "Order ID", "Balance Earnings")


#: name -> (detector, why mrrkit cannot read such a file and which export to upload instead):
#: files that would otherwise be read by the generic reader as something they are not.
REFUSED = {
    "paddle_classic_transactions": (
        _detect_paddle_classic_transactions,
        (
            "this is Paddle Classic's transactions report (Order ID, Balance Earnings...): it "
            "lists payments with no subscription periods, so no MRR can be read from it. Upload "
            "Paddle Classic's subscription users export instead (subscription_id, plan_id, "
            "user_id, state, signup_date...), which mrrkit reads as paddle_classic_subscriptions"
        ),
    ),
}

#: name -> (detector, reader, what it needs), in the order auto-detection tries them.
VENDORS = {
    "stripe_invoices": (
        _detect_stripe_invoices,
        _stripe_invoices,
        (
            "Stripe invoices / invoice line items: Subscription, Amount or Subtotal, "
            "Period Start (UTC) and Period End (UTC) columns"
        ),
    ),
    "stripe_subscriptions": (
        _detect_stripe_subscriptions,
        _stripe_subscriptions,
        "Stripe subscriptions: Customer ID, Status, Amount, Interval and '... (UTC)' date columns",
    ),
    "chargebee_subscriptions": (
        _detect_chargebee,
        _chargebee,
        "Chargebee: subscriptions.* columns with subscriptions.customer_id or customers.id",
    ),
    "recurly_subscriptions": (
        _detect_recurly,
        _recurly,
        "Recurly: account_code, plan_code or activated_at, and state",
    ),
    "paddle_transactions": (
        _detect_paddle_transactions,
        _paddle_transactions,
        (
            "Paddle Billing transactions report (or transaction line items): subscription_id, "
            "billing_period.starts_at / .ends_at (or billing_period_starts_at / _ends_at), "
            "subtotal (or total and tax), and currency_code or origin"
        ),
    ),
    "paddle_classic_subscriptions": (
        _detect_paddle_classic,
        _paddle_classic,
        (
            "Paddle Classic subscription users: subscription_id, plan_id, user_id or user_email, "
            "state and signup_date"
        ),
    ),
    "paddle_subscriptions": (
        _detect_paddle,
        _paddle,
        (
            "Paddle Billing: customer_id, currency_code and next_billed_at / "
            "first_billed_at / billing_cycle.interval"
        ),
    ),
    "baremetrics": (
        _detect_baremetrics,
        _baremetrics,
        "Baremetrics template: customer_oid, plan_amount, subscription_started_at",
    ),
}
