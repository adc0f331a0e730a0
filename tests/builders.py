"""Builders of test data shared by the test modules (fixtures are in ``tests/conftest.py``).

A test writes its subscription lines as tuples ``(customer_id, start, end, mrr, *extra)`` with
dates as ISO text (``None`` for an open line) and builds the frame the engine takes with
:func:`lines`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

#: The columns every lines frame has, in the order of the tuples.
LINE_COLUMNS = ["customer_id", "start", "end", "mrr"]


def text_lines(rows: Iterable[Sequence], extra: Sequence[str] = ()) -> pd.DataFrame:
    """A lines frame from ``(customer_id, start, end, mrr, *extra)`` tuples, dates left as given
    (ISO text, as a reader or a user would hand them over); ``extra`` names the columns after
    ``mrr``.

    Examples
    --------
    >>> frame = text_lines([("a", "2024-01-10", None, 100.0, "pro")], extra=["plan"])
    >>> list(frame.columns), frame["start"].tolist()
    (['customer_id', 'start', 'end', 'mrr', 'plan'], ['2024-01-10'])
    """
    return pd.DataFrame(list(rows), columns=[*LINE_COLUMNS, *extra])


def lines(rows: Iterable[Sequence], extra: Sequence[str] = ()) -> pd.DataFrame:
    """As :func:`text_lines`, with ``start`` and ``end`` as ``datetime64`` (``None`` -> ``NaT``).

    Examples
    --------
    >>> frame = lines([("a", "2024-01-10", "2024-03-01", 100.0), ("b", "2024-02-01", None, 50.0)])
    >>> frame["end"].tolist()
    [Timestamp('2024-03-01 00:00:00'), NaT]
    """
    frame = text_lines(rows, extra)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


def seconds(rows: Iterable[Sequence]) -> pd.DataFrame:
    """As :func:`lines`, with dates as ``datetime64[s]``, which holds years 1678 and 9999 (out of
    the nanosecond range).

    Examples
    --------
    >>> seconds([("a", "1600-01-01", "9999-12-31", 1.0)])["end"].dt.year.tolist()
    [9999]
    """
    frame = text_lines(rows)
    frame["start"] = frame["start"].astype("datetime64[s]")
    frame["end"] = frame["end"].astype("datetime64[s]")
    return frame
