"""The customer-success metrics of the metrics cheat sheet (seed 004), over the monthly table.

Each function takes the frame :func:`mrrkit.engine.monthly` returns (or lines / movements, from which it
is computed). Periods run from the end of month ``start`` to the end of month ``end``: the movements
counted are those dated in months ``start+1 .. end`` and the base is the MRR at the end of
``start`` ("MRR de début de période").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from ..engine.monthly import month_of, monthly, period
from ..engine.movements import EXPANSION, movements_of
from .retention import _month, mrr_at_month_end

__all__ = [
    "ltv",
    "cs_headwind",
    "cs_tailwind",
    "cs_magic_number",
    "expansion_rate",
    "expansion_growth_rate",
]


def _monthly(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and "net_new" in data.columns and "mrr" in data.columns:
        return data
    return monthly(data)


def _period_sums(table: pd.DataFrame, start, end) -> tuple[float, pd.DataFrame]:
    s, e = period(_month(start, "start")), period(_month(end, "end"))
    if e <= s:
        raise ValueError(f"end ({e}) must be after start ({s})")
    if e > table.index[-1]:
        raise ValueError(f"end ({e}) is after the last month of the data ({table.index[-1]})")
    base = float(table["mrr"].get(s, 0.0)) if s >= table.index[0] else 0.0
    return base, table.loc[s + 1 : e]


def ltv(data, window: int | None = None, definitions=None) -> pd.Series:
    """Customer lifetime value per month: ``arpa / mean customer churn rate``.

    The mean is over the ``window`` months ending with the month (the cheat sheet's "churn moyen
    sur les 6 derniers mois"); NaN until ``window`` months of churn rates exist, or when none
    churned over the window (the lifetime would be infinite). Revenue LTV, not margin: multiply by
    your gross margin for a margin LTV.

    Under other definitions (the monthly table's, or ``definitions`` for lines and movements:
    :class:`mrrkit.Definitions`): the churn rate may be revenue's (gross MRR churn), the window
    another length (``ltv_months``, which ``window`` overrides) and end with the month before
    (ChartMogul), and the LTV is multiplied by ``gross_margin``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"arpa": [100.0, 100.0, 110.0],
    ...                       "customer_churn_rate": [0.02, 0.04, 0.03]},
    ...                      index=pd.period_range("2024-01", periods=3, freq="M"))
    >>> ltv(table, window=3).round(2).tolist()   # 110 / mean(2%, 4%, 3%)
    [nan, nan, 3666.67]
    """
    if isinstance(data, pd.DataFrame) and "arpa" in data.columns:
        table = data
    else:
        table = monthly(data, definitions=definitions)
    chosen = table.attrs.get("definitions")
    if chosen is None and table is data:  # a table of its own: the definitions asked, if any
        from ..engine.movements import own_definitions

        chosen = own_definitions(definitions)
    if chosen is None:
        window = 6 if window is None else window
        mean_churn = table["customer_churn_rate"].rolling(window, min_periods=window).mean()
        return (table["arpa"] / mean_churn.where(mean_churn > 0)).rename("ltv")
    window = chosen.ltv_months if window is None else window
    rate = table["customer_churn_rate" if chosen.ltv_churn == "customer"
                 else "gross_mrr_churn_rate"]
    if not chosen.ltv_current_month:
        rate = rate.shift(1)
    mean_churn = rate.rolling(window, min_periods=window).mean()
    value = table["arpa"] * chosen.gross_margin / mean_churn.where(mean_churn > 0)
    return value.rename("ltv")


def cs_headwind(data, start, end) -> float:
    """Customer Success headwind: MRR lost to churn and contraction over the period / MRR at the
    start. A yearly headwind above 20-30% is a priority to address (seed 004).

    ``-(churn + contraction in months start+1..end) / mrr(start)``; NaN when the base is 0.
    """
    base, rows = _period_sums(_monthly(data), start, end)
    lost = -(rows["churn"].sum() + rows["contraction"].sum())
    return float(lost / base) if base else float("nan")


def cs_tailwind(data, start, end) -> float:
    """Customer Success tailwind: expansion MRR (upsells, extra seats, price increases) over the
    period / MRR at the start. Leaders aim above 10% a year (seed 004).

    ``expansion in months start+1..end / mrr(start)``; reactivations are not counted (they are
    won back, not grown). NaN when the base is 0.
    """
    base, rows = _period_sums(_monthly(data), start, end)
    return float(rows["expansion"].sum() / base) if base else float("nan")


def cs_magic_number(data, start, end, cs_cost: float) -> float:
    """Customer Success magic number (seed 004): ``(renewed MRR + upsell MRR) / CS cost``.

    - renewed MRR: the MRR kept from the customers paying at the end of ``start``, each counted
      at most at its starting MRR (the numerator of GRR);
    - upsell MRR: the sum of expansion movements dated in months ``start+1..end``;
    - ``cs_cost``: the cost of the Customer Success and Support teams over the same period, in
      the reporting currency. Above 5.0 signals a strong return (seed 004).

    Vendors differ: some count renewals of annual contracts in the period only; with MRR lines
    there is no separate renewal event, so every retained customer counts as renewed.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (customer-level data is needed).
    start, end : month
    cs_cost : float
        Positive.
    """
    if not cs_cost or cs_cost <= 0 or not np.isfinite(cs_cost):
        raise ValueError(f"cs_cost must be a positive amount, got {cs_cost!r}")
    m = movements_of(data).arrays
    s_month, e_month = _month(start, "start"), _month(end, "end")
    if e_month <= s_month:
        raise ValueError(f"end ({end}) must be after start ({start})")
    s = mrr_at_month_end(m, s_month)
    e = mrr_at_month_end(m, e_month)
    renewed = np.minimum(s, e)[s > 0].sum()
    mon = month_of(m.day)
    in_period = (mon > s_month) & (mon <= e_month) & (m.kind == EXPANSION)
    upsell = m.amount[in_period].sum()
    return float((renewed + upsell) / MICROS / cs_cost)


def expansion_rate(data) -> pd.Series:
    """Expansion MRR of the month / MRR at the end of the previous month (NaN on a zero base)."""
    table = _monthly(data)
    prev = table["mrr"].shift(1)
    return (table["expansion"] / prev.where(prev > 0)).rename("expansion_rate")


def expansion_growth_rate(data, periods: int = 1) -> pd.Series:
    """Growth of expansion MRR: ``expansion(M) / expansion(M - periods) - 1`` (seed 000's
    "taux de croissance du RRM d'expansion"); NaN when the earlier month had no expansion.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"mrr": [1.0, 1.0, 1.0], "net_new": [0.0, 0.0, 0.0],
    ...                       "expansion": [100.0, 150.0, 0.0]},
    ...                      index=pd.period_range("2024-01", periods=3, freq="M"))
    >>> expansion_growth_rate(table).tolist()
    [nan, 0.5, -1.0]
    """
    table = _monthly(data)
    prev = table["expansion"].shift(periods)
    return (table["expansion"] / prev.where(prev > 0) - 1).rename("expansion_growth_rate")
