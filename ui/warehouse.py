"""The warehouse data source (issue 16): lines that stay in a database, computed there by
:mod:`mrrkit.sql`; the app fetches only small results (a row per month, one row of KPIs).

Configured in ``.streamlit/secrets.toml`` (``[warehouse]``, see docs/scaling.md)::

    [warehouse]
    url = "data/lines/"                  # a Parquet folder or file, a .duckdb file, an Ibis URL
    table = "finance.subscription_lines" # for a .duckdb file or a URL
    name = "Billing warehouse"           # what the sidebar calls it (default: the table)
    currency = "USD"                     # of the amounts (default EUR)
    memory_limit = "4GB"                 # DuckDB's bound (it spills to disk past it)
    store = "/var/lib/mrrkit/store.duckdb"  # keep what is computed across restarts
    warm = ["mrrkit", "chartmogul"]      # with a store: definitions the server keeps warm
    [warehouse.columns]                  # canonical name = the table's column, as for uploads
    customer_id = "account_id"

Where it is configured, it is the app's data (the sample stays a choice). Every result is cached
on the source's key (a digest of the settings, never the credentials themselves), the as-of day,
the definitions, the segment filters and the months, so a page view that was seen before runs no
query. The connection is shared by every session; its queries run one at a time (a DuckDB
connection is not for concurrent use).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import mrrkit

from .data import Source

__all__ = [
    "WarehouseData",
    "configured",
    "customer_count",
    "is_warehouse",
    "kpis",
    "row_count",
    "select",
    "settings",
    "source",
]

KEY_PREFIX = "warehouse:"
#: How often the app asks whether the lines changed (one aggregate query; seconds).
REFRESH_SECONDS = 600
#: The name the store (``store = "path.duckdb"``) is attached under.
STORE_CATALOG = "mrrkit_store"
#: Tables of a kind kept in the store per version of the lines (the latest as-of days): every
#: customer's movements are large, the sums small.
STORE_KEEP = {"movements": 8, "labels": 1, "customers": 4, "attributes": 1, "period": 4,
              "churns": 4, "reclassified": 4}
STORE_KEEP_SUMS = 256
#: Held by every query: the connection is shared by the sessions and the server's warmer, and a
#: DuckDB connection refuses a second call while one runs. Reentrant: a query may be built by a
#: function that takes it while its caller holds it. Never call a cached function (``st.cache_*``)
#: while holding it: the cache's own lock for that value may be held by a thread computing it,
#: which waits for this one (a deadlock); fetch cached tables first, then lock.
_LOCK = threading.RLock()
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


def _settings_part(key: str) -> str:
    """The settings' part of a source key (``warehouse:<settings>.<content>``)."""
    return key.split(".", 1)[0]


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(settings_key: str, frozen: str):
    """The canonical lines of the warehouse (checked by :func:`_content`), with the store
    attached when the settings name one (:func:`_materialised`)."""
    import ibis

    import mrrkit.sql

    chosen = json.loads(frozen)
    with _LOCK:
        # (checked by _content, with the figures it needs: one pass over the lines)
        t = mrrkit.sql.open_lines(
            chosen["url"], chosen.get("table"), chosen.get("columns") or None,
            memory_limit=chosen.get("memory_limit"), threads=chosen.get("threads"), check=False)
        store = str(chosen.get("store") or "").strip()
        if store:
            con = ibis.get_backend(t)
            if con.name != "duckdb":
                raise ValueError("'store' keeps the app's tables in a DuckDB file: it is for "
                                 "Parquet and DuckDB sources")
            con.attach(str(Path(store).expanduser()), STORE_CATALOG)
    return t


def _lines(key: str, frozen: str):
    return _open(_settings_part(key), frozen)


def lines(source: Source):
    """The ibis table of the source's lines (opened once per process)."""
    chosen = settings()
    if chosen is None or _settings_key(chosen) != _settings_part(source.key):
        raise ValueError("the warehouse settings changed: reload the page")
    return _lines(source.key, _frozen(chosen))


def _file_stamps(url: str) -> list:
    """The name, size and modification time of the files a local source reads (a DuckDB file,
    Parquet files): any write to them changes these; none for a warehouse URL."""
    if "://" in url:
        return []
    path = Path(url).expanduser()
    if path.is_dir():
        files = sorted(path.rglob("*.parquet"))
    else:
        import glob

        files = [Path(f) for f in sorted(glob.glob(str(path)))] if not path.exists() else [path]
    stamps = []
    for f in files:
        info = f.stat()
        stamps.append([str(f), info.st_size, info.st_mtime_ns])
    return stamps


@st.cache_data(show_spinner=False, max_entries=16, ttl=REFRESH_SECONDS)
def _content(settings_key: str, frozen: str) -> tuple[str, pd.DataFrame, int]:
    """What the lines hold now, in one aggregate query: a digest of their content (the
    source's key carries it, so every result cached on the key is computed again once the
    lines change, and never mixes two versions), their first and last starts and last end as
    a two-row stand-in for the lines where the sidebar's "as of" day needs only them
    (:func:`ui.views.date_span`, :func:`mrrkit.default_as_of` read the same minima and maxima),
    and their number. Asked again every :data:`REFRESH_SECONDS`: a warehouse is loaded while
    the app runs.

    The digest is of the lines' count, their amounts' and dates' sums and, for files, the
    files' sizes and modification times: hashing every value took 4x longer (3.5 s on 23M
    lines), so an attribute changed in a warehouse with no other change is seen only once
    something else changes (documented in docs/scaling.md)."""
    from mrrkit.sql.lines import _check

    t = _open(settings_key, frozen)
    with _LOCK:  # (the lines' check, every time: new lines are checked too)
        row = _check(t, first_start=t.start.min(), last_start=t.start.max(),
                     last_end=t.end.max(), rows=t.count(), ended=t.end.count(),
                     micros=t.mrr_micros.sum(), start_days=t.start.epoch_days().sum(),
                     end_days=t.end.epoch_days().sum())
    stamps = _file_stamps(str(json.loads(frozen)["url"]))
    digest = hashlib.sha256(json.dumps([[str(v) for v in row.to_list()], stamps]).encode())
    span = pd.DataFrame({
        "customer_id": ["first", "last"],
        "start": pd.to_datetime([row["first_start"], row["last_start"]]),
        "end": pd.to_datetime([row["last_end"], None]),
        "mrr": [0.0, 0.0],
    })
    return digest.hexdigest()[:16], span, int(row["rows"])


def source() -> Source | None:
    """The warehouse :class:`~ui.data.Source`, or None when none is configured or it cannot be
    opened (then :func:`problem` says why). Its ``lines`` are the two-row stand-in of
    :func:`_content`: the pages never read a warehouse's lines."""
    chosen = settings()
    if chosen is None:
        return None
    settings_key = _settings_key(chosen)
    name = str(chosen.get("name") or chosen.get("table") or "warehouse")
    currency = str(chosen.get("currency") or "EUR").upper()
    try:
        digest, span, _ = _content(settings_key, _frozen(chosen))
        _start_warmer(chosen)
    except Exception as exc:  # noqa: BLE001 - a wrong URL, table, mapping, store, warm list
        st.session_state[_PROBLEM_KEY] = str(exc)  # or a bad line
        return None
    st.session_state.pop(_PROBLEM_KEY, None)
    return Source(name=name, key=f"{settings_key}.{digest}", lines=span, currency=currency)


def problem() -> str | None:
    """Why the configured warehouse could not be opened this session (None: it could)."""
    return st.session_state.get(_PROBLEM_KEY)


def row_count(source: Source) -> int:
    chosen = settings()
    return _content(_settings_part(source.key), _frozen(chosen))[2]


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


@functools.cache
def _code_digest() -> str:
    """A digest of the code that computes the stored tables (the engine's rules, their SQL, the
    label rule here and what each page's module stores): a table stored by other code is never
    read back."""
    root = Path(mrrkit.__file__).parent
    files = sorted([*root.glob("sql/*.py"), *root.glob("engine/*.py"),
                    *Path(__file__).parent.glob("warehouse*.py")])
    text = b"".join(f.read_bytes() for f in files)
    return hashlib.blake2b(text, digest_size=6).hexdigest()


def _stored(frozen: str) -> bool:
    """Whether the settings name a store (:func:`_materialised`)."""
    return bool(str(json.loads(frozen).get("store") or "").strip())


def _store_tables(con) -> list[str]:
    # (Ibis 12's list_tables fails on DuckDB 2: the catalog is asked directly.)
    rows = con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                       f"'{STORE_CATALOG}'").fetchall()
    return sorted(r[0] for r in rows)


def _materialised(key: str, frozen: str, expr, kind: str, tag: str = ""):
    """``expr`` computed once into a table: into the store when the settings name one (a DuckDB
    file kept across restarts, so a server that starts again reads what an earlier one
    computed), else into a temporary table of the connection (Ibis's ``cache``).

    Stored tables are named by the lines' content digest (the key's), ``tag`` and the code's
    digest: new lines or new code make new tables, and the tables of earlier lines are
    dropped then, as are the oldest past :data:`STORE_KEEP` of a kind."""
    import ibis

    if not json.loads(frozen).get("store"):
        return expr.cache()
    con = ibis.get_backend(expr)
    content = key.split(".", 1)[1]
    name = f"{kind}_{content}_{tag}{_code_digest()}"
    where = (STORE_CATALOG, "main")
    tables = _store_tables(con)
    if name not in tables:
        con.create_table(name, expr, database=where)  # (one statement: all of it or nothing)
        same = sorted(t for t in tables if t.startswith(f"{kind}_{content}_"))
        stale = [t for t in tables if t.split("_")[1] != content]
        keep = STORE_KEEP.get(kind, STORE_KEEP_SUMS)
        for old in stale + same[:max(0, len(same) + 1 - keep)]:
            con.drop_table(old, database=where, force=True)
    return con.table(name, database=where)


def _fetched(key: str, frozen: str, expr, kind: str, tag: str) -> pd.DataFrame:
    """The small result of ``expr`` (sums per month, per label...): kept in the store too when
    there is one, so a server that starts again fetches it without computing it (a table of
    plain columns, finished in pandas as when it was computed). Call with the lock held."""
    if not json.loads(frozen).get("store"):
        return expr.to_pandas()
    return _materialised(key, frozen, expr, kind, tag + "_").to_pandas()


def _sums_tag(as_of: str, definitions: str, *more: str) -> str:
    """What names a stored result: the day, a digest of the definitions and of ``more``."""
    text = json.dumps([definitions, *more])
    return as_of.replace("-", "") + "_" + hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=4)
def _everyone(key: str, frozen: str, as_of: str, definitions: str):
    """Every customer's movements at a day under definitions, materialised once in the database
    (:func:`_materialised`): each view then reads them instead of computing them from the lines
    again, and a segment's are a semi-join of them (a customer's movements depend on its own
    lines only). Kept for the four latest (day, definitions) in this process, and in the store
    across restarts."""
    import dataclasses

    import mrrkit.sql

    lines = _lines(key, frozen)
    tag = _sums_tag(as_of, definitions)
    with _LOCK:  # (another tool's definitions query the lines for the credits they end)
        mv = mrrkit.sql.movements(lines, as_of=as_of, definitions=_definitions(definitions))
        return dataclasses.replace(mv, micros=_materialised(key, frozen, mv.micros, "movements",
                                                            tag + "_"))


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
        return _materialised(key, frozen, table, "labels")


def _passes(table, filters: tuple):
    """Whether each row's labels pass ``filters``: a boolean column of ``table``, which has the
    label table's ``dim_<dimension>`` columns (:func:`_label_table`)."""
    keep = None
    for name, chosen in filters:
        text = table[f"dim_{name}"].cast("string")
        values = [str(v) for v in chosen]
        test = text.isin([v for v in values if v != mrrkit.MISSING])
        if mrrkit.MISSING in values:
            test = test | table[f"dim_{name}"].isnull() | (text.strip() == "")
        keep = test if keep is None else keep & test
    return keep.fill_null(False)


def _selected_customers(key: str, frozen: str, filters: tuple):
    """The customers whose labels pass ``filters`` (an ibis column expression of ids)."""
    table = _label_table(key, frozen)
    return table.filter(_passes(table, filters)).customer_id


def _movements(key: str, frozen: str, as_of: str, definitions: str, filters: tuple):
    import dataclasses

    everyone = _everyone(key, frozen, as_of, definitions)
    if not filters:
        return everyone
    m = everyone.micros
    return dataclasses.replace(everyone, micros=m.filter(m.customer_id.isin(
        _selected_customers(key, frozen, filters))))


def _with_segment(key: str, frozen: str, t, dimension: str):
    """Movement rows ``t`` with each customer's label of ``dimension`` (``segment``)."""
    labels = _label_table(key, frozen)
    labels = labels.select(label_customer=labels.customer_id, segment=labels[f"dim_{dimension}"])
    return t.inner_join(labels, t.customer_id == labels.label_customer).drop("label_customer")


@st.cache_data(show_spinner=False, max_entries=32)
def _dimension_sums(key: str, frozen: str, as_of: str, definitions: str,
                    dimension: str) -> pd.DataFrame:
    """What the monthly table is made of (:class:`mrrkit.engine.monthly.MonthSums`), per label of
    one dimension and month, in one query over every customer's movements. Those sums add up
    over customers, so the monthly table of a filter on this dimension alone is a sum of rows
    here: after the first, a filter change on the dimension runs no monthly query."""
    from mrrkit.sql.views import _labels, _month_sums_query

    t = _everyone(key, frozen, as_of, definitions).micros
    query = _month_sums_query(_with_segment(key, frozen, t, dimension), ["segment"])
    with _LOCK:
        rows = _fetched(key, frozen, query, "monthsums", _sums_tag(as_of, definitions,
                                                                   dimension))
    rows["segment"] = _labels(rows["segment"]).to_numpy()
    return rows


@st.cache_data(show_spinner=False, max_entries=32)
def _dimension_retention(key: str, frozen: str, as_of: str, definitions: str, dimension: str,
                         pairs: tuple) -> pd.DataFrame:
    """What the KPIs' NRR and GRR between ``pairs`` of months are ratios of
    (:func:`mrrkit.sql.retention_sums_query`), per label of one dimension: sums over customers,
    so a filter on this dimension alone sums the chosen labels' rows (no query)."""
    from mrrkit.sql.views import _labels, retention_sums_query

    mv = _everyone(key, frozen, as_of, definitions)
    joined = _with_segment(key, frozen, mv.micros, dimension)
    query = retention_sums_query(mv, list(pairs), joined, ["segment"])
    with _LOCK:
        rows = _fetched(key, frozen, query, "retention",
                        _sums_tag(as_of, definitions, dimension, json.dumps(pairs)))
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
    if not filters:  # every customer: the sums kept in the store when there is one
        from mrrkit.sql.views import _month_sums_query, monthly_of_rows

        with _LOCK:
            rows = _fetched(key, frozen, _month_sums_query(mv.micros, []), "monthsums",
                            _sums_tag(as_of, definitions))
            return monthly_of_rows(mv, rows)
    with _LOCK:
        return mrrkit.sql.monthly(mv)


@st.cache_data(show_spinner=False, max_entries=64)
def _kpis(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
          month: str) -> pd.DataFrame:
    """The KPIs from the (cached) monthly table and the NRR/GRR sums: of a filter on one
    dimension, a sum of its labels' rows (:func:`_dimension_retention`); else one query."""
    import mrrkit.sql

    table = _monthly(key, frozen, as_of, definitions, filters)
    mv = _movements(key, frozen, as_of, definitions, filters)
    pairs = mrrkit.sql.kpi_pairs(table, month)
    if len(filters) == 1:
        (dimension, chosen), = filters
        rows = _dimension_retention(key, frozen, as_of, definitions, dimension,
                                    tuple((str(s), str(e)) for s, e in pairs))
        retention = mrrkit.sql.retention_of_sums(
            mv, pairs, rows[rows["segment"].isin([str(v) for v in chosen])])
        return mrrkit.sql.kpis(mv, month, table=table, retention=retention)
    if not filters and pairs:  # every customer: the sums kept in the store when there is one
        query = mrrkit.sql.retention_sums_query(mv, pairs)
        tag = _sums_tag(as_of, definitions, json.dumps([(str(a), str(b)) for a, b in pairs]))
        with _LOCK:
            rows = _fetched(key, frozen, query, "retention", tag)
        retention = mrrkit.sql.retention_of_sums(mv, pairs, rows)
        return mrrkit.sql.kpis(mv, month, table=table, retention=retention)
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
    #: The customers' attribute columns (:func:`mrrkit.sql.attribute_columns`).
    attribute_columns: tuple[str, ...] = ()

    @property
    def months(self) -> list[pd.Period]:
        return list(self.monthly.index)

    @property
    def attributes(self) -> pd.DataFrame:
        """The attribute columns an upload's :attr:`ui.views.Analysis.attributes` has, without
        rows: a warehouse's customers stay in it (a page reads which attributes there are)."""
        return pd.DataFrame(columns=list(self.attribute_columns))

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
        """The same data with no filter (what :func:`ui.views.view` gives an ``everyone`` view)."""
        if not self.filters:
            return self
        return WarehouseData(self.key, (), self.source, self.base,
                             WarehouseSegment(self.base.monthly), self.definitions)


def _arguments(source: Source, as_of: pd.Timestamp, definitions) -> tuple:
    return source.key, _frozen(settings()), f"{as_of:%Y-%m-%d}", _tag(definitions)


def select(source: Source, as_of: pd.Timestamp, filters: tuple, definitions=None
           ) -> WarehouseData:
    """The :class:`WarehouseData` of the source (two queries the first time: every customer's
    monthly table and the selection's, the same one without filters)."""
    key, frozen, day, tag = _arguments(source, as_of, definitions)
    everyone = _monthly(key, frozen, day, tag, ())
    options = _options(key, frozen)
    import mrrkit.sql

    base = WarehouseBase(everyone, tuple(options), options, pd.Timestamp(as_of),
                         tuple(mrrkit.sql.attribute_columns(_lines(key, frozen))))
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
    """The cohort levels (:func:`mrrkit.sql.cohort_levels`) of the selected customers, per
    label of ``segment`` when given. With a store, every customer's rows (per label of a
    dimension too) are kept in it: a filter on one dimension, the segment curves of a
    dimension, or both on the same dimension, are then that dimension's labels' rows (they add
    up over customers). Otherwise one query, the labels read from :func:`_label_table` (as
    :func:`mrrkit.sql.cohort_levels` would compute them from the lines: a pass over every
    line)."""
    import mrrkit.sql

    mv = _movements(key, frozen, as_of, definitions, filters)
    named = {d for d in [segment, *(name for name, _ in filters)] if d is not None}
    if _stored(frozen) and len(filters) <= 1 and len(named) <= 1:
        dimension = next(iter(named), None)
        rows = _level_rows(key, frozen, as_of, definitions, by, day, dimension)
        if filters:
            chosen = [str(v) for v in filters[0][1]]
            rows = rows[rows["segment"].isin(chosen)]
            if segment is None:
                rows = rows.drop(columns="segment")
        with _LOCK:  # (a negative MRR is looked up in the database)
            return mrrkit.sql.cohort_levels_of_rows(mv, rows, by, day)
    labels = None
    if segment is not None:
        table = _label_table(key, frozen)
        labels = table.select(segment_customer=table.customer_id, segment=table[f"dim_{segment}"])
    with _LOCK:
        return mrrkit.sql.cohort_levels(mv, by, day, segment=labels)


@st.cache_data(show_spinner=False, max_entries=32)
def _level_rows(key: str, frozen: str, as_of: str, definitions: str, by: str, day: str,
                dimension: str | None) -> pd.DataFrame:
    """Every customer's cohort-level rows (:func:`mrrkit.sql.cohort_levels_query`), per label of
    ``dimension`` (the filters' labels, :func:`_label_table`) when given; kept in the store."""
    import mrrkit.sql
    from mrrkit.sql.views import _labels

    mv = _everyone(key, frozen, as_of, definitions)
    labels = None
    if dimension is not None:
        table = _label_table(key, frozen)
        labels = table.select(segment_customer=table.customer_id,
                              segment=table[f"dim_{dimension}"])
    query = mrrkit.sql.cohort_levels_query(mv, by, day, segment=labels)
    with _LOCK:
        rows = _fetched(key, frozen, query, "levels",
                        _sums_tag(as_of, definitions, by, day, dimension or ""))
    if dimension is not None:
        rows["segment"] = _labels(rows["segment"]).to_numpy()
    return rows


def cohort_levels(data: WarehouseData, by: str, day: pd.Timestamp, segment: str | None = None):
    """Each cohort's MRR and paying customers by period (:func:`mrrkit.sql.cohort_levels`), of
    the selected customers; per label of ``segment`` when given."""
    return _levels(data.source.key, _frozen(settings()), f"{data.as_of:%Y-%m-%d}",
                   data.definitions, data.filters, by, f"{pd.Timestamp(day):%Y-%m-%d}", segment)


@st.cache_data(show_spinner=False, max_entries=64)
def _label_sizes(key: str, frozen: str, filters: tuple, dimension: str) -> pd.Series:
    """Customers per label of ``dimension`` among those ``filters`` select: of a filter on that
    dimension alone, every customer's sizes of the labels chosen (no query)."""
    if len(filters) == 1 and filters[0][0] == dimension:
        sizes = _label_sizes(key, frozen, (), dimension)
        return sizes.where(sizes.index.isin([str(v) for v in filters[0][1]]), 0)
    table = _label_table(key, frozen)
    if filters:
        table = table.filter(_passes(table, filters))
    column = table[f"dim_{dimension}"]
    with _LOCK:
        counts = table.group_by(segment=column).aggregate(n=table.count()).to_pandas()
    text = mrrkit.views.segments._as_labels(counts["segment"].reset_index(drop=True))
    return pd.Series(counts["n"].to_numpy(), index=text.to_numpy()).groupby(level=0).sum()


def label_sizes(data: WarehouseData, dimension: str) -> pd.Series:
    """Selected customers per label of ``dimension`` (the labels the filters offer, in order)."""
    sizes = _label_sizes(data.source.key, _frozen(settings()), data.filters, dimension)
    return sizes.reindex(data.base.options(dimension), fill_value=0).astype("int64")


@st.cache_data(show_spinner=False, max_entries=64)
def _customer_count(key: str, frozen: str, filters: tuple) -> int:
    """The customers the filters select (every customer with no filter): of a filter on one
    dimension, a sum of its labels' sizes (one group-by shared by every such filter)."""
    if len(filters) == 1:
        return int(_label_sizes(key, frozen, filters, filters[0][0]).sum())
    table = _label_table(key, frozen)
    if table is None:  # (no attribute, so no filter)
        lines = _lines(key, frozen)
        with _LOCK:
            return int(lines.customer_id.nunique().execute())
    if filters:
        table = table.filter(_passes(table, filters))
    with _LOCK:
        return int(table.count().execute())


def customer_count(data: WarehouseData, everyone: bool = False) -> int:
    """How many customers the filters select (``everyone``: how many there are), as the
    sidebar's "N of M customers selected" counts them for an upload (customers with lines)."""
    return _customer_count(data.source.key, _frozen(settings()),
                           () if everyone else data.filters)


# --- preparing the store ahead ------------------------------------------------------------------


def warm(chosen: Mapping[str, Any] | None = None, as_of=None, definitions=None) -> dict:
    """Compute into the store what a first visit of the Overview, the Cohorts, the Scenarios,
    the Expansion, the Segments and the Customers pages reads, and what a filter on any one
    dimension reads: every customer's movements, labels and row of the customer list, the
    month sums, the KPIs' retention sums, the cohort levels, the forecast's and the
    expansion's sums of every customer and of each dimension's labels, every customer's
    figures and churns for the default reporting period, at ``as_of`` (the day the app opens
    at: the lines' latest date, or today) under ``definitions``.

    ``make warm`` runs it before a server starts (a running server does it itself, with
    :func:`warm_once`: the store is a file one process writes), so the first visitor finds
    everything computed. ``chosen`` are the ``[warehouse]`` settings (default: the
    secrets'). Returns what it did (the key, the day, the dimensions, the seconds taken).
    """
    import time

    from .data import today

    chosen = settings() if chosen is None else dict(chosen)
    if chosen is None:
        raise ValueError("no [warehouse] settings (url, table, store) in the secrets")
    if not str(chosen.get("store") or "").strip():
        raise ValueError("set store = \"path.duckdb\" in [warehouse]: without a store, what is "
                         "computed is lost when the server stops")
    started = time.perf_counter()
    settings_key, frozen = _settings_key(chosen), _frozen(chosen)
    digest, span, _ = _content(settings_key, frozen)
    key = f"{settings_key}.{digest}"
    day = pd.Timestamp(as_of) if as_of is not None else mrrkit.default_as_of(span, today())
    if isinstance(definitions, str):
        definitions = mrrkit.Definitions.preset(definitions)
    tag, when = _tag(definitions), f"{day:%Y-%m-%d}"
    table = _monthly(key, frozen, when, tag, ())
    options = _options(key, frozen)
    if len(table):
        month = str(table.index[-1])
        _kpis(key, frozen, when, tag, (), month)
        for dimension in options:  # a filter on one label of it: its sums exist
            first = options[dimension][0]
            _kpis(key, frozen, when, tag, ((dimension, (first,)),), month)
        _levels(key, frozen, when, tag, (), "month", when, None)  # (the Cohorts page's)
        for dimension in options:
            _level_rows(key, frozen, when, tag, "month", when, dimension)
        # (they import this module)
        from . import (warehouse_customers, warehouse_expansion, warehouse_forecast,
                       warehouse_segments)

        warehouse_forecast.warm(key, frozen, when, tag, list(options))
        warehouse_expansion.warm(key, frozen, when, tag, list(options), list(table.index))
        warehouse_segments.warm(key, frozen, when, tag, list(options), list(table.index))
        warehouse_customers.warm(key, frozen, when, tag)
    return {"key": key, "as_of": when, "dimensions": list(options),
            "seconds": round(time.perf_counter() - started, 1)}


# --- the server keeps its store warm ------------------------------------------------------------

#: How often the server's warmer looks at the lines (seconds): what it sees is the source's key,
#: which :func:`_content` asks again every :data:`REFRESH_SECONDS`.
WARM_POLL_SECONDS = 60
_WARMER: threading.Thread | None = None
_WARMER_START = threading.Lock()
#: Set to stop the warmer (the tests; a server's warmer is a daemon thread, gone with it).
WARMER_STOP = threading.Event()
_LOG = logging.getLogger(__name__)


def _warm_presets(chosen: Mapping[str, Any]) -> list[str]:
    """The definitions the server keeps warm (``warm = ["mrrkit", "chartmogul"]`` in
    ``[warehouse]``; default mrrkit's; ``warm = []`` or ``false``: none)."""
    wanted = chosen.get("warm", ["mrrkit"])
    if wanted is False or wanted is None:
        return []
    if isinstance(wanted, str):
        wanted = [wanted]
    unknown = [p for p in wanted if p not in mrrkit.DEFINITION_PRESETS]
    if unknown:
        raise ValueError(f"warm: unknown definitions {unknown} (one of "
                         f"{sorted(mrrkit.DEFINITION_PRESETS)})")
    return list(wanted)


def _start_warmer(chosen: Mapping[str, Any]) -> None:
    """With a store, once per process: a thread that keeps the store warm while the server
    runs (:func:`warm_once` every :data:`WARM_POLL_SECONDS`). The store is a DuckDB file the
    server holds open for writing, so ``make warm`` cannot run beside it: new lines loaded
    while the server runs are prepared by the server itself, before a visitor asks."""
    global _WARMER
    if not str(chosen.get("store") or "").strip() or not _warm_presets(chosen):
        return
    with _WARMER_START:
        if _WARMER is not None and _WARMER.is_alive():
            return
        WARMER_STOP.clear()
        _WARMER = threading.Thread(target=_warm_loop, args=(dict(chosen),), daemon=True,
                                   name="mrrkit-warmer")
        _WARMER.start()


def _warm_loop(chosen: dict) -> None:
    done: set = set()
    while not WARMER_STOP.is_set():
        if settings() not in (None, chosen):  # (other settings: a new server's business)
            return
        try:
            warm_once(chosen, done)
        except Exception:  # noqa: BLE001 - a warehouse down for a while: try again later
            _LOG.warning("warming the warehouse store failed; trying again in %s s",
                         WARM_POLL_SECONDS, exc_info=True)
        WARMER_STOP.wait(WARM_POLL_SECONDS)


def warm_once(chosen: Mapping[str, Any], done: set) -> list[dict]:
    """Warm the store (:func:`warm`) for each of the settings' ``warm`` presets not warmed yet
    at the lines' present version and the day the app opens at (``done`` holds what was);
    returns what it did (nothing when nothing changed: one cached lookup)."""
    from .data import today

    settings_key, frozen = _settings_key(chosen), _frozen(chosen)
    digest, span, _ = _content(settings_key, frozen)
    day = f"{mrrkit.default_as_of(span, today()):%Y-%m-%d}"
    out = []
    for preset in _warm_presets(chosen):
        version = (digest, day, preset)
        if version in done:
            continue
        out.append(warm(chosen, as_of=day,
                        definitions=None if preset == "mrrkit" else preset))
        done.add(version)
    return out


if __name__ == "__main__":  # python -m ui.warehouse [--as-of DAY] [--definitions PRESET ...]
    import argparse

    parser = argparse.ArgumentParser(
        description="Compute into the [warehouse] store what the app's first visits read.")
    parser.add_argument("--as-of", help="the day (default: the day the app opens at)")
    parser.add_argument("--definitions", nargs="*", default=["mrrkit"],
                        help="presets to prepare (mrrkit, chartmogul, baremetrics...)")
    args = parser.parse_args()
    for preset in args.definitions:
        done = warm(as_of=args.as_of, definitions=None if preset == "mrrkit" else preset)
        print(f"{preset}: {done}")
