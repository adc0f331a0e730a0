"""What the server remembers about a browser between its sessions, keyed by a digest of the
token in Streamlit's XSRF cookie (:func:`browser_key`; the cookie is the same before and after a
reload, a new tab or a trip to an identity provider, and known only to that browser):

- **admitted**: the access gate let it in lately, under which credential. Streamlit's upload
  endpoint (``PUT /_stcore/upload_file/<session id>/<file id>``) takes a file for any live
  session, whatever its script drew, so a visitor stopped at the gate could fill the server's
  memory: :mod:`ui.upload_guard` refuses uploads from browsers not :func:`admitted`.
- **return target**: the page and query string it was opening when the OIDC sign-in stopped it.
  Streamlit's sign-in ends on the app's home page, without them (a shared ``?view=`` link, say);
  the gate sends the browser there once it is signed in and allowed in (:func:`take_target`).

Both live in this server process (:class:`server.shared_states.SharedStates`), for every session.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any

from .shared_states import SharedStates

__all__ = [
    "ADMITTED_SECONDS",
    "admit",
    "admitted",
    "browser_key",
    "forget",
    "page_script",
    "remember_target",
    "take_target",
]

#: Browsers let in lately: browser key -> the credential's fingerprint and until when.
_ADMITTED = SharedStates()
#: How long a browser may upload after its last page run past the gate.
ADMITTED_SECONDS = 12 * 3600.0
#: Where a visitor stopped by the OIDC gate was going, per browser (see :func:`remember_target`).
_RETURN_TARGETS = SharedStates(limit=1_000)
_RETURN_TTL = 15 * 60.0


def browser_key(cookie: str | None) -> str | None:
    """A digest of the token inside Streamlit's XSRF cookie (``2|mask|masked|time``, the
    token masked by XOR; the mask changes from page load to page load, the token does not), or
    ``None`` when there is no such cookie. The mask is applied cyclically (4 bytes in Streamlit).

    Examples
    --------
    >>> a = browser_key("2|0f0f0f0f|a0a0a0a0a0|1700000000")   # token af af af af af
    >>> b = browser_key("2|ffffffff|5050505050|1700000300")   # the same under another mask
    >>> a == b, a == browser_key("2|0f0f0f0f|a0a0a0a0a1|1700000000")
    (True, False)
    >>> browser_key(None), browser_key("x"), browser_key("2|zz|00|1")
    (None, None, None)
    """
    if not isinstance(cookie, str) or not cookie:
        return None
    parts = cookie.strip("\"'").split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            if not mask or not masked:
                return None
            token = bytes(m ^ mask[i % len(mask)] for i, m in enumerate(masked))
        else:
            return None
    except ValueError:
        return None
    return hashlib.sha256(b"mrrkit-return\0" + token).hexdigest()


_PAGE_NAME_RE = re.compile(r"^[0-9]*[_ -]*")


def page_script(url: str | None, root: Path | None = None) -> str | None:
    """The page file (relative to the app's root) a browser URL opens, ``"app.py"`` for the home
    page, or ``None`` when the URL names no page of the app. Streamlit names a page after its
    file, without the leading number: ``pages/3_Segments.py`` is ``/Segments``.

    Examples
    --------
    >>> page_script("https://mrr.example/Segments"), page_script("http://127.0.0.1:8501/")
    ('pages/3_Segments.py', 'app.py')
    >>> page_script("https://mrr.example/app/Nope") is None
    True
    """
    from urllib.parse import urlsplit

    root = root or Path(__file__).resolve().parents[1]
    path = urlsplit(url or "").path.rstrip("/")
    name = path.rsplit("/", 1)[-1] if path else ""
    if not name:
        return "app.py"
    for script in sorted((root / "pages").glob("*.py")):
        if _PAGE_NAME_RE.sub("", script.stem).replace(" ", "_") == name:
            return f"pages/{script.name}"
    return None



def admit(key: str, fingerprint: str) -> None:
    """Note that the gate let the browser ``key`` in, under the credential ``fingerprint``
    (:attr:`server.access.AccessConfig.fingerprint`), for :data:`ADMITTED_SECONDS` from now."""
    until = time.monotonic() + ADMITTED_SECONDS

    def note(state: dict[str, Any]) -> None:
        state.update(fingerprint=fingerprint, until=until)

    _ADMITTED.update(key, note)


def forget(key: str) -> None:
    """Forget that the browser ``key`` was let in (it signed out)."""
    _ADMITTED.update(key, dict.clear)


def admitted(key: str | None, fingerprint: str) -> bool:
    """Whether the browser ``key`` was let in within :data:`ADMITTED_SECONDS` under the
    credential ``fingerprint`` (an admission under another one is forgotten).

    Examples
    --------
    >>> key = browser_key("2|0f0f0f0f|a0a0a0a0a0|1700000000")
    >>> admitted(key, "password one")
    False
    >>> admit(key, "password one")
    >>> admitted(key, "password one"), admitted(key, "password two"), admitted(key, "password one")
    (True, False, False)
    >>> admitted(None, "password one")
    False
    """
    if key is None:
        return False

    def check(state: dict[str, Any]) -> bool:
        if state.get("fingerprint") == fingerprint and state.get("until", 0) > time.monotonic():
            return True
        state.clear()
        return False

    return bool(_ADMITTED.update(key, check))


def remember_target(key: str, page: str, params: dict[str, list[str]]) -> None:
    """Note that the browser ``key`` was opening ``page`` (a :func:`page_script`) with the query
    ``params`` when the gate stopped it; kept for 15 minutes."""
    deadline = time.monotonic() + _RETURN_TTL

    def remember(state: dict[str, Any]) -> None:
        state.update(page=page, params=params, until=deadline)

    _RETURN_TARGETS.update(key, remember)


def take_target(key: str) -> dict[str, Any] | None:
    """Where the browser ``key`` was going (``{"page": ..., "params": ...}``), once: the target is
    forgotten as it is taken; ``None`` when there is none or it is too old.

    Examples
    --------
    >>> remember_target("browser-1", "pages/3_Segments.py", {"view": ["abc"]})
    >>> target = take_target("browser-1")
    >>> target["page"], target["params"], take_target("browser-1")
    ('pages/3_Segments.py', {'view': ['abc']}, None)
    """

    def take(state: dict[str, Any]) -> dict[str, Any] | None:
        target = dict(state)
        state.clear()
        return target if target and target["until"] > time.monotonic() else None

    return _RETURN_TARGETS.update(key, take)
