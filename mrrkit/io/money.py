"""Money rules shared by every format: units, bounds, and months per billing period.

- ``mrr = amount x quantity / months per billing period`` (year = 12 months, quarter = 3,
  week = 12/52, day = 12/365), unless the file gives the monthly amount itself;
- cents columns are divided by 100 (by 1 for zero-decimal currencies such as JPY);
- a monthly amount over :data:`MAX_MRR` is a typo (or an id in the wrong column).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "MAX_MRR",
    "MAX_TOTAL_MRR",
    "ZERO_DECIMAL_CURRENCIES",
    "cents_divisor",
    "months_between",
    "months_in_name",
    "snap_months",
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

#: Largest monthly amount a line may carry: beyond it a value is a typo (or an id in the wrong
#: column), and sums of such lines would overflow the engine's exact integer money.
MAX_MRR = 1e10

#: Largest sum of the lines' absolute MRR the engine adds exactly (:func:`mrrkit.validate_lines`
#: refuses more); a file over it has a wrong amount column rather than a few wrong rows.
MAX_TOTAL_MRR = 9.0e12

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


def snap_months(start: np.ndarray, end: np.ndarray) -> np.ndarray:
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


_FREQUENCY_WORDS = {
    **dict.fromkeys(["monthly", "mensuel", "mensuelle", "mensile"], 1.0),
    **dict.fromkeys(["quarterly", "trimestriel", "trimestrielle", "trimestrale"], 3.0),
    **dict.fromkeys(["semiannual", "semestriel", "semestrielle", "semestrale"], 6.0),
    **dict.fromkeys(["yearly", "annual", "annually", "annuel", "annuelle", "annuale"], 12.0),
    **dict.fromkeys(["weekly", "hebdomadaire", "settimanale"], 12.0 / 52.0),
    **dict.fromkeys(["daily", "quotidien", "giornaliero"], 12.0 / 365.0),
}


def months_in_name(name) -> float:
    """The interval a plan name states by a frequency word (``pro-USD-Yearly``,
    ``basic_monthly``, ``pro-annuel``), when it states exactly one; ``30-day-trial`` or
    ``12-month`` state a length, not a frequency, and say nothing."""
    found = {
        _FREQUENCY_WORDS[w]
        for w in re.split(r"[^a-z]+", str(name).lower())
        if w in _FREQUENCY_WORDS
    }
    return found.pop() if len(found) == 1 else np.nan
