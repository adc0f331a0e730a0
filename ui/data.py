"""Where the app's data comes from: the bundled sample, or an upload the Data page read. What
the pages compute from it is in :mod:`ui.views`.

A session's data is the bundled sample until the Data page reads an upload
(:mod:`ui.uploads`, cached on the file's digest) and calls :func:`set_upload`; the upload lives
in this session's state only. "Share" stores it in the server's :func:`view_store` under an
unguessable token, and a ``?view=<token>`` link reopens it (:func:`open_view`) for anyone let in.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd
import streamlit as st

import mrrkit
from server.view_store import ViewStore

from .format import number_format

__all__ = [
    "Source",
    "available_sources",
    "clear_upload",
    "current_source",
    "is_sample",
    "lines_digest",
    "open_view",
    "sample_source",
    "save_view",
    "set_upload",
    "upload_source",
    "uploader_style",
    "view_store",
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
def _sample(digest: str) -> Source:
    # ``digest`` only keys the cache: a regenerated sample file is reloaded.
    lines = mrrkit.load_sample()
    # The sample is a company's export taken on its last day: shown at that day, whatever today.
    exported = pd.concat([lines["start"], lines["end"]]).max()
    return Source(name="sample", key=f"sample:{digest}", lines=lines, exported=exported)


def sample_source() -> Source:
    """The bundled sample (one shared :class:`Source`: every rerun of every session asks)."""
    from mrrkit.sample import SAMPLE_PATH

    return _sample(_file_digest(SAMPLE_PATH) if SAMPLE_PATH.exists() else "generated")


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


def default_period(months) -> tuple[str, str]:
    """The reporting period the pages open with: the last 12 of ``months`` (the sidebar's
    slider, what the server's warmer prepares), as ``YYYY-MM`` texts.

    >>> default_period(["2025-11", "2025-12", "2026-01"])
    ('2025-11', '2026-01')
    """
    months = [str(m) for m in months]
    return months[max(0, len(months) - 12)], months[-1]


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
    """The data this session can show, first what it came for: its upload (once it made one),
    the warehouse (where ``[warehouse]`` is configured, :mod:`ui.warehouse`), the sample."""
    from . import warehouse

    out = ["upload"] if isinstance(st.session_state.get(UPLOAD_KEY), Source) else []
    if warehouse.configured():
        out.append("warehouse")
    return [*out, "sample"]


def current_source(choice: str | None = None) -> Source:
    """This session's data: its upload if it made one (and did not switch away), else the
    warehouse where one is configured (and can be opened), else the sample."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    choice = choice or st.session_state.get(_CHOICE_KEY, "upload")
    if isinstance(uploaded, Source) and choice == "upload":
        return uploaded
    if choice in ("upload", "warehouse"):
        from . import warehouse

        opened = warehouse.source()
        if opened is not None:
            return opened
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


# --- the file uploaders' own words ---------------------------------------------------------------

# Streamlit's file uploader writes its own English in the dropzone (1.67: an "Upload" button,
# "200MB per file • CSV, ..." beside it, "Drag and drop a file here" while a file is dragged over)
# and st.file_uploader has no parameter for them. The style below hides those words and writes the
# reader's instead, through CSS ``content``. It only reads the uploader's data-testid attributes
# (the hooks Streamlit keeps for its own tests) and the ``st-key-<key>`` class Streamlit documents
# for keyed widgets: should a later Streamlit change them, its English comes back and nothing else
# breaks (tests/app/test_pages_data.py checks it in a real browser).
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
    from . import warehouse

    state = {
        "version": 1,
        "params": {str(k): [str(v) for v in values] for k, values in params.items()},
        "name": source.name,
        "currency": source.currency,
    }
    # The warehouse's lines stay in it: the view stores which source it shows, not the data.
    in_warehouse = warehouse.is_warehouse(source)
    if in_warehouse:
        state["source"] = "warehouse"
    keep = None if is_sample(source) or in_warehouse else source.lines
    return view_store().save(keep, state, ttl_days)


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
    if lines is None and state.get("source") == "warehouse":
        from . import warehouse

        opened = warehouse.source()
        if opened is None:  # no warehouse here (any more): the data is gone with it
            raise KeyError("the warehouse this view shows is not configured here")
        return opened, params
    if lines is None:
        return sample_source(), params
    name = state.get("name") if isinstance(state.get("name"), str) else "shared data"
    currency = state.get("currency")
    valid = isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
    return upload_source(name, lines, currency.upper() if valid else "EUR"), params
