"""The Expansion page on a warehouse source (issue 16): expansion by cohort and by segment, its
upsell / cross-sell / price-increase split and the plans computed in the warehouse by
:mod:`mrrkit.sql.expansion` (sums only); the customers at the top plan and the lines near their
tier limit fetched as their first rows with their totals (:mod:`ui.views` dispatches here).

Every result is cached (``st.cache_data``) on the source's key, the as-of day, the definitions,
the filters and the page's choices, like :mod:`ui.warehouse`'s; the queries hold its lock.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import warehouse as wh
from .data import default_period
from .warehouse_forecast import _arguments

#: Most rows a listing fetches (the page asks for the rows it shows; a test asks for fewer).
FETCHED_ROWS = 1_000

__all__ = ["by_cohort", "by_segment", "default_top_plans", "line_columns", "near_tier_limit",
           "plan_names", "split", "top_plan_customers"]


def _selected_lines(key: str, frozen: str, filters: tuple):
    """The canonical lines of the selected customers (a semi-join through their labels)."""
    t = wh._lines(key, frozen)
    if not filters:
        return t
    return t.filter(t.customer_id.isin(wh._selected_customers(key, frozen, filters)))


def line_columns(data: wh.WarehouseData) -> frozenset:
    """The columns of the warehouse's lines (canonical names)."""
    return frozenset(wh.lines(data.source).columns)


def _line_columns(key: str, frozen: str) -> frozenset:
    return frozenset(wh._lines(key, frozen).columns)


def _labels(key: str, frozen: str, dimension: str):
    table = wh._label_table(key, frozen)
    return table.select(segment_customer=table.customer_id, segment=table[f"dim_{dimension}"])


@st.cache_data(show_spinner=False, max_entries=64)
def _label_rows(key: str, frozen: str, as_of: str, definitions: str, kind: str, day: str,
                dimension: str) -> pd.DataFrame:
    """Every customer's rows of one kind of sums (:func:`mrrkit.sql.expansion_sums_query`:
    ``"cohorts"`` at ``day``, ``"split"``) per label of ``dimension``, kept in the store: a
    filter on that dimension alone is a sum of its labels' rows."""
    from mrrkit.sql.expansion import expansion_sums_query
    from mrrkit.sql.views import _labels as text_labels

    everyone = wh._everyone(key, frozen, as_of, definitions)
    query = expansion_sums_query(kind, everyone, as_of=day or None, lines=wh._lines(key, frozen),
                                 segment=_labels(key, frozen, dimension))
    with wh._LOCK:
        rows = wh._fetched(key, frozen, query, "expansion",
                           wh._sums_tag(as_of, definitions, kind, day, dimension))
    return rows.assign(segment=text_labels(rows["segment"]).to_numpy())


@st.cache_data(show_spinner=False, max_entries=64)
def _sums(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, kind: str,
          day: str) -> pd.DataFrame:
    """The rows of one kind of sums of the selected customers: every customer's kept in the
    store when there is one; with a store, of a filter on one dimension, its labels' rows
    (:func:`_label_rows`); else one query of the selected customers' movements. (The split
    reads the source's own lines: other definitions adjust the movements'.)"""
    from mrrkit.sql.expansion import expansion_sums_query

    if len(filters) == 1 and wh._stored(frozen):
        (dimension, chosen), = filters
        rows = _label_rows(key, frozen, as_of, definitions, kind, day, dimension)
        return rows[rows["segment"].isin([str(v) for v in chosen])].drop(columns="segment")
    mv = wh._movements(key, frozen, as_of, definitions, filters)
    query = expansion_sums_query(kind, mv, as_of=day or None, lines=wh._lines(key, frozen))
    with wh._LOCK:
        if filters:
            return query.to_pandas()
        return wh._fetched(key, frozen, query, "expansion",
                           wh._sums_tag(as_of, definitions, kind, day))


def split(data: wh.WarehouseData) -> pd.DataFrame:
    from mrrkit.sql.expansion import expansion_of_sums

    return expansion_of_sums("split", _sums(*_arguments(data), "split", ""), data.as_of)


def by_cohort(data: wh.WarehouseData, day: pd.Timestamp) -> pd.DataFrame:
    from mrrkit.sql.expansion import expansion_of_sums

    day = min(pd.Timestamp(day).normalize(), pd.Timestamp(data.as_of))
    return expansion_of_sums("cohorts", _sums(*_arguments(data), "cohorts", f"{day:%Y-%m-%d}"),
                             day)


@st.cache_data(show_spinner=False, max_entries=32)
def _by_segment(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
                dimension: str, start: str, end: str) -> pd.DataFrame:
    """The expansion by label of ``dimension`` of the selected customers: of every customer,
    kept in the store when there is one (a row per label, per period). With a store, a filter
    on ``dimension`` alone keeps the chosen labels' rows of every customer's (a label's
    customers are the same whoever else is selected); another filter is a query of its own."""
    from mrrkit.sql.expansion import expansion_of_sums, expansion_sums_query
    from mrrkit.sql.views import _labels as text_labels

    own = wh._stored(frozen) and len(filters) == 1 and filters[0][0] == dimension
    mv = wh._movements(key, frozen, as_of, definitions, () if own else filters)
    query = expansion_sums_query("segments", mv, segment=_labels(key, frozen, dimension),
                                 start=start, end=end)
    with wh._LOCK:
        if filters and not own:
            rows = query.to_pandas()
        else:
            rows = wh._fetched(key, frozen, query, "expansion",
                               wh._sums_tag(as_of, definitions, "segments", dimension, start,
                                            end))
    if own:
        chosen = [str(v) for v in filters[0][1]]
        rows = rows[text_labels(rows["segment"]).isin(chosen).to_numpy()]
    out = expansion_of_sums("segments", rows, mv.as_of, start, end)
    out.index.name = dimension
    return out


def by_segment(data: wh.WarehouseData, dimension: str, start: str, end: str) -> pd.DataFrame:
    return _by_segment(*_arguments(data), dimension, start, end)


def warm(key: str, frozen: str, as_of: str, definitions: str, dimensions, months) -> None:
    """Compute the Expansion page's sums of every customer (and of each of ``dimensions``'
    labels), at the default reporting period (the last 12 of ``months``): what its first
    visit and a filter on one dimension read (for :func:`ui.warehouse.warm`)."""
    if not len(months):
        return
    start, end = (pd.Period(m, "M") for m in default_period(months))
    day = f"{min(end.end_time.normalize(), pd.Timestamp(as_of)):%Y-%m-%d}"
    lines = _line_columns(key, frozen)
    for kind, when in (("cohorts", day), ("split", "")):
        if kind == "split" and not lines & {"plan", "product", "quantity"}:
            continue  # (the page shows no split)
        _sums(key, frozen, as_of, definitions, (), kind, when)
        for dimension in dimensions:
            _label_rows(key, frozen, as_of, definitions, kind, when, dimension)
    for dimension in dimensions:
        _by_segment(key, frozen, as_of, definitions, (), dimension, str(start - 1), str(end))


@st.cache_data(show_spinner=False, max_entries=8)
def _plans(key: str, frozen: str) -> tuple[list[str], list[str]]:
    import mrrkit.sql.expansion

    from .views import plan_family

    t = wh._lines(key, frozen)
    with wh._LOCK:
        return (mrrkit.sql.expansion.plan_names(t),
                mrrkit.sql.expansion.default_top_plans(t, plan_family))


def plan_names(data: wh.WarehouseData) -> list[str]:
    return _plans(data.source.key, wh._frozen(wh.settings()))[0]


def default_top_plans(data: wh.WarehouseData) -> list[str]:
    return _plans(data.source.key, wh._frozen(wh.settings()))[1]


@st.cache_data(show_spinner=False, max_entries=32)
def _top(key: str, frozen: str, filters: tuple, top: tuple, day: str,
         limit: int) -> pd.DataFrame:
    import mrrkit.sql.expansion

    lines = _selected_lines(key, frozen, filters)
    with wh._LOCK:
        return mrrkit.sql.expansion.top_plan_customers(lines, list(top) or None, day, limit)


def top_plan_customers(data: wh.WarehouseData, top: tuple, day: pd.Timestamp,
                       limit: int) -> pd.DataFrame:
    return _top(data.source.key, wh._frozen(wh.settings()), data.filters, tuple(top),
                f"{pd.Timestamp(day):%Y-%m-%d}", min(int(limit), FETCHED_ROWS))


@st.cache_data(show_spinner=False, max_entries=32)
def _near(key: str, frozen: str, filters: tuple, share: float, day: str,
          limit: int) -> pd.DataFrame:
    import mrrkit.sql.expansion

    lines = _selected_lines(key, frozen, filters)
    with wh._LOCK:
        return mrrkit.sql.expansion.near_tier_limit(lines, share, day, limit)


def near_tier_limit(data: wh.WarehouseData, share: float, day: pd.Timestamp,
                    limit: int) -> pd.DataFrame:
    return _near(data.source.key, wh._frozen(wh.settings()), data.filters, float(share),
                 f"{pd.Timestamp(day):%Y-%m-%d}", min(int(limit), FETCHED_ROWS))
