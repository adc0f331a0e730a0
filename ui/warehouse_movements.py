"""The Movements page and the Overview's "What changes" on a warehouse source (issue 16): the
same tables as for the lines uploaded, from small results only.

- The bridge: the amounts and levels of the monthly table already fetched, and one aggregate
  query (a row per kind: the distinct customers and the movements of the period).
- A listing (the movements behind a bridge step or a cell, the customers behind a level) can
  hold millions of rows at 10M customers: its size is one aggregate query, and only the rows
  the screen shows are fetched (``ORDER BY |amount| DESC LIMIT n``), with the customers' labels
  joined in the same query (:func:`ui.warehouse._label_table`: the labels the filters use).
- The lines that changed with each listed movement, its churn reason and a customer's trail:
  the lines of just those customers are fetched and the pandas engine's own functions run on
  them (:func:`mrrkit.sql.customer_lines`): a customer's movements depend on its own lines only,
  so these are exactly the upload's.
- A listing's download is computed when its button is clicked: its first
  :data:`DOWNLOAD_ROWS` rows (the largest), the page saying so when the listing is longer.
- "What changes": the headline figures of the two definitions from their cached monthly tables
  and KPIs (:func:`mrrkit.views.compare.figures_of`), the customers reclassified counted in the
  warehouse (:func:`mrrkit.sql.reclassified`).

Every query holds :data:`ui.warehouse._LOCK`; results are cached on plain arguments as in
:mod:`ui.warehouse`.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

import mrrkit

from . import audit, warehouse
from .format import number_format
from .i18n import text

__all__ = [
    "DOWNLOAD_ROWS", "SCREEN_ROWS", "attribute_names", "bridge", "customer_lines", "customer_trail",
    "definitions_effect", "listing_download", "listing_screen", "listing_size",
    "reclassified_count",
]

#: The rows of a listing a screen shows (the Movements page's), fetched with its size.
SCREEN_ROWS = 500
#: The rows a listing's download holds on a warehouse source (the largest first). A download is
#: built in memory (CSV or Excel) when its button is clicked: a hundred thousand movements with
#: their lines take a few seconds and some 30 MB; a longer listing stays in the warehouse (the
#: page says so), where a query gives all of it.
DOWNLOAD_ROWS = 100_000


def _arguments(data: warehouse.WarehouseData) -> tuple[str, str, str, str]:
    return (data.source.key, warehouse._frozen(warehouse.settings()), f"{data.as_of:%Y-%m-%d}",
            data.definitions)


def attribute_names(data: warehouse.WarehouseData) -> list[str]:
    """The customer attributes a listing shows: the segment dimensions (the churn reason is
    per churn, not per customer), as :func:`ui.views.attributes_shown` for an upload."""
    return [d for d in data.base.dimensions if d != "churn_reason"]


# --- the bridge -----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _bridge(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, start: str,
            end: str) -> pd.DataFrame:
    import mrrkit.sql

    table = warehouse._monthly(key, frozen, as_of, definitions, filters)
    mv = warehouse._movements(key, frozen, as_of, definitions, filters)
    with warehouse._LOCK:
        return mrrkit.sql.bridge(mv, start, end, table=table)


def bridge(data: warehouse.WarehouseData, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    """:func:`mrrkit.mrr_bridge` of the selected customers over months ``start..end``."""
    return _bridge(*_arguments(data), data.filters, str(start), str(end))


# --- listings -------------------------------------------------------------------------------


def _labels(key: str, frozen: str, dims: tuple[str, ...]):
    """The customers' labels in ``dims``, an ibis table keyed by ``customer_id`` (None: no
    dimension)."""
    table = warehouse._label_table(key, frozen) if dims else None
    if table is None:
        return None
    return table.select("customer_id", **{d: table[f"dim_{d}"] for d in dims})


def _fetch(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, kind: str,
           first: str, last: str, limit: int, dims: tuple[str, ...]):
    """The :class:`mrrkit.sql.Listing` of a figure: ``kind`` a movement kind (the movements of
    months ``first..last``) or ``mrr_start``/``mrr_end`` (the customers paying at the end of
    the month before ``first`` / of ``last``), its first ``limit`` rows with the labels."""
    import mrrkit.sql

    mv = warehouse._movements(key, frozen, as_of, definitions, filters)
    columns = _labels(key, frozen, dims)
    with warehouse._LOCK:
        if kind in mrrkit.BRIDGE_STEPS:
            return mrrkit.sql.movement_listing(mv, kind, first, last, limit, columns)
        at = pd.Period(first, "M") - 1 if kind == "mrr_start" else pd.Period(last, "M")
        return mrrkit.sql.paying_listing(mv, at, limit, columns)


_listing = st.cache_data(show_spinner=False, max_entries=64)(_fetch)


@st.cache_data(show_spinner=False, max_entries=256)
def _customer_lines(key: str, frozen: str, customers: tuple[str, ...]) -> pd.DataFrame:
    import mrrkit.sql

    lines = warehouse._lines(key, frozen)
    with warehouse._LOCK:
        return mrrkit.sql.customer_lines(lines, customers)


#: Per source, the customers whose lines were fetched last for several (a listing's) and those
#: lines: a trail picked in that listing reads its customer's lines here, where a fetch would
#: scan every line again (0.1-0.3 s at 1M customers, growing with the lines). Read-only frames.
_LAST_FETCHED: dict[tuple[str, str], tuple[frozenset, pd.DataFrame]] = {}
_LAST_LOCK = threading.Lock()  # (sessions run in threads)


def customer_lines(data: warehouse.WarehouseData, customers) -> pd.DataFrame:
    """The lines of ``customers`` (a few ids), as the upload's (:func:`ui.views.customer_lines`)."""
    key, frozen, _, _ = _arguments(data)
    ids = tuple(sorted({str(c) for c in customers}))
    with _LAST_LOCK:
        ids_fetched, fetched = _LAST_FETCHED.get((key, frozen), (frozenset(), None))
    if fetched is not None and ids_fetched.issuperset(ids):
        # (The same rows in the same order as their own fetch: lines come by customer.)
        return fetched[fetched["customer_id"].isin(ids)].reset_index(drop=True)
    out = _customer_lines(key, frozen, ids)
    if len(ids) > 1:
        with _LAST_LOCK:
            if len(_LAST_FETCHED) >= 8:  # a few sources at most: the oldest goes
                _LAST_FETCHED.pop(next(iter(_LAST_FETCHED)))
            _LAST_FETCHED[(key, frozen)] = (frozenset(ids), out)
    return out


def _listing_of(data: warehouse.WarehouseData, kind: str, first: pd.Period, last: pd.Period,
                limit: int, cached: bool = True):
    fetch = _listing if cached else _fetch
    return fetch(*_arguments(data), data.filters, kind, str(first), str(last), int(limit),
                 tuple(attribute_names(data)))


def listing_size(data: warehouse.WarehouseData, kind: str, first: pd.Period,
                 last: pd.Period) -> tuple[int, float]:
    """How many rows a figure's listing has and what they add up to (their amount or MRR):
    they come with the rows a screen shows (:data:`SCREEN_ROWS`), one cached listing."""
    listing = _listing_of(data, kind, first, last, SCREEN_ROWS)
    return listing.count, listing.total


def _with_lines(data: warehouse.WarehouseData, rows: pd.DataFrame, lang: str,
                kind: str) -> pd.DataFrame:
    """Movement ``rows`` (``customer_id`` a column) with the churn reason recorded on the lines
    that ended each churn and the text of the lines that changed with each, from those
    customers' lines (:func:`mrrkit.churn_reasons`, :func:`ui.audit.with_lines` on them)."""
    import mrrkit.sql

    if len(rows) > 1000:  # a download's: fetched once, not cached
        key, frozen, _, _ = _arguments(data)
        table = warehouse._lines(key, frozen)
        with warehouse._LOCK:
            lines = mrrkit.sql.customer_lines(table, rows["customer_id"])
    else:
        lines = customer_lines(data, rows["customer_id"])
    if kind == "churn" and "churn_reason" in lines.columns and len(rows):
        moved = mrrkit.Movements.from_frame(rows[list(mrrkit.MOVEMENT_COLUMNS)], data.as_of)
        reasons = mrrkit.churn_reasons(lines, moved)
        keys = pd.MultiIndex.from_arrays([rows["customer_id"], rows["date"]])
        rows = rows.assign(reason=reasons.reindex(keys).to_numpy())
    return audit.with_lines(lines, audit.line_index(lines), rows, text(lang),
                            number_format(lang, data.source.currency))


def listing_screen(data: warehouse.WarehouseData, kind: str, first: pd.Period, last: pd.Period,
                   lang: str, shown: int) -> pd.DataFrame:
    """The first ``shown`` rows of a figure's listing, as :func:`ui.views.listing_screen` gives
    them for an upload: indexed by ``customer_id``; a movement's with its lines (and its churn
    reason), a level's with the customer's MRR; the customers' labels."""
    rows = _listing_of(data, kind, first, last, shown).rows
    if kind not in mrrkit.BRIDGE_STEPS:
        return rows
    return _with_lines(data, rows, lang, kind).set_index("customer_id")


def listing_download(data: warehouse.WarehouseData, kind: str, first: pd.Period,
                     last: pd.Period, lang: str) -> pd.DataFrame:
    """A figure's listing for its download: its first :data:`DOWNLOAD_ROWS` rows, computed now
    (a button's click), not cached."""
    rows = _listing_of(data, kind, first, last, DOWNLOAD_ROWS, cached=False).rows
    if kind not in mrrkit.BRIDGE_STEPS:
        return rows
    return _with_lines(data, rows, lang, kind).set_index("customer_id")


# --- a customer's trail ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=256)
def _selected(key: str, frozen: str, filters: tuple, customer: str) -> bool:
    chosen = warehouse._selected_customers(key, frozen, filters)
    table = chosen.as_table()
    with warehouse._LOCK:
        return int(table.filter(table.customer_id == customer).count().to_pandas()) > 0


def customer_trail(data: warehouse.WarehouseData, customer: str, lang: str) -> pd.DataFrame:
    """Every movement of ``customer`` (if selected) with the lines behind each, as
    :func:`ui.views.customer_trail` gives it for an upload: the pandas engine on that
    customer's lines."""
    key, frozen, _, _ = _arguments(data)
    lines = customer_lines(data, [customer])
    if data.filters and not _selected(key, frozen, data.filters, str(customer)):
        lines = lines.iloc[:0]
    definitions = warehouse._definitions(data.definitions)
    if len(lines):
        frame = mrrkit.movements(lines, as_of=data.as_of, definitions=definitions).frame
    else:
        frame = mrrkit.Movements.from_frame(
            pd.DataFrame({c: [] for c in mrrkit.MOVEMENT_COLUMNS}), data.as_of).frame
    return audit.with_lines(lines, audit.line_index(lines), frame, text(lang),
                            number_format(lang, data.source.currency))


# --- what other definitions change (the Overview) -------------------------------------------


def definitions_effect(data: warehouse.WarehouseData, month: pd.Period) -> pd.DataFrame:
    """:func:`mrrkit.compare_definitions` of every customer: the headline figures under mrrkit's
    definitions and the data's, from their monthly tables and KPIs (cached, as the Overview
    fetches them; mrrkit's are one monthly query and one retention query the first time)."""
    from mrrkit.views.compare import comparison, figures_of

    key, frozen, day, tag = _arguments(data)
    figures = [figures_of(warehouse._monthly(key, frozen, day, which, ()),
                          warehouse._kpis(key, frozen, day, which, (), str(month)),
                          warehouse._definitions(which), month) for which in ("", tag)]
    return comparison(*figures)


@st.cache_data(show_spinner=False, max_entries=32)
def _reclassified(key: str, frozen: str, as_of: str, definitions: str, first: str, last: str,
                  limit: int):
    import mrrkit.sql

    own = warehouse._everyone(key, frozen, as_of, "")
    other = warehouse._everyone(key, frozen, as_of, definitions)
    with warehouse._LOCK:
        return mrrkit.sql.reclassified_customers(own, other, first, last, limit)


def reclassified_count(data: warehouse.WarehouseData, month: pd.Period) -> int:
    """How many customers the data's definitions classify otherwise over the 12 months ending
    with ``month`` (:func:`mrrkit.sql.reclassified`: one query, the first 100 fetched)."""
    return _reclassified(*_arguments(data), str(month - 11), str(month), 100).count
