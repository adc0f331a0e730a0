"""The warehouse data source (issue 16): lines that stay in a database, computed there by
:mod:`mrrkit.sql`; the app fetches only small results (a row per month, one row of KPIs).

Configured in ``.streamlit/secrets.toml`` (``[warehouse]``, see docs/scaling.md)::

    [warehouse]
    url = "data/lines/"                  # a Parquet folder or file, a .duckdb file, an Ibis URL
    table = "finance.subscription_lines" # for a .duckdb file or a URL
    name = "Billing warehouse"           # what the sidebar calls it (default: the table)
    currency = "USD"                     # of the amounts (default EUR)
    memory_limit = "4GB"                 # DuckDB's bound (it spills to disk past it)
    [warehouse.columns]                  # canonical name = the table's column, as for uploads
    customer_id = "account_id"

Where it is configured, it is the app's data (the sample stays a choice). Every result is cached
on the source's key (a digest of the settings, never the credentials themselves), the as-of day,
the definitions, the segment filters and the months, so a page view that was seen before runs no
query. The connection is shared by every session; its queries run one at a time (a DuckDB
connection is not for concurrent use).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

import mrrkit

from .data import Source

__all__ = [
    "WarehouseData",
    "configured",
    "is_warehouse",
    "kpis",
    "row_count",
    "select",
    "settings",
    "source",
]

KEY_PREFIX = "warehouse:"
#: The pages a warehouse source shows (their slugs); the others need every customer's
#: movements, which stay in the warehouse, and say so.
PAGES = ("overview", "cohorts", "scenarios", "expansion")
_LOCK = threading.Lock()
_PROBLEM_KEY = "_mrrkit_warehouse_problem"


def settings() -> dict[str, Any] | None:
    """The ``[warehouse]`` secrets, or None when there are none (no secrets file, no section, no
    ``url``)."""
    try:
        section = st.secrets.get("warehouse")
    except FileNotFoundError:  # no secrets.toml at all
        return None
    if section is None:
        return None
    out = section.to_dict() if hasattr(section, "to_dict") else dict(section)
    return out if str(out.get("url", "")).strip() else None


def configured() -> bool:
    return settings() is not None


def is_warehouse(source: Source) -> bool:
    return source.key.startswith(KEY_PREFIX)


def _settings_key(chosen: Mapping[str, Any]) -> str:
    """The source's key: a digest of its settings (the URL holds the password: never shown)."""
    text = json.dumps(chosen, sort_keys=True, default=str)
    return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:24]


def _frozen(chosen: Mapping[str, Any]) -> str:
    return json.dumps(chosen, sort_keys=True, default=str)


@st.cache_resource(show_spinner=False, max_entries=4)
def _lines(key: str, frozen: str):
    """The canonical lines of the warehouse (checked once: one aggregate query)."""
    import mrrkit.sql

    chosen = json.loads(frozen)
    with _LOCK:
        return mrrkit.sql.open_lines(
            chosen["url"], chosen.get("table"), chosen.get("columns") or None,
            memory_limit=chosen.get("memory_limit"), threads=chosen.get("threads"))


def lines(source: Source):
    """The ibis table of the source's lines (opened once per process)."""
    chosen = settings()
    if chosen is None or _settings_key(chosen) != source.key:
        raise ValueError("the warehouse settings changed: reload the page")
    return _lines(source.key, _frozen(chosen))


@st.cache_data(show_spinner=False, max_entries=16)
def _span(key: str, frozen: str) -> pd.DataFrame:
    """The lines' first and last starts and last end, as a two-row stand-in for the lines where
    the sidebar's "as of" day needs only them (:func:`ui.views.date_span`,
    :func:`mrrkit.default_as_of` read the same minima and maxima)."""
    t = _lines(key, frozen)
    with _LOCK:
        row = t.aggregate(first=t.start.min(), last=t.start.max(), end=t.end.max()).to_pandas()
    row = row.iloc[0]
    return pd.DataFrame({
        "customer_id": ["first", "last"],
        "start": pd.to_datetime([row["first"], row["last"]]),
        "end": pd.to_datetime([row["end"], None]),
        "mrr": [0.0, 0.0],
    })


def source() -> Source | None:
    """The warehouse :class:`~ui.data.Source`, or None when none is configured or it cannot be
    opened (then :func:`problem` says why). Its ``lines`` are the two-row stand-in of
    :func:`_span`: the pages never read a warehouse's lines."""
    chosen = settings()
    if chosen is None:
        return None
    key = _settings_key(chosen)
    name = str(chosen.get("name") or chosen.get("table") or "warehouse")
    currency = str(chosen.get("currency") or "EUR").upper()
    try:
        span = _span(key, _frozen(chosen))
    except Exception as exc:  # noqa: BLE001 - a wrong URL, table, mapping or a bad line
        st.session_state[_PROBLEM_KEY] = str(exc)
        return None
    st.session_state.pop(_PROBLEM_KEY, None)
    return Source(name=name, key=key, lines=span, currency=currency)


def problem() -> str | None:
    """Why the configured warehouse could not be opened this session (None: it could)."""
    return st.session_state.get(_PROBLEM_KEY)


@st.cache_data(show_spinner=False, max_entries=16)
def _row_count(key: str, frozen: str) -> int:
    t = _lines(key, frozen)
    with _LOCK:
        return int(t.count().to_pandas())


def row_count(source: Source) -> int:
    return _row_count(source.key, _frozen(settings()))


def described(source: Source) -> dict[str, Any]:
    """What the Data page shows of the source: where (the URL without its credentials), the
    table, the mapping, the columns."""
    chosen = settings() or {}
    url = str(chosen.get("url", ""))
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://…@{rest.split('@', 1)[1]}"  # the user and password stay secret
    columns = list(lines(source).columns)
    return {"url": url, "table": chosen.get("table") or "", "mapping": dict(chosen.get("columns")
            or {}), "columns": [c for c in columns if c != "mrr_micros"]}


# --- what the pages show ------------------------------------------------------------------------


def _definitions(tag: str):
    return None if not tag else mrrkit.Definitions(**json.loads(tag))


def _tag(definitions) -> str:
    if definitions is None:
        return ""
    import dataclasses

    return json.dumps(dataclasses.asdict(definitions), sort_keys=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def _everyone(key: str, frozen: str, as_of: str, definitions: str):
    """Every customer's movements at a day under definitions, materialised once in the database
    (a temporary table, Ibis's ``cache``): each view then reads them instead of computing them
    from the lines again, and a segment's are a semi-join of them (a customer's movements depend
    on its own lines only). Kept for the four latest (day, definitions)."""
    import dataclasses

    import mrrkit.sql

    mv = mrrkit.sql.movements(_lines(key, frozen), as_of=as_of,
                              definitions=_definitions(definitions))
    with _LOCK:
        return dataclasses.replace(mv, micros=mv.micros.cache())


def _attribute_columns(t) -> list[str]:
    """The lines' columns that may be segments: not the line columns, dates, measures, ids,
    names, notes, statuses or discounts (as :func:`mrrkit.segment_columns` skips them)."""
    from mrrkit.views import segments as seg

    skip = (set(seg.LINE_COLUMNS) | set(seg.LINE_DATES) | set(seg.MEASURE_COLUMNS)
            | set(seg.IDENTITY_COLUMNS) | set(seg.NOTE_COLUMNS) | {"mrr_micros", "billing_status"}
            | set(mrrkit.LINE_DISCOUNTS))
    return [name for name in t.columns if name not in skip and not t[name].type().is_temporal()]


@st.cache_resource(show_spinner=False, max_entries=4)
def _label_table(key: str, frozen: str):
    """Each customer's label in every attribute column, materialised once (one pass over the
    lines): its latest line's value, the largest among lines starting that same day, NULL when
    they have none -- the rule of :func:`mrrkit.sql.segment_lines`. A filter is then a semi-join
    of this table, the filters' options a group-by of it."""
    import ibis  # (only a warehouse source needs it: the app starts without)

    t = _lines(key, frozen)
    names = _attribute_columns(t)
    if not names:
        return None
    latest = t.start.max().over(ibis.window(group_by=t.customer_id))
    last = t.mutate(latest_start=latest)
    last = last.filter(last.start == last.latest_start)
    table = last.group_by("customer_id").aggregate(
        **{f"dim_{name}": last[name].max() for name in names})
    with _LOCK:
        return table.cache()


def _selected_customers(key: str, frozen: str, filters: tuple):
    """The customers whose labels pass ``filters`` (an ibis column expression of ids)."""
    table = _label_table(key, frozen)
    keep = None
    for name, chosen in filters:
        text = table[f"dim_{name}"].cast("string")
        values = [str(v) for v in chosen]
        test = text.isin([v for v in values if v != mrrkit.MISSING])
        if mrrkit.MISSING in values:
            test = test | table[f"dim_{name}"].isnull() | (text.strip() == "")
        keep = test if keep is None else keep & test
    return table.filter(keep.fill_null(False)).customer_id


def _movements(key: str, frozen: str, as_of: str, definitions: str, filters: tuple):
    import dataclasses

    everyone = _everyone(key, frozen, as_of, definitions)
    if not filters:
        return everyone
    m = everyone.micros
    return dataclasses.replace(everyone, micros=m.filter(m.customer_id.isin(
        _selected_customers(key, frozen, filters))))


@st.cache_data(show_spinner=False, max_entries=32)
def _dimension_sums(key: str, frozen: str, as_of: str, definitions: str,
                    dimension: str) -> pd.DataFrame:
    """What the monthly table is made of (:class:`mrrkit.engine.monthly.MonthSums`), per label of
    one dimension and month, in one query over every customer's movements. Those sums add up
    over customers, so the monthly table of a filter on this dimension alone is a sum of rows
    here: after the first, a filter change on the dimension runs no monthly query."""
    from mrrkit.sql.views import _labels, _month_sums_query

    t = _everyone(key, frozen, as_of, definitions).micros
    labels = _label_table(key, frozen)
    labels = labels.select(label_customer=labels.customer_id, segment=labels[f"dim_{dimension}"])
    joined = t.inner_join(labels, t.customer_id == labels.label_customer).drop("label_customer")
    with _LOCK:
        rows = _month_sums_query(joined, ["segment"]).to_pandas()
    rows["segment"] = _labels(rows["segment"]).to_numpy()
    return rows


@st.cache_data(show_spinner=False, max_entries=64)
def _monthly(key: str, frozen: str, as_of: str, definitions: str, filters: tuple) -> pd.DataFrame:
    import mrrkit.sql

    mv = _movements(key, frozen, as_of, definitions, filters)
    if len(filters) == 1:  # one dimension: a sum of its labels' month sums
        from mrrkit.sql.views import monthly_of_rows

        (dimension, chosen), = filters
        rows = _dimension_sums(key, frozen, as_of, definitions, dimension)
        with _LOCK:  # (a negative MRR is looked up in the database)
            return monthly_of_rows(mv, rows[rows["segment"].isin([str(v) for v in chosen])])
    with _LOCK:
        return mrrkit.sql.monthly(mv)


@st.cache_data(show_spinner=False, max_entries=64)
def _kpis(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
          month: str) -> pd.DataFrame:
    """The KPIs from the (cached) monthly table and one retention query."""
    import mrrkit.sql

    table = _monthly(key, frozen, as_of, definitions, filters)
    mv = _movements(key, frozen, as_of, definitions, filters)
    with _LOCK:
        return mrrkit.sql.kpis(mv, month, table=table)


@st.cache_data(show_spinner=False, max_entries=16)
def _options(key: str, frozen: str) -> dict[str, list[str]]:
    """The segment dimensions and the labels each offers, as :func:`mrrkit.segment_columns`
    and :func:`mrrkit.segment_labels` choose them for an upload, from the customers' labels
    (:func:`_label_table`): per attribute column its labels and how many customers have each."""
    from mrrkit.views import segments as seg

    table = _label_table(key, frozen)
    if table is None:
        return {}
    found = {}
    with _LOCK:
        for column in table.columns:
            if not column.startswith("dim_"):
                continue
            name, kind = column[4:], table[column].type()
            counts = table.group_by(segment=table[column]).aggregate(n=table.count()) \
                .limit(_MAX_VALUES + 2).to_pandas()
            text = seg._as_labels(counts["segment"].reset_index(drop=True))
            present = counts["n"][(text != seg.MISSING).to_numpy()]
            distinct = len(present)
            if distinct < 1 or distinct > _MAX_VALUES:
                continue
            if distinct > 12 and (distinct >= 0.5 * present.sum()
                                  or (kind.is_numeric() and not kind.is_boolean())):
                continue
            found[name] = sorted(set(text), key=seg.natural_key)
    preferred = [c for c in seg.PREFERRED_DIMENSIONS if c in found]
    order = preferred + sorted((c for c in found if c not in preferred), key=seg.natural_key)
    return {name: found[name] for name in order}


#: As :func:`mrrkit.segment_columns`: more distinct values is no segment (an id, a note).
_MAX_VALUES = 50


@dataclass(frozen=True)
class WarehouseBase:
    """Every customer's figures of a warehouse source at one as-of day (the Analysis of an
    upload, with only what comes back small)."""

    monthly: pd.DataFrame
    dimensions: tuple[str, ...]
    values: dict
    as_of: pd.Timestamp

    @property
    def months(self) -> list[pd.Period]:
        return list(self.monthly.index)

    def options(self, dimension: str) -> list[str]:
        """The labels a segment filter offers for ``dimension``."""
        return list(self.values[dimension])


@dataclass(frozen=True)
class WarehouseSegment:
    monthly: pd.DataFrame


@dataclass(frozen=True)
class WarehouseData:
    """A warehouse source at an as-of day, under definitions, for the customers the filters
    select: what :class:`ui.views.Data` is for an upload."""

    key: str
    filters: tuple
    source: Source
    base: WarehouseBase
    segment: WarehouseSegment
    definitions: str = ""

    @property
    def monthly(self) -> pd.DataFrame:
        return self.segment.monthly

    @property
    def as_of(self) -> pd.Timestamp:
        return self.base.as_of

    @property
    def everyone(self) -> WarehouseData:
        """The same data with no filter (what a view of every customer reads)."""
        if not self.filters:
            return self
        key = self.key  # (the key names the source, the day and the definitions, not filters)
        return WarehouseData(key, (), self.source, self.base, WarehouseSegment(self.base.monthly),
                             self.definitions)


def _arguments(source: Source, as_of: pd.Timestamp, definitions) -> tuple:
    return source.key, _frozen(settings()), f"{as_of:%Y-%m-%d}", _tag(definitions)


def select(source: Source, as_of: pd.Timestamp, filters: tuple, definitions=None
           ) -> WarehouseData:
    """The :class:`WarehouseData` of the source (two queries the first time: every customer's
    monthly table and the selection's, the same one without filters)."""
    key, frozen, day, tag = _arguments(source, as_of, definitions)
    everyone = _monthly(key, frozen, day, tag, ())
    options = _options(key, frozen)
    base = WarehouseBase(everyone, tuple(options), options, pd.Timestamp(as_of))
    chosen = tuple((dim, tuple(values)) for dim, values in filters if values)
    segment = everyone if not chosen else _monthly(key, frozen, day, tag, chosen)
    # The key names the definitions too (as an upload's does): views cached on it never mix two.
    named = "" if not tag else "~" + hashlib.blake2b(tag.encode(), digest_size=6).hexdigest()
    return WarehouseData(f"{key}@{day}{named}", chosen, source, base, WarehouseSegment(segment),
                         tag)


def kpis(data: WarehouseData, month: pd.Period) -> pd.DataFrame:
    key = data.source.key
    return _kpis(key, _frozen(settings()), f"{data.as_of:%Y-%m-%d}", data.definitions,
                 data.filters, str(month))


@st.cache_data(show_spinner=False, max_entries=64)
def _levels(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, by: str,
            day: str, segment: str | None):
    import mrrkit.sql

    mv = _movements(key, frozen, as_of, definitions, filters)
    with _LOCK:
        return mrrkit.sql.cohort_levels(mv, by, day, segment=segment)


def cohort_levels(data: WarehouseData, by: str, day: pd.Timestamp, segment: str | None = None):
    """Each cohort's MRR and paying customers by period (:func:`mrrkit.sql.cohort_levels`), of
    the selected customers; per label of ``segment`` when given."""
    return _levels(data.source.key, _frozen(settings()), f"{data.as_of:%Y-%m-%d}",
                   data.definitions, data.filters, by, f"{pd.Timestamp(day):%Y-%m-%d}", segment)


@st.cache_data(show_spinner=False, max_entries=64)
def _label_sizes(key: str, frozen: str, filters: tuple, dimension: str) -> pd.Series:
    table = _label_table(key, frozen)
    if filters:
        table = table.filter(table.customer_id.isin(_selected_customers(key, frozen, filters)))
    column = table[f"dim_{dimension}"]
    with _LOCK:
        counts = table.group_by(segment=column).aggregate(n=table.count()).to_pandas()
    text = mrrkit.views.segments._as_labels(counts["segment"].reset_index(drop=True))
    return pd.Series(counts["n"].to_numpy(), index=text.to_numpy()).groupby(level=0).sum()


def label_sizes(data: WarehouseData, dimension: str) -> pd.Series:
    """Selected customers per label of ``dimension`` (the labels the filters offer, in order)."""
    sizes = _label_sizes(data.source.key, _frozen(settings()), data.filters, dimension)
    return sizes.reindex(data.base.options(dimension), fill_value=0).astype("int64")
