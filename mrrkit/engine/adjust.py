"""Lines as another tool's definitions read them (issue 15): when a cancelled, paused or
delinquent subscription stops counting.

The readers end each line where the vendor's own definition says and keep the dates another
definition needs (:data:`mrrkit.engine.lines.LINE_DATES`, ``billing_status``). Here
:func:`adjust_lines` moves the ends as a :class:`~mrrkit.engine.definitions.Definitions` says;
mrrkit's own definitions move none. A line without the dates a switch needs is left as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .definitions import Definitions

__all__ = ["adjust_lines"]


def _dates(lines: pd.DataFrame, name: str) -> pd.Series:
    if name not in lines.columns:
        return pd.Series(pd.NaT, index=lines.index, dtype="datetime64[s]")
    return pd.to_datetime(lines[name]).dt.floor("D")


def adjust_lines(lines: pd.DataFrame, definitions: Definitions, as_of) -> pd.DataFrame:
    """The lines with their ends moved as ``definitions`` say (a copy; the same frame when
    nothing moves).

    - ``churn_at="request"``: a line with a ``canceled_at`` ends then (or does not count at
      all when the request came before it started);
    - ``pauses="keep"``: a paused line (``billing_status`` paused) ended by its pause
      (``end == paused_at``) runs on;
    - ``delinquency="keep"``: a delinquent line ended by its delinquency
      (``end == delinquent_since``) runs on; a number of days ``N``: delinquent for more than
      ``N`` days on ``as_of``, it ends at ``delinquent_since`` (churned from its last paid
      period), else it runs on.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-01"] * 3),
    ...     "end": pd.to_datetime(["2024-06-01", "2024-04-01", "2024-05-01"]),
    ...     "mrr": [10.0, 20.0, 30.0],
    ...     "billing_status": ["ended", "paused", "delinquent"],
    ...     "canceled_at": pd.to_datetime(["2024-03-10", None, None]),
    ...     "paused_at": pd.to_datetime([None, "2024-04-01", None]),
    ...     "delinquent_since": pd.to_datetime([None, None, "2024-05-01"]),
    ... })
    >>> chartmogul = Definitions.preset("chartmogul")
    >>> adjust_lines(lines, chartmogul, "2024-07-01")["end"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-06-01', nan, nan]
    >>> maxio = Definitions.preset("maxio")
    >>> adjust_lines(lines, maxio, "2024-07-01")["end"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-10', nan, '2024-05-01']
    >>> baremetrics = Definitions.preset("baremetrics")  # 30 days: churned on 2024-07-01
    >>> adjust_lines(lines, baremetrics, "2024-05-20")["end"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-06-01', '2024-04-01', nan]
    """
    if not definitions.moves_lines or len(lines) == 0:
        return lines
    start = pd.to_datetime(lines["start"]).dt.floor("D")
    end = pd.to_datetime(lines["end"]).dt.floor("D")
    new_end = end.copy()
    status = (lines["billing_status"].astype("str") if "billing_status" in lines.columns
              else pd.Series("", index=lines.index, dtype="str"))
    if definitions.churn_at == "request":
        asked = _dates(lines, "canceled_at")
        earlier = asked.notna() & (new_end.isna() | (asked < new_end))
        # A request before the line began: the line never counts (it ends where it starts).
        new_end = new_end.where(~earlier, asked.where(asked > start, start))
    if definitions.pauses == "keep":
        paused = (status == "paused").to_numpy() & (end == _dates(lines, "paused_at")).to_numpy()
        new_end = new_end.where(~paused, pd.NaT)
    if definitions.delinquency != "as_read":
        since = _dates(lines, "delinquent_since")
        delinquent = (status == "delinquent").to_numpy() & since.notna().to_numpy()
        ended_by_it = delinquent & (end == since).to_numpy()
        if definitions.delinquency == "keep":
            new_end = new_end.where(~ended_by_it, pd.NaT)
        else:
            day = pd.Timestamp(as_of).floor("D")
            overdue = delinquent & ((day - since).dt.days > definitions.delinquency).to_numpy()
            churned = overdue & (new_end.isna() | (new_end > since)).to_numpy()
            new_end = new_end.where(~churned, since)
            new_end = new_end.where(~(ended_by_it & ~overdue), pd.NaT)
    if new_end.equals(end):
        return lines
    out = lines.copy()
    out["end"] = new_end.astype(lines["end"].dtype if np.issubdtype(
        lines["end"].dtype, np.datetime64) else "datetime64[s]")
    return out
