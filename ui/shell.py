"""The frame every page calls first: page config, access gate, URL state, data, sidebar.

A page never relies on app.py having run (a deep link can open any page directly)::

    ctx = page("movements")        # the page's slug: title, URL key prefix "mv."...
    ctx.monthly, ctx.movements     # the selected customers' data (filters applied)
    ctx.start, ctx.end             # the reporting period (monthly Periods)
    ctx.t("key"), ctx.nf.money(x)  # texts and numbers in the chosen language
    ctx.compute(fn, *args)         # fn(ctx.movements, *args), cached per source and filters

The sidebar holds the page links (the pages below, then any other file in ``pages/``, so a new
page shows up without editing this module, and the Data page last), the data source, the
reporting period, one multi-select per segment dimension, the language, the link to the current
view, "Share" (this view *with its data*, as a ``?view=<token>`` link) and, behind an access
gate, "Sign out". A page that needs no data (the Data page) calls :func:`frame` instead of
:func:`page`: the same gate, URL state, shared-view opening and sidebar, without the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from babel.dates import format_date, get_month_names

import mrrkit
from mrrkit import QUICK_PERIODS, quick_period

from . import browser_memory, state
from .auth import require_access
from .data import (
    Analysis,
    SegmentView,
    Source,
    analysis,
    available_sources,
    date_span,
    current_source,
    derived,
    is_sample,
    open_view,
    save_view,
    segment_view,
    set_upload,
    today,
    view_store,
)
from .format import LOCALES, NumberFormat, number_format, plain_md
from .i18n import LANGUAGES, Text, text

__all__ = [
    "DATA_PAGE",
    "PAGES",
    "Context",
    "Frame",
    "PageInfo",
    "chart_spec",
    "chart_template",
    "filled_spec",
    "frame",
    "fresh_spec",
    "month_label",
    "page",
]

ROOT = Path(__file__).resolve().parents[1]
_CHOICE_KEY = "_mrrkit_source_choice"
#: This session's shared view: {"token", "key" (the source it shares), "opened" (came from a link)}.
_SHARED = "_mrrkit_shared_view"
_OPENED = "_mrrkit_opened_token"  # the last ?view= token this session tried to open
_SHARE_NOTE = "_mrrkit_share_note"  # (level, text key, values) to show once in the share box
_SHARE_TTL = "_mrrkit_share_ttl"  # the lifetime chosen for the next link, in days
#: Lifetimes offered for a new link, in days (with the server's default; up to its maximum).
_SHARE_LIFETIMES = (1, 7, 30, 90, 365)
_OPEN_NOTE = "_mrrkit_open_note"  # the same, about opening a ?view= link, shown on the page
_AS_OF_SEEN = "_mrrkit_as_of_seen"  # (source key, as-of day) of this session's last page
_QUICK = "_mrrkit_quick_period"
#: A file whose latest date is this many days before the as-of day may be an old export.
_STALE_DAYS = 62  # the quick-period buttons (an action, not a view value)


@dataclass(frozen=True)
class PageInfo:
    slug: str
    path: str  # relative to the app's root
    icon: str
    prefix: str  # URL key prefix of the page's own widgets


#: ``st.date_input``'s day formats by language.
_DATE_FORMATS = {"en": "YYYY-MM-DD", "fr": "DD/MM/YYYY", "it": "DD/MM/YYYY"}

#: The exploration pages, in menu order. Other files in ``pages/`` follow, by file name.
PAGES = (
    PageInfo("overview", "app.py", ":material/dashboard:", "ov"),
    PageInfo("movements", "pages/1_Movements.py", ":material/swap_vert:", "mv"),
    PageInfo("cohorts", "pages/2_Cohorts.py", ":material/grid_on:", "coh"),
    PageInfo("segments", "pages/3_Segments.py", ":material/donut_small:", "seg"),
    PageInfo("customers", "pages/4_Customers.py", ":material/group:", "cus"),
    PageInfo("scenarios", "pages/5_Scenarios.py", ":material/tune:", "sc"),
    PageInfo("expansion", "pages/6_Expansion.py", ":material/trending_up:", "ex"),
)
#: The upload page, listed last (after any other page).
DATA_PAGE = PageInfo("data", "pages/0_Data.py", ":material/upload_file:", "data")


@dataclass(frozen=True)
class Context:
    """What a page gets from :func:`page`."""

    slug: str
    source: Source
    key: str  # the cache key of every figure: the source's and the as-of day
    base: Analysis  # every customer
    view: SegmentView  # the selected customers
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    start: pd.Period
    end: pd.Period
    lang: str
    t: Text
    nf: NumberFormat

    @property
    def movements(self) -> pd.DataFrame:
        return self.view.movements

    @property
    def monthly(self) -> pd.DataFrame:
        return self.view.monthly

    @property
    def period_monthly(self) -> pd.DataFrame:
        """The selected customers' monthly table over the reporting period."""
        return self.view.monthly.loc[self.start : self.end]


    @property
    def as_of(self) -> pd.Timestamp:
        return self.base.movements.as_of

    @property
    def period_as_of(self) -> pd.Timestamp:
        """Last day counted for the period: the end month's last day, or as_of in its month."""
        return min(self.end.end_time.normalize(), self.as_of)

    def compute(self, fn, *args, **kwargs):
        """``fn(self.movements, *args, **kwargs)``, cached per (source, filters, fn, args)."""
        return derived(fn, self.key, self.filters, self.movements, *args, **kwargs)

    def compute_all(self, fn, *args, **kwargs):
        """``fn(self.base.movements, *args, **kwargs)``: every customer's, whatever the filters,
        cached per (source, fn, args) -- for what does not depend on the filters, so that
        choosing a segment does not compute it again."""
        return derived(fn, self.key, (), self.base.movements, *args, **kwargs)

    def chart(self, name: str, make, *args, patch=None, frames=None, **st_kwargs):
        """Draw the Altair chart ``make()`` returns, localized; its Vega-Lite spec is cached on
        (source, filters, page, ``name``, language, currency, ``args``), so ``args`` must hold
        everything ``make`` depends on besides those. Returns what ``st.vega_lite_chart`` does.
        ``patch(spec)`` may change the drawn copy (e.g. which bar is selected) without a new
        spec being built for each variant.

        ``frames()``, when given, returns the data frames the chart embeds (e.g.
        :func:`ui.charts.movement_chart_frames`), for a chart whose spec depends on its data
        only through them: the spec is then built once per (source, page, ``name``, language,
        currency, ``args``) and a new segment only swaps its data in (:func:`chart_template`),
        which is what Altair's building cost otherwise on every first-time filter choice.

        The cached spec carries its data already serialised for the browser (see
        :func:`chart_spec`), so a rerun that finds it sends it as it is.
        """
        from .charts import localized

        def spec(_data, *_args):
            return chart_spec(localized(make(), self.nf))

        built = None
        if frames is not None:
            def template(_data, *_args):  # from the data seen first: only its shape is kept
                return chart_template(chart_spec(localized(make(), self.nf)), frames())

            shape = derived(template, self.key, (), self.base.movements, self.lang,
                            self.nf.currency, *args, name=f"chart-template:{self.slug}:{name}")
            if shape is not None:
                built = derived(lambda _data, *_args: filled_spec(shape, frames()), self.key,
                                self.filters, self.movements, self.lang, self.nf.currency,
                                *args, name=f"chart-filled:{self.slug}:{name}")
        if built is None:
            built = derived(spec, self.key, self.filters, self.movements, self.lang,
                            self.nf.currency, *args, name=f"chart:{self.slug}:{name}")
        drawn = fresh_spec(built)
        return st.vega_lite_chart(patch(drawn) if patch else drawn, width="stretch", **st_kwargs)

    def lines_of(self, customer: str) -> pd.DataFrame:
        """The source's subscription lines of one customer (to reconcile its movements)."""
        lines = self.source.lines
        ids = lines["customer_id"]
        return lines[(ids if ids.dtype == "str" else ids.astype("str")) == customer].reset_index(
            drop=True
        )

    def label(self, dimension: str) -> str:
        return self.t.label(dimension)

    def month(self, period: pd.Period) -> str:
        return month_label(str(period), self.lang)

    def value_label(self, value: str) -> str:
        from mrrkit import MISSING

        return self.t("missing") if value == MISSING else str(value)


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


_NULLABLE_NUMBERS = frozenset(
    ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
     "Float64")
)


def _records(frame: pd.DataFrame) -> list[dict] | None:
    """``altair.utils.data.to_values(frame)["values"]``, the rows a chart's data becomes, without
    its per-column pandas round trips (~15 ms a chart); ``None`` for a frame it does not cover
    (non-text column names, hierarchical axes, other dtypes): Altair then does it."""
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


try:  # Altair's data transformers are process-wide: Streamlit guards them with this lock.
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
except ImportError:  # pragma: no cover - another Streamlit version
    import threading

    _ALTAIR_LOCK = threading.Lock()


def chart_spec(chart) -> dict:
    """The Vega-Lite spec of an Altair chart (``chart.to_dict()``), its datasets already Arrow
    bytes.

    The datasets are the rows ``to_dict`` embeds, under the same names (see :func:`_records`),
    serialised the way ``st.vega_lite_chart`` serialises a spec's datasets, so the browser
    receives exactly the same chart. Doing it once here, for a cached spec, spares every rerun
    that conversion, and the cache holds a few bytes objects instead of thousands of row dicts
    (which Python's garbage collector would walk again and again).

    >>> import altair as alt
    >>> frame = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"]), "mrr": [1.5]})
    >>> spec = chart_spec(alt.Chart(frame).mark_bar().encode(x="month:T", y="mrr:Q"))
    >>> name = spec["data"]["name"]
    >>> import pyarrow as pa
    >>> pa.ipc.open_stream(spec["datasets"][name]).read_pandas().to_dict("records")
    [{'month': '2024-01-01T00:00:00', 'mrr': 1.5}]
    """
    import altair as alt
    from altair.vegalite.data import default_data_transformer
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    def to_values(data):
        rows = _records(data) if isinstance(data, pd.DataFrame) else None
        return default_data_transformer(data) if rows is None else {"values": rows}

    with _ALTAIR_LOCK:
        alt.data_transformers.register("mrrkit_values", lambda data: to_values(data))
        with alt.data_transformers.enable("mrrkit_values"):
            spec = chart.to_dict(validate=False)
    if isinstance(spec.get("datasets"), dict):
        spec["datasets"] = {
            name: convert_anything_to_arrow_bytes(rows) if isinstance(rows, list) else rows
            for name, rows in spec["datasets"].items()
        }
    return spec


def _dataset_bytes(frame: pd.DataFrame) -> bytes | None:
    """A chart's data frame as :func:`chart_spec` ships it (``None`` if it leaves it to
    Altair)."""
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    rows = _records(frame)
    return None if rows is None else convert_anything_to_arrow_bytes(rows)


def chart_template(spec: dict, frames) -> dict | None:
    """``spec`` (from :func:`chart_spec`) with, for each of its datasets, which of ``frames``
    it holds: the chart's shape, for :func:`filled_spec` to put other data in. ``None`` when that
    cannot be told (a dataset that is none of the frames, two equal frames, a frame not used):
    the chart is then built for each data as usual.

    >>> import altair as alt
    >>> a = pd.DataFrame({"x": ["a", "b"], "y": [1.0, 2.0]})
    >>> b = pd.DataFrame({"x": ["c"], "y": [5.0]})
    >>> shape = chart_template(chart_spec(alt.Chart(a).mark_bar().encode(x="x:N", y="y:Q")), [a])
    >>> import pyarrow as pa
    >>> spec = filled_spec(shape, [b])
    >>> pa.ipc.open_stream(spec["datasets"][spec["data"]["name"]]).read_pandas()["x"].tolist()
    ['c']
    >>> chart_template(chart_spec(alt.Chart(a).mark_bar().encode(x="x:N", y="y:Q")), [b]) is None
    True
    """
    data = [_dataset_bytes(f) for f in frames]
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or None in data or len(set(data)) != len(data):
        return None
    slots = {}
    for name, value in datasets.items():
        if value not in data:
            return None
        slots[name] = data.index(value)
    if sorted(set(slots.values())) != list(range(len(data))):
        return None
    return {"spec": spec, "slots": slots}


def filled_spec(template: dict, frames) -> dict:
    """The spec of :func:`chart_template`'s chart drawn with ``frames`` (same order, same
    columns)."""
    data = [_dataset_bytes(f) for f in frames]
    spec = fresh_spec(template["spec"])
    spec["datasets"] = {name: data[i] for name, i in template["slots"].items()}
    return spec


def fresh_spec(spec: dict) -> dict:
    """A copy of a cached chart spec to hand to ``st.vega_lite_chart``, which patches specs in
    place (e.g. a null legend title becomes " "); the datasets' bytes are shared, not copied.

    >>> spec = {"encoding": {"color": {"title": None}}, "datasets": {"d": b"..."}}
    >>> copy = fresh_spec(spec)
    >>> copy["encoding"]["color"]["title"] = " "
    >>> spec["encoding"]["color"]["title"] is None, copy["datasets"]["d"] is spec["datasets"]["d"]
    (True, True)
    """
    import copy

    return {k: dict(v) if k == "datasets" else copy.deepcopy(v) for k, v in spec.items()}


@lru_cache(maxsize=4096)
def month_label(month: str, lang: str = "en", wide: bool = False) -> str:
    """``"2024-03"`` as people write it in ``lang``.

    >>> month_label("2024-03", "fr"), month_label("2024-03", "en"), month_label("2024-03", "it")
    ('mars 2024', 'Mar 2024', 'mar 2024')
    """
    day = pd.Period(month, freq="M").start_time.date()
    from .format import LOCALES

    return format_date(day, "LLLL y" if wide else "LLL y", locale=LOCALES[lang]).replace(".", "")


def _other_pages() -> list[PageInfo]:
    known = {p.path for p in (*PAGES, DATA_PAGE)}
    out = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        rel = f"pages/{path.name}"
        if rel in known or path.name.startswith("_"):
            continue
        stem = path.stem.split("_", 1)[-1] if path.stem.split("_", 1)[0].isdigit() else path.stem
        out.append(PageInfo(stem.lower(), rel, ":material/article:", stem.lower()[:3]))
    return out


def _nav(container, t: Text) -> None:
    data = [DATA_PAGE] if (ROOT / DATA_PAGE.path).exists() else []
    for info in (*PAGES, *_other_pages(), *data):
        key = f"page.{info.slug}"
        label = t(key) if t.has(key) else info.slug.replace("_", " ").capitalize()
        try:
            container.page_link(info.path, label=label, icon=info.icon)
        except Exception:  # noqa: BLE001 - a page run on its own (tests, bare script): no menu
            return


def _period_options(base: Analysis) -> list[str]:
    return [str(p) for p in base.monthly.index]


@dataclass(frozen=True)
class Frame:
    """What :func:`frame` sets up: the language and the sidebar's boxes, in order."""

    slug: str
    lang: str
    t: Text
    data_box: object
    period_box: object
    segment_box: object


def _date(seconds: float, lang: str) -> str:
    day = datetime.fromtimestamp(seconds, tz=timezone.utc).date()
    return format_date(day, "medium", locale=LOCALES[lang])


def _open_shared_view() -> None:
    """Open the ``?view=<token>`` of the URL, once per session and token.

    Runs before :func:`state.begin`: the saved view's parameters are applied, unless the URL has
    parameters of its own (an address the app rewrote after opening the view, e.g. reloaded),
    which then win. An unknown or expired token leaves a warning, never an error.
    """
    ss = st.session_state
    token = st.query_params.get("view")
    if not token or ss.get(_OPENED) == token:
        return
    ss[_OPENED] = token
    try:
        source, params = open_view(token)
    except KeyError:
        ss[_OPEN_NOTE] = ("warning", "share.unknown", {})
        del st.query_params["view"]
        return
    except ValueError as exc:  # the store is misconfigured: say so, keep the session usable
        ss[_OPEN_NOTE] = ("warning", "share.unavailable", {"error": str(exc)})
        return
    if is_sample(source):
        ss[_CHOICE_KEY] = "sample"
    else:
        set_upload(source)
    ss[_SHARED] = {"token": token, "key": source.key, "opened": True}
    own = [k for k in st.query_params if k not in state.RESERVED]
    if not own:
        state.restore(params)
    ss[_OPEN_NOTE] = ("info", "share.opened", {})


def _share() -> None:
    """The "Share" button's callback: store this session's data and the URL it shows."""
    ss = st.session_state
    # A callback runs before the rerun, so the URL is still the full view of the last run
    # (the page's own keys included); repeated keys are lists.
    params = {
        k: list(st.query_params.get_all(k)) for k in st.query_params if k not in state.RESERVED
    }
    source = current_source(ss.get(_CHOICE_KEY))
    try:
        token = save_view(source, params, ttl_days=ss.get(_SHARE_TTL))
    except ValueError as exc:  # store full, view too big, store misconfigured
        ss[_SHARE_NOTE] = ("error", "share.error", {"error": str(exc)})
        return
    ss[_SHARED] = {"token": token, "key": source.key, "opened": False}
    # The address now carries this token (see _share_box): this session made it, so it never
    # "opens" it (that would load the data again and drop the filters it is showing).
    ss[_OPENED] = token
    ss[_SHARE_NOTE] = ("success", "share.saved", {})


def _delete_share() -> None:
    """The delete button's callback: the link stops working for everyone, and leaves the
    address bar (the session keeps the data it shows)."""
    ss = st.session_state
    shared = ss.pop(_SHARED, None)
    if shared:
        try:
            view_store().delete(shared["token"])
        except ValueError as exc:
            ss[_SHARED] = shared
            ss[_SHARE_NOTE] = ("error", "share.unavailable", {"error": str(exc)})
            return
        if st.query_params.get("view") == shared["token"]:
            del st.query_params["view"]
    ss[_SHARE_NOTE] = ("success", "share.deleted", {})


def _share_box(container, t: Text, lang: str, source_key: str) -> None:
    """Share (this view with its data), the link made, its expiry and a delete button (behind
    a confirmation: the link stops working for everyone who has it)."""
    ss = st.session_state
    shared = ss.get(_SHARED)
    try:
        store = view_store()  # also purges expired views now and then (in the background)
    except ValueError:
        store = None  # a misconfigured store is reported when Share is clicked
    # Keep ?view= in the address while the session shows that view's data, so that copying the
    # address (or reloading) keeps the data; drop it once the data is another.
    if shared and shared["key"] == source_key:
        if st.query_params.get("view") != shared["token"]:
            st.query_params["view"] = shared["token"]
    elif "view" in st.query_params and st.query_params.get("view") == (shared or {}).get("token"):
        del st.query_params["view"]
    note = ss.pop(_SHARE_NOTE, None)
    expanded = bool(shared) or note is not None
    with container.expander(t("share.title"), icon=":material/share:", expanded=expanded):
        box = st.container(key="mrrkit-share")
        box.caption(t("share.help"))
        if store is not None:
            lifetimes = sorted(
                {d for d in _SHARE_LIFETIMES if d <= store.max_ttl_days} | {store.default_ttl_days}
            )
            if ss.get(_SHARE_TTL) not in lifetimes:
                ss[_SHARE_TTL] = store.default_ttl_days
            box.selectbox(
                t("share.ttl"), lifetimes, key=_SHARE_TTL,
                format_func=lambda d: t("share.day") if d == 1 else t("share.days", days=f"{d:g}"),
            )
        box.button(
            t("share.button"), key="_mrrkit_share_button", on_click=_share,
            icon=":material/share:", width="stretch",
        )
        if note is not None:
            getattr(box, note[0])(t(note[1], **note[2]))
        if not shared:
            return
        try:
            info = view_store().info(shared["token"])
        except (KeyError, ValueError):
            ss.pop(_SHARED, None)
            box.warning(t("share.gone"))
            return
        base = None
        try:
            base = st.context.url
        except Exception:  # noqa: BLE001 - no browser context (tests, bare script)
            base = None
        box.caption(t("share.opened_link") if shared["opened"] else t("share.link"))
        box.code(f"{base or ''}?view={shared['token']}", language=None, wrap_lines=True)
        box.caption(t("share.expires", date=_date(info.expires, lang)))
        confirm = box.popover(t("share.delete"), icon=":material/delete:")
        confirm.caption(t("share.delete_confirm"))
        confirm.button(t("share.delete_yes"), key="_mrrkit_share_delete", on_click=_delete_share,
                       type="primary", icon=":material/delete_forever:")


def frame(name: str, icon: str = "📈") -> Frame:
    """Set up a page that does not need the analysis (see the module): page config, access gate,
    URL state, a shared view to open, page links, language, link, Share and Sign out."""
    slug = name.lower()
    st.set_option("client.showSidebarNavigation", False)
    st.set_page_config(page_title=f"{name} · mrrkit", page_icon=icon, layout="wide")
    require_access()
    _open_shared_view()
    state.begin()

    sb = st.sidebar
    nav_box, data_box, period_box, segment_box, settings_box = (sb.container() for _ in range(5))
    lang = state.selectbox(
        "Language / Langue / Lingua", list(LANGUAGES), key="lang", default="en",
        format_func=LANGUAGES.get, container=settings_box,
    )
    t = text(lang)
    st.session_state[state._NOTICE_TEXT] = t("notice.url")
    st.session_state[state._CLAMP_TEXT] = t("notice.clamped")
    title = t(f"page.{slug}") if t.has(f"page.{slug}") else name
    st.set_page_config(page_title=f"{title} · mrrkit", page_icon=icon, layout="wide")
    _nav(nav_box, t)
    browser_memory.restore(t, lang)  # a new session: this browser's kept upload

    source = current_source(st.session_state.get(_CHOICE_KEY))
    with settings_box.expander(t("sidebar.link"), icon=":material/link:"):
        st.caption(t("sidebar.link_help"))
        if not is_sample(source):
            st.caption(t("sidebar.link_upload"))
        state.attach_link(st.empty())
    _share_box(settings_box, t, lang, source.key)
    from .gate import logout_button

    with settings_box:
        logout_button(label=t("gate.signout"))
    note = st.session_state.pop(_OPEN_NOTE, None)
    if note is not None:
        getattr(st, note[0])(t(note[1], **note[2]), icon=":material/share:")
    return Frame(slug, lang, t, data_box, period_box, segment_box)


_HEAP_SETTLED = False


def _settle_heap() -> None:
    """Once per process, after the first analysis: collect garbage, then freeze what is left
    (the imported libraries, the first data) out of the garbage collector's sight.

    Python's full collections walk every container object alive; the imports alone leave
    ~160,000 of them, so each full collection took 100-150 ms and landed on a random rerun. The
    frozen objects live as long as the process anyway (modules, the sample), and are still freed
    by reference counting if dropped; only cycles among them would outlive their use.
    """
    global _HEAP_SETTLED
    if _HEAP_SETTLED:
        return
    _HEAP_SETTLED = True
    import gc

    gc.collect()
    gc.freeze()


def _fiscal_start() -> int:
    """The fiscal year's first month chosen (URL key ``fy``), 1 when none or unreadable."""
    raw = state.peek("fy")
    try:
        month = int(raw) if raw is not None else 1
    except (TypeError, ValueError):
        return 1
    return month if 1 <= month <= 12 else 1


def _apply_quick_period(months: list[str], complete: bool) -> None:
    """The quick periods' callback: point the period slider at the chosen period (clipped to
    the months the data has)."""
    ss = st.session_state
    choice = ss.get(_QUICK)
    if not choice:
        return
    first, last = quick_period(choice, pd.Period(months[-1], "M"), complete, _fiscal_start())
    lo, hi = max(str(first), months[0]), min(str(last), months[-1])
    if lo <= hi:
        state.set_value("from:to", (lo, hi))


def _quick_periods(container, t: Text, months: list[str], complete: bool,
                   default: tuple[str, str]) -> None:
    """Buttons for the periods finance people use (last 3/6/12 months, year to date, last
    quarter, last fiscal year); the one the slider shows is highlighted."""
    ss = st.session_state
    fiscal = _fiscal_start()
    last = pd.Period(months[-1], "M")
    # The slider's value as the user just left it (it is drawn below), else the session's.
    shown = ss.get(state.widget_key("from:to"))
    if not (isinstance(shown, tuple) and len(shown) == 2):
        shown = state.peek("from:to") or default
    ss[_QUICK] = None
    for name in QUICK_PERIODS:
        first, end = quick_period(name, last, complete, fiscal)
        clipped = (max(str(first), months[0]), min(str(end), months[-1]))
        if isinstance(shown, tuple) and shown == clipped:
            ss[_QUICK] = name
            break
    container.pills(
        t("sidebar.quick"), QUICK_PERIODS, key=_QUICK, format_func=lambda n: t(f"quick.{n}"),
        on_change=_apply_quick_period, args=(months, complete), label_visibility="collapsed",
    )


def page(name: str, icon: str = "📈") -> Context:
    """Set up a page and return its data (see the module). Stops the page with a readable
    message on data that cannot be analysed, or when the filters leave nothing to show."""
    fr = frame(name, icon)
    slug, lang, t = fr.slug, fr.lang, fr.t
    data_box, period_box, segment_box = fr.data_box, fr.period_box, fr.segment_box

    # --- data source ---
    sources = available_sources()
    if len(sources) > 1:
        data_box.radio(
            t("sidebar.data"), sources, key=_CHOICE_KEY,
            format_func=lambda s: t(f"source.{s}"),
        )
    source = current_source(st.session_state.get(_CHOICE_KEY))
    nf = number_format(lang, source.currency)
    shown_name = t("source.sample") if source.name == "sample" else plain_md(source.name)
    data_box.caption(f"**{t('sidebar.data')}:** {shown_name}")

    # --- as of: the day the figures are at (a later end date is scheduled, not churn yet) ---
    first_day, last_day = date_span(source.key, source.lines)
    default_day = mrrkit.default_as_of(source.lines, today(), source.exported).date()
    as_of = pd.Timestamp(state.date_input(
        t("sidebar.as_of"), key="asof", default=default_day, min_value=first_day,
        max_value=max(last_day, default_day), container=data_box,
        format=_DATE_FORMATS.get(lang, "YYYY-MM-DD"), help=t("sidebar.as_of_help"),
    ))
    # A period that ended at the old as-of month ("the latest months") follows a new as-of day.
    seen = st.session_state.get(_AS_OF_SEEN)
    if seen is not None and seen[0] == source.key and seen[1] != as_of:
        period = state.peek("from:to")
        if isinstance(period, tuple) and period[1] == str(seen[1].to_period("M")):
            state.reset(lambda k: k not in ("from:to", "from", "to"))
    st.session_state[_AS_OF_SEEN] = (source.key, as_of)
    if as_of != as_of + pd.offsets.MonthEnd(0):
        month = month_label(str(as_of.to_period("M")), lang)
        data_box.caption(t("sidebar.partial_month", month=month,
                           date=format_date(as_of.date(), "medium", locale=nf.locale)))
    if (as_of.date() - last_day).days > _STALE_DAYS:
        # Shown at today, a file whose every date is months old may be an old export: its
        # running subscriptions would then look running still. Say so, and offer its last day.
        last = format_date(last_day, "medium", locale=nf.locale)
        data_box.warning(t("sidebar.stale", date=last), icon=":material/history:")
        data_box.button(t("sidebar.stale_use", date=last), key="_mrrkit_as_of_last",
                        on_click=state.set_value, args=("asof", last_day))
    try:
        # Shown only when the movements take more than half a second (a new upload).
        with st.spinner(t("sidebar.computing")):
            base = analysis(source.key, source.lines, as_of)
    except ValueError as exc:
        st.error(t("error.data", error=exc))
        st.stop()
    _settle_heap()
    cache_key = f"{source.key}@{as_of:%Y-%m-%d}"  # every figure's cache key: data and day
    if base.monthly.empty:
        st.info(t("empty.no_movements"))
        st.stop()

    # --- reporting period ---
    months = _period_options(base)
    default = (months[max(0, len(months) - 12)], months[-1])
    complete = as_of == as_of + pd.offsets.MonthEnd(0)
    _quick_periods(period_box, t, months, complete, default)
    start, end = state.select_slider(
        t("sidebar.period"), months, keys=("from", "to"), default=default,
        format_func=lambda m: month_label(m, lang), container=period_box,
    )
    with period_box.expander(t("sidebar.fiscal"), icon=":material/event:"):
        month_names = get_month_names("wide", locale=LOCALES[lang])
        state.selectbox(
            t("sidebar.fiscal_start"), list(range(1, 13)), key="fy", default=1, parse=int,
            format_func=lambda m: month_names[m].capitalize(), help=t("sidebar.fiscal_help"),
        )

    # --- segment filters ---
    chosen = {}
    for key in state.incoming_keys():
        if key.startswith("f.") and key[2:] not in base.dimensions:
            state.notice(key, key, t("notice.unknown_key", key=plain_md(key)))
            state.forget(key)
    # Open while a filter is chosen: this run's widget, or the session's choice made on another
    # page (a page without filters, e.g. Data, lets Streamlit drop the widgets' own state).
    active = any(state.peek(f"f.{d}") for d in base.dimensions) or any(
        k.startswith("f.") for k in state.incoming_keys()
    )
    with segment_box.expander(t("sidebar.segments"), expanded=active):
        for dim in base.dimensions:
            options = list(base.labels[dim].cat.categories)
            values = state.multiselect(
                t.label(dim), options, key=f"f.{dim}",
                format_func=lambda v: t("missing") if v == "(none)" else v,
                placeholder=t("sidebar.all"), help=t("sidebar.segments_help"),
            )
            if values:
                chosen[dim] = tuple(values)
    filters = tuple(sorted(chosen.items()))
    view = segment_view(cache_key, filters, base)
    if "churn_reason" in chosen:
        # Only customers who left have a churn reason: say what such a filter shows (their MRR
        # is 0 once gone), and where lost MRR is broken down by reason instead.
        reasons = ", ".join(plain_md(t("missing") if v == "(none)" else v)
                            for v in chosen["churn_reason"])
        st.info(t("sidebar.churn_reason_filter", reasons=reasons), icon=":material/filter_alt:")
    if filters:
        segment_box.caption(
            t("sidebar.selected", selected=nf.count(view.customers), total=nf.count(len(base.labels)))
        )

    # Unknown keys: global ones, and keys of no page's prefix (a page's own "prefix." keys are
    # left to that page, which knows its names).
    prefixes = {"f"} | {p.prefix for p in (*PAGES, DATA_PAGE, *_other_pages())}
    for key in state.incoming_keys():
        if key in state.GLOBAL_KEYS:
            continue
        if "." not in key or key.split(".", 1)[0] not in prefixes:
            state.notice(key, key, t("notice.unknown_key", key=plain_md(key)))
            state.forget(key)

    browser_memory.sidebar_button(data_box, t, source)  # at the data box's end
    ctx = Context(
        slug=slug, source=source, key=cache_key, base=base, view=view, filters=filters,
        start=pd.Period(start, freq="M"), end=pd.Period(end, freq="M"), lang=lang, t=t, nf=nf,
    )
    if view.monthly.empty or view.monthly.index[0] > ctx.end:
        st.info(t("empty.no_movements"))
        st.stop()
    return ctx
