"""Every figure the pages show comes from one of these views: named functions of explicit
arguments, cached.

A view's first argument is the data, a :class:`Data`: one data source at one as-of day and the
customers the filters select. It is hashed by what identifies it, its ``key`` (the source's
content digest and the day) and its ``filters``, never by its content, so that a page reading
20 views per run does not hash millions of rows each time. The other arguments are plain values
(months, days, text, numbers, tuples of them) that, with the data, determine the result::

    data = views.select(source, as_of, filters)      # what the sidebar chose
    views.bridge(data, start, end)                     # mrrkit.mrr_bridge of the selection
    views.churn_reasons(data)                          # the same for every selection

A view declared ``everyone=True`` depends on the source only: it is computed once for every
selection (e.g. the reason of each churn), the filters left out of its key.

**The cache.** Views are shared read-only by every rerun and every session with the same data
(one object, as ``st.cache_resource`` shares it: on 200,000 customers a copy per rerun cost more
than the page); nothing may modify a view's result (``tests/ui/test_ui_cache.py`` checks the pages
do not). They live in :data:`ui.memory.DATA`, bounded by the bytes they hold
(``MRRKIT_CACHE_MB``), because Streamlit's caches can only be bounded by a number of entries
(``max_entries``) or by time (``ttl``), and entries here differ by five orders of magnitude
(measured with :func:`ui.memory.deep_size`: the analysis of the sample 1.4 MB, of 200,000
synthetic customers 97 MB; a segment view of one industry 0.24 MB and 16 MB; a bridge or a
cohort table 2 KB): a bound on entries that keeps a large upload's views lets small ones fill
gigabytes, one that keeps small ones drops a large upload's analysis. ``ui.memory`` bounds the
bytes (``MRRKIT_CACHE_MB``), as ``st.cache_resource`` would the entries, with the same contract:
named functions, keyed on their arguments, shared read-only.
Each entry is tagged with its source, which every session using it holds (see ``ui.memory``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import mrrkit
from mrrkit.views import cohort_tables
from mrrkit.views.expansion import split_by_month

from . import (
    audit,
    memory,
    warehouse,
    warehouse_customers,
    warehouse_expansion,
    warehouse_forecast,
    warehouse_movements,
    warehouse_segments,
)
from .data import Source
from .format import number_format
from .i18n import text

__all__ = [
    "Analysis", "CustomerList", "Data", "EVERYONE", "Filters", "HORIZON", "LISTING_ROWS",
    "SegmentView", "analysis", "attribute_names", "attributes_shown", "backtest", "baseline",
    "bridge", "churn_reasons", "cohort_average", "cohort_curves", "cohort_survivors",
    "cohort_table", "customer_facts", "customer_history", "customer_lines", "customer_list",
    "customer_search", "customer_summary", "customer_trail", "date_span", "default_top_plans",
    "download_limit", "expansion_by_cohort", "expansion_by_segment", "expansion_split",
    "expansion_summary", "forecast", "forecast_inputs", "kpis", "label_sizes", "line_columns",
    "line_index", "listing_download", "listing_screen", "listing_size", "lost_by_month",
    "lost_by_reason", "movement_listing", "near_tier_limit", "plan_family", "plan_names",
    "reclassified_count", "retention_fits", "scenario", "scope_ids", "scope_masses",
    "segment_table", "segment_view", "select", "selected_lines", "top_plan_customers", "view",
    "with_lines",
]

Filters = tuple[tuple[str, tuple[str, ...]], ...]
#: The value of "no attribute" (everyone) in the Scenarios page's retention split.
EVERYONE = "all"
#: The forecast inputs serve projections up to this many months.
HORIZON = 36
#: The rows of a listing the Movements page draws (the largest first); on a warehouse source
#: they are fetched with the listing's size.
LISTING_ROWS = warehouse_movements.SCREEN_ROWS


@dataclass(frozen=True)
class Analysis:
    """Everything computed once per data source; pages slice and filter these."""

    movements: pd.DataFrame
    monthly: pd.DataFrame
    attributes: pd.DataFrame
    labels: pd.DataFrame  # segment labels of the dimensions, indexed by customer_id
    dimensions: tuple[str, ...]
    aligned: bool = True  # labels rows are the movements' customer_id categories, in order

    @property
    def months(self) -> list[pd.Period]:
        return list(self.monthly.index)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.movements.as_of

    def options(self, dimension: str) -> list[str]:
        """The labels a segment filter offers for ``dimension``."""
        return list(self.labels[dimension].cat.categories)


@dataclass(frozen=True)
class SegmentView:
    """The selected customers' movements and monthly table."""

    movements: pd.DataFrame
    monthly: pd.DataFrame
    customers: int  # customers selected (with at least one line)
    selected: np.ndarray  # bool per row of Analysis.labels: is the customer selected?


def _source_tag(key: str) -> str:
    """What a view is made from (:mod:`ui.memory`): its source's key, without the as-of day.

    >>> _source_tag("upload:ab12@2026-01-31"), _source_tag("sample:cd")
    ('upload:ab12', 'sample:cd')
    """
    return str(key).split("@", 1)[0]


def _tag_of_key(arguments) -> str:
    return _source_tag(arguments["key"])


def _framed(movements: mrrkit.Movements) -> mrrkit.Movements:
    """``movements`` with their pandas frame made now: the pages read it (on most pages some
    view does), and the cache measures an entry once, when it stores it."""
    movements.frame  # noqa: B018 - made once, kept by the Movements object
    return movements


# The per-source analysis is shared read-only by every session that has the same content. Its
# key is a content digest, so another session cannot reach it without the same data.
@memory.cached(tag=_tag_of_key)  # the page shows a translated spinner
def analysis(key: str, _lines: pd.DataFrame, as_of: pd.Timestamp | None = None,
             definitions: mrrkit.Definitions | None = None) -> Analysis:
    """Movements (up to ``as_of``: a later end is scheduled, not counted; under
    ``definitions``, None for mrrkit's own), monthly table, customer attributes and segment
    labels of a source (``key`` identifies ``_lines``)."""
    movements = _framed(mrrkit.movements(_lines, as_of=as_of, definitions=definitions))
    attributes = mrrkit.customer_attributes(_lines)
    dims = tuple(mrrkit.segment_columns(attributes))
    cats = movements.customers
    return Analysis(
        movements=movements,
        monthly=mrrkit.monthly(movements),
        attributes=attributes,
        labels=mrrkit.segment_labels(attributes, dims),
        dimensions=dims,
        aligned=bool(attributes.index.equals(cats)),
    )


@memory.cached(tag=_tag_of_key)
def date_span(key: str, _lines: pd.DataFrame) -> tuple:
    """The first start and the latest start or end of a source's lines, as days (``date``):
    the range the "as of" day can be chosen in; and the last day a line was paid (an end is
    the first day not paid: the day before it, unless a later line starts).

    >>> lines = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-01", "2024-03-01"])})
    >>> [str(d) for d in date_span("k", lines)]
    ['2024-01-01', '2024-03-01', '2024-02-29']
    """
    starts = pd.to_datetime(_lines["start"])
    ends = pd.to_datetime(_lines["end"])
    first = starts.min()
    latest = pd.concat([starts, ends]).max()
    last_end = ends.max()
    paid = starts.max() if pd.isna(last_end) else max(starts.max(), last_end - pd.Timedelta(days=1))
    return first.date(), latest.date(), paid.date()


def segment_view(key: str, filters: Filters, base: Analysis) -> SegmentView:
    """The movements and monthly table of the customers that pass ``filters`` (of every
    customer: the analysis's own, nothing computed nor kept twice)."""
    if not any(values for _, values in filters):
        everyone = np.ones(len(base.labels), bool)
        return SegmentView(base.movements, base.monthly, len(base.labels), everyone)
    return _segment(key, filters, base)


@memory.cached(tag=_tag_of_key)
def _segment(key: str, filters: Filters, _base: Analysis) -> SegmentView:
    selected = mrrkit.customer_mask(_base.labels, dict(filters))
    # The labels are indexed by the lines' sorted ids, as the movements' categories: filter by
    # position (checked once per source by analysis()).
    chosen = selected if _base.aligned else _base.labels.index[selected]
    mv = _framed(mrrkit.filter_movements(_base.movements, chosen))
    return SegmentView(mv, mrrkit.monthly(mv), int(selected.sum()), selected)


@dataclass(frozen=True, eq=False)
class Data:
    """The data a view is computed from: a source at one as-of day (``key``), and the customers
    that pass ``filters``. Equal, and hashed, by ``key`` and ``filters`` only."""

    key: str  # the source's key and the as-of day: "sample:<digest>@2026-10-31"
    filters: Filters
    source: Source
    base: Analysis  # every customer
    segment: SegmentView  # the selected customers

    def __eq__(self, other) -> bool:
        return isinstance(other, Data) and (self.key, self.filters) == (other.key, other.filters)

    def __hash__(self) -> int:
        return hash((self.key, self.filters))

    def __repr__(self) -> str:
        return f"Data({self.key!r}, {self.filters!r})"

    @property
    def movements(self) -> pd.DataFrame:
        return self.segment.movements

    @property
    def monthly(self) -> pd.DataFrame:
        return self.segment.monthly

    @property
    def lines(self) -> pd.DataFrame:
        return self.source.lines

    @property
    def everyone(self) -> Data:
        """The same data with no filter."""
        if not self.filters:
            return self
        return Data(self.key, (), self.source, self.base, segment_view(self.key, (), self.base))


def definitions_tag(definitions: mrrkit.Definitions | None) -> str:
    """What a data key adds for definitions other than mrrkit's: ``~chartmogul``, or a digest
    of switches set by hand.

    >>> definitions_tag(None), definitions_tag(mrrkit.Definitions.preset("fincome"))
    ('', '~fincome')
    """
    if definitions is None:
        return ""
    name = definitions.name
    if name == "custom":
        name = hashlib.blake2b(repr(definitions).encode(), digest_size=6).hexdigest()
    return f"~{name}"


def select(source: Source, as_of: pd.Timestamp, filters: Filters,
           definitions: mrrkit.Definitions | None = None) -> Data:
    """The :class:`Data` of ``source`` at ``as_of`` for the customers passing ``filters``,
    under ``definitions`` (the analysis and the segment view computed once, then cached)."""
    key = f"{source.key}@{as_of:%Y-%m-%d}{definitions_tag(definitions)}"
    base = analysis(source.key, source.lines, as_of, definitions)
    return Data(key, filters, source, base, segment_view(key, filters, base))


def view(fn: Callable | None = None, *, everyone: bool = False):
    """Cache ``fn(data, *args)`` in :data:`ui.memory.DATA` on (its name, the data's key and
    filters, ``args``), tagged with the data's source. ``everyone=True``: ``fn`` reads every
    customer of the data's source whatever the filters (it is given ``data.everyone``)."""
    if fn is None:
        return functools.partial(view, everyone=everyone)
    signature = inspect.signature(fn)
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(data: Data, *args, **kwargs):
        if everyone:
            data = data.everyone
        bound = signature.bind(data, *args, **kwargs)
        bound.apply_defaults()
        values = tuple(bound.arguments.values())[1:]
        tag = _source_tag(data.key)
        memory.hold(tag)
        key = (name, data.key, data.filters, *values)
        return memory.DATA.get(key, lambda: fn(data, *values), tag)

    return cached


# --- definitions (issue 15) -------------------------------------------------------------------


def _own_and_chosen(data: Data) -> tuple[mrrkit.Movements, mrrkit.Movements]:
    """Every customer's movements under mrrkit's definitions and under the data's."""
    own = analysis(data.source.key, data.source.lines, data.base.movements.as_of).movements
    return own, data.base.movements


@view(everyone=True)
def definitions_effect(data: Data, month: pd.Period) -> pd.DataFrame:
    """Headline figures under mrrkit's definitions and the data's, side by side."""
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return warehouse_movements.definitions_effect(data, month)
    return mrrkit.compare_definitions(_own_and_chosen(data), None, month)


@view(everyone=True)
def reclassified(data: Data, month: pd.Period) -> pd.DataFrame:
    """The customers whose movements the data's definitions classify otherwise, over the 12
    months ending with ``month`` (those the comparison shows)."""
    return mrrkit.reclassified_customers(_own_and_chosen(data), None, month - 11, month)


@view(everyone=True)
def reclassified_count(data: Data, month: pd.Period) -> int:
    """How many customers :func:`reclassified` lists (on a warehouse, counted there)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_movements.reclassified_count(data, month)
    return len(reclassified(data, month))


# --- Overview and Movements -------------------------------------------------------------------


@view
def kpis(data: Data, month: pd.Period) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return warehouse.kpis(data, month)
    return mrrkit.kpis(data.movements, month)


@view
def bridge(data: Data, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return warehouse_movements.bridge(data, start, end)
    return mrrkit.mrr_bridge(data.movements, start, end)


@view(everyone=True)
def churn_reasons(data: Data) -> pd.Series:
    """The reason recorded with each churn (on the lines that ended with it)."""
    return mrrkit.churn_reasons(data.lines, data.movements)


def attribute_names(data: Data) -> list[str]:
    """The columns of the customer attributes a listing shows."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_movements.attribute_names(data)
    return list(attributes_shown(data).columns)


def attributes_shown(data: Data) -> pd.DataFrame:
    """The customer attributes a listing shows (the churn reason is per churn, not per customer)."""
    dims = [d for d in data.base.dimensions if d != "churn_reason"]
    return data.base.attributes[[d for d in dims if d in data.base.attributes.columns]]


@view
def movement_listing(data: Data, kind: str, first: pd.Period, last: pd.Period) -> pd.DataFrame:
    """The movements behind a cell of the monthly table (the largest first; for churn with the
    reason recorded) or the customers behind a level (``mrr_start``, ``mrr_end``), with their
    attributes."""
    if kind in mrrkit.BRIDGE_STEPS:
        rows = mrrkit.movements_in(data.movements, first, kind, last)
        rows = rows.assign(customer_id=rows["customer_id"].astype("str"))
        rows = rows.iloc[np.argsort(-rows["amount"].abs().to_numpy(), kind="stable")]
        out = rows.set_index("customer_id")
        if kind == "churn" and "churn_reason" in data.lines.columns:
            keys = pd.MultiIndex.from_arrays([out.index, out["date"]])
            out["reason"] = churn_reasons(data).reindex(keys).to_numpy()
    else:
        at = first - 1 if kind == "mrr_start" else last
        out = mrrkit.paying_customers(data.movements, at).sort_values(
            "mrr", ascending=False, kind="stable")
    return out.join(attributes_shown(data), how="left")


@view(everyone=True)
def line_index(data: Data) -> tuple[np.ndarray, np.ndarray]:
    """The source lines' customer ids sorted, and the order that sorts them (for
    :func:`ui.audit.lines_of`)."""
    return audit.line_index(data.lines)


def customer_lines(data: Data, customers) -> pd.DataFrame:
    """The source lines of ``customers`` (ids), in source order (a warehouse's by start)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_movements.customer_lines(data, customers)
    return audit.lines_of(data.lines, line_index(data), customers)


def with_lines(data: Data, rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``rows`` (movements) with the text of the lines that changed with each (not cached: a
    download's)."""
    return audit.with_lines(data.lines, line_index(data), rows, text(lang),
                            number_format(lang, data.source.currency))


@view
def listing_size(data: Data, kind: str, first: pd.Period, last: pd.Period) -> tuple[int, float]:
    """How many rows :func:`movement_listing` has and what they add up to (amount or MRR)."""
    if isinstance(data, warehouse.WarehouseData):  # counted in the warehouse (issue 16)
        return warehouse_movements.listing_size(data, kind, first, last)
    rows = movement_listing(data, kind, first, last)
    return len(rows), float(rows["amount" if kind in mrrkit.BRIDGE_STEPS else "mrr"].sum())


@view
def listing_screen(data: Data, kind: str, first: pd.Period, last: pd.Period, lang: str,
                   shown: int) -> pd.DataFrame:
    """The first ``shown`` rows of :func:`movement_listing`; for a movement kind with the lines
    that changed with each (their text in ``lang``)."""
    if isinstance(data, warehouse.WarehouseData):  # the top rows only (issue 16)
        return warehouse_movements.listing_screen(data, kind, first, last, lang, shown)
    rows = movement_listing(data, kind, first, last).head(shown)
    if kind not in mrrkit.BRIDGE_STEPS:
        return rows
    return with_lines(data, rows.reset_index(), lang).set_index("customer_id")


def listing_download(data: Data, kind: str, first: pd.Period, last: pd.Period,
                     lang: str) -> pd.DataFrame:
    """What a listing's download holds (not cached: built on a click): every row (on a
    warehouse the first :func:`download_limit`), a movement's with its lines."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_movements.listing_download(data, kind, first, last, lang)
    rows = movement_listing(data, kind, first, last)
    if kind not in mrrkit.BRIDGE_STEPS:
        return rows
    return with_lines(data, rows.reset_index(), lang).set_index("customer_id")


def download_limit(data: Data) -> int | None:
    """The most rows a listing's download holds (None: all of them)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_movements.DOWNLOAD_ROWS
    return None


@view
def customer_trail(data: Data, customer: str, lang: str) -> pd.DataFrame:
    """Every movement of ``customer`` (among the selected customers) with the lines behind each
    (the Movements and Customers pages share it)."""
    if isinstance(data, warehouse.WarehouseData):  # from that customer's lines (issue 16)
        return warehouse_movements.customer_trail(data, customer, lang)
    return with_lines(data, mrrkit.filter_movements(data.movements, [customer]).frame, lang)


# --- Cohorts ------------------------------------------------------------------------------------


@view
def cohort_table(data: Data, value: str, by: str, as_of: pd.Timestamp, first: str,
                 last: str) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return cohort_tables.table_of_levels(warehouse.cohort_levels(data, by, as_of), value, by,
                                             first, last)
    return mrrkit.cohort_table(data.movements, value, by, as_of, first, last)


@view
def cohort_average(data: Data, value: str, by: str, as_of: pd.Timestamp, first: str,
                   last: str) -> pd.Series:
    if isinstance(data, warehouse.WarehouseData):
        return cohort_tables.average_of_levels(warehouse.cohort_levels(data, by, as_of), value,
                                               by, first, last)
    return mrrkit.cohort_average(data.movements, value, by, as_of, first, last)


@view
def cohort_curves(data: Data, dim: str, value: str, by: str, as_of: pd.Timestamp, first: str,
                  last: str, chosen: tuple[str, ...]) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):
        levels = warehouse.cohort_levels(data, by, as_of, segment=dim)
        out = pd.DataFrame({
            label: cohort_tables.average_of_levels(levels[label], value, by, first, last)
            for label in chosen if label in levels})  # (a label with no movement: no curve)
        out.index.name = "age"
        out.columns.name = dim
        return out
    return mrrkit.cohort_curves(data.movements, data.base.labels[dim], value, by, as_of,
                                       first, last, list(chosen))


@view
def label_sizes(data: Data, dim: str) -> pd.Series:
    """The selected customers of each label of ``dim`` (every label, in order, 0 included)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse.label_sizes(data, dim)
    labels = data.base.labels[dim]
    sizes = labels[data.segment.selected].value_counts()
    return sizes.reindex(labels.cat.categories, fill_value=0).astype("int64")


# --- Segments -----------------------------------------------------------------------------------


@view
def segment_table(data: Data, dim: str, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return warehouse_segments.segment_table(data, dim, start, end)
    return mrrkit.segment_table(data.movements, data.base.labels[dim], start, end)


@view
def lost_by_reason(data: Data, dim: str, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_segments.lost_by_reason(data, dim, start, end)
    return mrrkit.churn_by_reason(data.movements, churn_reasons(data), start, end,
                                    data.base.labels[dim])


@view
def lost_by_month(data: Data, start: pd.Period, end: pd.Period) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_segments.lost_by_month(data, start, end)
    return mrrkit.churn_reason_by_month(data.movements, churn_reasons(data), start, end)


# --- Customers ----------------------------------------------------------------------------------


@view
def customer_summary(data: Data) -> pd.DataFrame:
    """One row per customer (:func:`mrrkit.customer_summary`), text attributes as categoricals:
    a search then tests each distinct value once, not each customer."""
    out = mrrkit.customer_summary(data.movements, data.base.attributes)
    for col in data.base.attributes.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype("category")
    return out


@dataclass(frozen=True)
class CustomerList:
    """The Customers page's list: the selected customers matching a search and a status, the
    highest MRR first (:func:`customer_list`)."""

    rows: pd.DataFrame  # :func:`customer_summary` rows: every match, or the first `shown`
    found: int  # customers matching
    paying: int  # of them, paying at the as-of day
    customers: int  # selected customers with an MRR history (the summary's)
    selected: int  # selected customers, those that never had any MRR included
    complete: bool  # whether ``rows`` holds every match (else the first ``shown``)
    pinned_listed: bool = False  # whether the customer asked about matches too


def customer_list(data: Data, query: str, status: str, changed: pd.Period | None, shown: int,
                  pinned: str | None = None) -> CustomerList:
    """The selected customers whose id or attributes contain ``query`` (:func:`customer_search`)
    with status ``status`` (``all``, ``active``, ``churned``) and, when ``changed`` is a month,
    that the data's definitions classify otherwise over the 12 months ending with it
    (:func:`reclassified`); the highest MRR first. An upload's list holds every match; a
    warehouse's the first ``shown`` (searched and sorted in the warehouse)."""
    if isinstance(data, warehouse.WarehouseData):
        rows, found, paying, listed = warehouse_customers.customer_list(
            data, query, status, changed, shown, pinned)
        customers, selected = warehouse_customers.selected_counts(data)
        return CustomerList(rows, found, paying, customers, selected, found <= len(rows), listed)
    summary = customer_summary(data)
    mask = np.ones(len(summary), bool)
    if changed is not None:
        mask &= summary.index.isin(reclassified(data, changed).index)
    if query:
        mask &= customer_search(data, query)
    if status != "all":
        mask &= (summary["status"] == status).to_numpy()
    found = summary[mask].sort_values("mrr", ascending=False, kind="stable")
    return CustomerList(found, len(found), int((found["status"] == "active").sum()),
                        len(summary), int(data.segment.customers), True,
                        pinned is not None and pinned in found.index)


def customer_facts(data: Data, customer: str) -> pd.Series | None:
    """The customer's row of :func:`customer_summary` (None: not a selected customer with an MRR
    history)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_customers.customer_facts(data, customer)
    summary = customer_summary(data)
    return summary.loc[customer] if customer in summary.index else None


def _customer_movements(data: Data, customer: str) -> mrrkit.Movements:
    """The customer's movements: of the selected customers' (upload), or its lines fetched
    through the pandas engine (warehouse: the same movements, a customer's depending on its own
    lines only)."""
    if isinstance(data, warehouse.WarehouseData):
        return mrrkit.movements(customer_lines(data, [customer]), as_of=data.as_of,
                                definitions=warehouse._definitions(data.definitions))
    return mrrkit.filter_movements(data.movements, [customer])


@view
def customer_history(data: Data, customer: str) -> pd.DataFrame:
    """The customer's MRR as a step series (:func:`mrrkit.customer_history`)."""
    if isinstance(data, warehouse.WarehouseData):
        return mrrkit.customer_history(_customer_movements(data, customer), customer)
    return mrrkit.customer_history(data.movements, customer)


@view
def customer_search(data: Data, query: str) -> np.ndarray:
    """Which rows of :func:`customer_summary` have ``query`` (case-insensitive) in their id or
    any attribute (name and email included)."""
    summary = customer_summary(data)
    q = query.lower()
    hit = np.asarray(summary.index.str.lower().str.contains(q, regex=False), dtype=bool)
    for col in data.base.attributes.columns:
        values = summary[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = values.cat.categories.astype("str").str.lower().str.contains(q, regex=False)
            hit |= np.isin(values.cat.codes.to_numpy(), np.flatnonzero(np.asarray(cats, bool)))
        else:
            hit |= values.astype("str").str.lower().str.contains(q, regex=False).fillna(
                False).to_numpy(dtype=bool)
    return hit


# --- Scenarios ----------------------------------------------------------------------------------


@view
def retention_fits(data: Data, dim: str, cohorts: tuple[str, ...] | None) -> tuple:
    """The retention fits on ``cohorts`` (None: all) of the selected customers: theirs alone
    (``dim`` :data:`EVERYONE`), or theirs then one per value of ``dim`` they have
    (:func:`mrrkit.models.segment_fits.fit_attribute`)."""
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        if dim == EVERYONE:
            return warehouse_forecast.retention_fits(data, None, (), cohorts)
        sizes = label_sizes(data, dim)
        return warehouse_forecast.retention_fits(data, dim, tuple(sizes.index[sizes > 0]),
                                                 cohorts)
    if dim == EVERYONE:
        return mrrkit.fit_segments(data.movements, cohorts=cohorts)
    pooled = retention_fits(data, EVERYONE, cohorts)[0]
    return mrrkit.fit_attribute(data.movements, data.base.labels[dim], data.segment.selected,
                                     cohorts=cohorts, pooled=pooled)


@view
def cohort_survivors(data: Data) -> pd.DataFrame:
    """First-life survivors by cohort and age, as shares of each cohort."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_forecast.cohort_survivors(data)
    return mrrkit.cohort_survivors(data.movements, None, True)


@view
def forecast_inputs(data: Data, method: str):
    if isinstance(data, warehouse.WarehouseData):  # sums only: no customer in them
        return warehouse_forecast.forecast_inputs(data, method, HORIZON)
    return mrrkit.scenario_inputs(data.movements, method=method, horizon=HORIZON)


@view
def forecast(data: Data, method: str) -> pd.DataFrame:
    """The forecast over the whole horizon: its first n months are the n-month forecast (same
    draws, month by month), so choosing another length only slices it."""
    return mrrkit.forecast(None, months=HORIZON, inputs=forecast_inputs(data, method))


@view
def backtest(data: Data, method: str):
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_forecast.backtest(data, method)
    return mrrkit.backtest(data.movements, horizon=12, method=method)


@view
def baseline(data: Data, method: str, months: int) -> pd.DataFrame:
    """The forecast's own columns over ``months``: the scenarios' baseline."""
    return forecast(data, method)[list(mrrkit.FORECAST_COLUMNS)].iloc[:months]


def scope_ids(data: Data, dim: str, value: str | None) -> pd.Index | None:
    """The customers of a scenario's scope: those with ``value`` of ``dim``; None: everyone."""
    if dim == EVERYONE:
        return None
    labels = data.base.labels[dim]
    return labels.index[(labels == value).to_numpy()]


@view
def scope_masses(data: Data, method: str, dim: str, value: str | None):
    """The customers of a scenario's scope (``value`` of ``dim``) paying at the forecast's
    origin, by age (:class:`mrrkit.models.forecast_inputs.AgeMasses`); None: everyone. A
    warehouse's are sums per label and age, an upload's those of its customers."""
    if dim == EVERYONE:
        return None
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_forecast.scope_masses(data, dim, value)
    return forecast_inputs(data, method).scope_masses(scope_ids(data, dim, value))


@view
def scenario(data: Data, method: str, months: int, levers: tuple, scope_dim: str,
             scope_value: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A scenario's projection over ``months`` and its 12-month summary (only this is computed
    again when one of its levers moves). The summary reads the first 12 months of the
    projection and of the baseline (``months`` is 12 or more) rather than projecting again.
    The scope is given as its customers' sums by age (:func:`scope_masses`), the same for an
    upload and a warehouse."""
    inputs = forecast_inputs(data, method)
    s = mrrkit.Scenario.from_dict(dict(levers))
    scope = scope_masses(data, method, scope_dim, scope_value)
    frame = mrrkit.project_scenario(inputs, s, months, scope=scope)
    return frame, mrrkit.scenario_summary(inputs, s, 12, baseline=baseline(data, method, months),
                                             projection=frame)


# --- Expansion ----------------------------------------------------------------------------------


def selected_lines(data: Data) -> pd.DataFrame:
    """The source lines of the selected customers (the line-level views need plans and
    products): the source's own when nothing is filtered."""
    return _selected_lines(data) if data.filters else data.lines


@view
def _selected_lines(data: Data) -> pd.DataFrame:
    lines = data.lines
    ids = lines["customer_id"]
    ids = ids if ids.dtype == "str" else ids.astype("str")
    return lines[ids.isin(data.base.labels.index[data.segment.selected])]


@view
def expansion_summary(data: Data) -> pd.DataFrame:
    return mrrkit.expansion_summary(data.monthly)


def line_columns(data: Data) -> frozenset:
    """The columns the source's lines have (canonical names)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.line_columns(data)
    return frozenset(data.lines.columns)


@view
def expansion_split(data: Data) -> pd.DataFrame:
    """Expansion split into upsell, cross-sell, price increase and other, by month (a new
    period only re-slices the months)."""
    if isinstance(data, warehouse.WarehouseData):  # computed in the warehouse (issue 16)
        return warehouse_expansion.split(data)
    return split_by_month(selected_lines(data), data=data.movements)


@view
def expansion_by_cohort(data: Data, as_of: pd.Timestamp) -> pd.DataFrame:
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.by_cohort(data, as_of)
    return mrrkit.expansion_by_cohort(data.movements, as_of)


@view
def expansion_by_segment(data: Data, dim: str, start: str, end: str) -> pd.DataFrame:
    """Expansion of the months ``start`` (excluded: the base) to ``end`` by value of ``dim``,
    the values with customers or expansion."""
    if isinstance(data, warehouse.WarehouseData):
        out = warehouse_expansion.by_segment(data, dim, start, end)
    else:
        out = mrrkit.expansion_by_segment(data.lines, dim, data=data.movements, start=start,
                                          end=end, attributes=data.base.attributes)
    return out[(out["customers"] > 0) | (out["expanded_customers"] > 0)]


_BILLING = re.compile(
    r"\b(monthly|month|annual|annually|yearly|year|quarterly|mensuel|annuel|trimestriel|"
    r"mensile|annuale|trimestrale)\b", re.IGNORECASE)


def plan_family(plan: str) -> str:
    """A plan's name without its billing period.

    >>> plan_family("Enterprise annual"), plan_family("Pro - mensuel"), plan_family("Monthly")
    ('Enterprise', 'Pro', 'Monthly')
    """
    return _BILLING.sub("", plan).strip(" -_/()") or plan


@view(everyone=True)
def plan_names(data: Data) -> list[str]:
    """The plans of the source's lines, sorted (blanks left out)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.plan_names(data)
    return sorted(data.lines["plan"].dropna().astype("str").unique())


@view(everyone=True)
def default_top_plans(data: Data) -> list[str]:
    """The plans of the highest-priced family: the plan with the highest median MRR per unit
    (of ``quantity`` when there is one) on the product with the most MRR, and every plan of
    the same family (its other billing periods)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.default_top_plans(data)
    lines = data.lines
    has = set(lines.columns)
    table = pd.DataFrame({"plan": lines["plan"].astype("str"), "mrr": lines["mrr"]})
    table["product"] = lines["product"].astype("str") if "product" in has else ""
    qty = (pd.to_numeric(lines["quantity"], errors="coerce") if "quantity" in has
           else pd.Series(1.0, index=lines.index))
    table["unit"] = table["mrr"] / qty.where(qty > 0)
    main = table.groupby("product")["mrr"].sum().idxmax()
    price = table[table["product"] == main].groupby("plan")["unit"].median().dropna()
    if price.empty:
        return []
    family = plan_family(price.idxmax())
    return sorted(p for p in table["plan"].unique() if plan_family(p) == family)


def _exact_sum(mrr: pd.Series) -> float:
    """A sum of MRR amounts through integer micros (exact: a database sums them alike)."""
    return int(np.rint(mrr.to_numpy(dtype="float64") * 1e6).astype(np.int64).sum()) / 1e6


@view
def top_plan_customers(data: Data, top: tuple[str, ...], as_of: pd.Timestamp,
                       limit: int) -> pd.DataFrame:
    """The customers at the top plan, the MRR largest first: all of an upload's, the first
    ``limit`` of a warehouse's; ``attrs`` count them all (``customers``, ``no_room``,
    ``no_room_mrr``)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.top_plan_customers(data, top, as_of, limit)
    out = mrrkit.top_plan_customers(selected_lines(data), top_plan=list(top) or None,
                                       as_of=as_of)
    no_room = out[out["no_room"]]
    out.attrs.update(customers=len(out), no_room=len(no_room),
                     no_room_mrr=_exact_sum(no_room["mrr"]))
    return out


@view
def near_tier_limit(data: Data, share: float, as_of: pd.Timestamp, limit: int) -> pd.DataFrame:
    """The lines near their tier limit, the fullest first: all of an upload's, the first
    ``limit`` of a warehouse's; ``attrs`` count them all (``lines``, ``customers``, ``mrr``)."""
    if isinstance(data, warehouse.WarehouseData):
        return warehouse_expansion.near_tier_limit(data, share, as_of, limit)
    out = mrrkit.near_tier_limit(selected_lines(data), share, as_of=as_of)
    out.attrs.update(lines=len(out), customers=int(out["customer_id"].nunique()),
                     mrr=_exact_sum(out["mrr"]))
    return out
