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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import mrrkit
from mrrkit.io.read import CustomerFile, ExportResult, read_customers, read_export
from mrrkit.io.formats import UNCOVERED_CREDIT
from mrrkit.io.limits import LIMIT_CODES
from mrrkit.io.notes import Note
from mrrkit import customer_mask, filter_movements, segment_columns, segment_labels

from . import memory
from .format import number_format
from .saved_views import ViewStore

__all__ = [
    "MANY_REJECTED",
    "PROBLEMS",
    "Problem",
    "Analysis",
    "SegmentView",
    "Source",
    "Upload",
    "analysis",
    "available_sources",
    "bytes_digest",
    "clear_upload",
    "currencies_in",
    "currencies_without_rate",
    "current_source",
    "derived",
    "file_currencies",
    "file_head",
    "file_headers",
    "is_currency_code",
    "is_sample",
    "lines_digest",
    "monthly_rates",
    "open_view",
    "probe_reading",
    "problem_kind",
    "problem_text",
    "problem_values",
    "rates_from_table",
    "rates_key",
    "read_customers_upload",
    "read_rates_upload",
    "read_upload",
    "reason_field",
    "reason_text",
    "rejected_share",
    "rows_without_rate",
    "sample_source",
    "save_view",
    "segment_view",
    "set_upload",
    "single_currency",
    "upload_bytes",
    "upload_source",
    "uploader_style",
    "validation_report",
    "view_store",
    "warm_reader",
    "warning_text",
    "widget_class",
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
    #: The day the file was taken, when known (its vendor or its name says so); the default
    #: "as of" day of the figures (see :func:`mrrkit.default_as_of`).
    exported: pd.Timestamp | None = None


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


def _file_tag(arguments: Mapping[str, Any]) -> str:
    """What a reading of an upload is made from (:mod:`ui.memory`): its bytes' digest."""
    return "file:" + str(arguments["digest"])


def _source_tag(arguments: Mapping[str, Any]) -> str:
    """What a figure is made from (:mod:`ui.memory`): its source's key, without the as-of day.

    >>> _source_tag({"key": "upload:ab12@2026-01-31"}), _source_tag({"key": "sample:cd"})
    ('upload:ab12', 'sample:cd')
    """
    return str(arguments["key"]).split("@", 1)[0]


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
    lines = _sample(digest)
    # The sample is a company's export taken on its last day: shown at that day, whatever today.
    exported = pd.concat([lines["start"], lines["end"]]).max()
    return Source(name="sample", key=f"sample:{digest}", lines=lines, exported=exported)


def today() -> pd.Timestamp:
    """The current day, or ``MRRKIT_TODAY`` (``YYYY-MM-DD``) when set: a demo or a test shows
    the same figures whatever the day it runs (an unreadable value is ignored)."""
    fixed = os.environ.get("MRRKIT_TODAY", "").strip()
    if fixed:
        try:
            return pd.Timestamp(fixed).normalize()
        except ValueError:
            pass
    return pd.Timestamp.today().normalize()


_NAME_DATE = re.compile(r"(?<!\d)(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")


def export_date_in_name(name: str) -> pd.Timestamp | None:
    """The day written in an export's file name, as billing systems and people name them
    (``subscriptions_2026-12-04.csv``, ``export-20261204.xlsx``), else ``None``.

    >>> export_date_in_name("subscriptions_2026-12-04.csv"), export_date_in_name("a.csv")
    (Timestamp('2026-12-04 00:00:00'), None)
    >>> export_date_in_name("export-20261204.xlsx"), export_date_in_name("2026-02-30.csv")
    (Timestamp('2026-12-04 00:00:00'), None)
    """
    found = _NAME_DATE.search(name or "")
    if found is None:
        return None
    try:
        return pd.Timestamp(f"{found[1]}-{found[2]}-{found[3]}")
    except ValueError:
        return None


def _forget_view_of_other_data() -> None:
    """Drop the as-of day, reporting period and segment filters chosen on other data: the pages
    then start from their defaults on the new data (its own day, its last 12 months, every
    customer) instead of, say, the months of a sample that the upload does not have."""
    from . import state

    # The period is one widget ("from:to") over two URL keys ("from", "to"); the as-of day's
    # default is the new data's own.
    state.reset(
        lambda key: not (key in ("asof", "from:to", "from", "to") or key.startswith("f."))
    )


def set_upload(source: Source) -> None:
    """Make ``source`` this session's data (the Data page calls it after a successful import).

    Call it from a widget callback. The period and segment filters start again from their
    defaults on the new data."""
    if st.session_state.get(UPLOAD_KEY) is not source:
        _forget_view_of_other_data()
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
    return Source(name=name, key="upload:" + lines_digest(lines), lines=lines, currency=currency,
                  exported=export_date_in_name(name))


def clear_upload() -> None:
    """Forget this session's upload: every page shows the sample again.

    Call it from a widget callback (it sets the data-source radio's state). The period and
    segment filters start again from their defaults on the sample."""
    if st.session_state.pop(UPLOAD_KEY, None) is not None:
        _forget_view_of_other_data()
    st.session_state[_CHOICE_KEY] = "sample"


# --- reading uploads ------------------------------------------------------------------------------

#: Why an upload cannot be used (:attr:`Upload.kind`); the Data page says each in plain words.
PROBLEMS = (
    "empty", "pdf", "xls", "image", "binary", "not_table", "one_column", "no_rows", "no_columns",
    "no_id", "currencies", "paddle_classic_transactions",
    # Past one of the server's limits (mrrkit.io.limits: too many columns, rows or cells, a line too
    # long, too much to unpack, a read too slow or too large): the ExportError's own code.
    *LIMIT_CODES,
    "other",
)

#: File signatures of documents people upload by mistake (checked before any message).
_SIGNATURES = (
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),  # OLE2: Excel 97-2003 (also old Word)
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)

#: Start of mrrkit's message -> kind (read_table, read_export, read_customers; pinned by tests).
_MESSAGES = (
    ("the file is empty", "empty"),
    ("this is an old excel .xls", "xls"),
    ("the file holds binary data", "binary"),
    ("the file looks like a zip", "binary"),
    ("the file is not a table", "not_table"),
    ("the file has a single column", "one_column"),
    ("the file has a header but no data rows", "no_rows"),
    ("no known format recognised", "no_columns"),
    ("no column found", "no_columns"),
    ("no customer id column", "no_id"),
    ("this is paddle classic's transactions report", "paddle_classic_transactions"),
)


class Problem(str):
    """mrrkit's message on an unusable file (a ``str``), with the ``code`` and ``values`` of the
    :class:`~mrrkit.io.errors.ExportError` that said it, when it has them (a file past one of the
    server's limits): the Data page says it in the reader's language from those.

    >>> p = Problem("the file has 9 columns...", "too_many_columns", {"count": 9})
    >>> p.startswith("the file has"), p.code, p.values
    (True, 'too_many_columns', {'count': 9})
    """

    code: str | None
    values: dict

    def __new__(cls, message: str, code: str | None = None, values: dict | None = None):
        self = super().__new__(cls, message)
        self.code = code
        self.values = dict(values or {})
        return self

    def __reduce__(self):
        return (Problem, (str(self), self.code, self.values))


@dataclass(frozen=True)
class Upload:
    """What :func:`read_upload` made of a file: its ``result``, or the ``error`` saying why it
    cannot be used at all (mrrkit's message, never a traceback) and its ``kind`` (one of
    :data:`PROBLEMS`, for a sentence in the reader's language)."""

    result: ExportResult | None = None
    error: str | None = None
    kind: str | None = None


def problem_kind(data: bytes, error: str) -> str:
    """The kind of problem (:data:`PROBLEMS`) an unusable upload has, from its first bytes and
    the message mrrkit gave.

    >>> problem_kind(b"%PDF-1.7 ...", "the file holds binary data, not text")
    'pdf'
    >>> problem_kind(b"a,b\\n", "the file has a header but no data rows")
    'no_rows'
    >>> problem_kind(b"x;y\\n1;2\\n", "the file mixes 2 currencies (EUR: 1 rows, USD: 1 rows): ...")
    'currencies'
    >>> problem_kind(b"x", "something else")
    'other'
    >>> problem_kind(b"PK...", Problem("the file unpacks to 900 MB...", "unpacked_too_large"))
    'unpacked_too_large'
    """
    code = getattr(error, "code", None)
    if code in PROBLEMS:
        return code
    head = data[:16]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    message = error.strip().lower()
    if message.startswith("the file mixes") and "currencies" in message:
        return "currencies"
    for start, kind in _MESSAGES:
        if message.startswith(start) or (kind == "no_columns" and start in message):
            return kind
    return "other"


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an upload's bytes: the cache key of everything read from it.

    >>> bytes_digest(b"abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(data).hexdigest()


def problem_values(error: str | None, lang: str = "en") -> dict[str, str]:
    """The values a :class:`Problem` was said with, written for ``lang`` (numbers grouped as
    that language groups them): what the sentence of its kind is filled with. Empty for a
    message without values.

    >>> problem_values(Problem("...", "too_many_columns",
    ...                        {"count": 100000, "limit": 2000, "variable": "MRRKIT_MAX_COLUMNS"}), "it")
    {'count': '100.000', 'limit': '2.000', 'variable': 'MRRKIT_MAX_COLUMNS'}
    >>> problem_values("the file is empty")
    {}
    """
    nf = number_format(lang)
    out = {}
    for name, value in (getattr(error, "values", None) or {}).items():
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[name] = nf.count(value) if float(value).is_integer() else nf.number(value, 1)
        else:
            out[name] = str(value)
    return out


def problem_text(error: str, t) -> str:
    """An unusable file's problem in the reader's language when mrrkit gave it a kind of its
    own (a limit), else mrrkit's message as it is (``t`` is the page's :class:`ui.i18n.Text`).

    >>> from ui.i18n import text
    >>> problem_text("a rates file needs columns currency, month and rate", text("fr"))
    'a rates file needs columns currency, month and rate'
    >>> problem_text(Problem("...", "read_timeout", {"limit": 60, "variable": "MRRKIT_READ_SECONDS"}),
    ...              text("fr"))[:38]
    'la lecture du fichier a pris plus de 6'
    """
    code = getattr(error, "code", None)
    if code in PROBLEMS:
        return t(f"problem.{code}", **problem_values(error, t.lang))
    return error


#: Uploads refused for one of the server's limits, by (digest, limits): the Data page reads a file
#: for its headers, then for its lines (a customers file twice too), and a refusal from the reading
#: process can take seconds: a file refused once is not read again. The last 64.
_REFUSED: dict = {}


def _refused(digest: str) -> Problem | None:
    from mrrkit.io.limits import limits

    return _REFUSED.get((digest, limits()))


def _remember(digest: str, exc: Exception) -> None:
    if getattr(exc, "code", None) in LIMIT_CODES:
        from mrrkit.io.limits import limits

        while len(_REFUSED) >= 64:
            _REFUSED.pop(next(iter(_REFUSED)), None)
        _REFUSED[(digest, limits())] = _problem(exc)


_READER_STARTED = []


def warm_reader() -> None:
    """Start, in the background, the server the reading child processes fork from
    (:func:`mrrkit.io.limits.start_reader`: a second or two, once per server process), so that
    the first spreadsheet or Parquet upload does not wait for it."""
    if not _READER_STARTED:
        import threading

        from mrrkit.io.limits import start_reader

        _READER_STARTED.append(True)
        threading.Thread(target=start_reader, name="mrrkit-reader-start", daemon=True).start()


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValueError):  # ExportError, or arguments the file cannot honour
        return Problem(str(exc), getattr(exc, "code", None), getattr(exc, "values", None))
    # Not expected from mrrkit; keep the trace in the server log, show people a sentence.
    import logging

    logging.getLogger(__name__).exception("reading an upload failed")
    return f"unexpected problem while reading the file ({type(exc).__name__}: {exc})"


# Uploads are cached as shared resources keyed on their bytes' digest: another session reaches a
# result only by uploading the very same bytes. The cache is bounded by bytes and lets a file's
# readings go once no session uses it (ui.memory).
@memory.cached(tag=_file_tag)
def _customers_file(
    digest: str, id_column: str | None, _data: bytes
) -> tuple[CustomerFile | None, str | None]:
    if _refused(digest) is not None:
        return None, _refused(digest)
    try:
        mapping = None if id_column is None else {"customer_id": id_column}
        return read_customers(_data, mapping=mapping), None
    except Exception as exc:  # noqa: BLE001 - shown to the user by the Data page
        _remember(digest, exc)
        return None, _problem(exc)


def read_customers_upload(
    data: bytes, digest: str | None = None, id_column: str | None = None
) -> tuple[CustomerFile | None, str | None]:
    """A customers file read by :func:`mrrkit.read_customers` (cached on its digest), with
    ``id_column`` as its customer id column if given (else found by its header): the file, or
    ``None`` and why it cannot be used (:func:`problem_kind` tells which kind of problem).

    >>> file, error = read_customers_upload(b"Ref,Country\\nacme,FR\\n")
    >>> file, error.startswith("no customer id column")
    (None, True)
    >>> file, _ = read_customers_upload(b"Ref,Country\\nacme,FR\\n", id_column="Ref")
    >>> file.customers.values.tolist()
    [['acme', 'FR']]
    """
    return _customers_file(digest or bytes_digest(data), id_column, data)


@memory.cached(tag=_file_tag)
def _read_upload(
    digest: str,
    mapping: tuple | None,
    reporting_currency: str | None,
    rates: tuple | None,
    customers_digest: str | None,
    _data: bytes,
    _customers: CustomerFile | None,
) -> Upload:
    if _refused(digest) is not None:
        return Upload(error=_refused(digest), kind=problem_kind(_data, _refused(digest)))
    fx_rates = None
    if rates is not None:
        how, items = rates
        fx_rates = (
            dict(items) if how == "currency"
            else pd.DataFrame(list(items), columns=["currency", "month", "rate"])
        )
    try:
        result = read_export(
            _data,
            mapping=None if mapping is None else dict(mapping),
            reporting_currency=reporting_currency,
            fx_rates=fx_rates,
            customers=_customers,
            today=today(),  # the dates read run to MRRKIT_MAX_YEARS_AHEAD years after it
        )
    except Exception as exc:  # noqa: BLE001 - an unusable file is a message, not a crash
        _remember(digest, exc)
        error = _problem(exc)
        return Upload(error=error, kind=problem_kind(_data, error))
    return Upload(result=result)


def _rates_key(fx_rates) -> tuple | None:
    """A hashable cache key for ``{currency: rate}`` or a (currency, month, rate) table."""
    if fx_rates is None or len(fx_rates) == 0:
        return None
    if isinstance(fx_rates, pd.DataFrame):
        rows = fx_rates[["currency", "month", "rate"]].itertuples(index=False, name=None)
        return "month", tuple((str(c), str(m), float(r)) for c, m, r in rows)
    return "currency", tuple(sorted((str(k), float(v)) for k, v in fx_rates.items()))


def read_upload(
    data: bytes,
    *,
    mapping: Mapping[str, str | None] | None = None,
    reporting_currency: str | None = None,
    fx_rates: Mapping[str, float] | pd.DataFrame | None = None,
    customers: bytes | None = None,
    digest: str | None = None,
    customers_digest: str | None = None,
    customers_id: str | None = None,
) -> Upload:
    """:func:`mrrkit.read_export` of an upload, cached on the digests of its bytes (and of the
    customers file's) and on the options. Pass the digests when known (:func:`upload_bytes`).

    ``fx_rates`` is ``{currency: rate}`` or a table of ``currency, month, rate``
    (:func:`monthly_rates`). ``customers_id`` names the customers file's id column (found by
    its header by default). A customers file that cannot be read is left out
    (:func:`read_customers_upload` says why).
    """
    customers_file = None
    if customers is not None:
        customers_digest = customers_digest or bytes_digest(customers)
        customers_file, _ = read_customers_upload(customers, customers_digest, customers_id)
        if customers_file is None:
            customers_digest = None
        elif customers_id is not None:
            customers_digest = f"{customers_digest}:{customers_id}"
    else:
        customers_digest = None
    return _read_upload(
        digest or bytes_digest(data),
        None if mapping is None else tuple(sorted(mapping.items())),
        reporting_currency or None,
        _rates_key(fx_rates),
        customers_digest,
        data,
        customers_file,
    )


#: An ISO 4217 code no billing system bills in ("no currency"): reading with it as the reporting
#: currency rejects every row for want of a rate, which lists the file's currencies.
_NO_CURRENCY = "XXX"


def probe_reading(
    data: bytes, *, mapping: Mapping[str, str | None] | None = None, digest: str | None = None
) -> ExportResult | None:
    """The reading of an export that mixes currencies (where :func:`read_upload` without a
    reporting currency gives the ``"currencies"`` problem) with every row rejected for want of
    a rate: its format, mapping and currencies are those of the file. ``None`` if the file
    cannot be read even so.

    >>> probe = probe_reading(b"customer_id,start,mrr,currency\\na,2024-01-01,1,usd\\nb,2024-01-01,2,EUR")
    >>> probe.format, probe.mapping["currency"], len(probe.lines), len(probe.rejected)
    ('canonical', 'currency', 0, 2)
    """
    return read_upload(data, mapping=mapping, reporting_currency=_NO_CURRENCY, digest=digest).result


def currencies_in(
    data: bytes, *, mapping: Mapping[str, str | None] | None = None, digest: str | None = None
) -> list[str]:
    """The billing currencies of an export that mixes several (see :func:`probe_reading`),
    sorted; empty if it cannot be read.

    >>> currencies_in(b"customer_id,start,mrr,currency\\na,2024-01-01,1,usd\\nb,2024-01-01,2,EUR")
    ['EUR', 'USD']
    """
    probe = probe_reading(data, mapping=mapping, digest=digest)
    return [] if probe is None else file_currencies(probe)


def _head(data: bytes, size: int = 256 * 1024) -> bytes:
    """The first ``size`` bytes of a text file, cut after a line end (enough for its header)."""
    if len(data) <= size:
        return data
    cut = data.rfind(b"\n", 0, size)
    return data[: cut + 1] if cut > 0 else data[:size]


#: Rows of the file shown beside the column-mapping editor.
HEAD_ROWS = 5


@memory.cached(tag=_file_tag)
def _file_head(digest: str, _data: bytes) -> pd.DataFrame | None:
    from mrrkit.io.table import read_table

    # Spreadsheets (zip) and Parquet must be read whole; a text file's header is at its top.
    binary = _data[:2] == b"PK" or _data[:4] == b"PAR1"
    if binary and _refused(digest) is not None:
        return None
    try:
        frame = read_table(_data if binary else _head(_data)).frame
    except Exception as exc:  # noqa: BLE001 - read_upload reports why the file cannot be read
        if binary:  # (a text file's head is not the whole file)
            _remember(digest, exc)
        return None
    head = frame.head(HEAD_ROWS)
    head.columns = [str(c) for c in head.columns]
    return head


def file_headers(data: bytes, digest: str | None = None) -> list[str]:
    """The column headers of an upload as :func:`mrrkit.read_export` sees them (the choices of
    the column-mapping editor); empty if the file cannot be read.

    >>> file_headers(b"Client;Date;MRR\\nacme;2024-01-01;10\\n")
    ['Client', 'Date', 'MRR']
    """
    head = _file_head(digest or bytes_digest(data), data)
    return [] if head is None else list(head.columns)


def file_head(data: bytes, digest: str | None = None) -> pd.DataFrame | None:
    """The first :data:`HEAD_ROWS` data rows of an upload, as read (what each column holds, to
    tell which is which); ``None`` if the file cannot be read.

    >>> file_head(b"Client;Date;MRR\\nacme;2024-01-01;10\\n").values.tolist()
    [['acme', '2024-01-01', '10']]
    """
    return _file_head(digest or bytes_digest(data), data)


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


def is_currency_code(code) -> bool:
    """Whether ``code`` looks like an ISO 4217 code (three ASCII letters, any case).

    >>> [is_currency_code(c) for c in ("eur", "€", "EURO", None)]
    [True, False, False, False]
    """
    return isinstance(code, str) and len(code.strip()) == 3 and code.strip().isascii() \
        and code.strip().isalpha()


def rates_from_table(table: pd.DataFrame) -> dict[str, float]:
    """``{currency: rate}`` from an edited table of ``currency`` and ``rate`` (rows without a
    positive number are left out: their rows are then rejected for want of a rate).

    >>> import pandas as pd
    >>> rates_from_table(pd.DataFrame({"currency": ["usd", "GBP", "CHF", "JPY"],
    ...                                "rate": [0.9, None, "x", 0]}))
    {'USD': 0.9}
    """
    rates = {}
    for currency, rate in zip(table["currency"], pd.to_numeric(table["rate"], errors="coerce")):
        if is_currency_code(currency) and np.isfinite(rate) and rate > 0:
            rates[currency.strip().upper()] = float(rate)
    return rates


def _blank(values: pd.Series) -> np.ndarray:
    return (values.isna() | (values.astype("str").str.strip() == "")).to_numpy(dtype=bool)


def monthly_rates(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Exchange rates by month from an edited or uploaded table of ``currency``, ``month``,
    ``rate``: the usable rows (currency code upper case, month ``YYYY-MM``, rate > 0; the last
    row wins for a repeated currency and month, sorted) and how many rows were left out because
    a value is missing or unreadable (rows with neither a month nor a rate are not counted).

    Months may be dates, ``2024-03``, ``03/2024`` or ``15/03/2024`` (read once per column, as
    :func:`mrrkit.io.parse.parse_dates` does); rates may be written ``1,08`` or ``1.08``.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"currency": ["usd", "USD", "GBP", None, "CHF"],
    ...                       "month": ["2024-01", "2024-03", "2024-01", None, "soon"],
    ...                       "rate": ["0,92", "0,90", "", None, "1,05"]})
    >>> rates, left_out = monthly_rates(table)
    >>> rates.values.tolist(), left_out
    ([['USD', '2024-01', 0.92], ['USD', '2024-03', 0.9]], 2)
    """
    from mrrkit.io.parse import parse_amounts, parse_dates

    columns = ["currency", "month", "rate"]
    if table.empty:
        return pd.DataFrame({"currency": [], "month": [], "rate": []}).astype(
            {"currency": "str", "month": "str", "rate": "float64"}
        ), 0
    frame = table[columns].reset_index(drop=True)
    # A row with neither a month nor a rate was never filled in (the editor offers one per
    # currency): not a mistake to report.
    blank = _blank(frame["month"]) & _blank(frame["rate"])
    frame = frame.loc[~blank].reset_index(drop=True)
    codes = frame["currency"].astype("str").str.strip().str.upper()
    month = frame["month"]
    if not (pd.api.types.is_datetime64_any_dtype(month) or pd.api.types.is_string_dtype(month)):
        month = pd.to_datetime(month, errors="coerce")
    months = parse_dates(month).values
    rate = frame["rate"]
    rates = (
        parse_amounts(rate.astype("str").where(rate.notna(), "")).values
        if not pd.api.types.is_numeric_dtype(rate.dtype) else rate.astype("float64")
    )
    ok = (
        codes.map(is_currency_code).to_numpy(dtype=bool)
        & months.notna().to_numpy()
        & (rates.to_numpy() > 0)
    )
    out = pd.DataFrame({
        "currency": codes[ok].to_numpy(),
        "month": months[ok].dt.strftime("%Y-%m").to_numpy(),
        "rate": rates[ok].to_numpy(dtype="float64"),
    }).astype({"currency": "str", "month": "str"})
    out = out.drop_duplicates(["currency", "month"], keep="last").sort_values(["currency", "month"])
    return out.reset_index(drop=True), int((~ok).sum())


#: Headers of a rates file, by role (lower case, compared without accents).
_RATE_HEADERS = {
    "currency": ("currency", "currency_code", "code", "devise", "monnaie", "valuta", "divisa"),
    "month": ("month", "date", "period", "mois", "periode", "mese", "periodo", "data"),
    "rate": ("rate", "fx", "fx_rate", "exchange rate", "exchange_rate", "taux", "taux de change",
             "cours", "tasso", "tasso di cambio", "cambio"),
}


def _plain(header: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().split())


@memory.cached(tag=_file_tag)
def _rates_file(digest: str, _data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    from mrrkit.io.table import read_table

    if _refused(digest) is not None:
        return None, _refused(digest)
    try:
        frame = read_table(_data).frame
    except Exception as exc:  # noqa: BLE001 - shown to the user by the Data page
        _remember(digest, exc)
        return None, _problem(exc)
    found = {}
    for role, names in _RATE_HEADERS.items():
        for header in frame.columns:
            if _plain(header) in names and header not in found.values():
                found[role] = header
                break
    missing = [role for role in _RATE_HEADERS if role not in found]
    if missing:
        return None, (
            f"a rates file needs columns currency, month and rate; no column found for "
            f"{', '.join(missing)}; columns are {[str(c) for c in frame.columns]}"
        )
    return frame[[found[r] for r in _RATE_HEADERS]].set_axis(list(_RATE_HEADERS), axis=1), None


def read_rates_upload(
    data: bytes, digest: str | None = None
) -> tuple[pd.DataFrame | None, str | None]:
    """A rates file (CSV, TSV, XLSX or Parquet with currency, month and rate columns, headers in
    English, French or Italian) as a ``currency, month, rate`` table for :func:`monthly_rates`,
    or ``None`` and why it cannot be used.

    >>> table, error = read_rates_upload(b"Devise;Mois;Taux\\nUSD;2024-01;0,92\\n")
    >>> table.values.tolist(), error
    ([['USD', '2024-01', '0,92']], None)
    """
    return _rates_file(digest or bytes_digest(data), data)


def rates_key(fx_rates) -> tuple | None:
    """A hashable summary of the rates given (``{currency: rate}`` or a currency, month, rate
    table), for telling whether two readings used the same rates.

    >>> rates_key({"usd": 0.9}), rates_key({})
    (('currency', (('usd', 0.9),)), None)
    """
    return _rates_key(fx_rates)


#: Share of a file's rows which, once rejected, makes the Data page warn before "Use this data":
#: past a quarter the file is more likely misread (a wrong column, date format or currency) than
#: holding a few bad rows, and every page would show only what is left.
MANY_REJECTED = 0.25


def rejected_share(rows_read: int, rejected: pd.DataFrame) -> float:
    """The share of a file's rows that were rejected, its empty rows (a spreadsheet's blank,
    formatted rows) left out of both counts; 0 for a file without rows. Above
    :data:`MANY_REJECTED` the Data page warns.

    >>> import pandas as pd
    >>> rejected_share(12, pd.DataFrame({"reason": ["negative amount"] * 9}))
    0.75
    >>> rejected_share(10, pd.DataFrame({"reason": ["empty row"] * 5 + ["missing start date"]}))
    0.2
    >>> rejected_share(0, pd.DataFrame({"reason": []}))
    0.0
    """
    empty = int((rejected["reason"] == "empty row").sum()) if len(rejected) else 0
    rows = rows_read - empty
    return (len(rejected) - empty) / rows if rows > 0 else 0.0


_NO_RATE = re.compile(r"^no exchange rate for (?P<currency>.+?)(?: \(reporting currency \w+\))?$")
_NO_RATE_MONTH = re.compile(r"^no (?P<currency>\w+) rate for (?P<month>\d{4}-\d{2}) or earlier$")


def _rate_reasons(rejected: pd.DataFrame) -> pd.Series:
    """The reasons of the rows rejected for want of a usable exchange rate."""
    if rejected.empty:
        return pd.Series([], dtype="str")
    reasons = rejected["reason"].astype("str")
    hit = (
        reasons.str.startswith("no exchange rate for")
        | reasons.str.match(_NO_RATE_MONTH.pattern)
        | (reasons == "exchange rate is not a positive number")
    )
    return reasons[hit]


def rows_without_rate(rejected: pd.DataFrame) -> int:
    """How many rejected rows lack a usable exchange rate (they come back once one is given).

    >>> import pandas as pd
    >>> rows_without_rate(pd.DataFrame({"row": [1, 2, 3], "reason": [
    ...     "no exchange rate for USD (reporting currency EUR)", "missing customer id",
    ...     "no GBP rate for 2024-01 or earlier"]}))
    2
    """
    return len(_rate_reasons(rejected))


def currencies_without_rate(rejected: pd.DataFrame) -> list[str]:
    """The currencies named by the rows rejected for want of a rate, sorted.

    >>> import pandas as pd
    >>> currencies_without_rate(pd.DataFrame({"reason": [
    ...     "no exchange rate for USD", "no GBP rate for 2024-01 or earlier",
    ...     "no exchange rate for USD"]}))
    ['GBP', 'USD']
    """
    found = set()
    for reason in _rate_reasons(rejected).unique():
        match = _NO_RATE.match(reason) or _NO_RATE_MONTH.match(reason)
        if match:
            found.add(match["currency"])
    return sorted(found)


#: mrrkit's fixed rejection reasons -> ``reason.<key>`` texts (ui.i18n).
_REASONS = {
    "missing customer id": "missing_customer",
    "missing start date": "missing_start",
    "missing MRR amount": "missing_mrr",
    "missing amount": "missing_amount",
    "missing billing interval": "missing_interval",
    "missing status": "missing_status",
    "negative quantity": "negative_quantity",
    "negative amount": "negative_amount",
    "amount cannot be read": "bad_amount",
    "amount too large (over 10 billion a month)": "too_large",
    "end date before start date": "end_before_start",
    "ends the day it starts (never billed)": "same_day",
    "empty row": "empty_row",
    "one-off item, not recurring": "one_off",
    "trialing without a trial end date": "trial_no_end",
    "cancelled before the trial ended (never paid)": "never_paid",
    "missing currency (the file mixes currencies)": "missing_currency",
    "exchange rate is not a positive number": "bad_rate",
    "duplicate customer id (a later row wins)": "duplicate_customer",
    "status 'incomplete': first payment never succeeded (not MRR)": "stripe_incomplete",
    "status 'incomplete_expired': never paid (not MRR)": "stripe_incomplete_expired",
    "status 'unpaid': Stripe leaves unpaid subscriptions out of MRR": "stripe_unpaid",
    "status 'paused': no payment collected (not MRR)": "paused",
    "status 'future': not started yet": "future",
    "state 'future': not started yet": "state_future",
    "state 'pending': not started yet (awaiting payment), never counted": "state_pending",
    "state 'failed': never activated": "failed",
    "missing transaction status": "missing_transaction_status",
    "transaction status 'canceled': no longer due (not MRR)": "transaction_canceled",
    "transaction status 'draft': not billed (an open checkout or an unfinished invoice)":
        "transaction_draft",
    "transaction status 'ready': not billed yet": "transaction_ready",
    "transaction status 'paid' without a subscription id yet: Paddle adds it when the "
    "transaction is completed (export the report again later)": "transaction_no_subscription",
    "missing service period": "missing_service_period",
    "missing billing period start or end": "missing_period",
    "payment method update (origin subscription_payment_method_change): not a charge":
        "payment_method_change",
    "amount too large once converted (over 10 billion a month)": "too_large_converted",
    UNCOVERED_CREDIT: "uncovered_credit",
}
#: mrrkit's reasons with values in them -> ``reason.<key>`` texts with the same placeholders.
_REASON_PATTERNS = (
    (_NO_RATE, "no_rate"),
    (_NO_RATE_MONTH, "no_rate_month"),
    (re.compile(r"^(?P<field>[\w ]+): cannot read the date in ['\"](?P<column>.*)['\"]$"),
     "bad_date"),
    (re.compile(r"^(?P<field>[\w ]+): cannot read the number in ['\"](?P<column>.*)['\"]$"),
     "bad_number"),
    (re.compile(r"^(?P<field>[\w ]+): cannot read (?P<q>['\"])(?P<column>.*)(?P=q)$"), "bad_value"),
    (re.compile(r"^row has (?P<fields>\d+) fields, the header has (?P<width>\d+)$"), "fields"),
    (re.compile(r"^invoice status (?P<status>.+): only paid invoices count$"), "invoice_status"),
    (re.compile(r"^unknown transaction status (?P<status>.+)$"), "unknown_transaction_status"),
    (re.compile(r"^duplicate of an earlier row \(same (?P<q>['\"])(?P<column>.*)(?P=q)\)$"),
     "duplicate_row"),
    (re.compile(r"^status (?P<status>.+) without an end date$"), "no_end"),
    (re.compile(r"^unknown status (?P<status>.+)$"), "unknown_status"),
    (re.compile(r"^unknown billing interval (?P<value>.+)$"), "unknown_interval"),
    (re.compile(r"^interval count (?P<value>.+?) in (?P<q>['\"])(?P<column>.*)(?P=q): not a "
                r"whole number of 1 or more$"), "bad_interval_count"),
    (re.compile(r"^start date (?P<value>.+?) in (?P<q>['\"])(?P<column>.*)(?P=q) is before "
                r"(?P<date>[\d-]+), the earliest date read$"), "start_too_early"),
    (re.compile(r"^start date (?P<value>.+?) in (?P<q>['\"])(?P<column>.*)(?P=q) is after "
                r"(?P<date>[\d-]+), the latest date read$"), "start_too_late"),
    (re.compile(r"^end date (?P<value>.+?) in (?P<q>['\"])(?P<column>.*)(?P=q) is after "
                r"(?P<date>[\d-]+), the latest date read$"), "end_too_late"),
    (re.compile(r"^unreadable CSV from here on \((?P<detail>.*)\)$", re.DOTALL), "unreadable_csv"),
)
#: The fields of "<field>: cannot read ..." reasons that are no column role (``role.*`` texts).
_REASON_FIELDS = {"discount": "reason.field_discount", "tax": "reason.field_tax"}
_STATUS_DATE = re.compile(r"^(?P<status>\w+) date$")


def reason_field(field: str, t) -> str:
    """What a "<field>: cannot read ..." reason of mrrkit reads, in the language of ``t``: a
    column role's name, or the date column of a status.

    >>> from ui.i18n import text
    >>> reason_field("trial end", text("fr")), reason_field("canceled date", text("it"))
    ("Fin d'essai", "Data dello stato 'canceled'")
    """
    role = "role." + field.replace(" ", "_")
    if t.has(role):
        return t(role)
    if field in _REASON_FIELDS:
        return t(_REASON_FIELDS[field])
    match = _STATUS_DATE.match(field)
    if match:
        return t("reason.field_status_date", status=match["status"])
    return field


def reason_text(reason: str, t) -> str:
    """A rejection reason of mrrkit in the language of ``t`` (an :class:`ui.i18n.Text`); a reason
    it does not know is shown as mrrkit wrote it.

    >>> from ui.i18n import text
    >>> reason_text("missing customer id", text("fr"))
    'identifiant client manquant'
    >>> reason_text("start: cannot read the date in 'Début'", text("it"))
    "Data di inizio: data illeggibile nella colonna 'Début'"
    >>> reason_text("no USD rate for 2024-01 or earlier", text("en"))
    'no USD rate for 2024-01 or earlier'
    >>> reason_text("something new", text("fr"))
    'something new'
    """
    key = _REASONS.get(reason)
    if key is not None:
        return t(f"reason.{key}")
    for pattern, key in _REASON_PATTERNS:
        match = pattern.match(reason)
        if match:
            values = {k: v for k, v in match.groupdict().items() if k != "q"}
            if "field" in values:
                values["field"] = reason_field(values["field"], t)
            if values.get("currency") == "an empty currency":
                return t("reason.no_rate_empty")
            return t(f"reason.{key}", **values)
    return reason


#: mrrkit's notes on how a file was read (``mrrkit.io.formats.WARNING_TEMPLATES``) -> ``warning.<key>``
#: texts (ui.i18n) with the same placeholders; a ``<key>_one`` text, when there is one, says it
#: of a single row (``{count}`` = 1).
_WARNINGS = {
    "read as {encoding} text, {delimiter}-separated": "text_file",
    "read as an XLSX spreadsheet (first sheet)": "xlsx",
    "read as a Parquet file": "parquet",
    "lines end with a carriage return alone (old Mac files): read as lines": "old_mac",
    "{count} line(s) above the header skipped": "lines_skipped",
    "header found on spreadsheet line {line}": "header_line",
    "duplicated header {header!r}: its copy in column {position} is read as {name!r}":
        "duplicated_header",
    "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as UTF-8: "
    "row(s) {rows}": "not_utf8_rows",
    "{count} row(s) were not UTF-8 and were read as {encoding}, the rest of the file as UTF-8: "
    "rows {rows} and {more} more": "not_utf8_rows_more",
    "the header line was not UTF-8 and was read as {encoding}": "not_utf8_header",
    "{count} end date(s) after {date} read as no end (e.g. {example!r} in {column!r}): "
    "far-future ends such as 9999-12-31 stand for 'never' in billing exports": "far_end",
    "{column!r} read as {convention}": "date_convention",
    "{column!r} read with a decimal comma": "decimal_comma",
    "{column!r} read in cents": "cents",
    "{count} row(s): billing interval taken from the current period ({start!r} to {end!r})":
        "interval_from_period",
    "{count} row(s) in a trial or without a current period: billing interval of their plan's "
    "other subscriptions": "interval_from_plan",
    "{count} row(s): billing interval read from the plan name (e.g. {example!r})":
        "interval_from_name",
    "{count} row(s) without a billing interval read as billed every {months:g} month(s): check "
    "their MRR, or give the interval in a mapping": "interval_assumed",
    "{count} row(s) without a billing interval read as billed every {months:g} month(s) (plans: "
    "{plans}): check their MRR, or give the interval in a mapping": "interval_assumed_plans",
    "no currency column: amounts read as {currency}": "no_currency_column",
    "{count} row(s) without a currency read as {currency}": "currency_filled",
    "{count} row(s) converted to {currency} from {currencies}": "converted",
    "customers file: {count} row(s) rejected (see read_customers)": "customers_rejected",
    "{count} customer(s) of the customers file have no subscription line (e.g. {examples})":
        "customers_unused",
    "{count} customer(s) with lines are not in the customers file (e.g. {examples})":
        "customers_missing",
    "customers file attributes {columns} replace the export's": "customers_replace",
    "Stripe rules: active and past_due count, trials from their end, churn at Ended At":
        "stripe_rules",
    "every {column!r} is a whole number with no decimals (e.g. {example}): read as major units, "
    "as the Dashboard writes them (49.00). If they are cents, as Stripe's API gives them, "
    "rename the column {renamed!r} and read it again": "stripe_whole_numbers",
    "{count} subscription(s) carry a coupon ({column!r}) whose amount the subscriptions export "
    "does not give: their MRR is before the discount. The invoice line items export gives "
    "discounted MRR": "stripe_coupon",
    "Stripe invoices: each paid subscription line is a line over its service period, "
    "MRR = amount / months": "stripe_invoices",
    "no customer column: each subscription ({column!r}) is read as its own customer; join the "
    "invoices' customer to the lines for customer-level figures": "stripe_no_customer",
    "no invoice status column (line item tables such as Stripe Sigma's invoice_line_items have "
    "none): every line is read as paid, including lines of draft, open, void or uncollectible "
    "invoices. Keep only the lines of paid invoices (join the invoices' status on the invoice "
    "id) for exact MRR": "stripe_no_status",
    "discounts from {column!r} applied": "discounts",
    "invoice revenue = {total!r} minus tax ({columns}): after every discount, tax excluded "
    "(Stripe's subtotal already has item discounts taken off: subtotal minus the total discount "
    "amount would take them off twice)": "stripe_invoice_total",
    "{column!r} read in cents (Stripe API/Sigma column names)": "stripe_api_cents",
    "amounts read in major units, taxes excluded (Stripe Dashboard export)":
        "stripe_dashboard_units",
    "credits for unused time (negative lines) are kept only when the charge they reduce is in "
    "the file: a credit whose charge was invoiced before the export's first date is rejected":
        "credits_kept",
    "{count} credit(s) slightly larger than the charge they reduce (the vendor prorates by the "
    "second and rounds to the cent; the file's dates are read as days) trimmed to that charge":
        "credits_trimmed",
    "no currency column: every amount read as one currency, the site's. A Chargebee site "
    "billing in several currencies must export one file per currency, or add a column "
    "'subscriptions.currency_code'": "chargebee_no_currency",
    "Chargebee rules: active and non-renewing count (non-renewing until their cancel date), "
    "trials from their end, cancelled at cancelled_at, paused at pause_date; prices read in "
    "major units": "chargebee_rules",
    "Recurly rules: active counts, canceled counts until expires_at, expired ends at expires_at":
        "recurly_rules",
    "{count} row(s) with tax-inclusive prices ({column!r}): their MRR includes the tax, as the "
    "export gives no tax rate to take it out": "recurly_tax_inclusive",
    "Baremetrics template: plan_amount in cents, churn at subscription_canceled_at":
        "baremetrics_rules",
    "Paddle rules: active and past_due count, trials from next_billed_at, churn at canceled_at "
    "(paused at paused_at); unit prices read in the lowest denomination (cents)": "paddle_rules",
    "Paddle transactions report: each billed subscription transaction is a line over its "
    "billing period, MRR = (subtotal - discount, tax excluded) / months in the period":
        "paddle_transactions",
    "{count} row(s) without {column!r}: customer read from {email!r}": "paddle_email",
    "no status column: every transaction read as billed": "paddle_no_status",
    "origins not documented by Paddle, read like the others: {origins}": "paddle_origins",
    "no discount column: {column!r} read as the amount after discount": "paddle_no_discount",
    "amount = {total!r} - {tax!r} (no subtotal column)": "paddle_total_tax",
    "every amount is a whole number (e.g. {column!r} {example}): read in the lowest "
    "denomination (cents; whole units for zero-decimal currencies such as JPY), as Paddle's "
    "API writes amounts. Had they been whole currency units, every MRR would be 100 times too "
    "small": "paddle_cents",
    "amounts written with decimals: read in currency units": "paddle_decimals",
    "{count} transaction(s) worth 0 (trials, 100% discounts) kept as lines worth 0":
        "paddle_zero",
    "{count} prorated change(s) (origin subscription_update) read as the change in MRR over "
    "their billing period: Paddle puts the credit for removed items on the same transaction":
        "paddle_prorated",
    "refunds, credits and chargebacks are in Paddle's adjustments report, which is not read: a "
    "refunded transaction still counts here": "paddle_adjustments",
    "Paddle Classic rules: active and past_due count, trials from the next payment date, "
    "paused at paused_from (else paused_at), deleted at their cancellation date":
        "paddle_classic_rules",
    "MRR from {column!r} x quantity, read in currency units": "paddle_classic_price",
    "the file gives no plan price: MRR from the payments it lists ({columns}, the first filled "
    "one per row), read in currency units as charged. They may include sales tax or VAT and a "
    "prorated first payment: for exact MRR add a column 'recurring_price' with each plan's "
    "price before tax": "paddle_classic_payments",
    "{count} deleted subscription(s) rejected: Paddle Classic's user list gives no "
    "cancellation date. Add a column 'cancellation_effective_date' (from the "
    "subscription_cancelled webhooks or the dashboard) to date their churn":
        "paddle_classic_deleted",
}
#: mrrkit's own words put into notes (``mrrkit.io.formats.WARNING_TERMS``), by placeholder ->
#: ``warning.<placeholder>.<key>`` texts.
_WARNING_TERMS = {
    "encoding": {
        "UTF-8": "utf8",
        "UTF-8 with BOM": "utf8_bom",
        "UTF-16 (Excel Unicode text)": "utf16",
        "Windows-1252 (Latin-1)": "cp1252",
        "Latin-1": "latin1",
    },
    "delimiter": {"comma": "comma", "semicolon": "semicolon", "tab": "tab", "pipe": "pipe"},
    "convention": {
        "DD/MM/YYYY": "dmy",
        "MM/DD/YYYY": "mdy",
        "DD/MM/YYYY (assumed: no day above 12 tells)": "dmy_assumed",
        "DD/MM/YYYY (some rows say month-first: rejected)": "dmy_contradicted",
        "DD/MM/YYYY (like the file's other date columns; its own values never tell)":
            "dmy_like_others",
        "MM/DD/YYYY (like the file's other date columns; its own values never tell)":
            "mdy_like_others",
        "dates with month names": "month_names",
        "months (the 1st of each)": "months",
        "no date format recognised": "unreadable",
        "Unix timestamps (ms)": "unix_ms",
        "Unix timestamps (s)": "unix_s",
        "YYYYMMDD numbers": "yyyymmdd",
        "Excel serial dates": "excel",
    },
}


def _warning_value(name: str, value, t, nf) -> str:
    """A value of a note as the reader's language writes it: mrrkit's words translated, counts
    and numbers in the language's format, each name of a list quoted."""
    terms = _WARNING_TERMS.get(name)
    if terms is not None:
        key = terms.get(value)
        return t(f"warning.{name}.{key}") if key else str(value)
    if name == "months":  # a billing period in months: "every month", "every 3 months"
        if value == 1:
            return t("warning.every_month")
        return t("warning.every_months", months=nf.number(value, 0 if value == int(value) else 2))
    if isinstance(value, (list, tuple)):
        return ", ".join(t("warning.quoted", value=v) for v in value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return nf.count(value)
    return str(value)


def warning_text(warning: str, t) -> str:
    """A note of mrrkit on how a file was read (``ExportResult.warnings``) as a sentence in the
    language of ``t`` (an :class:`ui.i18n.Text`), from the note's template and values; a note
    from no template it knows is shown as mrrkit wrote it.

    >>> from mrrkit.io.notes import note
    >>> from ui.i18n import text
    >>> n = note("{count} row(s) without a currency read as {currency}", count=1204, currency="EUR")
    >>> warning_text(n, text("en")), warning_text(n, text("fr"))
    ('1,204 rows without a currency read as EUR', '1\u202f204 lignes sans devise lues en EUR')
    >>> warning_text(note("{column!r} read as {convention}", column="Début",
    ...                   convention="DD/MM/YYYY"), text("it"))
    "'Début': date lette nel formato GG/MM/AAAA"
    >>> warning_text("something new", text("fr"))
    'something new'
    """
    key = _WARNINGS.get(warning.template) if isinstance(warning, Note) else None
    if key is None:
        return str(warning)
    nf = number_format(t.lang)
    values = {name: _warning_value(name, v, t, nf) for name, v in warning.values.items()}
    if warning.values.get("count") == 1 and t.has(f"warning.{key}_one"):
        key += "_one"
    said = t(f"warning.{key}", **values)
    return said[:1].upper() + said[1:]


def validation_report(
    result: ExportResult,
    t,
    *,
    file: str,
    currency: str,
    customers: CustomerFile | None = None,
    customers_name: str | None = None,
) -> pd.DataFrame:
    """The validation report of an upload as a two-column table for people (and its downloads):
    the file, its format, the currency, rows read, kept and rejected (in total and by reason),
    lines and customers, the customers file's counts, then how the file was read. Counts are
    numbers (a spreadsheet can add them up), the rest text.

    >>> from mrrkit import read_export
    >>> from ui.i18n import text
    >>> result = read_export(b"customer_id,start,mrr\\na,2024-01-01,10\\n,2024-01-01,5\\n")
    >>> report = validation_report(result, text("en"), file="x.csv", currency="EUR")
    >>> values = report.set_index("What")["Value"]
    >>> values.loc[["Rows read", "Rows kept", "Rejected: missing customer id"]].tolist()
    [2, 1, 1]
    """
    rows = [
        (t("data.report_file"), file),
        (t("data.report_format"), t(f"format.{result.format}")),
        (t("data.report_currency"), currency),
        (t("data.rows_read"), int(result.rows_read)),
        (t("data.rows_kept"), int(result.rows_kept)),
        (t("data.rows_rejected"), len(result.rejected)),
    ]
    if len(result.rejected):
        counts = result.rejected["reason"].value_counts()
        rows += [
            (t("data.report_reason", reason=reason_text(reason, t)), int(n))
            for reason, n in counts.items()
        ]
    rows += [
        (t("data.lines"), len(result.lines)),
        (t("data.report_customers"), int(result.lines["customer_id"].nunique())),
    ]
    if customers is not None:
        rows += [
            (t("data.report_customers_file"), customers_name or ""),
            (t("data.report_customers_read"), int(customers.rows_read)),
            (t("data.report_customers_kept"), len(customers.customers)),
            (t("data.report_customers_rejected"), len(customers.rejected)),
        ]
    rows += [(t("data.report_note"), warning_text(note, t)) for note in result.warnings]
    return pd.DataFrame(rows, columns=[t("data.what"), t("data.value")], dtype=object)


# --- the file uploaders' own words ---------------------------------------------------------------

# Streamlit's file uploader writes its own English in the dropzone (1.67: an "Upload" button,
# "200MB per file • CSV, ..." beside it, "Drag and drop a file here" while a file is dragged over)
# and st.file_uploader has no parameter for them. The style below hides those words and writes the
# reader's instead, through CSS ``content``. It only reads the uploader's data-testid attributes
# (the hooks Streamlit keeps for its own tests) and the ``st-key-<key>`` class Streamlit documents
# for keyed widgets: should a later Streamlit change them, its English comes back and nothing else
# breaks (tests/test_pages_data.py checks it in a real browser).
_DROPZONE = '[data-testid="stFileUploaderDropzone"]'
_UPLOADER_RULES = (
    # The button's label: the markdown container keeps the button's font, its paragraph goes.
    (f'{_DROPZONE} [data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"] p',
     "display: none;"),
    (f'{_DROPZONE} [data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"]::after',
     "content: {button};"),
    # The size limit and types: Streamlit's line goes (out of screen readers too), ours takes its
    # look (small, 70% of the text colour, cut with an ellipsis when the column is narrow).
    ('[data-testid="stFileUploaderDropzoneInstructions"] span', "display: none;"),
    ('[data-testid="stFileUploaderDropzoneInstructions"] > div::after',
     "content: {limit}; font-size: 0.875rem; opacity: 0.7; white-space: nowrap; "
     "overflow: hidden; text-overflow: ellipsis;"),
    # The banner over the dropzone while a file is dragged: the only child without a test id (the
    # list of files uploaded holds elements that have one). Its text shrinks to nothing, so that
    # ours keeps its colour and weight.
    (f"{_DROPZONE} > div:not([data-testid]):not(:has([data-testid])) > span", "font-size: 0;"),
    (f"{_DROPZONE} > div:not([data-testid]):not(:has([data-testid])) > span::after",
     "content: {drop}; font-size: 0.875rem;"),
)


def _css_string(text: str) -> str:
    r"""``text`` as a quoted CSS string that cannot end the string or the ``<style>`` block.

    >>> print(_css_string('Jusqu\'à 200 Mo "max" </style> \\ fin'))
    "Jusqu'à 200 Mo \22 max\22  \3C /style\3E  \5C  fin"
    """
    out = []
    for ch in str(text):
        if ch in '"\\<>' or ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives the element of a keyed widget (``st-key-`` and the key with
    every character but letters, digits, ``_`` and ``-`` written ``-``).

    >>> widget_class("data.fx_file")
    'st-key-data-fx_file'
    """
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def uploader_style(t, max_mb: int, types: Mapping[str, Sequence[str]] | None = None) -> str:
    """A ``<style>`` block writing the file uploaders' own words in the reader's language: the
    button, the size limit (``max_mb``, Streamlit's ``server.maxUploadSize``) followed by the
    accepted types of each uploader named in ``types`` (widget key -> extensions), and the banner
    shown while a file is dragged over. For ``st.html``, which keeps a style-only block out of the
    page's layout.

    >>> from ui.i18n import text
    >>> css = uploader_style(text("fr"), 200, {"data.export": ["csv", "xlsx"]})
    >>> css.startswith("<style>") and css.endswith("</style>")
    True
    >>> for said in re.findall(r'content: "(.*?)";', css):
    ...     print(said)
    Importer
    Jusqu'à 200 Mo par fichier
    Déposez le fichier ici
    Jusqu'à 200 Mo par fichier • CSV, XLSX
    """
    limit = t("data.upload_limit", size=number_format(t.lang).count(max_mb))
    words = {
        "button": _css_string(t("data.upload_button")),
        "limit": _css_string(limit),
        "drop": _css_string(t("data.upload_drop")),
    }
    rules = [f"{selector} {{ {body.format(**words)} }}" for selector, body in _UPLOADER_RULES]
    for key, extensions in (types or {}).items():
        listed = ", ".join(str(e).upper() for e in extensions)
        rules.append(
            f'.{widget_class(key)} [data-testid="stFileUploaderDropzoneInstructions"] > div::after '
            f"{{ content: {_css_string(f'{limit} • {listed}' if listed else limit)}; }}"
        )
    return "<style>\n" + "\n".join(rules) + "\n</style>"


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


def save_view(
    source: Source, params: Mapping[str, list[str]], ttl_days: float | None = None
) -> str:
    """Store ``source`` (only a marker for the sample) and the view's URL parameters for
    ``ttl_days`` (default: the store's); return the token. Raises ``ValueError`` (store full,
    view too large, bad lifetime, bad configuration)."""
    state = {
        "version": 1,
        "params": {str(k): [str(v) for v in values] for k, values in params.items()},
        "name": source.name,
        "currency": source.currency,
    }
    return view_store().save(None if is_sample(source) else source.lines, state, ttl_days)


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
@memory.cached(tag=_source_tag)  # the page shows a translated spinner
def analysis(key: str, _lines: pd.DataFrame, as_of: pd.Timestamp | None = None) -> Analysis:
    """Movements (up to ``as_of``: a later end is scheduled, not counted), monthly table,
    customer attributes and segment labels of a source."""
    movements = mrrkit.movements(_lines, as_of=as_of)
    attributes = mrrkit.customer_attributes(_lines)
    dims = tuple(segment_columns(attributes))
    cats = movements.customers
    return Analysis(
        movements=movements,
        monthly=mrrkit.monthly(movements),
        attributes=attributes,
        labels=segment_labels(attributes, dims),
        dimensions=dims,
        aligned=bool(attributes.index.equals(cats)),
    )


@memory.cached(tag=_source_tag)
def date_span(key: str, _lines: pd.DataFrame) -> tuple:
    """The first start and the latest start or end of a source's lines, as days (``date``):
    the range the "as of" day can be chosen in."""
    starts = pd.to_datetime(_lines["start"])
    first = starts.min()
    latest = pd.concat([starts, pd.to_datetime(_lines["end"])]).max()
    return first.date(), latest.date()


Filters = tuple[tuple[str, tuple[str, ...]], ...]


@memory.cached(tag=_source_tag)
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


def _derived(cache_key: str, tag: str, _call: tuple):
    # One text key: a page reads 10-20 derived views per rerun.
    fn, data, args, kwargs = _call
    memory.hold(tag)
    return memory.DATA.get(cache_key, lambda: fn(data, *args, **kwargs), tag)


def derived(fn: Callable, key: str, filters: Filters, data, *args, name: str | None = None,
            **kwargs):
    """``fn(data, *args, **kwargs)`` cached on (source key, filters, name, args): ``data`` must be
    the segment view of (key, filters), and the arguments (months, days, strings, numbers, tuples)
    with ``name`` (default: the function's qualified name) must determine the result.

    Results are shared, not copied: callers must not modify them.
    """
    name = name or f"{fn.__module__}.{fn.__qualname__}"
    arg_key = _arg_key((tuple(args), tuple(sorted(kwargs.items()))))
    return _derived(repr((name, key, filters, arg_key)), _source_tag({"key": key}),
                    (fn, data, args, kwargs))
