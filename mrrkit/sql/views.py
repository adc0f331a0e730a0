"""The monthly table, cohorts, NRR/GRR and per-segment monthly tables, computed in the database.

Each view is one aggregate query over the movements (:func:`mrrkit.sql.movements`) whose result
is small (a row per month, per cohort-month, per segment-month, or one row); the pandas engine's
own functions finish it (:func:`mrrkit.engine.monthly.monthly_table`,
:func:`mrrkit.views.cohorts.cohort_grid`), so every rate is defined once for both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ibis
import numpy as np
import pandas as pd

from ..engine.monthly import MONTHLY_COLUMNS, MonthSums, monthly_table
from ..engine.movements import CHURN, KINDS, NEW, own_definitions
from ..views.cohort_tables import COHORT_PERIODS, levels_from_changes
from ..views.cohorts import COHORT_VALUES, cohort_grid
from ..views.kpis import kpi_table
from ..views.retention import _month
from ..views.segments import MISSING, _as_labels, natural_key
from .movements import SqlMovements, _int64, month_edges, movements

__all__ = [
    "cohort_levels", "cohort_levels_of_rows", "cohort_levels_query", "cohorts", "grr", "kpi_pairs", "kpis", "monthly", "nrr", "retention_of_sums",
    "retention_pairs", "retention_sums_query", "segment_lines", "segment_monthly",
]

_EPOCH = np.datetime64("1970-01-01", "D")


def _movements_of(data, as_of, definitions) -> SqlMovements:
    if isinstance(data, SqlMovements):
        if as_of is not None and pd.Timestamp(as_of).normalize() != data.as_of:
            raise ValueError("these movements are as of "
                             f"{data.as_of.date()}: compute movements again for another as_of")
        if definitions is not None and own_definitions(definitions) != data.definitions:
            raise ValueError("these movements follow other definitions: compute movements "
                             "again with the ones you want (two definitions never mix)")
        return data
    if isinstance(data, ibis.Table):
        return movements(data, as_of, definitions)
    raise TypeError("data must be mrrkit.sql.movements(...) or lines from "
                    f"mrrkit.sql.lines_table, got {type(data).__name__}")


def _month_ordinal(values) -> np.ndarray:
    days = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[M]")
    return days.astype(np.int64)


def _as_of_month(mv: SqlMovements) -> int:
    return int(np.datetime64(mv.as_of.date(), "M").astype(np.int64))


def _check_negative(mv: SqlMovements, negative: int) -> None:
    if not negative:
        return
    t = mv.micros
    row = t.filter(t.after < 0).order_by(["customer_id", "day"]).limit(1).to_pandas().iloc[0]
    raise ValueError(
        f"customer {row['customer_id']!r} would have negative MRR ({row['after'] / 1e6:.2f}) on "
        f"{pd.Timestamp(row['day']).date()}: check 'mrr' (negative lines such as discounts "
        "must not exceed the customer's other lines)")


def _month_sums_query(t: ibis.Table, keys: list[str]) -> ibis.Table:
    """Per ``keys`` and month: what :class:`~mrrkit.engine.monthly.MonthSums` holds, from
    movement rows ``customer_id, day, kind, before, after, prev_day, next_day``.

    The sums and counts of each kind are sums over the month's movements. The retention sums
    (``d_net``, ``d_gross``, ``joined_left``) are over customer-months, from each one's first
    ``before`` and last ``after`` (:func:`~mrrkit.sql.movements.month_edges`): most customer-months
    hold one movement, whose row has both, so only the others are grouped by customer and month
    (grouping all of them was most of the query's time)."""
    t = month_edges(t).mutate(amount=t.after - t.before)
    alone = t.opens & t.closes
    change = ibis.ifelse(alone & (t.before > 0), t.amount, 0)
    zero = ibis.literal(0, "int64")
    sums = {
        "d_net": change.sum(),
        "d_gross": ibis.least(change, 0).sum(),
        "joined_left": (alone & (t.before == 0) & (t.kind == CHURN)).sum(),
        "rose": ((t.before == 0) & (t.after > 0)).sum(),
        "fell": ((t.after == 0) & (t.before > 0)).sum(),
        "negative": (t.after < 0).sum(),
    }
    for code, name in enumerate(KINDS):
        sums[f"sum_{name}"] = ibis.ifelse(t.kind == code, t.amount, 0).sum()
        sums[f"n_{name}"] = (t.kind == code).sum()
    by_month = t.group_by([*keys, "month"]).aggregate(
        **{name: _int64(value) for name, value in sums.items()})

    several = t.filter(~alone)
    runs = several.group_by([*keys, "customer_id", "month"]).aggregate(
        s=_int64(ibis.ifelse(several.opens, several.before, 0).sum()),
        e=_int64(ibis.ifelse(several.closes, several.after, 0).sum()),
        churns=_int64((several.kind == CHURN).sum()))
    change = ibis.ifelse(runs.s > 0, runs.e - runs.s, 0)
    retention = {"d_net": change.sum(), "d_gross": ibis.least(change, 0).sum(),
                 "joined_left": ibis.ifelse(runs.s == 0, runs.churns, 0).sum()}
    by_run = runs.group_by([*keys, "month"]).aggregate(
        **{name: _int64(value) for name, value in retention.items()})
    by_run = by_run.select(*keys, "month", **{name: by_run[name] if name in retention
                                              else _int64(zero) for name in sums})
    both = ibis.union(by_month, by_run, distinct=False)
    return both.group_by([*keys, "month"]).aggregate(
        **{name: _int64(both[name].sum()) for name in sums})


def _month_sums(rows: pd.DataFrame, last: int) -> MonthSums:
    """The :class:`MonthSums` of one group's fetched month rows."""
    mon = _month_ordinal(rows["month"])
    first = int(mon.min())
    nm = last - first + 1
    at = mon - first

    def spread(name: str) -> np.ndarray:
        out = np.zeros(nm, np.int64)
        np.add.at(out, at, rows[name].to_numpy(dtype=np.int64))
        return out

    sums = np.stack([spread(f"sum_{k}") for k in KINDS], axis=1)
    counts = np.stack([spread(f"n_{k}") for k in KINDS], axis=1)
    return MonthSums(first, sums, counts, spread("d_net"), spread("d_gross"), spread("rose"),
                     spread("fell"), spread("joined_left"))


def _empty_monthly() -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in MONTHLY_COLUMNS})
    empty.index = pd.PeriodIndex([], freq="M", name="month")
    return empty


def monthly(data, as_of=None, definitions=None) -> pd.DataFrame:
    """Monthly MRR, movements and rates, computed in the database: :func:`mrrkit.monthly`'s
    table (same columns, index, definitions), from one query whose result has a row per month.

    Parameters
    ----------
    data : SqlMovements or ibis Table
        :func:`mrrkit.sql.movements`, or canonical lines (:func:`mrrkit.sql.lines_table`).
    as_of, definitions
        For lines, as :func:`mrrkit.sql.movements` takes them; movements keep their own.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-02-05"]),
    ...     "end": pd.to_datetime(["2024-03-10", "2024-02-05", None]),
    ...     "mrr": [100.0, 50.0, 80.0]})))
    >>> monthly(lines)[["mrr", "new", "expansion", "churn", "net_new", "customers"]]
               mrr    new  expansion  churn  net_new  customers
    month
    2024-01  150.0  150.0        0.0    0.0    150.0          2
    2024-02  180.0    0.0       30.0    0.0     30.0          2
    2024-03   80.0    0.0        0.0 -100.0   -100.0          1
    """
    mv = _movements_of(data, as_of, definitions)
    return monthly_of_rows(mv, _month_sums_query(mv.micros, []).to_pandas())


def monthly_of_rows(mv: SqlMovements, rows: pd.DataFrame) -> pd.DataFrame:
    """The monthly table of ``mv`` from its month-sum rows (one group's rows of the month-sums
    query; rows of several groups add up, the sums being over customers)."""
    _check_negative(mv, int(rows["negative"].sum()) if len(rows) else 0)
    if len(rows) == 0:
        return _empty_monthly()
    as_of_day = int((np.datetime64(mv.as_of.date(), "D") - _EPOCH).astype(np.int64))
    return monthly_table(_month_sums(rows, _as_of_month(mv)), as_of_day, mv.definitions)


def _labels_query(lines: ibis.Table, by: str) -> ibis.Table:
    """Each customer's value of ``by`` on its latest line (latest ``start``; ties: the largest
    value, a database table having no row order), NULL where that line has none."""
    if by not in lines.columns:
        raise ValueError(f"cannot segment by {by!r}: the lines have no such column "
                         f"({list(lines.columns)})")
    w = ibis.window(group_by=lines.customer_id,
                    order_by=[lines.start.desc(), lines[by].desc(nulls_first=False)])
    ranked = lines.select("customer_id", segment=lines[by],
                          rank=ibis.row_number().over(w))
    return ranked.filter(ranked["rank"] == 0).select(
        segment_customer=ranked.customer_id, segment=ranked.segment)


def _labels(values: pd.Series) -> pd.Series:
    """Raw segment values as the pandas engine's labels (blanks as ``MISSING``)."""
    return _as_labels(values.reset_index(drop=True))


def segment_monthly(data, by: str, as_of=None, definitions=None) -> pd.DataFrame:
    """The monthly table of each segment, computed in the database: one query whose result has a
    row per segment and month.

    A customer's segment is its value of column ``by`` on its latest line (latest ``start``;
    ties go to the largest value, where :func:`mrrkit.customer_attributes` takes the last row
    of the frame), blanks labelled :data:`mrrkit.MISSING`; a segment's table is
    :func:`mrrkit.monthly` of its customers' movements (:func:`mrrkit.filter_movements`).

    Returns
    -------
    DataFrame indexed by ``(segment, month)``, the columns of :func:`mrrkit.monthly`; each
    segment's months run from its first movement to the as-of month.
    """
    mv = _movements_of(data, as_of, definitions)
    labels = _labels_query(mv.lines, by)
    t = mv.micros
    t = t.inner_join(labels, t.customer_id == labels.segment_customer).drop("segment_customer")
    rows = _month_sums_query(t, ["segment"]).to_pandas()
    _check_negative(mv, int(rows["negative"].sum()) if len(rows) else 0)
    if len(rows) == 0:
        out = _empty_monthly()
        out.index = pd.MultiIndex.from_arrays([pd.Index([], dtype="str"), out.index],
                                              names=["segment", "month"])
        return out
    rows["segment"] = _labels(rows["segment"]).to_numpy()
    as_of_day = int((np.datetime64(mv.as_of.date(), "D") - _EPOCH).astype(np.int64))
    frames = {}

    for label in sorted(rows["segment"].unique(), key=natural_key):
        part = rows[rows["segment"] == label]
        frames[label] = monthly_table(_month_sums(part, _as_of_month(mv)), as_of_day,
                                      mv.definitions)
    return pd.concat(frames, names=["segment", "month"])


def segment_lines(lines: ibis.Table, filters: Mapping[str, Iterable[str]]) -> ibis.Table:
    """The lines of the customers whose labels pass every filter (:func:`mrrkit.select_customers`
    in the database): a segment's lines, so that its movements and views are the same views
    computed on fewer customers. An empty choice for a column filters nothing.

    Labels are compared as the pandas engine writes them (text, blanks as
    :data:`mrrkit.MISSING`).
    """
    out = lines
    for name, chosen in filters.items():
        chosen = [str(v) for v in (chosen or [])]
        if not chosen:
            continue
        labels = _labels_query(lines, name)
        text = labels.segment.cast("string")
        keep = text.isin([c for c in chosen if c != MISSING])
        if MISSING in chosen:
            keep = keep | labels.segment.isnull() | (text.strip() == "")
        picked = labels.filter(keep.fill_null(False)).select(labels.segment_customer)
        out = out.filter(out.customer_id.isin(picked.segment_customer))
    return out


def cohorts(data, value: str = "mrr", as_of=None, definitions=None) -> pd.DataFrame:
    """Cohort table by acquisition month, computed in the database (:func:`mrrkit.cohorts`'
    table): one query whose result has a row per cohort and calendar month."""
    if value not in COHORT_VALUES:
        raise ValueError(f"value must be one of {COHORT_VALUES}, got {value!r}")
    mv = _movements_of(data, as_of, definitions)
    t = mv.micros
    t = t.mutate(cohort=t.first_day.truncate("M"), month=t.day.truncate("M"))
    step = (ibis.ifelse((t.before == 0) & (t.after > 0), 1, 0)
            - ibis.ifelse((t.after == 0) & (t.before > 0), 1, 0))
    rows = t.group_by(["cohort", "month"]).aggregate(
        d_mrr=(t.after - t.before).sum().cast("int64"), d_cust=step.sum().cast("int64"),
        negative=(t.after < 0).sum().cast("int64")).to_pandas()
    _check_negative(mv, int(rows["negative"].sum()) if len(rows) else 0)
    as_of_day = int((np.datetime64(mv.as_of.date(), "D") - _EPOCH).astype(np.int64))
    if len(rows) == 0:
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
        empty.columns.name = "age"
        return empty
    cohort = _month_ordinal(rows["cohort"])
    month = _month_ordinal(rows["month"])
    cohort_months = np.unique(cohort)
    first, last = int(cohort_months.min()), _as_of_month(mv)
    n_months = last - first + 1
    row = np.searchsorted(cohort_months, cohort)
    d_mrr = np.zeros((len(cohort_months), n_months), np.int64)
    d_cust = np.zeros((len(cohort_months), n_months), np.int64)
    np.add.at(d_mrr, (row, month - first), rows["d_mrr"].to_numpy(dtype=np.int64))
    np.add.at(d_cust, (row, month - first), rows["d_cust"].to_numpy(dtype=np.int64))
    return cohort_grid(value, cohort_months, first, d_mrr, d_cust, as_of_day)


def _period_ordinal(values, step: int) -> np.ndarray:
    return _month_ordinal(values) // step


def cohort_levels(data, by: str = "month", as_of=None, definitions=None,
                  segment: str | None = None):
    """Each cohort's MRR and paying customers at the end of each period since acquisition,
    computed in the database (:func:`mrrkit.views.cohort_tables.cohort_levels`' two frames): one
    query whose result has a row per cohort and period.

    Parameters
    ----------
    data : SqlMovements or ibis Table
    by : {"month", "quarter"}
    as_of : date-like, optional
        The last day counted, not after the movements' own as-of day.
    definitions : Definitions or str, optional
        For lines.
    segment : str or ibis Table, optional
        A column of the lines: then a dict ``label -> (mrr, customers)``, one pair per segment
        (a customer's latest line decides, as in :func:`segment_monthly`); or a table of
        ``segment_customer, segment`` (each customer's label).
    """
    mv = _movements_of(data, None, definitions)
    day = mv.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    rows = cohort_levels_query(mv, by, day, segment=segment).to_pandas()
    return cohort_levels_of_rows(mv, rows, by, day)


def cohort_levels_query(data, by: str = "month", as_of=None, segment=None) -> ibis.Table:
    """The query of :func:`cohort_levels`, for a caller that keeps its result (the app's
    store): the changes of MRR and of paying customers per cohort and period (per ``segment``
    label, in a ``segment`` column), which add up over customers: some labels' rows are those
    labels' levels. :func:`cohort_levels_of_rows` finishes them.

    Examples
    --------
    Every industry's rows together are everyone's levels:

    >>> import ibis
    >>> import mrrkit, mrrkit.sql
    >>> con = ibis.duckdb.connect()
    >>> lines = mrrkit.sql.lines_table(con.create_table("lines", mrrkit.load_sample()))
    >>> mv = mrrkit.sql.movements(lines, as_of="2026-10-31")
    >>> rows = cohort_levels_query(mv, segment="industry").to_pandas()
    >>> sorted(rows["segment"].unique())[:2]
    ['E-commerce', 'Education']
    >>> mrr, customers = cohort_levels_of_rows(mv, rows.drop(columns="segment"))
    >>> mrr.equals(cohort_levels(mv)[0]) and customers.equals(cohort_levels(mv)[1])
    True
    """
    if by not in COHORT_PERIODS:
        raise ValueError(f"by must be one of {list(COHORT_PERIODS)}, got {by!r}")
    mv = _movements_of(data, None, None)
    day = mv.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    if day > mv.as_of:
        raise ValueError(f"as_of {day.date()} is after the as_of these movements were computed "
                         f"with ({mv.as_of.date()}): recompute movements from the lines")
    t = mv.micros
    # A customer's cohort is its first payment (its first movement, from 0), whatever other
    # definitions call a return; paying customers are told by their MRR.
    unit = "M" if by == "month" else "Q"
    t = t.mutate(cohort=t.first_day.truncate(unit), period=t.day.truncate(unit))
    t = t.filter(t.day <= ibis.date(day.date()))
    keys = ["cohort", "period"]
    if segment is not None:
        labels = segment if isinstance(segment, ibis.Table) else _labels_query(mv.lines, segment)
        t = t.inner_join(labels, t.customer_id == labels.segment_customer)
        keys = ["segment", *keys]
    step_of = (ibis.ifelse((t.before == 0) & (t.after > 0), 1, 0)
               - ibis.ifelse((t.after == 0) & (t.before > 0), 1, 0))
    return t.group_by(keys).aggregate(
        d_mrr=(t.after - t.before).sum().cast("int64"), d_cust=step_of.sum().cast("int64"),
        negative=(t.after < 0).sum().cast("int64"))


def cohort_levels_of_rows(mv: SqlMovements, rows: pd.DataFrame, by: str = "month", as_of=None):
    """:func:`cohort_levels` of the rows of :func:`cohort_levels_query` (any of them); a dict per
    label when they have a ``segment`` column. ``mv`` is looked up for the first negative MRR
    when the rows count one (an error)."""
    step = COHORT_PERIODS[by]
    day = mv.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    _check_negative(mv, int(rows["negative"].sum()) if len(rows) else 0)
    last = int(np.datetime64(day.date(), "M").astype(np.int64)) // step
    as_of_day = int((np.datetime64(day.date(), "D") - _EPOCH).astype(np.int64))

    def levels(part: pd.DataFrame):
        if len(part) == 0:
            return levels_from_changes(np.zeros(0, np.int64), 0, last,
                                       np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64),
                                       by, as_of_day)
        cohort = _period_ordinal(part["cohort"], step)
        period = _period_ordinal(part["period"], step)
        cohorts = np.unique(cohort)
        lo = int(cohorts[0])
        n = last - lo + 1
        row = np.searchsorted(cohorts, cohort)
        d_mrr = np.zeros((len(cohorts), n), np.int64)
        d_cust = np.zeros((len(cohorts), n), np.int64)
        np.add.at(d_mrr, (row, period - lo), part["d_mrr"].to_numpy(dtype=np.int64))
        np.add.at(d_cust, (row, period - lo), part["d_cust"].to_numpy(dtype=np.int64))
        return levels_from_changes(cohorts, lo, last, d_mrr, d_cust, by, as_of_day)

    if "segment" not in rows.columns:
        return levels(rows)
    rows = rows.assign(segment=_labels(rows["segment"]).to_numpy())
    return {label: levels(rows[rows["segment"] == label])
            for label in sorted(rows["segment"].unique(), key=natural_key)}


def _first_day(month: int):
    return ibis.date(pd.Period(ordinal=month, freq="M").start_time.date())


def _wanted_months(mv: SqlMovements, pairs) -> dict:
    """``{(start, end): (start month, end month)}`` (month ordinals), checked."""
    as_of_month = _as_of_month(mv)
    wanted = {}
    for start, end in pairs:
        s_month, e_month = _month(start, "start"), _month(end, "end")
        if e_month < s_month:
            raise ValueError(f"end ({end}) is before start ({start})")
        if e_month > as_of_month:
            raise ValueError(f"end ({pd.Period(ordinal=e_month, freq='M')}) is after the data's "
                             f"as_of month ({pd.Period(ordinal=as_of_month, freq='M')})")
        wanted[(start, end)] = (s_month, e_month)
    return wanted


def _movement_based(mv: SqlMovements) -> bool:
    return mv.definitions is not None and mv.definitions.retention == "movements"


def retention_sums_query(mv: SqlMovements, pairs, t: ibis.Table | None = None,
                         keys: Iterable[str] = ()) -> ibis.Table:
    """What NRR and GRR between ``pairs`` of month ends are ratios of, per ``keys``: for the
    ``j``-th pair, ``den_j``, ``net_j`` and ``gross_j``, sums over customers (so the rows of
    several groups add up: a selection of segments is a sum of their rows, with no query).

    ``t`` is ``mv.micros`` (the default) or those movement rows with the ``keys`` columns
    added (e.g. joined with each customer's segment). :func:`retention_of_sums` reads a row.

    Under mrrkit's retention (cohort-based, :func:`mrrkit.nrr`): ``den_j`` is the MRR at the
    start month's end of the customers paying then, ``net_j`` their MRR at the end month's end
    and ``gross_j`` the lesser of the two per customer. Under movement-based retention
    (Baremetrics): ``den_j`` is every customer's MRR at the start, ``net_j`` and ``gross_j``
    the net and the negative-only change of the movements after it (new business left out).
    """
    wanted = _wanted_months(mv, pairs)
    t = mv.micros if t is None else t
    keys = list(keys)
    ends = sorted({m for months in wanted.values() for m in months})

    def last_by(t: ibis.Table) -> dict:
        # Each customer's MRR at the end of every month asked about: its last movement by
        # then, the one whose next movement (if any) is in a later month -- a filter on the
        # movement's own row, no sort per customer (an argmax is one in DuckDB).
        month, next_month = t.day.truncate("M"), t.next_day.truncate("M")
        return {m: (month <= _first_day(m)) & (t.next_day.isnull() | (next_month > _first_day(m)))
                for m in ends}

    def totals(table: ibis.Table, sums: dict) -> ibis.Table:
        sums = {name: _int64(value.sum()) for name, value in sums.items()}
        return table.group_by(keys).aggregate(**sums) if keys else table.aggregate(**sums)

    zero = ibis.literal(0, "int64")
    if _movement_based(mv):
        def inside(t: ibis.Table) -> dict:
            month = t.day.truncate("M")
            return {j: (month > _first_day(s)) & (month <= _first_day(e)) & (t.kind != NEW)
                    for j, (s, e) in enumerate(wanted.values())}

        rows = t.filter(ibis.or_(*last_by(t).values(), *inside(t).values()))
        at, within, change = last_by(rows), inside(rows), rows.after - rows.before
        sums = {}
        for j, (s_month, _) in enumerate(wanted.values()):
            # (every sum is over movement rows: no step per customer)
            sums[f"den_{j}"] = ibis.ifelse(at[s_month], rows.after, zero)
            sums[f"net_{j}"] = ibis.ifelse(within[j], change, zero)
            sums[f"gross_{j}"] = ibis.ifelse(within[j], ibis.least(change, 0), zero)
        return totals(rows, sums)
    rows = t.filter(ibis.or_(*last_by(t).values()))
    at = last_by(rows)
    per = rows.group_by([*keys, "customer_id"]).aggregate(**{
        f"at_{m}": ibis.ifelse(at[m], rows.after, None).max() for m in ends})
    sums = {}
    for j, (s_month, e_month) in enumerate(wanted.values()):
        s, e = per[f"at_{s_month}"], per[f"at_{e_month}"].fill_null(0)
        base = s.fill_null(0) > 0
        sums[f"den_{j}"] = ibis.ifelse(base, s, 0)
        sums[f"net_{j}"] = ibis.ifelse(base, e, 0)
        sums[f"gross_{j}"] = ibis.ifelse(base, ibis.least(e, s), 0)
    return totals(per, sums)


def retention_of_sums(mv: SqlMovements, pairs, sums: pd.DataFrame) -> dict:
    """``{(start, end): (nrr, grr)}`` from rows of :func:`retention_sums_query` (summed: the
    rows of the groups selected), NaN where there is no MRR to retain."""
    wanted = _wanted_months(mv, pairs)
    out = {}
    for j, pair in enumerate(wanted):
        den, net, gross = (int(sums[f"{name}_{j}"].fillna(0).astype("int64").sum())
                           for name in ("den", "net", "gross"))
        if den == 0:
            out[pair] = (float("nan"), float("nan"))
        elif _movement_based(mv):
            out[pair] = (float((den + net) / den), float((den + gross) / den))
        else:
            out[pair] = (float(net / den), float(gross / den))
    return out


def retention_pairs(data, pairs, definitions=None) -> dict:
    """NRR and GRR between several pairs of month ends in one query: ``{(start, end): (nrr,
    grr)}`` for ``pairs`` of months (as :func:`nrr` takes them)."""
    mv = _movements_of(data, None, definitions)
    pairs = list(pairs)
    if not pairs:
        _wanted_months(mv, pairs)
        return {}
    return retention_of_sums(mv, pairs, retention_sums_query(mv, pairs).to_pandas())


def _retention(data, start, end, capped: bool, definitions=None) -> float:
    net, gross = retention_pairs(data, [(start, end)], definitions)[(start, end)]
    return gross if capped else net


def kpi_pairs(table: pd.DataFrame, month=None) -> list:
    """The (start, end) month pairs whose NRR and GRR the KPIs of ``month`` (None: the
    table's last) show: the 12 months to it, to a month and to a year earlier, where the
    monthly ``table`` reaches back that far."""
    chosen = table.index[-1] if (month is None and len(table)) else month
    pairs = []
    if len(table) and chosen is not None:
        chosen = pd.Period(chosen, freq="M")
        for m in (chosen, chosen - 1, chosen - 12):
            if m in table.index and m - 12 >= table.index[0]:
                pairs.append((m - 12, m))
    return pairs


def kpis(data, month=None, as_of=None, definitions=None, table=None,
         retention=None) -> pd.DataFrame:
    """The home page's headline figures for ``month``, computed in the database
    (:func:`mrrkit.kpis`' frame): two queries, the monthly table (none when ``table``, the
    movements' :func:`monthly`, is given) and the 12-month NRR/GRR at the month, a month and a
    year earlier (none when ``retention``, their :func:`retention_pairs` for
    :func:`kpi_pairs`, is given)."""
    mv = _movements_of(data, as_of, definitions)
    table = monthly(mv) if table is None else table
    chosen = table.index[-1] if (month is None and len(table)) else month
    pairs = kpi_pairs(table, month)
    ratios = retention_pairs(mv, pairs) if retention is None else retention
    if chosen is not None and len(table):
        chosen = pd.Period(chosen, freq="M")

    def retention_of(name: str, start: pd.Period, end: pd.Period) -> float:
        net, gross = ratios[(start, end)]
        return net if name == "nrr_12m" else gross

    return kpi_table(table, chosen, retention_of)


def nrr(data, start, end, definitions=None) -> float:
    """Net revenue retention from the end of month ``start`` to the end of month ``end``,
    computed in the database (:func:`mrrkit.nrr`; one row fetched)."""
    return _retention(data, start, end, capped=False, definitions=definitions)


def grr(data, start, end, definitions=None) -> float:
    """Gross revenue retention from the end of month ``start`` to the end of month ``end``,
    computed in the database (:func:`mrrkit.grr`; one row fetched)."""
    return _retention(data, start, end, capped=True, definitions=definitions)
