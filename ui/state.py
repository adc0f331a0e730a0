"""The view state lives in the URL: copying the address reopens the same view.

Every widget that shapes the view (filters, period, chosen metric, options, language) is created
through the helpers here with a URL key (``"lang"``, ``"from"``, ``"f.industry"``,
``"coh.by"``...). The helpers

1. initialise the widget from, in order: its value earlier in this session (kept in
   ``st.session_state["_view"]``, so a page's choices survive a visit to another page), a value
   in the URL that this session has not applied yet, the default;
2. check a URL value against the widget's options: an unknown or invalid value falls back to the
   default with a notice (a toast), never an error;
3. write the widget's value back to ``st.query_params`` (only values that differ from the
   default, plus those marked ``always``).

Keys: global ones (``lang``, ``from``, ``to``, ``f.<attribute>``) on every page, and page ones
prefixed with the page's short name (``mv.``, ``coh.``, ``seg.``, ``cus.``). The URL is rebuilt on
every run, so a page's URL carries the global keys and its own. ``RESERVED`` keys (``view``, the
saved-view token) are left in place for their owners.

The page itself is the URL path (``/Movements``), which Streamlit keeps; :func:`share_url` gives
the full address when the browser told the server its URL, else the query string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from .format import plain_md

__all__ = [
    "GLOBAL_KEYS",
    "RESERVED",
    "attach_link",
    "begin",
    "checkbox",
    "date_input",
    "forget",
    "incoming_keys",
    "multiselect",
    "notice",
    "peek",
    "query_string",
    "reset",
    "restore",
    "segmented",
    "select_slider",
    "selectbox",
    "set_value",
    "share_url",
    "snapshot",
    "text_input",
    "widget_key",
]

#: Keys every page understands (``f.<attribute>`` too).
GLOBAL_KEYS = ("lang", "asof", "from", "to", "fy")
#: Keys left in the URL untouched: ``view`` is the saved-view token (issue 6); ``embed*`` are
#: Streamlit's own.
RESERVED = ("view", "embed", "embed_options")

_VIEW = "_mrrkit_view"  # key -> current value (python object)
_INCOMING = "_mrrkit_url_in"  # key -> list[str], URL values not applied yet
_WRITTEN = "_mrrkit_url_out"  # key -> list[str], what this run put in the URL
# key -> the last values this session put in the URL (list of list[str], oldest first): the
# browser's address can lag behind them (see ``begin``).
_HISTORY = "_mrrkit_url_history"
_HISTORY_SIZE = 8
_NOTICED = "_mrrkit_noticed"
_NOTICE_TEXT = "_mrrkit_notice_text"
_CLAMP_TEXT = "_mrrkit_clamp_text"
_LINK_SLOT = "_mrrkit_link_slot"


def widget_key(key: str) -> str:
    """The Streamlit widget key of a URL key (tests use it to find widgets)."""
    return f"w:{key}"


def _current_url() -> dict[str, list[str]]:
    return {k: list(st.query_params.get_all(k)) for k in st.query_params}


def begin(notice_text: str | None = None) -> None:
    """Start a run: note URL values to apply, then clear the URL so this run rebuilds it.

    On the session's first run every URL value is to be applied. Later, a URL value this session
    never wrote (a link followed inside the app, browser navigation) is applied; keys that
    disappeared keep their current value. A value this session wrote recently is not: the
    address a rerun request carries can lag behind the server (a widget moved again before the
    browser got the previous run's address, or while that run, stopped early, had not rewritten
    it yet), and applying it would put the widget back where it was.
    """
    ss = st.session_state
    if notice_text is not None:
        ss[_NOTICE_TEXT] = notice_text
    url = _current_url()
    if _VIEW not in ss:
        ss[_VIEW] = {}
        ss[_INCOMING] = {k: v for k, v in url.items() if k not in RESERVED}
    else:
        history = ss.get(_HISTORY, {})
        changed = {
            k: v for k, v in url.items() if k not in RESERVED and v not in history.get(k, ())
        }
        if changed:
            for key in changed:
                ss[_VIEW].pop(key, None)
                ss.pop(widget_key(key), None)
            ss.setdefault(_INCOMING, {}).update(changed)
    for key in list(st.query_params):
        if key not in RESERVED:
            del st.query_params[key]
    ss[_WRITTEN] = {k: v for k, v in url.items() if k in RESERVED}
    ss.pop(_LINK_SLOT, None)


def incoming_keys() -> list[str]:
    """URL keys not applied yet (the shell reports unknown ones)."""
    return list(st.session_state.get(_INCOMING, {}))


def forget(key: str) -> None:
    """Drop a URL value that nothing will apply (e.g. an unknown key)."""
    st.session_state.get(_INCOMING, {}).pop(key, None)


def reset(keep: Callable[[str], bool]) -> None:
    """Forget every view value whose URL key ``keep`` rejects: its current value, its widget's
    state and any URL value not applied yet, so its widget starts again from its default."""
    ss = st.session_state
    view = ss.get(_VIEW, {})
    for key in [k for k in view if not keep(k)]:
        view.pop(key, None)
        ss.pop(widget_key(key), None)
    incoming = ss.get(_INCOMING, {})
    for key in [k for k in incoming if not keep(k)]:
        incoming.pop(key, None)


def notice(key: str, raw: object, message: str | None = None) -> None:
    """Tell the user once that a URL value was not understood and the default is shown."""
    ss = st.session_state
    seen = ss.setdefault(_NOTICED, set())
    tag = (key, str(raw))
    if tag in seen:
        return
    seen.add(tag)
    template = ss.get(_NOTICE_TEXT, "Link value {key}={value} not understood: showing the default.")
    # A link's keys and values are anyone's text: shown as they are, never as Markdown.
    st.toast(message or template.format(key=plain_md(key), value=plain_md(raw)), icon="⚠️")


def _clamped(key: str, raw: str, shown: str) -> None:
    """Tell the user once that a URL value outside the data was moved to its nearest end."""
    template = st.session_state.get(
        _CLAMP_TEXT, "Link value {key}={value} is outside the data: showing {shown} instead."
    )
    notice(key, raw, template.format(key=plain_md(key), value=plain_md(raw), shown=plain_md(shown)))


def attach_link(slot) -> None:
    """Show the view's address in ``slot`` (an ``st.empty()``), kept current as widgets write
    to the URL later in the run."""
    st.session_state[_LINK_SLOT] = slot
    _show_link()


def _show_link() -> None:
    slot = st.session_state.get(_LINK_SLOT)
    if slot is not None:
        slot.code(share_url(), language=None, wrap_lines=True)


def _write(key: str, raw: list[str] | None) -> None:
    written = st.session_state.setdefault(_WRITTEN, {})
    if raw is None:
        if written.pop(key, None) is not None:
            del st.query_params[key]
            _show_link()
        return
    written[key] = list(raw)
    recent = st.session_state.setdefault(_HISTORY, {}).setdefault(key, [])
    if list(raw) in recent:
        recent.remove(list(raw))
    recent.append(list(raw))
    del recent[:-_HISTORY_SIZE]
    st.query_params[key] = raw if len(raw) != 1 else raw[0]
    _show_link()


def _changed_by_user(key: str, valid: Callable[[Any], bool]) -> bool:
    """Whether the widget of URL key ``key`` holds a value the user gave it in the browser since
    the last run (it differs from the session's value for ``key``).

    Otherwise its value is set again from the session before the widget is drawn, every run:
    Streamlit keeps a widget's own state for the page that drew it, so on another page (menu
    navigation) the widget would otherwise start from its default although ``st.session_state``
    still showed the old value.
    """
    ss = st.session_state
    view = ss.get(_VIEW, {})
    wkey = widget_key(key)
    return wkey in ss and key in view and valid(ss[wkey]) and ss[wkey] != view[key]


def _bind(
    key: str,
    default: Any,
    decode: Callable[[list[str]], Any],
    encode: Callable[[Any], list[str]],
    valid: Callable[[Any], bool],
    make: Callable[[str], Any],
    always: bool = False,
) -> Any:
    """Create a widget whose value is initialised from and written to the URL (see module)."""
    ss = st.session_state
    view = ss.setdefault(_VIEW, {})
    wkey = widget_key(key)
    if _changed_by_user(key, valid):
        ss.get(_INCOMING, {}).pop(key, None)
    else:
        value = default
        incoming = ss.setdefault(_INCOMING, {})
        if key in view and valid(view[key]):
            value = view[key]
        elif key in incoming:
            raw = incoming.pop(key)
            try:
                parsed = decode(raw)
            except (ValueError, TypeError, KeyError, IndexError):
                parsed = None
            if parsed is not None and valid(parsed):
                value = parsed
            else:
                notice(key, ",".join(raw))
        ss[wkey] = value
    value = make(wkey)
    view[key] = value
    _write(key, encode(value) if (always or value != default) else None)
    return value


def peek(key: str) -> Any:
    """The value a widget bound to ``key`` will start from: the session's, else the URL's text
    (``None`` if neither)."""
    ss = st.session_state
    if key in ss.get(_VIEW, {}):
        return ss[_VIEW][key]
    raw = ss.get(_INCOMING, {}).get(key)
    return raw[-1] if raw else None


def set_value(key: str, value: Any) -> None:
    """Set a view value before its widget is drawn (e.g. a link from another page)."""
    ss = st.session_state
    ss.setdefault(_VIEW, {})[key] = value
    ss.pop(widget_key(key), None)


def selectbox(
    label: str,
    options: Sequence,
    key: str,
    default: Any = None,
    format_func: Callable[[Any], str] = str,
    container=None,
    parse: Callable[[str], Any] = str,
    always: bool = False,
    **kwargs,
) -> Any:
    """``st.selectbox`` bound to URL key ``key`` (value written with ``str``)."""
    options = list(options)
    if not options:
        return None
    default = options[0] if default is None or default not in options else default
    where = container or st
    return _bind(
        key,
        default,
        decode=lambda raw: parse(raw[-1]),
        encode=lambda v: [str(v)],
        valid=lambda v: v in options,
        make=lambda wkey: where.selectbox(label, options, key=wkey, format_func=format_func, **kwargs),
        always=always,
    )


def segmented(
    label: str, options: Sequence, key: str, default: Any = None,
    format_func: Callable[[Any], str] = str, container=None, **kwargs,
) -> Any:
    """A horizontal radio bound to URL key ``key`` (few options)."""
    options = list(options)
    default = options[0] if default is None or default not in options else default
    where = container or st
    return _bind(
        key,
        default,
        decode=lambda raw: raw[-1],
        encode=lambda v: [str(v)],
        valid=lambda v: v in options,
        make=lambda wkey: where.radio(
            label, options, key=wkey, format_func=format_func, horizontal=True, **kwargs
        ),
    )


def multiselect(
    label: str,
    options: Sequence[str],
    key: str,
    default: Iterable[str] = (),
    format_func: Callable[[Any], str] = str,
    container=None,
    **kwargs,
) -> list[str]:
    """``st.multiselect`` bound to URL key ``key``; the URL repeats the key once per value.

    Unknown values in the URL are dropped with a notice; the known ones are kept.
    """
    options = list(options)
    known = set(options)
    default = [v for v in default if v in known]

    def decode(raw: list[str]) -> list[str]:
        values = [v for v in raw if v != ""]
        bad = [v for v in values if v not in known]
        if bad:
            notice(key, ",".join(bad))
        return [v for v in options if v in set(values)]  # option order, no duplicates

    where = container or st
    return _bind(
        key,
        default,
        decode=decode,
        encode=lambda v: list(v),
        valid=lambda v: isinstance(v, list) and all(x in known for x in v),
        make=lambda wkey: where.multiselect(
            label, options, key=wkey, format_func=format_func, **kwargs
        ),
    )


def select_slider(
    label: str,
    options: Sequence[str],
    keys: tuple[str, str],
    default: tuple[str, str],
    format_func: Callable[[Any], str] = str,
    container=None,
    always: bool = True,
    **kwargs,
) -> tuple[str, str]:
    """A range ``st.select_slider`` over ``options`` bound to two URL keys (e.g. from/to).

    A URL end outside the options is clamped to the nearest option (with a notice); an end that
    cannot be read falls back to the default.
    """
    options = list(options)
    lo_key, hi_key = keys
    ss = st.session_state
    view = ss.setdefault(_VIEW, {})
    wkey = widget_key(f"{lo_key}:{hi_key}")
    position = {v: i for i, v in enumerate(options)}

    def valid(v) -> bool:
        return isinstance(v, tuple) and len(v) == 2 and all(x in position for x in v) and (
            position[v[0]] <= position[v[1]]
        )

    if not _changed_by_user(f"{lo_key}:{hi_key}", valid):
        value = list(default)
        incoming = ss.setdefault(_INCOMING, {})
        if valid(view.get(lo_key + ":" + hi_key)):
            value = list(view[lo_key + ":" + hi_key])
        else:
            for i, key in enumerate(keys):
                if key not in incoming:
                    continue
                raw = incoming.pop(key)[-1]
                if raw in position:
                    value[i] = raw
                elif _comparable(raw, options[0]) and sorted([raw, options[0], options[-1]])[1] != raw:
                    # Same-shaped text (e.g. YYYY-MM) outside the range: clamp.
                    value[i] = options[0] if raw < options[0] else options[-1]
                    _clamped(key, raw, value[i])
                else:
                    notice(key, raw)
            if position[value[0]] > position[value[1]]:
                notice(f"{lo_key}/{hi_key}", "/".join(value))
                value = list(default)
        ss[wkey] = tuple(value)
    # ``value`` is given so that Streamlit builds a *range* slider: without it the widget is a
    # single-value one whose first thumb move (or a page change) hands back one month, not two.
    value = (container or st).select_slider(
        label, options=options, value=tuple(default), key=wkey, format_func=format_func, **kwargs
    )
    value = tuple(value)
    view[lo_key + ":" + hi_key] = value
    for key, v, d in zip(keys, value, default):
        _write(key, [v] if (always or v != d) else None)
    return value


def _comparable(raw: str, option: str) -> bool:
    """Whether ``raw`` has the shape of ``option`` (digits where it has digits), so that text
    order is value order.

    >>> _comparable("2030-01", "2024-03"), _comparable("not-a-month", "2024-03")
    (True, False)
    """
    return len(raw) == len(option) and all(
        a.isdigit() == b.isdigit() and (a.isdigit() or a == b) for a, b in zip(raw, option)
    )


def text_input(label: str, key: str, default: str = "", container=None, **kwargs) -> str:
    """``st.text_input`` bound to URL key ``key``."""
    where = container or st
    return _bind(
        key,
        default,
        decode=lambda raw: raw[-1],
        encode=lambda v: [v],
        valid=lambda v: isinstance(v, str) and len(v) <= 200,
        make=lambda wkey: where.text_input(label, key=wkey, **kwargs),
    )


def date_input(
    label: str, key: str, default: date, min_value: date, max_value: date, container=None,
    **kwargs,
) -> date:
    """``st.date_input`` of one day within ``[min_value, max_value]`` bound to URL key ``key``
    (``YYYY-MM-DD``)."""
    where = container or st

    def valid(v) -> bool:
        return isinstance(v, date) and not isinstance(v, datetime) and min_value <= v <= max_value

    return _bind(
        key,
        default,
        decode=lambda raw: date.fromisoformat(raw[-1]),
        encode=lambda v: [v.isoformat()],
        valid=valid,
        make=lambda wkey: where.date_input(
            label, value=default, min_value=min_value, max_value=max_value, key=wkey, **kwargs
        ),
    )


def checkbox(label: str, key: str, default: bool = False, container=None, **kwargs) -> bool:
    """``st.checkbox`` bound to URL key ``key`` (``1``/``0``)."""
    where = container or st
    return _bind(
        key,
        default,
        decode=lambda raw: {"1": True, "0": False, "true": True, "false": False}[raw[-1].lower()],
        encode=lambda v: ["1" if v else "0"],
        valid=lambda v: isinstance(v, bool),
        make=lambda wkey: where.checkbox(label, key=wkey, **kwargs),
    )


def snapshot() -> dict[str, list[str]]:
    """The view as URL values (what "Share" stores)."""
    return {k: list(v) for k, v in st.session_state.get(_WRITTEN, {}).items() if k not in RESERVED}


def restore(params: Mapping[str, str | list[str]]) -> None:
    """Replace the view by ``params`` (e.g. a saved view): widgets re-initialise from them."""
    ss = st.session_state
    for key in list(ss.get(_VIEW, {})):
        ss.pop(widget_key(key), None)
    for key in [k for k in ss if isinstance(k, str) and k.startswith("w:")]:
        del ss[key]
    ss[_VIEW] = {}
    ss[_INCOMING] = {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def query_string(params: Mapping[str, list[str]] | None = None) -> str:
    """``?a=1&b=2`` of the current view (repeated keys for lists).

    >>> query_string({"lang": ["fr"], "f.plan": ["Pro", "Growth"]})
    '?lang=fr&f.plan=Pro&f.plan=Growth'
    >>> query_string({})
    ''
    """
    params = snapshot() if params is None else params
    pairs = [(k, v) for k, values in params.items() for v in values]
    return "?" + urlencode(pairs) if pairs else ""


def share_url() -> str:
    """The address of this view: full URL when the browser reported it, else the query string."""
    base = None
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (bare script, old Streamlit)
        base = None
    return f"{base or ''}{query_string()}"
