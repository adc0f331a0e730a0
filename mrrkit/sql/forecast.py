"""The retention model, the forecast and its scenarios on movements that stay in the database.

The models (:mod:`mrrkit.models`) are finished from sums over customers, which these queries
compute where the movements live; only the sums come back (a row per cohort and age, per age,
per window month and age band), never a customer's row:

- :func:`first_lives`: each cohort's first lives by age (customers, first churns, MRR lost, MRR
  at risk as differences along ages): what survival, the sBG fits and their curves are made of
  (:class:`mrrkit.models.retention_fit.FirstLives`);
- :func:`paying_by_age`: the customers paying at the end of a month by age, their MRR and
  number (:class:`mrrkit.models.forecast_inputs.AgeMasses`), per segment for a scenario's scope;
- :func:`window_bands`: the window's expansion, contraction and MRR at risk per month and age
  band (:class:`mrrkit.models.forecast_inputs.WindowBands`);
- :func:`weight_sums`: the size of the revenue-survival bootstrap's draws.

The pandas engine computes the same sums from its arrays and both finish them with the same
functions (:func:`mrrkit.models.forecast_inputs.inputs_of_aggregates`,
:func:`mrrkit.models.segment_fits.fit_of_lives`), so the fits, the projections and their
bootstrap bands (drawn with the same seed) are the pandas engine's exactly.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from ..engine.monthly import period
from ..engine.movements import CHURN, CONTRACTION, EXPANSION, NEW, REACTIVATION
from ..models.forecast import Backtest, _backtest_table, project_baseline
from ..models.forecast_inputs import (
    AGE_BANDS,
    AgeMasses,
    ForecastError,
    ForecastInputs,
    WindowBands,
    check_options,
    inputs_of_aggregates,
    window_months,
    window_rows,
)
from ..models.retention_fit import FirstLives
from ..models.segment_fits import SegmentFit, fit_of_lives
from ..views.segments import natural_key
from .movements import SqlMovements, _int64
from .views import (
    _labels,
    _labels_query,
    _month_sums_query,
    _movements_of,
    monthly,
    monthly_of_rows,
)

__all__ = [
    "backtest",
    "cohort_survivors",
    "first_lives",
    "fit_segments",
    "forecast_inputs",
    "forecast_sums_of_rows",
    "forecast_sums_query",
    "last_complete_month",
    "paying_by_age",
    "weight_sums",
    "window_bands",
]

# A month later than any (a customer's next movement when it has none).
_NEVER = 10**6


def last_complete_month(mv: SqlMovements) -> int:
    """Month ordinal of the movements' last complete month (the as-of month when as-of is its
    last day, else the month before)."""
    as_of = pd.Timestamp(mv.as_of)
    month = pd.Period(as_of, freq="M")
    return month.ordinal if as_of == month.end_time.normalize() else month.ordinal - 1


def _month_number(day) -> ibis.Value:
    """A date's month as a month ordinal (months since January 1970, a pandas Period's)."""
    return ((day.year().cast("int64") - 1970) * 12 + day.month().cast("int64") - 1)


def _last_day(month: int):
    return ibis.date(pd.Period(ordinal=month, freq="M").end_time.date())


def _segment_labels(mv: SqlMovements, segment) -> ibis.Table | None:
    """``segment`` as a table of ``segment_customer, segment``: a column of the lines (a
    customer's latest line decides, as in :func:`mrrkit.sql.segment_monthly`), or such a table
    as it is."""
    if segment is None or isinstance(segment, ibis.Table):
        return segment
    return _labels_query(mv.lines, segment)


def _rows(mv: SqlMovements, last: int, labels: ibis.Table | None) -> tuple[ibis.Table, list]:
    """The movements up to the end of month ``last`` with their month ordinal (``mon``) and
    their next movement's (``next_mon``, far ahead when none), labelled when ``labels``."""
    t = mv.micros
    t = t.filter(t.day <= _last_day(last))
    if labels is not None:
        t = t.inner_join(labels, t.customer_id == labels.segment_customer).drop(
            "segment_customer")
    t = t.mutate(mon=_month_number(t.day),
                 next_mon=_month_number(t.next_day).fill_null(_NEVER))
    return t, ([] if labels is None else ["segment"])


def _lives_rows(mv: SqlMovements, last: int, labels) -> tuple[ibis.Table, list]:
    """Rows of the customers acquired before ``last`` with their cohort, first-churn day,
    first-life duration and whether it ended (as :func:`mrrkit.models.retention_fit.lifetimes`:
    the cohort is the month of the customer's first ``new`` movement, the loss its first
    churn)."""
    t, keys = _rows(mv, last, labels)
    whole = ibis.window(group_by=t.customer_id)
    t = t.mutate(cohort=t.mon.min(where=t.kind == NEW).over(whole),
                 churn_day=t.day.min(where=t.kind == CHURN).over(whole))
    t = t.filter(t.cohort.notnull() & (t.cohort < last))
    churned = t.churn_day.notnull()
    duration = ibis.ifelse(churned, ibis.greatest(_month_number(t.churn_day) - t.cohort, 1),
                           last - t.cohort)
    return t.mutate(duration=duration, gone=churned.cast("int64")), keys


def _lives_query(mv: SqlMovements, last: int, labels) -> ibis.Table:
    t, keys = _lives_rows(mv, last, labels)
    zero = ibis.literal(0, "int64")

    def part(rows, age, size=zero, lost=zero, lost_micros=zero, risk=zero):
        return rows.select(*keys, cohort=rows.cohort, age=age.cast("int64"), size=size,
                           lost=lost, lost_micros=_int64(lost_micros), risk=_int64(risk))

    one = ibis.literal(1, "int64")
    first = t.filter(t.prev_day.isnull())  # one row per customer
    loss = t.filter((t.kind == CHURN) & (t.day == t.churn_day))
    # MRR at the end of a month (its customer's last movement that month) holds until the
    # month of the next movement; it weighs the ages from that month's to the last one at risk
    # before the loss, as +MRR at the first age and -MRR after the last.
    ends = t.filter((t.next_mon != t.mon) & (t.after != 0))
    ends = ends.mutate(lo=ibis.greatest(ends.mon - ends.cohort + 1, 1),
                       hi=ibis.least(ends.next_mon - ends.cohort, ends.duration - ends.gone))
    ends = ends.filter(ends.lo <= ends.hi)
    parts = [
        part(first, zero, size=one),
        part(loss, loss.duration, lost=one, lost_micros=loss.before, risk=loss.before),
        part(loss, loss.duration + 1, risk=-loss.before),
        part(ends, ends.lo, risk=ends.after),
        part(ends, ends.hi + 1, risk=-ends.after),
    ]
    both = ibis.union(*parts, distinct=False)
    return both.group_by([*keys, "cohort", "age"]).aggregate(
        **{name: _int64(both[name].sum()) for name in ("size", "lost", "lost_micros", "risk")})


def _lives_of(rows: pd.DataFrame, last: int, months=None) -> FirstLives:
    return FirstLives.of_cells(
        last, rows["cohort"].to_numpy(np.int64), rows["size"].to_numpy(np.int64),
        rows["cohort"].to_numpy(np.int64), rows["age"].to_numpy(np.int64),
        rows["lost"].to_numpy(np.int64), rows["lost_micros"].to_numpy(np.int64),
        rows["risk"].to_numpy(np.int64))


def first_lives(data, last: int | None = None, segment=None, as_of=None, definitions=None):
    """Every cohort's first lives by age at the last complete month, computed in the database:
    one query whose result has a row per cohort and age (per segment).

    Parameters
    ----------
    data : SqlMovements or ibis Table
        :func:`mrrkit.sql.movements`, or canonical lines.
    last : int, optional
        Month ordinal of the last complete month (default: the movements').
    segment : str or ibis Table, optional
        A column of the lines (a customer's latest line decides), or a table of
        ``segment_customer, segment``: then a dict ``label -> FirstLives``.

    Returns
    -------
    :class:`mrrkit.models.retention_fit.FirstLives` (or a dict of them), the pandas engine's
    :func:`mrrkit.models.retention_fit.first_lives` of the same movements.
    """
    return _sums("lives", data, last, segment, as_of, definitions)


def _empty_lives(last: int) -> FirstLives:
    z = np.zeros(0, np.int64)
    return FirstLives.of_cells(last, z, z, z, z, z, z, z)


def _weights_query(mv: SqlMovements, last: int, labels) -> ibis.Table:
    t, keys = _lives_rows(mv, last, labels)
    weight = ibis.cases(
        ((t.kind == CHURN) & (t.day == t.churn_day), t.before),
        ((t.gone == 0) & (t.next_mon > last), t.after),
        else_=None)
    w = t.select(*keys, w=weight).filter(lambda r: r.w.notnull())
    exact = w.w.cast(dt.Decimal(38, 0))
    sums = {"total": _int64(w.w.sum()), "square": (exact * exact).sum()}
    return w.group_by(keys).aggregate(**sums) if keys else w.aggregate(**sums)


def _weights_of(rows: pd.DataFrame, last: int, months=None) -> tuple[int, int]:
    # (Python integers: a sum of squares of micros needs more than 64 bits.)
    total = sum(int(v) for v in rows["total"] if not pd.isna(v))
    square = sum(int(v) for v in rows["square"] if not pd.isna(v))
    return total, square


def weight_sums(data, last: int | None = None, segment=None) -> tuple[int, int]:
    """The sum of the first lives' MRR when lost (just before the first churn) or last seen
    (at the end of ``last``), in micros, and the sum of its squares, exact (a decimal sum: a
    square of micros overflows 64 bits): the effective size of the revenue-survival sample
    (a dict of them per label with ``segment``)."""
    return _sums("weights", data, last, segment)


def _with_life_start(mv: SqlMovements, last: int, labels) -> tuple[ibis.Table, list]:
    """The rows up to ``last`` with the month their customer's current life started then
    (``life``: its latest ``new`` or ``reactivation`` movement so far)."""
    t, keys = _rows(mv, last, labels)
    so_far = ibis.window(group_by=t.customer_id, order_by=t.day, rows=(None, 0))
    starts = t.kind.isin([NEW, REACTIVATION])
    return t.mutate(life=t.mon.max(where=starts).over(so_far)), keys


def _paying_query(mv: SqlMovements, last: int, labels) -> ibis.Table:
    t, keys = _with_life_start(mv, last, labels)
    now = t.filter((t.next_mon > last) & (t.after > 0))
    now = now.mutate(age=(last - now.life).cast("int64"))
    return now.group_by([*keys, "age"]).aggregate(mrr=_int64(now.after.sum()),
                                                  n=_int64(now.count()))


def _paying_of(rows: pd.DataFrame, last: int, months=None) -> AgeMasses:
    return AgeMasses.of(rows["age"].to_numpy(np.int64), rows["mrr"].to_numpy(np.int64),
                        rows["n"].to_numpy(np.int64))


def paying_by_age(data, last: int | None = None, segment=None, as_of=None, definitions=None):
    """The customers paying at the end of month ``last`` (default: the last complete month) by
    age (months since their current life started), computed in the database: their MRR and
    number, a row per age (per segment).

    Returns
    -------
    :class:`mrrkit.models.forecast_inputs.AgeMasses`, or a dict ``label -> AgeMasses`` with
    ``segment`` (as :func:`first_lives` takes it).
    """
    return _sums("paying", data, last, segment, as_of, definitions)


def _band(age: ibis.Value) -> ibis.Value:
    """The index into :data:`mrrkit.models.forecast_inputs.AGE_BANDS` of an age (0 counts in
    the first band)."""
    age = ibis.greatest(age, 1)
    return ibis.cases(*((age < bound, i) for i, bound in enumerate(AGE_BANDS[1:])),
                      else_=len(AGE_BANDS) - 1)


def _bands_query(mv: SqlMovements, last: int, labels, months) -> ibis.Table:
    first, last = int(months[0]), int(months[-1])
    t, keys = _with_life_start(mv, last, labels)
    ends = t.filter((t.next_mon != t.mon) & (t.after > 0))
    # The MRR at the end of month M - 1 is at risk in window month M.
    ends = ends.mutate(lo=ibis.greatest(ends.mon + 1, first),
                       hi=ibis.least(ends.next_mon, last))
    ends = ends.filter(ends.lo <= ends.hi)
    grid = ibis.memtable({"window_month": np.arange(first, last + 1, dtype=np.int64)})
    spread = ends.cross_join(grid)
    spread = spread.filter((spread.window_month >= spread.lo)
                           & (spread.window_month <= spread.hi))
    # One query for the MRR at risk and the flows (the customers' life starts, a window over
    # their movements, computed once): kind -1 rows are the MRR at risk.
    spread = spread.select(*keys, month=spread.window_month,
                           band=_band(spread.window_month - spread.life),
                           kind=ibis.literal(-1, "int8"), amount=spread.after)
    moved = t.filter(t.kind.isin([EXPANSION, CONTRACTION]) & (t.mon >= first))
    moved = moved.select(*keys, month=moved.mon, band=_band(moved.mon - moved.life),
                         kind=moved.kind.cast("int8"), amount=moved.after - moved.before)
    both = ibis.union(spread, moved, distinct=False)
    return both.group_by([*keys, "month", "band", "kind"]).aggregate(
        amount=_int64(both.amount.sum()), n=_int64(both.count()))


def _bands_of(rows: pd.DataFrame, last: int, months) -> WindowBands:
    first, last = int(months[0]), int(months[-1])
    rows = rows[rows["month"].between(first, last)]
    risk, flows = rows[rows["kind"] == -1], rows[rows["kind"] != -1]
    shape = (last - first + 1, len(AGE_BANDS))

    def grid_of(rows: pd.DataFrame, column: str, sign: int = 1) -> np.ndarray:
        out = np.zeros(shape, np.int64)
        np.add.at(out, (rows["month"].to_numpy(np.int64) - first,
                        rows["band"].to_numpy(np.int64)), sign * rows[column].to_numpy(np.int64))
        return out

    return WindowBands(grid_of(flows[flows["kind"] == EXPANSION], "amount"),
                       grid_of(flows[flows["kind"] == CONTRACTION], "amount", -1),
                       grid_of(risk, "amount"), grid_of(risk, "n"))


def window_bands(data, months, segment=None) -> WindowBands:
    """Per window month (consecutive month ordinals ``months``) and age band, computed in the
    database: expansion, -contraction, MRR at risk (at the end of the month before) of the
    customers paying then, and their number (a dict of them per label with ``segment``)."""
    return _sums("bands", data, int(months[-1]), segment, months=months)


#: The sums the forecast and the retention fits are finished from, by name: the query of each
#: (movements, last complete month, labels or None, window months) and how its rows are
#: finished (rows, last complete month, window months).
_SUMS = {
    "lives": (lambda mv, last, labels, months: _lives_query(mv, last, labels), _lives_of),
    "paying": (lambda mv, last, labels, months: _paying_query(mv, last, labels), _paying_of),
    "weights": (lambda mv, last, labels, months: _weights_query(mv, last, labels), _weights_of),
    "bands": (_bands_query, _bands_of),
}


def forecast_sums_query(kind: str, data, last: int | None = None, segment=None,
                        months=None) -> ibis.Table:
    """The query of one kind of sums the forecast and the retention fits are finished from,
    for a caller that keeps its result (the app's store): ``"lives"`` (:func:`first_lives`),
    ``"paying"`` (:func:`paying_by_age`), ``"weights"`` (:func:`weight_sums`) or ``"bands"``
    (:func:`window_bands` of window ``months``), with a ``segment`` column of labels when
    ``segment`` is given. The rows add up over customers: the sums of some labels are the
    sums of their rows. :func:`forecast_sums_of_rows` finishes them.

    Examples
    --------
    The customers paying at the last complete month, per industry, add up to every paying
    customer:

    >>> import ibis
    >>> import mrrkit, mrrkit.sql
    >>> con = ibis.duckdb.connect()
    >>> lines = mrrkit.sql.lines_table(con.create_table("lines", mrrkit.load_sample()))
    >>> mv = mrrkit.sql.movements(lines, as_of="2026-10-31")
    >>> last = last_complete_month(mv)
    >>> rows = forecast_sums_query("paying", mv, last, segment="industry").to_pandas()
    >>> per_industry = forecast_sums_of_rows("paying", rows, last)
    >>> sum(int(p.customers.sum()) for p in per_industry.values())
    2150
    >>> int(paying_by_age(mv).customers.sum())
    2150
    """
    if kind not in _SUMS:
        raise ValueError(f"kind must be one of {sorted(_SUMS)}, got {kind!r}")
    mv = _movements_of(data, None, None)
    last = last_complete_month(mv) if last is None else int(last)
    if kind == "bands" and months is None:
        raise ValueError("the window bands need the window's months")
    return _SUMS[kind][0](mv, last, _segment_labels(mv, segment), months)


def forecast_sums_of_rows(kind: str, rows: pd.DataFrame, last: int, months=None):
    """The sums of :func:`forecast_sums_query`'s rows (any of them: some labels' rows are
    those labels' sums), as the models take them; a dict per label when the rows have a
    ``segment`` column."""
    finish = _SUMS[kind][1]
    if "segment" not in rows.columns:
        return finish(rows, last, months)
    labels = _labels(rows["segment"])
    rows = rows.assign(segment=labels.to_numpy())
    return {label: finish(rows[rows["segment"] == label], last, months)
            for label in sorted(labels.unique(), key=natural_key)}


def _sums(kind: str, data, last, segment, as_of=None, definitions=None, months=None):
    mv = _movements_of(data, as_of, definitions)
    last = last_complete_month(mv) if last is None else int(last)
    rows = forecast_sums_query(kind, mv, last, segment, months).to_pandas()
    return forecast_sums_of_rows(kind, rows, last, months)


def _inputs_at(mv: SqlMovements, table: pd.DataFrame, last: int, method: str, window: int,
               horizon: int, trend: bool, sums=None) -> ForecastInputs:
    """The forecast inputs at month ``last`` from the monthly table up to it."""
    rows = window_rows(table, window)
    months = window_months(rows)
    if sums is None:
        def sums(kind, last, months):
            return _sums(kind, mv, last, None, months=months)
    return inputs_of_aggregates(table, rows, sums("lives", last, None),
                                sums("paying", last, None), sums("weights", last, None),
                                sums("bands", last, months), method, window, horizon, trend)


def forecast_inputs(data, method: str = "sbg", window: int = 12, horizon: int = 36,
                    trend: bool = True, as_of=None, definitions=None,
                    table: pd.DataFrame | None = None, sums=None) -> ForecastInputs:
    """:func:`mrrkit.forecast_inputs` of movements in the database: four queries of sums
    (first lives, paying customers by age, the window's bands, the revenue weights) and the
    monthly table (none when ``table``, the movements' :func:`mrrkit.sql.monthly`, is given).

    The inputs hold no customer: ``customer_ids``, ``mrr`` and ``age`` are None, the paying
    customers' sums by age are in ``paying``; a scenario's scope is given to
    :func:`mrrkit.project_scenario` as sums too (:func:`paying_by_age` of a segment).

    ``sums(kind, last, months)``, when given, returns the sums of a kind of
    :func:`forecast_sums_query` finished (:func:`forecast_sums_of_rows`) instead of running the
    queries: for a caller that keeps them (the app keeps them in its store).
    """
    check_options(method, window, horizon)
    mv = _movements_of(data, as_of, definitions)
    table = monthly(mv) if table is None else table
    if table.empty:
        raise ForecastError("no movements in the data: there is nothing to project", "empty")
    last = last_complete_month(mv)
    return _inputs_at(mv, table.loc[: period(last)], last, method, window, horizon, trend,
                      sums)


def backtest(data, horizon: int = 12, method: str = "sbg", window: int = 12, trend: bool = True,
             as_of=None, definitions=None, table: pd.DataFrame | None = None) -> Backtest:
    """:func:`mrrkit.backtest` of movements in the database: the forecast inputs of the
    movements up to the end of month ``T - horizon`` (:func:`forecast_inputs` as if it were
    today) against the monthly table (``table`` when given)."""
    check_options(method, window, int(horizon))
    mv = _movements_of(data, as_of, definitions)
    table = monthly(mv) if table is None else table
    last = last_complete_month(mv)
    origin = last - int(horizon)
    if table.empty or table.index[0].ordinal > origin - 1:
        raise ForecastError(
            f"not enough history before {period(origin)} to backtest {horizon} months",
            "too_short",
        )
    cut = pd.Period(ordinal=origin, freq="M").end_time.normalize()
    m = mv.micros
    past = SqlMovements(m.filter(m.day <= ibis.date(cut.date())), cut, mv.definitions, mv.lines)
    inputs = _inputs_at(past, monthly(past).loc[: period(origin)], origin, method, window,
                        int(horizon), trend)
    fc = project_baseline(inputs, int(horizon))
    return _backtest_table(fc, table.loc[period(origin + 1): period(last)], origin)


def cohort_survivors(data, normalize: bool = False, as_of=None,
                     definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.cohort_survivors` of movements in the database (one query of sums)."""
    mv = _movements_of(data, as_of, definitions)
    return first_lives(mv).survivors(normalize)


def fit_segments(data, segment=None, values=None, cohorts=None,
                 pooled: SegmentFit | None = None, table: pd.DataFrame | None = None,
                 lives: FirstLives | None = None, **options) -> tuple[SegmentFit, ...]:
    """:func:`mrrkit.fit_segments` (and :func:`mrrkit.models.segment_fits.fit_attribute`) of
    movements in the database: the pooled fit, then one per label of ``segment``, each from its
    first lives and monthly table (a query of each per segment, sums only).

    Parameters
    ----------
    data : SqlMovements or ibis Table
    segment : str or ibis Table, optional
        As :func:`first_lives` takes it.
    values : list of str, optional
        The labels to fit, in order (a label without movements gets the pooled fit and the flag
        saying why, as :func:`mrrkit.models.segment_fits.fit_attribute` gives it); default:
        the labels found, in natural order.
    cohorts : iterable of months, optional
    pooled : SegmentFit, optional
        The pooled fit when already made (with the same options).
    table : DataFrame, optional
        The movements' :func:`mrrkit.sql.monthly` when already computed.
    lives : FirstLives, optional
        The movements' :func:`first_lives` when already computed (for the pooled fit).
    **options
        :func:`mrrkit.fit_segments`' (``annual_discount``, ``min_customers``...).
    """
    mv = _movements_of(data, None, None)
    last = last_complete_month(mv)
    if pooled is None:
        table = monthly(mv) if table is None else table
        upto = table.loc[: period(last)] if not table.empty else None
        lives = first_lives(mv, last) if lives is None else lives
        pooled = fit_of_lives(lives.pick(cohorts), upto, None, None, **options)
    out = [pooled]
    labels = _segment_labels(mv, segment)
    if labels is None:
        return tuple(out)
    by_label = first_lives(mv, last, labels)
    t = mv.micros
    joined = t.inner_join(labels, t.customer_id == labels.segment_customer).drop(
        "segment_customer")
    sums = _month_sums_query(joined, ["segment"]).to_pandas()
    sums["segment"] = _labels(sums["segment"]).to_numpy()
    if values is None:
        values = sorted(set(by_label) | set(sums["segment"]), key=natural_key)
    for value in values:
        part = sums[sums["segment"] == value]
        upto = None
        if len(part):
            upto = monthly_of_rows(mv, part).loc[: period(last)]
        mine = by_label.get(value, _empty_lives(last)).pick(cohorts)
        out.append(fit_of_lives(mine, upto, str(value), pooled, **options))
    return tuple(out)

