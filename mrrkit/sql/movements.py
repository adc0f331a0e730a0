"""MRR movements as one database query: the rules of :func:`mrrkit.movements`, in Ibis.

The steps are the pandas engine's, each a relational operation the database runs where the data
lives:

1. a line that acts (worth something, at least a day long, started by as-of) gives an event
   ``+mrr`` on its start and ``-mrr`` on its end (if that is by as-of);
2. events of one customer and day net out (``GROUP BY customer_id, day``; a net 0 is no
   movement);
3. the customer's MRR after each movement is the running sum of the nets
   (``SUM(...) OVER (PARTITION BY customer_id ORDER BY day)``), before = after - net;
4. the kind from before -> after: to 0 churn, from 0 new (the customer's first) or
   reactivation, else expansion or contraction.

Another tool's definitions act on the lines (:func:`mrrkit.sql.lines.adjust_lines`), then on
the movements as :func:`mrrkit.engine.reclassify.redefine` does: month snapshots, brief stays
left out, returns after a window counted as new, reactivations reported as new or expansion, a
pause as a state.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from ..engine.definitions import Definitions
from ..engine.movements import (
    CHURN,
    CONTRACTION,
    EXPANSION,
    KINDS,
    NEW,
    REACTIVATION,
    own_definitions,
)
from ..engine.movements import (
    Movements as PandasMovements,
)
from .lines import MICROS_COLUMN, adjust_lines, default_as_of

__all__ = ["SqlMovements", "movements"]

#: The columns of :attr:`SqlMovements.micros`.
MICROS_COLUMNS = ("customer_id", "day", "kind", "before", "after", "prev_day", "next_day",
                  "first_day")


#: int64 written out in the SQL. Ibis leaves out a cast to the type it already gives a value (to
#: Ibis a sum of int64 is int64), but DuckDB sums BIGINT into HUGEINT (128 bits): the nets and the
#: running MRR stayed HUGEINT through every later step: 1.4x the CPU time of the monthly query at
#: 1M customers (benchmarks/bench_scale.py). A non-null int64 is another Ibis type: its cast stays.
_INT64 = dt.Int64(nullable=False)


def _int64(value: ibis.Value) -> ibis.Value:
    """``value`` (never NULL: a sum of non-null amounts) as a 64-bit integer in the SQL too."""
    return value.cast(_INT64)


def _kind(before, after, first) -> ibis.Value:
    """The kind code (an index into :data:`mrrkit.KINDS`) of a movement before -> after."""
    return ibis.cases(
        (after == 0, CHURN),
        ((before == 0) & first, NEW),
        (before == 0, REACTIVATION),
        (after > before, EXPANSION),
        else_=CONTRACTION,
    ).cast("int8")


def _by_customer(t: ibis.Table, frame=None):
    order = t.day
    if frame is None:
        return ibis.window(group_by=t.customer_id, order_by=order)
    return ibis.window(group_by=t.customer_id, order_by=order, rows=frame)


def _neighbours(t: ibis.Table) -> dict:
    """The customer's previous and next movement days (NULL at its first and last) and its
    first movement day (its cohort's), as window columns: computed in the same pass (the same
    partition and order) as any other window of the same select."""
    w = _by_customer(t)
    return {"prev_day": t.day.lag().over(w), "next_day": t.day.lead().over(w),
            "first_day": t.day.min().over(w)}


def _with_kind(t: ibis.Table) -> ibis.Table:
    """Rows ``customer_id, day, before, after, prev_day, next_day, first_day`` with their kind;
    a customer's first row (no previous day) is its new business."""
    return t.mutate(kind=_kind(t.before, t.after, t.prev_day.isnull())).select(*MICROS_COLUMNS)


def _classified(t: ibis.Table) -> ibis.Table:
    """Rows ``customer_id, day, before, after`` with their neighbours' days and their kind."""
    return _with_kind(t.mutate(**_neighbours(t)))


def event_movements(lines: ibis.Table, as_of: pd.Timestamp) -> ibis.Table:
    """Movements at event level (mrrkit's own definitions): ``customer_id, day, kind, before,
    after, prev_day, next_day, first_day`` with money in integer micros; one row per
    customer-day the MRR changes."""
    day = ibis.date(as_of.date())
    value = lines[MICROS_COLUMN]
    acts = lines.filter((value != 0) & (lines.end.isnull() | (lines.end > lines.start))
                        & (lines.start <= day))
    ups = acts.select("customer_id", day=acts.start, delta=acts[MICROS_COLUMN])
    ended = acts.filter(acts.end.notnull() & (acts.end <= day))
    downs = ended.select("customer_id", day=ended.end, delta=-ended[MICROS_COLUMN])
    events = ibis.union(ups, downs, distinct=False)
    net = events.group_by(["customer_id", "day"]).aggregate(
        net=_int64(events.delta.sum()))
    net = net.filter(net.net != 0)
    # One window pass: the running MRR and the neighbouring days share partition and order (a
    # row_number for "first" in a later select was a second sort).
    running = _int64(net.net.sum().over(_by_customer(net, (None, 0))))
    t = net.mutate(after=running, **_neighbours(net))
    return _with_kind(t.mutate(before=t.after - t.net))


def _month_end(month, as_of: pd.Timestamp):
    last_day = month + ibis.interval(months=1) - ibis.interval(days=1)
    return ibis.least(last_day, ibis.date(as_of.date()))


def month_edges(t: ibis.Table) -> ibis.Table:
    """The movements with their ``month`` and whether each opens (``opens``) or closes
    (``closes``) its customer-month: the customer's first or last movement that month, told by
    the neighbouring days (no sort and no ordered aggregate, which DuckDB runs as a sort per
    group)."""
    month = t.day.truncate("M")
    return t.mutate(month=month,
                    opens=t.prev_day.isnull() | (t.prev_day.truncate("M") != month),
                    closes=t.next_day.isnull() | (t.next_day.truncate("M") != month))


def _runs(t: ibis.Table) -> ibis.Table:
    """Each customer-month with movements: its first ``before`` and last ``after``."""
    t = month_edges(t)
    return t.group_by(["customer_id", "month"]).aggregate(
        before=_int64(ibis.ifelse(t.opens, t.before, 0).sum()),
        after=_int64(ibis.ifelse(t.closes, t.after, 0).sum()))


def month_snapshots(t: ibis.Table, as_of: pd.Timestamp) -> ibis.Table:
    """Movements between month-end snapshots (:func:`mrrkit.engine.reclassify.month_snapshots`)."""
    runs = _runs(t)
    runs = runs.filter(runs.before != runs.after)
    runs = runs.mutate(day=_month_end(runs.month, as_of)).drop("month")
    return _classified(runs.select("customer_id", "day", "before", "after"))


def _without_brief_stays(t: ibis.Table) -> ibis.Table:
    """The movements less each customer-month that began and ended at 0, classified again."""
    t = t.mutate(month=t.day.truncate("M"))
    whole = ibis.window(group_by=[t.customer_id, t.month], order_by=t.day, rows=(None, None))
    t = t.mutate(run_before=t.before.first().over(whole), run_after=t.after.last().over(whole))
    kept = t.filter(~((t.run_before == 0) & (t.run_after == 0)))
    return _classified(kept.select("customer_id", "day", "before", "after"))


def _pauses_as_a_state(t: ibis.Table, lines: ibis.Table, by_month: bool) -> ibis.Table:
    """A pause a contraction to 0 and the resumption an expansion
    (:func:`mrrkit.engine.reclassify.pauses_as_a_state`)."""
    if "billing_status" not in lines.columns or "paused_at" not in lines.columns:
        return t
    paused = lines.filter((lines.billing_status == "paused") & lines.end.notnull()
                          & (lines.end == lines.paused_at))
    when = paused.end.truncate("M") if by_month else paused.end
    keys = paused.select(pause_customer=paused.customer_id, pause_when=when).distinct()
    row_when = t.day.truncate("M") if by_month else t.day
    t = t.mutate(row_when=row_when)
    joined = t.left_join(keys, [t.customer_id == keys.pause_customer,
                                t.row_when == keys.pause_when])
    is_pause = (joined.after == 0) & (joined.before > 0) & joined.pause_customer.notnull()
    joined = joined.mutate(is_pause=is_pause)
    prev_pause = joined.is_pause.lag().over(_by_customer(joined)).fill_null(False)
    kind = ibis.cases(
        (joined.is_pause, CONTRACTION),
        (prev_pause & (joined.before == 0), EXPANSION),
        else_=joined.kind,
    ).cast("int8")
    return joined.mutate(kind=kind).select(*MICROS_COLUMNS)


def redefined(t: ibis.Table, definitions: Definitions, as_of: pd.Timestamp,
              lines: ibis.Table) -> ibis.Table:
    """The event movements under ``definitions`` (:func:`mrrkit.engine.reclassify.redefine`,
    then pauses as a state)."""
    if definitions.grain == "month":
        t = month_snapshots(t, as_of)
    if definitions.same_month_churn == "ignore":
        t = _without_brief_stays(t)
    window, as_ = definitions.reactivation_window, definitions.reactivation_as
    if window is not None:
        gap = t.day.delta(t.prev_day, unit="day")
        late = (t.kind == REACTIVATION) & (gap > int(window)).fill_null(False)
        t = t.mutate(kind=ibis.ifelse(late, NEW, t.kind).cast("int8"))
    if as_ != "reactivation":
        t = t.mutate(kind=ibis.ifelse(t.kind == REACTIVATION, NEW if as_ == "new" else EXPANSION,
                                      t.kind).cast("int8"))
    if definitions.pauses == "state":
        t = _pauses_as_a_state(t, lines, definitions.grain == "month")
    return t


def _money(value) -> ibis.Value:
    """Integer micros as currency units, a float as in :attr:`mrrkit.Movements.frame` (exact
    below 2**53 micros, 9e9 currency units; the queries themselves sum integer micros)."""
    return value.cast("float64") / 1e6


@dataclass(frozen=True)
class SqlMovements:
    """Movements computed in a database (:func:`movements`): the query, not its rows.

    Attributes
    ----------
    table : ibis Table
        ``customer_id, date, kind, amount, mrr_before, mrr_after`` as :attr:`mrrkit.Movements.frame`
        has them (money in currency units, as floats), not sorted (sort when
        you fetch: ``.order_by(["customer_id", "date"])``).
    as_of : Timestamp
        The day the movements stop at.
    definitions : Definitions or None
        The definitions they follow (None: mrrkit's own).
    micros : ibis Table
        What the views compute on: ``customer_id, day, kind`` (an index into
        :data:`mrrkit.KINDS`), ``before, after`` (integer micros), ``prev_day, next_day`` (the
        customer's previous and next movement days, NULL at its first and last: they tell the
        first and last movement of a customer-month without another sort), ``first_day`` (the
        customer's first movement day: its cohort).
    lines : ibis Table
        The canonical lines they were computed from (:func:`mrrkit.sql.lines_table`).
    """

    micros: ibis.Table
    as_of: pd.Timestamp
    definitions: Definitions | None
    lines: ibis.Table

    @property
    def table(self) -> ibis.Table:
        t = self.micros
        kind = ibis.cases(*((t.kind == code, name) for code, name in enumerate(KINDS)))
        return t.select(
            customer_id=t.customer_id,
            date=t.day,
            kind=kind,
            amount=_money(t.after - t.before),
            mrr_before=_money(t.before),
            mrr_after=_money(t.after),
        )

    def to_pandas(self) -> PandasMovements:
        """The movements as the pandas engine's :class:`mrrkit.Movements` (every row fetched:
        for a segment or a sample, not a warehouse's billions)."""
        frame = self.table.to_pandas()
        frame["date"] = pd.to_datetime(frame["date"])
        for name in ("amount", "mrr_before", "mrr_after"):
            frame[name] = frame[name].astype("float64")
        arrays = PandasMovements.from_frame(frame, as_of=self.as_of).arrays
        return PandasMovements(arrays, self.definitions)


def movements(lines: ibis.Table, as_of=None, definitions=None) -> SqlMovements:
    """Every change of a customer's MRR, classified, computed in the database holding the lines.

    The rules are :func:`mrrkit.movements`' (see :mod:`mrrkit.sql.movements`); the result equals
    the pandas engine's on the same lines (the property tests check it on DuckDB and Spark).

    Parameters
    ----------
    lines : ibis Table
        Canonical lines (:func:`mrrkit.sql.lines_table`).
    as_of : date-like, optional
        The last day counted; by default the lines' latest start or end (one aggregate query).
    definitions : Definitions or str, optional
        Another tool's definitions (:class:`mrrkit.Definitions` or a preset's name).

    Returns
    -------
    SqlMovements
        The query (nothing is run but the as-of query when as_of is not given).

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-02-01"]),
    ...     "end": pd.to_datetime(["2024-03-01", None, "2024-04-15"]),
    ...     "mrr": [100.0, 150.0, 40.0]})))
    >>> mv = movements(lines)
    >>> mv.table.order_by(["customer_id", "date"]).to_pandas()[["customer_id", "kind", "amount"]]
      customer_id       kind  amount
    0           a        new   100.0
    1           a  expansion    50.0
    2           b        new    40.0
    3           b      churn   -40.0
    """
    if MICROS_COLUMN not in lines.columns:
        raise ValueError("lines must come from mrrkit.sql.lines_table (they lack "
                         f"{MICROS_COLUMN!r})")
    definitions = own_definitions(definitions)
    as_of = default_as_of(lines) if as_of is None else pd.Timestamp(as_of).normalize()
    if definitions is None:
        return SqlMovements(event_movements(lines, as_of), as_of, None, lines)
    adjusted = adjust_lines(lines, definitions, as_of)
    rows = redefined(event_movements(adjusted, as_of), definitions, as_of, adjusted)
    return SqlMovements(rows, as_of, definitions, adjusted)
