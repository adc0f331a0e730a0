"""A billing export read once: its table, its format, how its columns are read and which
currencies it bills in (:func:`inspect`); the lines in any reporting currency then follow
without reading the file again (:meth:`Inspection.read`).

:func:`mrrkit.read_export` is ``inspect(...).read(...)``. An application showing a file before
it is used (its format, its columns, its first rows, the currencies to convert) inspects it once
and reads it as often as the user changes the reporting currency or the exchange rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .credits import reject_uncovered_credits
from .customers import empty_rows, join_customers
from .drafts import Draft
from .ends import check_end
from .fx import clean_rates, convert_currency
from .generic import canonical_draft, generic_draft, is_canonical
from .limits import LIMIT_CODES
from .meanings import check_meanings, value_meanings
from .messages import ExportError, note
from .money import MAX_TOTAL_MRR
from .results import ExportResult, lines_frame, rejected_frame
from .table import Table, read_table
from .vendors import REFUSED, VENDORS
from .window import apply_date_window, date_window

__all__ = ["EXPORT_FORMATS", "HEAD_ROWS", "Inspection", "check_format", "check_rates", "inspect"]

#: Format names :func:`mrrkit.read_export` knows, in the order ``format="auto"`` tries them.
EXPORT_FORMATS = ("canonical", *VENDORS, "generic")

_FORMAT_NEEDS = {
    "canonical": "mrrkit's own columns customer_id, start, mrr (end optional)",
    **{name: vendor.needs for name, vendor in VENDORS.items()},
    "generic": "headers naming a customer, a start date and an MRR or amount (+ interval) column",
}

#: Rows of a file :attr:`Inspection.head` shows.
HEAD_ROWS = 5


@dataclass(frozen=True, eq=False)
class Inspection:
    """A file read once, before its money is converted.

    Attributes
    ----------
    table : Table or None
        The file as a table; None when it is not one (then ``error`` says why).
    format : str or None
        The format it is read as, one of :data:`EXPORT_FORMATS` (None: ``error``).
    error : ExportError or None
        Why the file cannot be used at all; :meth:`read` raises it.
    draft : Draft or None
        The rows read with the format's rules, held to the dates read: what :meth:`read`
        finishes (never changed by it).
    """

    table: Table | None
    format: str | None = None
    error: ExportError | None = None
    draft: Draft | None = None
    #: The meanings the user gave to status and type values (:func:`~mrrkit.io.meanings.
    #: check_meanings`).
    meanings: dict | None = None

    def values(self, role: str) -> pd.DataFrame:
        """The distinct values of the column read as ``role`` (``"status"`` or ``"type"``) with
        their rows and what each means (``meaning``: None when it has none, and its rows are
        rejected); empty when no column plays it. What the Data page's editor shows.

        >>> csv = b"customer,start,mrr,status\\na,2024-01-01,10,Active\\nb,2024-01-01,5,On hold\\n"
        >>> inspect(csv).values("status").values.tolist()
        [['Active', 1, 'paying'], ['On hold', 1, 'delinquent']]
        """
        header = self.mapping.get(role)
        if header is None or self.table is None or header not in self.table.frame.columns:
            return value_meanings(pd.Series([], dtype="str"), role)
        return value_meanings(self.table.frame[header], role, (self.meanings or {}).get(role))

    @property
    def headers(self) -> list[str]:
        """The file's column headers (as the readers name them); empty when it is no table."""
        return [] if self.table is None else [str(c) for c in self.table.frame.columns]

    @property
    def head(self) -> pd.DataFrame | None:
        """The first :data:`HEAD_ROWS` data rows as read (what each column holds), None when the
        file is no table."""
        if self.table is None:
            return None
        head = self.table.frame.head(HEAD_ROWS)
        head.columns = self.headers
        return head

    @property
    def mapping(self) -> dict[str, str]:
        """Role -> header read for it (``ExportResult.mapping``); empty when not read."""
        return {} if self.draft is None else dict(self.draft.mapping)

    @property
    def currencies(self) -> list[str]:
        """The billing currencies of the file's rows, kept or rejected (upper case, sorted):
        the ones an exchange-rate table needs."""
        if self.draft is None or self.draft.currency is None:
            return []
        codes = self.draft.currency.unique()
        return sorted(str(c) for c in codes if isinstance(c, str) and c)

    def read(
        self,
        reporting_currency: str | None = None,
        fx_rates: dict | pd.DataFrame | None = None,
        customers=None,
    ) -> ExportResult:
        """The lines, in ``reporting_currency`` (see :func:`mrrkit.read_export`).

        Raises
        ------
        ExportError
            The file's ``error``, or money in several currencies with no reporting currency.
        """
        check_rates(reporting_currency, fx_rates)
        fx_rates = None if fx_rates is None else clean_rates(fx_rates)
        return self.finish(reporting_currency, fx_rates, customers)

    def finish(self, reporting_currency, fx_rates, customers) -> ExportResult:
        """:meth:`read` with rates already checked (:func:`~mrrkit.io.fx.clean_rates`)."""
        if self.error is not None:
            raise self.error
        reporting = reporting_currency.strip().upper() if reporting_currency else None
        table, draft = self.table, self.draft.copy()
        notes = list(table.notes) + list(draft.notes)
        convert_currency(draft, reporting, fx_rates, notes)
        if draft.credits is not None:
            draft.mrr, trimmed = reject_uncovered_credits(
                draft.customer_id, draft.credits, draft.start, draft.end, draft.mrr, draft.reasons
            )
            if trimmed:
                notes.append(note("credits_trimmed", count=trimmed))
        keep = draft.reasons.ok
        _check_total(draft, keep)
        lines = lines_frame(draft, keep)
        rejected, reasons = rejected_frame(table, draft.reasons)
        if customers is not None:
            lines = join_customers(lines, customers, notes)
        return ExportResult(
            lines=lines,
            rejected=rejected,
            format=self.format,
            warnings=list(dict.fromkeys(notes)),
            mapping=dict(draft.mapping),
            source_rows=table.rows[keep].astype(np.int64),
            rows_read=table.rows_read,
            reasons=reasons,
            end_convention=draft.end_convention,
        )


def inspect(source, format: str = "auto", mapping: dict | None = None, today=None,
            end: str = "auto", meanings: dict | None = None) -> Inspection:
    """Read a billing export once: its table, format and rows read with the format's rules.

    Parameters
    ----------
    source : str, path, bytes, file-like or Table
        The file, as :func:`mrrkit.read_export` takes it (or a table already read).
    format, mapping, today, end, meanings
        As :func:`mrrkit.read_export` takes them.

    Returns
    -------
    Inspection
        Never raises for the file itself: an unusable file's ``error`` says why.

    Examples
    --------
    >>> csv = b"customer_id,start,mrr,currency\\na,2024-01-01,10,usd\\nb,2024-01-01,5,EUR\\n"
    >>> found = inspect(csv)
    >>> found.format, found.currencies, found.headers
    ('canonical', ['EUR', 'USD'], ['customer_id', 'start', 'mrr', 'currency'])
    >>> found.read("EUR", {"USD": 0.9}).lines["mrr"].tolist()
    [9.0, 5.0]
    """
    check_format(format, mapping)
    check_end(end)
    meanings = check_meanings(meanings)
    window = date_window(pd.Timestamp.today() if today is None else today)
    try:
        table = source if isinstance(source, Table) else read_table(source)
        if table.frame.shape[1] < 2:
            raise ExportError("one_column")
        if table.rows_read == 0:
            raise ExportError("no_rows")
    except ExportError as exc:
        if exc.code not in LIMIT_CODES:  # a file past a limit: its message says all
            exc = exc.followed_by("no_format_tried", formats=", ".join(EXPORT_FORMATS))
        return Inspection(None, error=exc)
    try:
        chosen, draft = _draft(table, format, mapping, end, window.last, meanings)
    except ExportError as exc:
        return Inspection(table, error=exc, meanings=meanings)
    periods = chosen in VENDORS and VENDORS[chosen].periods
    apply_date_window(table.frame, draft, window, draft.notes, periods=periods)
    draft.reasons.reject_all(empty_rows(table.frame), "empty_row")
    return Inspection(table, chosen, draft=draft, meanings=meanings)


def check_rates(reporting_currency, fx_rates) -> None:
    """Refuse a reporting currency or rates of the wrong kind (before any reading)."""
    if reporting_currency is not None and not isinstance(reporting_currency, str):
        raise TypeError("reporting_currency must be a currency code such as 'EUR'")
    if fx_rates is not None:
        if not isinstance(fx_rates, (dict, pd.DataFrame)):
            raise TypeError(
                "fx_rates must be a dict {currency: rate} or a DataFrame (currency, month, rate)"
            )
        if reporting_currency is None:
            raise ValueError(
                "fx_rates need a reporting_currency: the currency the rates convert to"
            )


def check_format(format, mapping) -> None:
    if format != "auto" and format not in EXPORT_FORMATS:
        raise ValueError(f"format must be 'auto' or one of {list(EXPORT_FORMATS)}, got {format!r}")
    if mapping is not None:
        if not isinstance(mapping, dict):
            raise TypeError(
                f"mapping must be a dict of canonical name -> header, got {type(mapping).__name__}"
            )
        if format not in ("auto", "generic", "canonical"):
            raise ValueError(f"a mapping applies to generic files, not to format {format!r}")


def _detect(headers) -> str | None:
    if is_canonical(headers):
        return "canonical"
    for name, vendor in VENDORS.items():
        if vendor.detect(headers):
            return name
    return None


def _draft(table: Table, format: str, mapping, end: str = "auto", last=None, meanings=None
           ) -> tuple[str, Draft]:
    frame = table.frame
    headers = list(frame.columns)
    if format in ("auto", "generic"):
        # Files no mapping makes readable (no subscription periods), rather than misread.
        for refused in REFUSED.values():
            if refused.detect(headers):
                raise ExportError(refused.refusal, columns=headers)
    if mapping is not None:
        return "generic", generic_draft(frame, mapping, end=end, last=last, meanings=meanings)
    chosen = _detect(headers) if format == "auto" else format
    if chosen == "canonical":
        if not is_canonical(headers):
            raise ExportError("not_canonical", needs=_FORMAT_NEEDS["canonical"], columns=headers)
        return chosen, canonical_draft(frame, end, last)
    if chosen in VENDORS:
        vendor = VENDORS[chosen]
        if not vendor.detect(headers):
            raise ExportError(
                "not_this_format", format=chosen, needs=vendor.needs, columns=headers
            )
        draft = vendor.read(frame)
        if end != "auto":  # a vendor's ends are as its documentation says
            draft.notes.append(note("ends_vendor", format=chosen))
        return chosen, draft
    try:
        return "generic", generic_draft(frame, end=end, last=last, meanings=meanings)
    except ExportError as exc:
        if format != "auto":
            raise
        tried = "; ".join(f"{name} ({needs})" for name, needs in _FORMAT_NEEDS.items())
        raise ExportError("no_format", tried=tried, generic=exc.message) from None


def _check_total(draft: Draft, keep: np.ndarray) -> None:
    """Refuse lines whose MRR adds up to more than the engine can sum exactly: each amount
    passed the per-line ceiling, so the column itself is wrong."""
    total = float(np.abs(draft.mrr[keep]).sum())
    if total > MAX_TOTAL_MRR:
        column = draft.mapping.get("mrr") or draft.mapping.get("amount")
        if column:
            raise ExportError("total_too_large", total=total, limit=MAX_TOTAL_MRR, column=column)
        raise ExportError("total_too_large.unnamed", total=total, limit=MAX_TOTAL_MRR)

