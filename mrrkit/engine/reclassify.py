"""Movements as another tool's definitions classify them (issue 15): month snapshots instead of
events, a returning customer counted as new after a long gap, reactivations reported as new or
as expansion.

:func:`redefine` takes the event-level movements :func:`mrrkit.movements` computes and gives
them under a :class:`~mrrkit.engine.definitions.Definitions`; mrrkit's own definitions leave
them as they are (the same arrays).
"""

from __future__ import annotations

import numpy as np

from .definitions import Definitions
from .monthly import _customer_month_runs, month_of
from .movements import EXPANSION, NEW, REACTIVATION, MovementArrays, _classify

__all__ = ["month_snapshots", "redefine"]


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
