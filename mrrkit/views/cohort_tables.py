"""Cohort tables by acquisition month or quarter, their size-weighted average and per-segment
retention curves.

Same rules as :func:`mrrkit.views.cohorts` (which stays the monthly reference): a customer's cohort is
the month — here, or the quarter — of its ``new`` movement; it never leaves its cohort (a
reactivation counts back into it); customers whose ``new`` movement is not in the data are left
out. A cohort's level at age ``a`` is its MRR (or number of paying customers) at the end of period
``cohort + a`` (at ``as_of`` for the period that contains it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .cohorts import COHORT_VALUES
from ..engine.lines import MICROS
from ..engine.monthly import month_of
from ..engine.movements import CHURN, NEW, REACTIVATION, movements_of

__all__ = [
    "COHORT_PERIODS", "average_of_levels", "cohort_average", "cohort_curves", "cohort_levels",
    "cohort_table", "levels_from_changes", "table_of_levels",
]

#: Cohort period lengths: name -> months.
COHORT_PERIODS = {"month": 1, "quarter": 3}


def _step(by: str) -> int:
    if by not in COHORT_PERIODS:
        raise ValueError(f"by must be one of {list(COHORT_PERIODS)}, got {by!r}")
    return COHORT_PERIODS[by]


def _freq(by: str) -> str:
    return "M" if by == "month" else "Q"


def cohort_levels(data, by: str = "month", as_of=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MRR and paying customers of each cohort at the end of each period since acquisition.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (:func:`mrrkit.filter_movements` for a segment).
    by : {"month", "quarter"}
    as_of : date-like, optional
        Last day counted (not later than the movements' own as_of).

    Returns
    -------
    (mrr, customers) : two DataFrames indexed by ``cohort`` (``Period`` of ``by``), columns
    ``age`` 0..K in periods; NaN where period ``cohort + age`` is after as_of's period.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-04-10"]),
    ...     "end": pd.to_datetime(["2024-05-15", None, None]),
    ...     "mrr": [100.0, 50.0, 80.0],
    ... })
    >>> mrr, customers = cohort_levels(lines, by="quarter")
    >>> mrr
    age          0     1
    cohort
    2024Q1  150.0   50.0
    2024Q2   80.0    NaN
    """
    step = _step(by)
    mv = movements_of(data, as_of)
    m = mv.arrays
    last = int(month_of(np.array([m.as_of]))[0]) // step
    per = month_of(m.day) // step
    chosen = mv.definitions
    if chosen is None or (chosen.reactivation_window is None and chosen.pauses != "state"
                          and chosen.reactivation_as == "reactivation"):
        is_new = m.kind == NEW
        kind = m.kind
        step_of = np.where((kind == NEW) | (kind == REACTIVATION), 1,
                           np.where(kind == CHURN, -1, 0))
    else:
        # As mrrkit.cohorts: whatever other definitions call a return (new after a window,
        # expansion), a customer's cohort is its first payment, paying customers told by MRR.
        is_new = np.ones(len(m), bool)
        is_new[1:] = m.cust[1:] != m.cust[:-1]
        is_new &= m.before == 0
        step_of = ((m.before == 0) & (m.after > 0)).astype(np.int64) - (
            (m.after == 0) & (m.before > 0))
    cohort_of = np.full(len(m.customers), np.iinfo(np.int64).min, np.int64)
    cohort_of[m.cust[is_new]] = per[is_new]
    row_cohort = cohort_of[m.cust] if len(m) else np.zeros(0, np.int64)
    member = row_cohort != np.iinfo(np.int64).min
    if not member.any():
        return levels_from_changes(np.zeros(0, np.int64), 0, last,
                                   np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64),
                                   by, m.as_of)
    cohorts = np.unique(row_cohort[member])
    first = int(cohorts[0])
    n = last - first + 1
    ci = np.searchsorted(cohorts, row_cohort[member])
    slot = ci * n + (per[member] - first)
    size = len(cohorts) * n
    d_mrr = np.rint(np.bincount(slot, weights=m.amount[member], minlength=size)).astype(np.int64)
    d_cust = np.rint(np.bincount(slot, weights=step_of[member], minlength=size)).astype(np.int64)
    return levels_from_changes(cohorts, first, last, d_mrr.reshape(-1, n), d_cust.reshape(-1, n),
                               by, m.as_of)


def levels_from_changes(cohorts: np.ndarray, first: int, last: int, d_mrr: np.ndarray,
                        d_cust: np.ndarray, by: str, as_of_day: int
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`cohort_levels`' two frames from each cohort's change of MRR (integer micros) and
    of paying customers in each period: rows ``cohorts`` (period ordinals of ``by``), columns
    the periods ``first..last``. Both engines compute those changes (:mod:`mrrkit.sql` in a
    database), the levels are made once."""
    freq = _freq(by)
    if len(cohorts) == 0:
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq=freq, name="cohort"))
        empty.columns = pd.RangeIndex(0, name="age")
        return empty, empty.copy()
    n = last - first + 1
    mrr_level = np.cumsum(d_mrr, axis=1)
    cust_level = np.cumsum(d_cust, axis=1)
    # Age a of cohort c is calendar column (c - first) + a.
    col = (cohorts - first)[:, None] + np.arange(n)[None, :]
    inside = col < n
    col = np.minimum(col, n - 1)
    rows = np.arange(len(cohorts))[:, None]
    mrr_age = np.where(inside, mrr_level[rows, col] / MICROS, np.nan)
    cust_age = np.where(inside, cust_level[rows, col].astype("float64"), np.nan)
    index = pd.PeriodIndex.from_ordinals(cohorts, freq=freq, name="cohort")
    columns = pd.RangeIndex(n, name="age")
    out = (
        pd.DataFrame(mrr_age, index=index, columns=columns),
        pd.DataFrame(cust_age, index=index, columns=columns),
    )
    for frame in out:
        frame.attrs["as_of"] = pd.Timestamp(np.datetime64(int(as_of_day), "D"))
        frame.attrs["by"] = by
    return out


def _slice(frame: pd.DataFrame, start, end, by: str) -> pd.DataFrame:
    if start is not None:
        frame = frame.loc[frame.index >= pd.Period(start, freq=_freq(by))]
    if end is not None:
        frame = frame.loc[frame.index <= pd.Period(end, freq=_freq(by))]
    # Keep only ages some remaining cohort reached.
    reached = frame.notna().any(axis=0)
    return frame.loc[:, reached] if len(frame) else frame.iloc[:, :0]


def _ratio(num: pd.DataFrame, den) -> pd.DataFrame:
    return num.div(den, axis=0).where(lambda t: np.isfinite(t))


def cohort_table(data, value: str = "mrr", by: str = "month", as_of=None, start=None, end=None):
    """Cohort table by acquisition month or quarter.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    value : {"mrr", "customers", "arpa"}
        ``"mrr"``: revenue retention (level / level at age 0); ``"customers"``: logo retention;
        ``"arpa"``: the cohort's MRR / its paying customers (absolute).
    by : {"month", "quarter"}
    as_of : date-like, optional
    start, end : period-like, optional
        First and last cohort kept.

    Returns
    -------
    DataFrame indexed by ``cohort``, columns ``age``; ``attrs["size"]``: paying customers at age 0
    and ``attrs["base_mrr"]``: MRR at age 0, per cohort. With ``by="month"`` it equals
    :func:`mrrkit.views.cohorts`.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-04-10"]),
    ...     "end": pd.to_datetime(["2024-05-15", None, None]),
    ...     "mrr": [100.0, 50.0, 80.0],
    ... })
    >>> cohort_table(lines, "customers", by="quarter").round(3)
    age       0    1
    cohort
    2024Q1  1.0  0.5
    2024Q2  1.0  NaN
    """
    return table_of_levels(cohort_levels(data, by, as_of), value, by, start, end)


def table_of_levels(levels: tuple[pd.DataFrame, pd.DataFrame], value: str, by: str, start=None,
                    end=None) -> pd.DataFrame:
    """:func:`cohort_table` from :func:`cohort_levels`' frames (computed by either engine)."""
    if value not in COHORT_VALUES:
        raise ValueError(f"value must be one of {COHORT_VALUES}, got {value!r}")
    mrr, cust = levels
    mrr, cust = _slice(mrr, start, end, by), _slice(cust, start, end, by)
    if value == "arpa":
        table = (mrr / cust.where(cust > 0)).where(mrr.notna())
    else:
        level = mrr if value == "mrr" else cust
        table = _ratio(level, level[0].where(level[0] > 0)) if len(level.columns) else level
    table.attrs.update(mrr.attrs)
    table.attrs["size"] = cust[0].astype("int64") if len(cust.columns) else cust.index.to_series()
    table.attrs["base_mrr"] = mrr[0] if len(mrr.columns) else mrr.index.to_series()
    return table


def cohort_average(data, value: str = "mrr", by: str = "month", as_of=None, start=None, end=None):
    """The cohort table's average row, weighted by cohort size.

    At age ``a``, over the cohorts that have reached it: ``Σ MRR(c, a) / Σ MRR(c, 0)`` for
    revenue retention, ``Σ customers(c, a) / Σ customers(c, 0)`` for logo retention and
    ``Σ MRR(c, a) / Σ customers(c, a)`` for ARPA — the mean of the cohorts' values weighted by
    their MRR, customers at age 0, or customers at age ``a`` respectively (a pooled figure: a
    tiny cohort does not count as much as a big one).

    Returns
    -------
    Series indexed by ``age``.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-10"]),
    ...     "end": pd.to_datetime(["2024-02-15", None, None]),
    ...     "mrr": [100.0, 50.0, 80.0],
    ... })
    >>> cohort_average(lines, "customers").round(3).tolist()  # age 1: only January reached it
    [1.0, 0.5]
    """
    return average_of_levels(cohort_levels(data, by, as_of), value, by, start, end)


def average_of_levels(levels: tuple[pd.DataFrame, pd.DataFrame], value: str, by: str,
                      start=None, end=None) -> pd.Series:
    """:func:`cohort_average` from :func:`cohort_levels`' frames (computed by either engine)."""
    if value not in COHORT_VALUES:
        raise ValueError(f"value must be one of {COHORT_VALUES}, got {value!r}")
    mrr, cust = levels
    mrr, cust = _slice(mrr, start, end, by), _slice(cust, start, end, by)
    if not len(mrr.columns):
        return pd.Series(dtype="float64", index=pd.RangeIndex(0, name="age"), name=value)
    if value == "arpa":
        num, den = mrr.sum(), cust.where(mrr.notna()).sum()
    else:
        level = mrr if value == "mrr" else cust
        num = level.sum()
        den = level.notna().mul(level[0], axis=0).sum()
    out = (num / den.where(den > 0)).rename(value)
    out.index.name = "age"
    return out


def cohort_curves(
    data, groups: pd.Series, value: str = "mrr", by: str = "month", as_of=None,
    start=None, end=None, labels=None,
) -> pd.DataFrame:
    """The weighted average cohort curve (:func:`cohort_average`) of each group of customers.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` (or canonical lines).
    groups : Series
        Label of each customer, indexed by ``customer_id``.
    labels : list, optional
        The groups to draw (default: every label).

    Returns
    -------
    DataFrame indexed by ``age``, one column per group.
    """
    from .segments import MISSING, _as_labels, filter_movements

    mv = movements_of(data, as_of)
    text = _as_labels(groups)
    text.index = text.index.astype("str")
    if not text.index.equals(mv.customers):
        text = text.reindex(mv.customers).fillna(MISSING)  # one label per customer, in order
    wanted = list(labels) if labels is not None else sorted(text.unique())
    values = text.to_numpy(dtype=object)
    curves: Mapping[str, pd.Series] = {}
    for label in wanted:
        # A boolean mask over the customers: no string matching per group.
        part = filter_movements(mv, values == label)
        if len(part):
            curves[label] = cohort_average(part, value, by, as_of, start, end)
    out = pd.DataFrame(curves)
    out.index.name = "age"
    out.columns.name = groups.name
    return out
