"""The Scenarios page on a warehouse source (issue 16): the retention fits, the cohort survivors,
the forecast inputs, the backtest and a scenario's scope computed in the warehouse by
:mod:`mrrkit.sql.forecast`, which fetches sums only (a row per cohort and age, per age, per
window month and age band), never a customer's row; the models finish them as they finish the
pandas engine's (:mod:`ui.views` dispatches here).

The sums (:func:`mrrkit.sql.forecast_sums_query`: first lives, paying customers by age, the
revenue weights, the window's bands) are computed once per day, definitions and selection and
shared by the fits, the survivors and the forecast; with a store they are kept in it, as the
Overview's month sums are (:func:`ui.warehouse._fetched`), and a filter on one dimension sums
its labels' rows. Every result is cached (``st.cache_data``) on the source's key, the as-of
day, the definitions, the filters and the page's choices, like :mod:`ui.warehouse`'s; the
queries hold its lock.
"""

from __future__ import annotations

import json

import streamlit as st

from . import warehouse as wh

__all__ = ["backtest", "cohort_survivors", "forecast_inputs", "retention_fits", "scope_masses"]

#: The kinds of sums the Scenarios page is finished from (:func:`mrrkit.sql.forecast_sums_query`).
KINDS = ("lives", "paying", "weights", "bands")


def _arguments(data: wh.WarehouseData) -> tuple:
    return (data.source.key, wh._frozen(wh.settings()), f"{data.as_of:%Y-%m-%d}",
            data.definitions, data.filters)


def _labels(key: str, frozen: str, dimension: str):
    """Each customer's label of ``dimension`` (the filters' table,
    :func:`ui.warehouse._label_table`) as :mod:`mrrkit.sql.forecast` takes a segment."""
    table = wh._label_table(key, frozen)
    return table.select(segment_customer=table.customer_id, segment=table[f"dim_{dimension}"])


def _last(key: str, frozen: str, as_of: str, definitions: str) -> int:
    from mrrkit.sql.forecast import last_complete_month

    return last_complete_month(wh._everyone(key, frozen, as_of, definitions))


@st.cache_data(show_spinner=False, max_entries=64)
def _label_rows(key: str, frozen: str, as_of: str, definitions: str, kind: str, last: int,
                months: tuple | None, dimension: str):
    """The rows of one kind of sums per label of ``dimension``, of every customer (kept in the
    store when there is one): a filter on that dimension alone, or a scenario scoped to one of
    its labels, is a sum of its labels' rows."""
    from mrrkit.sql.forecast import forecast_sums_query
    from mrrkit.sql.views import _labels as text_labels

    everyone = wh._everyone(key, frozen, as_of, definitions)
    query = forecast_sums_query(kind, everyone, last, _labels(key, frozen, dimension), months)
    with wh._LOCK:
        rows = wh._fetched(key, frozen, query, "forecast",
                           wh._sums_tag(as_of, definitions, kind, str(last), json.dumps(months),
                                        dimension))
    return rows.assign(segment=text_labels(rows["segment"]).to_numpy())


@st.cache_data(show_spinner=False, max_entries=64)
def _sums(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, kind: str,
          last: int, months: tuple | None):
    """One kind of sums of the selected customers, finished
    (:func:`mrrkit.sql.forecast_sums_of_rows`): every customer's kept in the store when there
    is one; with a store, of a filter on one dimension, a sum of its labels' rows
    (:func:`_label_rows`); else one query of the selected customers' movements.

    Only with a store: every label's sums take 2.5 times as long as one label's (52-58 s
    against about 20 s at 10M customers, the join with the labels in each of four queries),
    which pays once the store keeps them (and ``make warm`` computes them offline), but not
    for a server that forgets them when it stops."""
    from mrrkit.sql.forecast import forecast_sums_of_rows, forecast_sums_query

    if len(filters) == 1 and wh._stored(frozen):
        (dimension, chosen), = filters
        rows = _label_rows(key, frozen, as_of, definitions, kind, last, months, dimension)
        rows = rows[rows["segment"].isin([str(v) for v in chosen])].drop(columns="segment")
        return forecast_sums_of_rows(kind, rows, last, months)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    query = forecast_sums_query(kind, mv, last, None, months)
    with wh._LOCK:
        if filters:
            rows = query.to_pandas()
        else:
            rows = wh._fetched(key, frozen, query, "forecast",
                               wh._sums_tag(as_of, definitions, kind, str(last),
                                            json.dumps(months)))
    return forecast_sums_of_rows(kind, rows, last, months)


def _lives(key: str, frozen: str, as_of: str, definitions: str, filters: tuple):
    return _sums(key, frozen, as_of, definitions, filters, "lives",
                 _last(key, frozen, as_of, definitions), None)


@st.cache_data(show_spinner=False, max_entries=32)
def _fits(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
          dimension: str | None, values: tuple, cohorts: tuple | None) -> tuple:
    import mrrkit.sql

    table = wh._monthly(key, frozen, as_of, definitions, filters)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    if dimension is None:
        lives = _lives(key, frozen, as_of, definitions, filters)
        return mrrkit.sql.fit_segments(mv, cohorts=cohorts, table=table, lives=lives)
    pooled = _fits(key, frozen, as_of, definitions, filters, None, (), cohorts)[0]
    labels = _labels(key, frozen, dimension)
    with wh._LOCK:
        return mrrkit.sql.fit_segments(mv, labels, list(values), cohorts, pooled=pooled)


def retention_fits(data: wh.WarehouseData, dimension: str | None, values: tuple,
                   cohorts: tuple | None) -> tuple:
    """The selected customers' retention fit, then (``dimension``) one per label of
    ``values``, on ``cohorts`` (None: all)."""
    return _fits(*_arguments(data), dimension, tuple(values), cohorts)


def cohort_survivors(data: wh.WarehouseData):
    """First-life survivors by cohort and age, as shares of each cohort."""
    return _lives(*_arguments(data)).survivors(normalize=True)


@st.cache_data(show_spinner=False, max_entries=16)
def _inputs(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, method: str,
            horizon: int):
    import mrrkit.sql

    table = wh._monthly(key, frozen, as_of, definitions, filters)
    mv = wh._movements(key, frozen, as_of, definitions, filters)

    def sums(kind: str, last: int, months):
        months = None if months is None else tuple(int(m) for m in months)
        return _sums(key, frozen, as_of, definitions, filters, kind, int(last), months)

    # (no lock here: with the table and the sums given, it runs no query of its own)
    return mrrkit.sql.forecast_inputs(mv, method=method, horizon=horizon, table=table, sums=sums)


def forecast_inputs(data: wh.WarehouseData, method: str, horizon: int):
    """:func:`mrrkit.scenario_inputs` of the selected customers (no customer in them: the
    paying customers' sums by age)."""
    return _inputs(*_arguments(data), method, horizon)


@st.cache_data(show_spinner=False, max_entries=16)
def _backtest(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, method: str):
    import mrrkit.sql

    table = wh._monthly(key, frozen, as_of, definitions, filters)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.backtest(mv, horizon=12, method=method, table=table)


def backtest(data: wh.WarehouseData, method: str):
    return _backtest(*_arguments(data), method)


@st.cache_data(show_spinner=False, max_entries=32)
def _scopes(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
            dimension: str) -> dict:
    import mrrkit.sql
    from mrrkit.sql.forecast import forecast_sums_of_rows

    last = _last(key, frozen, as_of, definitions)
    if not filters and wh._stored(frozen):  # the rows a filter on the dimension sums (_sums)
        rows = _label_rows(key, frozen, as_of, definitions, "paying", last, None, dimension)
        return forecast_sums_of_rows("paying", rows, last)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    labels = _labels(key, frozen, dimension)
    with wh._LOCK:
        return mrrkit.sql.paying_by_age(mv, last, segment=labels)


def scope_masses(data: wh.WarehouseData, dimension: str, value: str):
    """The selected customers with ``value`` of ``dimension`` paying at the last complete
    month, by age (:class:`mrrkit.models.forecast_inputs.AgeMasses`; none paying: zeros)."""
    import numpy as np

    from mrrkit.models.forecast_inputs import AgeMasses

    found = _scopes(*_arguments(data), dimension).get(str(value))
    return found if found is not None else AgeMasses(np.zeros(1, np.int64),
                                                     np.zeros(1, np.int64))


def warm(key: str, frozen: str, as_of: str, definitions: str, dimensions) -> None:
    """Compute the Scenarios page's sums of every customer and per label of each of
    ``dimensions`` (what its first visit and a filter on one dimension read): for
    :func:`ui.warehouse.warm`."""
    import mrrkit
    from mrrkit.engine.monthly import period
    from mrrkit.models.forecast_inputs import window_months, window_rows

    last = _last(key, frozen, as_of, definitions)
    table = wh._monthly(key, frozen, as_of, definitions, ())
    upto = table.loc[: period(last)] if len(table) else table
    try:
        months = tuple(int(m) for m in window_months(window_rows(upto, 12)))
    except mrrkit.ForecastError:  # too short to project: nothing to keep for it
        return
    for kind in KINDS:
        wanted = months if kind == "bands" else None
        _sums(key, frozen, as_of, definitions, (), kind, last, wanted)
        for dimension in dimensions:
            _label_rows(key, frozen, as_of, definitions, kind, last, wanted, dimension)
