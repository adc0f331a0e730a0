"""Reading real billing exports into canonical lines, accounting for every row.

:func:`read_export` takes the file a billing system gives (Stripe, Chargebee, Recurly, Paddle,
Baremetrics, or any spreadsheet) and returns an :class:`ExportResult`: the canonical lines, the
rejected rows with a reason each, the detected format and notes on how the file was read. Every
data row of the file ends up either in ``lines`` (``source_rows`` says which) or in ``rejected``.
:func:`read_customers` reads a customers file (attributes by customer).

Money in several currencies is never summed raw: with ``reporting_currency`` and ``fx_rates``
each line is converted (rows whose currency has no rate are rejected with that reason); without
them a file mixing currencies raises :class:`ExportError`, since no currency could be chosen for
the user.

The reading is :func:`mrrkit.io.inspect.inspect` (the file read once) then
:meth:`~mrrkit.io.inspect.Inspection.read` (its lines in a currency): an application that reads
one file in several currencies inspects it once.
"""

from __future__ import annotations

import pandas as pd

from .customers import read_customers
from .fx import clean_rates
from .inspect import EXPORT_FORMATS, check_format, check_rates, inspect
from .messages import ExportError
from .results import CustomerFile, ExportResult
from .window import date_window

__all__ = [
    "EXPORT_FORMATS",
    "CustomerFile",
    "ExportError",
    "ExportResult",
    "read_customers",
    "read_export",
]


def read_export(
    source,
    format: str = "auto",
    mapping: dict | None = None,
    reporting_currency: str | None = None,
    fx_rates: dict | pd.DataFrame | None = None,
    customers=None,
    today=None,
    end: str = "auto",
    meanings: dict | None = None,
) -> ExportResult:
    """Read a billing export into canonical lines, accounting for every row.

    Parameters
    ----------
    source : str, path, bytes or file-like
        The file (an upload such as Streamlit's ``UploadedFile`` works as is): CSV/TSV in any
        common encoding and separator, XLSX, Parquet, or JSON (a list of objects, Stripe's list
        output such as ``stripe subscriptions list``, or JSON Lines; nested objects flattened to
        ``plan_amount``-style columns, one row per element of a subscription's ``items.data`` or
        an invoice's ``lines.data``: :mod:`mrrkit.io.json_table`).
    format : str, default "auto"
        One of :data:`EXPORT_FORMATS`, or ``"auto"`` to detect it from the headers.
    mapping : dict, optional
        Canonical name -> the file's header, for a generic file: ``customer_id``, ``start``,
        ``end``, ``mrr`` or ``amount`` + ``interval`` (+ ``interval_count``) or
        ``period_amount`` (the price of the row's whole period, start to end: an invoice line),
        ``quantity``, ``currency``, ``trial_end``, ``status`` and ``type`` (read by their
        values: ``meanings``), ``tax``, ``discount``, ``shipping`` and ``one_off`` (amounts
        subtracted: MRR leaves them out); any other key names an attribute. A value of None
        says the file has no such column. Roles left out are still guessed from the headers.
    reporting_currency : str, optional
        The currency every ``mrr`` is expressed in (e.g. ``"EUR"``).
    fx_rates : dict or DataFrame, optional
        Rates to ``reporting_currency``: ``{currency: rate}``, or a table with columns
        ``currency, month, rate`` (the rate of a line's start month is used, or the latest
        earlier month's). ``rate`` = units of reporting currency per unit of ``currency``.
    customers : str, path, bytes, file-like, DataFrame or CustomerFile, optional
        A customers file whose attributes are joined to the lines on ``customer_id`` (they
        win over the export's own attributes of the same name).
    today : date-like, optional
        The current day (default: the clock, read once here). With ``MRRKIT_MIN_DATE`` and
        ``MRRKIT_MAX_YEARS_AHEAD`` it sets the dates read (:func:`mrrkit.io.window.date_window`,
        1990-01-01 to 10 years after today by default): a row starting outside them is
        rejected, an end after them is read as no end (a "never" such as 9999-12-31; on
        invoice lines and transactions, whose end is a billed period's, the row is rejected).
    end : {"auto", "inclusive", "exclusive"}, default "auto"
        What a generic (or mrrkit-format) file's end dates are: ``"exclusive"``, the first day
        not paid (mrrkit's own convention); ``"inclusive"``, the last day paid (2023-06-30 for
        June), moved to the day after; ``"auto"``, told by the file (a customer's periods that
        follow each other, ends on month ends or on the day before the start's day of the
        month: :mod:`mrrkit.io.ends`), with a note saying which and why. A mapping may say it
        of its column instead: ``{"end_inclusive": "Billing End"}``. A vendor's export is read
        as its documentation says (a note says so when ``end`` asks otherwise).
    meanings : dict, optional
        What the values of a generic file's ``status`` and ``type`` columns mean, where the
        common words (:mod:`mrrkit.io.meanings`) do not say or say otherwise:
        ``{"status": {"on hold": "paused"}, "type": {"setup": "one_off"}}``. A status means one
        of ``paying, trial, paused, delinquent, ended, never_paid`` (a paused or ended row is
        paid until its end, a never-paid one rejected), a type ``recurring`` or ``one_off``
        (rejected: not MRR). A value with no meaning rejects its rows ("unknown status").

    Returns
    -------
    ExportResult

    Raises
    ------
    ExportError
        A file that cannot be used at all: empty, not tabular, no recognisable columns,
        several currencies without ``reporting_currency``, or an export known to hold no
        subscription periods (Paddle Classic's transactions report; see
        :data:`mrrkit.io.vendors.REFUSED`). The message says what was expected and which formats
        were tried (or which export to upload instead).

    Examples
    --------
    >>> csv = b"client;date de d\\xe9but;mensualit\\xe9\\nacme;31/01/2024;1 234,50\\n;01/02/2024;10\\n"
    >>> result = read_export(csv)
    >>> result.format, result.lines[["customer_id", "mrr"]].values.tolist()
    ('generic', [['acme', 1234.5]])
    >>> result.rejected[["row", "reason"]].values.tolist()
    [[2, 'missing customer id']]

    A JSON list of Stripe subscriptions, one line per item:

    >>> monthly = b'"recurring": {"interval": "month"}'
    >>> sub = (b'{"customer": "cus_A", "status": "active", "currency": "usd", '
    ...        b'"start_date": 1704067200, "items": {"object": "list", "data": ['
    ...        b'{"quantity": 2, "price": {"unit_amount": 4900, ' + monthly + b'}},'
    ...        b'{"quantity": 1, "price": {"unit_amount": 1500, ' + monthly + b'}}]}}')
    >>> result = read_export(b'{"object": "list", "data": [' + sub + b'], "has_more": false}')
    >>> result.format, result.lines[["customer_id", "mrr"]].values.tolist()
    ('stripe_api_subscriptions', [['cus_A', 98.0], ['cus_A', 15.0]])
    """
    check_format(format, mapping)
    check_rates(reporting_currency, fx_rates)
    today = pd.Timestamp.today() if today is None else today
    date_window(today)  # (a bad MRRKIT_MIN_DATE or MRRKIT_MAX_YEARS_AHEAD said before reading)
    fx_rates = None if fx_rates is None else clean_rates(fx_rates)
    found = inspect(source, format=format, mapping=mapping, today=today, end=end,
                    meanings=meanings)
    return found.finish(reporting_currency, fx_rates, customers)
