"""The Scenarios page on a warehouse source (issue 16): the retention fits, the cohort survivors,
the forecast inputs, the backtest and a scenario's scope computed in the warehouse by
:mod:`mrrkit.sql.forecast`, which fetches sums only (a row per cohort and age, per age, per
window month and age band), never a customer's row; the models finish them as they finish the
pandas engine's (:mod:`ui.views` dispatches here).

Every result is cached (``st.cache_data``) on the source's key, the as-of day, the definitions,
the filters and the page's choices, like :mod:`ui.warehouse`'s; the queries hold its lock.
"""

from __future__ import annotations

import streamlit as st

from . import warehouse as wh

__all__ = ["backtest", "cohort_survivors", "forecast_inputs", "retention_fits", "scope_masses"]


def _arguments(data: wh.WarehouseData) -> tuple:
    return (data.source.key, wh._frozen(wh.settings()), f"{data.as_of:%Y-%m-%d}",
            data.definitions, data.filters)


def _labels(key: str, frozen: str, dimension: str):
    """Each customer's label of ``dimension`` (the filters' table,
    :func:`ui.warehouse._label_table`) as :mod:`mrrkit.sql.forecast` takes a segment."""
    table = wh._label_table(key, frozen)
    return table.select(segment_customer=table.customer_id, segment=table[f"dim_{dimension}"])


@st.cache_data(show_spinner=False, max_entries=32)
def _fits(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
          dimension: str | None, values: tuple, cohorts: tuple | None) -> tuple:
    import mrrkit.sql

    pooled = None
    if dimension is not None:  # (before taking the lock: it runs its own queries)
        pooled = _fits(key, frozen, as_of, definitions, filters, None, (), cohorts)[0]
    table = wh._monthly(key, frozen, as_of, definitions, filters)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        if dimension is None:
            return mrrkit.sql.fit_segments(mv, cohorts=cohorts, table=table)
        return mrrkit.sql.fit_segments(mv, _labels(key, frozen, dimension), list(values),
                                       cohorts, pooled=pooled)


def retention_fits(data: wh.WarehouseData, dimension: str | None, values: tuple,
                   cohorts: tuple | None) -> tuple:
    """The selected customers' retention fit, then (``dimension``) one per label of
    ``values``, on ``cohorts`` (None: all)."""
    return _fits(*_arguments(data), dimension, tuple(values), cohorts)


@st.cache_data(show_spinner=False, max_entries=16)
def _survivors(key: str, frozen: str, as_of: str, definitions: str, filters: tuple):
    import mrrkit.sql

    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.cohort_survivors(mv, normalize=True)


def cohort_survivors(data: wh.WarehouseData):
    """First-life survivors by cohort and age, as shares of each cohort."""
    return _survivors(*_arguments(data))


@st.cache_data(show_spinner=False, max_entries=16)
def _inputs(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, method: str,
            horizon: int):
    import mrrkit.sql

    table = wh._monthly(key, frozen, as_of, definitions, filters)
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.forecast_inputs(mv, method=method, horizon=horizon, table=table)


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

    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.paying_by_age(mv, segment=_labels(key, frozen, dimension))


def scope_masses(data: wh.WarehouseData, dimension: str, value: str):
    """The selected customers with ``value`` of ``dimension`` paying at the last complete
    month, by age (:class:`mrrkit.models.forecast_inputs.AgeMasses`; none paying: zeros)."""
    import numpy as np

    from mrrkit.models.forecast_inputs import AgeMasses

    found = _scopes(*_arguments(data), dimension).get(str(value))
    return found if found is not None else AgeMasses(np.zeros(1, np.int64),
                                                     np.zeros(1, np.int64))
