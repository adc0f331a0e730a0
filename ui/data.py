"""Where the app's data comes from, and the cached computations every page derives its views from.

Caches are keyed on the *content* (a digest of the source), never on a large frame, so Streamlit
does not hash millions of rows on every rerun:

- :func:`analysis` — once per source: movements, the monthly table, customer attributes and their
  segment labels;
- :func:`segment_view` — once per (source, filters): the movements of the selected customers and
  their monthly table (a segment is a filter on customers, never on dates);
- :func:`derived` — anything a page computes from a segment view, keyed on (source, filters,
  function, arguments).

A session's data is the bundled sample until the Data page reads an upload
(:func:`read_upload`, cached on the file's digest) and calls :func:`set_upload`; the upload lives
in this session's state only. "Share" stores it in the server's :func:`view_store` under an
unguessable token, and a ``?view=<token>`` link reopens it (:func:`open_view`) for anyone let in.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import mrrkit
from mrrkit.exports import CustomerFile, ExportResult, read_customers, read_export
from mrrkit.segments import customer_mask, filter_movements, segment_columns, segment_labels

from .saved_views import ViewStore

__all__ = [
    "Analysis",
    "SegmentView",
    "Source",
    "Upload",
    "analysis",
    "available_sources",
    "bytes_digest",
    "clear_upload",
    "current_source",
    "derived",
    "file_currencies",
    "file_headers",
    "is_sample",
    "lines_digest",
    "open_view",
    "rates_from_table",
    "read_customers_upload",
    "read_upload",
    "sample_source",
    "save_view",
    "segment_view",
    "set_upload",
    "single_currency",
    "upload_bytes",
    "upload_source",
    "view_store",
]

#: ``st.session_state`` key of this session's uploaded :class:`Source` (set by the Data page).
UPLOAD_KEY = "source"
_CHOICE_KEY = "_mrrkit_source_choice"


@dataclass(frozen=True)
class Source:
    """A set of canonical lines and the digest that identifies its content.

    ``currency`` is the ISO 4217 code of the amounts (the reporting currency of an upload).
    """

    name: str
    key: str
    lines: pd.DataFrame = field(repr=False)
    currency: str = "EUR"


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


@dataclass(frozen=True)
class SegmentView:
    """The selected customers' movements and monthly table."""

    movements: pd.DataFrame
    monthly: pd.DataFrame
    customers: int  # customers selected (with at least one line)
    selected: np.ndarray  # bool per row of Analysis.labels: is the customer selected?


def lines_digest(lines: pd.DataFrame) -> str:
    """A digest of a lines frame's content (for cache keys of uploads).

    >>> import pandas as pd
    >>> a = pd.DataFrame({"customer_id": ["x"], "mrr": [1.0]})
    >>> lines_digest(a) == lines_digest(a.copy()), lines_digest(a) == lines_digest(a.assign(mrr=2.0))
    (True, False)
    """
    h = hashlib.sha256()
    # The dtypes too: the row hashes see a datetime's integer, not its unit (1 s == 1 ns).
    h.update(repr([(str(c), str(t)) for c, t in lines.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(lines, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _file_digest(path) -> str:
    """SHA-256 of a file's bytes, read again only when its size or modification time changes
    (every rerun asks for the sample's)."""
    stat = path.stat()
    return _digest_of_file(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _digest_of_file(path: str, size: int, mtime_ns: int) -> str:
    # ``size`` and ``mtime_ns`` only key the memo.
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# A shared resource, not cache_data: cache_data would unpickle a copy of the lines on every
# rerun. Read-only, like every cached object here (see :func:`analysis`).
@st.cache_resource(show_spinner=False, max_entries=4)
def _sample(digest: str) -> pd.DataFrame:
    # ``digest`` only keys the cache: a regenerated sample file is reloaded.
    return mrrkit.load_sample()


def sample_source() -> Source:
    from mrrkit.sample import SAMPLE_PATH

    digest = _file_digest(SAMPLE_PATH) if SAMPLE_PATH.exists() else "generated"
    return Source(name="sample", key=f"sample:{digest}", lines=_sample(digest))


def set_upload(source: Source) -> None:
    """Make ``source`` this session's data (the Data page calls it after a successful import)."""
    st.session_state[UPLOAD_KEY] = source
    st.session_state[_CHOICE_KEY] = "upload"


def available_sources() -> list[str]:
    """``["sample"]``, or ``["upload", "sample"]`` once this session uploaded data (the upload
    first: it is what the session came for)."""
    return ["upload", "sample"] if isinstance(st.session_state.get(UPLOAD_KEY), Source) else ["sample"]


def current_source(choice: str | None = None) -> Source:
    """This session's data: its upload if it made one (and did not switch back), else the sample."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    choice = choice or st.session_state.get(_CHOICE_KEY, "upload")
    if isinstance(uploaded, Source) and choice == "upload":
        return uploaded
    return sample_source()


def is_sample(source: Source) -> bool:
    """Whether ``source`` is the bundled sample (a shared view then stores only a marker)."""
    return source.key.startswith("sample:")


def upload_source(name: str, lines: pd.DataFrame, currency: str = "EUR") -> Source:
    """A :class:`Source` for uploaded canonical lines, keyed on their content.

    >>> import pandas as pd
    >>> lines = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
    ...                       "end": pd.to_datetime([pd.NaT]), "mrr": [10.0]})
    >>> source = upload_source("export.csv", lines, "USD")
    >>> source.key == "upload:" + lines_digest(lines), source.currency
    (True, 'USD')
    """
    return Source(name=name, key="upload:" + lines_digest(lines), lines=lines, currency=currency)


def clear_upload() -> None:
    """Forget this session's upload: every page shows the sample again.

    Call it from a widget callback (it sets the data-source radio's state)."""
    st.session_state.pop(UPLOAD_KEY, None)
    st.session_state[_CHOICE_KEY] = "sample"


# --- reading uploads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """What :func:`read_upload` made of a file: its ``result``, or the ``error`` saying why it
    cannot be used at all (a message for people, never a traceback)."""

    result: ExportResult | None = None
    error: str | None = None


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an upload's bytes: the cache key of everything read from it.

    >>> bytes_digest(b"abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(data).hexdigest()


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValueError):  # ExportError, or arguments the file cannot honour
        return str(exc)
    # Not expected from mrrkit; keep the trace in the server log, show people a sentence.
    import logging

    logging.getLogger(__name__).exception("reading an upload failed")
    return f"unexpected problem while reading the file ({type(exc).__name__}: {exc})"


# Uploads are cached as shared resources keyed on their bytes' digest: another session reaches a
# result only by uploading the very same bytes. A time limit frees the memory of past uploads.
@st.cache_resource(show_spinner=False, max_entries=8, ttl=3600)
def _customers_file(digest: str, _data: bytes) -> tuple[CustomerFile | None, str | None]:
    try:
        return read_customers(_data), None
    except Exception as exc:  # noqa: BLE001 - shown to the user by the Data page
        return None, _problem(exc)


def read_customers_upload(
    data: bytes, digest: str | None = None
) -> tuple[CustomerFile | None, str | None]:
    """A customers file read by :func:`mrrkit.read_customers` (cached on its digest): the file,
    or ``None`` and why it cannot be used."""
    return _customers_file(digest or bytes_digest(data), data)


@st.cache_resource(show_spinner="Reading the file…", max_entries=8, ttl=3600)
def _read_upload(
    digest: str,
    mapping: tuple | None,
    reporting_currency: str | None,
    rates: tuple | None,
    customers_digest: str | None,
    _data: bytes,
    _customers: CustomerFile | None,
) -> Upload:
    try:
        result = read_export(
            _data,
            mapping=None if mapping is None else dict(mapping),
            reporting_currency=reporting_currency,
            fx_rates=None if rates is None else dict(rates),
            customers=_customers,
        )
    except Exception as exc:  # noqa: BLE001 - an unusable file is a message, not a crash
        return Upload(error=_problem(exc))
    return Upload(result=result)


def read_upload(
    data: bytes,
    *,
    mapping: Mapping[str, str | None] | None = None,
    reporting_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    customers: bytes | None = None,
    digest: str | None = None,
    customers_digest: str | None = None,
) -> Upload:
    """:func:`mrrkit.read_export` of an upload, cached on the digests of its bytes (and of the
    customers file's) and on the options. Pass the digests when known (:func:`upload_bytes`).

    A customers file that cannot be read is left out (:func:`read_customers_upload` says why).
    """
    customers_file = None
    if customers is not None:
        customers_digest = customers_digest or bytes_digest(customers)
        customers_file, _ = read_customers_upload(customers, customers_digest)
        if customers_file is None:
            customers_digest = None
    else:
        customers_digest = None
    return _read_upload(
        digest or bytes_digest(data),
        None if mapping is None else tuple(sorted(mapping.items())),
        reporting_currency or None,
        None if not fx_rates else tuple(sorted((k, float(v)) for k, v in fx_rates.items())),
        customers_digest,
        data,
        customers_file,
    )


def _head(data: bytes, size: int = 256 * 1024) -> bytes:
    """The first ``size`` bytes of a text file, cut after a line end (enough for its header)."""
    if len(data) <= size:
        return data
    cut = data.rfind(b"\n", 0, size)
    return data[: cut + 1] if cut > 0 else data[:size]


@st.cache_resource(show_spinner=False, max_entries=8, ttl=3600)
def _headers(digest: str, _data: bytes) -> tuple[str, ...]:
    from mrrkit.tabular import read_table

    # Spreadsheets (zip) and Parquet must be read whole; a text file's header is at its top.
    binary = _data[:2] == b"PK" or _data[:4] == b"PAR1"
    try:
        return tuple(str(c) for c in read_table(_data if binary else _head(_data)).frame.columns)
    except Exception:  # noqa: BLE001 - read_upload reports why the file cannot be read
        return ()


def file_headers(data: bytes, digest: str | None = None) -> list[str]:
    """The column headers of an upload as :func:`mrrkit.read_export` sees them (the choices of
    the column-mapping editor); empty if the file cannot be read.

    >>> file_headers(b"Client;Date;MRR\\nacme;2024-01-01;10\\n")
    ['Client', 'Date', 'MRR']
    """
    return list(_headers(digest or bytes_digest(data), data))


def upload_bytes(upload) -> tuple[bytes, str]:
    """An uploaded file's bytes and their digest, hashed once per upload (not on every rerun)."""
    data = upload.getvalue()
    memo = st.session_state.setdefault("_mrrkit_upload_digests", {})
    key = (getattr(upload, "file_id", None), len(data))
    if key[0] is None:
        return data, bytes_digest(data)
    if key not in memo:
        if len(memo) >= 8:
            memo.clear()
        memo[key] = bytes_digest(data)
    return data, memo[key]


def file_currencies(result: ExportResult) -> list[str]:
    """The billing currencies of an export's rows, kept or rejected (upper case, sorted): the
    ones an exchange-rate table needs.

    >>> from mrrkit import read_export
    >>> csv = b"customer_id,start,mrr,currency\\na,2024-01-01,10,eur\\nb,2024-01-01,5,USD\\n"
    >>> file_currencies(read_export(csv, reporting_currency="EUR"))
    ['EUR', 'USD']
    """
    found: set[str] = set()
    frames = [(result.lines, "currency"), (result.rejected, result.mapping.get("currency"))]
    for frame, column in frames:
        if column and column in frame.columns:
            values = frame[column].dropna().astype("str").str.strip().str.upper()
            found.update(v for v in values.unique() if v)
    return sorted(found)


def single_currency(result: ExportResult) -> str | None:
    """The one billing currency of the kept lines, if there is exactly one.

    >>> from mrrkit import read_export
    >>> single_currency(read_export(b"customer_id,start,mrr,currency\\na,2024-01-01,10,usd\\n"))
    'USD'
    """
    if "currency" not in result.lines.columns:
        return None
    values = result.lines["currency"].dropna().astype("str").str.strip().str.upper().unique()
    values = [v for v in values if v]
    return values[0] if len(values) == 1 else None


def rates_from_table(table: pd.DataFrame) -> dict[str, float]:
    """``{currency: rate}`` from an edited table of ``currency`` and ``rate`` (rows without a
    number are left out: their rows are then rejected for want of a rate).

    >>> import pandas as pd
    >>> rates_from_table(pd.DataFrame({"currency": ["usd", "GBP", "CHF"], "rate": [0.9, None, "x"]}))
    {'USD': 0.9}
    """
    rates = {}
    for currency, rate in zip(table["currency"], pd.to_numeric(table["rate"], errors="coerce")):
        if isinstance(currency, str) and currency.strip() and np.isfinite(rate):
            rates[currency.strip().upper()] = float(rate)
    return rates


# --- shared views -------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _view_store(settings: tuple[tuple[str, str], ...]) -> ViewStore:
    return ViewStore.from_env(dict(settings))


def view_store() -> ViewStore:
    """The server's store of shared views (one per configuration of the ``MRRKIT_VIEW*``
    environment variables; see :meth:`ViewStore.from_env`). Raises ``ValueError`` for a bad
    configuration."""
    settings = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MRRKIT_VIEW")))
    store = _view_store(settings)
    store.purge_if_due()  # at most hourly, in the background: expired data leaves the disk
    return store


def save_view(source: Source, params: Mapping[str, list[str]]) -> str:
    """Store ``source`` (only a marker for the sample) and the view's URL parameters; return the
    token. Raises ``ValueError`` (store full, view too large, bad configuration)."""
    state = {
        "version": 1,
        "params": {str(k): [str(v) for v in values] for k, values in params.items()},
        "name": source.name,
        "currency": source.currency,
    }
    return view_store().save(None if is_sample(source) else source.lines, state)


def _params(raw: Any) -> dict[str, list[str]]:
    """The URL parameters of a stored view, keeping only well-formed entries.

    >>> _params({"lang": ["fr"], "f.plan": ["Pro", "Growth"], "bad": 3, "x": [1]})
    {'lang': ['fr'], 'f.plan': ['Pro', 'Growth']}
    """
    if not isinstance(raw, Mapping):
        return {}
    return {
        k: list(v)
        for k, v in raw.items()
        if isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
    }


def open_view(token: str) -> tuple[Source, dict[str, list[str]]]:
    """The data and the URL parameters saved under ``token``.

    Raises ``KeyError`` for a malformed, unknown, deleted or expired token and ``ValueError`` for
    a store that is not configured right.
    """
    lines, state = view_store().load(token)
    state = state if isinstance(state, Mapping) else {}
    params = _params(state.get("params"))
    if lines is None:
        return sample_source(), params
    name = state.get("name") if isinstance(state.get("name"), str) else "shared data"
    currency = state.get("currency")
    valid = isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
    return upload_source(name, lines, currency.upper() if valid else "EUR"), params


# The per-source analysis is shared read-only by every session that has the same content (a
# resource, not a pickled copy per rerun: on 200k customers unpickling the movements each rerun
# would cost more than the whole page). Nothing mutates it: pandas copy-on-write, and pages only
# read. Its key is a content digest, so another session cannot reach it without the same data.
@st.cache_resource(show_spinner="Computing MRR movements…", max_entries=8)
def analysis(key: str, _lines: pd.DataFrame) -> Analysis:
    """Movements, monthly table, customer attributes and segment labels of a source."""
    movements = mrrkit.movements(_lines)
    attributes = mrrkit.customer_attributes(_lines)
    dims = tuple(segment_columns(attributes))
    cats = movements["customer_id"].cat.categories
    return Analysis(
        movements=movements,
        monthly=mrrkit.monthly(movements),
        attributes=attributes,
        labels=segment_labels(attributes, dims),
        dimensions=dims,
        aligned=bool(attributes.index.equals(cats)),
    )


Filters = tuple[tuple[str, tuple[str, ...]], ...]


@st.cache_resource(show_spinner=False, max_entries=64)
def segment_view(key: str, filters: Filters, _base: Analysis) -> SegmentView:
    """The movements and monthly table of the customers that pass ``filters``."""
    if not any(values for _, values in filters):
        everyone = np.ones(len(_base.labels), bool)
        return SegmentView(_base.movements, _base.monthly, len(_base.labels), everyone)
    selected = customer_mask(_base.labels, dict(filters))
    # The labels are indexed by the lines' sorted ids, as the movements' categories: filter by
    # position (checked once per source by analysis()).
    chosen = selected if _base.aligned else _base.labels.index[selected]
    mv = filter_movements(_base.movements, chosen)
    return SegmentView(mv, mrrkit.monthly(mv), int(selected.sum()), selected)


def _arg_key(value) -> str:
    """A stable text key for a cache argument (months, days, strings, numbers, tuples of them).

    >>> _arg_key((pd.Period("2024-03", "M"), "mrr", 3))
    "(P:2024-03, 'mrr', 3)"
    """
    if isinstance(value, pd.Period):
        return f"P:{value}"
    if isinstance(value, pd.Timestamp):
        return f"T:{value.isoformat()}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_arg_key(v) for v in value) + ")"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    raise TypeError(f"cannot key a cache on a {type(value).__name__}: pass months, strings, numbers")


@st.cache_resource(show_spinner=False, max_entries=256)
def _derived(name: str, key: str, filters: Filters, arg_key: str, _args, _kwargs, _fn, _data):
    return _fn(_data, *_args, **_kwargs)


def derived(fn: Callable, key: str, filters: Filters, data, *args, name: str | None = None,
            **kwargs):
    """``fn(data, *args, **kwargs)`` cached on (source key, filters, name, args): ``data`` must be
    the segment view of (key, filters), and the arguments (months, days, strings, numbers, tuples)
    with ``name`` (default: the function's qualified name) must determine the result.

    Results are shared, not copied: callers must not modify them.
    """
    name = name or f"{fn.__module__}.{fn.__qualname__}"
    arg_key = _arg_key((tuple(args), tuple(sorted(kwargs.items()))))
    return _derived(name, key, filters, arg_key, args, kwargs, fn, data)
