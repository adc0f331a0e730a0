"""The MRR bridge (waterfall) of a period, and the movements behind any figure, for reconciling.

The bridge from the MRR at the end of month ``start - 1`` to the MRR at the end of month ``end``:
``start MRR + new + expansion + reactivation + contraction + churn = end MRR`` exactly (the
monthly table's identity ``mrr(M) = mrr(M-1) + net_new(M)`` summed over the period).
"""

from __future__ import annotations

import pandas as pd

from .monthly import monthly
from .movements import KINDS

__all__ = ["BRIDGE_STEPS", "movements_in", "mrr_bridge"]

#: Steps of the bridge, in drawing order (gains, then losses).
BRIDGE_STEPS = ("new", "expansion", "reactivation", "contraction", "churn")


def _monthly(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and "net_new" in data.columns and "mrr" in data.columns:
        return data
    return monthly(data)


def mrr_bridge(data, start, end) -> pd.DataFrame:
    """Start MRR, the five movement totals and end MRR of months ``start..end``.

    Parameters
    ----------
    data : DataFrame
        The :func:`mrrkit.monthly` table, or lines / movements (it is computed).
    start, end : month
        First and last month of the period (``start <= end``).

    Returns
    -------
    DataFrame indexed by ``step`` (``start``, ``BRIDGE_STEPS``..., ``end``) with ``amount`` (the
    start and end MRR, or the movement total) and ``customers`` (the number of movements of that
    kind; paying customers for start and end). Start MRR is 0 when ``start`` is the first month.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-02-05"]),
    ...     "end": pd.to_datetime(["2024-03-10", "2024-02-05", None]),
    ...     "mrr": [100.0, 50.0, 80.0],
    ... })
    >>> mrr_bridge(lines, "2024-02", "2024-03")["amount"].tolist()
    [150.0, 0.0, 30.0, 0.0, 0.0, -100.0, 80.0]
    """
    table = _monthly(data)
    s, e = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    if e < s:
        raise ValueError(f"end ({e}) is before start ({s})")
    if table.empty or s < table.index[0] or e > table.index[-1]:
        span = "no months" if table.empty else f"{table.index[0]} to {table.index[-1]}"
        raise ValueError(f"period {s} to {e} is outside the data ({span})")
    rows = table.loc[s:e]
    before = s - 1
    start_mrr = float(table.at[before, "mrr"]) if before in table.index else 0.0
    start_customers = int(table.at[before, "customers"]) if before in table.index else 0
    count_col = {
        "new": "new_customers",
        "expansion": "expanded_customers",
        "reactivation": "reactivated_customers",
        "contraction": "contracted_customers",
        "churn": "churned_customers",
    }
    data_rows = {"start": (start_mrr, start_customers)}
    for step in BRIDGE_STEPS:
        data_rows[step] = (float(rows[step].sum()), int(rows[count_col[step]].sum()))
    data_rows["end"] = (float(table.at[e, "mrr"]), int(table.at[e, "customers"]))
    out = pd.DataFrame.from_dict(data_rows, orient="index", columns=["amount", "customers"])
    out.index.name = "step"
    out.attrs["start"], out.attrs["end"] = s, e
    return out


def movements_in(movements: pd.DataFrame, month, kind: str | None = None, end=None) -> pd.DataFrame:
    """The movements dated in ``month`` (or in months ``month..end``) of one ``kind``: the rows
    whose amounts sum to that cell of the monthly table and whose count is its ``*_customers``.

    Examples
    --------
    >>> from mrrkit import movements
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"], "mrr": [10.0, 20.0],
    ...                       "start": pd.to_datetime(["2024-01-03", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-10", None])})
    >>> movements_in(movements(lines), "2024-02", "churn")[["customer_id", "amount"]]
      customer_id  amount
    1           a   -10.0
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    first = pd.Period(month, freq="M")
    last = first if end is None else pd.Period(end, freq="M")
    dates = movements["date"]
    keep = (dates >= first.start_time) & (dates < (last + 1).start_time)
    if kind is not None:
        keep &= movements["kind"] == kind
    out = movements[keep]
    out.attrs = dict(movements.attrs)
    return out
