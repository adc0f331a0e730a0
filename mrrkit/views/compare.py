"""What another tool's definitions change (issue 15): headline figures under mrrkit's and
under theirs, side by side, and the customers whose movements they classify otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from ..engine.movements import Movements, movements_of
from .kpis import kpis

__all__ = ["COMPARED", "compare_definitions", "reclassified_customers"]

#: The figures compared, as :func:`mrrkit.kpis` names them.
COMPARED = ("mrr", "net_new_12m", "customer_churn_rate_12m", "nrr_12m", "grr_12m",
            "quick_ratio_12m", "ltv")


def _both(data, other) -> tuple[Movements, Movements]:
    """mrrkit's movements and ``other``'s, of the same lines (or given as movements)."""
    if isinstance(data, Movements) and isinstance(other, Movements):
        if data.definitions is not None:
            raise ValueError("the first movements must be under mrrkit's own definitions")
        return data, other
    if not isinstance(data, pd.DataFrame):
        raise TypeError("give the lines (a DataFrame), or both movements")
    own = movements_of(data)
    return own, movements_of(data, own.as_of, other)


def _figures(mv: Movements, month: pd.Period) -> dict[str, float]:
    from ..engine.monthly import monthly

    return figures_of(monthly(mv), kpis(mv, month), mv.definitions, month)


def figures_of(table: pd.DataFrame, summary: pd.DataFrame, definitions,
               month: pd.Period) -> dict[str, float]:
    """The figures :func:`compare_definitions` compares (:data:`COMPARED`), from movements'
    monthly table and KPIs of ``month`` under ``definitions`` (None: mrrkit's): the pandas
    engine and :mod:`mrrkit.sql` compute those their own way, the figures are made once."""
    last = table.loc[month - 11: month]
    losses = -(last["churn"] + last["contraction"]).sum()
    gains = last["new"] + last["expansion"]
    if definitions is None or definitions.quick_ratio_reactivation:
        gains = gains + last["reactivation"]
    return {
        "mrr": float(table.loc[month, "mrr"]),
        "net_new_12m": float(last["net_new"].sum()),
        "customer_churn_rate_12m": float(last["customer_churn_rate"].mean()),
        "nrr_12m": float(summary.loc["nrr_12m", "value"]),
        "grr_12m": float(summary.loc["grr_12m", "value"]),
        "quick_ratio_12m": float(gains.sum() / losses) if losses else float("nan"),
        "ltv": float(summary.loc["ltv", "value"]),
    }


def comparison(own: dict[str, float], other: dict[str, float]) -> pd.DataFrame:
    """:func:`compare_definitions`' frame of the two definitions' :func:`figures_of`."""
    frame = pd.DataFrame({"mrrkit": pd.Series(own), "other": pd.Series(other)})
    frame["difference"] = frame["other"] - frame["mrrkit"]
    frame.index.name = "figure"
    return frame


def compare_definitions(data, definitions, month=None) -> pd.DataFrame:
    """Headline figures of the 12 months ending with ``month`` under mrrkit's definitions and
    under ``definitions``, side by side.

    Parameters
    ----------
    data : DataFrame or tuple of Movements
        Canonical lines, or (mrrkit's movements, the other definitions' movements) of them.
    definitions : Definitions or str
        The other definitions (a preset's name works).
    month : month-like, optional
        The last month (default: the as-of day's).

    Returns
    -------
    DataFrame indexed by :data:`COMPARED` -- MRR at the month's end, net new MRR over the 12
    months, the mean monthly customer churn rate, NRR and GRR over the 12 months, the quick
    ratio of the 12 months' movements, the month's LTV -- with columns ``mrrkit``, ``other``
    and ``difference`` (``other - mrrkit``).

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
    ...     "end": pd.to_datetime([None, "2024-02-03", None]),
    ...     "mrr": [100.0, 50.0, 50.0],
    ... })
    >>> table = compare_definitions(lines, "baremetrics", "2024-03")
    >>> table.loc["net_new_12m"].tolist()  # the same movements...
    [150.0, 150.0, 0.0]
    >>> table.loc["quick_ratio_12m"].tolist()  # ...b's return left out of the quick ratio
    [4.0, 3.0, -1.0]
    """
    own, other = data if isinstance(data, tuple) else _both(data, definitions)
    month = (pd.Period(own.as_of, "M") if month is None else pd.Period(month, "M"))
    return comparison(_figures(own, month), _figures(other, month))


def amount_text(micros: int) -> str:
    """An amount in integer micros written exactly, without trailing zeros: two amounts that
    differ by a micro are two words (a cent's difference is a difference; ``:g``'s six digits
    wrote 12345.67 and 12345.68 alike), and :mod:`mrrkit.sql` compares the same integers.

    >>> amount_text(50_000_000), amount_text(-67_500_000), amount_text(1_234_567_890_000)
    ('50', '-67.5', '1234567.89')
    """
    whole, part = divmod(abs(int(micros)), MICROS)
    sign = "-" if micros < 0 else ""
    return f"{sign}{whole}" + (f".{part:06d}".rstrip("0") if part else "")


def reclassified_customers(data, definitions, first=None, last=None) -> pd.DataFrame:
    """The customers whose movements ``definitions`` classify, size or put in another month
    than mrrkit's: for each, its movements under both, in words (``2024-02 churn -50``, amounts
    exact to the micro; month snapshots date theirs at the month's end, so a day is no
    difference). ``first``, ``last``:
    only the movements dated in those months count (the 12 months a comparison shows).

    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-20"]),
    ...     "end": pd.to_datetime([None, "2024-01-10", None]),
    ...     "mrr": [100.0, 50.0, 50.0],
    ... })
    >>> changed = reclassified_customers(lines, "fincome")
    >>> changed.index.tolist(), changed.loc["b", "other"]
    (['b'], '2024-01 new 50')
    """
    own, other = data if isinstance(data, tuple) else _both(data, definitions)

    def words(mv: Movements) -> pd.Series:
        f = mv.frame.assign(micros=mv.arrays.amount)
        months = f["date"].dt.to_period("M")
        keep = np.ones(len(f), bool)
        if first is not None:
            keep &= (months >= pd.Period(first, "M")).to_numpy()
        if last is not None:
            keep &= (months <= pd.Period(last, "M")).to_numpy()
        f = f[keep]
        if f.empty:
            return pd.Series([], dtype="str", index=pd.Index([], name="customer_id"))
        said = (f["date"].dt.strftime("%Y-%m") + " " + f["kind"].astype("str") + " "
                + f["micros"].map(amount_text))
        return said.groupby(f["customer_id"].astype("str"), sort=True).agg("; ".join)

    a, b = words(own), words(other)
    both = pd.DataFrame({"mrrkit": a, "other": b}).fillna("")
    changed = both[both["mrrkit"] != both["other"]]
    changed.index.name = "customer_id"
    return changed

