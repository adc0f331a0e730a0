"""Every message the readers give, as a code and values, and its English sentence.

Three kinds of messages leave the readers, each written from one catalog of English templates:

- a **reason** a row was rejected (:class:`Reason`, ``ExportResult.rejected["reason"]``, the
  code of each in ``ExportResult.reasons``), from :data:`REASONS`;
- a **note** on how a file was read (:class:`Note`, ``ExportResult.warnings``), from
  :data:`NOTES`;
- a **refusal** of a whole file (:class:`ExportError`), from :data:`REFUSALS`.

Each message is its English sentence (a ``str``, as the readers always gave) that also keeps
its ``code`` and the ``values`` put into the template, so that an application says it in another
language from the code and the values, never by parsing English. A code may have variants,
``code.variant``: other English words for the same message (with a value more or less), which an
application says with the code's own text.

Placeholders hold values as the file writes them (headers, cells, codes), counts and dates, or
one of mrrkit's own words listed in :data:`TERMS` (an application translates those too). A
placeholder written ``{name!r}`` quotes the value; a list is written ``'a', 'b'``; a number
``{count:,}`` is grouped in thousands.

Examples
--------
>>> reason("unknown_status", status="on_hold")
"unknown status 'on_hold'"
>>> n = note("currency_filled", count=3, currency="EUR")
>>> n, n.code, n.values
('3 row(s) without a currency read as EUR', 'currency_filled', {'count': 3, 'currency': 'EUR'})
>>> exc = ExportError("too_many_columns.at_least", count=16384, limit=2000,
...                   variable="MRRKIT_MAX_COLUMNS")
>>> str(exc)
'the file has at least 16,384 columns, more than the 2,000 this server reads (MRRKIT_MAX_COLUMNS)'
>>> exc.code, exc.values["count"]
('too_many_columns', 16384)
"""

from __future__ import annotations

import string
from types import MappingProxyType

from .vendor_notes import VENDOR_NOTES

__all__ = [
    "MESSAGES",
    "NOTES",
    "REASONS",
    "REFUSALS",
    "TERMS",
    "ExportError",
    "Message",
    "Note",
    "Reason",
    "Refusal",
    "note",
    "placeholders",
    "reason",
    "term_code",
]

#: Why a row is rejected: code -> English template.
REASONS = MappingProxyType({
    # Rows and cells
    "empty_row": "empty row",
    "fields": "row has {fields} fields, the header has {width}",
    "unreadable_csv": "unreadable CSV from here on ({detail})",
    # JSON (mrrkit.io.json_table): ``{value}`` is the start of the element as the file writes it
    "unreadable_json": "unreadable JSON from here on ({detail})",
    "bad_json_line": "the line cannot be read as JSON ({detail})",
    "not_json_object": "not a JSON object: {value!r}",
    "missing_customer": "missing customer id",
    "duplicate_customer": "duplicate customer id (a later row wins)",
    "duplicate_row": "duplicate of an earlier row (same {column!r})",
    # ``{field}``: one of TERMS["field"], the role whose cell cannot be read.
    "bad_date": "{field}: cannot read the date in {column!r}",
    "bad_status_date": "{status} date: cannot read the date in {column!r}",
    "bad_number": "{field}: cannot read the number in {column!r}",
    "bad_value": "{field}: cannot read {column!r}",
    # Dates (``{date}``: a bound of the dates read, 1990-01-01)
    "missing_start": "missing start date",
    "start_too_early": (
        "start date {value!r} in {column!r} is before {date}, the earliest date read"
    ),
    "start_too_late": "start date {value!r} in {column!r} is after {date}, the latest date read",
    "end_too_late": "end date {value!r} in {column!r} is after {date}, the latest date read",
    "missing_service_period": "missing service period",
    "missing_period": "missing billing period start or end",
    "end_before_start": "end date before start date",
    "same_day": "ends the day it starts (never billed)",
    "trial_no_end": "trialing without a trial end date",
    "never_paid": "cancelled before the trial ended (never paid)",
    # Money
    "missing_mrr": "missing MRR amount",
    "missing_amount": "missing amount",
    "missing_interval": "missing billing interval",
    "unknown_interval": "unknown billing interval {value!r}",
    "bad_interval_count": (
        "interval count {value!r} in {column!r}: not a whole number of 1 or more"
    ),
    "negative_quantity": "negative quantity",
    "negative_amount": "negative amount",
    "bad_amount": "amount cannot be read",
    "too_large": "amount too large (over 10 billion a month)",
    "one_off": "one-off item, not recurring",
    "uncovered_credit": (
        "credit larger than the charge it reduces in the file (that charge is missing or was "
        "rejected: export a longer date range)"
    ),
    # Statuses (``{status}``: the cell as written)
    "status_never_paid": "status {status!r}: never paid (not MRR)",
    "unknown_line_type": "unknown line type {value!r} (neither recurring nor one-off)",
    "missing_status": "missing status",
    "unknown_status": "unknown status {status!r}",
    "no_end": "status {status!r} without an end date",
    # Currencies
    "missing_currency": "missing currency (the file mixes currencies)",
    "no_rate": "no exchange rate for {currency}",
    "no_rate.reporting": "no exchange rate for {currency} (reporting currency {reporting})",
    "no_rate_empty": "no exchange rate for an empty currency",
    "no_rate_month": "no {currency} rate for {month} or earlier",
    "too_large_converted": "amount too large once converted (over 10 billion a month)",
    # Stripe
    "stripe_incomplete": "status 'incomplete': first payment never succeeded (not MRR)",
    "stripe_incomplete_expired": "status 'incomplete_expired': never paid (not MRR)",
    "invoice_status": "invoice status {status!r}: only paid invoices count",
    # Chargebee, Recurly
    "future": "status 'future': not started yet",
    "state_future": "state 'future': not started yet",
    "failed": "state 'failed': never activated",
    "state_pending": "state 'pending': not started yet (awaiting payment), never counted",
    "woo_pending": "status 'pending': awaiting its first payment (never paid)",
    # ChartMogul
    "chartmogul_one_time": "line type 'one_time': a one-off charge (not recurring revenue)",
    "chartmogul_trial": "line type 'trial': a free trial (not MRR)",
    "chartmogul_no_type": "missing line type (subscription or one_time)",
    "chartmogul_type": "line type {value!r}: only subscription lines are MRR",
    "chartmogul_voided": "invoice status 'voided': cancelled (not MRR)",
    "chartmogul_written_off": "invoice status 'written_off': never collected (not MRR)",
    # Paddle
    "missing_transaction_status": "missing transaction status",
    "unknown_transaction_status": "unknown transaction status {status!r}",
    "transaction_draft": (
        "transaction status 'draft': not billed (an open checkout or an unfinished invoice)"
    ),
    "transaction_ready": "transaction status 'ready': not billed yet",
    "transaction_canceled": "transaction status 'canceled': no longer due (not MRR)",
    "transaction_no_subscription": (
        "transaction status 'paid' without a subscription id yet: Paddle adds it when the "
        "transaction is completed (export the report again later)"
    ),
    "payment_method_change": (
        "payment method update (origin subscription_payment_method_change): not a charge"
    ),
})

#: How a file was read: code -> English template. ``{count}`` is a number of rows (or
#: subscriptions, customers...) the note is about; ``{rows}`` data row numbers written
#: ``12, 40``; ``{date}`` a day written ``2036-06-30``; ``{months}`` a number of months.
NOTES = MappingProxyType({
    # Reading the file
    "text_file": "read as {encoding} text, {delimiter}-separated",
    "xlsx": "read as an XLSX spreadsheet (first sheet)",
    "parquet": "read as a Parquet file",
    "json": "read as JSON: {count:,} object(s)",
    "json_lines": "read as JSON Lines (one object a line): {count:,} object(s)",
    "json_rows": "{count:,} object(s) read as {lines:,} rows: one per element of {lists}",
    "json_has_more": (
        "the list is one page of a longer one (has_more is true): the objects after it are "
        "not in the file; list them all (the Stripe CLI's --limit, or the API's "
        "auto-pagination)"
    ),
    "old_mac": "lines end with a carriage return alone (old Mac files): read as lines",
    "lines_skipped": "{count} line(s) above the header skipped",
    "header_line": "header found on spreadsheet line {line}",
    "duplicated_header": (
        "duplicated header {header!r}: its copy in column {position} is read as {name!r}"
    ),
    "not_utf8_rows": (
        "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as "
        "UTF-8: row(s) {rows}"
    ),
    "not_utf8_rows_more": (
        "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as "
        "UTF-8: rows {rows} and {more} more"
    ),
    "not_utf8_header": "the header line was not UTF-8 and was read as {encoding}",
    # Dates and numbers
    "far_end": (
        "{count} end date(s) after {date} read as no end (e.g. {example!r} in {column!r}): "
        "far-future ends such as 9999-12-31 stand for 'never' in billing exports"
    ),
    "date_convention": "{column!r} read as {convention}",
    "decimal_comma": "{column!r} read with a decimal comma",
    "cents": "{column!r} read in cents",
    # Billing intervals
    "interval_from_period": (
        "{count} row(s): billing interval taken from the current period ({start!r} to {end!r})"
    ),
    "interval_from_plan": (
        "{count} row(s) in a trial or without a current period: billing interval of their "
        "plan's other subscriptions"
    ),
    "interval_from_name": (
        "{count} row(s): billing interval read from the plan name (e.g. {example!r})"
    ),
    "interval_assumed": (
        "{count} row(s) without a billing interval read as billed every {months:g} month(s): "
        "check their MRR, or give the interval in a mapping"
    ),
    "interval_assumed_plans": (
        "{count} row(s) without a billing interval read as billed every {months:g} month(s) "
        "(plans: {plans}): check their MRR, or give the interval in a mapping"
    ),
    # Currencies
    "no_currency_column": "no currency column: amounts read as {currency}",
    "currency_filled": "{count} row(s) without a currency read as {currency}",
    "converted": "{count} row(s) converted to {currency} from {currencies}",
    # Customers file
    "customers_rejected": "customers file: {count} row(s) rejected (see read_customers)",
    "customers_unused": (
        "{count} customer(s) of the customers file have no subscription line (e.g. {examples})"
    ),
    "customers_missing": (
        "{count} customer(s) with lines are not in the customers file (e.g. {examples})"
    ),
    "customers_replace": "customers file attributes {columns} replace the export's",
    # Credits (invoice lines, transactions)
    "credits_kept": (
        "credits for unused time (negative lines) are kept only when the charge they reduce is "
        "in the file: a credit whose charge was invoiced before the export's first date is "
        "rejected"
    ),
    "credits_trimmed": (
        "{count} credit(s) slightly larger than the charge they reduce (the vendor prorates by "
        "the second and rounds to the cent; the file's dates are read as days) trimmed to that "
        "charge"
    ),
    "discounts": "discounts from {column!r} applied",
    # End dates (mrrkit.io.ends)
    "ends_inclusive": (
        "end dates read as the last day paid (inclusive) and moved to the day after: "
        "{evidence} ({matching} of {total})"
    ),
    "ends_exclusive": (
        "end dates read as the first day not paid (exclusive), as they are: {evidence} "
        "({matching} of {total})"
    ),
    "ends_exclusive_assumed": (
        "end dates read as the first day not paid (exclusive, mrrkit's convention): nothing in "
        "the file tells otherwise"
    ),
    "ends_inclusive_asked": (
        "end dates read as the last day paid (inclusive), as asked, and moved to the day after"
    ),
    "ends_vendor": (
        "end dates read as the {format} export writes them (the first day not paid): the end "
        "option applies to other tables"
    ),
    "credit_notes": (
        "{count} credit note(s) (negative amounts) read as credits: {refunds} refund a whole "
        "period (the same customer, days and amount as a charge: the two cancel out), the "
        "others reduce the MRR of the period they cover; one its customer's charges do not "
        "cover is rejected"
    ),
    "deducted": (
        "{column!r} ({field}) subtracted from the amounts of {count:,} row(s): MRR leaves out "
        "tax, discounts, shipping and one-off charges"
    ),
    "tax_not_subtracted": (
        "{column!r} is not subtracted: {amount!r} says its amounts are without tax (map it as "
        "the tax column if they include it)"
    ),
    "tax_in_total": (
        "{column!r} is not subtracted: {amount!r} plus {column!r} make {total!r}, so {amount!r} "
        "is without tax"
    ),
    "discount_not_subtracted": (
        "{column!r} is not subtracted: {amount!r} is a total, after discounts (map it as the "
        "discount column if it is not)"
    ),
    "tax_included": (
        "{column!r} says its amounts include tax, and no tax column is mapped: MRR is read with "
        "the tax in it (map the tax column to leave it out)"
    ),
    "amount_per_period": (
        "the amounts of {column!r} are each row's whole period (start to end, as an invoice "
        "line's), spread over its months for {count:,} row(s): map an interval if they are "
        "prices per billing period"
    ),
    "value_column_ignored": (
        "{column!r} is not read as the {role} ({examples}...: words of no known meaning): it is "
        "kept as an attribute (map it as the {role} column to give its values a meaning)"
    ),
    "mapping_shadowed": (
        "the file's column {column!r} is not read: the mapping reads {name} from {used!r}"
    ),
    "mapping_dropped": (
        "the file's column {column!r} is not read: the mapping says there is no {name}"
    ),
    # Statuses (``{statuses}``: as the file writes them; ``{meaning}``: TERMS["meaning"])
    "status_meaning": "{count} row(s) with status {statuses} read as {meaning}",
    # The vendors' readers (mrrkit.io.vendor_notes)
    **VENDOR_NOTES,
})

_COLUMNS_ARE = "columns are [{columns}]"

#: Why a whole file cannot be used (:class:`ExportError`): code -> English template.
#: ``{detail}`` is the words of the library that failed (a parser, the system), given as they
#: are; ``{columns}`` the file's headers.
REFUSALS = MappingProxyType({
    # The file
    "cannot_open": "cannot open {path!r}: {detail}",
    "empty": (
        "the file is empty: expected a CSV, TSV, XLSX, Parquet or JSON export with a header row"
    ),
    "xls": "this is an old Excel .xls file: save it as .xlsx or CSV and upload it again",
    "binary": (
        "the file holds binary data, not text: expected a CSV, TSV, XLSX, Parquet or JSON export"
    ),
    "not_table": (
        "the file is not a table: no line splits into several columns with a comma, semicolon, "
        "tab or pipe; expected a CSV/TSV export with a header row"
    ),
    "bad_header": (
        "the header line cannot be read as CSV ({detail}): expected one line of column names"
    ),
    "needs_openpyxl": "reading .xlsx files needs the openpyxl package (pip install openpyxl)",
    "bad_xlsx": (
        "the file looks like a zip/XLSX but cannot be read as a spreadsheet ({detail}); "
        "expected an .xlsx workbook, a CSV/TSV or a Parquet file"
    ),
    "empty_sheet": "the spreadsheet's first sheet is empty: expected a header row and data rows",
    "bad_parquet": "the file starts like Parquet but cannot be read ({detail})",
    "bad_parquet_table": "the Parquet file cannot be turned into a table ({detail})",
    "bad_json": (
        "the file starts like JSON but cannot be read ({detail}): expected a list of objects, "
        "Stripe's list output (an object with a 'data' list) or JSON Lines (one object a line)"
    ),
    "json_no_records": (
        "the JSON file holds no list of objects: expected a list of objects, Stripe's list "
        "output (an object with a 'data' list, as `stripe subscriptions list` gives) or JSON "
        "Lines (one object a line)"
    ),
    "one_column": (
        "the file has a single column: expected a table with a customer, a start date and an "
        "amount"
    ),
    "no_rows": "the file has a header but no data rows",
    # Added to a refusal of the file by read_export: what it reads.
    "no_format_tried": (
        "No format could be tried on it; the formats read are {formats} (any CSV/TSV/XLSX/"
        "Parquet table with a customer, a start date and an amount)"
    ),
    # The server's limits (mrrkit.io.limits.LIMIT_CODES; ``{variable}`` names the setting)
    "too_many_columns": (
        "the file has {count:,} columns, more than the {limit:,} this server reads "
        "({variable})"
    ),
    "too_many_columns.at_least": (
        "the file has at least {count:,} columns, more than the {limit:,} this server reads "
        "({variable})"
    ),
    "too_many_rows": (
        "the file has {count:,} rows (or lines), more than the {limit:,} this server reads "
        "({variable})"
    ),
    "too_many_rows.at_least": (
        "the file has at least {count:,} rows (or lines), more than the {limit:,} this server "
        "reads ({variable})"
    ),
    "too_many_cells": (
        "the file has {rows:,} rows x {columns:,} columns = {count:,} cells, more than the "
        "{limit:,} this server reads ({variable})"
    ),
    "line_too_long": (
        "line {line:,} is {count:,} bytes long, more than the {limit:,} bytes a line may have "
        "({variable})"
    ),
    "unpacked_too_large": (
        "the file unpacks to {count:,} MB, more than the {limit:,} MB this server unpacks "
        "({variable})"
    ),
    "unpacked_too_large.holds": (
        "the file holds {count:,} MB, more than the {limit:,} MB this server unpacks "
        "({variable})"
    ),
    "read_timeout": (
        "reading the file took longer than the {limit:,} s a read may take "
        "({variable}): it was stopped"
    ),
    "read_memory": (
        "reading the file needed more than the {limit:,} MB of memory a read may use "
        "({variable}): it was stopped"
    ),
    "read_memory.killed": (
        "reading the file needed more than the {limit:,} MB of memory a read may use "
        "({variable}): it was stopped (the reading process was killed by signal {signal})"
    ),
    # Its columns
    "no_columns": (
        "no column found for {roles}; " + _COLUMNS_ARE + ". Expected headers such as "
        "customer_id/client/cliente, start/date de début/data inizio, mrr/mensualité/canone "
        "mensile or amount/montant/importo (+ interval), or a mapping"
    ),
    "mapping_missing": (
        "the mapping names column(s) [{missing}] which the file does not have; its "
        + _COLUMNS_ARE
    ),
    "not_canonical": "not mrrkit's canonical format: expected {needs}; " + _COLUMNS_ARE,
    "not_this_format": (
        "the file does not look like {format}: expected {needs}; " + _COLUMNS_ARE
    ),
    "no_format": "no known format recognised. Tried: {tried}. Generic reading: {generic}",
    "no_customer_column": (
        "no customer id column found in the customers file; " + _COLUMNS_ARE + ". Expected "
        "customer_id, customer, client, cliente... or a mapping {{'customer_id': header}}"
    ),
    # Its money
    "currencies": (
        "the file mixes {count} currencies ({listed}): MRR in different currencies cannot be "
        "added. Give reporting_currency and fx_rates (one rate per currency, or a table of "
        "currency, month, rate) to convert them"
    ),
    "total_too_large": (
        "the amounts add up to {total:,.0f} a month, more than mrrkit can add exactly "
        "({limit:,.0f}): the amount column {column!r} probably holds something else (ids, phone "
        "numbers, amounts in a tiny unit). Check which column is the amount (the mapping)"
    ),
    "total_too_large.unnamed": (
        "the amounts add up to {total:,.0f} a month, more than mrrkit can add exactly "
        "({limit:,.0f}): the amount column probably holds something else (ids, phone numbers, "
        "amounts in a tiny unit). Check which column is the amount (the mapping)"
    ),
    # Vendors
    "paddle_no_net": (
        "the Paddle transactions file has {column!r} but neither a subtotal nor a tax column: "
        "MRR excludes tax, so it needs 'subtotal' (and 'discount'), or 'total' and 'tax'; "
        + _COLUMNS_ARE
    ),
    "paddle_classic_no_amount": (
        "this Paddle Classic subscription users file has no amount: the export gives no plan "
        "price, and neither 'next_payment.amount' nor 'last_payment.amount' is there. Add a "
        "column 'recurring_price' (the plan's price per billing period, before tax) and, unless "
        "'last_payment.date' and 'next_payment.date' are there, 'billing_type' (day, week, "
        "month, year) with 'billing_period' (how many); " + _COLUMNS_ARE
    ),
    "paddle_classic_transactions": (
        "this is Paddle Classic's transactions report (Order ID, Balance Earnings...): it lists "
        "payments with no subscription periods, so no MRR can be read from it. Upload Paddle "
        "Classic's subscription users export instead (subscription_id, plan_id, user_id, state, "
        "signup_date...), which mrrkit reads as paddle_classic_subscriptions. Columns are "
        "[{columns}]"
    ),
})

#: The placeholders that hold mrrkit's own words rather than the file's: name -> code -> the
#: English word (an application says each in its language, from the code).
TERMS = {
    # What a status means for MRR (mrrkit.io.drafts.MEANINGS).
    "meaning": {
        "paying": "paying",
        "trial": "in a trial (paying from its end)",
        "paused": "paused",
        "delinquent": "delinquent (a renewal not paid)",
        "ended": "ended",
        "never_paid": "never paid",
    },
    # The role whose cell cannot be read ("start: cannot read the date in 'Début'").
    "field": {
        "start": "start",
        "trial_end": "trial end",
        "end": "end",
        "mrr": "mrr",
        "amount": "amount",
        "quantity": "quantity",
        "discount": "discount",
        "tax": "tax",
        "shipping": "shipping",
        "one_off": "one-off charges",
    },
    # A column read by its values (mrrkit.io.meanings).
    "role": {"status": "status", "type": "line type"},
    "encoding": {
        "utf8": "UTF-8",
        "utf8_bom": "UTF-8 with BOM",
        "utf16": "UTF-16 (Excel Unicode text)",
        "cp1252": "Windows-1252 (Latin-1)",
        "latin1": "Latin-1",
    },
    "delimiter": {"comma": "comma", "semicolon": "semicolon", "tab": "tab", "pipe": "pipe"},
    # What told how to read the end dates (mrrkit.io.ends).
    "evidence": {
        "adjacent_before": "a customer's period ends the day before its next one starts",
        "adjacent_same": "a customer's period ends the day its next one starts",
        "month_end": "the ends fall on the last day of a month",
        "month_start": "the ends fall on the 1st of a month",
        "anniversary_before": (
            "the ends fall the day before the day of the month their line started"
        ),
        "anniversary_same": "the ends fall on the day of the month their line started",
    },
    # How a date column was read (mrrkit.io.dates.DATE_CONVENTIONS, but the silent ones).
    "convention": {
        "dmy": "DD/MM/YYYY",
        "mdy": "MM/DD/YYYY",
        "dmy_assumed": "DD/MM/YYYY (assumed: no day above 12 tells)",
        "dmy_contradicted": "DD/MM/YYYY (some rows say month-first: rejected)",
        "dmy_like_others": (
            "DD/MM/YYYY (like the file's other date columns; its own values never tell)"
        ),
        "mdy_like_others": (
            "MM/DD/YYYY (like the file's other date columns; its own values never tell)"
        ),
        "month_names": "dates with month names",
        "months": "months (the 1st of each)",
        "unreadable": "no date format recognised",
        "unix_ms": "Unix timestamps (ms)",
        "unix_s": "Unix timestamps (s)",
        "yyyymmdd": "YYYYMMDD numbers",
        "excel": "Excel serial dates",
    },
}

_TERM_CODES = {name: {word: code for code, word in words.items()} for name, words in TERMS.items()}


def term_code(name: str, word: str) -> str | None:
    """The code of one of mrrkit's words in a message (:data:`TERMS`), None if not listed.

    >>> term_code("encoding", "UTF-8 with BOM"), term_code("field", "trial end")
    ('utf8_bom', 'trial_end')
    """
    return _TERM_CODES.get(name, {}).get(word)


def placeholders(template: str) -> frozenset[str]:
    """The names a template's values fill.

    >>> sorted(placeholders("{count:,} rows of {column!r}"))
    ['column', 'count']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


#: The one catalog: every code (and ``code.variant``) of the three kinds -> English template.
MESSAGES = MappingProxyType({**REASONS, **NOTES, **REFUSALS})
if len(MESSAGES) != len(REASONS) + len(NOTES) + len(REFUSALS):  # pragma: no cover
    raise RuntimeError("a message code is used by two kinds of messages")

_PLACEHOLDERS = {key: placeholders(template) for key, template in MESSAGES.items()}


def _written(value):
    """A value as the English sentence writes it: a list of names as ``'a', 'b'``."""
    if isinstance(value, (list, tuple)):
        return ", ".join(repr(v) for v in value)
    return value


class Message(str):
    """A message: the English sentence of a catalog entry filled with values.

    Attributes
    ----------
    key : str
        The catalog entry: a code, or ``code.variant``.
    code : str
        What the message says, for an application to say it in another language.
    values : dict
        The values put into the template's placeholders, as given (numbers stay numbers,
        lists stay lists).

    Raises
    ------
    KeyError
        A key the kind of message does not list.
    ValueError
        Values that do not fill exactly the template's placeholders.
    """

    catalog = MESSAGES
    key: str
    code: str
    values: dict

    def __new__(cls, key: str, values: dict | None = None):
        values = dict(values or {})
        template = cls.catalog[key]
        if values.keys() != _PLACEHOLDERS[key]:
            raise ValueError(
                f"{key!r} takes the values {sorted(_PLACEHOLDERS[key])}, not {sorted(values)}"
            )
        self = super().__new__(cls, template.format(**{k: _written(v) for k, v in values.items()}))
        self.key = key
        self.code = key.split(".", 1)[0]
        self.values = values
        return self

    @property
    def template(self) -> str:
        """The English template the message was written from."""
        return self.catalog[self.key]

    def __reduce__(self):  # pickled (a cache, a child process's answer) with its key and values
        return (type(self), (self.key, self.values))


class Reason(Message):
    """Why a row was rejected (:data:`REASONS`).

    >>> r = Reason("fields", {"fields": 2, "width": 3})
    >>> r, r.code
    ('row has 2 fields, the header has 3', 'fields')
    """

    catalog = REASONS


class Note(Message):
    """How a file was read (:data:`NOTES`).

    >>> Note("customers_replace", {"columns": ["plan", "country"]})
    "customers file attributes 'plan', 'country' replace the export's"
    """

    catalog = NOTES


class Refusal(Message):
    """Why a whole file cannot be used (:data:`REFUSALS`), possibly followed by further
    sentences (``then``): the message of an :class:`ExportError`.

    >>> r = Refusal("no_rows", then=(Refusal("no_format_tried", {"formats": "a, b"}),))
    >>> r.code, r.startswith("the file has a header but no data rows. No format")
    ('no_rows', True)
    """

    catalog = REFUSALS
    then: tuple[Refusal, ...]

    def __new__(cls, key: str, values: dict | None = None, then: tuple[Refusal, ...] = ()):
        first = Message.__new__(cls, key, values)
        if not then:
            first.then = ()
            return first
        self = str.__new__(cls, ". ".join([first, *then]))
        self.key, self.code, self.values, self.then = first.key, first.code, first.values, then
        return self

    def __reduce__(self):
        return (Refusal, (self.key, self.values, self.then))


def reason(key: str, /, **values) -> Reason:
    """The :class:`Reason` of ``key`` with ``values``.

    >>> reason("bad_date", field="start", column="Début")
    "start: cannot read the date in 'Début'"
    """
    return Reason(key, values)


def note(key: str, /, **values) -> Note:
    """The :class:`Note` of ``key`` with ``values``.

    >>> note("cents", column="Amount")
    "'Amount' read in cents"
    """
    return Note(key, values)


class ExportError(ValueError):
    """A billing export that cannot be used at all: empty, not tabular, no recognisable columns,
    money in several currencies with no rates to convert them, or past one of the server's
    limits (:mod:`mrrkit.io.limits`).

    Its message says what was expected and which formats were tried. Rows that are merely bad
    never raise it: they end up in ``ExportResult.rejected`` with a reason.

    Parameters
    ----------
    key : str
        A code of :data:`REFUSALS` (or ``code.variant``).
    **values
        The values of its template.

    Attributes
    ----------
    message : Refusal
        The message: its English sentence, code and values.
    code : str
        What kind of refusal, for an application to say it in another language (for a file past
        one of the server's limits, one of :data:`mrrkit.io.limits.LIMIT_CODES`).
    values : dict
        The values the message is written from (``count``, ``limit``, ``variable``...).

    Examples
    --------
    >>> import pickle
    >>> exc = pickle.loads(pickle.dumps(ExportError("no_rows")))
    >>> str(exc), exc.code, exc.values
    ('the file has a header but no data rows', 'no_rows', {})
    >>> str(exc.followed_by("no_format_tried", formats="canonical, generic"))[:50]
    'the file has a header but no data rows. No format '
    """

    def __init__(self, key: str | Refusal, /, **values):
        self.message = key if isinstance(key, Refusal) else Refusal(key, values)
        super().__init__(str(self.message))

    @property
    def code(self) -> str:
        return self.message.code

    @property
    def values(self) -> dict:
        return self.message.values

    def followed_by(self, key: str, /, **values) -> ExportError:
        """The same refusal with one more sentence after it (same code and values)."""
        first = self.message
        then = (*first.then, Refusal(key, values))
        return ExportError(Refusal(first.key, first.values, then))

    def __reduce__(self):  # pickled (a child process's answer, a cache) with its message
        return (ExportError, (self.message,))
