"""Headline KPIs of one month, with the same figures a month and a year earlier."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import ltv
from ..engine.monthly import monthly
from ..engine.movements import movements_of
from .retention import grr, nrr

__all__ = ["KPI_NAMES", "kpi_table", "kpis"]

#: KPI -> (label, kind of number): the rows :func:`kpis` returns, in display order.
KPI_NAMES = {
    "mrr": ("MRR", "money"),
    "arr": ("ARR", "money"),
    "customers": ("Customers", "count"),
    "net_new": ("Net new MRR", "money"),
    "nrr_12m": ("NRR (12 months)", "pct"),
    "grr_12m": ("GRR (12 months)", "pct"),
    "customer_churn_rate": ("Customer churn (month)", "pct"),
    "gross_mrr_churn_rate": ("Revenue churn (month)", "pct"),
    "quick_ratio": ("Quick ratio", "ratio"),
    "arpa": ("ARPA", "money"),
    "ltv": ("LTV", "money"),
}


def _value(table: pd.DataFrame, lifetime: pd.Series, retention, month: pd.Period,
           name: str) -> float:
    if month not in table.index:
        return float("nan")
    if name in ("nrr_12m", "grr_12m"):
        start = month - 12
        if start < table.index[0]:
            return float("nan")
        return retention(name, start, month)
    if name == "ltv":
        return float(lifetime.get(month, np.nan))
    return float(table.at[month, name])


def kpi_table(table: pd.DataFrame, month, retention) -> pd.DataFrame:
    """The KPI frame of :func:`kpis` from a monthly table and ``retention(name, start, end)``
    giving NRR (``"nrr_12m"``) or GRR (``"grr_12m"``) between two month ends: the pandas engine
    and :mod:`mrrkit.sql` compute those their own way, the frame is made once."""
    if table.empty:
        raise ValueError("no movements in the data: there is nothing to summarise")
    month = table.index[-1] if month is None else pd.Period(month, freq="M")
    if month not in table.index:
        raise ValueError(
            f"month {month} is outside the data ({table.index[0]} to {table.index[-1]})"
        )
    lifetime = ltv(table)
    rows = {
        name: {
            "label": label,
            "format": fmt,
            "value": _value(table, lifetime, retention, month, name),
            "previous_month": _value(table, lifetime, retention, month - 1, name),
            "year_ago": _value(table, lifetime, retention, month - 12, name),
        }
        for name, (label, fmt) in KPI_NAMES.items()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "kpi"
    out.attrs["month"] = month
    return out


def kpis(data, month=None, definitions=None) -> pd.DataFrame:
    """The home page's headline figures for ``month`` (default: as_of's month).

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    month : month-like, optional
    definitions : Definitions or str, optional
        For lines: the definitions of their movements (movements keep theirs); every figure
        follows them (:class:`mrrkit.Definitions`).

    Returns
    -------
    DataFrame indexed by KPI name (see ``KPI_NAMES``) with columns ``label``, ``format``,
    ``value``, ``previous_month`` and ``year_ago`` (the value at ``month - 1`` and ``month - 12``;
    NaN where the data does not reach back). ``nrr_12m``/``grr_12m`` are :func:`mrrkit.nrr` and
    :func:`mrrkit.grr` from the end of ``month - 12`` to the end of ``month``; ``ltv`` is
    :func:`mrrkit.ltv` (6-month mean churn); the others are the :func:`mrrkit.engine.monthly` columns.
    """
    moves = movements_of(data, definitions=definitions)

    def retention(name: str, start: pd.Period, end: pd.Period) -> float:
        return (nrr if name == "nrr_12m" else grr)(moves, start, end)

    return kpi_table(monthly(moves), month, retention)
