"""Customers in the database: one row per customer (:func:`mrrkit.customer_summary`'s figures),
searched and listed by the database, only the rows shown fetched.

A customer's movements depend on its own lines only, so one customer's history and trail are its
lines (:func:`mrrkit.sql.customer_lines`) through the pandas engine: the same movements by
construction, with nothing else fetched.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import numpy as np
import pandas as pd

from ..engine.lines import LINE_COLUMNS, LINE_DATES, MICROS
from ..views.customers import DAYS_PER_MONTH
from .lines import MICROS_COLUMN
from .views import _EPOCH, _movements_of

__all__ = [
    "attribute_columns", "customer_attributes", "customer_listing", "customer_search",
    "customer_summary", "summary_rows",
]

#: The columns :func:`customer_summary` computes, before the attributes.
SUMMARY_COLUMNS = ("customer_id", "mrr", "first_day", "last_day", "movements")


def attribute_columns(lines: ibis.Table) -> list[str]:
    """The lines' attribute columns, as :func:`mrrkit.customer_attributes` takes them: every
    column but the line columns and the line dates."""
    skip = {*LINE_COLUMNS, *LINE_DATES, MICROS_COLUMN}
    return [name for name in lines.columns if name not in skip]


def customer_attributes(lines: ibis.Table, columns: Iterable[str] | None = None) -> ibis.Table:
    """One row per customer with its attribute columns, as a query: the values of its latest
    line (latest ``start``, blanks included), :func:`mrrkit.customer_attributes`' rule; where
    several lines start that latest day, the largest value of each column (a database table has
    no row order, where the pandas engine takes the last row of the frame).

    Parameters
    ----------
    lines : ibis Table
        Canonical lines (:func:`mrrkit.sql.lines_table`).
    columns : iterable of str, optional
        The attributes (default: :func:`attribute_columns`).
    """
    names = attribute_columns(lines) if columns is None else list(columns)
    latest = lines.start.max().over(ibis.window(group_by=lines.customer_id))
    last = lines.mutate(_latest_start=latest)
    last = last.filter(last.start == last._latest_start)
    return last.group_by("customer_id").aggregate(**{name: last[name].max() for name in names})


def customer_summary(data, attributes: ibis.Table | None = None, definitions=None) -> ibis.Table:
    """Every customer with at least one movement, one row each, as a query (nothing fetched):
    ``customer_id``, ``mrr`` (its MRR at the as-of day, integer micros), ``first_day`` and
    ``last_day`` (of its first and latest movement), ``movements`` (how many), then the columns
    of ``attributes`` (:func:`customer_attributes`). :func:`customer_listing` finishes its rows
    as :func:`mrrkit.customer_summary` has them.
    """
    mv = _movements_of(data, None, definitions)
    t = mv.micros
    # The customer's MRR now is its last movement's: the one with no next movement (no sort).
    out = t.group_by("customer_id").aggregate(
        mrr=ibis.ifelse(t.next_day.isnull(), t.after, ibis.null("int64")).max(),
        first_day=t.day.min(), last_day=t.day.max(), movements=t.count())
    if attributes is None:
        return out
    a = attributes.rename(_attribute_customer="customer_id")
    joined = out.left_join(a, out.customer_id == a._attribute_customer)
    return joined.select(*SUMMARY_COLUMNS,
                         *[c for c in attributes.columns if c not in SUMMARY_COLUMNS])


def customer_search(table: ibis.Table, query: str, columns: Iterable[str] = ()) -> ibis.Value:
    """Whether a customer's id or one of its ``columns`` contains ``query``, ignoring case (a
    boolean column of ``table``, for a filter): the search of the app's Customers page."""
    q = str(query).lower()
    test = table.customer_id.cast("string").lower().contains(q)
    for name in columns:
        test = test | table[name].cast("string").lower().contains(q).fill_null(False)
    return test


def _days(values) -> np.ndarray:
    days = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")
    return (days - _EPOCH).astype(np.int64)


def _dates(days: np.ndarray) -> np.ndarray:
    return (_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[s]")


def summary_rows(rows: pd.DataFrame, as_of) -> pd.DataFrame:
    """Fetched rows of :func:`customer_summary` as :func:`mrrkit.customer_summary` gives them:
    indexed by ``customer_id``, ``mrr`` in currency units, ``status``, the first and last
    movement's dates, ``movements``, ``lifetime_months``, then the attributes."""
    after = rows["mrr"].to_numpy(dtype=np.int64)
    first, last = _days(rows["first_day"]), _days(rows["last_day"])
    as_of_day = int((np.datetime64(pd.Timestamp(as_of).date(), "D") - _EPOCH).astype(np.int64))
    active = after > 0
    end_day = np.where(active, as_of_day, last)
    out = pd.DataFrame(
        {
            "mrr": after / MICROS,
            "status": pd.array(np.where(active, "active", "churned"), dtype="str"),
            "first_movement": _dates(first),
            "last_movement": _dates(last),
            "movements": rows["movements"].to_numpy(dtype=np.int64),
            "lifetime_months": (end_day - first) / DAYS_PER_MONTH,
        },
        index=pd.Index(rows["customer_id"].astype("str").to_numpy(), dtype="str",
                       name="customer_id"),
    )
    for name in rows.columns:
        if name not in SUMMARY_COLUMNS and name not in out.columns:
            out[name] = rows[name].set_axis(out.index)
    out.attrs["as_of"] = pd.Timestamp(as_of).normalize()
    return out


def customer_listing(summary: ibis.Table, as_of, query: str = "", status: str = "all",
                     limit: int = 250, columns: Iterable[str] | None = None,
                     attributes: ibis.Table | None = None) -> tuple[pd.DataFrame, int, int]:
    """The customers of ``summary`` (:func:`customer_summary`) whose id or attributes contain
    ``query`` (ignoring case) and whose status is ``status`` (``"all"``, ``"active"``,
    ``"churned"``), the highest MRR first (ties by id): two queries, the count and the first
    ``limit`` rows (and a third for their attributes, with ``attributes``).

    Parameters
    ----------
    summary : ibis Table
        :func:`customer_summary`, with its attributes or without (then give ``attributes``).
    as_of : date-like
        The movements' as-of day (the lifetimes of paying customers run to it).
    query, status, limit
        The search, the status, how many rows to fetch.
    columns : iterable of str, optional
        The attribute columns searched (default: every attribute of ``attributes``, or of
        ``summary``).
    attributes : ibis Table, optional
        :func:`customer_attributes`: searched by a semi-join (the customers whose attributes
        contain the query), and the rows fetched get theirs (a filter on the rows' ids).

    Returns
    -------
    (rows, found, paying)
        The first ``limit`` rows as :func:`mrrkit.customer_summary` has them
        (:func:`summary_rows`), how many customers match, and how many of those are paying.
    """
    if status not in ("all", "active", "churned"):
        raise ValueError(f"status must be 'all', 'active' or 'churned', got {status!r}")
    own = [c for c in (attributes.columns if attributes is not None else summary.columns)
           if c not in SUMMARY_COLUMNS]
    columns = own if columns is None else list(columns)
    t = summary
    if query:
        if attributes is None:
            t = t.filter(customer_search(t, query, columns))
        else:
            hits = attributes.filter(customer_search(attributes, query, columns))
            t = t.filter(customer_search(t, query) | t.customer_id.isin(hits.customer_id))
    if status != "all":
        t = t.filter(t.mrr > 0 if status == "active" else t.mrr <= 0)
    counts = t.aggregate(found=t.count(),
                         paying=ibis.ifelse(t.mrr > 0, 1, 0).sum()).to_pandas().iloc[0]
    found = int(counts["found"])
    paying = 0 if pd.isna(counts["paying"]) else int(counts["paying"])
    rows = _typed(t.order_by([t.mrr.desc(), t.customer_id]).limit(limit).to_pandas(), t)
    if attributes is not None:
        ids = rows["customer_id"].astype("str").tolist()
        theirs = attributes.filter(attributes.customer_id.isin(ids))
        theirs = _typed(theirs.to_pandas(), theirs).set_index("customer_id")
        theirs.index = theirs.index.astype("str")
        extra = [c for c in attributes.columns if c != "customer_id" and c not in rows.columns]
        rows = rows.join(theirs[extra], on="customer_id") if len(rows) else rows.assign(
            **{c: theirs[c].iloc[:0].reset_index(drop=True) for c in extra})
    return summary_rows(rows, as_of), found, paying


def _typed(frame: pd.DataFrame, table: ibis.Table) -> pd.DataFrame:
    """Fetched rows with integer columns that hold NULLs as nullable integers (``Int64``), as a
    reader gives them, not floats."""
    for name, kind in table.schema().items():
        if name in frame.columns and kind.is_integer() and frame[name].dtype.kind in "fO":
            frame[name] = frame[name].astype("Int64")
    return frame
