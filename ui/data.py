"""Where the app's data comes from, and the cached computations every page derives its views from.

Caches are keyed on the *content* (a digest of the source), never on a large frame, so Streamlit
does not hash millions of rows on every rerun:

- :func:`analysis` — once per source: movements, the monthly table, customer attributes and their
  segment labels;
- :func:`segment_view` — once per (source, filters): the movements of the selected customers and
  their monthly table (a segment is a filter on customers, never on dates);
- :func:`derived` — anything a page computes from a segment view, keyed on (source, filters,
  function, arguments).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

import mrrkit
from mrrkit.segments import customer_mask, filter_movements, segment_columns, segment_labels

__all__ = [
    "Analysis",
    "SegmentView",
    "Source",
    "analysis",
    "available_sources",
    "current_source",
    "derived",
    "lines_digest",
    "sample_source",
    "segment_view",
    "set_upload",
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
    h.update(repr(list(map(str, lines.columns))).encode())
    h.update(pd.util.hash_pandas_object(lines, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=4)
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
