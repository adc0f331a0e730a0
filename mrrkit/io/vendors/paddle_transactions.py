"""Paddle Billing's transactions report (dashboard Reports > Transactions, or Transaction line
items): each billed subscription transaction is a line over its billing period,
``MRR = (subtotal - discount, tax excluded) / months in the period``.

"Column headings on transaction reports mirror fields in the Paddle API". The report's page
describes, in order: the transaction id, status, invoice number, customer id, customer email,
address id and country, business id and name, the price ids and discount ids, subscription id,
created / updated / billed / completed dates, origin, collection mode, custom data, payment
terms, the billing period's start and end, invoice notes, currency code, then subtotal ("before
discount, tax, and deductions"), discount, tax, total ("after discount and tax"), credit, grand
total, fee, earnings, and the same totals in the balance currency with the exchange rate. The
literal headings were not visible in any copy found, so each is read under its API name in the
spellings a flattened export uses (``subscription_id``, ``billing_period.starts_at`` or
``billing_period_starts_at``, ``details.totals.subtotal`` or ``subtotal``...). Statuses
``draft, ready, billed, paid, completed, past_due, canceled``; origins ``web, api,
subscription_recurring, subscription_update, subscription_charge,
subscription_payment_method_change``. Since March 2024 a prorated subscription change is one
transaction whose items and totals may be negative (the credit for removed items), not a
separate adjustment (Paddle changelog "Improvements to how proration is processed"). Refunds,
credits and chargebacks are in the separate adjustments report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cells import text
from ..dates import DateColumns
from ..drafts import Credits, Draft, Reasons
from ..headers import column, columns
from ..messages import ExportError, Note, note
from ..money import MAX_MRR, cents_divisor, months_between
from ..parse import parse_amounts
from .common import Vendor, has_any, named_headers

__all__ = ["VENDOR"]

#: Each role under the API field's name, as a flattened export may spell it.
_SUBSCRIPTION = ("subscription_id", "subscription.id")
_PERIOD_START = (
    "proration.billing_period.starts_at",
    "proration_billing_period_starts_at",
    "billing_period.starts_at",
    "billing_period_starts_at",
    "billing_period_start",
)
_PERIOD_END = (
    "proration.billing_period.ends_at",
    "proration_billing_period_ends_at",
    "billing_period.ends_at",
    "billing_period_ends_at",
    "billing_period_end",
)
_SUBTOTAL = ("details.totals.subtotal", "totals.subtotal", "subtotal")
_DISCOUNT = ("details.totals.discount", "totals.discount", "discount")
_TAX = ("details.totals.tax", "totals.tax", "tax")
_TOTAL = ("details.totals.total", "totals.total", "total")
#: Every money column of the report: whether any of them is written with decimals tells the
#: file's unit (Paddle's API writes amounts as whole numbers in the lowest denomination).
_MONEY = (
    *_SUBTOTAL,
    *_DISCOUNT,
    *_TAX,
    *_TOTAL,
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
_COUNTED = ("completed", "paid", "billed", "past_due")
#: Why a transaction of each status not counted is rejected (a code of REASONS).
_STATUS_REASONS = {
    "draft": "transaction_draft",
    "ready": "transaction_ready",
    "canceled": "transaction_canceled",
    "cancelled": "transaction_canceled",
}
#: Why a transaction of each origin that is no subscription charge is rejected.
_ORIGIN_REASONS = {
    "subscription_charge": "one_off",
    "subscription_payment_method_change": "payment_method_change",
}
_KNOWN_ORIGINS = {"web", "api", "subscription_recurring", "subscription_update", *_ORIGIN_REASONS}


def detect(headers) -> bool:
    """A subscription, a billing period, a subtotal or total, and a currency or an origin."""
    return (
        has_any(headers, *_SUBSCRIPTION)
        and has_any(headers, *_PERIOD_START)
        and has_any(headers, *_PERIOD_END)
        and has_any(headers, *_SUBTOTAL, *_TOTAL)
        and has_any(headers, "currency_code", "origin", "collection_mode")
    )


def read(frame: pd.DataFrame) -> Draft:
    """Billed subscription transactions over their billing periods; drafts, one-off charges and
    payment method updates rejected; prorated changes kept as the change in MRR."""
    h = list(frame.columns)
    n = len(frame)
    reasons = Reasons(n)
    notes: list[Note] = [note("paddle_transactions")]
    customer_col = column(h, "customer_id", "customer.id")
    email_col = column(h, "customer_email", "customer.email")
    sub_col = column(h, *_SUBSCRIPTION)
    status_col = column(h, "status", "transaction_status", "transaction.status")
    origin_col = column(h, "origin", "transaction_origin", "transaction.origin")
    currency_col = column(h, "currency_code", "currency")
    start_cols, end_cols = columns(h, *_PERIOD_START), columns(h, *_PERIOD_END)
    txn_col = column(h, "transaction_id", "transaction.id") or column(h, "id")

    customer = _customers(frame, customer_col, email_col, notes)
    # Status first: a draft checkout has no customer yet, and its status says why it is out.
    status = _statuses(frame, status_col, reasons, notes)
    reasons.reject((customer == "").to_numpy(), "missing_customer")
    subscription = _subscriptions(frame, sub_col, origin_col, status, reasons, notes)
    start, end = _periods(frame, start_cols, end_cols, reasons)
    s, e = start.to_numpy(), end.to_numpy()
    net, amount_col = _net_amounts(frame, h, reasons, notes)
    currency = text(frame[currency_col]).str.upper() if currency_col else None
    net = _in_currency_units(frame, h, net, amount_col, currency, notes)
    with np.errstate(invalid="ignore", divide="ignore"):
        mrr = net / months_between(s, e)
    reasons.reject(~np.isfinite(mrr) & reasons.ok, "bad_amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "too_large")
    # The same transaction (or item) twice: two overlapping report downloads put together.
    key_col = _item_column(frame) or (txn_col if column(h, "price_ids") else None)
    if key_col is not None:
        key = text(frame[key_col])
        repeated = (key != "").to_numpy() & key.duplicated(keep="first").to_numpy()
        reasons.reject(repeated, "duplicate_row", column=key_col)
    _say_kept(frame, origin_col, mrr, reasons, notes)
    mapping = {
        "customer_id": customer_col or email_col,
        "start": start_cols[0] if start_cols else None,
        "end": end_cols[0] if end_cols else None,
        "amount": amount_col,
        "currency": currency_col,
        "status": status_col,
        "subscription": sub_col,
        "invoice": txn_col,
    }
    return Draft(
        customer_id=customer,
        start=start,
        end=end,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=_attributes(frame, h),
        mapping={k: v for k, v in mapping.items() if v},
        notes=notes,
        credits=Credits(subscription),
    )


def _customers(frame, customer_col, email_col, notes) -> pd.Series:
    """Paddle's customer id, else the email (said in the notes)."""
    empty = pd.Series([""] * len(frame), index=frame.index, dtype="str")
    customer = text(frame[customer_col]) if customer_col else empty
    if email_col:
        email = text(frame[email_col])
        by_email = ((customer == "") & (email != "")).to_numpy()
        if by_email.any():
            customer = customer.where(~by_email, email)
            notes.append(
                note(
                    "paddle_email",
                    count=int(by_email.sum()),
                    column=customer_col or "customer_id",
                    email=email_col,
                )
            )
    return customer


def _statuses(frame, status_col, reasons: Reasons, notes) -> pd.Series:
    """Reject the transactions not billed; their statuses (normalised)."""
    if not status_col:
        notes.append(note("paddle_no_status"))
        return pd.Series([""] * len(frame), index=frame.index, dtype="str")
    status = text(frame[status_col]).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    counted = status.isin(_COUNTED).to_numpy()
    empty = (status == "").to_numpy()
    reasons.reject(~counted & empty, "missing_transaction_status")
    for value, code in _STATUS_REASONS.items():
        reasons.reject(~counted & (status == value).to_numpy(), code)
    unknown = ~counted & ~status.isin(list(_STATUS_REASONS)).to_numpy()
    reasons.reject(unknown, "unknown_transaction_status", status=status)
    return status


def _subscriptions(frame, sub_col, origin_col, status, reasons: Reasons, notes) -> pd.Series:
    """Reject the transactions that are no subscription charge (no subscription, a one-off
    charge, a payment method update); each transaction's subscription."""
    subscription = text(frame[sub_col]) if sub_col else pd.Series(
        [""] * len(frame), index=frame.index, dtype="str"
    )
    no_subscription = (subscription == "").to_numpy()
    # A paid checkout is not processed yet: its subscription id comes with 'completed'.
    reasons.reject(no_subscription & (status == "paid").to_numpy(), "transaction_no_subscription")
    if origin_col:
        origin = text(frame[origin_col]).str.lower()
        for value, code in _ORIGIN_REASONS.items():
            reasons.reject((origin == value).to_numpy(), code)
        other = sorted(set(origin[reasons.ok]) - _KNOWN_ORIGINS - {""})
        if other:
            notes.append(note("paddle_origins", origins=other))
    reasons.reject(no_subscription, "one_off")
    return subscription


def _periods(frame, start_cols, end_cols, reasons: Reasons) -> tuple[pd.Series, pd.Series]:
    """The billing period: an item's proration period when the file has one, else the
    transaction's (a column only fills the gaps of the one before)."""
    dates = DateColumns(frame, [*start_cols[:1], *end_cols[:1]])

    def bound(cols: tuple[str, ...], field: str) -> pd.Series:
        out = None
        for col in cols:
            parsed = dates.get(col)
            reasons.reject(parsed.bad, "bad_date", field=field, column=col)
            out = parsed.values if out is None else out.fillna(parsed.values)
        return out

    start, end = bound(start_cols, "start"), bound(end_cols, "end")
    s, e = start.to_numpy(), end.to_numpy()
    reasons.reject(np.isnat(s) & np.isnat(e), "one_off")
    reasons.reject(np.isnat(s) | np.isnat(e), "missing_period")
    reasons.reject((e < s) & ~np.isnat(e) & ~np.isnat(s), "end_before_start")
    reasons.reject((e == s) & ~np.isnat(s), "one_off")
    return start, end


def _net_amounts(frame, h, reasons: Reasons, notes) -> tuple[np.ndarray, str]:
    """Each transaction's amount after discount, tax excluded: subtotal - discount, else
    total - tax; and the column it is read from."""

    def amounts(cols, field):
        found = column(h, *cols)
        if found is None:
            return None, None
        parsed = parse_amounts(frame[found])
        reasons.reject(parsed.bad, "bad_number", field=field, column=found)
        return parsed.values.to_numpy(), found

    subtotal, subtotal_col = amounts(_SUBTOTAL, "amount")
    discount, discount_col = amounts(_DISCOUNT, "discount")
    if subtotal is not None:
        net = subtotal - (np.nan_to_num(discount) if discount is not None else 0.0)
        reasons.reject(np.isnan(subtotal), "missing_amount")
        if discount_col is None:
            notes.append(note("paddle_no_discount", column=subtotal_col))
        return net, subtotal_col
    total, total_col = amounts(_TOTAL, "amount")
    tax, tax_col = amounts(_TAX, "tax")
    if tax is None:
        raise ExportError("paddle_no_net", column=total_col, columns=h)
    reasons.reject(np.isnan(total), "missing_amount")
    notes.append(note("paddle_total_tax", total=total_col, tax=tax_col))
    return total - np.nan_to_num(tax), total_col


def _in_currency_units(frame, h, net, amount_col, currency, notes) -> np.ndarray:
    """Amounts all written as whole numbers are in the lowest denomination, as Paddle's API
    writes them (said, with what reading them otherwise would mean); else in currency units."""
    if not all(_written_whole(frame[c]) for c in columns(h, *_MONEY)):
        notes.append(note("paddle_decimals"))
        return net
    written = text(frame[amount_col])
    example = written[written != ""].iloc[0] if (written != "").any() else ""
    notes.append(note("paddle_cents", column=amount_col, example=example))
    return net / cents_divisor(currency, len(frame))


def _say_kept(frame, origin_col, mrr, reasons: Reasons, notes: list[Note]) -> None:
    """Notes on the transactions kept: worth 0, prorated changes; and what the report lacks."""
    kept = reasons.ok
    zero = kept & (np.abs(np.nan_to_num(mrr)) <= 1e-9)
    if zero.any():
        notes.append(note("paddle_zero", count=int(zero.sum())))
    if origin_col:
        updates = kept & (text(frame[origin_col]).str.lower() == "subscription_update").to_numpy()
        if updates.any():
            notes.append(note("paddle_prorated", count=int(updates.sum())))
    notes.append(note("paddle_adjustments"))


def _attributes(frame, h) -> dict[str, pd.Series]:
    attributes = {
        name: text(frame[found])
        for name, found in named_headers(
            h,
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
            ("subscription", *_SUBSCRIPTION),
        ).items()
    }
    return attributes


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


VENDOR = Vendor(
    name="paddle_transactions",
    label="Paddle Billing transactions report",
    detect=detect,
    read=read,
    needs=(
        "Paddle Billing transactions report (or transaction line items): subscription_id, "
        "billing_period.starts_at / .ends_at (or billing_period_starts_at / _ends_at), "
        "subtotal (or total and tax), and currency_code or origin"
    ),
    source="https://developer.paddle.com/build/finance/reports/transactions",
    priority=50,
    periods=True,
)
