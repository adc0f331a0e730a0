"""Access control for the hosted app, the Streamlit side: the gate every page goes through, its
password form and OIDC sign-in, and "Sign out".

Every page calls :func:`require_access` before it reads any data, so a page opened directly by
its URL on a fresh server shows the gate too. A browser that typed the password lately is let in
without it (a reload, a new tab; see :mod:`ui.browser_memory`), and "Sign out" forgets that. What
is enforced — OIDC sign-in, a shared password, or nothing (open local use: the gate returns at
once) — is decided by :func:`server.access.resolve_config` from the secrets and the environment;
a configuration that is present but unusable closes the app with an error instead of opening it.
The rules themselves (password checks, the lock-out, what is remembered per browser) are in
:mod:`server` and never call Streamlit; this module draws the gate and reads the session.

``python -m ui.gate hash`` prints a password hash (as ``python -m server.access hash``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from server import access, browsers
from server.access import AccessConfig, email_allowed, resolve_config
from server.browsers import browser_key, page_script
from server.throttle import Throttle, try_password

__all__ = [
    "current_config",
    "logout_button",
    "may_upload",
    "require_access",
]

_LOG = logging.getLogger(__name__)

_AUTHENTICATED_KEY = "_mrrkit_gate_authenticated"
_THROTTLE_KEY = "_mrrkit_gate_throttle"


def _streamlit_secrets() -> dict[str, Any]:
    import streamlit as st

    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml at all (StreamlitSecretNotFoundError included)
        return {}
    if auth is None:
        return {}
    return {"auth": auth.to_dict() if hasattr(auth, "to_dict") else dict(auth)}


def current_config() -> AccessConfig:
    """The configuration in force for this run (secrets, then environment)."""
    import os

    return resolve_config(_streamlit_secrets(), os.environ)


def require_access(*, throttle: Throttle | None = None) -> None:
    """Stop the page here until the visitor is allowed in; return at once with no configuration.

    Call it first on every page (in the shared page setup), before any data is read or any
    ``?view=`` link is opened.
    """
    import streamlit as st

    try:
        config = current_config()
    except ValueError as exc:
        # Present but unusable: fail closed rather than open confidential data.
        st.error(_texts()("gate.misconfigured", error=exc))
        st.stop()
    if config.mode == "open":
        return
    if config.mode == "oidc":
        _require_oidc(config)
    else:
        _require_password(config, throttle or Throttle())
    _admit_browser(config)  # past the gate: this browser may upload files (ui.upload_guard)


# --- who may upload ------------------------------------------------------------------------------
#
# ui.upload_guard refuses uploads unless may_upload() says the browser (its XSRF cookie, sent
# with every upload) was let in by the gate lately (see server.browsers).

_UNGUARDED_WARNED = False


def _admit_browser(config: AccessConfig) -> None:
    global _UNGUARDED_WARNED
    from . import upload_guard

    if not upload_guard.installed() and not _UNGUARDED_WARNED:
        _UNGUARDED_WARNED = True
        _LOG.warning("mrrkit gate: uploads are not guarded (Streamlit takes files from visitors "
                     "who have not passed the gate): serve the app with `streamlit run serve.py`")
    key = _current_browser_key()
    if key is not None:
        browsers.admit(key, config.fingerprint)


def _forget_admitted() -> None:
    key = _current_browser_key()
    if key is not None:
        browsers.forget(key)


def may_upload(cookie: str | None, config: AccessConfig | None = None) -> bool:
    """Whether a request carrying Streamlit's XSRF cookie ``cookie`` may upload a file: always
    without a gate; behind one, only from a browser that a page let in within
    :data:`server.browsers.ADMITTED_SECONDS`, under the credential in force (``config``, default
    the one of :func:`current_config`; a misconfigured gate: never).

    Examples
    --------
    >>> may_upload(None, AccessConfig("open"))
    True
    >>> may_upload("2|0f0f0f0f|a0a0a0a0a0|1700000000", AccessConfig("password", password="pw"))
    False
    """
    if config is None:
        try:
            config = current_config()
        except ValueError:
            return False
    if config.mode == "open":
        return True
    return browsers.admitted(browser_key(cookie), config.fingerprint)


def _texts():
    """The gate's texts in the language the link asks for (``?lang=fr``), English otherwise: the
    gate runs before the page's language picker."""
    import streamlit as st

    from .i18n import LANGUAGES, text

    lang = st.query_params.get("lang")
    return text(lang if lang in LANGUAGES else "en")


def _client_key() -> str:
    """The visitor's address as the server sees it ("local" on this machine; behind a reverse
    proxy, the proxy's address, so the count is then shared by everyone)."""
    import streamlit as st

    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context (bare script)
        address = None
    return address if isinstance(address, str) and address else "local"


def _require_password(config: AccessConfig, throttle: Throttle) -> None:
    import streamlit as st

    if st.session_state.get(_AUTHENTICATED_KEY) == config.fingerprint:
        return
    from . import browser_memory  # this browser typed this password lately (a reload, a new tab)

    if browser_memory.signed_in(config):
        st.session_state[_AUTHENTICATED_KEY] = config.fingerprint
        return
    session = st.session_state.setdefault(_THROTTLE_KEY, {})
    client = _client_key()
    t = _texts()
    st.title("mrrkit")
    st.caption(t("gate.protected_password"))
    with st.form("mrrkit_gate_login", clear_on_submit=True):
        attempt = st.text_input(t("gate.password"), type="password", key="_mrrkit_gate_password")
        submitted = st.form_submit_button(t("gate.enter"))
    if submitted:
        # Locked if this session or this client address is: a new tab starts a new session, not
        # a new count.
        outcome, wait = try_password(attempt, config, throttle, session, client)
        if outcome == "locked":
            st.error(t("gate.locked", seconds=math.ceil(wait)))
        elif outcome == "ok":
            st.session_state[_AUTHENTICATED_KEY] = config.fingerprint
            browser_memory.remember_sign_in(config)
            st.rerun()  # draw the page without the form
        else:
            _LOG.warning("mrrkit gate: wrong password from %s", client)
            st.error(t("gate.wrong"))
    st.stop()


# --- OIDC: back to the deep link after signing in -------------------------------------------------
#
# The gate remembers where a browser stopped at sign-in was going and sends it there once it is
# signed in and allowed in (see server.browsers).

_XSRF_COOKIE = "_streamlit_xsrf"


def _current_browser_key() -> str | None:
    import streamlit as st

    try:
        return browser_key(st.context.cookies.get(_XSRF_COOKIE))
    except Exception:  # noqa: BLE001 - no client context (bare script, AppTest)
        return None


def _remember_target() -> None:
    """Note the page and query string this browser was opening when the gate stopped it."""
    import streamlit as st

    key = _current_browser_key()
    if key is None:
        return
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001
        url = None
    page = page_script(url)
    params = {k: list(st.query_params.get_all(k)) for k in st.query_params}
    if page is None or (page == "app.py" and not params):
        return
    browsers.remember_target(key, page, params)


def _return_to_target() -> None:
    """Once signed in, on the home page without parameters (where sign-in ends): go where the
    browser was going, once."""
    import streamlit as st

    key = _current_browser_key()
    if key is None or len(st.query_params):
        return
    try:
        if page_script(st.context.url) != "app.py":
            return
    except Exception:  # noqa: BLE001
        return
    target = browsers.take_target(key)
    if target:
        from .shell import PAGES  # "/" is the Overview's page file (app.py is the entry point)

        page = PAGES[0].path if target["page"] == "app.py" else target["page"]
        st.switch_page(page, query_params=target["params"])


def _require_oidc(config: AccessConfig) -> None:
    import streamlit as st

    user = st.user
    t = _texts()
    if not user.get("is_logged_in", False):
        _remember_target()
        st.title("mrrkit")
        st.caption(t("gate.protected_oidc"))
        for provider in config.providers:
            label = (
                t("gate.sign_in") if provider is None
                else t("gate.sign_in_with", provider=provider.title())
            )
            if st.button(label, key=f"_mrrkit_gate_login_{provider or 'default'}"):
                st.login(provider)  # None = the default [auth] provider
        st.stop()
    if not email_allowed(user.get("email"), config, verified=user.get("email_verified")):
        st.error(t("gate.not_allowed", account=user.get("email") or t("gate.this_account")))
        if st.button(t("gate.signout"), key="_mrrkit_gate_logout"):
            st.logout()
        st.stop()
    _return_to_target()


def logout_button(*, label: str = "Sign out") -> None:
    """A sign-out button (put it in the sidebar); draws nothing when the app is open."""
    import streamlit as st

    try:
        config = current_config()
    except ValueError:
        return
    from . import browser_memory

    # Signing out forgets what this browser keeps: its sign-in and its upload (a shared
    # computer's next user finds neither).
    if config.mode == "password" and st.session_state.get(_AUTHENTICATED_KEY):
        if st.button(label, key="_mrrkit_gate_signout"):
            browser_memory.forget_all(config)
            _forget_admitted()
            st.session_state.pop(_AUTHENTICATED_KEY, None)
            st.rerun()
    elif config.mode == "oidc" and st.user.get("is_logged_in", False):
        if st.button(label, key="_mrrkit_gate_signout"):
            browser_memory.forget_all()
            _forget_admitted()
            st.logout()


if __name__ == "__main__":
    raise SystemExit(access.main(prog="python -m ui.gate"))
