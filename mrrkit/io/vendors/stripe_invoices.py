"""Stripe invoices and invoice line items: each paid subscription line is a line over its
service period, ``MRR = amount / months``.

- The Dashboard invoices export has ``id, Customer, Customer Name, Subscription, Status,
  Currency, Amount Due, Subtotal, Tax, Tax Percent, Total, Amount Paid, Total Discount Amount,
  Exclusive Tax Amount, Inclusive Tax Amount, Starting Balance, Ending Balance, Date (UTC),
  Due Date (UTC), Paid At (UTC), Finalized At (UTC), Period Start (UTC), Period End (UTC),
  Minimum Line Item Period Start (UTC), Maximum Line Item Period End (UTC), Paid, Closed,
  Forgiven, Applied Coupons, Number, Billing, Charge, Description`` (amounts in major units,
  e.g. ``Amount Paid`` "9.90", sometimes with a decimal comma; an invoice's revenue is its
  ``Total`` minus its taxes, see :func:`_invoice_amounts`).
- Invoice *line items* carry ``invoice, subscription, amount, currency, period_start,
  period_end, proration, type, quantity`` (Stripe's line item object).
- Sigma / Data Pipeline ``invoice_line_items`` has ``id, invoice_id, subscription,
  subscription_item_id, invoice_item_id, source_type, amount`` (cents) ``, currency,
  description, discountable, discounts, discount_amounts, quantity, period_start, period_end,
  plan_id, price_id, proration``: the line's type is in ``source_type`` (``subscription``,
  ``invoiceitem``) and there is no invoice status (it is on the ``invoices`` table).

A JSON ``stripe invoices list`` (:mod:`mrrkit.io.json_table`: one row per invoice line, the
invoice's fields copied) is the line items under ``lines_data_*`` names: the line's period
(``lines_data_period_start``, never the invoice's ``period_start``, its previous period for a
renewal), amount, quantity, price and discounts, and its subscription and proration flag
either on the line (API versions before 2025-03-31: ``lines_data_subscription``,
``lines_data_proration``, ``lines_data_type``) or under its ``parent`` (since then:
``lines_data_parent_subscription_item_details_subscription``..., ``lines_data_parent_type``
``invoice_item_details`` for an invoice item); the invoice's ``status`` and ``customer``.

API-style lower-case ``amount`` is read in cents. A proration credit ("Unused time on Pro after
15 Feb") is kept when the charge it reduces is in the file
(:func:`mrrkit.io.credits.reject_uncovered_credits`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cells import text
from ..dates import DateColumns
from ..drafts import Credits, Draft, Reasons
from ..headers import column, columns
from ..messages import Note, note
from ..money import MAX_MRR, cents_divisor, months_between
from ..parse import parse_amounts
from .common import Vendor, coalesced, has_any, named_headers

__all__ = ["VENDOR"]

_PERIOD_START = (
    "lines_data_period_start",
    "Minimum Line Item Period Start (UTC)",
    "Line Item Period Start (UTC)",
    "Period Start (UTC)",
    "Period Start",
    "period_start",
    "period.start",
)
_PERIOD_END = (
    "lines_data_period_end",
    "Maximum Line Item Period End (UTC)",
    "Line Item Period End (UTC)",
    "Period End (UTC)",
    "Period End",
    "period_end",
    "period.end",
)

#: A line's subscription, the line's own first (a JSON invoice list's line, then its invoice's).
_SUBSCRIPTION = (
    "Subscription ID",
    "Subscription",
    "subscription",
    "subscription_id",
    "lines_data_subscription",
    "lines_data_parent_subscription_item_details_subscription",
    "lines_data_parent_invoice_item_details_subscription",
    "parent_subscription_details_subscription",
)
_PRORATION = (
    "Proration",
    "proration",
    "Is Proration",
    "lines_data_proration",
    "lines_data_parent_subscription_item_details_proration",
    "lines_data_parent_invoice_item_details_proration",
)
#: The line's type: "subscription" / "invoiceitem", or its parent's (API 2025-03-31 on).
_TYPE = ("Type", "type", "Line Item Type", "source_type", "lines_data_type",
         "lines_data_parent_type")
_INVOICE_ITEM = ["invoiceitem", "invoice_item_details"]


def detect(headers) -> bool:
    """A service period, a subscription and an amount."""
    return (
        has_any(headers, *_PERIOD_START)
        and has_any(headers, *_PERIOD_END)
        and has_any(headers, *_SUBSCRIPTION)
        and has_any(
            headers, "Amount", "amount", "Subtotal", "Amount Excluding Tax", "amount_excluding_tax",
            "lines_data_amount",
        )
    )


@dataclass(frozen=True)
class _Headers:
    """The columns of an invoices or line items file, by role (None: not in the file)."""

    invoice_level: bool
    customer: str | None
    invoice: str | None
    #: The line's subscription: the first filled of these columns.
    subscriptions: tuple[str, ...]
    #: The revenue, first filled column first; ``total`` is the invoice total it is taken from
    #: (minus ``taxes``) when that is how it is read.
    amounts: tuple[str, ...]
    total: str | None
    taxes: tuple[str, ...]
    line_discount: str | None
    invoice_discount: str | None
    status: str | None
    currency: str | None
    start: str
    end: str

    @property
    def subscription(self) -> str | None:
        return self.subscriptions[0] if self.subscriptions else None

    @classmethod
    def of(cls, h: list) -> _Headers:
        invoice_level = column(h, "Minimum Line Item Period Start (UTC)") is not None
        # Revenue of a whole invoice (the Dashboard invoices export), after every discount and
        # without tax. Stripe's invoice ``subtotal`` is "before any invoice level discount or
        # exclusive tax", item discounts "already incorporated", and includes inclusive tax;
        # ``total_discount_amounts`` aggregates every discount, item-level ones too; ``total``
        # is "after discounts and taxes" and ``total_excluding_tax`` "including all discounts
        # but excluding all tax" (Stripe API reference, Invoice object). So Subtotal - Total
        # Discount Amount takes item discounts off twice and keeps inclusive tax: the revenue
        # is Total minus its taxes (Exclusive Tax Amount and Inclusive Tax Amount, else Tax, the
        # sum of all the invoice's tax amounts). Only a file without Total falls back on the
        # subtotal.
        taxes: tuple[str, ...] = ()
        total = None
        if invoice_level:
            total = column(h, "Total Excluding Tax", "total_excluding_tax")
            if total is None and column(h, "Total") is not None:
                taxes = columns(h, "Exclusive Tax Amount", "Inclusive Tax Amount") or columns(
                    h, "Tax"
                )
                total = column(h, "Total") if taxes else None
            amounts = (total,) if total else columns(
                h, "Subtotal Excluding Tax", "Subtotal", "Amount Due"
            )
        else:
            amounts = columns(
                h, "Amount Excluding Tax", "amount_excluding_tax", "Amount", "amount",
                "lines_data_amount_excluding_tax", "lines_data_amount",
            )
        line_discount = column(h, "Discount Amount", "discount_amount", "Discount", "Line Discount")
        invoice_discount = column(
            h, "Total Discount Amount", "Invoice Discount", "total_discount_amount"
        )
        if total:  # the total is after every discount
            line_discount = invoice_discount = None
        return cls(
            invoice_level=invoice_level,
            customer=column(h, "Customer ID", "Customer", "customer", "customer_id"),
            invoice=column(h, "Invoice ID", "invoice_id", "invoice", "lines_data_invoice")
            or (column(h, "id") if invoice_level else None),
            subscriptions=columns(h, *_SUBSCRIPTION),
            amounts=amounts,
            total=total,
            taxes=taxes,
            line_discount=line_discount,
            invoice_discount=invoice_discount,
            status=column(h, "Invoice Status", "invoice_status", "Status", "status"),
            currency=column(h, "Currency", "currency"),
            start=column(h, *_PERIOD_START),
            end=column(h, *_PERIOD_END),
        )


def read(frame: pd.DataFrame) -> Draft:
    """Each paid subscription line over its service period, one-off items and unpaid invoices
    rejected; revenue after discounts, tax excluded."""
    h = list(frame.columns)
    n = len(frame)
    cols = _Headers.of(h)
    reasons = Reasons(n)
    notes: list[Note] = [note("stripe_invoices")]
    customer, subscription = _customers(frame, cols, reasons, notes)
    currency = text(frame[cols.currency]).str.upper() if cols.currency else None
    proration = _one_offs_and_unpaid(frame, h, cols, subscription, reasons, notes)
    dates = DateColumns(frame, [cols.start, cols.end])
    start, end = dates.get(cols.start), dates.get(cols.end)
    reasons.reject(start.bad, "bad_date", field="start", column=cols.start)
    reasons.reject(end.bad, "bad_date", field="end", column=cols.end)
    reasons.reject(
        start.values.isna().to_numpy() | end.values.isna().to_numpy(), "missing_service_period"
    )
    s, e = start.values.to_numpy(), end.values.to_numpy()
    reasons.reject((e < s) & ~np.isnat(e) & ~np.isnat(s), "end_before_start")
    reasons.reject((e == s) & ~np.isnat(s), "one_off")

    amount = _invoice_amounts(frame, cols, reasons, notes)
    net = amount - _discounts(frame, cols, reasons, notes, amount)
    header = cols.amounts[0] if cols.amounts else ""
    if header and header == header.lower() and " " not in header:  # API and Sigma names
        net = net / cents_divisor(currency, n)
        notes.append(note("stripe_api_cents", column=header))
    else:
        notes.append(note("stripe_dashboard_units"))
    with np.errstate(invalid="ignore", divide="ignore"):
        mrr = net / months_between(s, e)
    reasons.reject(~np.isfinite(mrr), "bad_amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "too_large")

    attributes = {
        name: text(frame[found])
        for name, found in named_headers(
            h,
            ("plan", "Plan", "Price", "Plan Nickname", "plan_id", "price_id", "price",
             "lines_data_price_id", "lines_data_plan_id", "lines_data_pricing_price_details_price"),
            ("product", "Product", "Product Name", "product", "product_id",
             "lines_data_price_product", "lines_data_pricing_price_details_product"),
            ("quantity", "Quantity", "quantity", "lines_data_quantity"),
            ("customer_name", "Customer Name"),
            ("email", "Customer Email", "customer_email"),
        ).items()
    }
    # A proration credit ("Unused time on Pro after 15 Feb") reduces the charge of its price on
    # its subscription, which started before it; the charge for the new price made by the same
    # change ("Remaining time on Basic", also a proration) does not carry it.
    credits = Credits(
        subscription,
        plan=attributes.get("plan"),
        covers_same_day=None if proration is None else ~proration,
    )
    if (reasons.ok & (mrr < 0)).any():
        notes.append(note("credits_kept"))
    mapping = {
        "customer_id": cols.customer,
        "start": cols.start,
        "end": cols.end,
        "amount": header or None,
        "currency": cols.currency,
        "status": cols.status,
        "subscription": cols.subscription,
        "invoice": cols.invoice,
    }
    return Draft(
        customer_id=customer,
        start=start.values,
        end=end.values,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping={k: v for k, v in mapping.items() if v},
        notes=notes,
        credits=credits,
    )


def _customers(frame, cols: _Headers, reasons: Reasons, notes) -> tuple[pd.Series, pd.Series]:
    """Each line's customer (its subscription where the file has no customer column: warehouse
    and Sigma line-item tables carry none, it is on the invoice) and subscription."""
    n = len(frame)
    empty = pd.Series([""] * n, index=frame.index, dtype="str")
    if cols.customer:
        customer = text(frame[cols.customer])
    elif cols.subscription:
        customer = text(frame[cols.subscription])
        notes.append(note("stripe_no_customer", column=cols.subscription))
    else:
        customer = empty
    if cols.customer or not cols.subscription:
        # (A line without subscription, in a table without customers, is a one-off item.)
        reasons.reject((customer == "").to_numpy(), "missing_customer")
    subscription = coalesced(frame, cols.subscriptions) if cols.subscriptions else empty
    return customer, subscription


def _one_offs_and_unpaid(frame, h, cols: _Headers, subscription, reasons, notes):
    """Reject the lines of unpaid invoices and the one-off items; the proration flag of each
    line (None: the file has none)."""
    if cols.status:
        status = text(frame[cols.status]).str.lower()
        reasons.reject((status != "paid").to_numpy(), "invoice_status", status=status)
    else:
        # Sigma / Data Pipeline's invoice_line_items has no status: it is on the invoices table.
        notes.append(note("stripe_no_status"))
    reasons.reject((subscription == "").to_numpy(), "one_off")
    # The line's type: "subscription" or "invoiceitem" (Sigma / Data Pipeline: source_type).
    type_col = column(h, *_TYPE)
    proration_cols = columns(h, *_PRORATION)  # (a JSON line has one of its parent's two)
    proration = (
        coalesced(frame, proration_cols).str.lower().isin(["true", "1", "yes", "t"]).to_numpy()
        if proration_cols
        else None
    )
    if type_col and proration is not None:
        # An invoice item that is no proration is a one-off charge, even on a subscription's
        # invoice (Stripe's MRR leaves one-off items out).
        one_off = text(frame[type_col]).str.lower().isin(_INVOICE_ITEM).to_numpy() & ~proration
        reasons.reject(one_off, "one_off")
    return proration


def _invoice_amounts(frame, cols: _Headers, reasons: Reasons, notes) -> np.ndarray:
    """Each line's revenue before discounts (its first filled amount column), minus its taxes
    when read from the invoice total."""
    amount = np.full(len(frame), np.nan)
    for col in cols.amounts:
        parsed = parse_amounts(frame[col])
        if parsed.convention == "decimal ','":
            notes.append(note("decimal_comma", column=col))
        reasons.reject(parsed.bad, "bad_number", field="amount", column=col)
        amount = np.where(np.isnan(amount), parsed.values.to_numpy(), amount)
    reasons.reject(np.isnan(amount), "missing_amount")
    for col in cols.taxes:
        parsed = parse_amounts(frame[col])
        if parsed.convention == "decimal ','":
            notes.append(note("decimal_comma", column=col))
        reasons.reject(parsed.bad, "bad_number", field="tax", column=col)
        amount = amount - np.nan_to_num(parsed.values.to_numpy())  # an empty cell: no tax
    if cols.taxes:
        notes.append(note("stripe_invoice_total", total=cols.total, columns=list(cols.taxes)))
    return amount


def _discounts(frame, cols: _Headers, reasons: Reasons, notes, amount) -> np.ndarray:
    """Each line's discounts: its own, its share of its invoice's (by ``amount``), and the
    API's list of discount amounts."""
    n = len(frame)
    h = list(frame.columns)
    discount = np.zeros(n)
    if cols.line_discount:
        parsed = parse_amounts(frame[cols.line_discount])
        reasons.reject(parsed.bad, "bad_number", field="discount", column=cols.line_discount)
        discount += np.nan_to_num(parsed.values.to_numpy())
    if cols.invoice_discount and cols.invoice_discount != cols.line_discount:
        parsed = parse_amounts(frame[cols.invoice_discount])
        reasons.reject(parsed.bad, "bad_number", field="discount", column=cols.invoice_discount)
        inv_discount = np.nan_to_num(parsed.values.to_numpy())
        if cols.invoice_level or cols.invoice is None:
            discount += inv_discount
        else:
            # An invoice-wide discount repeated on each of its lines: share it by line amount.
            share_base = np.where(reasons.ok & (amount > 0), amount, 0.0)
            invoice = text(frame[cols.invoice]).to_numpy()
            totals = pd.Series(share_base).groupby(invoice).transform("sum").to_numpy()
            first = pd.Series(inv_discount).groupby(invoice).transform("first").to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                discount += np.where(totals > 0, first * share_base / totals, 0.0)
        notes.append(note("discounts", column=cols.invoice_discount))
    json_col = column(h, "discount_amounts", "lines_data_discount_amounts")
    if json_col and json_col != cols.line_discount:
        # The API's list of discounts on a line: [{"amount": 500, "discount": "di_..."}].
        parsed = _json_discounts(frame[json_col])
        reasons.reject(np.isnan(parsed), "bad_value", field="discount", column=json_col)
        discount += np.nan_to_num(parsed)
        notes.append(note("discounts", column=json_col))
    return discount


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


VENDOR = Vendor(
    name="stripe_invoices",
    label="Stripe invoices / invoice line items",
    detect=detect,
    read=read,
    needs=(
        "Stripe invoices / invoice line items: Subscription, Amount or Subtotal, "
        "Period Start (UTC) and Period End (UTC) columns"
    ),
    source="https://docs.stripe.com/api/invoices/object",
    priority=10,
    periods=True,
)
