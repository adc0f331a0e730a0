"""One row per customer (current MRR, first and last movement, lifetime) and one customer's MRR
history, from the movements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..engine.lines import MICROS
from ..engine.movements import KINDS, movements_of

__all__ = ["DAYS_PER_MONTH", "customer_history", "customer_summary"]

#: Average days in a month (365.25 / 12), to express lifetimes in months.
DAYS_PER_MONTH = 365.25 / 12


def _dates(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")).astype("datetime64[s]")


def customer_summary(data, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every customer with at least one movement, at the data's as_of.

    Returns
    -------
    DataFrame indexed by ``customer_id`` (sorted) with

    - ``mrr``: MRR at as_of (0 for a churned customer); ``status``: ``"active"`` or ``"churned"``;
    - ``first_movement``, ``last_movement``: dates of its first (always ``new``) and latest
      movement; ``movements``: how many it has;
    - ``lifetime_months``: days from the first movement to as_of (while paying) or to the last
      movement (its churn), divided by 365.25/12 — calendar time since it first paid, gaps of a
      churn and reactivation included;
    - then the columns of ``attributes`` (indexed by ``customer_id``), if given.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"], "mrr": [10.0, 20.0],
    ...                       "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                       "end": pd.to_datetime(["2024-01-31", "2024-03-01"])})
    >>> customer_summary(lines)[["mrr", "status", "movements", "lifetime_months"]].round(2)
                 mrr   status  movements  lifetime_months
    customer_id
    a            0.0  churned          2             0.99
    b            0.0  churned          2             1.97
    """
    m = movements_of(data).arrays
    n = len(m)
    if n == 0:
        out = pd.DataFrame(
            {"mrr": pd.Series(dtype="float64"), "status": pd.Series(dtype="str"),
             "first_movement": pd.Series(dtype="datetime64[s]"),
             "last_movement": pd.Series(dtype="datetime64[s]"),
             "movements": pd.Series(dtype="int64"), "lifetime_months": pd.Series(dtype="float64")},
            index=pd.Index([], dtype="str", name="customer_id"),
        )
    else:
        # Rows are sorted by customer then day: first/last row of each run of a customer.
        cust = m.cust
        first = np.flatnonzero(np.concatenate(([True], cust[1:] != cust[:-1])))
        last = np.append(first[1:], n) - 1
        after = m.after[last] / MICROS
        active = after > 0
        end_day = np.where(active, m.as_of, m.day[last])
        out = pd.DataFrame(
            {
                "mrr": after,
                "status": np.where(active, "active", "churned"),
                "first_movement": _dates(m.day[first]),
                "last_movement": _dates(m.day[last]),
                "movements": (last - first + 1).astype(np.int64),
                "lifetime_months": (end_day - m.day[first]) / DAYS_PER_MONTH,
            },
            index=pd.Index(np.asarray(m.customers, dtype=object)[cust[first]], dtype="str",
                           name="customer_id"),
        )
        out["status"] = out["status"].astype("str")
    if attributes is not None:
        attrs = attributes.copy()
        attrs.index = attrs.index.astype("str")
        out = out.join(attrs[[c for c in attrs.columns if c not in out.columns]], how="left")
    out.attrs["as_of"] = pd.Timestamp(np.datetime64(m.as_of, "D"))
    return out


def customer_history(data, customer_id: str) -> pd.DataFrame:
    """A customer's MRR as a step series: one row per movement plus a closing row at as_of.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    customer_id : str

    Returns
    -------
    DataFrame with ``date``, ``mrr`` (MRR from that day on), ``kind`` and ``amount`` (empty
    for the closing row).

    Examples
    --------
    >>> from mrrkit import movements
    >>> lines = pd.DataFrame({"customer_id": ["a", "a"], "mrr": [10.0, 25.0],
    ...                       "start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-01", "2024-04-01"])})
    >>> customer_history(movements(lines), "a")[["date", "mrr", "kind"]]
            date   mrr       kind
    0 2024-01-01  10.0        new
    1 2024-02-01  25.0  expansion
    2 2024-04-01   0.0      churn
    3 2024-04-01   0.0        NaN
    """
    m = movements_of(data).arrays
    # Rows are sorted by customer then day: the customer's rows are one run.
    code = pc.index(pa.array(m.customers, pa.large_string()), str(customer_id)).as_py()
    lo, hi = np.searchsorted(m.cust, [code, code + 1]) if code >= 0 else (0, 0)
    kinds = np.asarray(KINDS, dtype=object)
    out = pd.DataFrame({
        "date": _dates(m.day[lo:hi]),
        "mrr": m.after[lo:hi] / MICROS,
        "kind": kinds[m.kind[lo:hi]],
        "amount": (m.after[lo:hi] - m.before[lo:hi]) / MICROS,
    })
    if len(out):
        closing = pd.DataFrame({"date": [_dates(np.array([m.as_of]))[0]],
                                "mrr": [out["mrr"].iloc[-1]], "kind": [np.nan], "amount": [np.nan]})
        out = pd.concat([out, closing.astype({"date": out["date"].dtype})], ignore_index=True)
    return out
