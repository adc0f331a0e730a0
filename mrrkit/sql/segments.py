"""The segment table and the MRR lost by churn reason, computed in the database.

Each is one aggregate query whose result is small: a row per segment (the segment table's sums,
:data:`mrrkit.views.segments.SEGMENT_SUMS`), or per segment, month and reason (the MRR lost);
the pandas engine's own functions finish them (:func:`mrrkit.views.segments.segment_table_of_sums`,
:func:`~mrrkit.views.segments.lost_by_reason_table`), so every rate, interval and test is
defined once for both engines. What is not a sum over customers -- a customer's MRR at the base
and at the period's end, whether it expanded -- is settled per customer inside the query, and
only sums over customers come back (with the second moments the NRR/GRR intervals need, as
exact decimals).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from ..engine.movements import CHURN, EXPANSION
from ..views.retention import _month
from ..views.segments import (
    MISSING,
    SEGMENT_SUMS,
    _as_labels,
    lost_by_month_table,
    lost_by_reason_table,
    natural_key,
    segment_table_of_sums,
)
from .lines import MICROS_COLUMN
from .movements import SqlMovements, _int64
from .views import _as_of_month, _first_day, _labels_query, _movements_of

__all__ = [
    "churn_by_reason", "churn_movements", "churn_reason_by_month", "churn_reason_sums",
    "period_customers", "segment_sums", "segment_table",
]

#: Exact integers of up to 38 digits: a product of two MRRs in micros passes int64 from 3,037
#: currency units, and a sum of a float's squares would depend on the order of the customers.
_WIDE = dt.Decimal(38, 0)


def _period(mv: SqlMovements, start, end) -> tuple[int, int]:
    """The months of ``start..end`` as ordinals, checked as the pandas engine checks them."""
    s, e = _month(start, "start"), _month(end, "end")
    if e < s:
        raise ValueError(f"end ({end}) is before start ({start})")
    as_of_month = _as_of_month(mv)
    if e > as_of_month:
        raise ValueError(f"end ({pd.Period(ordinal=e, freq='M')}) is after the data's as_of "
                         f"month ({pd.Period(ordinal=as_of_month, freq='M')})")
    return s, e


def _segments(mv: SqlMovements, by: str | None, labels: ibis.Table | None) -> ibis.Table:
    """Each customer's segment: ``segment_customer, segment``, from ``labels`` (``customer_id,
    segment``) or the latest line's value of column ``by`` (:func:`mrrkit.sql.segment_monthly`'s
    rule)."""
    if labels is not None:
        return labels.select(segment_customer=labels.customer_id, segment=labels.segment)
    if by is None:
        raise ValueError("give the column to segment by (by=) or the customers' labels")
    return _labels_query(mv.lines, by)


def period_customers(data, start, end, definitions=None) -> ibis.Table:
    """What the segment table of months ``start..end`` reads of each customer, as a query: per
    customer with a movement that matters for the period, ``base`` and ``final`` (its MRR at the
    end of month ``start - 1`` and of ``end``, integer micros, NULL before its first movement),
    ``expanded`` (an expansion movement in the period) and ``expansion``, ``churn`` (its
    expansion and churn amounts in the period).

    It does not depend on the segments: computed (or materialised) once per period, every
    dimension's and selection's :func:`segment_sums` read it (``customers=``).
    """
    mv = _movements_of(data, None, definitions)
    s, e = _period(mv, start, end)
    return _per_customer(mv.micros, s, e)


def _per_customer(t: ibis.Table, s: int, e: int) -> ibis.Table:
    """:func:`period_customers` of movement rows ``t`` and month ordinals ``s..e``."""
    month = t.day.truncate("M")
    next_month = t.next_day.truncate("M")

    def last_by(m: int):  # the customer's last movement by the end of month m
        return (month <= _first_day(m)) & (t.next_day.isnull() | (next_month > _first_day(m)))

    inside = (month >= _first_day(s)) & (month <= _first_day(e))
    t = t.mutate(at_base=last_by(s - 1), at_end=last_by(e),
                 grew=inside & (t.kind == EXPANSION), lost=inside & (t.kind == CHURN))
    t = t.filter(t.at_base | t.at_end | t.grew | t.lost)
    amount = t.after - t.before
    zero = ibis.literal(0, "int64")
    return t.group_by("customer_id").aggregate(
        base=ibis.ifelse(t.at_base, t.after, ibis.null("int64")).max(),
        final=ibis.ifelse(t.at_end, t.after, ibis.null("int64")).max(),
        expanded=t.grew.any(),
        expansion=_int64(ibis.ifelse(t.grew, amount, zero).sum()),
        churn=_int64(ibis.ifelse(t.lost, amount, zero).sum()))


def _sums_query(per: ibis.Table, segments: ibis.Table) -> ibis.Table:
    """:data:`~mrrkit.views.segments.SEGMENT_SUMS` per segment from :func:`period_customers`
    rows: every segment of ``segments`` (those with no customer moving too, as the pandas engine
    lists every label)."""
    j = segments.left_join(per, segments.segment_customer == per.customer_id)
    zero = ibis.literal(0, "int64")
    base, final = j.base.fill_null(zero), j.final.fill_null(zero)
    at = base > 0
    kept = ibis.least(final, base)

    def over_base(value):  # summed over the customers paying at the base
        return ibis.ifelse(at, value, zero)

    def wide(value):
        return over_base(value).cast(_WIDE)

    def count(test):
        return _int64(ibis.ifelse(test, 1, 0).sum())

    sums = {
        "customers": count(final > 0),
        "mrr": _int64(final.sum()),
        "start_customers": count(at),
        "churned": count(at & (final <= 0)),
        "expanded": count(at & j.expanded.fill_null(False)),
        "start_mrr": _int64(over_base(base).sum()),
        "end_mrr": _int64(over_base(final).sum()),
        "kept_mrr": _int64(over_base(kept).sum()),
        # (the cast after the sum too: Ibis would give the sum two decimal places)
        "start_sq": (wide(base) * wide(base)).sum().cast(_WIDE),
        "end_start": (wide(final) * wide(base)).sum().cast(_WIDE),
        "end_sq": (wide(final) * wide(final)).sum().cast(_WIDE),
        "kept_start": (wide(kept) * wide(base)).sum().cast(_WIDE),
        "kept_sq": (wide(kept) * wide(kept)).sum().cast(_WIDE),
        "expansion_mrr": _int64(j.expansion.fill_null(zero).sum()),
        "churned_mrr": _int64(-j.churn.fill_null(zero).sum()),
    }
    return j.group_by("segment").aggregate(**sums)


def _by_label(rows: pd.DataFrame, columns, name: str) -> pd.DataFrame:
    """Fetched rows per raw segment value as rows per label (blanks are one label,
    :data:`~mrrkit.MISSING`), in natural order, Python integers."""
    labels = _as_labels(rows["segment"].reset_index(drop=True)).to_numpy()
    out = {}
    for label in sorted(set(labels), key=natural_key):
        part = rows[labels == label]
        out[label] = {c: sum(int(v) for v in part[c]) for c in columns}
    frame = pd.DataFrame.from_dict(out, orient="index", columns=list(columns)).astype(object)
    frame.index = pd.Index(list(out), dtype="str", name=name)
    return frame


def segment_sums(data, by: str | None, start, end, definitions=None,
                 labels: ibis.Table | None = None,
                 customers: ibis.Table | None = None) -> pd.DataFrame:
    """What the segment table of months ``start..end`` is made of, per segment, computed in the
    database: :func:`mrrkit.views.segments.segment_sums`' frame, from one query whose result
    has a row per segment.

    Parameters
    ----------
    data : SqlMovements or ibis Table
        :func:`mrrkit.sql.movements`, or canonical lines (:func:`mrrkit.sql.lines_table`).
    by : str
        The column of the lines whose value on a customer's latest line is its segment (as
        :func:`mrrkit.sql.segment_monthly` reads it); ignored when ``labels`` is given.
    start, end : month
        The period; the base is the end of month ``start - 1``.
    definitions : Definitions or str, optional
        For lines.
    labels : ibis Table, optional
        ``customer_id, segment``: each customer's segment, computed already (every customer of
        the lines: a segment with no customer moving is a row of zeros).
    customers : ibis Table, optional
        :func:`period_customers` of these movements and months, computed already (a cached
        table, possibly of more customers filtered to some: the rows of a customer are its own).

    Returns
    -------
    DataFrame indexed by segment label (natural order), one column per
    :data:`~mrrkit.views.segments.SEGMENT_SUMS`, Python integers.
    """
    mv = _movements_of(data, None, definitions)
    s, e = _period(mv, start, end)
    per = _per_customer(mv.micros, s, e) if customers is None else customers
    rows = _sums_query(per, _segments(mv, by, labels)).to_pyarrow().to_pandas()
    out = _by_label(rows, SEGMENT_SUMS, by or "segment")
    out.attrs["start"] = pd.Period(ordinal=s, freq="M")
    out.attrs["end"] = pd.Period(ordinal=e, freq="M")
    return out


def segment_table(data, by: str | None, start, end, confidence: float = 0.95,
                  definitions=None, labels: ibis.Table | None = None) -> pd.DataFrame:
    """Per segment: size, MRR, churn, expansion and retention over months ``start..end``, each
    rate with its interval and a test against the rest, computed in the database
    (:func:`mrrkit.segment_table`'s frame, equal to it: one query, a row per segment fetched,
    finished by :func:`mrrkit.views.segments.segment_table_of_sums`).

    Parameters are those of :func:`segment_sums`, and ``confidence`` of the intervals.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> from mrrkit.sql import lines_table
    >>> lines = lines_table(ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-01-05"]),
    ...     "end": pd.to_datetime([None, "2024-03-05", None]),
    ...     "mrr": [100.0, 50.0, 80.0], "plan": ["pro", "basic", "basic"]})))
    >>> segment_table(lines, "plan", "2024-02", "2024-03")[["start_customers", "churn_rate", "nrr"]]
           start_customers  churn_rate       nrr
    plan
    basic                2         0.5  0.615385
    pro                  1         0.0  1.000000
    """
    return segment_table_of_sums(segment_sums(data, by, start, end, definitions, labels),
                                 confidence)


def _reasons_by_end(lines: ibis.Table, column: str) -> ibis.Table:
    """The reason of each (customer, day) some lines end on: that of the largest line ending
    then, billed before and worth something, with a reason (:func:`mrrkit.churn_reasons`' rule;
    ties: the line that started last, then the largest reason, a database table having no row
    order: as :func:`mrrkit.sql.customer_lines` lists a customer's lines, by start)."""
    if column not in lines.columns:
        raise ValueError(f"lines have no {column!r} column to read churn reasons from "
                         f"(got {list(lines.columns)})")
    text = lines[column].cast("string").strip()
    usable = (lines.end.notnull() & (lines.start < lines.end) & (lines[MICROS_COLUMN] > 0)
              & text.notnull() & ~text.isin(["", "nan", MISSING]))
    u = lines.filter(usable)
    w = ibis.window(group_by=[u.customer_id, u.end],
                    order_by=[u[MICROS_COLUMN].desc(), u.start.desc(), u[column].desc()])
    ranked = u.select(reason_customer=u.customer_id, reason_day=u.end, reason=u[column],
                      rank=ibis.row_number().over(w))
    return ranked.filter(ranked["rank"] == 0).drop("rank")


def churn_movements(data, column: str = "churn_reason", definitions=None,
                    lines: ibis.Table | None = None) -> ibis.Table:
    """Every churn movement with its reason, as a query: ``customer_id``, ``month`` (the first
    day of the churn's month), ``lost`` (positive integer micros) and ``reason`` (the raw value
    recorded on the lines that ended with it, NULL for none: :func:`mrrkit.churn_reasons`' rule).

    It does not depend on the segments: computed (or materialised) once, every dimension's and
    selection's :func:`churn_reason_sums` read it (``churns=``). ``lines`` as
    :func:`churn_reason_sums` takes them.
    """
    mv = _movements_of(data, None, definitions)
    t = mv.micros
    churns = t.filter(t.kind == CHURN)
    reasons = _reasons_by_end(mv.lines if lines is None else lines, column)
    j = churns.left_join(reasons, [churns.customer_id == reasons.reason_customer,
                                   churns.day == reasons.reason_day])
    return j.select("customer_id", month=j.day.truncate("M"),
                    lost=_int64(j.before - j.after), reason=j.reason)


def churn_reason_sums(data, by: str | None = None, column: str = "churn_reason",
                      definitions=None, lines: ibis.Table | None = None,
                      labels: ibis.Table | None = None,
                      churns: ibis.Table | None = None) -> pd.DataFrame:
    """The MRR lost to churn per month and churn reason (and segment, with ``by`` or
    ``labels``), computed in the database: one query whose result has a row per (segment,)
    month and reason; :func:`churn_by_reason` and :func:`churn_reason_by_month` slice it.

    A churn's reason is the one recorded on the lines that ended with it
    (:func:`mrrkit.churn_reasons`).

    Parameters
    ----------
    data : SqlMovements or ibis Table
    by : str, optional
        A column of the lines: per segment too (see :func:`segment_sums`).
    column : str
        The lines' churn-reason column.
    definitions : Definitions or str, optional
        For lines.
    lines : ibis Table, optional
        The lines the reasons are read from (default: the movements' own, which another tool's
        definitions adjust; the lines as recorded match the pandas engine's
        ``churn_reasons(lines, movements)``).
    labels : ibis Table, optional
        ``customer_id, segment``, as :func:`segment_sums` takes it.
    churns : ibis Table, optional
        :func:`churn_movements` of these movements, computed already (a cached table, possibly
        of more customers filtered to some).

    Returns
    -------
    DataFrame with ``month`` (a monthly Period), ``reason`` (labels, blanks as
    :data:`mrrkit.MISSING`), ``lost`` (positive integer micros), and ``segment`` when asked.
    """
    mv = _movements_of(data, None, definitions)
    j = churn_movements(mv, column, None, lines) if churns is None else churns
    keys = ["month", "reason"]
    if by is not None or labels is not None:
        segments = _segments(mv, by, labels)
        j = j.inner_join(segments, j.customer_id == segments.segment_customer)
        keys = ["segment", *keys]
    rows = j.group_by(keys).aggregate(lost=_int64(j.lost.sum())).to_pandas()
    rows["month"] = pd.PeriodIndex(pd.to_datetime(rows["month"]), freq="M")
    rows["reason"] = _as_labels(rows["reason"].reset_index(drop=True)).to_numpy()
    if "segment" in rows.columns:
        rows["segment"] = _as_labels(rows["segment"].reset_index(drop=True)).to_numpy()
    rows["lost"] = rows["lost"].astype("int64")
    return rows


def _reason_names(rows: pd.DataFrame, reasons) -> list[str]:
    """The reason columns: ``reasons`` given (every churn's reason of a larger selection), else
    those of every churn of the rows, in natural order."""
    found = set(rows["reason"]) if reasons is None else set(reasons)
    return sorted(found, key=natural_key)


def _slice(rows: pd.DataFrame, s: int, e: int) -> pd.DataFrame:
    ordinal = np.asarray([p.ordinal for p in rows["month"]], dtype=np.int64)
    return rows[(ordinal >= s) & (ordinal <= e)].assign(ordinal=ordinal[(ordinal >= s)
                                                                          & (ordinal <= e)])


def churn_by_reason(data, start, end, by: str | None = None, column: str = "churn_reason",
                    definitions=None, lines: ibis.Table | None = None,
                    labels: ibis.Table | None = None, rows: pd.DataFrame | None = None,
                    groups=None, reasons=None) -> pd.DataFrame:
    """MRR lost to churn movements dated in months ``start..end`` by churn reason (one row
    ``"all"``, or one per segment with ``by`` or ``labels``), computed in the database:
    :func:`mrrkit.churn_by_reason`'s frame with :func:`mrrkit.churn_reasons` of the lines.

    ``rows`` (:func:`churn_reason_sums` of the same movements, segments and reasons) skips the
    query: they hold every month. ``groups``: the segment rows, in order (default: every
    segment of the customers); ``reasons``: the reason columns (default: those of every churn
    of the movements, in natural order).
    """
    mv = _movements_of(data, None, definitions)
    s, e = _period(mv, start, end)
    segmented = by is not None or labels is not None
    if rows is None:
        rows = churn_reason_sums(mv, by, column, None, lines, labels)
    names = _reason_names(rows, reasons)
    if not segmented:
        groups = ["all"]
    elif groups is None:
        segments = _segments(mv, by, labels)
        values = segments.select("segment").distinct().to_pandas()["segment"]
        groups = sorted(set(_as_labels(values.reset_index(drop=True))), key=natural_key)
    groups = list(groups)
    part = _slice(rows, s, e)
    lost = np.zeros((len(groups), len(names)), np.int64)
    g = (np.asarray([groups.index(v) for v in part["segment"]], np.int64) if segmented
         else np.zeros(len(part), np.int64))
    r = np.asarray([names.index(v) for v in part["reason"]], np.int64)
    np.add.at(lost, (g, r), part["lost"].to_numpy(np.int64))
    return lost_by_reason_table(lost, groups, names, (by or "segment") if segmented else "segment",
                                column)


def churn_reason_by_month(data, start, end, column: str = "churn_reason", definitions=None,
                          lines: ibis.Table | None = None, rows: pd.DataFrame | None = None,
                          reasons=None) -> pd.DataFrame:
    """MRR lost to churn each month of ``start..end`` by churn reason, computed in the
    database: :func:`mrrkit.churn_reason_by_month`'s frame with :func:`mrrkit.churn_reasons` of
    the lines. ``rows``, ``reasons``: as :func:`churn_by_reason` takes them (rows without
    segments)."""
    mv = _movements_of(data, None, definitions)
    s, e = _period(mv, start, end)
    if rows is None:
        rows = churn_reason_sums(mv, None, column, None, lines)
    names = _reason_names(rows, reasons)
    part = _slice(rows, s, e)
    lost = np.zeros((e - s + 1, len(names)), np.int64)
    r = np.asarray([names.index(v) for v in part["reason"]], np.int64)
    np.add.at(lost, (part["ordinal"].to_numpy(np.int64) - s, r), part["lost"].to_numpy(np.int64))
    return lost_by_month_table(lost, s, names, column)
