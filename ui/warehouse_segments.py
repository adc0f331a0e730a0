"""The Segments page on a warehouse source (issue 16): the segment table and the MRR lost by
churn reason computed in the warehouse (:mod:`mrrkit.sql.segments`), a row per label (and
month, reason) fetched, finished by the pandas engine's own functions.

What the page reads of each customer does not depend on the dimension nor the filters: every
customer's figures for a period (:func:`mrrkit.sql.period_customers`) and every churn with its
reason (:func:`mrrkit.sql.churn_movements`) are materialised once (temporary tables), and each
dimension and selection is a join and a group-by of them. Sums add up over customers, so a filter
on the very dimension the page splits by needs no query of its own: the selection's sums are
every customer's, the labels not chosen at zero (as :func:`ui.warehouse._dimension_sums` does for
the monthly table). Every result is cached on the source's key, the day, the definitions, the
filters, the dimension and (the segment table) the period; the MRR lost is fetched for every
month once and sliced per period.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mrrkit.views.segments import segment_table_of_sums

from . import warehouse as wh
from .data import default_period

__all__ = ["lost_by_month", "lost_by_reason", "segment_table"]

#: The lines' churn-reason column (as the Segments page reads it).
REASON = "churn_reason"


def _one_dimension(filters: tuple) -> tuple[str, set[str]] | None:
    """The dimension and labels of filters on a single dimension (None otherwise)."""
    names = {name for name, _ in filters}
    if len(names) != 1:
        return None
    chosen = None
    for _, values in filters:
        chosen = {str(v) for v in values} if chosen is None else chosen & {str(v) for v in values}
    return names.pop(), chosen


def _labels(key: str, frozen: str, dimension: str):
    table = wh._label_table(key, frozen)
    return table.select("customer_id", segment=table[f"dim_{dimension}"])


@st.cache_resource(show_spinner=False, max_entries=2)
def _period_table(key: str, frozen: str, as_of: str, definitions: str, start: str, end: str):
    """Every customer's :func:`mrrkit.sql.period_customers` of a period, materialised: each
    dimension and selection of the period is then a join and a group-by of it."""
    import mrrkit.sql

    table = mrrkit.sql.period_customers(wh._everyone(key, frozen, as_of, definitions), start, end)
    with wh._LOCK:
        return wh._materialised(key, frozen, table, "period",
                                wh._sums_tag(as_of, definitions, start, end) + "_")


@st.cache_resource(show_spinner=False, max_entries=2)
def _churn_table(key: str, frozen: str, as_of: str, definitions: str):
    """Every customer's churns with their reasons (:func:`mrrkit.sql.churn_movements`),
    materialised, the reasons read from the lines as recorded (as an upload's
    :func:`mrrkit.churn_reasons` reads them, whatever the definitions)."""
    import mrrkit.sql

    table = mrrkit.sql.churn_movements(wh._everyone(key, frozen, as_of, definitions), REASON,
                                       lines=wh._lines(key, frozen))
    with wh._LOCK:
        return wh._materialised(key, frozen, table, "churns",
                                wh._sums_tag(as_of, definitions) + "_")


def _of_selected(table, key: str, frozen: str, filters: tuple):
    """The rows of ``table`` (by ``customer_id``) of the customers the filters select."""
    if not filters:
        return table
    return table.filter(table.customer_id.isin(wh._selected_customers(key, frozen, filters)))


@st.cache_data(show_spinner=False, max_entries=64)
def _segment_sums(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
                  dimension: str, start: str, end: str) -> pd.DataFrame:
    """:func:`mrrkit.sql.segment_sums` of the selected customers by label of ``dimension``."""
    import mrrkit.sql

    same = _one_dimension(filters)
    if same is not None and same[0] == dimension:
        out = _segment_sums(key, frozen, as_of, definitions, (), dimension, start, end).copy()
        out.loc[~out.index.isin(list(same[1])), :] = 0
        return out
    customers = _of_selected(_period_table(key, frozen, as_of, definitions, start, end), key,
                             frozen, filters)
    mv = wh._everyone(key, frozen, as_of, definitions)
    labels = _labels(key, frozen, dimension)
    with wh._LOCK:
        sums = mrrkit.sql.segment_sums(mv, None, start, end, labels=labels, customers=customers)
    return sums.rename_axis(dimension)


def segment_table(data: wh.WarehouseData, dimension: str, start: pd.Period,
                  end: pd.Period) -> pd.DataFrame:
    """:func:`mrrkit.segment_table` of the selected customers by label of ``dimension``."""
    sums = _segment_sums(data.source.key, wh._frozen(wh.settings()), f"{data.as_of:%Y-%m-%d}",
                         data.definitions, data.filters, dimension, str(start), str(end))
    return segment_table_of_sums(sums)


@st.cache_data(show_spinner=False, max_entries=64)
def _reason_rows(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
                 dimension: str | None) -> pd.DataFrame:
    """:func:`mrrkit.sql.churn_reason_sums` of the selected customers, every month (per label of
    ``dimension`` when given)."""
    import mrrkit.sql

    same = _one_dimension(filters)
    if same is not None and dimension in (None, same[0]):
        rows = _reason_rows(key, frozen, as_of, definitions, (), same[0])
        rows = rows[rows["segment"].isin(list(same[1]))]
        if dimension is None:
            rows = rows.groupby(["month", "reason"], as_index=False, sort=False)["lost"].sum()
        return rows.reset_index(drop=True)
    churns = _of_selected(_churn_table(key, frozen, as_of, definitions), key, frozen, filters)
    labels = None if dimension is None else _labels(key, frozen, dimension)
    everyone = wh._everyone(key, frozen, as_of, definitions)
    with wh._LOCK:
        return mrrkit.sql.churn_reason_sums(everyone, None, REASON, labels=labels, churns=churns)


def _arguments(data: wh.WarehouseData) -> tuple:
    return data.source.key, wh._frozen(wh.settings()), f"{data.as_of:%Y-%m-%d}", data.definitions


def _reasons(data: wh.WarehouseData) -> list[str]:
    """The reason of every churn of every customer: the columns, whatever the filters (as an
    upload's :func:`ui.views.churn_reasons`, computed for everyone)."""
    return sorted(set(_reason_rows(*_arguments(data), (), None)["reason"]))


def lost_by_reason(data: wh.WarehouseData, dimension: str, start: pd.Period,
                   end: pd.Period) -> pd.DataFrame:
    """:func:`mrrkit.churn_by_reason` of the selected customers by label of ``dimension``."""
    import mrrkit.sql

    key, frozen, day, tag = _arguments(data)
    rows = _reason_rows(key, frozen, day, tag, data.filters, dimension)
    return mrrkit.sql.churn_by_reason(wh._everyone(key, frozen, day, tag), start, end,
                                      labels=_labels(key, frozen, dimension), rows=rows,
                                      groups=data.base.options(dimension),
                                      reasons=_reasons(data), column=REASON).rename_axis(dimension)


def lost_by_month(data: wh.WarehouseData, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    """:func:`mrrkit.churn_reason_by_month` of the selected customers."""
    import mrrkit.sql

    key, frozen, day, tag = _arguments(data)
    rows = _reason_rows(key, frozen, day, tag, data.filters, None)
    return mrrkit.sql.churn_reason_by_month(wh._everyone(key, frozen, day, tag), start, end,
                                            REASON, rows=rows, reasons=_reasons(data))


def warm(key: str, frozen: str, as_of: str, definitions: str, dimensions, months) -> None:
    """Compute the Segments page of every customer at the default reporting period (the last 12
    of ``months``): every customer's figures for the period and churns, kept in the store, and
    each dimension's sums and MRR lost by reason (kept in this process: the server's warmer
    runs in it). For :func:`ui.warehouse.warm`."""
    if not len(months):
        return
    start, end = default_period(months)
    for dimension in dimensions:
        _segment_sums(key, frozen, as_of, definitions, (), dimension, start, end)
    if REASON in dimensions:  # (the page shows the MRR lost by reason)
        _reason_rows(key, frozen, as_of, definitions, (), None)
        for dimension in dimensions:
            _reason_rows(key, frozen, as_of, definitions, (), dimension)
