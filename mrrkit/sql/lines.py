"""Canonical lines as a database table: checked, typed, with money in integer micros, and
adjusted as another tool's definitions read them.

The table a warehouse holds is read as it is (nothing is copied out of the database): its
columns are renamed to the canonical names (``columns=``, as for uploads), typed (ids as text,
dates as dates, ``mrr`` to integer micros rounded as :func:`mrrkit.validate_lines` rounds them)
and checked by one aggregate query that says which column is at fault.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from ..engine.definitions import Definitions
from ..engine.lines import ENGINE_DATES, LINE_COLUMNS, LINE_DATES, LINE_DISCOUNTS, MICROS

__all__ = ["adjust_lines", "default_as_of", "lines_table", "micros"]

#: The column of integer micros :func:`lines_table` adds (the ``mrr`` column stays as it was).
MICROS_COLUMN = "mrr_micros"


def micros(amount: ibis.expr.types.NumericValue) -> ibis.expr.types.IntegerValue:
    """An amount in integer millionths, rounded half to even as ``numpy.rint`` rounds (SQL's
    ``ROUND`` rounds halves away from zero, which would make a different cent on exact halves);
    an amount of at most a millionth is 0, as :func:`mrrkit.validate_lines` makes it.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"x": [0.0000025, 1.5e-6, 2.0, -0.0000025, 5e-7]})
    >>> t.select(m=micros(t.x)).to_pandas()["m"].tolist()
    [2, 2, 2000000, -2, 0]
    """
    x = amount.cast("float64") * float(MICROS)
    floor = x.floor().cast("int64")
    rest = x - floor.cast("float64")  # (exact: x and its floor are within one binade)
    odd = (floor % 2) != 0
    up = ibis.ifelse((rest > 0.5) | ((rest == 0.5) & odd), 1, 0)
    tiny = amount.cast("float64").abs() <= 1.0 / MICROS
    return ibis.ifelse(tiny, 0, floor + up).cast("int64")


def _as_date(column: ibis.Value, name: str) -> ibis.Value:
    """A date, timestamp or ISO text column as dates (the day of a timestamp, as the pandas
    engine drops its time)."""
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    if kind.is_string():
        return column.cast("date")
    if kind.is_null():
        return column.cast("date")
    raise ValueError(f"column {name!r} must hold dates (date, timestamp or ISO text), "
                     f"got type {kind}")


def lines_table(table: ibis.Table, columns: Mapping[str, str] | None = None,
                check: bool = True) -> ibis.Table:
    """A database table of billing lines as canonical lines for :mod:`mrrkit.sql`.

    Parameters
    ----------
    table : ibis Table
        One row per subscription line: ``customer_id, start, end, mrr`` (``end`` NULL while the
        line runs), any attribute columns (segments), and optionally the line dates
        (:data:`mrrkit.LINE_DATES`), ``billing_status`` and the discounts
        (:data:`mrrkit.LINE_DISCOUNTS`) that other tools' definitions read.
    columns : mapping, optional
        Canonical name -> the table's column (``{"customer_id": "account", "mrr": "amount"}``),
        as the upload mapping gives them; the other columns keep their names.
    check : bool, default True
        Run one aggregate query that refuses what :func:`mrrkit.validate_lines` refuses
        (missing ids or starts, ends before starts, non-finite amounts, starts outside
        1900-2199), naming the column. Without it a bad row gives wrong figures, not an error.

    Returns
    -------
    ibis Table with ``customer_id`` as text, ``start``/``end`` (and the line dates) as dates,
    ``mrr`` as it was and ``mrr_micros`` (int64), plus every other column.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"acct": [7, 8], "start": ["2024-01-01", "2024-02-01"],
    ...                                 "end": [None, "2024-03-01"], "mrr": [10.5, 20.0]}))
    >>> lines_table(t, {"customer_id": "acct"}).to_pandas()[["customer_id", "mrr_micros"]]
      customer_id  mrr_micros
    0           7    10500000
    1           8    20000000
    """
    if not isinstance(table, ibis.Table):
        raise TypeError(f"table must be an ibis Table, got {type(table).__name__}")
    columns = dict(columns or {})
    unknown = [f"{canonical}={name}" for canonical, name in columns.items()
               if name not in table.columns]
    if unknown:
        raise ValueError(f"the mapping names column(s) the table does not have: {unknown} "
                         f"(the table has {list(table.columns)})")
    renamed = {canonical: name for canonical, name in columns.items() if canonical != name}
    if renamed:
        clash = [c for c in renamed if c in table.columns and c not in renamed.values()]
        table = table.drop(*clash) if clash else table
        table = table.rename(renamed)
    missing = [c for c in LINE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"lines lack column(s) {missing}; expected {list(LINE_COLUMNS)} "
                         f"(got {list(table.columns)}): map them with columns=")
    if not table.mrr.type().is_numeric() or table.mrr.type().is_boolean():
        raise ValueError(f"column 'mrr' must be numeric, got type {table.mrr.type()}")
    for name in LINE_DISCOUNTS:
        if name in table.columns and not table[name].type().is_numeric():
            raise ValueError(f"column {name!r} must hold amounts (numbers, NULL where none), "
                             f"got type {table[name].type()}")
    typed = {
        "customer_id": table.customer_id.cast("string"),
        "start": _as_date(table.start, "start"),
        "end": _as_date(table.end, "end"),
        MICROS_COLUMN: micros(table.mrr),
    }
    for name in LINE_DATES:
        if name in table.columns:
            typed[name] = _as_date(table[name], name)
    if "billing_status" in table.columns:
        typed["billing_status"] = table.billing_status.cast("string")
    out = table.mutate(**typed)
    if check:
        _check(out)
    return out


def _check(lines: ibis.Table, **also) -> pd.Series:
    """One aggregate query over the lines; raise naming the column of the first fault. The
    query computes the aggregates ``also`` too (name -> expression): their values are returned
    (a caller that needs other figures of the lines pays for one pass, not two); their names
    must differ from the check's own (``ids, starts, outside, mrr, backwards, total``)."""
    first, last = (ibis.date(d.date()) for d in ENGINE_DATES)
    mrr = lines.mrr.cast("float64")
    counts = lines.aggregate(
        **also,
        ids=lines.customer_id.isnull().sum(),
        starts=lines.start.isnull().sum(),
        outside=((lines.start < first) | (lines.start > last)).sum(),
        mrr=(mrr.isnull() | mrr.isnan() | mrr.isinf()).sum(),
        backwards=(lines.end < lines.start).sum(),
        total=mrr.abs().sum(),
    ).to_pandas().iloc[0]
    faults = (
        ("ids", "column 'customer_id' has missing values in {n} row(s)"),
        ("starts", "column 'start' has missing dates in {n} row(s)"),
        ("outside", ("column 'start' has dates outside 1900-01-01 to 2199-12-31, the dates "
                     "mrrkit computes on, in {n} row(s)")),
        ("mrr", "column 'mrr' has missing or infinite values in {n} row(s)"),
        ("backwards", "column 'end' is before 'start' in {n} row(s)"),
    )
    for key, message in faults:
        n = counts[key]
        if pd.notna(n) and int(n) > 0:
            raise ValueError(message.format(n=int(n)))
    if pd.notna(counts["total"]) and float(counts["total"]) > 9.0e12:
        raise ValueError("column 'mrr' sums to more than 9e12: amounts this large are not supported")
    return counts[list(also)]


def default_as_of(lines: ibis.Table) -> pd.Timestamp:
    """The latest start or end date of the lines: the as-of day when none is given (as
    :func:`mrrkit.movements` takes it). One aggregate query."""
    row = lines.aggregate(start=lines.start.max(), end=lines.end.max()).to_pandas().iloc[0]
    if pd.isna(row["start"]):
        raise ValueError("lines are empty: there is nothing to compute")
    latest = max(pd.Timestamp(row["start"]), pd.Timestamp(row["end"])) if pd.notna(row["end"]) \
        else pd.Timestamp(row["start"])
    if latest > ENGINE_DATES[1]:
        raise ValueError(
            f"column 'end' has dates (e.g. {latest.date()}) outside 1900-01-01 to 2199-12-31; "
            "as_of defaults to the latest date: give as_of, or write no end (NULL) for lines "
            "that never end")
    return latest.normalize()


def _discounts_added_back(lines: ibis.Table, discounts: str) -> ibis.Table:
    names = {"all": (), "recurring": ("one_time_discount",),
             "none": ("recurring_discount", "one_time_discount")}[discounts]
    names = [n for n in names if n in lines.columns]
    if not names:
        return lines
    def amount(name: str):
        # NULL or NaN (Spark keeps pandas' NaN as NaN, and NaN > 0.5 is true there) is none.
        x = lines[name].cast("float64")
        return ibis.ifelse(x.isnull() | x.isnan(), 0.0, x)

    back = sum(amount(n) for n in names)
    return lines.mutate(**{MICROS_COLUMN: micros(lines.mrr.cast("float64") + back)})


def adjust_lines(lines: ibis.Table, definitions: Definitions, as_of: pd.Timestamp) -> ibis.Table:
    """The lines with their ends moved as ``definitions`` say: the rules of
    :func:`mrrkit.engine.adjust.adjust_lines`, as column expressions (churn at the cancellation
    request, pauses kept, delinquency kept or churned after ``N`` days, discounts added back).
    """
    if not definitions.moves_lines:
        return lines
    lines = _discounts_added_back(lines, definitions.discounts)
    end = lines.end
    new_end = end
    cols = lines.columns

    def status(word: str):
        if "billing_status" not in cols:
            return ibis.literal(False)
        return (lines.billing_status == word).fill_null(False)

    def date_col(name: str):
        return lines[name] if name in cols else ibis.null().cast("date")

    if definitions.churn_at == "request":
        asked = date_col("canceled_at")
        earlier = asked.notnull() & (new_end.isnull() | (asked < new_end))
        new_end = ibis.ifelse(earlier.fill_null(False),
                              ibis.ifelse(asked > lines.start, asked, lines.start), new_end)
    if definitions.pauses == "keep":
        paused = status("paused") & (end == date_col("paused_at")).fill_null(False)
        new_end = ibis.ifelse(paused, ibis.null().cast("date"), new_end)
    if definitions.delinquency != "as_read":
        since = date_col("delinquent_since")
        delinquent = status("delinquent") & since.notnull()
        ended_by_it = delinquent & (end == since).fill_null(False)
        if definitions.delinquency == "keep":
            new_end = ibis.ifelse(ended_by_it, ibis.null().cast("date"), new_end)
        else:
            day = ibis.date(pd.Timestamp(as_of).date())
            overdue = delinquent & (day.delta(since, unit="day") > int(definitions.delinquency))
            overdue = overdue.fill_null(False)
            churned = overdue & (new_end.isnull() | (new_end > since)).fill_null(False)
            new_end = ibis.cases((churned, since),
                                 (ended_by_it & ~overdue, ibis.null().cast("date")),
                                 else_=new_end)
    moved = lines.mutate(given_end=lines.end, end=new_end.cast(dt.date))
    return _offsets_ended(moved).drop("given_end")


def _offsets_ended(lines: ibis.Table) -> ibis.Table:
    """The negative lines (discounts, credits) ended with the paid lines they offset, as
    :func:`mrrkit.engine.adjust.adjust_lines` ends them.

    That rule walks a customer's days in order (an ending changes what later days see), which
    no window function expresses; it concerns only the customers with both a negative line and
    a moved end, usually few. Those customers' lines are fetched, the pandas rule settles them,
    and their new ends are joined back (a line is told by its customer, dates and amount:
    identical lines get identical ends)."""
    changed = ~lines.end.identical_to(lines.given_end)
    per_customer = lines.group_by("customer_id").aggregate(
        negative=(lines[MICROS_COLUMN] < 0).any(), moved=changed.any())
    suspects = per_customer.filter(per_customer.negative & per_customer.moved)
    key = ["customer_id", "start", "given_end", "end", MICROS_COLUMN]
    rows = lines.filter(lines.customer_id.isin(suspects.customer_id)).select(*key).to_pandas()
    if len(rows) == 0:
        return lines
    from ..engine.adjust import _offsets_ended as settle

    def days(name: str) -> np.ndarray:
        return pd.to_datetime(rows[name]).to_numpy().astype("datetime64[D]")

    end, new_end = days("given_end"), days("end")
    settled = settle(rows.assign(mrr=rows[MICROS_COLUMN] / MICROS), days("start"), end, new_end,
                     (new_end != end) & ~(np.isnat(new_end) & np.isnat(end)))
    ended = (settled != new_end) & ~(np.isnat(settled) & np.isnat(new_end))
    if not ended.any():
        return lines
    fixes = rows[ended].assign(settled_end=pd.to_datetime(settled[ended])).drop_duplicates()
    fixes = ibis.memtable(fixes.rename(columns={c: f"fix_{c}" for c in key}))
    joined = lines.left_join(fixes, [lines.customer_id == fixes.fix_customer_id,
                                     lines.start == fixes.fix_start,
                                     lines.given_end.identical_to(fixes.fix_given_end),
                                     lines.end.identical_to(fixes.fix_end),
                                     lines[MICROS_COLUMN] == fixes[f"fix_{MICROS_COLUMN}"]])
    end = ibis.ifelse(joined.fix_customer_id.notnull(), joined.settled_end.cast("date"),
                      joined.end)
    return joined.mutate(end=end).select(*lines.columns)
