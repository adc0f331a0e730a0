"""The view state lives in the URL: copying the address reopens the same view.

Every widget that shapes the view has a URL key: global ones (``lang``, ``asof``, ``from``,
``to``, ``fy``, ``f.<attribute>``) on every page, and page ones prefixed with the page's short
name (``mv.``, ``coh.``, ``seg.``, ``cus.``, ``sc.``, ``ex.``). A widget starts from its value
earlier in this session (a page's choices survive a visit to another page), else a URL value not
applied yet, else the default; a URL value it does not understand gives the default and a notice
(a toast), a period end outside the data the data's nearest month; it writes its value to the
URL when not the default (always for the period, a customer, a scenario's levers and scope).
``RESERVED`` keys are left to their owners (``view``: a saved view). :func:`share_url` is the
"Link to this view", :func:`snapshot` what "Share" stores.

**Streamlit's own binding** (``bind="query-params"``, 1.67) binds the widgets whose value is its
own URL text: the search ``cus.q``, ``sc.<i>.name``, ``sc.count``, ``ex.top`` (``native=True``).
Measured per widget (``tests/ui/test_ui_state.py``, and a probe app in Chromium), it cannot bind
the others without changing today's addresses:

- ``selectbox``, ``radio``, ``segmented_control``, ``multiselect`` write and read their label
  (``format_func(value)``): ``?lang=Français``; a saved ``lang=fr``, ``sc.months=24`` or
  ``f.churn_reason=(none)`` is dropped, and labels change with the language;
- a range ``select_slider`` binds one repeated key (``period=…&period=…``), not ``from``/``to``;
  ``checkbox`` reads ``true``/``false``, not ``1``/``0``; ``date_input``, ``text_input`` and
  ``slider`` read and write their values as they are;
- a default value leaves the URL (the "always" keys cannot bind); a value not understood is
  dropped in silence (its notice is given here, from the URL read before the widget is drawn);
  a text has no length limit (a bound search takes a link's text whatever its length);
- the app cannot take a bound value out of the URL (a widget reset through ``st.session_state``
  is set from the URL again: the "as of" day, reset by a new upload, cannot bind), and
  ``st.switch_page`` raises while a bound key is in the URL (Movements' "open customer" button:
  nothing global or on that page binds);
- the server's ``st.query_params`` sees a bound widget's change only with the browser's next
  request (``AppTest``: never): the link and "Share" use the widgets' values (:func:`snapshot`).

The app's own binding (:func:`bind`) rebuilds the URL every run (:func:`begin` clears its keys,
each widget writes its own) and keeps the session's values (Streamlit drops a widget's state on
a page that does not draw it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, NoReturn
from urllib.parse import urlencode

import streamlit as st

from .format import plain_md

__all__ = [
    "GLOBAL_KEYS", "NATIVE", "RESERVED", "attach_link", "base_url", "begin", "bind",
    "batched", "date_input", "flush", "forget", "incoming_keys", "multiselect", "notice", "peek",
    "query_string", "reset", "restore", "segmented", "select_slider", "selectbox", "set_value",
    "share_url", "snapshot", "stop", "text_input", "texts", "when_written", "widget_key",
]

#: Keys every page understands (``f.<attribute>`` too).
GLOBAL_KEYS = ("lang", "asof", "from", "to", "fy", "defs")
#: Keys left in the URL untouched: ``view`` is the saved-view token (issue 6); ``embed*`` are
#: Streamlit's own.
RESERVED = ("view", "embed", "embed_options")
#: Keys Streamlit binds to the URL itself (see the module): :func:`begin` leaves them alone.
NATIVE = re.compile(r"cus\.q|sc\.count|sc\.\d+\.name|ex\.top")
#: The longest text a hand-made text key takes from a link.
MAX_TEXT = 200

_VIEW = "_mrrkit_view"  # key -> current value (python object)
_INCOMING = "_mrrkit_url_in"  # key -> list[str], URL values not applied yet
_WRITTEN = "_mrrkit_url_out"  # key -> list[str], this run's view as URL values, in order
# key -> the last values this session put in the URL (list of list[str], oldest first): the
# browser's address can lag behind them (see ``begin``).
_HISTORY = "_mrrkit_url_history"
_HISTORY_SIZE = 8
_DRAWN = "_mrrkit_url_drawn"  # the keys whose widget this run drew
_DROP = "_mrrkit_url_drop"  # keys reset or forgotten: out of the address at the next flush
_NOTICED = "_mrrkit_noticed"
_NOTICE_TEXT = "_mrrkit_notice_text"
_CLAMP_TEXT = "_mrrkit_clamp_text"
_LINK_SLOT = "_mrrkit_link_slot"


def _native(key: str) -> bool:
    return NATIVE.fullmatch(key) is not None


def widget_key(key: str) -> str:
    """The Streamlit widget key of a URL key (tests use it to find widgets): the key itself for
    a widget Streamlit binds."""
    return key if _native(key) else f"w:{key}"


def begin() -> None:
    """Start a run: note URL values to apply, then clear the URL so this run rebuilds it.

    On the session's first run every URL value is to be applied. Later, a URL value this session
    never wrote (a link followed inside the app, browser navigation) is applied; keys that
    disappeared keep their current value. A value this session wrote recently is not: the
    address a rerun request carries can lag behind the server (a widget moved again before the
    browser got the previous run's address, or while that run, stopped early, had not rewritten
    it yet), and applying it would put the widget back where it was.
    """
    ss = st.session_state
    url = {k: list(st.query_params.get_all(k)) for k in st.query_params
           if k not in RESERVED and not _native(k)}
    if _VIEW not in ss:
        ss[_VIEW] = {}
        ss[_INCOMING] = url
    else:
        history = ss.get(_HISTORY, {})
        changed = {k: v for k, v in url.items() if v not in history.get(k, ())}
        for key in changed:
            ss[_VIEW].pop(key, None)
            ss.pop(widget_key(key), None)
        ss.setdefault(_INCOMING, {}).update(changed)
    _BEGUN.set(True)
    if not _BATCHED.get():  # the URL rebuilt key by key as the widgets are drawn
        for key in url:
            del st.query_params[key]
    # else: rebuilt by this run's widgets and written once, when the page ends (:func:`batched`)
    ss[_WRITTEN] = {k: list(st.query_params.get_all(k)) for k in st.query_params
                    if k in RESERVED}
    ss[_DRAWN] = set()
    ss.pop(_LINK_SLOT, None)


#: Whether this run writes the URL once, at its end (:func:`batched`).
_BATCHED: ContextVar[bool] = ContextVar("mrrkit_url_batched", default=False)
#: Called with the address this run ends with (:func:`when_written`).
_ON_WRITE: ContextVar[Callable[[dict[str, list[str]]], None] | None] = ContextVar(
    "mrrkit_url_on_write", default=None)
#: Whether :func:`begin` ran in this run (before it, the view is the last run's).
_BEGUN: ContextVar[bool] = ContextVar("mrrkit_url_begun", default=False)


@contextmanager
def batched():
    """Write the URL once, when the run inside ends: what app.py wraps each page in. A page
    run on its own (Streamlit's ``pages/`` mode, as ``AppTest`` runs them) writes each key as
    its widget is drawn (the same address, by more messages). A page that stops early calls
    :func:`stop`, which writes it first (a stopped run sends nothing more)."""
    token, begun, hook = _BATCHED.set(True), _BEGUN.set(False), _ON_WRITE.set(None)
    try:
        yield
        flush()
    finally:
        _BATCHED.reset(token)
        _BEGUN.reset(begun)
        _ON_WRITE.reset(hook)


def when_written(hook: Callable[[dict[str, list[str]]], None]) -> None:
    """Call ``hook`` with the address's keys and values (Streamlit's bound keys left out): now,
    with the address as it is (what stays when a run stops on an error), and again with the
    address this run ends with when it is written (:func:`flush`), e.g. the menu's links, so
    that a menu click opens the next page with the address it will keep."""
    hook({k: list(st.query_params.get_all(k)) for k in st.query_params if not _native(k)})
    if _BATCHED.get():
        _ON_WRITE.set(hook)


def stop() -> NoReturn:
    """``st.stop()``, this run's address written first (see :func:`batched`)."""
    if _BATCHED.get():
        flush()
    st.stop()


def flush() -> None:
    """Write this run's view to the browser's address, at once.

    Each change of ``st.query_params`` is a message, and the browser makes each new address a
    history entry: deleting every key when a run began and writing each back as its widget was
    drawn left 3 or 4 entries per menu click, and Back stepped through them instead of going
    back a page (found clicking through in Chromium). Keys Streamlit binds itself and the
    reserved ones are left as they are.

    The keys of widgets this run did not draw (another page's, the period on the Data page)
    stay in the address as this session wrote them, or as a link gave them while no page has
    applied them yet: a menu click then changes the address only where the new page's own
    widgets differ. The browser's entry for the new page (Streamlit's, made with the address
    of the page left) is then the only one, and Back goes back a page at the first press (it
    took two: the page's own entry, then the address the page wrote). Keys reset or forgotten
    (:func:`reset`, :func:`forget`) leave.
    """
    ss = st.session_state
    if _WRITTEN not in ss or not _BEGUN.get():  # (the gate stopped the run before the view)
        return
    current = {k: list(st.query_params.get_all(k)) for k in st.query_params}
    ours = {k: v for k, v in ss[_WRITTEN].items() if k not in RESERVED and not _native(k)}
    drawn, drop = ss.get(_DRAWN, set()), ss.pop(_DROP, set())
    history, incoming = ss.get(_HISTORY, {}), ss.get(_INCOMING, {})
    kept = {k: v for k, v in current.items() if k in RESERVED or _native(k) or (
        k not in ours and k not in drawn and k not in drop
        and (v in history.get(k, ()) or incoming.get(k) == v))}
    address = {**kept, **ours}
    hook = _ON_WRITE.get()
    if hook is not None:
        hook({k: v for k, v in address.items() if not _native(k)})
    if address == current:
        return
    gone = [k for k in current if k not in kept and k not in ours]
    value = {k: _url_value(v) for k, v in ours.items()}
    if gone and not any(_native(k) for k in current):
        st.query_params.from_dict({**{k: _url_value(v) for k, v in kept.items()},
                                   **value})  # one message
        return
    for key in gone:  # (a key Streamlit binds is in the address: deleted one by one)
        del st.query_params[key]
    changed = {k: v for k, v in value.items() if current.get(k) != ours[k]}
    if changed:
        st.query_params.update(changed)  # one message


def _url_value(raw: list[str]) -> list[str] | str:
    """What ``st.query_params`` takes for a key's values: one value alone, several as a list."""
    return raw if len(raw) != 1 else raw[0]


def incoming_keys() -> list[str]:
    """URL keys not applied yet (the shell reports unknown ones)."""
    return list(st.session_state.get(_INCOMING, {}))


def forget(key: str) -> None:
    """Drop a URL value that nothing will apply (e.g. an unknown key)."""
    st.session_state.get(_INCOMING, {}).pop(key, None)
    st.session_state.setdefault(_DROP, set()).add(key)


def reset(keep: Callable[[str], bool]) -> None:
    """Forget every view value whose URL key ``keep`` rejects: its current value, its widget's
    state and any URL value not applied yet, so its widget starts again from its default."""
    ss = st.session_state
    view = ss.get(_VIEW, {})
    drop = ss.setdefault(_DROP, set())
    for key in [k for k in view if not keep(k)]:
        view.pop(key, None)
        ss.pop(widget_key(key), None)
        drop.add(key)
    incoming = ss.get(_INCOMING, {})
    for key in [k for k in incoming if not keep(k)]:
        incoming.pop(key, None)
        drop.add(key)


def texts(notice_text: str, clamp_text: str) -> None:
    """The notices' sentences in the reader's language (``{key}``, ``{value}``, ``{shown}``)."""
    st.session_state[_NOTICE_TEXT] = notice_text
    st.session_state[_CLAMP_TEXT] = clamp_text


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
    """Put ``raw`` in the view under ``key`` (None: take the key out), and in the URL unless
    Streamlit writes that key itself (when the run ends: :func:`flush`)."""
    st.session_state.setdefault(_DRAWN, set()).add(key)
    written = st.session_state.setdefault(_WRITTEN, {})
    if raw is None:
        if written.pop(key, None) is not None:
            if not _native(key) and not _BATCHED.get():
                del st.query_params[key]
            _show_link()
        return
    written[key] = list(raw)
    if not _native(key):
        recent = st.session_state.setdefault(_HISTORY, {}).setdefault(key, [])
        if list(raw) in recent:
            recent.remove(list(raw))
        recent.append(list(raw))
        del recent[:-_HISTORY_SIZE]
        if not _BATCHED.get():
            st.query_params[key] = _url_value(raw)
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


def _decoded(key: str, raw: list[str], decode: Callable[[list[str]], Any],
             valid: Callable[[Any], bool]) -> tuple[bool, Any]:
    """(understood, value) of a URL value; a notice when it is not understood."""
    try:
        parsed = decode(raw)
    except (ValueError, TypeError, KeyError, IndexError):
        parsed = None
    if parsed is not None and valid(parsed):
        return True, parsed
    notice(key, ",".join(raw))
    return False, None


def bind(key: str, default: Any, decode: Callable[[list[str]], Any],
         encode: Callable[[Any], list[str]], valid: Callable[[Any], bool],
         make: Callable[[str], Any], always: bool = False) -> Any:
    """``make(widget_key)``, a widget whose value is initialised from and written to the URL
    under ``key`` (see the module); ``decode`` reads a URL value (a list of texts, the last
    one for single values), ``encode`` writes one."""
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
            understood, parsed = _decoded(key, incoming.pop(key), decode, valid)
            value = parsed if understood else default
        ss[wkey] = value
    value = make(wkey)
    view[key] = value
    _write(key, encode(value) if (always or value != default) else None)
    return value


def _bound(key: str, default: Any, decode: Callable[[list[str]], Any],
           encode: Callable[[Any], list[str]], valid: Callable[[Any], bool],
           make: Callable[[str], Any]) -> Any:
    """``make(key)``, a widget Streamlit binds to the URL under ``key`` (``make`` passes
    ``bind="query-params"``): Streamlit reads and writes the URL; here a value it will drop is
    noticed, a saved view's value applied, and the value noted for the link and "Share"."""
    ss = st.session_state
    saved = ss.get(_INCOMING, {}).pop(key, None)  # from a saved view (restore)
    if saved is not None:
        understood, parsed = _decoded(key, saved, decode, valid)
        if understood:
            ss[key] = parsed
    elif key in st.query_params and key not in ss:  # a link's value, as the session opens
        understood, parsed = _decoded(key, list(st.query_params.get_all(key)), decode, valid)
        if understood:  # what it keeps of it (a list of known values: maybe none)
            ss[key] = parsed
    value = make(key)
    _write(key, encode(value) if value != default else None)
    return value


def peek(key: str) -> Any:
    """The value a widget bound to ``key`` will start from: the session's, else the URL's text
    (``None`` if neither)."""
    ss = st.session_state
    if _native(key) and key in ss:
        return ss[key]
    if key in ss.get(_VIEW, {}):
        return ss[_VIEW][key]
    raw = ss.get(_INCOMING, {}).get(key)
    return raw[-1] if raw else None


def set_value(key: str, value: Any) -> None:
    """Set a view value before its widget is drawn (e.g. a link from another page)."""
    ss = st.session_state
    if _native(key):
        ss[key] = value
        return
    ss.setdefault(_VIEW, {})[key] = value
    ss.pop(widget_key(key), None)


def selectbox(label: str, options: Sequence, key: str, default: Any = None,
              format_func: Callable[[Any], str] = str, container=None,
              parse: Callable[[str], Any] = str, always: bool = False, **kwargs) -> Any:
    """``st.selectbox`` bound to URL key ``key`` (value written with ``str``, read with
    ``parse``)."""
    options = list(options)
    if not options:
        return None
    default = options[0] if default is None or default not in options else default
    where = container or st
    return bind(
        key, default, decode=lambda raw: parse(raw[-1]), encode=lambda v: [str(v)],
        valid=lambda v: v in options, always=always,
        make=lambda wkey: where.selectbox(label, options, key=wkey, format_func=format_func,
                                          **kwargs),
    )


def segmented(label: str, options: Sequence, key: str, default: Any = None,
              format_func: Callable[[Any], str] = str, container=None, native: bool = False,
              **kwargs) -> Any:
    """A horizontal radio bound to URL key ``key`` (few options); ``native``: by Streamlit
    (options shown as they are)."""
    options = list(options)
    default = options[0] if default is None or default not in options else default
    where = container or st
    args = dict(decode=lambda raw: raw[-1], encode=lambda v: [str(v)],
                valid=lambda v: v in options)
    if native:
        return _bound(key, default, **args, make=lambda wkey: where.radio(
            label, options, index=options.index(default), key=wkey, horizontal=True,
            bind="query-params", **kwargs))
    return bind(key, default, **args, make=lambda wkey: where.radio(
        label, options, key=wkey, format_func=format_func, horizontal=True, **kwargs))


def multiselect(label: str, options: Sequence[str], key: str, default: Iterable[str] = (),
                format_func: Callable[[Any], str] = str, container=None, native: bool = False,
                **kwargs) -> list[str]:
    """``st.multiselect`` bound to URL key ``key``; the URL repeats the key once per value.
    ``native``: by Streamlit (options shown as they are).

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
    args = dict(decode=decode, encode=lambda v: list(v),
                valid=lambda v: isinstance(v, list) and all(x in known for x in v))
    if native:
        return _bound(key, default, **args, make=lambda wkey: where.multiselect(
            label, options, default=default, key=wkey, bind="query-params", **kwargs))
    return bind(key, default, **args, make=lambda wkey: where.multiselect(
        label, options, key=wkey, format_func=format_func, **kwargs))


def _comparable(raw: str, option: str) -> bool:
    """Whether ``raw`` has the shape of ``option`` (digits where it has digits), so that text
    order is value order.

    >>> _comparable("2030-01", "2024-03"), _comparable("not-a-month", "2024-03")
    (True, False)
    """
    return len(raw) == len(option) and all(
        a.isdigit() == b.isdigit() and (a.isdigit() or a == b) for a, b in zip(raw, option)
    )


def _range_from_url(keys: tuple[str, str], options: list[str], default: tuple[str, str],
                    position: Mapping[str, int], peek: bool = False) -> tuple[str, str]:
    """The two ends a link gives (each one read apart): an end outside the options is moved to
    the nearest option (with a notice); one that cannot be read is the default's. ``peek``:
    the same ends, the link left unread and nothing said."""
    incoming = st.session_state.setdefault(_INCOMING, {})
    value = list(default)
    for i, key in enumerate(keys):
        if key not in incoming:
            continue
        raw = (incoming.get(key) if peek else incoming.pop(key))[-1]
        if raw in position:
            value[i] = raw
        elif _comparable(raw, options[0]) and sorted([raw, options[0], options[-1]])[1] != raw:
            # Same-shaped text (e.g. YYYY-MM) outside the range: clamp.
            value[i] = options[0] if raw < options[0] else options[-1]
            if not peek:
                _clamped(key, raw, value[i])
        elif not peek:
            notice(key, raw)
    if position[value[0]] > position[value[1]]:
        if not peek:
            notice("/".join(keys), "/".join(value))
        return default
    return tuple(value)


def peek_range(keys: tuple[str, str], options: Sequence[str],
               default: tuple[str, str]) -> tuple[str, str]:
    """The value a range slider bound to ``keys`` (:func:`select_slider`) will start from, for
    what is drawn above it: the session's, else the link's ends (read as the slider reads
    them, the link left for it), else ``default``."""
    options = list(options)
    position = {v: i for i, v in enumerate(options)}
    known = st.session_state.get(_VIEW, {}).get(":".join(keys))
    if (isinstance(known, tuple) and len(known) == 2 and all(x in position for x in known)
            and position[known[0]] <= position[known[1]]):
        return known
    return _range_from_url(keys, options, default, position, peek=True)


def select_slider(label: str, options: Sequence[str], keys: tuple[str, str],
                  default: tuple[str, str], format_func: Callable[[Any], str] = str,
                  container=None, always: bool = True, **kwargs) -> tuple[str, str]:
    """A range ``st.select_slider`` over ``options`` bound to two URL keys (e.g. from/to)."""
    options = list(options)
    key = ":".join(keys)
    ss = st.session_state
    view = ss.setdefault(_VIEW, {})
    wkey = widget_key(key)
    position = {v: i for i, v in enumerate(options)}

    def valid(v) -> bool:
        return isinstance(v, tuple) and len(v) == 2 and all(x in position for x in v) and (
            position[v[0]] <= position[v[1]]
        )

    if not _changed_by_user(key, valid):
        known = view.get(key)
        ss[wkey] = known if valid(known) else _range_from_url(keys, options, default, position)
    # ``value`` is given so that Streamlit builds a *range* slider: without it the widget is a
    # single-value one whose first thumb move (or a page change) hands back one month, not two.
    value = tuple((container or st).select_slider(
        label, options=options, value=tuple(default), key=wkey, format_func=format_func,
        **kwargs))
    view[key] = value
    for end, v, d in zip(keys, value, default):
        _write(end, [v] if (always or v != d) else None)
    return value


def text_input(label: str, key: str, default: str = "", container=None, native: bool = False,
               **kwargs) -> str:
    """``st.text_input`` bound to URL key ``key``; ``native``: by Streamlit."""
    where = container or st
    args = dict(decode=lambda raw: raw[-1], encode=lambda v: [v],
                valid=lambda v: isinstance(v, str) and (native or len(v) <= MAX_TEXT))
    if native:
        return _bound(key, default, **args, make=lambda wkey: where.text_input(
            label, value=default, key=wkey, bind="query-params", **kwargs))
    return bind(key, default, **args, make=lambda wkey: where.text_input(label, key=wkey,
                                                                          **kwargs))


def date_input(label: str, key: str, default: date, min_value: date, max_value: date,
               container=None, **kwargs) -> date:
    """``st.date_input`` of one day within ``[min_value, max_value]`` bound to URL key ``key``
    (``YYYY-MM-DD``)."""
    where = container or st

    def valid(v) -> bool:
        return isinstance(v, date) and not isinstance(v, datetime) and min_value <= v <= max_value

    return bind(
        key, default, decode=lambda raw: date.fromisoformat(raw[-1]),
        encode=lambda v: [v.isoformat()], valid=valid,
        make=lambda wkey: where.date_input(label, value=default, min_value=min_value,
                                           max_value=max_value, key=wkey, **kwargs),
    )


def snapshot() -> dict[str, list[str]]:
    """The view as URL values (what "Share" stores)."""
    return {k: list(v) for k, v in st.session_state.get(_WRITTEN, {}).items() if k not in RESERVED}


def restore(params: Mapping[str, str | list[str]]) -> None:
    """Replace the view by ``params`` (e.g. a saved view): widgets re-initialise from them."""
    ss = st.session_state
    for key in [k for k in ss if isinstance(k, str) and (k.startswith("w:") or _native(k))]:
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


def base_url() -> str:
    """The page's address without its query, as the browser reported it ("" when it did not)."""
    try:
        return st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser context (bare script, tests)
        return ""


def share_url() -> str:
    """The address of this view: full URL when the browser reported it, else the query string."""
    return f"{base_url()}{query_string()}"
