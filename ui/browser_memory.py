"""What a browser keeps from one page load to the next: its upload and its password sign-in.

Streamlit starts a new session, with an empty state, on every page load: a reload, a new tab, a
copied link. Without more, an upload vanished each time and a password gate asked again. This
module remembers, per browser,

- **the data it put to use** on the Data page ("Use this data"): the next page load in that
  browser opens with it, says so ("Your upload ... was restored", with "Forget this data"), for
  ``MRRKIT_REMEMBER_DATA_DAYS`` days [7] after that click (at most the store's longest lifetime).
  A ``?view=`` link wins: it opens its own data. Using other data replaces what is kept.
- **that it passed the password gate**: not asked again for ``MRRKIT_REMEMBER_SIGN_IN_HOURS``
  hours [12] after the password was typed, as long as the password (the gate's configuration)
  is the same. The lock-out of wrong passwords is unchanged; OIDC has its own cookie
  (``st.login``) and is left alone.

``0`` turns either off. "Forget this data" (on the Data page, in the sidebar under the data
source, and in the notice of a restored upload) deletes the kept upload and returns to the
sample; "Sign out" forgets both the sign-in and the upload.

**The browser** is the secret token in Streamlit's XSRF cookie (``_streamlit_xsrf``; see
:func:`server.browsers.browser_key`, which gives a SHA-256 digest of it). Streamlit keeps that
token for as long as the browser keeps the cookie, and it is a browser-session cookie: quitting the
browser (every window) ends the memory too, as does a private window. Without the cookie (XSRF
protection turned off, ``server.enableXsrfProtection = false``; AppTest) nothing is remembered and
nothing is said.

**Where**: in the shared-view store (:func:`ui.data.view_store`, ``MRRKIT_VIEWS_DIR``), with its
quotas, in a scope of its own (``browser``) that no ``?view=`` link reaches. Each item's token is
an HMAC-SHA256, keyed by the browser key, of what it is: ``upload`` (and, behind OIDC, the
signed-in account's e-mail, so that another account signing in from the same browser does not
find it) or ``sign-in`` and the gate's configuration fingerprint (a new password makes the old
sign-in unreachable). The store keeps a SHA-256 of that token: neither the browser key, nor the
cookie, nor the fingerprint is written anywhere. A full store is a notice: the data then stays
for its tab only.

:class:`BrowserMemory` is the part without Streamlit (a store and a browser key in, tested
directly); the functions below it are the app's glue.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from server.environment import env_number
from server.view_store import ViewStore

__all__ = [
    "DATA_DAYS",
    "SCOPE",
    "SIGN_IN_HOURS",
    "BrowserMemory",
    "Remembered",
    "Settings",
    "current",
    "data_page_status",
    "forget_all",
    "remember",
    "remember_sign_in",
    "restore",
    "sidebar_button",
    "signed_in",
]

_LOG = logging.getLogger(__name__)

#: Days a browser keeps the data it put to use (``MRRKIT_REMEMBER_DATA_DAYS``).
DATA_DAYS = 7.0
#: Hours a browser stays signed in after the password (``MRRKIT_REMEMBER_SIGN_IN_HOURS``).
SIGN_IN_HOURS = 12.0
#: The store's scope of these items (see :meth:`server.view_store.ViewStore.save`).
SCOPE = "browser"
_DOMAIN = "mrrkit-browser-memory"


@dataclass(frozen=True)
class Settings:
    """How long each memory lasts; 0 = not at all.

    >>> Settings.from_env({})
    Settings(data_days=7.0, sign_in_hours=12.0)
    >>> Settings.from_env({"MRRKIT_REMEMBER_DATA_DAYS": "0",
    ...                    "MRRKIT_REMEMBER_SIGN_IN_HOURS": "1.5"})
    Settings(data_days=0.0, sign_in_hours=1.5)
    """

    data_days: float = DATA_DAYS
    sign_in_hours: float = SIGN_IN_HOURS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """From ``MRRKIT_REMEMBER_DATA_DAYS`` and ``MRRKIT_REMEMBER_SIGN_IN_HOURS``; ``ValueError``
        for a value that is not a number of 0 or more."""

        return cls(
            env_number(environ, "MRRKIT_REMEMBER_DATA_DAYS", DATA_DAYS, zero_means="off"),
            env_number(environ, "MRRKIT_REMEMBER_SIGN_IN_HOURS", SIGN_IN_HOURS, zero_means="off"),
        )


@dataclass(frozen=True)
class Remembered:
    """A browser's kept upload: its lines, file name, currency, expiry (epoch seconds) and the
    day the file was exported when that was known."""

    lines: pd.DataFrame
    name: str
    currency: str
    expires: float
    exported: pd.Timestamp | None = None


class BrowserMemory:
    """One browser's memory in ``store`` (no Streamlit here).

    Parameters
    ----------
    store : ViewStore
    browser : str
        The browser's key (:func:`server.browsers.browser_key`); it only keys digests, never stored.
    settings : Settings
    account : str
        Who is signed in behind OIDC (their e-mail), ``""`` otherwise: part of the upload's key.

    Examples
    --------
    >>> import tempfile
    >>> store = ViewStore(tempfile.mkdtemp())
    >>> lines = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
    ...                       "end": pd.to_datetime([pd.NaT]), "mrr": [10.0]})
    >>> mine, theirs = BrowserMemory(store, "k1"), BrowserMemory(store, "k2")
    >>> _ = mine.remember_upload(lines, "export.csv", "USD")
    >>> kept = mine.upload()
    >>> kept.name, kept.currency, kept.lines.equals(lines), theirs.upload()
    ('export.csv', 'USD', True, None)
    >>> mine.forget_upload(), mine.upload()
    (True, None)
    """

    def __init__(
        self, store: ViewStore, browser: str, *, settings: Settings = Settings(),
        account: str = "",
    ) -> None:
        if not isinstance(browser, str) or not browser:
            raise ValueError("a browser key is needed")
        self.store = store
        self.settings = settings
        self._browser = browser.encode("utf-8")
        self._account = account or ""

    def _token(self, *what: str) -> str:
        """A store token (43 URL-safe characters): HMAC-SHA256 of ``what``, keyed by the browser.

        Each part is length-prefixed, so no two different lists give the same message."""
        message = "".join(f"{len(part)}:{part}" for part in (_DOMAIN, *what)).encode("utf-8")
        digest = hmac.new(self._browser, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _ttl_days(self, days: float) -> float:
        return min(days, self.store.max_ttl_days)

    # --- the upload ---------------------------------------------------------------------------

    def _upload_token(self) -> str:
        return self._token("upload", self._account)

    def remember_upload(
        self, lines: pd.DataFrame, name: str, currency: str, exported: Any = None
    ) -> float | None:
        """Keep ``lines`` for this browser (replacing what it kept); return the expiry (epoch
        seconds), or ``None`` when this memory is off. ``ValueError`` when the store refuses
        (full, the data too large for one view, the directory unusable)."""
        if not self.settings.data_days:
            return None
        token = self._upload_token()
        state = {"version": 1, "kind": "upload", "name": str(name), "currency": str(currency)}
        if exported is not None and not pd.isna(exported):
            state["exported"] = pd.Timestamp(exported).isoformat()
        self.store.save(lines, state, self._ttl_days(self.settings.data_days), token=token,
                        scope=SCOPE)
        return self.store.info(token, scope=SCOPE).expires

    def upload(self) -> Remembered | None:
        """The kept upload, or ``None`` (off, nothing kept, expired, unreadable)."""
        if not self.settings.data_days:
            return None
        token = self._upload_token()
        try:
            info = self.store.info(token, scope=SCOPE)
            lines, state = self.store.load(token, scope=SCOPE)
        except KeyError:
            return None
        except Exception:  # noqa: BLE001 - a damaged file: say nothing, keep the page working
            _LOG.exception("a browser's kept upload could not be read")
            return None
        if lines is None or not isinstance(state, Mapping) or state.get("kind") != "upload":
            return None
        name = state.get("name") if isinstance(state.get("name"), str) else "upload"
        currency = state.get("currency")
        valid = isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
        try:
            exported = pd.Timestamp(state["exported"]) if "exported" in state else None
        except (TypeError, ValueError):
            exported = None
        return Remembered(lines, name or "upload", currency.upper() if valid else "EUR",
                          info.expires, exported)

    def upload_expires(self) -> float | None:
        """When the kept upload expires (``None``: nothing kept), without reading its lines."""
        try:
            return self.store.info(self._upload_token(), scope=SCOPE).expires
        except KeyError:
            return None

    def forget_upload(self) -> bool:
        """Delete the kept upload; ``True`` if there was one."""
        return self.store.delete(self._upload_token(), scope=SCOPE)

    # --- the sign-in --------------------------------------------------------------------------

    def _sign_in_token(self, fingerprint: str) -> str:
        return self._token("sign-in", fingerprint)

    def remember_sign_in(self, fingerprint: str) -> float | None:
        """Note that this browser typed the password of the configuration ``fingerprint``
        (:attr:`server.access.AccessConfig.fingerprint`); return the expiry, ``None`` when off.
        ``ValueError`` when the store refuses."""
        if not self.settings.sign_in_hours:
            return None
        token = self._sign_in_token(fingerprint)
        self.store.save(None, {"version": 1, "kind": "sign-in"},
                        self._ttl_days(self.settings.sign_in_hours / 24), token=token, scope=SCOPE)
        return self.store.info(token, scope=SCOPE).expires

    def signed_in(self, fingerprint: str) -> bool:
        """Whether this browser typed the password of ``fingerprint`` and that has not expired."""
        if not self.settings.sign_in_hours:
            return False
        try:
            _, state = self.store.load(self._sign_in_token(fingerprint), scope=SCOPE)
        except KeyError:
            return False
        return isinstance(state, Mapping) and state.get("kind") == "sign-in"

    def forget_sign_in(self, fingerprint: str) -> bool:
        """Forget the sign-in under ``fingerprint``; ``True`` if there was one."""
        return self.store.delete(self._sign_in_token(fingerprint), scope=SCOPE)


# --- Streamlit glue ----------------------------------------------------------------------------

#: This session's data as kept for the browser: {"key": source key, "expires": epoch seconds},
#: or {"key", "error"} when keeping it failed.
_MARK = "_mrrkit_memory"
_CHECKED = "_mrrkit_memory_checked"  # this session looked for a kept upload (once)
_NOTE = "_mrrkit_memory_note"  # (level, text key, values): shown once by :func:`restore`
_ICON = ":material/history:"


def _browser_key() -> str | None:
    from . import gate

    return gate._current_browser_key()  # tests replace it (AppTest has no cookies)


def _account() -> str:
    """The signed-in OIDC account (its e-mail, else its subject), ``""`` without one."""
    import streamlit as st

    try:
        user = st.user
        if user.get("is_logged_in", False):
            return str(user.get("email") or user.get("sub") or "")
    except Exception:  # noqa: BLE001 - no user context (bare script)
        pass
    return ""


def current() -> BrowserMemory | None:
    """This browser's memory, or ``None``: no browser key, or a store or a setting that cannot
    be used (logged; the app then works as if nothing were remembered)."""
    key = _browser_key()
    if key is None:
        return None
    from .data import view_store

    try:
        settings = Settings.from_env(os.environ)
        store = view_store()
    except ValueError as exc:
        _LOG.warning("nothing is remembered for browsers: %s", exc)
        return None
    return BrowserMemory(store, key, settings=settings, account=_account())


def signed_in(config) -> bool:
    """Whether this browser passed the password gate of ``config`` (an
    :class:`server.access.AccessConfig`) within the remembered time. Called by the gate."""
    memory = current()
    if memory is None:
        return False
    try:
        return memory.signed_in(config.fingerprint)
    except ValueError as exc:  # the store's directory cannot be used: ask for the password
        _LOG.warning("a browser's sign-in could not be checked: %s", exc)
        return False


def remember_sign_in(config) -> None:
    """After the right password: the next page loads of this browser are let in."""
    memory = current()
    if memory is None:
        return
    try:
        memory.remember_sign_in(config.fingerprint)
    except ValueError as exc:  # a full store: the password is asked again next time
        _LOG.warning("a browser's sign-in could not be remembered: %s", exc)


def forget_all(config=None) -> None:
    """Sign out: forget this browser's sign-in (under ``config``) and its kept upload, and drop
    this session's upload."""
    import streamlit as st

    memory = current()
    if memory is not None:
        try:
            if config is not None:
                memory.forget_sign_in(config.fingerprint)
            memory.forget_upload()
        except ValueError as exc:
            _LOG.warning("a browser's memory could not be forgotten: %s", exc)
    from .data import clear_upload

    st.session_state.pop(_MARK, None)
    clear_upload()  # (the gate's sign-out runs before the sidebar's data-source radio is drawn)


def remember(source) -> None:
    """Keep ``source`` (a :class:`ui.data.Source`, just put to use) for this browser. Call it
    from the "Use this data" callback; :func:`data_page_status` then says what happened."""
    import streamlit as st

    ss = st.session_state
    ss[_CHECKED] = True  # what this session uses now wins over anything kept before
    memory = current()
    if memory is None:
        ss.pop(_MARK, None)
        return
    try:
        expires = memory.remember_upload(source.lines, source.name, source.currency,
                                         getattr(source, "exported", None))
    except ValueError as exc:
        # Not kept: nor is the older upload (the next page load must not bring back other data).
        try:
            memory.forget_upload()
        except ValueError:
            pass
        ss[_MARK] = {"key": source.key, "error": str(exc)}
        return
    if expires is None:
        ss.pop(_MARK, None)
    else:
        ss[_MARK] = {"key": source.key, "expires": expires}


def _date(seconds: float, lang: str) -> str:
    from datetime import datetime, timezone

    from babel.dates import format_date

    from .format import LOCALES

    day = datetime.fromtimestamp(seconds, tz=timezone.utc).date()
    return format_date(day, "medium", locale=LOCALES[lang])


def _restore_into_session() -> None:
    """This session's first page: make the browser's kept upload its data, unless the session
    has data of its own already or a ``?view=`` link (which wins)."""
    import streamlit as st

    from . import data

    ss = st.session_state
    if ss.get(_CHECKED):
        return
    ss[_CHECKED] = True
    if data.UPLOAD_KEY in ss or "view" in st.query_params or ss.get("_mrrkit_opened_token"):
        return
    memory = current()
    kept = memory.upload() if memory is not None else None
    if kept is None:
        return
    source = data.upload_source(kept.name, kept.lines, kept.currency)
    if kept.exported is not None and hasattr(source, "exported"):
        source = dataclasses.replace(source, exported=kept.exported)
    # As set_upload, without resetting the view: the URL's period and filters are this page
    # load's own (a reload, a copied link), and nothing else was chosen in this new session.
    ss[data.UPLOAD_KEY] = source
    ss[data._CHOICE_KEY] = "upload"
    ss[_MARK] = {"key": source.key, "expires": kept.expires}
    ss[_NOTE] = ("info", "memory.restored", {"name": kept.name, "expires": kept.expires})


def _forget() -> None:
    """"Forget this data": delete the browser's kept upload, back to the sample (a callback)."""
    import streamlit as st

    from . import data

    ss = st.session_state
    memory = current()
    try:
        if memory is not None:
            memory.forget_upload()
    except ValueError as exc:
        ss[_NOTE] = ("error", "memory.forget_failed", {"error": str(exc)})
        return
    ss.pop(_MARK, None)
    data.clear_upload()
    ss[_NOTE] = ("success", "memory.forgotten", {})


def _forget_button(where, t, key: str) -> None:
    where.button(t("memory.forget"), key=key, on_click=_forget, icon=":material/delete:",
                 help=t("memory.forget_help"))


def restore(t, lang: str) -> None:
    """Called by every page's frame once the visitor is let in: on the session's first page,
    restore the browser's kept upload (see :func:`_restore_into_session`); show what happened
    (restored, forgotten), once, at the top of the page."""
    import streamlit as st

    from .format import plain_md

    _restore_into_session()
    note = st.session_state.pop(_NOTE, None)
    if note is None:
        return
    level, key, values = note
    if key == "memory.restored":
        box = st.container(key="mrrkit-memory-note")
        name = plain_md(values["name"])  # a file's name: never Markdown
        box.info(t(key, name=name, date=_date(values["expires"], lang)), icon=_ICON)
        _forget_button(box, t, "_mrrkit_memory_forget_note")
    else:
        getattr(st, level)(t(key, **values), icon=_ICON)


def _kept(source) -> dict[str, Any] | None:
    import streamlit as st

    mark = st.session_state.get(_MARK)
    return mark if isinstance(mark, dict) and mark.get("key") == source.key else None


def sidebar_button(container, t, source) -> None:
    """"Forget this data" under the data source in the sidebar, while it shows the kept
    upload."""
    mark = _kept(source)
    if mark is not None and "expires" in mark:
        _forget_button(container, t, "_mrrkit_memory_forget_sidebar")


def data_page_status(t, lang: str, source) -> bool:
    """On the Data page, under "Every page uses ...": until when this browser keeps the data,
    with "Forget this data" (then ``True``: the page offers no other way back to the sample),
    or why it could not be kept."""
    import streamlit as st

    mark = _kept(source)
    if mark is None:
        return False
    if "error" in mark:
        st.warning(t("memory.not_kept", error=mark["error"]), icon=_ICON)
        return False
    st.caption(t("memory.kept", date=_date(mark["expires"], lang)))
    _forget_button(st, t, "data.forget")
    return True
