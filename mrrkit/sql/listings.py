"""What is behind a figure, computed in the database: the MRR bridge of a period, the movements
behind a cell of the monthly table and the customers behind an MRR level, the lines of a few
customers, and what another tool's definitions change.

A listing can hold millions of rows (every customer paying at a month end), so it comes back as
a :class:`Listing`: how many rows there are and what they add up to (one aggregate query), and
only the first ``limit`` rows in the order a reader wants them, the largest first (a query with
``ORDER BY ... LIMIT``). The rows are those of the pandas engine's functions
(:func:`mrrkit.movements_in`, :func:`mrrkit.paying_customers`), in the order the app lists them.

A customer's movements depend on its own lines only: for a few customers (a listing's top rows,
one customer's trail) :func:`customer_lines` fetches their lines, and the pandas engine's own
functions (:func:`mrrkit.movements`, :func:`mrrkit.movement_lines`,
:func:`mrrkit.churn_reasons`) give exactly what they give on the whole upload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from ..engine.lines import LINE_DATES
from ..engine.movements import KINDS
from ..views.bridge import _period, bridge_frame
from ..views.compare import comparison, figures_of
from ..views.compare import reclassified_customers as _pandas_reclassified
from .lines import MICROS_COLUMN
from .movements import SqlMovements, _int64, _money
from .views import _movements_of, kpis, monthly

__all__ = [
    "Listing", "bridge", "compare_definitions", "customer_lines", "movement_listing",
    "paying_listing", "reclassified", "reclassified_customers",
]

#: Up to this many ids are written into the query (``customer_id IN (...)``); more are sent as a
#: table and semi-joined (a download's hundred thousand ids make no SQL text).
_IDS_IN_TEXT = 1000


@dataclass(frozen=True)
class Listing:
    """The first rows of a listing computed in the database, with its size.

    Attributes
    ----------
    rows : DataFrame
        The first ``limit`` rows, in the listing's order.
    count : int
        How many rows the whole listing has.
    total : float or None
        What they add up to (their ``amount`` or ``mrr``, summed in integer micros in the
        database); None where a listing has no amount.
    """

    rows: pd.DataFrame
    count: int
    total: float | None

    @property
    def complete(self) -> bool:
        """Whether :attr:`rows` is the whole listing."""
        return len(self.rows) >= self.count


def _days(first: pd.Period, last: pd.Period):
    """The first day of month ``first`` and the last of month ``last``, as SQL dates."""
    return (ibis.date(first.start_time.date()), ibis.date(last.end_time.normalize().date()))


def _dated(t: ibis.Table, first: pd.Period, last: pd.Period) -> ibis.Table:
    """The movements dated in months ``first..last`` (a range of days: no month per row)."""
    lo, hi = _days(first, last)
    return t.filter((t.day >= lo) & (t.day <= hi))


def _of_customers(t: ibis.Table, customers: Iterable[str]) -> ibis.Table:
    """The rows of ``t`` whose ``customer_id`` is one of ``customers``."""
    ids = sorted({str(c) for c in customers})
    if len(ids) <= _IDS_IN_TEXT:
        return t.filter(t.customer_id.isin(ids))
    wanted = ibis.memtable(pd.DataFrame({"wanted_id": pd.array(ids, dtype="str")}))
    return t.semi_join(wanted, t.customer_id == wanted.wanted_id)


def _joined(rows: ibis.Table, columns: ibis.Table | None) -> ibis.Table:
    """``rows`` with the other columns of ``columns`` (a table keyed by ``customer_id``, e.g.
    the customers' labels) joined to them; the rows without a match keep NULLs."""
    if columns is None:
        return rows
    other = [c for c in columns.columns if c != "customer_id"]
    keyed = columns.select(joined_customer=columns.customer_id, **{c: columns[c] for c in other})
    out = rows.left_join(keyed, rows.customer_id == keyed.joined_customer)
    return out.drop("joined_customer")


def _size(t: ibis.Table, value) -> tuple[int, int]:
    """How many rows ``t`` has and the sum of ``value`` over them (integer micros)."""
    row = t.aggregate(n=t.count(), total=_int64(value.sum())).to_pandas().iloc[0]
    total = row["total"]
    return int(row["n"]), (0 if pd.isna(total) else int(total))


def bridge(data, start, end, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`mrrkit.mrr_bridge` computed in the database: its amounts and levels from the
    monthly table (``table``, the movements' :func:`mrrkit.sql.monthly`, or one query), the
    distinct customers and the movements of each kind in the period from one aggregate query
    whose result has a row per kind.

    Parameters
    ----------
    data : SqlMovements or ibis Table
        :func:`mrrkit.sql.movements` (of a segment or not), or canonical lines.
    start, end : month-like
        The first and last month of the period.
    table : DataFrame, optional
        The movements' monthly table, when it was computed already.
    """
    mv = _movements_of(data, None, None)
    table = monthly(mv) if table is None else table
    s, e = _period(table, start, end)
    t = _dated(mv.micros, s, e)
    rows = t.group_by("kind").aggregate(customers=t.customer_id.nunique(),
                                        movements=t.count()).to_pandas()
    customers = np.zeros(len(KINDS), np.int64)
    moves = np.zeros(len(KINDS), np.int64)
    kinds = rows["kind"].to_numpy(dtype=np.int64)
    customers[kinds] = rows["customers"].to_numpy(dtype=np.int64)
    moves[kinds] = rows["movements"].to_numpy(dtype=np.int64)
    return bridge_frame(table, s, e, customers, moves)


def movement_listing(data, kind: str, first, last=None, limit: int = 500,
                     columns: ibis.Table | None = None) -> Listing:
    """The movements of ``kind`` dated in months ``first..last`` (:func:`mrrkit.movements_in`),
    the largest first: their number and sum, and the first ``limit`` of them.

    Parameters
    ----------
    data : SqlMovements or ibis Table
    kind : str
        One of :data:`mrrkit.KINDS`.
    first, last : month-like
        The months (``last`` default: ``first``).
    limit : int
        How many rows to fetch.
    columns : ibis Table, optional
        Keyed by ``customer_id``: its other columns are joined to the rows (the customers'
        labels, say).

    Returns
    -------
    Listing
        ``rows``: ``customer_id, date, kind, amount, mrr_before, mrr_after`` (and
        ``columns``'), by decreasing ``|amount|``, then customer and date (the order of
        :func:`mrrkit.movements_in` sorted by ``|amount|`` with a stable sort); ``total``: the
        movements' amount.

    Examples
    --------
    >>> import ibis
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"], "mrr": [10.0, 30.0, 20.0],
    ...     "start": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-09"]),
    ...     "end": pd.to_datetime(["2024-02-10", "2024-02-01", "2024-02-20"])})))
    >>> churns = movement_listing(lines, "churn", "2024-02", limit=2)
    >>> churns.count, churns.total, churns.rows[["customer_id", "amount"]].to_dict("list")
    (3, -60.0, {'customer_id': ['b', 'c'], 'amount': [-30.0, -20.0]})
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    mv = _movements_of(data, None, None)
    first = pd.Period(first, freq="M")
    last = first if last is None else pd.Period(last, freq="M")
    t = _dated(mv.micros, first, last)
    t = t.filter(t.kind == KINDS.index(kind)).mutate(change=t.after - t.before)
    count, total = _size(t, t.change)
    top = t.order_by([t.change.abs().desc(), t.customer_id, t.day]).limit(int(limit))
    top = top.select(order=ibis.row_number().over(ibis.window(
        order_by=[top.change.abs().desc(), top.customer_id, top.day])),
        customer_id=top.customer_id, date=top.day, amount=_money(top.change),
        mrr_before=_money(top.before), mrr_after=_money(top.after))
    rows = _joined(top, columns).order_by("order").to_pandas().drop(columns="order")
    rows.insert(2, "kind", pd.Categorical([kind] * len(rows), categories=list(KINDS)))
    rows["customer_id"] = rows["customer_id"].astype("str")
    rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[s]")
    return Listing(rows.reset_index(drop=True), count, total / 1e6)


def paying_listing(data, month, limit: int = 500, columns: ibis.Table | None = None) -> Listing:
    """The customers paying at the end of ``month`` (at the as-of day within its month) and
    their MRR (:func:`mrrkit.paying_customers`), the largest first: their number and MRR, and
    the first ``limit`` of them.

    Each customer's MRR at the month end is that after its last movement by then: the movement
    whose next one, if any, is later (a filter on the movement's own row, no sort per customer).

    Returns
    -------
    Listing
        ``rows`` indexed by ``customer_id`` with ``mrr`` (and ``columns``' columns), by
        decreasing MRR, then id; ``total``: their MRR.

    Examples
    --------
    >>> import ibis
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"], "mrr": [10.0, 20.0, 5.0],
    ...     "start": pd.to_datetime(["2024-01-03", "2024-01-10", "2024-02-01"]),
    ...     "end": pd.to_datetime(["2024-02-10", None, None])})))
    >>> paying = paying_listing(lines, "2024-01", limit=1)
    >>> paying.count, paying.total, paying.rows
    (2, 30.0,               mrr
    customer_id      
    b            20.0)
    """
    mv = _movements_of(data, None, None)
    month = pd.Period(month, freq="M")
    _, end = _days(month, month)
    t = mv.micros
    t = t.filter((t.day <= end) & (t.next_day.isnull() | (t.next_day > end)) & (t.after > 0))
    count, total = _size(t, t.after)
    top = t.order_by([t.after.desc(), t.customer_id]).limit(int(limit))
    top = top.select(order=ibis.row_number().over(ibis.window(
        order_by=[top.after.desc(), top.customer_id])), customer_id=top.customer_id,
        mrr=_money(top.after))
    rows = _joined(top, columns).order_by("order").to_pandas().drop(columns="order")
    rows.index = pd.Index(rows.pop("customer_id").astype("str"), name="customer_id")
    return Listing(rows, count, total / 1e6)


def customer_lines(lines: ibis.Table, customers: Iterable[str]) -> pd.DataFrame:
    """The lines of a few ``customers``, fetched as the pandas engine takes them: a customer's
    movements, the lines behind each and its churn reasons depend on its own lines only, so the
    pandas engine's functions on these lines give exactly what they give on every line.

    A database table has no row order: a customer's lines come by ``start``, ``end`` (running
    lines last) and amount (where an upload keeps the file's order).

    Parameters
    ----------
    lines : ibis Table
        Canonical lines (:func:`mrrkit.sql.lines_table`).
    customers : iterable of str
        Their ids (a few: each line of theirs is fetched).

    Returns
    -------
    DataFrame: the lines' columns but ``mrr_micros``, dates as ``datetime64[s]`` (as
    :func:`mrrkit.read_export` reads them).

    Examples
    --------
    >>> import ibis
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "a"], "mrr": [10.0, 20.0, 5.0],
    ...     "start": pd.to_datetime(["2024-03-01", "2024-01-10", "2024-02-01"]),
    ...     "end": pd.to_datetime([None, None, "2024-03-01"])})))
    >>> customer_lines(lines, ["a"])
      customer_id   mrr      start        end
    0           a   5.0 2024-02-01 2024-03-01
    1           a  10.0 2024-03-01        NaT
    """
    t = _of_customers(lines, customers)
    t = t.order_by([t.customer_id, t.start, t.end.asc(nulls_first=False), t[MICROS_COLUMN]])
    out = t.to_pandas().drop(columns=MICROS_COLUMN)
    out["customer_id"] = out["customer_id"].astype("str")
    for name, kind in t.schema().items():
        # Whole numbers with gaps stay whole (as an upload reads them), not floats with NaN.
        if name in out.columns and out[name].isna().any():
            if kind.is_integer():
                out[name] = out[name].astype("Int64")
            elif kind.is_boolean():
                out[name] = out[name].astype("boolean")
    for name in ("start", "end", *LINE_DATES):
        if name in out.columns:
            out[name] = pd.to_datetime(out[name]).astype("datetime64[s]")  # (as read by mrrkit.io)
    return out.reset_index(drop=True)


def compare_definitions(own: SqlMovements, other: SqlMovements, month=None,
                        tables: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """:func:`mrrkit.compare_definitions` computed in the database: the headline figures of the
    12 months ending with ``month`` under mrrkit's definitions (``own``) and under another
    tool's (``other``), from each one's monthly table and KPIs (:func:`mrrkit.sql.kpis`).

    Parameters
    ----------
    own, other : SqlMovements
        The same lines' movements under mrrkit's definitions and under the other ones.
    month : month-like, optional
        The last month (default: the as-of day's).
    tables : (DataFrame, DataFrame), optional
        Their :func:`mrrkit.sql.monthly` tables, when computed already.
    """
    if own.definitions is not None:
        raise ValueError("the first movements must be under mrrkit's own definitions")
    month = pd.Period(own.as_of, "M") if month is None else pd.Period(month, "M")
    tables = tables or (monthly(own), monthly(other))
    return comparison(*(figures_of(table, kpis(mv, month, table=table), mv.definitions, month)
                        for mv, table in zip((own, other), tables)))


def _sequence(mv: SqlMovements, first, last, prefix: str) -> ibis.Table:
    """Each customer's movements dated in months ``first..last`` as (position, month, kind,
    amount), the columns named with ``prefix``: what :func:`mrrkit.reclassified_customers`
    writes in words (a month, a kind and an exact amount per movement, in date order)."""
    t = mv.micros
    if first is not None or last is not None:
        lo = pd.Period(first if first is not None else "1900-01", freq="M")
        hi = pd.Period(last if last is not None else "2199-12", freq="M")
        t = _dated(t, lo, hi)
    at = ibis.row_number().over(ibis.window(group_by=t.customer_id, order_by=t.day))
    return t.select(**{f"{prefix}customer": t.customer_id, f"{prefix}at": at,
                       f"{prefix}month": t.day.truncate("M"), f"{prefix}kind": t.kind,
                       f"{prefix}amount": t.after - t.before})


def reclassified(own: SqlMovements, other: SqlMovements, first=None, last=None) -> ibis.Table:
    """The customers whose movements dated in months ``first..last`` ``other``'s definitions
    classify, size or put in another month than ``own`` (mrrkit's) do: the query (one column,
    ``customer_id``), for a count or a semi-join; :func:`reclassified_customers` fetches them.

    Each customer's movements are compared position by position (a full outer join on the
    customer and the position): one side without a movement where the other has one, or
    another month, kind or amount (in integer micros), makes it a customer reclassified.
    """
    a, b = _sequence(own, first, last, "a_"), _sequence(other, first, last, "b_")
    j = a.outer_join(b, [a.a_customer == b.b_customer, a.a_at == b.b_at])
    differs = (j.a_customer.isnull() | j.b_customer.isnull() | (j.a_month != j.b_month)
               | (j.a_kind != j.b_kind) | (j.a_amount != j.b_amount))
    changed = j.filter(differs.fill_null(True))
    return changed.select(customer_id=ibis.coalesce(changed.a_customer,
                                                    changed.b_customer)).distinct()


def reclassified_customers(own: SqlMovements, other: SqlMovements, first=None, last=None,
                           limit: int = 500) -> Listing:
    """:func:`mrrkit.reclassified_customers` computed in the database: how many customers
    ``other``'s definitions classify otherwise (:func:`reclassified`), and the first ``limit``
    of them by id with their movements under both in words (those customers' movements
    fetched and written by the pandas function: the same words).

    Returns
    -------
    Listing
        ``rows`` indexed by ``customer_id`` with ``mrrkit`` and ``other``; ``total`` None.
    """
    ids = reclassified(own, other, first, last)
    count = int(ids.count().to_pandas())
    top = ids.order_by("customer_id").limit(int(limit)).to_pandas()["customer_id"]
    top = [str(c) for c in top]

    def fetched(mv: SqlMovements):
        return dataclasses.replace(mv, micros=_of_customers(mv.micros, top)).to_pandas()

    if top:
        rows = _pandas_reclassified((fetched(own), fetched(other)), None, first, last)
    else:
        rows = pd.DataFrame({"mrrkit": pd.Series(dtype="str"), "other": pd.Series(dtype="str")},
                            index=pd.Index([], dtype="str", name="customer_id"))
    return Listing(rows, count, None)
