"""The monthly MRR table: movements summed by month, MRR snapshots and the monthly rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .lines import MICROS
from .movements import (
    CHURN,
    CONTRACTION,
    EXPANSION,
    KINDS,
    NEW,
    REACTIVATION,
    MovementArrays,
    movements_of,
)

__all__ = ["MONTHLY_COLUMNS", "MonthSums", "monthly", "monthly_table"]

MONTHLY_COLUMNS = (
    "mrr",
    "customers",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "net_new",
    "new_customers",
    "expanded_customers",
    "contracted_customers",
    "churned_customers",
    "reactivated_customers",
    "arr",
    "arpa",
    "customer_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "quick_ratio",
    "nrr",
    "grr",
)

_EPOCH_D = np.datetime64("1970-01-01", "D")


def month_of(day: np.ndarray) -> np.ndarray:
    """Month ordinal (months since 1970-01, as ``pd.Period(..., "M").ordinal``) of day numbers."""
    day = np.asarray(day, dtype=np.int64)
    if len(day) == 0:
        return np.zeros(0, np.int64)
    lo, hi = int(day.min()), int(day.max())
    # Calendar arithmetic once per distinct day, then a lookup: much faster on millions of rows.
    table = (_EPOCH_D + np.arange(lo, hi + 1).astype("timedelta64[D]")).astype("datetime64[M]")
    return table.astype(np.int64)[day - lo]


def period(month: int) -> pd.Period:
    """The monthly ``Period`` of a month ordinal."""
    return pd.Period(ordinal=int(month), freq="M")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where the base is zero (an undefined rate is not infinite)."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _customer_month_runs(m: MovementArrays, mon: np.ndarray):
    """First and last row of each (customer, month) run of the sorted movements."""
    n = len(m)
    new_run = np.empty(n, bool)
    new_run[0] = True
    new_run[1:] = (m.cust[1:] != m.cust[:-1]) | (mon[1:] != mon[:-1])
    first = np.flatnonzero(new_run)
    last = np.append(first[1:], n) - 1
    return first, last


def monthly(data, as_of=None, definitions=None) -> pd.DataFrame:
    """Monthly MRR, movements and rates.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` (compute movements once, then derive every view;
        :func:`mrrkit.filter_movements` for a segment) or canonical lines.
    as_of : date-like, optional
        Last day counted; defaults to the movements' ``as_of`` or the lines' latest date.
    definitions : Definitions or str, optional
        For lines: the definitions to compute their movements under (:func:`mrrkit.movements`);
        movements keep their own (asking others raises). The rates follow them: the customer
        churn rate's base and whether customers who join and churn within the month count,
        the quick ratio's numerator, NRR/GRR customer-level or from the movements
        (:class:`mrrkit.Definitions`). The frame's ``attrs["definitions"]`` holds them (None:
        mrrkit's own).

    Returns
    -------
    DataFrame indexed by ``month`` (monthly ``Period``), every month from the first movement's
    month to as_of's month, empty months included. Definitions (``M-1`` = previous month; a rate
    whose base is zero is NaN):

    - ``mrr``: MRR at the end of the month's last day (at ``as_of`` for its month); ``arr`` = 12 x
      ``mrr``; ``customers``: customers with MRR > 0 then; ``arpa`` = ``mrr / customers``.
    - ``new, expansion, contraction, churn, reactivation``: sums of the month's movement amounts by
      kind (churn and contraction are negative); ``net_new`` is their sum, so
      ``mrr(M) = mrr(M-1) + net_new(M)`` exactly.
    - ``new_customers, expanded_customers, contracted_customers, churned_customers,
      reactivated_customers``: number of movements of that kind (a customer who churns twice in a
      month counts twice).
    - ``customer_churn_rate = churned_customers / customers(M-1)``.
    - ``gross_mrr_churn_rate = -(churn + contraction) / mrr(M-1)``.
    - ``net_mrr_churn_rate = -(churn + contraction + expansion + reactivation) / mrr(M-1)``.
    - ``quick_ratio = (new + expansion + reactivation) / -(churn + contraction)``.
    - ``nrr``, ``grr``: customer-level retention from the end of M-1 to the end of M, as
      :func:`mrrkit.nrr` / :func:`mrrkit.grr` with ``start=M-1, end=M``.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-02-05"]),
    ...     "end": pd.to_datetime(["2024-03-10", "2024-02-05", None]),
    ...     "mrr": [100.0, 50.0, 80.0],
    ... })
    >>> monthly(lines)[["mrr", "new", "expansion", "churn", "net_new", "customers"]]
               mrr    new  expansion  churn  net_new  customers
    month
    2024-01  150.0  150.0        0.0    0.0    150.0          2
    2024-02  180.0    0.0       30.0    0.0     30.0          2
    2024-03   80.0    0.0        0.0 -100.0   -100.0          1
    """
    mv = movements_of(data, as_of, definitions)
    m, chosen = mv.arrays, mv.definitions
    last = int(month_of(np.array([m.as_of]))[0])
    if len(m) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in MONTHLY_COLUMNS})
        empty.index = pd.PeriodIndex([], freq="M", name="month")
        return empty
    mon = month_of(m.day)
    first = int(mon.min())
    nm = last - first + 1
    slot = (mon - first) * len(KINDS) + m.kind
    # Sums of integer micros stay exact in float64 below 2**53 micros (9e9 currency units).
    sums = np.rint(np.bincount(slot, weights=m.amount, minlength=nm * len(KINDS))).astype(np.int64)
    counts = np.bincount(slot, minlength=nm * len(KINDS)).reshape(nm, len(KINDS))
    rose = fell = joined_left = None
    if not _counts_by_kind(chosen):  # (a reactivation reported as expansion: count by MRR)
        rose = np.bincount(mon - first, weights=(m.before == 0) & (m.after > 0), minlength=nm)
        fell = np.bincount(mon - first, weights=(m.after == 0) & (m.before > 0), minlength=nm)

    # Customer-level NRR/GRR between consecutive month ends: a customer paying at the end of M-1
    # with no movement in M contributes the same to numerator and denominator, so only the
    # customer-months with movements change the ratio.
    run_first, run_last = _customer_month_runs(m, mon)
    s = m.before[run_first]
    # Weight 0 for customer-months not paying at the end of M-1, rather than filtering them out:
    # compacting with a random half-true mask costs several times more than the arithmetic.
    change = np.where(s > 0, m.after[run_last] - s, 0)
    run_mon = mon[run_first] - first
    d_net = np.bincount(run_mon, weights=change, minlength=nm)
    d_gross = np.bincount(run_mon, weights=np.minimum(change, 0), minlength=nm)
    if chosen is not None and chosen.same_month_churn != "count":
        # A churn in a customer-month that began at 0: the customer joined (or came back) and
        # left within the month.
        run_of_row = np.zeros(len(m), np.int64)
        run_of_row[run_first[1:]] = 1
        run_of_row = np.cumsum(run_of_row)
        began_at_zero = m.before[run_first] == 0
        joined_left = np.bincount(mon - first, weights=(m.kind == CHURN)
                                  & began_at_zero[run_of_row], minlength=nm)
    return monthly_table(MonthSums(first, sums.reshape(nm, len(KINDS)), counts, d_net, d_gross,
                                   rose, fell, joined_left), m.as_of, chosen)


def _counts_by_kind(chosen) -> bool:
    """Whether paying customers are counted from the movement kinds (new and reactivation in,
    churn out), rather than from MRR rising from or falling to 0: not when another tool's
    definitions report a return as new or expansion, or a pause as a contraction to 0."""
    return chosen is None or (chosen.reactivation_as == "reactivation" and chosen.pauses != "state")


@dataclass(frozen=True)
class MonthSums:
    """What the monthly table is computed from, one value per month from ``first`` (a month
    ordinal) to the as-of month. Both engines compute it (this module from the arrays,
    :mod:`mrrkit.sql` in a database) and :func:`monthly_table` turns it into the table, so the
    rates are defined once.

    Attributes
    ----------
    first : int
        The first month's ordinal (months since 1970-01).
    sums, counts : int64 arrays (months x :data:`KINDS`)
        Sum of the amounts (integer micros) and number of the movements of each kind.
    d_net, d_gross : arrays (months)
        Of the customers paying at the end of the month before: the change of their MRR over the
        month, and its losses only (each customer's change capped at 0), in micros.
    rose, fell : arrays (months) or None
        Movements from 0 to more, and from more to 0 (needed when customers are not counted by
        kind, see :func:`_counts_by_kind`).
    joined_left : array (months) or None
        Churn movements in a customer-month that began at 0 (needed to leave out customers who
        join and leave within the month).
    """

    first: int
    sums: np.ndarray
    counts: np.ndarray
    d_net: np.ndarray
    d_gross: np.ndarray
    rose: np.ndarray | None = None
    fell: np.ndarray | None = None
    joined_left: np.ndarray | None = None


def monthly_table(month_sums: MonthSums, as_of_day: int, chosen=None) -> pd.DataFrame:
    """The monthly table (see :func:`monthly`) from the months' sums, under ``chosen``
    definitions (None: mrrkit's own); ``as_of_day`` counts days since 1970-01-01."""
    ms = month_sums
    sums, counts = ms.sums, ms.counts
    nm = len(sums)
    first = ms.first
    net_new = sums.sum(axis=1)
    mrr = np.cumsum(net_new)
    if _counts_by_kind(chosen):
        joined = counts[:, NEW] + counts[:, REACTIVATION]
        customers = np.cumsum(joined - counts[:, CHURN])
    else:
        joined = np.asarray(ms.rose).astype(np.int64)
        customers = np.cumsum(joined - np.asarray(ms.fell).astype(np.int64))
    prev_mrr = np.concatenate(([0], mrr[:-1]))
    prev_customers = np.concatenate(([0], customers[:-1]))

    to_money = 1.0 / MICROS
    new, expansion, contraction, churn, reactivation = (sums[:, k] * to_money for k in range(5))
    losses = -(churn + contraction)
    churned, base = counts[:, CHURN], prev_customers
    gains = new + expansion + reactivation
    nrr = _ratio(prev_mrr + ms.d_net, prev_mrr)
    grr = _ratio(prev_mrr + ms.d_gross, prev_mrr)
    if chosen is not None:
        if chosen.same_month_churn != "count":  # (ignored: none left to exclude)
            churned = churned - np.asarray(ms.joined_left).astype(np.int64)
        if chosen.churn_rate_base == "average":
            base = (prev_customers + customers) / 2
        elif chosen.churn_rate_base == "start_plus_new":
            base = prev_customers + joined
        if not chosen.quick_ratio_reactivation:
            gains = new + expansion
        if chosen.retention == "movements":
            nrr = _ratio(prev_mrr * to_money - losses + expansion + reactivation,
                         prev_mrr * to_money)
            grr = _ratio(prev_mrr * to_money - losses, prev_mrr * to_money)
    frame = pd.DataFrame(
        {
            "mrr": mrr * to_money,
            "customers": customers,
            "new": new,
            "expansion": expansion,
            "contraction": contraction,
            "churn": churn,
            "reactivation": reactivation,
            "net_new": net_new * to_money,
            "new_customers": counts[:, NEW],
            "expanded_customers": counts[:, EXPANSION],
            "contracted_customers": counts[:, CONTRACTION],
            "churned_customers": counts[:, CHURN],
            "reactivated_customers": counts[:, REACTIVATION],
            "arr": 12 * mrr * to_money,
            "arpa": _ratio(mrr * to_money, customers),
            "customer_churn_rate": _ratio(churned, base),
            "gross_mrr_churn_rate": _ratio(losses, prev_mrr * to_money),
            "net_mrr_churn_rate": _ratio(losses - expansion - reactivation, prev_mrr * to_money),
            "quick_ratio": _ratio(gains, losses),
            "nrr": nrr,
            "grr": grr,
        },
        index=pd.PeriodIndex.from_ordinals(np.arange(first, first + nm), freq="M", name="month"),
    )
    frame.attrs["as_of"] = pd.Timestamp(np.datetime64(int(as_of_day), "D"))
    if chosen is not None:  # (mrrkit's own add nothing: frames stay as they were)
        frame.attrs["definitions"] = chosen
    return frame
