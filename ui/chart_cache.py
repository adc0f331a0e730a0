"""Chart specs cached by the content of their data, on Streamlit's and Altair's public APIs.

Building a chart with Altair (``chart.to_dict()``) costs 20-45 ms; a page draws two to five of
them on every run. :func:`spec` builds each Vega-Lite spec once per content of the chart's data,
options, language and currency, in a named ``st.cache_resource`` function (the data frames are
hashed by content, :func:`ui.memory.content`: no hand-written cache key can go stale), and hands
a page a fresh copy to draw with ``st.vega_lite_chart``::

    spec = chart_cache.spec(charts.waterfall_chart, bridge, lang="fr", currency="EUR",
                            frames=charts.waterfall_chart_frame, selectable=True)
    st.vega_lite_chart(spec, width="stretch")

Two measures keep a first-time choice (a new segment, a new period) cheap:

- the rows a chart embeds are made from its frames column by column (:func:`_records`, the
  values Altair's own ``to_values`` gives, ~15 ms a chart faster), through Altair's public data
  transformer registry;
- a chart whose spec depends on its data only through the frames it embeds gives ``frames``
  (e.g. :func:`ui.charts.movement_chart_frames`): its spec is then built once per language,
  currency and options (:func:`template`), and other data only swap their rows in
  (:func:`filled`). A template that cannot tell where each frame goes falls back to a full build.

The datasets stay pandas frames inside the spec: Streamlit converts a spec's datasets to Arrow
itself, exactly as it converts Altair's rows, so the browser receives the same chart as from
``st.vega_lite_chart(chart.to_dict())``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from . import memory

__all__ = ["HASH_FUNCS", "MAX_CHARTS", "filled", "fresh", "layout", "records", "spec",
           "spec_of", "template"]

#: Chart specs kept (all sessions): measured 2-260 KB each (a 4-year cohort heatmap the largest),
#: so at most ~65 MB, and typically a few MB.
MAX_CHARTS = 256
#: A spec unused this long leaves the cache (as the data caches' idle time, ui.memory).
_TTL_SECONDS = 30 * 60

_NULLABLE_NUMBERS = frozenset(
    ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
     "Float64")
)
# Altair's data transformers are process-wide: one chart is made with this module's at a time.
_TRANSFORMER_LOCK = threading.Lock()


#: How the caches here hash the data they are given (:func:`ui.memory.content`).
HASH_FUNCS = {pd.DataFrame: memory.content, pd.Series: memory.content}


def _json_values(column: pd.Series) -> list | None:
    """The values Altair's ``to_values`` gives a column (``sanitize_pandas_dataframe`` then
    ``to_dict("records")``), as a list; ``None`` for a dtype left to Altair itself."""
    name = str(column.dtype)
    if name in ("category", "string", "str", "boolean") or name in _NULLABLE_NUMBERS:
        values = column.astype(object)
        return values.where(values.notnull(), None).tolist()
    if name == "bool":
        return column.tolist()
    if name.startswith(("datetime", "timestamp")):
        return ["" if x is pd.NaT else x.isoformat() for x in column]
    if not isinstance(column.dtype, np.dtype):  # other extension dtypes (periods...)
        return None
    if np.issubdtype(column.dtype, np.integer):
        return column.tolist()
    if np.issubdtype(column.dtype, np.floating):
        values = column.to_numpy()
        return [None if bad else x for x, bad in zip(values.tolist(), ~np.isfinite(values))]
    return None


def records(frame: pd.DataFrame) -> list[dict] | None:
    """``altair.utils.data.to_values(frame)["values"]``, the rows a chart's data becomes, without
    its per-column pandas round trips (~15 ms a chart); ``None`` for a frame it does not cover
    (non-text column names, hierarchical axes, other dtypes): Altair then does it.

    >>> records(pd.DataFrame({"day": pd.to_datetime(["2024-01-01"]), "v": [float("nan")]}))
    [{'day': '2024-01-01T00:00:00', 'v': None}]
    >>> records(pd.DataFrame({"p": pd.period_range("2024-01", periods=1, freq="M")})) is None
    True
    """
    if (
        isinstance(frame.index, pd.MultiIndex)
        or isinstance(frame.columns, (pd.MultiIndex, pd.RangeIndex))
        or not all(isinstance(c, str) for c in frame.columns)
        or not frame.columns.is_unique
    ):
        return None
    columns = []
    for i in range(frame.shape[1]):
        values = _json_values(frame.iloc[:, i])
        if values is None:
            return None
        columns.append(values)
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)] if columns else [{}] * len(frame)


def spec_of(chart) -> dict:
    """The Vega-Lite spec of an Altair chart (``chart.to_dict()``), each dataset a DataFrame of
    the rows ``to_dict`` embeds (see :func:`records`), under the same names: Streamlit sends it
    to the browser as it sends those rows.

    >>> import altair as alt
    >>> frame = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"]), "mrr": [1.5]})
    >>> spec = spec_of(alt.Chart(frame).mark_bar().encode(x="month:T", y="mrr:Q"))
    >>> spec["datasets"][spec["data"]["name"]].to_dict("records")
    [{'month': '2024-01-01T00:00:00', 'mrr': 1.5}]
    """
    import altair as alt
    from altair.vegalite.data import default_data_transformer

    def to_values(data):
        rows = records(data) if isinstance(data, pd.DataFrame) else None
        return default_data_transformer(data) if rows is None else {"values": rows}

    with _TRANSFORMER_LOCK:
        alt.data_transformers.register("mrrkit_values", to_values)
        with alt.data_transformers.enable("mrrkit_values"):
            out = chart.to_dict(validate=False)
    if isinstance(out.get("datasets"), dict):
        # The frame Streamlit itself makes of a list of rows (st.vega_lite_chart's datasets).
        out["datasets"] = {name: pd.DataFrame(rows) if isinstance(rows, list) else rows
                           for name, rows in out["datasets"].items()}
    return out


def _same(a, b) -> bool:
    return isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b) and list(
        a.columns) == list(b.columns)


def template(built: dict, frames) -> dict | None:
    """``built`` (from :func:`spec_of`) with, for each of its datasets, which of ``frames`` it
    holds: the chart's shape, for :func:`filled` to put other data in. ``None`` when that cannot
    be told (a dataset that is none of the frames, two equal frames, a frame not used): the chart
    is then built for each data as usual.

    >>> import altair as alt
    >>> a = pd.DataFrame({"x": ["a", "b"], "y": [1.0, 2.0]})
    >>> b = pd.DataFrame({"x": ["c"], "y": [5.0]})
    >>> shape = template(spec_of(alt.Chart(a).mark_bar().encode(x="x:N", y="y:Q")), [a])
    >>> spec = filled(shape, [b])
    >>> spec["datasets"][spec["data"]["name"]]["x"].tolist()
    ['c']
    >>> template(spec_of(alt.Chart(a).mark_bar().encode(x="x:N", y="y:Q")), [b]) is None
    True
    """
    data = [_dataset(f) for f in frames]
    datasets = built.get("datasets")
    if not isinstance(datasets, dict) or any(d is None for d in data) or any(
            _same(x, y) for i, x in enumerate(data) for y in data[i + 1:]):
        return None
    slots = {}
    for name, value in datasets.items():
        found = [i for i, d in enumerate(data) if _same(value, d)]
        if not found:
            return None
        slots[name] = found[0]
    if sorted(set(slots.values())) != list(range(len(data))):
        return None
    return {"spec": built, "slots": slots}


def _dataset(frame: pd.DataFrame) -> pd.DataFrame | None:
    """A chart's data frame as :func:`spec_of` embeds it (``None`` if it leaves it to Altair)."""
    rows = records(frame)
    return None if rows is None else pd.DataFrame(rows)


def filled(shape: dict, frames) -> dict:
    """The spec of :func:`template`'s chart drawn with ``frames`` (same order, same columns)."""
    data = [_dataset(f) for f in frames]
    out = fresh(shape["spec"])
    out["datasets"] = {name: data[i] for name, i in shape["slots"].items()}
    return out


def fresh(built: dict) -> dict:
    """A copy of a cached spec to hand to ``st.vega_lite_chart``, which patches specs in place
    (e.g. a null legend title becomes " "); the datasets are shared, not copied.

    >>> built = {"encoding": {"color": {"title": None}}, "datasets": {"d": pd.DataFrame()}}
    >>> copy = fresh(built)
    >>> copy["encoding"]["color"]["title"] = " "
    >>> built["encoding"]["color"]["title"] is None, copy["datasets"]["d"] is built["datasets"]["d"]
    (True, True)
    """
    return {k: dict(v) if k == "datasets" else copy.deepcopy(v) for k, v in built.items()}


def _build(make: Callable, data: tuple, lang: str, currency: str, options: dict):
    from .charts import localized
    from .format import number_format

    return localized(make(*data, t=_text(lang), **options), number_format(lang, currency))


def _name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _text(lang: str):
    from .i18n import text

    return text(lang)


def _embedded(frames: Callable, data: tuple, lang: str) -> list[pd.DataFrame]:
    """``frames(*data, t)`` as a list (a chart embedding one frame may return it alone)."""
    out = frames(*data, _text(lang))
    return [out] if isinstance(out, pd.DataFrame) else list(out)


def _shape(data: tuple) -> tuple:
    """What a chart's data are made of, but their values: columns, types and axis names of each
    frame or series, other data (a metric's name) as they are. Charts of the same shape share a
    template.

    >>> _shape((pd.DataFrame({"a": [1.0]}, index=pd.Index(["x"], name="k")), "mrr"))
    (('frame', ('a',), ('float64',), ('k',)), 'mrr')
    """
    out = []
    for x in data:
        if isinstance(x, pd.DataFrame):
            out.append(("frame", tuple(map(str, x.columns)), tuple(map(str, x.dtypes)),
                        tuple(map(str, x.index.names))))
        elif isinstance(x, pd.Series):
            out.append(("series", str(x.name), str(x.dtype), tuple(map(str, x.index.names))))
        else:
            out.append(x)
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=MAX_CHARTS, ttl=_TTL_SECONDS)
def _template(chart: str, frames: str, shape: tuple, lang: str, currency: str, options: tuple,
              _make: Callable, _frames: Callable, _data: tuple) -> dict | None:
    """The template of chart ``chart`` (with ``options``) for data of ``shape`` in ``lang`` and
    ``currency``: built from the data seen first (``_data``; only where its frames go is kept)."""
    built = spec_of(_build(_make, _data, lang, currency, dict(options)))
    return template(built, _embedded(_frames, _data, lang))


@st.cache_resource(show_spinner=False, max_entries=MAX_CHARTS, ttl=_TTL_SECONDS,
                   hash_funcs=HASH_FUNCS)
def _spec(chart: str, data: tuple, lang: str, currency: str, options: tuple, frames: str | None,
          _make: Callable, _frames: Callable | None) -> dict:
    """Chart ``chart``'s spec drawing ``data`` (hashed by content) with ``options``."""
    if _frames is not None:
        shape = _template(chart, frames, _shape(data), lang, currency, options, _make, _frames,
                          data)
        if shape is not None:
            return filled(shape, _embedded(_frames, data, lang))
    return spec_of(_build(_make, data, lang, currency, dict(options)))


@st.cache_resource(show_spinner=False, max_entries=MAX_CHARTS, ttl=_TTL_SECONDS)
def _layout(chart: str, shape: tuple, lang: str, currency: str, options: tuple, _make: Callable,
            _data: tuple) -> dict:
    built = _build(_make, _data, lang, currency, dict(options)).to_dict(validate=False)
    return {k: v for k, v in built.items() if k not in ("data", "datasets")}


def layout(make: Callable, *data, lang: str, currency: str, **options) -> dict:
    """A fresh copy of the spec of ``make(*data, ...)`` without its data (no ``data``, no
    ``datasets``), cached for data of the same shape (:func:`_shape`: columns, types, axis
    names): for a chart whose data change on every run (a scenario's curves as a slider moves)
    while its layout does not; the page puts the data in."""
    return fresh(_layout(_name(make), _shape(tuple(data)), lang, currency,
                         tuple(sorted(options.items())), make, tuple(data)))


def spec(make: Callable, *data, lang: str, currency: str, frames: Callable | None = None,
         **options) -> dict:
    """A fresh copy of the cached spec of ``make(*data, t=<lang's texts>, **options)`` localized
    for ``lang`` and ``currency`` (see the module). ``frames(*data, t)``, when given, returns the
    frames the chart embeds, for a chart whose spec depends on its data only through them.

    ``data`` are what the chart is made from (frames, series, numbers, text: Streamlit hashes
    them by content), ``options`` plain values."""
    built = _spec(_name(make), tuple(data), lang, currency, tuple(sorted(options.items())),
                  None if frames is None else _name(frames), make, frames)
    return fresh(built)
