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


@st.cache_data(show_spinner=False, max_entries=16)
def _split(key: str, frozen: str, as_of: str, definitions: str, filters: tuple) -> pd.DataFrame:
    import mrrkit.sql.expansion

    mv = wh._movements(key, frozen, as_of, definitions, filters)
    lines = wh._lines(key, frozen)  # (the source's own: other definitions adjust the movements')
    with wh._LOCK:
        return mrrkit.sql.expansion.expansion_split(mv, lines)


def split(data: wh.WarehouseData) -> pd.DataFrame:
    return _split(*_arguments(data))


@st.cache_data(show_spinner=False, max_entries=32)
def _by_cohort(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
               day: str) -> pd.DataFrame:
    import mrrkit.sql.expansion

    mv = wh._movements(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.expansion.expansion_by_cohort(mv, day)


def by_cohort(data: wh.WarehouseData, day: pd.Timestamp) -> pd.DataFrame:
    return _by_cohort(*_arguments(data), f"{pd.Timestamp(day):%Y-%m-%d}")


@st.cache_data(show_spinner=False, max_entries=32)
def _by_segment(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
                dimension: str, start: str, end: str) -> pd.DataFrame:
    import mrrkit.sql.expansion

    mv = wh._movements(key, frozen, as_of, definitions, filters)
    table = wh._label_table(key, frozen)
    labels = table.select(segment_customer=table.customer_id, segment=table[f"dim_{dimension}"])
    with wh._LOCK:
        out = mrrkit.sql.expansion.expansion_by_segment(mv, labels, start, end)
    out.index.name = dimension
    return out


def by_segment(data: wh.WarehouseData, dimension: str, start: str, end: str) -> pd.DataFrame:
    return _by_segment(*_arguments(data), dimension, start, end)


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
