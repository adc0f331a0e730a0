"""The dates a reader takes, and holding a draft's dates to them.

A billing export's date far in the past or future is a typo or a placeholder (``9999-12-31``
stands for "never"): kept, one such line would stretch every monthly table and cohort grid over
thousands of months. :func:`date_window` says which dates are read (settings read when called),
:func:`apply_date_window` rejects the rows that start outside and reads a far end as no end.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cells import text
from .dates import parse_dates
from .drafts import Draft
from .messages import Note, note

__all__ = ["MAX_YEARS_AHEAD_ENV", "MIN_DATE_ENV", "DateWindow", "apply_date_window", "date_window"]

#: Environment variable: the earliest date a reader takes (``YYYY-MM-DD``, default 1990-01-01).
MIN_DATE_ENV = "MRRKIT_MIN_DATE"
#: Environment variable: how many years after today the latest date a reader takes is (a whole
#: number, default 10).
MAX_YEARS_AHEAD_ENV = "MRRKIT_MAX_YEARS_AHEAD"
_DEFAULT_MIN_DATE = "1990-01-01"
_DEFAULT_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateWindow:
    """The dates a reader takes, ``first`` and ``last`` included (midnight timestamps).

    A billing export's date outside it is a typo or a placeholder (``9999-01-01``, ``1678``,
    ``0001-01-01``): kept, one such line would stretch every monthly table and cohort grid over
    thousands of months. :func:`mrrkit.read_export` rejects a row whose start is outside, and
    reads an end after ``last`` as no end (``9999-12-31``, ``2099-01-01``... stand for "never").
    """

    first: pd.Timestamp
    last: pd.Timestamp

    def outside(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Rows of a ``datetime64`` column before ``first`` and after ``last`` (missing: neither).

        >>> w = DateWindow(pd.Timestamp("1990-01-01"), pd.Timestamp("2036-06-30"))
        >>> days = pd.Series(pd.to_datetime(["1989-12-31", "2024-01-01", None]))
        >>> [m.tolist() for m in w.outside(days)]
        [[True, False, False], [False, False, False]]
        """
        days = np.asarray(values.to_numpy()).astype("datetime64[D]")
        first = np.datetime64(self.first.date(), "D")
        last = np.datetime64(self.last.date(), "D")
        known = ~np.isnat(days)
        return known & (days < first), known & (days > last)


def date_window(today, environ=None) -> DateWindow:
    """The dates the readers take, from :data:`MIN_DATE_ENV` (``MRRKIT_MIN_DATE``, default
    ``1990-01-01``) to :data:`MAX_YEARS_AHEAD_ENV` (``MRRKIT_MAX_YEARS_AHEAD``, default 10)
    years after ``today``, both read when called (not at import).

    Parameters
    ----------
    today : date-like
        The current day, given by the caller (:func:`mrrkit.read_export` reads the clock once
        when not told): the same file read with the same ``today`` gives the same lines.
    environ : mapping, optional
        Where the two settings are read; default ``os.environ``. An empty value is the default.

    Raises
    ------
    ValueError
        A setting that is no date or no whole number, or a window that ends before it starts.

    Examples
    --------
    >>> w = date_window("2026-02-28", environ={})
    >>> str(w.first.date()), str(w.last.date())
    ('1990-01-01', '2036-02-28')
    >>> settings = {"MRRKIT_MIN_DATE": "2000-01-01", "MRRKIT_MAX_YEARS_AHEAD": "1"}
    >>> w = date_window("2024-02-29", settings)
    >>> str(w.first.date()), str(w.last.date())
    ('2000-01-01', '2025-02-28')
    """
    environ = os.environ if environ is None else environ
    day = pd.Timestamp(today)
    if day is pd.NaT:
        raise ValueError("today must be a date, got a missing value")
    day = day.normalize()
    written = str(environ.get(MIN_DATE_ENV, "") or "").strip() or _DEFAULT_MIN_DATE
    try:
        first = pd.Timestamp(written)
        if first is pd.NaT:
            raise ValueError
    except (ValueError, TypeError, OverflowError):
        raise ValueError(
            f"{MIN_DATE_ENV} must be a date such as {_DEFAULT_MIN_DATE}, got {written!r}"
        ) from None
    years = str(environ.get(MAX_YEARS_AHEAD_ENV, "") or "").strip() or str(_DEFAULT_YEARS_AHEAD)
    if not re.fullmatch(r"\d{1,4}", years):
        raise ValueError(
            f"{MAX_YEARS_AHEAD_ENV} must be a whole number of years such as "
            f"{_DEFAULT_YEARS_AHEAD}, got {years!r}"
        )
    last = day + pd.DateOffset(years=int(years))
    first = first.normalize()
    if first > last:
        raise ValueError(
            f"{MIN_DATE_ENV} ({first.date()}) is after the latest date read ({last.date()}, "
            f"{MAX_YEARS_AHEAD_ENV} years after today)"
        )
    return DateWindow(first, last)


def apply_date_window(
    frame: pd.DataFrame,
    draft: Draft,
    window: DateWindow,
    notes: list[Note],
    *,
    periods: bool = False,
) -> None:
    """Hold a draft's dates to the dates read (:func:`date_window`), in place.

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
    >>> from mrrkit.io.generic import canonical_draft
    >>> draft, notes = canonical_draft(frame), []
    >>> window = DateWindow(pd.Timestamp("1990-01-01"), pd.Timestamp("2036-06-30"))
    >>> apply_date_window(frame, draft, window, notes)
    >>> draft.reasons.of_rows(~draft.reasons.ok).tolist()
    ["start date '9999-01-01' in 'start' is after 2036-06-30, the latest date read"]
    >>> draft.end.isna().tolist(), notes[0].values["count"]
    ([True, True, True], 1)
    """
    reasons = draft.reasons
    first, last = str(window.first.date()), str(window.last.date())
    starts = [h for h in (draft.mapping.get("start"), draft.mapping.get("trial_end")) if h]
    before, after = window.outside(draft.start)
    at = np.flatnonzero(reasons.ok & (before | after))
    if len(at):
        column, value = _written_dates(frame, at, draft.start, starts)
        cells = {"column": _full(len(frame), at, column), "value": _full(len(frame), at, value)}
        reasons.reject(before, "start_too_early", date=first, **cells)
        reasons.reject(after, "start_too_late", date=last, **cells)
    _, late_end = window.outside(draft.end)
    late_end &= reasons.ok
    at = np.flatnonzero(late_end)
    if not len(at):
        return
    ends = [h for h in (draft.mapping.get("end"),) if h]
    column, value = _written_dates(frame, at, draft.end, ends)
    if periods:
        cells = {"column": _full(len(frame), at, column), "value": _full(len(frame), at, value)}
        reasons.reject(late_end, "end_too_late", date=last, **cells)
        return
    draft.end = draft.end.mask(late_end)
    notes.append(
        note("far_end", count=len(at), date=last, example=str(value[0]), column=str(column[0]))
    )


def _full(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` of ``rows`` (positions) as an array of all ``n`` rows, the cells as text."""
    out = np.full(n, None, dtype=object)
    out[rows] = [str(v) for v in values]
    return out


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
