"""Customer-level revenue retention between two month ends: NRR and GRR."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.movements import NEW, MovementArrays, movements_of
from ..engine.monthly import month_of, period

__all__ = ["nrr", "grr", "mrr_at_month_end"]


def _month(value, name: str) -> int:
    try:
        month = pd.Period(value, freq="M")
    except (ValueError, TypeError):
        month = pd.NaT
    if month is pd.NaT:  # pd.Period(None or "") is NaT, which has no ordinal
        raise ValueError(f"{name} must be a month such as '2024-03' or a Period, got {value!r}")
    return month.ordinal


def mrr_at_month_end(m: MovementArrays, month: int) -> np.ndarray:
    """Each customer's MRR (integer micros) at the end of a month ordinal, one value per customer
    number ``0..len(m.customers)-1``."""
    out = np.zeros(len(m.customers), np.int64)
    if len(m) == 0:
        return out
    # Rows are sorted by customer then day, so a customer's rows up to the month form a prefix:
    # the last of them carries the MRR at the month end.
    upto = np.flatnonzero(month_of(m.day) <= month)
    if len(upto) == 0:
        return out
    cust = m.cust[upto]
    last = np.append(cust[1:] != cust[:-1], True)
    out[cust[last]] = m.after[upto[last]]
    return out


def _retention(data, start, end, capped: bool, definitions=None) -> float:
    mv = movements_of(data, definitions=definitions)
    m = mv.arrays
    s_month, e_month = _month(start, "start"), _month(end, "end")
    if e_month < s_month:
        raise ValueError(f"end ({end}) is before start ({start})")
    as_of_month = int(month_of(np.array([m.as_of]))[0])
    if e_month > as_of_month:
        raise ValueError(
            f"end ({period(e_month)}) is after the data's as_of month ({period(as_of_month)})"
        )
    s = mrr_at_month_end(m, s_month)
    if mv.definitions is not None and mv.definitions.retention == "movements":
        # From the movements (Baremetrics): 1 - net (or gross) MRR churn over the months after
        # start, every customer's movements counted, new customers' expansion too.
        start_mrr = s.sum()
        if start_mrr == 0:
            return float("nan")
        months = month_of(m.day)
        inside = (months > s_month) & (months <= e_month) & (m.kind != NEW)
        change = (m.after - m.before)[inside]
        kept = np.minimum(change, 0).sum() if capped else change.sum()
        return float((start_mrr + kept) / start_mrr)
    e = mrr_at_month_end(m, e_month)
    base = s > 0
    denominator = s[base].sum()
    if denominator == 0:
        return float("nan")
    kept = np.minimum(e[base], s[base]) if capped else e[base]
    return float(kept.sum() / denominator)


def nrr(data, start, end, definitions=None) -> float:
    """Net revenue retention from the end of month ``start`` to the end of month ``end``.

    The customers paying at the end of ``start`` (MRR > 0); NRR = their total MRR at the end of
    ``end`` / their total MRR at the end of ``start``. Expansion counts, customers who churned
    count as 0, customers acquired after ``start`` are left out. NaN when nobody paid at ``start``.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    start, end : month
        ``"YYYY-MM"``, a ``Period`` or anything ``pd.Period(x, freq="M")`` accepts.
    definitions : Definitions or str, optional
        For lines, the definitions of their movements; movements keep theirs. With
        ``retention="movements"`` (Baremetrics), NRR = ``1 - net MRR churn`` of the months
        after ``start`` (expansion, reactivation, contraction and churn of every customer over
        the start MRR), GRR the same with contraction and churn only.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-01-01", "2024-03-01"]),
    ...     "end": pd.to_datetime(["2024-06-01", None, "2024-04-01", None]),
    ...     "mrr": [100.0, 130.0, 50.0, 999.0],
    ... })
    >>> round(nrr(lines, "2024-01", "2024-06"), 4)   # (130 + 0) / (100 + 50)
    0.8667
    >>> round(grr(lines, "2024-01", "2024-06"), 4)   # (100 + 0) / (100 + 50)
    0.6667
    """
    return _retention(data, start, end, capped=False, definitions=definitions)


def grr(data, start, end, definitions=None) -> float:
    """Gross revenue retention from the end of month ``start`` to the end of month ``end``.

    As :func:`nrr`, but each customer counts at most its starting MRR, so expansion never
    offsets churn and contraction: GRR <= 1 and GRR <= NRR.
    """
    return _retention(data, start, end, capped=True, definitions=definitions)
