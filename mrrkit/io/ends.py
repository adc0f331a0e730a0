"""Inclusive or exclusive end dates: what a table's ``end`` column means, told or detected.

mrrkit's lines end *exclusively*: ``end`` is the first day not paid for (a month paid from
2023-06-01 ends 2023-07-01). Many billing tables write the *last day billed* instead
(2023-06-30). Read as exclusive, every monthly invoice of such a table leaves a one-day gap
before the next: one churn and one new movement a month, and MRR less than half the truth at
month ends. An inclusive end is moved to the day after.

``"auto"`` decides from the file, in this order, and says why in a note (one code each):

1. **Periods that follow each other.** A customer's period that ends the day before its next
   period starts says inclusive (2023-06-30 then 2023-07-01); one that ends the day the next
   starts says exclusive. The side with at least twice the other's count, over at least
   :data:`MIN_EVIDENCE` pairs, decides.
2. **Month ends.** Of :data:`MIN_EVIDENCE` ends or more, at least 80% on the last day of a month
   (and more of them than on the 1st) say inclusive; 80% on the 1st say exclusive.
3. **Anniversaries.** At least 80% of the ends on the day before the day of the month their line
   started (billed from the 15th, ending on a 14th) say inclusive; 80% on the same day of the
   month say exclusive.

Otherwise, or when the ends carry times of day (instants, as an API writes them), the ends are
read as exclusive, mrrkit's convention, and the note says nothing told.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .messages import TERMS, Note, note

__all__ = ["END_CONVENTIONS", "MIN_EVIDENCE", "check_end", "decide_ends"]

#: What ``read_export(end=...)`` takes.
END_CONVENTIONS = ("auto", "inclusive", "exclusive")
#: Pairs of consecutive periods (of one customer) needed for them to decide.
MIN_EVIDENCE = 3
#: The share of ends a month-day pattern needs.
_SHARE = 0.8
_DAY = pd.Timedelta(days=1)


def check_end(end) -> None:
    """Refuse an ``end`` convention that is not one of :data:`END_CONVENTIONS`.

    >>> check_end("inclusive")
    >>> check_end("last day")
    Traceback (most recent call last):
    ...
    ValueError: end must be one of ('auto', 'inclusive', 'exclusive'), got 'last day'
    """
    if end not in END_CONVENTIONS:
        raise ValueError(f"end must be one of {END_CONVENTIONS}, got {end!r}")


def decide_ends(start: pd.Series, end: pd.Series, customer: pd.Series, convention: str,
                notes: list[Note], last: pd.Timestamp | None = None
                ) -> tuple[pd.Series, str | None]:
    """The ends as mrrkit reads them (exclusive), and the convention used (None: no end).

    Parameters
    ----------
    start, end : Series of datetime64
        The rows' start and end dates (missing where a row has none).
    customer : Series of str
        The rows' customers (consecutive periods are a customer's).
    convention : {"auto", "inclusive", "exclusive"}
        What the ends are; ``"auto"`` decides (see the module) and appends its note.
    notes : list of Note
        Appended to.
    last : Timestamp, optional
        The latest date read (:class:`mrrkit.io.window.DateWindow`): a later end stands for
        "never" (``9999-12-31``), tells nothing and is left as it is.

    Examples
    --------
    >>> start = pd.to_datetime(pd.Series(["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01"]))
    >>> end = pd.to_datetime(pd.Series(["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"]))
    >>> notes = []
    >>> ends, used = decide_ends(start, end, pd.Series(["a"] * 4), "auto", notes)
    >>> used, ends.dt.strftime("%m-%d").tolist(), notes[0].code, notes[0].values["matching"]
    ('inclusive', ['02-01', '03-01', '04-01', '05-01'], 'ends_inclusive', 3)
    """
    check_end(convention)
    has = (end.notna() & start.notna()).to_numpy()
    evidence = has & (end >= start).fillna(False).to_numpy()  # (an end before its start: none)
    if last is not None:
        has = has & ~(end > last).to_numpy()
        evidence = evidence & has
    if not has.any():
        return end, None
    if convention == "auto":
        inclusive, told, count, total = _detect(start[evidence], end[evidence],
                                                customer[evidence])
        if told is None:
            notes.append(note("ends_exclusive_assumed"))
        else:
            notes.append(note("ends_inclusive" if inclusive else "ends_exclusive",
                              matching=count, total=total, evidence=TERMS["evidence"][told]))
    else:
        inclusive = convention == "inclusive"
        if inclusive:
            notes.append(note("ends_inclusive_asked"))
    if not inclusive:
        return end, "exclusive"
    return end.where(~has, end + _DAY), "inclusive"


def _detect(start: pd.Series, end: pd.Series, customer: pd.Series
            ) -> tuple[bool, str | None, int, int]:
    """(inclusive, the evidence's code or None, its count, out of how many)."""
    if (end != end.dt.normalize()).any():
        return False, None, 0, 0  # instants: the end is when it stopped
    # 1. A customer's periods that follow each other.
    order = np.lexsort((start.to_numpy(), customer.to_numpy()))
    who = customer.to_numpy()[order]
    begins = start.to_numpy()[order]
    stops = end.to_numpy()[order]
    same = who[1:] == who[:-1]
    following = begins[1:][same]
    before = stops[:-1][same]
    day = np.timedelta64(1, "D")
    touch_inclusive = int((before + day == following).sum())
    touch_exclusive = int((before == following).sum())
    if touch_inclusive + touch_exclusive >= MIN_EVIDENCE:
        total = touch_inclusive + touch_exclusive
        if touch_inclusive >= 2 * touch_exclusive:
            return True, "adjacent_before", touch_inclusive, total
        if touch_exclusive >= 2 * touch_inclusive:
            return False, "adjacent_same", touch_exclusive, total
    # 2. Month ends (of 3 ends or more: one or two tell nothing).
    total = len(end)
    if total < MIN_EVIDENCE:
        return False, None, 0, 0
    last = int(end.dt.is_month_end.sum())
    first = int((end.dt.day == 1).sum())
    if last >= _SHARE * total and last > first:
        return True, "month_end", last, total
    if first >= _SHARE * total:
        return False, "month_start", first, total
    # 3. Anniversaries (the day of the month a line started).
    day_before = int(((end + _DAY).dt.day == start.dt.day).sum())
    same_day = int((end.dt.day == start.dt.day).sum())
    if day_before >= _SHARE * total and day_before > same_day:
        return True, "anniversary_before", day_before, total
    if same_day >= _SHARE * total:
        return False, "anniversary_same", same_day, total
    return False, None, 0, 0
