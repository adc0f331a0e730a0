"""Reporting periods as finance people name them: the last 3, 6 or 12 months, the year to date,
the last quarter, the last fiscal year (with a fiscal year starting in any month).

A period is a pair of monthly :class:`pandas.Period` (first and last month, both included). The
months a period is taken from end at the data's last month; a month still in progress (the
as-of day is not its last day) counts for "year to date", which is about the year so far, and
not for the closed periods (last N months, last quarter, last fiscal year), which are made of
complete months only.

Examples
--------
>>> last = pd.Period("2026-12", "M")  # the as-of day is 2026-12-06: December is in progress
>>> quick_period("last_3", last, complete=False)
(Period('2026-09', 'M'), Period('2026-11', 'M'))
>>> quick_period("ytd", last, complete=False)
(Period('2026-01', 'M'), Period('2026-12', 'M'))
>>> quick_period("last_quarter", last, complete=False)
(Period('2026-07', 'M'), Period('2026-09', 'M'))
>>> quick_period("last_fiscal_year", last, complete=False, fiscal_start=4)  # April to March
(Period('2025-04', 'M'), Period('2026-03', 'M'))
"""

from __future__ import annotations

import pandas as pd

__all__ = ["QUICK_PERIODS", "quick_period"]

#: The quick periods, in the order a menu offers them.
QUICK_PERIODS = ("last_3", "last_6", "last_12", "ytd", "last_quarter", "last_fiscal_year")


def quick_period(
    name: str, last: pd.Period, complete: bool = True, fiscal_start: int = 1
) -> tuple[pd.Period, pd.Period]:
    """The first and last month of quick period ``name`` (one of :data:`QUICK_PERIODS`).

    Parameters
    ----------
    name : str
        ``last_3``, ``last_6``, ``last_12`` (the last N complete months), ``ytd`` (the fiscal
        year so far, the month in progress included), ``last_quarter`` (the last complete
        quarter of the fiscal year: quarters start at ``fiscal_start``, +3, +6, +9),
        ``last_fiscal_year`` (the last complete fiscal year).
    last : Period
        The data's last month (the as-of day's month).
    complete : bool
        Whether ``last`` is complete (the as-of day is its last day).
    fiscal_start : int
        The month (1-12) the fiscal year starts in; 1 = the calendar year.

    Returns
    -------
    tuple of Period
        ``(first, last)`` months, both included. The caller clips them to the months it has.

    Raises
    ------
    ValueError
        An unknown name or a fiscal start outside 1-12.

    Examples
    --------
    >>> end = pd.Period("2026-10", "M")  # October complete (as of Oct 31)
    >>> quick_period("last_12", end)
    (Period('2025-11', 'M'), Period('2026-10', 'M'))
    >>> quick_period("last_quarter", end), quick_period("last_quarter", end, fiscal_start=2)
    ((Period('2026-07', 'M'), Period('2026-09', 'M')), (Period('2026-08', 'M'), Period('2026-10', 'M')))
    >>> quick_period("ytd", end, fiscal_start=7)  # a fiscal year from July
    (Period('2026-07', 'M'), Period('2026-10', 'M'))
    >>> quick_period("last_fiscal_year", pd.Period("2026-12", "M"))  # December complete: 2026
    (Period('2026-01', 'M'), Period('2026-12', 'M'))
    """
    if not (isinstance(fiscal_start, int) and 1 <= fiscal_start <= 12):
        raise ValueError(f"fiscal_start must be a month number 1-12, got {fiscal_start!r}")
    last = pd.Period(last, freq="M")
    closed = last if complete else last - 1  # the last complete month
    if name in ("last_3", "last_6", "last_12"):
        n = int(name.split("_")[1])
        return closed - (n - 1), closed
    # Months since the start of the fiscal year a month falls in (0-11).
    def into_year(month: pd.Period) -> int:
        return (month.month - fiscal_start) % 12

    if name == "ytd":
        return last - into_year(last), last
    if name == "last_quarter":
        # The quarter that ends with the last complete month, or the one before it.
        end = closed - ((into_year(closed) + 1) % 3)
        return end - 2, end
    if name == "last_fiscal_year":
        end = closed - ((into_year(closed) + 1) % 12)
        return end - 11, end
    raise ValueError(f"unknown quick period {name!r}: expected one of {', '.join(QUICK_PERIODS)}")
