"""ChartMogul's own CSV import layout (issue 14): each subscription line item is a line over its
service period, ``MRR = (amount_in_cents - tax_amount_in_cents) / months in the period``.

ChartMogul imports invoice data as separate CSV files, uploaded in order: customers, plans,
invoices, invoice line items, transactions, subscription events (Help Center, "Importing billing
data using CSV", https://help.chartmogul.com/hc/en-us/articles/360013881659). Their headers are
those of ChartMogul's sample files, as ChartMogul's Ruby client writes them
(https://github.com/chartmogul/chartmogul-ruby, ``lib/chartmogul/csv``, from
``https://chartmogul-samples.s3-eu-west-1.amazonaws.com/public/0N_*.csv``):

- ``04_Invoice_line_items.csv``: ``Invoice external ID, External ID, Subscription external ID,
  Subscription set external ID, Type, Amount in cents, Plan, Service period start, Service period
  end, Quantity, Proration, Discount code, Discount amount, Tax amount, Description, Transaction
  fee, Account Code`` (amounts in cents);
- ``03_Invoices.csv``: ``Customer external ID, Invoice external ID, Invoiced date, Due date,
  Currency, Status, Collection Method``;
- ``05_Transactions.csv``: ``Invoice external ID, External ID, Type, Result, Date``.

The line items file, the one holding the money and the service periods, has no customer and no
currency: they are on the invoices file. Read alone, each subscription is its own customer (said
in a note, with the join to make); the denormalised file (the line items with their invoice's
``Customer external ID``, ``Currency`` and ``Status``, e.g. Data Platform's exports of both
joined on ``Invoice external ID``) is read per customer. The Import API's names
(``amount_in_cents``, ``tax_amount_in_cents``, ``service_period_start``,
``subscription_external_id``, ``customer_external_id``, ``plan_uuid``, ``prorated``...,
https://dev.chartmogul.com/reference/import-customers-invoices) are read too.

What each column means, as ChartMogul documents it:

- **MRR.** "MRR = (amount_in_cents - tax_amount_in_cents) x subscription_duration_ratio x
  prorate_factor", ``amount_in_cents`` being "the final amount charged ... after discounts and
  taxes have been applied" (https://dev.chartmogul.com/docs/how-mrr-is-calculated-from-prorated-
  invoices): the tax is taken out; a discount is already out ("ChartMogul assumes discounts have
  already been deducted from the specified Amount value ... it doesn't impact MRR",
  https://help.chartmogul.com/hc/en-us/articles/360012519560). The line's ``Discount amount``
  (``discount_amount_in_cents``, with ``Discount code``: the sample file's and the Import API's
  line item fields) is kept as its ``recurring_discount``, a month's worth over the service
  period (:data:`mrrkit.engine.lines.LINE_DISCOUNTS`): the MRR stays after it, as ChartMogul's
  is; ``discounts="none"`` adds it back. Over the service period's calendar
  months, a yearly line counts a twelfth and a prorated one (a part of a month) is scaled up to
  a month, as the prorate factor does.
- **Service period.** ``Service period end`` is the first day not served: ChartMogul's examples
  bill a month as 2019-02-01 to 2019-03-01 and 2015-11-01 to 2015-12-01.
- **Type.** ``subscription`` lines are MRR; ``one_time`` ones are not ("One-time (i.e.,
  non-recurring) payments do not contribute to MRR",
  https://help.chartmogul.com/hc/en-us/articles/360003422980), nor ``trial`` ones (free).
- **Negative lines.** A credit for unused time (a prorated plan change: "credit $50 for the
  unused time in the Bronze plan", article 360012519560) reduces the MRR of the period it covers;
  one whose charge is not in the file is rejected (:func:`mrrkit.io.credits.
  reject_uncovered_credits`). A negative line of a charge's whole period and amount refunds it.
- **Invoice statuses** (``open, paid, refunded, written_off, voided``,
  https://dev.chartmogul.com/docs/destinations/source-data/invoices) and **transactions**: an
  invoice counts whether or not its payment went through ("ChartMogul includes these when
  calculating MRR, even if a transaction is marked as failed") and a refund is cash, not MRR
  ("refunds ... do not contribute to MRR, Churn or LTV",
  https://dev.chartmogul.com/docs/adding-refunds-using-the-import-api): ``open``, ``paid`` and
  ``refunded`` count, a transaction's type and result change nothing. A ``voided`` or
  ``written_off`` invoice was cancelled or never collected: not revenue (ChartMogul lets a source
  leave them out, https://help.chartmogul.com/article/243-invoice-handling).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cells import text
from ..credits import say_credit_notes
from ..dates import DateColumns
from ..drafts import Credits, Draft, Reasons
from ..headers import column
from ..messages import Note, note
from ..money import MAX_MRR, cents_divisor, months_between
from ..parse import parse_amounts
from .common import TRUE, Vendor, has_any, named_headers

__all__ = ["VENDOR"]

#: Each role under the sample file's header, then the Import API's and Destinations' names.
_AMOUNT = ("Amount in cents", "amount_in_cents")
_TAX = ("Tax amount", "Tax amount in cents", "tax_amount_in_cents")
#: The discount already taken off the line's amount, in cents (the sample file's ``Discount
#: amount``, the Import API's ``discount_amount_in_cents``).
_DISCOUNT = ("Discount amount", "Discount amount in cents", "discount_amount_in_cents")
_START = ("Service period start", "service_period_start")
_END = ("Service period end", "service_period_end")
_TYPE = ("Type", "line_item_type", "type")
_SUBSCRIPTION = ("Subscription external ID", "subscription_external_id", "subscription_uuid")
_CUSTOMER = (
    "Customer external ID",
    "customer_external_id",
    "data_source_customer_external_id",
    "Customer ID",
)
_INVOICE = ("Invoice external ID", "invoice_external_id", "invoice_uuid")
_LINE = ("Line item external ID", "line_item_external_id", "External ID", "external_id")
_STATUS = ("Status", "Invoice status", "invoice_status", "status")
_TRANSACTION = ("Transaction type", "transaction_type", "Result", "Transaction result",
                "transaction_result")

#: Why the lines of each line type that is no MRR are rejected (a code of REASONS).
_TYPE_REASONS = {"one_time": "chartmogul_one_time", "trial": "chartmogul_trial"}
#: Invoice statuses that count: ChartMogul counts an invoice paid or not, refunded or not.
_COUNTED = ("", "paid", "open", "refunded", "partially_paid")
_STATUS_REASONS = {"voided": "chartmogul_voided", "void": "chartmogul_voided",
                   "written_off": "chartmogul_written_off"}


def detect(headers) -> bool:
    """An amount in cents, a service period and a line type.

    >>> detect(["Invoice external ID", "Type", "Amount in cents", "Service period start",
    ...         "Service period end"]), detect(["amount", "period_start", "period_end"])
    (True, False)
    """
    return (
        has_any(headers, *_AMOUNT)
        and has_any(headers, *_START)
        and has_any(headers, *_END)
        and has_any(headers, *_TYPE)
    )


def read(frame: pd.DataFrame) -> Draft:
    """Each subscription line over its service period, tax out; one-off and trial lines, and
    the lines of voided or written-off invoices, rejected; credits kept where their charge is.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "Customer external ID": ["cus_1", "cus_1", "cus_2"],
    ...     "Subscription external ID": ["sub_1", "", "sub_2"],
    ...     "Type": ["subscription", "one_time", "subscription"],
    ...     "Amount in cents": ["120000", "2500", "5900"], "Tax amount": ["0", "0", "900"],
    ...     "Service period start": ["2024-01-01", "", "2024-01-01"],
    ...     "Service period end": ["2025-01-01", "", "2024-02-01"], "Currency": ["USD"] * 3})
    >>> draft = read(frame)
    >>> draft.mrr[draft.reasons.ok].tolist(), [str(r) for r in draft.reasons.of_rows([0, 1, 0])]
    ([100.0, 50.0], ["line type 'one_time': a one-off charge (not recurring revenue)"])
    """
    h = list(frame.columns)
    n = len(frame)
    reasons = Reasons(n)
    notes: list[Note] = [note("chartmogul_rules")]
    cols = {role: column(h, *names) for role, names in (
        ("amount", _AMOUNT), ("tax", _TAX), ("start", _START), ("end", _END), ("type", _TYPE),
        ("subscription", _SUBSCRIPTION), ("customer", _CUSTOMER), ("invoice", _INVOICE),
        ("line", _LINE), ("status", _STATUS), ("currency", ("Currency", "currency")),
        ("proration", ("Proration", "Prorated", "prorated")),
        ("discount", _DISCOUNT),
    )}
    subscription = _text(frame, cols["subscription"])
    customer = _customers(frame, cols, subscription, reasons, notes)
    _statuses(frame, cols["status"], reasons, notes)
    _types(frame, cols["type"], reasons)
    transaction = column(h, *_TRANSACTION)
    if transaction:
        notes.append(note("chartmogul_transactions", column=transaction))
    if cols["line"]:
        # A line twice: the denormalised file joined to the transactions (one row each).
        line = _text(frame, cols["line"])
        repeated = (line != "").to_numpy() & line.duplicated(keep="first").to_numpy()
        reasons.reject(repeated, "duplicate_row", column=cols["line"])

    dates = DateColumns(frame, [cols["start"], cols["end"]])
    start, end = dates.get(cols["start"]), dates.get(cols["end"])
    reasons.reject(start.bad, "bad_date", field="start", column=cols["start"])
    reasons.reject(end.bad, "bad_date", field="end", column=cols["end"])
    s, e = start.values.to_numpy(), end.values.to_numpy()
    reasons.reject(np.isnat(s) | np.isnat(e), "missing_service_period")
    reasons.reject((e < s) & ~np.isnat(e) & ~np.isnat(s), "end_before_start")
    reasons.reject((e == s) & ~np.isnat(s), "same_day")

    currency = _text(frame, cols["currency"]).str.upper() if cols["currency"] else None
    amount = _amounts(frame, cols["amount"], "amount", reasons, missing=True)
    if cols["tax"]:
        amount = amount - _amounts(frame, cols["tax"], "tax", reasons, missing=False)
    net = amount / cents_divisor(currency, n)
    notes.append(note("cents", column=cols["amount"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        mrr = net / months_between(s, e)
    reasons.reject(~np.isfinite(mrr), "bad_amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "too_large")

    attributes = {
        name: text(frame[found])
        for name, found in named_headers(
            h,
            ("plan", "Plan", "plan_external_id", "plan_uuid", "plan"),
            ("subscription", *_SUBSCRIPTION),
            ("quantity", "Quantity", "quantity"),
            ("customer_name", "Customer name", "customer_name", "Company", "company"),
            ("email", "Customer email", "customer_email", "Email", "email"),
        ).items()
    }
    if cols["discount"]:
        # Already out of the amount (ChartMogul's MRR is after it): kept as the discount taken
        # off the line, a month's worth, lasting as long as the line (its service period), so
        # a recurring one that only another definition adds back (``discounts="none"``).
        discount = _amounts(frame, cols["discount"], "discount", reasons, missing=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            monthly = discount / cents_divisor(currency, n) / months_between(s, e)
        attributes["recurring_discount"] = pd.Series(
            np.where(discount != 0, monthly, 0.0), index=frame.index, dtype="float64")
    proration = (
        _text(frame, cols["proration"]).str.lower().isin(TRUE).to_numpy()
        if cols["proration"] else None
    )
    mapping = {
        "customer_id": cols["customer"] or cols["subscription"],
        "start": cols["start"],
        "end": cols["end"],
        # The amount of each line's whole service period, tax out (the roles a table read
        # through a mapping would need to read it the same way).
        "period_amount": cols["amount"],
        "tax": cols["tax"],
        "type": cols["type"],
        "currency": cols["currency"],
        "status": cols["status"],
        "subscription": cols["subscription"],
        "invoice": cols["invoice"],
    }
    draft = Draft(
        customer_id=customer,
        start=start.values,
        end=end.values,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping={k: v for k, v in mapping.items() if v},
        notes=notes,
        # A credit for unused time reduces its plan's charge on its subscription, which started
        # before it; the new plan's prorated charge made by the same change does not carry it.
        credits=Credits(
            subscription,
            plan=attributes.get("plan"),
            covers_same_day=None if proration is None else ~proration,
        ),
    )
    say_credit_notes(draft)
    return draft


def _text(frame: pd.DataFrame, col: str | None) -> pd.Series:
    """The column's cells as text ("" everywhere when the file has no such column)."""
    if col is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype="str")
    return text(frame[col])


def _customers(frame, cols, subscription, reasons: Reasons, notes) -> pd.Series:
    """Each line's customer: its invoice's customer when the file has it (the denormalised file),
    else its subscription (the line items file alone, said in a note)."""
    if cols["customer"]:
        customer = _text(frame, cols["customer"])
    else:
        customer = subscription
        said = cols["subscription"] or _SUBSCRIPTION[0]
        notes.append(note("chartmogul_no_customer", column=said))
    reasons.reject((customer == "").to_numpy(), "missing_customer")
    return customer


def _statuses(frame, col: str | None, reasons: Reasons, notes) -> None:
    """Reject the lines of voided and written-off invoices, and of statuses ChartMogul does not
    have; the others count."""
    if col is None:
        return
    status = _text(frame, col).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    for value, code in _STATUS_REASONS.items():
        reasons.reject((status == value).to_numpy(), code)
    unknown = ~status.isin([*_COUNTED, *_STATUS_REASONS]).to_numpy()
    reasons.reject(unknown, "unknown_status", status=_text(frame, col))
    notes.append(note("chartmogul_statuses", column=col))


def _types(frame, col: str, reasons: Reasons) -> None:
    """Reject the lines that are no subscription line (one-off, trial, other types)."""
    kind = _text(frame, col).str.lower().str.strip().str.replace(r"[\s\-]+", "_", regex=True)
    for value, code in _TYPE_REASONS.items():
        reasons.reject((kind == value).to_numpy(), code)
    reasons.reject((kind == "").to_numpy(), "chartmogul_no_type")
    other = (kind != "subscription").to_numpy()
    reasons.reject(other, "chartmogul_type", value=_text(frame, col))


def _amounts(frame, col: str, field: str, reasons: Reasons, missing: bool) -> np.ndarray:
    """A column of amounts (cents): a cell that is no number rejects its row; an empty cell is
    a missing amount (``missing``), else none (a tax of 0)."""
    parsed = parse_amounts(frame[col])
    reasons.reject(parsed.bad, "bad_number", field=field, column=col)
    values = parsed.values.to_numpy()
    if missing:
        reasons.reject(np.isnan(values), "missing_amount")
        return values
    return np.nan_to_num(values)


VENDOR = Vendor(
    name="chartmogul_import",
    label="ChartMogul CSV import (invoice line items)",
    detect=detect,
    read=read,
    needs=(
        "ChartMogul's invoice line items CSV: Type, Amount in cents, Service period start and "
        "Service period end (or amount_in_cents, service_period_start, service_period_end)"
    ),
    source="https://help.chartmogul.com/hc/en-us/articles/360013881659",
    priority=15,
    periods=True,
)
