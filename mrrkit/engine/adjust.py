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


_NAT = np.datetime64("NaT", "D")


def _days(col: pd.Series) -> np.ndarray:
    """A date column as whole days (``datetime64[D]``, NaT where empty)."""
    if not np.issubdtype(col.dtype, np.datetime64):
        col = pd.to_datetime(col)
    return col.to_numpy().astype("datetime64[D]")


def _dates(lines: pd.DataFrame, name: str) -> np.ndarray:
    if name not in lines.columns:
        return np.full(len(lines), _NAT)
    return _days(lines[name])


def _discounts_added_back(lines: pd.DataFrame, discounts: str) -> pd.DataFrame:
    """The lines' MRR with the discounts ``discounts`` leaves out added back: ``"recurring"``,
    the one-time ones; ``"none"``, every one (the same frame for ``"all"``)."""
    names = {"all": (), "recurring": ("one_time_discount",),
             "none": ("recurring_discount", "one_time_discount")}[discounts]
    names = [n for n in names if n in lines.columns]
    if not names:
        return lines
    back = sum(np.nan_to_num(lines[n].to_numpy(dtype="float64", na_value=np.nan)) for n in names)
    if not np.any(back):
        return lines
    return lines.assign(mrr=lines["mrr"].to_numpy(dtype="float64") + back)


def _offsets_ended(lines: pd.DataFrame, start: np.ndarray, end: np.ndarray,
                   new_end: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """``new_end`` with the negative lines of each customer ended where the moved ends would
    leave it with negative MRR and its lines as given would not (:func:`adjust_lines`).

    Only customers with a negative line and a moved end are looked at, one by one over their
    own lines' dates: credits and discount lines are few, so the million-line path stays
    vectorised.
    """
    from .lines import MICROS

    mrr = lines["mrr"].to_numpy(dtype="float64", na_value=np.nan)
    # Money as the engine sums it (integer millionths), so "negative" means what it means there.
    micros = np.where(np.abs(mrr) <= 1.0 / MICROS, 0, np.rint(np.nan_to_num(mrr) * MICROS))
    micros = micros.astype(np.int64)
    negative = micros < 0
    if not negative.any():
        return new_end
    codes, _ = pd.factorize(lines["customer_id"])
    suspects = np.intersect1d(codes[negative], codes[changed])
    if len(suspects) == 0:
        return new_end
    new_end = new_end.copy()
    far = np.datetime64("9999-12-31", "D")  # (an open end, for comparisons)
    for c in suspects:
        at = np.flatnonzero(codes == c)
        s, m = start[at], micros[at]
        given = np.where(np.isnat(end[at]), far, end[at])
        moved = np.where(np.isnat(new_end[at]), far, new_end[at])
        days = np.unique(np.concatenate((s, given[given != far], moved[moved != far])))
        for day in days:
            runs = (s <= day) & (day < moved)
            if (m[runs].sum() >= 0
                    or m[(s <= day) & (day < given)].sum() < 0):  # refused as given: left so
                continue
            # Every negative line running that day ends then: what it offset has stopped.
            ends = runs & (m < 0)
            moved[ends] = day
            new_end[at[ends]] = day
    return new_end


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
      period), else it runs on;
    - ``discounts="recurring"`` or ``"none"``: the line's MRR with its one-time (or every)
      discount added back (:data:`mrrkit.engine.lines.LINE_DISCOUNTS`);
    - a customer's negative lines (a discount, a credit) end with the paid lines they offset:
      where the moved ends would leave a customer with negative MRR on a day its lines as
      given do not, every negative line running that day ends then (one that starts that day
      never counts). A churned customer has 0 MRR, never a negative one; lines the engine
      refuses as given (negative MRR under mrrkit's own definitions) are left as they are.

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

    A discount line ends with the subscription it offsets when the request ends it earlier:

    >>> deal = pd.DataFrame({
    ...     "customer_id": ["a", "a"],
    ...     "start": pd.to_datetime(["2024-01-01"] * 2),
    ...     "end": pd.to_datetime(["2024-12-01", "2024-12-01"]),
    ...     "mrr": [100.0, -20.0],
    ...     "canceled_at": pd.to_datetime(["2024-03-10", None]),
    ... })
    >>> adjust_lines(deal, maxio, "2024-12-01")["end"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-10', '2024-03-10']
    """
    if not definitions.moves_lines or len(lines) == 0:
        return lines
    lines = _discounts_added_back(lines, definitions.discounts)
    # Whole days in numpy: a million lines in a few tens of milliseconds (issue 15's target:
    # another tool's definitions within 1.3x of mrrkit's own).
    end = _days(lines["end"])
    new_end = end.copy()

    def status(word: str) -> np.ndarray:  # (compared in Arrow: no million Python strings)
        if "billing_status" not in lines.columns:
            return np.zeros(len(lines), bool)
        return (lines["billing_status"] == word).to_numpy(dtype=bool, na_value=False)

    if definitions.churn_at == "request":
        start = _days(lines["start"])
        asked = _dates(lines, "canceled_at")
        earlier = ~np.isnat(asked) & (np.isnat(new_end) | (asked < new_end))
        # A request before the line began: the line never counts (it ends where it starts).
        new_end = np.where(earlier, np.where(asked > start, asked, start), new_end)
    if definitions.pauses == "keep":
        paused = status("paused") & (end == _dates(lines, "paused_at"))
        new_end[paused] = _NAT
    if definitions.delinquency != "as_read":
        since = _dates(lines, "delinquent_since")
        delinquent = status("delinquent") & ~np.isnat(since)
        ended_by_it = delinquent & (end == since)
        if definitions.delinquency == "keep":
            new_end[ended_by_it] = _NAT
        else:
            day = np.datetime64(pd.Timestamp(as_of).date(), "D")
            overdue = delinquent & ((day - since).astype(np.int64) > definitions.delinquency)
            churned = overdue & (np.isnat(new_end) | (new_end > since))
            new_end = np.where(churned, since, new_end)
            new_end[ended_by_it & ~overdue] = _NAT
    changed = (new_end != end) & ~(np.isnat(new_end) & np.isnat(end))
    if not changed.any():
        return lines
    new_end = _offsets_ended(lines, _days(lines["start"]), end, new_end, changed)
    changed = (new_end != end) & ~(np.isnat(new_end) & np.isnat(end))
    column = lines["end"]
    unit = column.dtype if np.issubdtype(column.dtype, np.datetime64) else np.dtype("datetime64[s]")
    values = column.to_numpy().astype(unit) if column.dtype == unit else end.astype(unit)
    values[changed] = new_end[changed].astype(unit)
    out = lines.copy(deep=False)
    out["end"] = values
    return out
