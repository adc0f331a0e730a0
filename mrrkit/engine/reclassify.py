"""Movements as another tool's definitions classify them (issue 15): month snapshots instead of
events, a returning customer counted as new after a long gap, reactivations reported as new or
as expansion.

:func:`redefine` takes the event-level movements :func:`mrrkit.movements` computes and gives
them under a :class:`~mrrkit.engine.definitions.Definitions`; mrrkit's own definitions leave
them as they are (the same arrays).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .definitions import Definitions
from .monthly import _customer_month_runs, month_of
from .movements import (
    CHURN,
    CONTRACTION,
    EXPANSION,
    NEW,
    REACTIVATION,
    MovementArrays,
    _classify,
)

__all__ = ["month_snapshots", "pauses_as_a_state", "redefine"]


_EPOCH_M = np.datetime64("1970-01", "M")
_EPOCH_D = np.datetime64("1970-01-01", "D")


def _last_day(month: np.ndarray) -> np.ndarray:
    """The day number of each month ordinal's last day."""
    nxt = (_EPOCH_M + (month + 1).astype("timedelta64[M]")).astype("datetime64[D]")
    return (nxt - _EPOCH_D).astype(np.int64) - 1


def _firsts(cust: np.ndarray) -> np.ndarray:
    first = np.ones(len(cust), bool)
    if len(cust):
        first[1:] = cust[1:] != cust[:-1]
    return first


def month_snapshots(m: MovementArrays) -> MovementArrays:
    """Movements between month-end snapshots: each customer's MRR at the end of each month
    (at the as-of day for its month) compared with the month before; changes within a month
    net out. A movement is dated its month's last day (the as-of day in the as-of month) and
    classified from the snapshots (a customer's first rise from 0 is new, a later one a
    reactivation).

    Examples
    --------
    >>> d = lambda s: int((np.datetime64(s, "D") - np.datetime64("1970-01-01", "D")).astype(int))
    >>> m = MovementArrays(np.array(["a"], object), np.zeros(3, np.int64),
    ...     np.array([d("2024-01-10"), d("2024-01-20"), d("2024-02-03")]),
    ...     np.zeros(3, np.int8), np.array([0, 100, 50]), np.array([100, 50, 80]), d("2024-02-10"))
    >>> s = month_snapshots(m)
    >>> [str(np.datetime64(int(x), "D")) for x in s.day], s.before.tolist(), s.after.tolist()
    (['2024-01-31', '2024-02-10'], [0, 50], [50, 80])
    """
    if len(m) == 0:
        return m
    mon = month_of(m.day)
    # Runs of one customer's movements within one month (the arrays are sorted by customer
    # then day): the run's first "before" and last "after" are the two snapshots.
    starts, ends = _customer_month_runs(m, mon)
    before, after = m.before[starts], m.after[ends]
    keep = before != after
    cust, month = m.cust[starts][keep], mon[starts][keep]
    before, after = before[keep], after[keep]
    day = np.minimum(_last_day(month), m.as_of)
    kind = _classify(before, after, _firsts(cust))
    return MovementArrays(m.customers, cust, day, kind, before, after, m.as_of)


def _without_brief_stays(m: MovementArrays) -> MovementArrays:
    """The movements less every customer-month that began and ended at 0 (a customer who
    joined or came back and left within the month), classified again: a customer's first rise
    from 0 left is its new business."""
    if len(m) == 0:
        return m
    starts, ends = _customer_month_runs(m, month_of(m.day))
    brief = (m.before[starts] == 0) & (m.after[ends] == 0)
    if not brief.any():
        return m
    keep = ~np.repeat(brief, ends - starts + 1)
    kept = m.select(keep)
    kind = _classify(kept.before, kept.after, _firsts(kept.cust))
    return MovementArrays(kept.customers, kept.cust, kept.day, kind, kept.before, kept.after,
                          kept.as_of)


def pauses_as_a_state(m: MovementArrays, lines: pd.DataFrame, by_month: bool = False
                      ) -> MovementArrays:
    """The movements with each pause a contraction to 0 rather than a churn, and the
    customer's next rise from 0 (its resumption) an expansion rather than a reactivation or a
    new start. A pause is a fall to 0 on the end of a line ``billing_status`` paused, ended by
    its ``paused_at`` (in that month, for month snapshots).

    >>> d = lambda s: int((np.datetime64(s, "D") - np.datetime64("1970-01-01", "D")).astype(int))
    >>> m = MovementArrays(np.array(["a"], object), np.zeros(3, np.int64),
    ...     np.array([d("2024-01-01"), d("2024-03-01"), d("2024-05-01")]),
    ...     np.array([NEW, CHURN, REACTIVATION], np.int8),
    ...     np.array([0, 10, 0]), np.array([10, 0, 10]), d("2024-06-01"))
    >>> pause = pd.to_datetime(["2024-03-01"])
    >>> lines = pd.DataFrame({"customer_id": ["a"], "end": pause, "billing_status": ["paused"],
    ...                       "paused_at": pause})
    >>> pauses_as_a_state(m, lines).kind.tolist()  # new, contraction, expansion
    [0, 2, 1]
    """
    if len(m) == 0 or "billing_status" not in lines.columns or "paused_at" not in lines.columns:
        return m
    end = pd.to_datetime(lines["end"]).to_numpy().astype("datetime64[D]")
    at = pd.to_datetime(lines["paused_at"]).to_numpy().astype("datetime64[D]")
    paused = ((lines["billing_status"] == "paused").to_numpy(dtype=bool, na_value=False)
              & ~np.isnat(end) & (end == at))
    if not paused.any():
        return m
    ids = np.asarray(m.customers, dtype=object)
    who = lines["customer_id"].astype("str").to_numpy(dtype=object)[paused]
    code = np.searchsorted(ids, who)
    code = np.minimum(code, len(ids) - 1)
    known = ids[code] == who
    day = (end[paused] - np.datetime64("1970-01-01", "D")).astype(np.int64)
    when, row_when = (month_of(day), month_of(m.day)) if by_month else (day, m.day)
    span = int(max(when.max(), row_when.max())) + 1 - int(min(when.min(), row_when.min()))
    low = int(min(when.min(), row_when.min()))
    keys = code[known].astype(np.int64) * span + (when[known] - low)
    row_keys = m.cust.astype(np.int64) * span + (row_when - low)
    pause = (m.after == 0) & (m.before > 0) & np.isin(row_keys, keys)
    if not pause.any():
        return m
    kind = m.kind.copy()
    kind[pause] = CONTRACTION
    # The customer's next movement, when it is a rise from 0, is its resumption.
    nxt = np.flatnonzero(pause) + 1
    nxt = nxt[nxt < len(m)]
    nxt = nxt[(m.cust[nxt] == m.cust[nxt - 1]) & (m.before[nxt] == 0)]
    kind[nxt] = EXPANSION
    return MovementArrays(m.customers, m.cust, m.day, kind, m.before, m.after, m.as_of)


def redefine(m: MovementArrays, definitions: Definitions) -> MovementArrays:
    """The movements under ``definitions``: month snapshots (``grain``), returning customers
    new after ``reactivation_window`` days, reactivations reported as ``reactivation_as``.

    Examples
    --------
    >>> d = lambda s: int((np.datetime64(s, "D") - np.datetime64("1970-01-01", "D")).astype(int))
    >>> m = MovementArrays(np.array(["a"], object), np.zeros(4, np.int64),
    ...     np.array([d("2024-01-01"), d("2024-02-01"), d("2024-03-01"), d("2024-08-01")]),
    ...     np.array([NEW, 3, REACTIVATION, REACTIVATION], np.int8),
    ...     np.array([0, 10, 0, 0]), np.array([10, 0, 10, 10]), d("2024-09-01"))
    >>> redefine(m, Definitions(reactivation_window=90)).kind.tolist()  # Mar: 29 days; Aug: 153
    [0, 3, 4, 0]
    >>> redefine(m, Definitions(reactivation_as="expansion")).kind.tolist()
    [0, 3, 1, 1]
    """
    if definitions.grain == "month":
        m = month_snapshots(m)
    if definitions.same_month_churn == "ignore":
        m = _without_brief_stays(m)
    window, as_ = definitions.reactivation_window, definitions.reactivation_as
    if (window is None and as_ == "reactivation") or len(m) == 0:
        return m
    kind = m.kind.copy()
    returning = np.flatnonzero(kind == REACTIVATION)
    if window is not None and len(returning):
        # A reactivation's previous movement is the same customer's churn (MRR fell to 0).
        gap = m.day[returning] - m.day[returning - 1]
        kind[returning[gap > window]] = NEW
    if as_ != "reactivation":
        kind[kind == REACTIVATION] = NEW if as_ == "new" else EXPANSION
    return MovementArrays(m.customers, m.cust, m.day, kind, m.before, m.after, m.as_of)
