"""The frame around every page, built once per run by ``app.py`` before the page runs: the pages
(``st.navigation``), the access gate, the URL state, the sidebar, the language and the data.

``app.py`` calls, in order, :func:`navigation` (which page this run shows), :func:`start` (page
config, gate, a ``?view=`` link to open, URL state, the sidebar's boxes and the language),
:func:`sidebar` (the menu, the link to this view, "Share" and "Sign out") and, for a page that
shows figures, :func:`select_data` (the data source, the "as of" day, the reporting period and
the segment filters), then runs the page. A page script asks for what was built::

    ctx = shell.context()         # the data, the period, the language (a data page)
    views.bridge(ctx.data, ctx.start, ctx.end)
    ctx.t("key"), ctx.nf.money(x)

    fr = shell.frame()            # the language only (the Data page)

The menu lists the pages below in this order, then any other file in ``pages/`` (by file name: a
new page shows up without editing this module), and the Data page last; each page keeps the URL
path Streamlit gives its file (``pages/1_Movements.py`` is ``/Movements``), the Overview is
``/``. The page's own widgets use URL keys with its prefix (``mv.``, ``coh.``...): keys with no
page's prefix are reported as unknown here.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
import streamlit as st
from babel.dates import format_date, get_month_names

import mrrkit
from mrrkit import QUICK_PERIODS, quick_period

from . import browser_memory, state, views, warehouse
from . import definitions as definitions_ui
from .auth import require_access
from .data import (
    Source,
    available_sources,
    current_source,
    default_period,
    is_sample,
    open_view,
    save_view,
    set_upload,
    today,
    view_store,
)
from .format import LOCALES, NumberFormat, number_format, plain_md
from .i18n import LANGUAGES, Text, text

__all__ = [
    "DATA_PAGE", "PAGES", "Context", "Frame", "PageInfo", "build", "context", "frame",
    "month_label", "navigation", "select_data", "sidebar", "start",
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
_QUICK = "_mrrkit_quick_period"  # the quick-period buttons (an action, not a view value)
#: A file whose latest date is this many days before the as-of day may be an old export.
_STALE_DAYS = 62
#: ``st.date_input``'s day formats by language.
_DATE_FORMATS = {"en": "YYYY-MM-DD", "fr": "DD/MM/YYYY", "it": "DD/MM/YYYY"}


@dataclass(frozen=True)
class PageInfo:
    name: str  # English name: the page's title without a translation, its slug in lower case
    path: str  # relative to the app's root
    icon: str  # in the menu
    emoji: str  # in the browser's tab
    prefix: str  # URL key prefix of the page's own widgets
    data: bool = True  # shows figures: the sidebar offers the data, period and filters

    @property
    def slug(self) -> str:
        return self.name.lower()


#: The exploration pages, in menu order. Other files in ``pages/`` follow, by file name.
PAGES = (
    PageInfo("Overview", "pages/0_Overview.py", ":material/dashboard:", "📈", "ov"),
    PageInfo("Movements", "pages/1_Movements.py", ":material/swap_vert:", "🔀", "mv"),
    PageInfo("Cohorts", "pages/2_Cohorts.py", ":material/grid_on:", "🧊", "coh"),
    PageInfo("Segments", "pages/3_Segments.py", ":material/donut_small:", "🧩", "seg"),
    PageInfo("Customers", "pages/4_Customers.py", ":material/group:", "👥", "cus"),
    PageInfo("Scenarios", "pages/5_Scenarios.py", ":material/tune:", "🔮", "sc"),
    PageInfo("Expansion", "pages/6_Expansion.py", ":material/trending_up:", "🌱", "ex"),
)
#: The upload page, listed last (after any other page).
DATA_PAGE = PageInfo("Data", "pages/0_Data.py", ":material/upload_file:", "📂", "data",
                     data=False)


@dataclass(frozen=True)
class Frame:
    """What every page gets: its name, the language and the sidebar's boxes, in order."""

    info: PageInfo
    lang: str
    t: Text
    nav_box: object
    data_box: object
    period_box: object
    segment_box: object
    settings_box: object

    @property
    def slug(self) -> str:
        return self.info.slug


@dataclass(frozen=True)
class Context:
    """What a page that shows figures gets (:func:`context`)."""

    slug: str
    data: views.Data  # the source at the as-of day, the customers selected
    start: pd.Period  # the reporting period (monthly Periods)
    end: pd.Period
    lang: str
    t: Text
    nf: NumberFormat
    #: The definitions the figures follow (None: mrrkit's own).
    definitions: mrrkit.Definitions | None = None

    @property
    def source(self) -> Source:
        return self.data.source

    @property
    def base(self) -> views.Analysis:
        """Every customer's analysis."""
        return self.data.base

    @property
    def view(self) -> views.SegmentView:
        """The selected customers'."""
        return self.data.segment

    @property
    def filters(self) -> views.Filters:
        return self.data.filters

    @property
    def movements(self) -> pd.DataFrame:
        return self.data.movements

    @property
    def monthly(self) -> pd.DataFrame:
        return self.data.monthly

    @property
    def period_monthly(self) -> pd.DataFrame:
        """The selected customers' monthly table over the reporting period."""
        return self.data.monthly.loc[self.start : self.end]

    @property
    def as_of(self) -> pd.Timestamp:
        return self.base.as_of

    @property
    def period_as_of(self) -> pd.Timestamp:
        """Last day counted for the period: the end month's last day, or as_of in its month."""
        return min(self.end.end_time.normalize(), self.as_of)

    def chart_spec(self, make, *data, frames=None, **options) -> dict:
        """The cached Vega-Lite spec of ``make(*data, t=..., **options)`` in this page's
        language and currency (see :mod:`ui.chart_cache`)."""
        from . import chart_cache

        return chart_cache.spec(make, *data, lang=self.lang, currency=self.nf.currency,
                                frames=frames, **options)

    def chart_layout(self, make, *data, **options) -> dict:
        """:meth:`chart_spec` without the data (see :func:`ui.chart_cache.layout`)."""
        from . import chart_cache

        return chart_cache.layout(make, *data, lang=self.lang, currency=self.nf.currency,
                                  **options)

    def chart(self, make, *data, frames=None, **options):
        """Draw :meth:`chart_spec`'s chart the width of the page."""
        return st.vega_lite_chart(self.chart_spec(make, *data, frames=frames, **options),
                                  width="stretch")

    def label(self, dimension: str) -> str:
        return self.t.dimension(dimension)

    def month(self, period: pd.Period) -> str:
        return month_label(str(period), self.lang)

    def value_label(self, value: str) -> str:
        from mrrkit import MISSING

        return self.t("missing") if value == MISSING else str(value)


# What app.py built this run, for the page script it runs next (same thread, same run).
_FRAME: contextvars.ContextVar[Frame | None] = contextvars.ContextVar("mrrkit_frame")
_CONTEXT: contextvars.ContextVar[Context | None] = contextvars.ContextVar("mrrkit_context")


def build(info: PageInfo) -> None:
    """Build the frame of page ``info`` (what ``app.py`` does before running it)."""
    _FRAME.set(None)
    _CONTEXT.set(None)
    fr = start(info)  # page config, gate, ?view= link, URL state, language
    sidebar(fr)  # menu, kept upload, link to this view, Share, Sign out
    if info.data:
        select_data(fr)  # data source, as-of day, period, segment filters


def _taken(var: contextvars.ContextVar):
    """What ``app.py`` built for the page running, once (so that nothing outlives its run). A
    page file Streamlit runs alone (see :func:`navigation`) is run again the way ``app.py``
    runs it, and this run stops there."""
    value = var.get(None)
    if value is None:
        info, page = navigation()
        build(info)
        page.run()
        state.stop()
    var.set(None)
    return value


def frame() -> Frame:
    """The frame built for the page running (language, sidebar boxes)."""
    return _taken(_FRAME)


definitions_caption = definitions_ui.caption  # (every page calls it under its title)


def context() -> Context:
    """The data, period and language chosen for the page running."""
    return _taken(_CONTEXT)


@lru_cache(maxsize=4096)
def month_label(month: str, lang: str = "en", wide: bool = False) -> str:
    """``"2024-03"`` as people write it in ``lang``.

    >>> month_label("2024-03", "fr"), month_label("2024-03", "en"), month_label("2024-03", "it")
    ('mars 2024', 'Mar 2024', 'mar 2024')
    """
    day = pd.Period(month, freq="M").start_time.date()
    return format_date(day, "LLLL y" if wide else "LLL y", locale=LOCALES[lang]).replace(".", "")


# --- pages --------------------------------------------------------------------------------------


def _other_pages() -> list[PageInfo]:
    known = {p.path for p in (*PAGES, DATA_PAGE)}
    out = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        rel = f"pages/{path.name}"
        if rel in known or path.name.startswith("_"):
            continue
        stem = path.stem.split("_", 1)[-1] if path.stem.split("_", 1)[0].isdigit() else path.stem
        out.append(PageInfo(stem.capitalize(), rel, ":material/article:", "📈", stem.lower()[:3]))
    return out


def _menu_pages() -> list[PageInfo]:
    data = [DATA_PAGE] if (ROOT / DATA_PAGE.path).exists() else []
    return [*PAGES, *_other_pages(), *data]


@lru_cache(maxsize=1)
def _streamlit_pages() -> tuple:
    """One ``st.Page`` per page file (made once: a page is the same object on every run)."""
    return tuple(
        (info, st.Page(info.path, title=info.name, icon=info.emoji, default=info is PAGES[0]))
        for info in _menu_pages()
    )


def navigation() -> tuple[PageInfo, object]:
    """The page this run shows (from the URL path: Streamlit's own routing), as (its
    :class:`PageInfo`, its ``st.Page`` to run); the menu is drawn by :func:`sidebar`.

    Streamlit 1.67 runs an app that has a ``pages/`` folder in its old way (a page file alone,
    without the entry point; ``app.py`` as a page of its own) until some session of the server
    process calls ``st.navigation`` (measured: a deep link as the first request after a restart
    ran ``pages/1_Movements.py`` alone; so does every ``AppTest`` run, which forgets that it was
    called). A page run alone then runs itself again as ``app.py`` would (:func:`context`): its
    widgets get the ids they get in every later run (Streamlit's ids include the page running).
    """
    pages = _streamlit_pages()
    current = st.navigation([page for _, page in pages], position="hidden")
    info = next((i for i, page in pages if page is current), PAGES[0])
    return info, current


def _menu(container, t: Text) -> None:
    """The menu: a link per page carrying the view's address, drawn again with the address the
    run ends with (:func:`ui.state.when_written`). Streamlit opens a page without its address
    and the page wrote it back, two browser history entries a click (Back took two presses);
    a link that carries the address the page keeps makes one."""
    slot = container.empty()

    def draw(params: dict[str, list[str]]) -> None:
        query = {k: v if len(v) != 1 else v[0] for k, v in params.items()}
        with slot.container():
            for info, page in _streamlit_pages():
                key = f"page.{info.slug}"
                label = t(key) if t.has(key) else info.name
                st.page_link(page, label=label, icon=info.icon, query_params=query or None)

    state.when_written(draw)


# --- every page ---------------------------------------------------------------------------------


def start(info: PageInfo) -> Frame:
    """Page config, access gate, a ``?view=`` link to open, URL state, the sidebar's boxes and
    the language (the first things every page shows)."""
    st.set_page_config(page_title=f"{info.name} · mrrkit", page_icon=info.emoji, layout="wide")
    require_access()
    _open_shared_view()
    state.begin()
    boxes = [st.sidebar.container() for _ in range(5)]  # menu, data, period, segments, settings
    lang = state.selectbox(
        "Language / Langue / Lingua", list(LANGUAGES), key="lang", default="en",
        format_func=LANGUAGES.get, container=boxes[4],
    )
    t = text(lang)
    state.texts(t("notice.url"), t("notice.clamped"))
    title = t(f"page.{info.slug}") if t.has(f"page.{info.slug}") else info.name
    st.set_page_config(page_title=f"{title} · mrrkit", page_icon=info.emoji, layout="wide")
    out = Frame(info, lang, t, *boxes)
    _FRAME.set(out)
    return out


def sidebar(fr: Frame) -> None:
    """The menu, a kept upload restored, the link to this view, Share and Sign out."""
    t, lang = fr.t, fr.lang
    _menu(fr.nav_box, t)
    browser_memory.restore(t, lang)  # a new session: this browser's kept upload
    source = current_source(st.session_state.get(_CHOICE_KEY))
    with fr.settings_box.expander(t("sidebar.link"), icon=":material/link:"):
        st.caption(t("sidebar.link_help"))
        if not is_sample(source):
            st.caption(t("sidebar.link_upload"))
        state.attach_link(st.empty())
    _share_box(fr.settings_box, t, lang, source.key)
    from .gate import logout_button

    with fr.settings_box:
        logout_button(label=t("gate.signout"))
    note = st.session_state.pop(_OPEN_NOTE, None)
    if note is not None:
        getattr(st, note[0])(t(note[1], **note[2]), icon=":material/share:")


# --- the data -----------------------------------------------------------------------------------


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


def _source(fr: Frame) -> tuple[Source, NumberFormat]:
    """The data source radio (once there is an upload) and the data's name."""
    t = fr.t
    sources = available_sources()
    if len(sources) > 1:
        fr.data_box.radio(
            t("sidebar.data"), sources, key=_CHOICE_KEY, format_func=lambda s: t(f"source.{s}"),
        )
    source = current_source(st.session_state.get(_CHOICE_KEY))
    shown_name = t("source.sample") if source.name == "sample" else plain_md(source.name)
    fr.data_box.caption(t("app.labelled", label=t("sidebar.data"), value=shown_name))
    problem = warehouse.problem()
    if problem is not None and not warehouse.is_warehouse(source):
        fr.data_box.error(t("warehouse.unavailable", error=plain_md(problem)),
                          icon=":material/database:")
    return source, number_format(fr.lang, source.currency)


def _as_of(fr: Frame, source: Source, nf: NumberFormat) -> pd.Timestamp:
    """The day the figures are at (a later end date is scheduled, not churn yet)."""
    t, box = fr.t, fr.data_box
    first_day, last_day, last_paid = views.date_span(source.key, source.lines)
    default_day = mrrkit.default_as_of(source.lines, today(), source.exported).date()
    as_of = pd.Timestamp(state.date_input(
        t("sidebar.as_of"), key="asof", default=default_day, min_value=first_day,
        max_value=max(last_day, default_day), container=box,
        format=_DATE_FORMATS.get(fr.lang, "YYYY-MM-DD"), help=t("sidebar.as_of_help"),
    ))
    # A period that ended at the old as-of month ("the latest months") follows a new as-of day.
    seen = st.session_state.get(_AS_OF_SEEN)
    if seen is not None and seen[0] == source.key and seen[1] != as_of:
        period = state.peek("from:to")
        if isinstance(period, tuple) and period[1] == str(seen[1].to_period("M")):
            state.reset(lambda k: k not in ("from:to", "from", "to"))
    st.session_state[_AS_OF_SEEN] = (source.key, as_of)
    if as_of != as_of + pd.offsets.MonthEnd(0):
        month = month_label(str(as_of.to_period("M")), fr.lang)
        box.caption(t("sidebar.partial_month", month=month,
                      date=format_date(as_of.date(), "medium", locale=nf.locale)))
    if (as_of.date() - last_day).days > _STALE_DAYS:
        # Shown at today, a file whose every date is months old may be an old export: its
        # running subscriptions would then look running still. Say so, and offer its last day
        # paid (its latest date may be an end, the first day nothing is paid).
        last = format_date(last_day, "medium", locale=nf.locale)
        box.warning(t("sidebar.stale", date=last), icon=":material/history:")
        box.button(t("sidebar.stale_use", date=format_date(last_paid, "medium", locale=nf.locale)),
                   key="_mrrkit_as_of_last", on_click=state.set_value, args=("asof", last_paid))
    return as_of


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
    choice = st.session_state.get(_QUICK)
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
        # (a link's period: highlighted from its first run, not the default's button)
        shown = state.peek_range(("from", "to"), months, default)
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


def _period(fr: Frame, base: views.Analysis, as_of: pd.Timestamp) -> tuple[str, str]:
    """The reporting period (the quick periods, the slider) and the fiscal year's start."""
    t, box = fr.t, fr.period_box
    months = [str(p) for p in base.monthly.index]
    default = default_period(months)
    complete = as_of == as_of + pd.offsets.MonthEnd(0)
    _quick_periods(box, t, months, complete, default)
    period = state.select_slider(
        t("sidebar.period"), months, keys=("from", "to"), default=default,
        format_func=lambda m: month_label(m, fr.lang), container=box,
    )
    with box.expander(t("sidebar.fiscal"), icon=":material/event:"):
        month_names = get_month_names("wide", locale=LOCALES[fr.lang])
        state.selectbox(
            t("sidebar.fiscal_start"), list(range(1, 13)), key="fy", default=1, parse=int,
            format_func=lambda m: month_names[m].capitalize(), help=t("sidebar.fiscal_help"),
        )
    return period


def _filters(fr: Frame, base: views.Analysis) -> views.Filters:
    """One multi-select per segment dimension (URL keys ``f.<dimension>``)."""
    t = fr.t
    for key in state.incoming_keys():
        if key.startswith("f.") and key[2:] not in base.dimensions:
            state.notice(key, key, t("notice.unknown_key", key=plain_md(key)))
            state.forget(key)
    # Open while a filter is chosen: this run's widget, or the session's choice made on another
    # page (a page without filters, e.g. Data, lets Streamlit drop the widgets' own state).
    active = any(state.peek(f"f.{d}") for d in base.dimensions) or any(
        k.startswith("f.") for k in state.incoming_keys()
    )
    chosen = {}
    with fr.segment_box.expander(t("sidebar.segments"), expanded=active):
        for dim in base.dimensions:
            options = base.options(dim)
            values = state.multiselect(
                t.dimension(dim), options, key=f"f.{dim}",
                format_func=lambda v: t("missing") if v == "(none)" else v,
                placeholder=t("sidebar.all"), help=t("sidebar.segments_help"),
            )
            if values:
                chosen[dim] = tuple(values)
    return tuple(sorted(chosen.items()))


def _unknown_keys(t: Text) -> None:
    """Say which link keys no page knows: global ones, and keys of no page's prefix (a page's
    own ``prefix.`` keys are left to that page, which knows its names)."""
    prefixes = {"f", "d"} | {p.prefix for p in _menu_pages()}
    for key in state.incoming_keys():
        if key in state.GLOBAL_KEYS:
            continue
        if "." not in key or key.split(".", 1)[0] not in prefixes:
            state.notice(key, key, t("notice.unknown_key", key=plain_md(key)))
            state.forget(key)


def select_data(fr: Frame) -> Context:
    """The data source, the "as of" day, the reporting period and the segment filters of a page
    that shows figures. Stops the page with a readable message on data that cannot be analysed,
    or when the filters leave nothing to show."""
    t = fr.t
    source, nf = _source(fr)
    as_of = _as_of(fr, source, nf)
    definitions = definitions_ui.choose(fr)
    if warehouse.is_warehouse(source):
        return _select_warehouse(fr, source, nf, as_of, definitions)
    try:
        # Shown only when the movements take more than half a second (a new upload).
        with st.spinner(t("sidebar.computing")):
            base = views.analysis(source.key, source.lines, as_of, definitions)
    except ValueError as exc:
        st.error(t("error.data", error=exc))
        state.stop()
    _settle_heap()
    if base.monthly.empty:
        st.info(t("empty.no_movements"))
        state.stop()
    start, end = _period(fr, base, as_of)
    filters = _filters(fr, base)
    data = views.select(source, as_of, filters, definitions)
    if filters:
        _selection_notes(fr, nf, filters, data.segment.customers, len(base.labels))
    _unknown_keys(t)
    browser_memory.sidebar_button(fr.data_box, t, source)  # at the data box's end
    ctx = Context(slug=fr.slug, data=data, start=pd.Period(start, freq="M"),
                  end=pd.Period(end, freq="M"), lang=fr.lang, t=t, nf=nf,
                  definitions=definitions)
    if data.monthly.empty or data.monthly.index[0] > ctx.end:
        st.info(t("empty.no_movements"))
        state.stop()
    _CONTEXT.set(ctx)
    return ctx


def _selection_notes(fr: Frame, nf: NumberFormat, filters: views.Filters, selected: int,
                     total: int) -> None:
    """What the sidebar says of a selection: how many customers it holds, and what a churn
    reason filter shows."""
    t = fr.t
    chosen = dict(filters)
    if "churn_reason" in chosen:
        # Only customers who left have a churn reason: say what such a filter shows (their MRR
        # is 0 once gone), and where lost MRR is broken down by reason instead.
        reasons = ", ".join(plain_md(t("missing") if v == "(none)" else v)
                            for v in chosen["churn_reason"])
        st.info(t("sidebar.churn_reason_filter", reasons=reasons), icon=":material/filter_alt:")
    fr.segment_box.caption(t("sidebar.selected", selected=nf.count(selected),
                             total=nf.count(total)))


def _select_warehouse(fr: Frame, source: Source, nf: NumberFormat, as_of: pd.Timestamp,
                      definitions) -> Context:
    """:func:`select_data` for a warehouse source: the same sidebar, the figures computed in the
    warehouse (:mod:`ui.warehouse`), only small results fetched."""
    t = fr.t
    try:
        with st.spinner(t("sidebar.computing")):
            everyone = warehouse.select(source, as_of, (), definitions)
    except Exception as exc:  # noqa: BLE001 - any database error: said, never a traceback
        st.error(t("warehouse.error", error=plain_md(str(exc))), icon=":material/database:")
        state.stop()
    if everyone.base.monthly.empty:
        st.info(t("empty.no_movements"))
        state.stop()
    start, end = _period(fr, everyone.base, as_of)
    filters = _filters(fr, everyone.base)
    try:
        data = warehouse.select(source, as_of, filters, definitions)
        if data.filters:
            _selection_notes(fr, nf, data.filters, warehouse.customer_count(data),
                             warehouse.customer_count(data, everyone=True))
    except Exception as exc:  # noqa: BLE001
        st.error(t("warehouse.error", error=plain_md(str(exc))), icon=":material/database:")
        state.stop()
    _unknown_keys(t)
    ctx = Context(slug=fr.slug, data=data, start=pd.Period(start, freq="M"),
                  end=pd.Period(end, freq="M"), lang=fr.lang, t=t, nf=nf,
                  definitions=definitions)
    if data.monthly.empty or data.monthly.index[0] > ctx.end:
        st.info(t("empty.no_movements"))
        state.stop()
    _CONTEXT.set(ctx)
    return ctx


# --- shared views ("Share", ?view= links) -------------------------------------------------------


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
    elif warehouse.is_warehouse(source):
        ss[_CHOICE_KEY] = "warehouse"
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
    # A callback runs before the rerun: the view is still the last run's (the page's own keys
    # included, those Streamlit binds too; repeated keys are lists).
    params = state.snapshot()
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


def _share_address(shared: dict, source_key: str) -> None:
    """Keep ?view= in the address while the session shows that view's data, so that copying
    the address (or reloading) keeps the data; drop it once the data is another."""
    if shared and shared["key"] == source_key:
        if st.query_params.get("view") != shared["token"]:
            st.query_params["view"] = shared["token"]
    elif "view" in st.query_params and st.query_params.get("view") == (shared or {}).get("token"):
        del st.query_params["view"]


def _share_box(container, t: Text, lang: str, source_key: str) -> None:
    """Share (this view with its data), the link made, its expiry and a delete button (behind
    a confirmation: the link stops working for everyone who has it)."""
    ss = st.session_state
    shared = ss.get(_SHARED)
    try:
        store = view_store()  # also purges expired views now and then (in the background)
    except ValueError:
        store = None  # a misconfigured store is reported when Share is clicked
    _share_address(shared, source_key)
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
            # The widget's key holds the language (its words change with it: a language switch
            # left "30 days" in English); the choice is kept apart.
            ttl_key = f"{_SHARE_TTL}.{lang}"
            box.selectbox(
                t("share.ttl"), lifetimes, key=ttl_key, index=lifetimes.index(ss[_SHARE_TTL]),
                format_func=lambda d: t.plural("share.days", d, days=f"{d:g}"),
                on_change=lambda: ss.__setitem__(_SHARE_TTL, ss[ttl_key]),
            )
        box.button(
            t("share.button"), key="_mrrkit_share_button", on_click=_share,
            icon=":material/share:", width="stretch",
        )
        if note is not None:
            getattr(box, note[0])(t(note[1], **note[2]))
        if shared:
            _shared_link(box, t, lang, shared)


def _shared_link(box, t: Text, lang: str, shared: dict) -> None:
    """The link Share made (or the one this session opened), its expiry and "Delete"."""
    try:
        info = view_store().info(shared["token"])
    except (KeyError, ValueError):
        st.session_state.pop(_SHARED, None)
        box.warning(t("share.gone"))
        return
    box.caption(t("share.opened_link") if shared["opened"] else t("share.link"))
    box.code(f"{state.base_url()}?view={shared['token']}", language=None, wrap_lines=True)
    box.caption(t("share.expires", date=_date(info.expires, lang)))
    confirm = box.popover(t("share.delete"), icon=":material/delete:")
    confirm.caption(t("share.delete_confirm"))
    confirm.button(t("share.delete_yes"), key="_mrrkit_share_delete", on_click=_delete_share,
                   type="primary", icon=":material/delete_forever:")
