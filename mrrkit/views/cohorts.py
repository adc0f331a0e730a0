"""Cohort tables: revenue retention, logo retention and ARPA by months since acquisition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from ..engine.monthly import month_of
from ..engine.movements import CHURN, NEW, REACTIVATION, movements_of

__all__ = ["COHORT_VALUES", "cohort_grid", "cohorts"]

COHORT_VALUES = ("mrr", "customers", "arpa")

# Change in paying customers per movement kind (indexed by kind code): new and reactivation +1,
# churn -1.
_CUSTOMER_STEP = np.zeros(5, np.int64)
_CUSTOMER_STEP[[NEW, REACTIVATION]] = 1
_CUSTOMER_STEP[CHURN] = -1
_NO_COHORT = np.iinfo(np.int64).min


def cohorts(data, value: str = "mrr", as_of=None, definitions=None) -> pd.DataFrame:
    """Cohort table by acquisition month.

    A customer's cohort is the month of its ``new`` movement (its first payment); it stays in that
    cohort for good, so a reactivation counts back into it. Customers whose ``new`` movement is not
    in ``data`` are left out.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (:func:`mrrkit.filter_movements` for a segment).
    value : {"mrr", "customers", "arpa"}
        ``"mrr"``: revenue retention, the cohort's MRR at the end of month ``cohort + age`` divided
        by its MRR at the end of the cohort month (expansion can push it above 1).
        ``"customers"``: logo retention, the same with the number of paying customers.
        ``"arpa"``: absolute ARPA, the cohort's MRR / its paying customers at that month end.
    as_of : date-like, optional
        Last day counted (see :func:`mrrkit.engine.monthly`).
    definitions : Definitions or str, optional
        For lines: the definitions to compute their movements under; movements keep their own.
        A customer's cohort is its first payment whatever they call a return.

    Returns
    -------
    DataFrame indexed by ``cohort`` (monthly ``Period``, months with at least one new customer),
    columns ``age`` 0..K in months. NaN where month ``cohort + age`` is after as_of's month or the
    base (or, for ARPA, the customer count) is zero. Ratios are 1.0 at age 0.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-10"]),
    ...     "end": pd.to_datetime(["2024-02-15", "2024-02-10", "2024-03-31"]),
    ...     "mrr": [100.0, 100.0, 150.0],
    ... })
    >>> cohorts(lines, "mrr")
    age        0    1    2
    cohort
    2024-01  1.0  0.75  0.0
    """
    if value not in COHORT_VALUES:
        raise ValueError(f"value must be one of {COHORT_VALUES}, got {value!r}")
    mv = movements_of(data, as_of, definitions)
    m = mv.arrays
    last = int(month_of(np.array([m.as_of]))[0])
    mon = month_of(m.day)
    # Row numbers rather than a boolean mask: gathering by index is several times faster.
    chosen = mv.definitions
    if chosen is None or (chosen.reactivation_window is None and chosen.pauses != "state"
                          and chosen.reactivation_as == "reactivation"):
        is_new = np.flatnonzero(m.kind == NEW)
        step_of = _CUSTOMER_STEP[m.kind]
    else:
        # Other definitions may report a return as new or as expansion: a customer's cohort is
        # still its first payment (its first movement), paying customers told by their MRR.
        first_row = np.ones(len(m), bool)
        first_row[1:] = m.cust[1:] != m.cust[:-1]
        is_new = np.flatnonzero(first_row & (m.before == 0))
        step_of = ((m.before == 0) & (m.after > 0)).astype(np.int64) - (
            (m.after == 0) & (m.before > 0))
    # "No cohort" must not be a month: months before 1970 have negative ordinals.
    cohort_of = np.full(len(m.customers), _NO_COHORT, np.int64)
    cohort_of[m.cust[is_new]] = mon[is_new]
    row_cohort = cohort_of[m.cust] if len(m) else np.zeros(0, np.int64)
    member = row_cohort != _NO_COHORT
    if not member.any():
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
        empty.columns.name = "age"
        return empty
    if member.all():  # the usual case (every customer's `new` is in data): no copies needed
        member = slice(None)
    # The cohorts are the months some customer's `new` falls in. Months form a short range, so a
    # count per month finds them and numbers them without sorting millions of rows.
    assigned = cohort_of[cohort_of != _NO_COHORT]
    first = int(assigned.min())
    has_cohort = np.bincount(assigned - first) > 0
    cohort_months = np.flatnonzero(has_cohort) + first
    cohort_row = np.cumsum(has_cohort) - 1  # month - first -> row of the cohort table
    n_months = last - first + 1
    slot = cohort_row[row_cohort[member] - first] * n_months + (mon[member] - first)
    size = len(cohort_months) * n_months
    # Per cohort and calendar month: change of MRR and of paying customers, then running totals.
    d_mrr = np.rint(np.bincount(slot, weights=m.amount[member], minlength=size)).astype(np.int64)
    step = step_of[member]
    d_cust = np.bincount(slot, weights=step, minlength=size).astype(np.int64)
    return cohort_grid(value, cohort_months, first, d_mrr.reshape(-1, n_months),
                       d_cust.reshape(-1, n_months), m.as_of)


def cohort_grid(value: str, cohort_months: np.ndarray, first: int, d_mrr: np.ndarray,
                d_cust: np.ndarray, as_of_day: int) -> pd.DataFrame:
    """The cohort table (see :func:`cohorts`) from each cohort's change of MRR (integer micros)
    and of paying customers in each calendar month: rows ``cohort_months`` (month ordinals),
    columns the months from ``first`` to the as-of month. Both engines compute those changes
    (:mod:`mrrkit.sql` in a database), so the table is defined once."""
    n_months = d_mrr.shape[1]
    mrr_level = np.cumsum(d_mrr, axis=1)
    cust_level = np.cumsum(d_cust, axis=1)

    # Re-index calendar months to ages: age a of cohort c is calendar column (c - first) + a.
    col = (cohort_months - first)[:, None] + np.arange(n_months)[None, :]
    inside = col < n_months
    col = np.minimum(col, n_months - 1)
    rows = np.arange(len(cohort_months))[:, None]
    mrr_age = np.where(inside, mrr_level[rows, col], 0).astype("float64")
    cust_age = np.where(inside, cust_level[rows, col], 0).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        if value == "arpa":
            table = np.where(cust_age > 0, mrr_age / MICROS / cust_age, np.nan)
        else:
            level = mrr_age if value == "mrr" else cust_age
            base = level[:, :1]
            table = np.where(base > 0, level / base, np.nan)
    table[~inside] = np.nan
    frame = pd.DataFrame(
        table,
        index=pd.PeriodIndex.from_ordinals(cohort_months, freq="M", name="cohort"),
        columns=pd.RangeIndex(n_months, name="age"),
    )
    frame.attrs["as_of"] = pd.Timestamp(np.datetime64(int(as_of_day), "D"))
    return frame
