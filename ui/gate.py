"""Access control for the hosted app: a shared password or OIDC sign-in, or nothing at all.

Every page calls :func:`require_access` before it reads any data, so a page opened directly by
its URL on a fresh server shows the gate too. A browser that typed the password lately is let in
without it (a reload, a new tab; see :mod:`ui.browser_memory`), and "Sign out" forgets that. What
is enforced depends on the configuration:

1. **OIDC** (``st.login``): when ``.streamlit/secrets.toml`` has an ``[auth]`` section with
   ``redirect_uri``, ``cookie_secret`` and a provider (``client_id`` at the top of ``[auth]`` or
   an ``[auth.<name>]`` subsection). Optional ``allowed_emails`` / ``allowed_domains`` lists in
   ``[auth]`` restrict who may enter (a generic provider such as Google admits any account).
2. **Password**: ``[auth] password`` or ``[auth] password_hash`` in the secrets, else the
   environment variables ``MRRKIT_PASSWORD`` or ``MRRKIT_PASSWORD_HASH``. The hash form is
   ``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``; make one with
   ``python -m ui.gate hash``.
3. **Nothing configured**: open local use, the gate returns at once.

A configuration that is present but unusable (an empty password, a malformed hash) closes the
app with an error instead of opening it: the data behind it is confidential.

The pure helpers (:func:`resolve_config`, :func:`check_password`, :func:`hash_password`,
:func:`email_allowed`, :class:`Throttle`) never call Streamlit, so they are unit-tested directly.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "AccessConfig",
    "Throttle",
    "check_password",
    "current_config",
    "email_allowed",
    "hash_password",
    "browser_key",
    "logout_button",
    "may_upload",
    "page_script",
    "require_access",
    "resolve_config",
    "try_password",
]

_LOG = logging.getLogger(__name__)

HASH_SCHEME = "pbkdf2_sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256; the count is stored in the hash, so older hashes
# keep working if this changes.
DEFAULT_ITERATIONS = 600_000

_AUTHENTICATED_KEY = "_mrrkit_gate_authenticated"
_THROTTLE_KEY = "_mrrkit_gate_throttle"


@dataclass(frozen=True)
class AccessConfig:
    """What the gate enforces.

    Attributes
    ----------
    mode : {"open", "password", "oidc"}
    password : str or None
        The plain shared password (password mode, plain form).
    password_hash : str or None
        ``pbkdf2_sha256$<iterations>$<salt>$<hex>`` (password mode, hash form).
    providers : tuple of str
        OIDC provider names to offer; ``None`` inside means the default ``[auth]`` provider.
    allowed_emails, allowed_domains : frozenset of str
        OIDC allow-list (lower case); both empty = any signed-in account.
    source : str
        Where the configuration came from, for messages (never the secret itself).
    """

    mode: Literal["open", "password", "oidc"]
    password: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    providers: tuple[str | None, ...] = ()
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    source: str = ""

    @property
    def fingerprint(self) -> str:
        """A digest identifying the credential, so a session admitted under an old password is
        asked again after the password changes. Never reveals the password."""
        material = f"{self.mode}\0{self.password or ''}\0{self.password_hash or ''}"
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _normalise(password: str) -> bytes:
    # NFC so the same password typed on different keyboards/OSes compares equal.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _parse_hash(encoded: str) -> tuple[int, str, bytes]:
    parts = encoded.strip().split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        raise ValueError(
            f"password hash must look like '{HASH_SCHEME}$<iterations>$<salt>$<hex digest>' "
            "(make one with `python -m ui.gate hash`)"
        )
    _, iterations_text, salt, digest_hex = parts
    try:
        iterations = int(iterations_text)
        digest = bytes.fromhex(digest_hex)
    except ValueError:
        raise ValueError(
            "password hash: iterations must be an integer and the digest hex"
        ) from None
    if iterations < 1 or not salt or len(digest) != 32:
        raise ValueError("password hash: needs iterations >= 1, a salt and a 32-byte digest")
    return iterations, salt, digest


def hash_password(
    password: str, *, salt: str | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """Encode a password as ``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``.

    Parameters
    ----------
    password : str
        The shared password (must not be empty).
    salt : str, optional
        Defaults to 16 random bytes (URL-safe text); pass one only for reproducible examples.
    iterations : int
        PBKDF2 iterations.

    Examples
    --------
    >>> encoded = hash_password("s3cret", salt="NaCl", iterations=1000)
    >>> encoded.split("$")[:3]
    ['pbkdf2_sha256', '1000', 'NaCl']
    >>> check_password("s3cret", AccessConfig("password", password_hash=encoded))
    True
    """
    if not password:
        raise ValueError("password must not be empty")
    if salt is None:
        salt = secrets.token_urlsafe(16)
    if "$" in salt or not salt:
        raise ValueError("salt must be non-empty and must not contain '$'")
    digest = hashlib.pbkdf2_hmac("sha256", _normalise(password), salt.encode("utf-8"), iterations)
    return f"{HASH_SCHEME}${iterations}${salt}${digest.hex()}"


def check_password(attempt: str, config: AccessConfig) -> bool:
    """Whether ``attempt`` is the configured password, compared in constant time.

    Plain passwords are compared through their SHA-256 digests with :func:`hmac.compare_digest`,
    so neither the content nor the length of the secret leaks through timing.

    Examples
    --------
    >>> config = AccessConfig("password", password="open sesame")
    >>> check_password("open sesame", config), check_password("open", config)
    (True, False)
    """
    if config.mode != "password":
        raise ValueError(f"check_password needs a password configuration, not {config.mode!r}")
    if not isinstance(attempt, str):
        return False
    if config.password_hash is not None:
        iterations, salt, expected = _parse_hash(config.password_hash)
        got = hashlib.pbkdf2_hmac("sha256", _normalise(attempt), salt.encode("utf-8"), iterations)
        return hmac.compare_digest(got, expected)
    if config.password is None:
        raise ValueError("password configuration without a password or a hash")
    return hmac.compare_digest(
        hashlib.sha256(_normalise(attempt)).digest(),
        hashlib.sha256(_normalise(config.password)).digest(),
    )


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text_list(value: Any, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"[auth] {name} must be a list of strings")
    return frozenset(v.strip().lower().lstrip("@") for v in value if v.strip())


def _password_from(section: Mapping[str, Any], plain_key: str, hash_key: str, where: str):
    plain, hashed = section.get(plain_key), section.get(hash_key)
    if plain is not None and hashed is not None:
        raise ValueError(f"{where}: set either {plain_key} or {hash_key}, not both")
    if plain is not None:
        if not isinstance(plain, str) or not plain:
            raise ValueError(f"{where}: {plain_key} is set but empty")
        return AccessConfig("password", password=plain, source=f"{where} {plain_key}")
    if hashed is not None:
        if not isinstance(hashed, str):
            raise ValueError(f"{where}: {hash_key} must be text")
        _parse_hash(hashed)  # fail at start-up, not at the first login
        return AccessConfig("password", password_hash=hashed.strip(), source=f"{where} {hash_key}")
    return None


def resolve_config(secrets: Mapping[str, Any] | None, environ: Mapping[str, str]) -> AccessConfig:
    """Decide what the gate enforces from the Streamlit secrets and the environment.

    Precedence: OIDC in ``[auth]`` > password in ``[auth]`` > ``MRRKIT_PASSWORD`` /
    ``MRRKIT_PASSWORD_HASH`` > open. Raises ``ValueError`` for a configuration that is present
    but unusable, so the caller can fail closed.

    Examples
    --------
    >>> resolve_config({}, {}).mode
    'open'
    >>> resolve_config({}, {"MRRKIT_PASSWORD": "pw"}).mode
    'password'
    >>> oidc = {"auth": {"redirect_uri": "https://x.example/oauth2callback",
    ...                  "cookie_secret": "c" * 32, "client_id": "id", "client_secret": "s",
    ...                  "server_metadata_url": "https://idp.example/.well-known/openid",
    ...                  "allowed_domains": ["example.com"]}}
    >>> cfg = resolve_config(oidc, {"MRRKIT_PASSWORD": "pw"})
    >>> cfg.mode, cfg.providers, sorted(cfg.allowed_domains)
    ('oidc', (None,), ['example.com'])
    """
    auth = _as_mapping((secrets or {}).get("auth"))
    if auth.get("redirect_uri") and auth.get("cookie_secret"):
        providers: list[str | None] = []
        if auth.get("client_id"):
            providers.append(None)  # the default provider: st.login() with no argument
        providers += sorted(
            name for name, sub in auth.items() if isinstance(sub, Mapping) and sub.get("client_id")
        )
        if providers:
            if _password_from(auth, "password", "password_hash", "[auth]") is not None:
                _LOG.warning("mrrkit gate: OIDC is configured, so [auth] password is ignored")
            return AccessConfig(
                "oidc",
                providers=tuple(providers),
                allowed_emails=_text_list(auth.get("allowed_emails"), "allowed_emails"),
                allowed_domains=_text_list(auth.get("allowed_domains"), "allowed_domains"),
                source="[auth] OIDC",
            )
    from_secrets = _password_from(auth, "password", "password_hash", "[auth]")
    if from_secrets is not None:
        return from_secrets
    from_env = _password_from(environ, "MRRKIT_PASSWORD", "MRRKIT_PASSWORD_HASH", "environment")
    if from_env is not None:
        return from_env
    return AccessConfig("open", source="no access control configured")


def email_allowed(email: str | None, config: AccessConfig, *, verified: bool | None = None) -> bool:
    """Whether a signed-in OIDC user may enter.

    No allow-list = anyone the provider signs in. With a list, the e-mail must match exactly or
    by domain, and a provider that says the address is unverified is refused.

    Examples
    --------
    >>> cfg = AccessConfig("oidc", providers=(None,), allowed_domains=frozenset({"acme.com"}))
    >>> email_allowed("Ann@ACME.com", cfg), email_allowed("eve@evil.com", cfg)
    (True, False)
    >>> email_allowed("ann@acme.com", cfg, verified=False)
    False
    """
    if not config.allowed_emails and not config.allowed_domains:
        return True
    if not email or verified is False:
        return False
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    return email in config.allowed_emails or domain in config.allowed_domains


@dataclass(frozen=True)
class Throttle:
    """Slows down password guessing.

    ``free_attempts`` wrong passwords are checked without delay; the last of them locks the form
    for ``base_delay`` seconds, and each wrong password after a lock doubles it, up to
    ``max_delay``. Failures older than ``forget_after`` seconds are forgotten. State lives in a
    plain mutable mapping (one per session in ``st.session_state``, and one per client address
    shared by every session of the server, so opening a new tab does not reset the count); time
    comes from ``clock``.

    Examples
    --------
    >>> now = [0.0]
    >>> throttle, state = Throttle(free_attempts=2, base_delay=10, clock=lambda: now[0]), {}
    >>> throttle.record_failure(state)
    >>> throttle.wait_seconds(state)
    0.0
    >>> throttle.record_failure(state)
    >>> throttle.wait_seconds(state)
    10.0
    >>> now[0] = 10.0
    >>> throttle.wait_seconds(state)
    0.0
    """

    free_attempts: int = 5
    base_delay: float = 30.0
    max_delay: float = 15 * 60.0
    forget_after: float = 3600.0
    clock: Callable[[], float] = time.monotonic

    def wait_seconds(self, state: Mapping[str, Any]) -> float:
        """Seconds until the next attempt is allowed (0 = now)."""
        return max(0.0, float(state.get("locked_until", 0.0)) - self.clock())

    def record_failure(self, state: MutableMapping[str, Any]) -> None:
        """Count a wrong password and lock the form if the free attempts are used up."""
        now = self.clock()
        if now - float(state.get("last", now)) > self.forget_after:
            self.reset(state)
        failures = int(state.get("failures", 0)) + 1
        state["failures"] = failures
        state["last"] = now
        beyond = failures - self.free_attempts + 1  # 1 at the last free attempt
        if beyond > 0:
            delay = min(self.max_delay, self.base_delay * 2.0 ** min(beyond - 1, 30))
            state["locked_until"] = now + delay

    @staticmethod
    def reset(state: MutableMapping[str, Any]) -> None:
        """Forget the failures (after a right password)."""
        for key in ("failures", "locked_until", "last"):
            state.pop(key, None)


class _SharedStates:
    """Small mutable states shared by every session of this server process, by key (a client
    address, a browser), with a lock and a cap on their number (the oldest go first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._limit = limit

    def update(self, key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Run ``change(state)`` on the state of ``key`` (created empty) under the lock."""
        with self._lock:
            state = self._states.pop(key, None) or {}
            try:
                return change(state)
            finally:
                if state:
                    self._states[key] = state
                    while len(self._states) > self._limit:
                        self._states.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


class _KeyedLocks:
    """One lock per key (a client address), created when first asked for; at most ``limit``
    kept (the least recently asked for and free go first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._locks: OrderedDict[str, threading.Lock] = OrderedDict()
        self._limit = limit

    def get(self, key: str) -> threading.Lock:
        with self._lock:
            lock = self._locks.pop(key, None) or threading.Lock()
            self._locks[key] = lock
            if len(self._locks) > self._limit:
                for old in list(self._locks)[: len(self._locks) - self._limit]:
                    if not self._locks[old].locked():
                        del self._locks[old]
            return lock


#: Wrong passwords per client address (all sessions of the process).
_CLIENT_FAILURES = _SharedStates()
#: One password check at a time per client address (see :func:`try_password`).
_CLIENT_CHECKS = _KeyedLocks()
#: How long an attempt waits for the checks of the same address before it is refused.
_CHECK_QUEUE_SECONDS = 10.0


def try_password(
    attempt: str,
    config: AccessConfig,
    throttle: Throttle,
    session: MutableMapping[str, Any],
    client: str,
    *,
    failures: _SharedStates | None = None,
    checks: _KeyedLocks | None = None,
) -> tuple[Literal["ok", "wrong", "locked"], float]:
    """Check a password typed at the gate against the lock-outs of its session (``session``,
    the session's throttle state) and of its client address (``client``), and record a wrong
    one in both: ``("ok", 0)``, ``("wrong", 0)`` or ``("locked", seconds to wait)``.

    The attempts of one client address are taken one at a time: an attempt looks at the
    lock-out only once the one before it has been checked (PBKDF2 takes ~0.25 s) and its failure
    recorded, so a burst of simultaneous guesses from many sessions gets exactly as many checks
    as the free attempts, the others being refused as locked. ``failures`` and ``checks`` default
    to the process-wide ones (tests pass their own).

    Examples
    --------
    >>> cfg, throttle = AccessConfig("password", password="pw"), Throttle(free_attempts=2)
    >>> session, failures = {}, _SharedStates()
    >>> [try_password(guess, cfg, throttle, session, "1.2.3.4", failures=failures)[0]
    ...  for guess in ("a", "b", "pw")]
    ['wrong', 'wrong', 'locked']
    """
    failures = _CLIENT_FAILURES if failures is None else failures
    lock = (_CLIENT_CHECKS if checks is None else checks).get(client)
    if not lock.acquire(timeout=_CHECK_QUEUE_SECONDS):
        return "locked", _CHECK_QUEUE_SECONDS  # a queue of checks this long: a flood, refuse
    try:
        wait = max(throttle.wait_seconds(session), failures.update(client, throttle.wait_seconds))
        if wait > 0:
            return "locked", wait
        if check_password(attempt or "", config):
            throttle.reset(session)
            return "ok", 0.0
        throttle.record_failure(session)
        failures.update(client, throttle.record_failure)
        return "wrong", 0.0
    finally:
        lock.release()
#: Where a visitor stopped by the OIDC gate was going, per browser (see ``_remember_target``).
_RETURN_TARGETS = _SharedStates(limit=1_000)
_RETURN_TTL = 15 * 60.0


# --- Streamlit glue ----------------------------------------------------------------------------


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
# Streamlit's upload endpoint (PUT /_stcore/upload_file/<session id>/<file id>) takes a file for
# any live session, whatever its script drew: a visitor stopped at the gate could fill the
# server's memory. ui.upload_guard refuses those requests unless may_upload() says the browser
# (its XSRF cookie, sent with every upload) was let in by the gate lately.

#: Browsers let in lately: browser key -> the credential's fingerprint and until when.
_ADMITTED = _SharedStates()
#: How long a browser may upload after its last page run past the gate.
ADMITTED_SECONDS = 12 * 3600.0
_UNGUARDED_WARNED = False


def _admit_browser(config: AccessConfig) -> None:
    global _UNGUARDED_WARNED
    from . import upload_guard

    if not upload_guard.installed() and not _UNGUARDED_WARNED:
        _UNGUARDED_WARNED = True
        _LOG.warning("mrrkit gate: uploads are not guarded (Streamlit takes files from visitors "
                     "who have not passed the gate): serve the app with `streamlit run serve.py`")
    key = _current_browser_key()
    if key is None:
        return
    until = time.monotonic() + ADMITTED_SECONDS

    def admit(state: dict[str, Any]) -> None:
        state.update(fingerprint=config.fingerprint, until=until)

    _ADMITTED.update(key, admit)


def _forget_admitted() -> None:
    key = _current_browser_key()
    if key is not None:
        _ADMITTED.update(key, dict.clear)


def may_upload(cookie: str | None, config: AccessConfig | None = None) -> bool:
    """Whether a request carrying Streamlit's XSRF cookie ``cookie`` may upload a file: always
    without a gate; behind one, only from a browser that a page let in within
    :data:`ADMITTED_SECONDS`, under the credential in force (a misconfigured gate: never).

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
    key = browser_key(cookie)
    if key is None:
        return False

    def check(state: dict[str, Any]) -> bool:
        if (state.get("fingerprint") == config.fingerprint
                and state.get("until", 0) > time.monotonic()):
            return True
        state.clear()
        return False

    return bool(_ADMITTED.update(key, check))


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
# Streamlit's sign-in ends on the app's home page, without the page and the query string the
# visitor opened (a shared ?view= link, say). The gate remembers them for the browser, keyed by
# the secret inside Streamlit's XSRF cookie (the same cookie before and after the trip to the
# identity provider, and known only to that browser), and sends the browser there once it is
# signed in and allowed in.

_XSRF_COOKIE = "_streamlit_xsrf"


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


def _current_browser_key() -> str | None:
    import streamlit as st

    try:
        return browser_key(st.context.cookies.get(_XSRF_COOKIE))
    except Exception:  # noqa: BLE001 - no client context (bare script, AppTest)
        return None


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
    deadline = time.monotonic() + _RETURN_TTL

    def remember(state: dict[str, Any]) -> None:
        state.update(page=page, params=params, until=deadline)

    _RETURN_TARGETS.update(key, remember)


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

    def take(state: dict[str, Any]) -> dict[str, Any] | None:
        target = dict(state)
        state.clear()
        return target if target and target["until"] > time.monotonic() else None

    target = _RETURN_TARGETS.update(key, take)
    if target:
        st.switch_page(target["page"], query_params=target["params"])


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


def _main(argv: list[str] | None = None) -> int:
    import argparse
    import getpass

    parser = argparse.ArgumentParser(prog="python -m ui.gate")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("hash", help="print a password hash for MRRKIT_PASSWORD_HASH / password_hash")
    parser.parse_args(argv)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        print("The two passwords differ.")
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
