"""Rules that turn the rows of a subscription table into canonical lines, shared by every format.

A format says which of its columns plays which role (customer, start, trial end, end, amount,
interval, quantity, currency, status) and what each status means; :func:`subscription_draft`
applies the rules column-wide (vectorised) and records, for every row it cannot use, one reason.
The canonical and generic (any spreadsheet) formats live here; vendor exports in
:mod:`mrrkit.io.vendors`.

Money rules, whatever the format:

- ``mrr = amount x quantity / months per billing period`` (year = 12 months, quarter = 3,
  week = 12/52, day = 12/365), unless the file gives the monthly amount itself;
- cents columns are divided by 100 (by 1 for zero-decimal currencies such as JPY);
- a trial counts from its end: a line starts at the later of start and trial end;
- a negative amount, an end on or before the start, or a subscription cancelled before its trial
  ended is rejected with that reason.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ExportError
from .headers import ROLE_SYNONYMS, attribute_name, guess_mapping, is_cents, normalise
from ..engine.lines import MICROS
from .notes import Note, note
from .parse import (
    DATE_CONVENTIONS,
    DateWindow,
    bad_interval_counts,
    parse_amounts,
    parse_dates,
    parse_intervals,
)
from .table import DELIMITER_NAMES, ENCODING_NAMES

__all__ = [
    "MAX_MRR",
    "MAX_TOTAL_MRR",
    "REASON_FIELDS",
    "REJECTION_REASONS",
    "UNCOVERED_CREDIT",
    "WARNING_TEMPLATES",
    "WARNING_TERMS",
    "ZERO_DECIMAL_CURRENCIES",
    "Columns",
    "Credits",
    "DateColumns",
    "Draft",
    "Reasons",
    "Rule",
    "apply_date_window",
    "canonical_draft",
    "cents_divisor",
    "column",
    "columns",
    "generic_draft",
    "is_canonical",
    "months_between",
    "per_value",
    "reject_uncovered_credits",
    "subscription_draft",
    "text",
]

#: ISO codes of currencies without minor units: their "cents" columns are already whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

_CANONICAL_ROLES = ("customer_id", "start", "end", "mrr")

#: Largest monthly amount a line may carry: beyond it a value is a typo (or an id in the wrong
#: column), and sums of such lines would overflow the engine's exact integer money.
MAX_MRR = 1e10

#: Largest sum of the lines' absolute MRR the engine adds exactly (:func:`mrrkit.validate_lines`
#: refuses more); a file over it has a wrong amount column rather than a few wrong rows.
MAX_TOTAL_MRR = 9.0e12

#: Why a credit line is rejected when the charge it reduces is not among the kept lines.
UNCOVERED_CREDIT = (
    "credit larger than the charge it reduces in the file (that charge is missing or was "
    "rejected: export a longer date range)"
)

#: Every reason a reader gives a rejected row (``ExportResult.rejected``), as a template:
#: ``{field}`` is one of :data:`REASON_FIELDS`, ``{column}`` a header as the file writes it,
#: ``{status}`` and ``{value}`` a cell as written, ``{currency}``, ``{reporting}`` currency codes,
#: ``{month}`` as ``2024-01``, ``{date}`` as ``1990-01-01`` (a bound of the dates read, see
#: :func:`apply_date_window`), ``{fields}``, ``{width}`` counts, ``{detail}`` the CSV reader's
#: words. The tests hold the readers to this list (a reason given anywhere else fails them) and
#: the app to a French and an Italian text for each.
REJECTION_REASONS = (
    # Rows and cells
    "empty row",
    "row has {fields} fields, the header has {width}",
    "unreadable CSV from here on ({detail})",
    "missing customer id",
    "duplicate customer id (a later row wins)",
    "duplicate of an earlier row (same {column!r})",
    "{field}: cannot read the date in {column!r}",
    "{field}: cannot read the number in {column!r}",
    "discount: cannot read {column!r}",
    # Dates
    "missing start date",
    "start date {value!r} in {column!r} is before {date}, the earliest date read",
    "start date {value!r} in {column!r} is after {date}, the latest date read",
    "end date {value!r} in {column!r} is after {date}, the latest date read",
    "missing service period",
    "missing billing period start or end",
    "end date before start date",
    "ends the day it starts (never billed)",
    "trialing without a trial end date",
    "cancelled before the trial ended (never paid)",
    # Money
    "missing MRR amount",
    "missing amount",
    "missing billing interval",
    "unknown billing interval {value!r}",
    "interval count {value!r} in {column!r}: not a whole number of 1 or more",
    "negative quantity",
    "negative amount",
    "amount cannot be read",
    "amount too large (over 10 billion a month)",
    "one-off item, not recurring",
    UNCOVERED_CREDIT,
    # Statuses
    "missing status",
    "unknown status {status!r}",
    "status {status!r} without an end date",
    "status 'incomplete': first payment never succeeded (not MRR)",
    "status 'incomplete_expired': never paid (not MRR)",
    "status 'unpaid': Stripe leaves unpaid subscriptions out of MRR",
    "status 'paused': no payment collected (not MRR)",
    "status 'future': not started yet",
    "state 'future': not started yet",
    "state 'failed': never activated",
    "state 'pending': not started yet (awaiting payment), never counted",
    "invoice status {status!r}: only paid invoices count",
    "missing transaction status",
    "unknown transaction status {status!r}",
    "transaction status 'draft': not billed (an open checkout or an unfinished invoice)",
    "transaction status 'ready': not billed yet",
    "transaction status 'canceled': no longer due (not MRR)",
    "transaction status 'paid' without a subscription id yet: Paddle adds it when the "
    "transaction is completed (export the report again later)",
    "payment method update (origin subscription_payment_method_change): not a charge",
    # Currencies
    "missing currency (the file mixes currencies)",
    "no exchange rate for {currency}",
    "no exchange rate for {currency} (reporting currency {reporting})",
    "no {currency} rate for {month} or earlier",
    "amount too large once converted (over 10 billion a month)",
)

#: The ``{field}`` of the "cannot read" reasons: a role, or the date column of a status
#: (``canceled date``: the column a status's end or trial end is read from).
REASON_FIELDS = (
    "start",
    "trial end",
    "end",
    "{status} date",
    "mrr",
    "amount",
    "quantity",
    "discount",
    "tax",
)

#: Every note a reader gives on how it read a file (``ExportResult.warnings``, each a
#: :class:`~mrrkit.io.notes.Note` written from one of these), as a template. Placeholders:
#: ``{count}`` a number of rows (subscriptions, customers...) the note is about, ``{column}``,
#: ``{start}``, ``{end}``, ``{total}``, ``{tax}``, ``{email}``, ``{renamed}``, ``{header}``,
#: ``{name}`` headers as the file writes them (or as mrrkit renames them), ``{columns}`` a list
#: of headers, ``{example}`` a cell as written, ``{examples}`` customer ids, ``{plans}`` plan
#: names, ``{origins}`` Paddle origins, ``{currency}``/``{currencies}`` currency codes,
#: ``{position}``/``{line}`` column and line numbers, ``{months}`` a number of months, ``{rows}``
#: data row numbers written ``12, 40``, ``{more}`` a number of rows not listed, ``{date}`` a day
#: written ``2036-06-30``; and
#: ``{encoding}``, ``{delimiter}``, ``{convention}`` mrrkit's own words, each one of
#: :data:`WARNING_TERMS`. The tests hold the readers to this list and the app to a French and
#: an Italian text for each.
WARNING_TEMPLATES = (
    # Reading the file
    "read as {encoding} text, {delimiter}-separated",
    "read as an XLSX spreadsheet (first sheet)",
    "read as a Parquet file",
    "lines end with a carriage return alone (old Mac files): read as lines",
    "{count} line(s) above the header skipped",
    "header found on spreadsheet line {line}",
    "duplicated header {header!r}: its copy in column {position} is read as {name!r}",
    "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as UTF-8: "
    "row(s) {rows}",
    "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as UTF-8: "
    "rows {rows} and {more} more",
    "the header line was not UTF-8 and was read as {encoding}",
    # Dates and numbers
    "{count} end date(s) after {date} read as no end (e.g. {example!r} in {column!r}): "
    "far-future ends such as 9999-12-31 stand for 'never' in billing exports",
    "{column!r} read as {convention}",
    "{column!r} read with a decimal comma",
    "{column!r} read in cents",
    # Billing intervals
    "{count} row(s): billing interval taken from the current period ({start!r} to {end!r})",
    "{count} row(s) in a trial or without a current period: billing interval of their plan's "
    "other subscriptions",
    "{count} row(s): billing interval read from the plan name (e.g. {example!r})",
    "{count} row(s) without a billing interval read as billed every {months:g} month(s): check "
    "their MRR, or give the interval in a mapping",
    "{count} row(s) without a billing interval read as billed every {months:g} month(s) (plans: "
    "{plans}): check their MRR, or give the interval in a mapping",
    # Currencies
    "no currency column: amounts read as {currency}",
    "no currency column: every amount read as one currency, the site's. A Chargebee site "
    "billing in several currencies must export one file per currency, or add a column "
    "'subscriptions.currency_code'",
    "{count} row(s) without a currency read as {currency}",
    "{count} row(s) converted to {currency} from {currencies}",
    # Customers file
    "customers file: {count} row(s) rejected (see read_customers)",
    "{count} customer(s) of the customers file have no subscription line (e.g. {examples})",
    "{count} customer(s) with lines are not in the customers file (e.g. {examples})",
    "customers file attributes {columns} replace the export's",
    # Stripe
    "Stripe rules: active and past_due count, trials from their end, churn at Ended At",
    "every {column!r} is a whole number with no decimals (e.g. {example}): read as major units, "
    "as the Dashboard writes them (49.00). If they are cents, as Stripe's API gives them, "
    "rename the column {renamed!r} and read it again",
    "{count} subscription(s) carry a coupon ({column!r}) whose amount the subscriptions export "
    "does not give: their MRR is before the discount. The invoice line items export gives "
    "discounted MRR",
    "Stripe invoices: each paid subscription line is a line over its service period, "
    "MRR = amount / months",
    "no customer column: each subscription ({column!r}) is read as its own customer; join the "
    "invoices' customer to the lines for customer-level figures",
    "no invoice status column (line item tables such as Stripe Sigma's invoice_line_items have "
    "none): every line is read as paid, including lines of draft, open, void or uncollectible "
    "invoices. Keep only the lines of paid invoices (join the invoices' status on the invoice "
    "id) for exact MRR",
    "discounts from {column!r} applied",
    "invoice revenue = {total!r} minus tax ({columns}): after every discount, tax excluded "
    "(Stripe's subtotal already has item discounts taken off: subtotal minus the total discount "
    "amount would take them off twice)",
    "{column!r} read in cents (Stripe API/Sigma column names)",
    "amounts read in major units, taxes excluded (Stripe Dashboard export)",
    "credits for unused time (negative lines) are kept only when the charge they reduce is in "
    "the file: a credit whose charge was invoiced before the export's first date is rejected",
    "{count} credit(s) slightly larger than the charge they reduce (the vendor prorates by the "
    "second and rounds to the cent; the file's dates are read as days) trimmed to that charge",
    # Chargebee, Recurly, Baremetrics
    "Chargebee rules: active and non-renewing count (non-renewing until their cancel date), "
    "trials from their end, cancelled at cancelled_at, paused at pause_date; prices read in "
    "major units",
    "Recurly rules: active counts, canceled counts until expires_at, expired ends at expires_at",
    "{count} row(s) with tax-inclusive prices ({column!r}): their MRR includes the tax, as the "
    "export gives no tax rate to take it out",
    "Baremetrics template: plan_amount in cents, churn at subscription_canceled_at",
    # Paddle Billing
    "Paddle rules: active and past_due count, trials from next_billed_at, churn at canceled_at "
    "(paused at paused_at); unit prices read in the lowest denomination (cents)",
    "Paddle transactions report: each billed subscription transaction is a line over its "
    "billing period, MRR = (subtotal - discount, tax excluded) / months in the period",
    "{count} row(s) without {column!r}: customer read from {email!r}",
    "no status column: every transaction read as billed",
    "origins not documented by Paddle, read like the others: {origins}",
    "no discount column: {column!r} read as the amount after discount",
    "amount = {total!r} - {tax!r} (no subtotal column)",
    "every amount is a whole number (e.g. {column!r} {example}): read in the lowest "
    "denomination (cents; whole units for zero-decimal currencies such as JPY), as Paddle's "
    "API writes amounts. Had they been whole currency units, every MRR would be 100 times too "
    "small",
    "amounts written with decimals: read in currency units",
    "{count} transaction(s) worth 0 (trials, 100% discounts) kept as lines worth 0",
    "{count} prorated change(s) (origin subscription_update) read as the change in MRR over "
    "their billing period: Paddle puts the credit for removed items on the same transaction",
    "refunds, credits and chargebacks are in Paddle's adjustments report, which is not read: a "
    "refunded transaction still counts here",
    # Paddle Classic
    "Paddle Classic rules: active and past_due count, trials from the next payment date, "
    "paused at paused_from (else paused_at), deleted at their cancellation date",
    "MRR from {column!r} x quantity, read in currency units",
    "the file gives no plan price: MRR from the payments it lists ({columns}, the first filled "
    "one per row), read in currency units as charged. They may include sales tax or VAT and a "
    "prorated first payment: for exact MRR add a column 'recurring_price' with each plan's "
    "price before tax",
    "{count} deleted subscription(s) rejected: Paddle Classic's user list gives no "
    "cancellation date. Add a column 'cancellation_effective_date' (from the "
    "subscription_cancelled webhooks or the dashboard) to date their churn",
)

#: Date conventions a note never mentions: read as expected, or no text to read.
_SILENT_DATES = ("ISO dates (YYYY-MM-DD)", "empty", "dates")
#: A date column whose values never tell day-first from month-first, read like the file's other
#: date columns (:class:`DateColumns`).
_LIKE_THE_OTHERS = " (like the file's other date columns; its own values never tell)"

#: The placeholders of :data:`WARNING_TEMPLATES` that hold mrrkit's own words rather than the
#: file's, with every value each can take (an app translates them too).
WARNING_TERMS = {
    "encoding": ENCODING_NAMES,
    "delimiter": tuple(DELIMITER_NAMES.values()),
    "convention": tuple(
        c for c in DATE_CONVENTIONS if c not in _SILENT_DATES and not c.endswith("(as asked)")
    )
    + ("DD/MM/YYYY" + _LIKE_THE_OTHERS, "MM/DD/YYYY" + _LIKE_THE_OTHERS),
}


class Reasons:
    """One reason per rejected row; the first reason given to a row wins."""

    def __init__(self, n: int):
        self.ok = np.ones(n, dtype=bool)
        self.text = np.full(n, None, dtype=object)

    def reject(self, mask, reason) -> None:
        """Reject the rows of ``mask`` still kept; ``reason`` is a string or an array of strings
        aligned with the rows."""
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        self.text[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
        self.ok &= ~mask


@dataclass(eq=False)
class Credits:
    """What the credit lines of a format (negative MRR) may reduce: see
    :func:`reject_uncovered_credits`."""

    #: The subscription of each row (a credit only reduces its own subscription's charges).
    subscription: pd.Series
    #: The price or plan of each row ("" when unknown): a credit for unused time on a price
    #: reduces that price's charges. None: the file does not say.
    plan: pd.Series | None = None
    #: Rows that may carry a credit starting on their own first day (a regular charge), as
    #: opposed to the charge a plan change creates next to its credit. None: every row.
    covers_same_day: np.ndarray | None = None


@dataclass(eq=False)
class Draft:
    """What a format makes of a table: one candidate line per row, and the rows' fate."""

    customer_id: pd.Series
    start: pd.Series
    end: pd.Series
    mrr: np.ndarray
    reasons: Reasons
    currency: pd.Series | None = None
    attributes: dict[str, pd.Series] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    #: For formats with credit lines (negative MRR): what a credit may reduce, checked by
    #: :func:`reject_uncovered_credits` once every other rejection (currencies included) is
    #: known. None: the format has no credits (its negative amounts are rejected).
    credits: Credits | None = None
    #: Notes for a file without currency column read without a reporting currency (with one,
    #: ``read_export`` says the amounts are read in it).
    no_currency_notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    """What a status means.

    ``action`` is ``"count"`` (paying; ends at the format's end columns if set), ``"until"``
    (paying until the end columns plus ``cols``, if set), ``"trial"`` (pays from the trial end,
    read from the trial columns plus ``cols``), ``"ended"`` (paid until the end columns plus
    ``cols``, which must be set) or ``"reject"`` (``reason`` says why).
    """

    action: str
    cols: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class Columns:
    """Headers playing each role; tuples are coalesced left to right (first non-empty wins)."""

    customer_id: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    trial_end: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    mrr: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    interval: tuple[str, ...] = ()
    interval_count: tuple[str, ...] = ()
    quantity: tuple[str, ...] = ()
    #: Amounts added to ``amount x quantity`` for the billing period (add-ons); an empty cell
    #: adds nothing.
    add_on: tuple[str, ...] = ()
    #: The whole recurring amount of the billing period (quantity and add-ons already in it):
    #: used where a row has it, else ``amount x quantity + add_on``.
    total: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    #: The current billing period (start, end): where a file has no interval column, the length
    #: of this period gives the interval.
    period_start: tuple[str, ...] = ()
    period_end: tuple[str, ...] = ()
    #: Plan identifiers: rows whose interval cannot be read take their plan's usual interval.
    plan: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)


def text(col: pd.Series) -> pd.Series:
    """A column as stripped text with empty cells as ``""``."""
    if pd.api.types.is_float_dtype(col.dtype):
        # Whole numbers from a spreadsheet are identifiers or codes, not "12.0".
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(
            [("" if np.isnan(x) else (str(int(x)) if x.is_integer() else repr(x))) for x in v],
            index=col.index,
            dtype="str",
        )
        return out
    if not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    return col.fillna("").str.strip()


def per_value(values: pd.Series, message) -> np.ndarray:
    """``message(value)`` for each row as an object array, built once per distinct value (a
    million rows hold a handful of statuses or intervals)."""
    codes, uniques = pd.factorize(values)
    table = np.array([message(u) for u in uniques] + [message("")], dtype=object)
    return table[codes]


def column(headers, *candidates: str) -> str | None:
    """The first header equal, once normalised, to one of ``candidates``."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    for c in candidates:
        found = by_norm.get(normalise(c))
        if found is not None:
            return found
    return None


def columns(headers, *candidates: str) -> tuple[str, ...]:
    """Every header matching one of ``candidates``, in candidate order."""
    out = []
    for c in candidates:
        found = column(headers, c)
        if found is not None and found not in out:
            out.append(found)
    return tuple(out)


class DateColumns:
    """Date columns of one table, each parsed once, with one day-first convention for the file.

    Day-first is decided per column (:func:`~mrrkit.io.parse.parse_dates`), never per row; a
    column whose own values never tell (no part above 12) follows the file's other date columns
    when they say month-first, rather than being assumed day-first against them.
    """

    def __init__(self, frame: pd.DataFrame, headers=()):
        self.frame = frame
        self._parsed: dict[str, object] = {}
        self._dayfirst: bool | None = None
        headers = [h for h in dict.fromkeys(headers) if h in frame.columns]
        told = [self.get(h).convention for h in headers]
        says_month_first = any(c.startswith("MM/DD") and "(" not in c for c in told)
        says_day_first = any(
            c.startswith("DD/MM") and "(assumed" not in c and "month-first" not in c for c in told
        )
        if says_month_first != says_day_first:  # the file tells one way only
            self._dayfirst = says_day_first
            for h in headers:
                if "(assumed" in self._parsed[h].convention:
                    parsed = self._parsed[h]
                    if says_month_first:
                        parsed = parse_dates(frame[h], dayfirst=False)
                    self._parsed[h] = self._like_the_others(parsed)

    def _like_the_others(self, parsed):
        label = "DD/MM/YYYY" if self._dayfirst else "MM/DD/YYYY"
        return dataclasses.replace(parsed, convention=label + _LIKE_THE_OTHERS)

    def get(self, header: str):
        """The parsed column (cached)."""
        found = self._parsed.get(header)
        if found is None:
            found = parse_dates(self.frame[header], dayfirst=self._dayfirst)
            if found.convention.endswith("(as asked)"):  # asked by the file, not by the user
                found = self._like_the_others(found)
            self._parsed[header] = found
        return found


def _coalesce_dates(
    frame, cols, reasons: Reasons, what: str, notes: list[Note], dates: DateColumns | None = None
) -> pd.Series:
    dates = dates if dates is not None else DateColumns(frame)
    out = None
    for h in cols:
        if out is not None and not out.isna().any():
            break  # later columns only fill gaps
        parsed = dates.get(h)
        if parsed.convention not in _SILENT_DATES:
            notes.append(
                note("{column!r} read as {convention}", column=h, convention=parsed.convention)
            )
        reasons.reject(parsed.bad, f"{what}: cannot read the date in {h!r}")
        out = parsed.values if out is None else out.fillna(parsed.values)
    if out is None:
        out = pd.Series(
            np.full(len(frame), np.datetime64("NaT"), "datetime64[s]"), index=frame.index
        )
    return out


def _coalesce_text(frame, cols) -> pd.Series | None:
    out = None
    for h in cols:
        t = text(frame[h])
        out = t if out is None else out.where(out != "", t)
    return out


def _amounts(
    frame, cols, reasons: Reasons, what: str, notes: list[Note]
) -> tuple[np.ndarray, str | None]:
    """Coalesced amounts and the header they mostly came from."""
    out = None
    for h in cols:
        parsed = parse_amounts(frame[h])
        if parsed.convention == "decimal ','":
            notes.append(note("{column!r} read with a decimal comma", column=h))
        reasons.reject(parsed.bad, f"{what}: cannot read the number in {h!r}")
        v = parsed.values.to_numpy()
        out = v if out is None else np.where(np.isnan(out), v, out)
    return (np.full(len(frame), np.nan) if out is None else out), (cols[0] if cols else None)


def _money(frame, cols, reasons: Reasons, currency, cents, notes, money_notes) -> np.ndarray:
    """Coalesced amounts of ``cols`` in currency units (a cents header divided as
    :func:`cents_divisor` says); NaN where no column has a number."""
    values, header = _amounts(frame, cols, reasons, "amount", money_notes)
    if (is_cents(header) if cents is None else cents):
        values = values / cents_divisor(currency, len(frame))
        notes.append(note("{column!r} read in cents", column=header))
    return values


def cents_divisor(currency: pd.Series | None, n: int) -> np.ndarray:
    """100 per row, 1 for zero-decimal currencies."""
    if currency is None:
        return np.full(n, 100.0)
    return np.where(currency.isin(ZERO_DECIMAL_CURRENCIES).to_numpy(), 1.0, 100.0)


def months_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Calendar months from ``start`` to ``end`` (``datetime64``), fractional for partial months.

    Whole months count by calendar (31 Jan -> 29 Feb is one month, as Stripe bills it); the rest
    is the share of the following month's days.

    Examples
    --------
    >>> import numpy as np
    >>> d = lambda *s: np.array(s, dtype="datetime64[D]")
    >>> months_between(d("2024-01-01", "2024-01-31", "2024-01-15"), d("2025-01-01", "2024-02-29", "2024-02-01")).round(4).tolist()
    [12.0, 1.0, 0.5484]
    """
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    sm = s.astype("datetime64[M]")
    day = (s - sm.astype("datetime64[D]")).astype(np.int64)

    def anchor(k):
        month = sm + k
        length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(
            np.int64
        )
        return month.astype("datetime64[D]") + np.minimum(day, length - 1)

    k = (e.astype("datetime64[M]") - sm).astype(np.int64)
    a = anchor(k)
    over = a > e
    k = np.where(over, k - 1, k)
    a = anchor(k)
    nxt = anchor(k + 1)
    frac = (e - a).astype(np.int64) / (nxt - a).astype(np.int64)
    return k + frac


def _snap_months(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Months per billing period from one period's dates: whole calendar months when the period
    is one (a month, a quarter, a year, within a day), else whole weeks (x 12/52), else days
    (x 12/365); NaN where the period is not a positive span."""
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    ok = ~np.isnat(s) & ~np.isnat(e) & (e > s)
    out = np.full(len(s), np.nan)
    if not ok.any():
        return out
    days = (e[ok] - s[ok]).astype(np.int64)
    months = months_between(s[ok], e[ok])
    whole = np.round(months)
    by_month = (whole >= 1) & (np.abs(months - whole) * 30 <= 1.01)
    weekly = ~by_month & (days % 7 == 0)
    out[ok] = np.where(by_month, whole, np.where(weekly, days / 7 * 12 / 52, days * 12 / 365))
    return out


def _infer_months(frame, cols: Columns, months, missing, trial, dates, notes) -> np.ndarray:
    """Fill missing billing intervals: from the row's current billing period (unless that period
    is its trial), then from the usual interval of its plan, then from words in the plan's name
    (``basic-USD-Yearly``)."""
    months = months.copy()
    plans = _coalesce_text(frame, cols.plan)
    if cols.period_start and cols.period_end:
        ps = _coalesce_dates(frame, cols.period_start, Reasons(len(frame)), "", [], dates)
        pe = _coalesce_dates(frame, cols.period_end, Reasons(len(frame)), "", [], dates)
        in_trial = (pe <= trial).fillna(False).to_numpy()
        from_period = _snap_months(ps.to_numpy(), pe.to_numpy())
        from_period[in_trial] = np.nan
        use = missing & ~np.isnan(from_period)
        if use.any():
            months[use] = from_period[use]
            notes.append(
                note(
                    "{count} row(s): billing interval taken from the current period "
                    "({start!r} to {end!r})",
                    count=int(use.sum()),
                    start=cols.period_start[0],
                    end=cols.period_end[0],
                )
            )
        if plans is not None:
            known = ~np.isnan(from_period)
            rest = missing & np.isnan(months)
            if known.any() and rest.any():
                counts = pd.DataFrame(
                    {"plan": plans[known].to_numpy(), "m": from_period[known]}
                ).value_counts()  # most frequent (plan, interval) first
                usual = counts.reset_index().drop_duplicates("plan").set_index("plan")["m"]
                fill = plans.map(usual).to_numpy(dtype="float64", na_value=np.nan)
                use = rest & ~np.isnan(fill)
                if use.any():
                    months[use] = fill[use]
                    notes.append(
                        note(
                            "{count} row(s) in a trial or without a current period: billing "
                            "interval of their plan's other subscriptions",
                            count=int(use.sum()),
                        )
                    )
    if plans is not None:
        rest = missing & np.isnan(months)
        if rest.any():
            codes, uniques = pd.factorize(plans)
            by_name = np.array([_months_in_name(u) for u in uniques] + [np.nan])
            fill = by_name[codes]
            use = rest & ~np.isnan(fill)
            if use.any():
                months[use] = fill[use]
                notes.append(
                    note(
                        "{count} row(s): billing interval read from the plan name "
                        "(e.g. {example!r})",
                        count=int(use.sum()),
                        example=plans[use].iloc[0],
                    )
                )
    return months


_FREQUENCY_WORDS = {
    **dict.fromkeys(["monthly", "mensuel", "mensuelle", "mensile"], 1.0),
    **dict.fromkeys(["quarterly", "trimestriel", "trimestrielle", "trimestrale"], 3.0),
    **dict.fromkeys(["semiannual", "semestriel", "semestrielle", "semestrale"], 6.0),
    **dict.fromkeys(["yearly", "annual", "annually", "annuel", "annuelle", "annuale"], 12.0),
    **dict.fromkeys(["weekly", "hebdomadaire", "settimanale"], 12.0 / 52.0),
    **dict.fromkeys(["daily", "quotidien", "giornaliero"], 12.0 / 365.0),
}


def _months_in_name(name) -> float:
    """The interval a plan name states by a frequency word (``pro-USD-Yearly``,
    ``basic_monthly``, ``pro-annuel``), when it states exactly one; ``30-day-trial`` or
    ``12-month`` state a length, not a frequency, and say nothing."""
    found = {
        _FREQUENCY_WORDS[w]
        for w in re.split(r"[^a-z]+", str(name).lower())
        if w in _FREQUENCY_WORDS
    }
    return found.pop() if len(found) == 1 else np.nan


def subscription_draft(
    frame: pd.DataFrame,
    cols: Columns,
    *,
    statuses: dict[str, Rule] | None = None,
    cents: bool | None = None,
    default_months: float | None = None,
    notes: list[Note] | None = None,
) -> Draft:
    """Apply the shared subscription rules to a table.

    Parameters
    ----------
    frame : DataFrame
        The table, one subscription per row.
    cols : Columns
        Which headers play which role.
    statuses : dict, optional
        Normalised status (lower case, ``_`` for spaces) -> :class:`Rule`. None: no status
        column is read and every row counts.
    cents : bool, optional
        Whether amounts are in cents; None: decided per header (:func:`~mrrkit.io.headers.is_cents`).
    default_months : float, optional
        Billing period of rows without an interval; None: such rows are rejected.
    notes : list of Note, optional
        Appended to, for the import report (:data:`WARNING_TEMPLATES`).
    """
    notes = [] if notes is None else notes
    n = len(frame)
    reasons = Reasons(n)
    index = frame.index

    customer = _coalesce_text(frame, cols.customer_id)
    if customer is None:
        customer = pd.Series([""] * n, index=index, dtype="str")
    reasons.reject((customer == "").to_numpy(), "missing customer id")

    rule_dates = [
        h for rule in (statuses or {}).values() for h in columns(list(frame.columns), *rule.cols)
    ]
    # The convention is told by the main date columns (later ones of a role only fill gaps and
    # are parsed only if needed).
    main_dates = [c[0] for c in (cols.start, cols.trial_end, cols.end) if c]
    dates = DateColumns(frame, [*main_dates, *rule_dates])
    start = _coalesce_dates(frame, cols.start, reasons, "start", notes, dates)
    trial = _coalesce_dates(frame, cols.trial_end, reasons, "trial end", notes, dates)
    end = _coalesce_dates(frame, cols.end, reasons, "end", notes, dates)

    currency = _coalesce_text(frame, cols.currency)
    if currency is not None:
        currency = currency.str.upper()

    if statuses is not None:
        status = _coalesce_text(frame, cols.status)
        if status is None:
            status = pd.Series([""] * n, index=index, dtype="str")
        # Normalise the few distinct statuses, not the million rows.
        codes, raw_uniques = pd.factorize(status)
        uniques = [re.sub(r"[\s\-]+", "_", str(u).strip().lower()) for u in raw_uniques]
        actions = np.array(
            [statuses[u].action if u in statuses else "unknown" for u in uniques] + ["unknown"],
            dtype=object,
        )
        row_action = actions[codes]
        reasons.reject((status == "").to_numpy(), "missing status")
        for i, u in enumerate(uniques):
            at = codes == i
            rule = statuses.get(u)
            if rule is None:
                reasons.reject(at, f"unknown status {status[at].iloc[0]!r}")
            elif rule.action == "reject":
                reasons.reject(at, rule.reason)
            elif rule.cols:
                found = columns(list(frame.columns), *rule.cols)
                sub = Reasons(n)
                extra = _coalesce_dates(frame, found, sub, f"{u} date", notes, dates)
                reasons.reject(at & ~sub.ok, sub.text)
                if rule.action == "trial":
                    trial = trial.where(~(at & trial.isna().to_numpy()), extra)
                else:
                    end = end.where(~(at & end.isna().to_numpy()), extra)
        is_trial = row_action == "trial"
        reasons.reject(is_trial & trial.isna().to_numpy(), "trialing without a trial end date")
        ended = row_action == "ended"
        missing_end = ended & end.isna().to_numpy()
        if missing_end.any():
            reasons.reject(
                missing_end,
                per_value(status, lambda s: f"status {s!r} without an end date"),
            )

    # A trial counts from its end; a subscription cancelled before then never paid.
    has_trial = trial.notna().to_numpy()
    trial_later = has_trial & ~(trial <= start).to_numpy()  # also when start is missing
    never_paid = trial_later & end.notna().to_numpy() & (end <= trial).fillna(False).to_numpy()
    reasons.reject(never_paid, "cancelled before the trial ended (never paid)")
    start = start.where(~trial_later, trial)
    reasons.reject(start.isna().to_numpy(), "missing start date")

    # Money.
    money_notes: list[Note] = []
    quantity = np.ones(n)
    if cols.mrr:
        mrr, header = _amounts(frame, cols.mrr, reasons, "mrr", money_notes)
        in_cents = is_cents(header) if cents is None else cents
        if in_cents:
            mrr = mrr / cents_divisor(currency, n)
            notes.append(note("{column!r} read in cents", column=header))
        reasons.reject(np.isnan(mrr), "missing MRR amount")
    else:
        amount, header = _amounts(frame, cols.amount, reasons, "amount", money_notes)
        in_cents = (header is not None and is_cents(header)) if cents is None else cents
        if in_cents:
            amount = amount / cents_divisor(currency, n)
            notes.append(note("{column!r} read in cents", column=header))
        total = None
        if cols.total:  # a row with its total needs no unit amount
            total = _money(frame, cols.total, reasons, currency, cents, notes, money_notes)
            reasons.reject(np.isnan(amount) & np.isnan(total), "missing amount")
        else:
            reasons.reject(np.isnan(amount), "missing amount")
        if cols.interval:
            interval_col = _coalesce_text(frame, cols.interval)
            count_col = frame[cols.interval_count[0]] if cols.interval_count else None
            months = parse_intervals(interval_col, count_col)
            if months.bad.any() and count_col is not None:
                # A count of 0, -1 or 1.5 is said as such (with its column), not as an unknown
                # interval word; a row whose word is unknown too is said to have that.
                count_header = cols.interval_count[0]
                bad_count = (
                    months.bad
                    & bad_interval_counts(count_col)
                    & ~parse_intervals(interval_col).bad
                )
                reasons.reject(
                    bad_count,
                    per_value(
                        text(count_col),
                        lambda v: f"interval count {v!r} in {count_header!r}: not a whole "
                        "number of 1 or more",
                    ),
                )
            reasons.reject(
                months.bad,
                per_value(interval_col, lambda v: f"unknown billing interval {v!r}")
                if months.bad.any()
                else "",
            )
            months_v = months.values.to_numpy()
        else:
            months_v = np.full(n, np.nan)
        missing_interval = np.isnan(months_v) & reasons.ok
        if missing_interval.any():
            months_v = _infer_months(frame, cols, months_v, missing_interval, trial, dates, notes)
            missing_interval = np.isnan(months_v)
        if default_months is not None:
            assumed = missing_interval & reasons.ok
            if assumed.any():
                plans = _coalesce_text(frame, cols.plan)
                named = [] if plans is None else [p for p in pd.unique(plans[assumed])[:5] if p]
                values = dict(count=int(assumed.sum()), months=default_months)
                notes.append(
                    note(
                        "{count} row(s) without a billing interval read as billed every "
                        "{months:g} month(s) (plans: {plans}): check their MRR, or give the "
                        "interval in a mapping",
                        plans=named,
                        **values,
                    )
                    if named
                    else note(
                        "{count} row(s) without a billing interval read as billed every "
                        "{months:g} month(s): check their MRR, or give the interval in a mapping",
                        **values,
                    )
                )
            months_v = np.where(missing_interval, default_months, months_v)
        else:
            reasons.reject(missing_interval, "missing billing interval")
        quantity = np.ones(n)
        if cols.quantity:
            q, _ = _amounts(frame, cols.quantity, reasons, "quantity", money_notes)
            reasons.reject(q < 0, "negative quantity")
            quantity = np.where(np.isnan(q), 1.0, q)
        with np.errstate(invalid="ignore", divide="ignore"):
            period_amount = amount * quantity
        if cols.add_on:
            add_on = _money(frame, cols.add_on, reasons, currency, cents, notes, money_notes)
            period_amount = period_amount + np.nan_to_num(add_on)
        if total is not None:
            period_amount = np.where(np.isnan(total), period_amount, total)
        with np.errstate(invalid="ignore", divide="ignore"):
            mrr = period_amount / months_v
    notes += money_notes
    reasons.reject(mrr < 0, "negative amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "amount too large (over 10 billion a month)")
    reasons.reject(~np.isfinite(mrr), "amount cannot be read")

    # Dates in order.
    backwards = (end < start).fillna(False).to_numpy()
    reasons.reject(backwards, "end date before start date")
    same_day = (end == start).fillna(False).to_numpy()
    reasons.reject(same_day, "ends the day it starts (never billed)")

    attributes = {}
    for name, h in cols.attributes.items():
        if h in frame.columns:
            attributes[name] = text(frame[h])
    if cols.quantity and "quantity" not in attributes:
        if cols.mrr:  # the monthly amount is given: quantity is only an attribute
            q, _ = _amounts(frame, cols.quantity, reasons, "quantity", notes)
            quantity = np.where(np.isnan(q), 1.0, q)
        attributes["quantity"] = pd.Series(quantity, index=index, dtype="float64")
    mapping = {
        role: getattr(cols, role)[0]
        for role in (
            "customer_id",
            "start",
            "trial_end",
            "end",
            "mrr",
            "amount",
            "interval",
            "interval_count",
            "quantity",
            "currency",
            "status",
        )
        if getattr(cols, role)
    }
    mapping.update({name: h for name, h in cols.attributes.items() if h in frame.columns})
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
    )


def _engine_micros(mrr: np.ndarray) -> np.ndarray:
    """MRR as the engine counts it (:func:`mrrkit.validate_lines`): integer millionths, a line
    worth at most a millionth being nothing; 0 for values that are not finite."""
    finite = np.isfinite(mrr)
    safe = np.where(finite, mrr, 0.0)
    return np.where(np.abs(safe) <= 1.0 / MICROS, 0, np.rint(safe * MICROS)).astype(np.int64)


def reject_uncovered_credits(
    customer: pd.Series, credits: Credits, start, end, mrr, reasons: Reasons
) -> tuple[np.ndarray, int]:
    """Reject each credit line (negative MRR: a proration for unused time, a net downgrade)
    whose charge is not among the kept lines.

    The charge a credit reduces is then not in the file (an export covers the invoices or
    transactions of a date range) or was rejected. Kept, such a credit would give the customer
    negative MRR, which the engine refuses, or (next to the new price's charge for the same
    days) a wrong history. A credit is kept when, on every day of its period, the lines of its
    customer's subscription that can carry it add up to at least the credit:

    - lines that started before it, or on its first day when ``credits.covers_same_day`` says
      they may (a regular charge may; the charge for the new price made by the same change may
      not: it replaces the reduced charge, it is not that charge);
    - when ``credits.plan`` names the credit's price, the check is made twice: on the lines of
      that price (the credit is for unused time on it) and on the whole subscription;
    - credits accepted before it (in date order) count against the same lines.

    A credit for the whole rest of a charge's period can come out a little larger than the
    charge: the vendor prorates by the second and rounds to the cent, the file's dates are read
    as days. A credit over by no more than that (one day of its period, plus half a cent over
    its months) is trimmed to the charge instead of rejected.

    Sums are made in the engine's integer millionths, so a kept credit never takes a customer
    below zero in :func:`mrrkit.engine.movements`. ``end`` NaT means open-ended.

    Returns
    -------
    mrr : ndarray
        ``mrr`` with the trimmed credits changed (a new array; the argument is left as it is).
    trimmed : int
        How many credits were trimmed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> day = lambda *d: pd.Series(pd.to_datetime(list(d)))
    >>> reasons = Reasons(3)
    >>> starts = day("2024-01-01", "2024-01-15", "2024-01-15")
    >>> ends = day("2024-02-01", "2024-02-01", "2024-02-01")
    >>> customer = pd.Series(["c1", "c1", "c1"])
    >>> credits = Credits(pd.Series(["s1", "s1", "s2"]))
    >>> mrr, trimmed = reject_uncovered_credits(
    ...     customer, credits, starts, ends, np.array([30.0, -20.0, -5.0]), reasons)
    >>> reasons.ok.tolist(), trimmed
    ([True, True, False], 0)
    """
    mrr = np.array(mrr, dtype="float64")
    micros = _engine_micros(mrr)
    pending = np.flatnonzero(reasons.ok & (micros < 0))
    if not len(pending):
        return mrr, 0
    # One integer per (customer, subscription): factorising each column is much faster than
    # joining a million pairs of strings.
    customer_code, _ = pd.factorize(customer, use_na_sentinel=False)
    sub_code, sub_uniques = pd.factorize(credits.subscription, use_na_sentinel=False)
    group = customer_code.astype(np.int64) * max(len(sub_uniques), 1) + sub_code
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    e = np.where(np.isnat(e), np.datetime64("9999-12-31"), e)
    # The kept rows of the groups with a credit, by group (in row order); from here on plain
    # Python values of those rows only (numpy scalars are slow one at a time).
    concerned = np.flatnonzero(reasons.ok & np.isin(group, group[pending]))
    concerned = concerned[np.argsort(group[concerned], kind="stable")]
    cuts = np.flatnonzero(np.diff(group[concerned])) + 1
    members = {int(group[rows[0]]): rows.tolist() for rows in np.split(concerned, cuts)}
    rows_of = concerned.tolist()
    first = dict(zip(rows_of, s[concerned].astype(np.int64).tolist()))
    last = dict(zip(rows_of, e[concerned].astype(np.int64).tolist()))
    value = dict(zip(rows_of, micros[concerned].tolist()))
    same_day = dict.fromkeys(rows_of, True)
    if credits.covers_same_day is not None:
        same_day = dict(zip(rows_of, np.asarray(credits.covers_same_day)[concerned].tolist()))
    plan = None
    if credits.plan is not None:
        plan = dict(zip(rows_of, credits.plan.astype("str").to_numpy(dtype=object)[concerned]))
    # How much a whole-rest-of-period credit may exceed its charge (see above), in millionths.
    with np.errstate(invalid="ignore", divide="ignore"):
        slack = np.abs(micros[pending]) / np.maximum((e[pending] - s[pending]).astype(np.int64), 1)
        slack += 0.005 * MICROS / months_between(s[pending], e[pending])
    open_ended = np.isnat(np.asarray(end, dtype="datetime64[D]")[pending])
    slack = dict(
        zip(pending.tolist(), np.where(open_ended | ~np.isfinite(slack), 0, slack).tolist())
    )
    waiting = set(pending.tolist())
    refused = []
    trimmed = 0
    for i in sorted(waiting, key=lambda i: (first[i], i)):
        waiting.discard(i)
        begins, ends = first[i], last[i]
        rows = [
            j
            for j in members[int(group[i])]
            if first[j] < ends
            and last[j] > begins
            and j != i
            and j not in waiting
            and (value[j] < 0 or first[j] < begins or (first[j] == begins and same_day[j]))
        ]
        checks = [rows]
        if plan is not None and plan[i] != "":
            checks.append([j for j in rows if plan[j] == plan[i]])
        carried = min(_lowest(rows_, i, first, last, value) for rows_ in checks)
        if carried + value[i] >= 0:
            continue
        if carried > 0 and carried + value[i] >= -slack[i]:
            value[i] = -carried
            mrr[i] = -carried / MICROS
            trimmed += 1
            continue
        # Out of the group: later credits no longer count it.
        members[int(group[i])].remove(i)
        refused.append(i)
    if refused:
        at = np.zeros(len(micros), dtype=bool)
        at[refused] = True
        reasons.reject(at, UNCOVERED_CREDIT)
    return mrr, trimmed


def _lowest(rows: list[int], i: int, first: dict, last: dict, value: dict) -> int:
    """The least total of ``rows`` on any day of row ``i``'s period (it changes only on the days
    one of them starts or ends)."""
    begins, ends = first[i], last[i]
    days = {begins} | {d for j in rows for d in (first[j], last[j]) if begins < d < ends}
    return min(sum(value[j] for j in rows if first[j] <= d < last[j]) for d in days)


# --------------------------------------------------------------------------------------------
# The dates read
# --------------------------------------------------------------------------------------------


def apply_date_window(
    frame: pd.DataFrame,
    draft: Draft,
    window: DateWindow,
    notes: list[Note],
    *,
    periods: bool = False,
) -> None:
    """Hold a draft's dates to the dates read (:func:`mrrkit.io.parse.date_window`), in place.

    - A start before ``window.first`` or after ``window.last`` rejects its row, the reason
      naming the column and the cell as the file writes them (the trial end's column when the
      line starts at the trial's end).
    - An end after ``window.last`` is read as no end, with a note: billing exports write
      "never" as a far-future day (``9999-12-31``, ``2099-01-01``). Where an end is the end of a
      billed service period (``periods``: invoice lines, transactions), it cannot mean "never"
      and rejects the row like a start.
    - An end before ``window.first`` is before its start or goes with a start before it, so
      its row is already rejected.

    Only the rows still kept are looked at, so a row keeps the first reason it was given.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "start": ["2024-01-01",
    ...     "9999-01-01", "2024-01-01"], "end": ["", "", "2099-01-01"], "mrr": ["10"] * 3})
    >>> draft, notes = canonical_draft(frame), []
    >>> window = DateWindow(pd.Timestamp("1990-01-01"), pd.Timestamp("2036-06-30"))
    >>> apply_date_window(frame, draft, window, notes)
    >>> draft.reasons.text.tolist()
    [None, "start date '9999-01-01' in 'start' is after 2036-06-30, the latest date read", None]
    >>> draft.end.isna().tolist(), notes[0].values["count"]
    ([True, True, True], 1)
    """
    reasons = draft.reasons
    first, last = str(window.first.date()), str(window.last.date())
    starts = [h for h in (draft.mapping.get("start"), draft.mapping.get("trial_end")) if h]
    before, after = window.outside(draft.start)
    at = np.flatnonzero(reasons.ok & (before | after))
    if len(at):
        header, written = _written_dates(frame, at, draft.start, starts)
        reason = np.full(len(frame), None, dtype=object)
        for h in dict.fromkeys(header.tolist()):
            early = (header == h) & before[at]
            late = (header == h) & after[at]
            reason[at[early]] = per_value(
                pd.Series(written[early], dtype="str"),
                lambda v: f"start date {v!r} in {h!r} is before {first}, the earliest date "
                "read",
            )
            reason[at[late]] = per_value(
                pd.Series(written[late], dtype="str"),
                lambda v: f"start date {v!r} in {h!r} is after {last}, the latest date read",
            )
        reasons.reject(before | after, reason)
    _, late_end = window.outside(draft.end)
    late_end &= reasons.ok
    at = np.flatnonzero(late_end)
    if not len(at):
        return
    ends = [h for h in (draft.mapping.get("end"),) if h]
    header, written = _written_dates(frame, at, draft.end, ends)
    if periods:
        reason = np.full(len(frame), None, dtype=object)
        for h in dict.fromkeys(header.tolist()):
            on = header == h
            reason[at[on]] = per_value(
                pd.Series(written[on], dtype="str"),
                lambda v: f"end date {v!r} in {h!r} is after {last}, the latest date read",
            )
        reasons.reject(late_end, reason)
        return
    draft.end = draft.end.mask(late_end)
    notes.append(
        note(
            "{count} end date(s) after {date} read as no end (e.g. {example!r} in {column!r}): "
            "far-future ends such as 9999-12-31 stand for 'never' in billing exports",
            count=len(at),
            date=last,
            example=str(written[0]),
            column=str(header[0]),
        )
    )


def _written_dates(
    frame: pd.DataFrame, rows: np.ndarray, values: pd.Series, preferred: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows`` (positions), the column its date in ``values`` was read from and the
    cell as written there: the first column, ``preferred`` ones first, whose cell reads as that
    day. A row no column explains (a date made from several cells) gets the first preferred
    column, or ``"date"``, and the day itself. Each column is read on the rows still unexplained
    only: the few rows of a file with a stray date, not the whole file again."""
    day = np.asarray(values.to_numpy()).astype("datetime64[D]")[rows]
    header = np.full(len(rows), None, dtype=object)
    written = np.full(len(rows), None, dtype=object)
    todo = np.arange(len(rows))
    for h in dict.fromkeys([*[c for c in preferred if c in frame.columns], *frame.columns]):
        if not len(todo):
            break
        cells = frame[h].iloc[rows[todo]].reset_index(drop=True)
        parsed = parse_dates(cells).values.to_numpy().astype("datetime64[D]")
        same = parsed == day[todo]
        if same.any():
            header[todo[same]] = h
            written[todo[same]] = text(cells[same]).to_numpy(dtype=object)
            todo = todo[~same]
    if len(todo):
        header[todo] = preferred[0] if preferred else "date"
        written[todo] = np.datetime_as_string(day[todo], unit="D").astype(object)
    return header, written


# --------------------------------------------------------------------------------------------
# Canonical and generic files
# --------------------------------------------------------------------------------------------


def is_canonical(headers) -> bool:
    """Whether the headers are mrrkit's own (``customer_id, start, mrr`` and maybe ``end``)."""
    names = {str(h).strip().lower() for h in headers}
    return {"customer_id", "start", "mrr"} <= names


def canonical_draft(frame: pd.DataFrame) -> Draft:
    """mrrkit's own columns: ``customer_id, start, end, mrr`` plus attributes."""
    lower = {str(h).strip().lower(): h for h in frame.columns}
    mapping = {role: lower[role] for role in (*_CANONICAL_ROLES, "currency") if role in lower}
    return generic_draft(frame, mapping, exact=True)


_ROLE_NAMES = tuple(ROLE_SYNONYMS) + ("trial_end",)


def generic_draft(frame: pd.DataFrame, mapping: dict | None = None, exact: bool = False) -> Draft:
    """Any table: roles from ``mapping`` (canonical name -> header), else guessed from headers.

    Columns no role uses become attributes under their own header; ``plan``, ``product``,
    ``quantity``, ``currency`` and ``churn_reason`` are renamed to those canonical names.

    Raises
    ------
    ExportError
        A mapped header the file does not have, or no customer, start or money column.
    """
    headers = list(frame.columns)
    mapping = dict(mapping or {})
    cents = None
    for money in ("mrr", "amount"):
        header = mapping.pop(f"{money}_cents", None)
        if header is not None:  # the user says this column holds cents
            mapping[money] = header
            cents = True
    if exact:
        roles = dict(mapping or {})
    else:
        roles = guess_mapping(headers)
        if mapping:
            explicit = {k: v for k, v in mapping.items()}
            used = {v for v in explicit.values() if v is not None}
            roles = {k: v for k, v in roles.items() if v not in used and k not in explicit}
            roles.update({k: v for k, v in explicit.items() if v is not None})
            roles = {k: v for k, v in roles.items() if v is not None}
    missing = [h for h in roles.values() if h not in frame.columns]
    if missing:
        raise ExportError(
            f"the mapping names column(s) {missing} which the file does not have; "
            f"its columns are {headers}"
        )
    needs = [r for r in ("customer_id", "start") if r not in roles]
    if "mrr" not in roles and "amount" not in roles:
        needs.append("mrr (or amount + interval)")
    if needs:
        raise ExportError(
            f"no column found for {', '.join(needs)}; columns are {headers}. Expected headers "
            "such as customer_id/client/cliente, start/date de début/data inizio, "
            "mrr/mensualité/canone mensile or amount/montant/importo (+ interval), or a mapping"
        )
    notes: list[Note] = []
    if "mrr" in roles:
        roles.pop("amount", None)
        roles.pop("interval", None)
        roles.pop("interval_count", None)
    attrs = {}
    for name in ("plan", "product", "churn_reason"):
        if name in roles:
            attrs[name] = roles[name]
    extra_roles = {k: v for k, v in roles.items() if k not in _ROLE_NAMES}
    attrs.update(extra_roles)
    used_headers = set(roles.values())
    for h in headers:
        if h not in used_headers and h not in attrs.values():
            name = attribute_name(h)
            attrs[name if name not in attrs and name not in _ROLE_NAMES else h] = h
    cols = Columns(
        customer_id=(roles["customer_id"],),
        start=(roles["start"],),
        trial_end=(roles["trial_end"],) if "trial_end" in roles else (),
        end=(roles["end"],) if "end" in roles else (),
        mrr=(roles["mrr"],) if "mrr" in roles else (),
        amount=(roles["amount"],) if "amount" in roles else (),
        interval=(roles["interval"],) if "interval" in roles else (),
        interval_count=(roles["interval_count"],) if "interval_count" in roles else (),
        quantity=(roles["quantity"],) if "quantity" in roles else (),
        currency=(roles["currency"],) if "currency" in roles else (),
        plan=(roles["plan"],) if "plan" in roles else (),
        attributes=attrs,
    )
    draft = subscription_draft(frame, cols, cents=cents, default_months=1.0, notes=notes)
    if cents:  # the mapping a column editor starts from keeps saying "cents"
        for money in ("mrr", "amount"):
            if money in draft.mapping:
                draft.mapping[f"{money}_cents"] = draft.mapping.pop(money)
    return draft
