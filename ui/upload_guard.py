"""The upload guard: an ASGI middleware in front of Streamlit's server (``serve.py``).

Streamlit's upload endpoint, ``PUT /_stcore/upload_file/<session id>/<file id>``, only checks
that the session is connected (and the XSRF token): it takes any number of files under any
file id, whether or not the session drew a file uploader, so a visitor stopped at the password
gate could push files into the server's memory. And Streamlit frees a session's files only when
the session is shut down, which a session that lost its browser (a closed tab) never is: once
it is past ``server.disconnectedSessionTTL`` it can no longer be resumed, but its files stay
in memory for the life of the process (measured on Streamlit 1.67: 3 x 50 MB, unchanged 160 s
after the tab closed).

:class:`UploadGuard`, with only what Streamlit offers publicly (``st.App``'s middleware, the
upload endpoint's own DELETE, ``st.get_option``):

- refuses (403) an upload from a browser the gate has not let in (:func:`ui.gate.may_upload`,
  from the XSRF cookie every upload carries; always allowed without a gate);
- notes which session each accepted file belongs to and watches the sessions' websockets (the
  session id is in Streamlit's first message, ``new_session``); when a session has had no
  websocket for ``server.disconnectedSessionTTL`` plus a margin, it deletes the session's files
  through the endpoint's own DELETE, as the browser does when a file is removed;
- then lets Streamlit drop the session itself: its store of disconnected sessions forgets an
  expired one only when it stores another (a disconnection), so until then the session's state
  (its data, the uploader's copy of the file) stays in memory, on an idle server for good. The
  guard opens and closes one websocket of its own through the app (at most one every
  :data:`NUDGE_SECONDS`), which is such a disconnection, then has Python collect the freed
  objects and hand the memory back (:func:`ui.memory.give_back`).

``streamlit run app.py`` serves the app without it (fine on one's own machine); the Docker
image and the README's hosting instructions run ``streamlit run serve.py``. The gate logs a
warning when it guards a server started without it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

__all__ = ["UploadGuard", "installed"]

_LOG = logging.getLogger(__name__)

_UPLOAD_RE = re.compile(r"^(?P<base>.*)/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)$")
_STREAM_RE = re.compile(r"^.*/_stcore/stream$")
_XSRF_COOKIE = "_streamlit_xsrf"
#: Server messages read for the session id before giving up (``new_session`` comes first).
_MESSAGES_READ = 20
_MESSAGE_BYTES_READ = 1 << 20
def _margin() -> float:
    try:
        return max(0.0, float(os.environ.get("MRRKIT_UPLOAD_MARGIN_SECONDS", "15")))
    except ValueError:
        return 15.0


#: Seconds after Streamlit's own ``server.disconnectedSessionTTL`` before a session's files go
#: (``MRRKIT_UPLOAD_MARGIN_SECONDS``; default 15).
MARGIN_SECONDS = _margin()
#: At most one websocket of the guard's own (see the module) in this many seconds.
NUDGE_SECONDS = 30.0

_INSTALLED = False

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def installed() -> bool:
    """Whether this process serves the app through :class:`UploadGuard`."""
    return _INSTALLED


def _cookie(scope: Scope, name: str = _XSRF_COOKIE) -> str | None:
    """A cookie of a request, as the browser sent it.

    >>> _cookie({"headers": [(b"cookie", b"a=1; _streamlit_xsrf=2|ab|cd|17")]})
    '2|ab|cd|17'
    """
    for key, value in scope.get("headers", ()):
        if key.lower() == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed header: no cookie
                continue
            if name in jar:
                return jar[name].value
    return None


def _session_id(message: bytes) -> str | None:
    """The session id in a server message, if it is ``new_session``."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(message)
    except Exception:  # noqa: BLE001 - not ours to judge
        return None
    if msg.WhichOneof("type") != "new_session":
        return None
    return msg.new_session.initialize.session_id or None


def _disconnected_ttl() -> float:
    try:
        import streamlit as st

        return float(st.get_option("server.disconnectedSessionTTL"))
    except Exception:  # noqa: BLE001 - Streamlit's default
        return 120.0


@dataclass
class _Session:
    files: dict[str, str] = field(default_factory=dict)  # file id -> the upload's path
    cookie: str | None = None  # the XSRF cookie of its uploads (their DELETE needs it)
    sockets: int = 0
    closed_at: float | None = None
    stream: tuple[str, list] | None = None  # its websocket's path and Host header


class UploadGuard:
    """ASGI middleware: refuses uploads from browsers the gate has not let in, and frees the
    files of sessions that can no longer come back (see the module).

    Parameters
    ----------
    app
        The ASGI app behind (Streamlit's, through ``st.App(middleware=...)``).
    allowed
        ``allowed(xsrf_cookie) -> bool``; default :func:`ui.gate.may_upload`.
    ttl
        Seconds without a websocket after which a session's files are deleted; default
        Streamlit's ``server.disconnectedSessionTTL`` plus :data:`MARGIN_SECONDS`.
    """

    def __init__(self, app, *, allowed: Callable[[str | None], bool] | None = None,
                 ttl: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        global _INSTALLED
        _INSTALLED = True
        self.app = app
        self._allowed = allowed
        self._ttl = ttl
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self.refused = 0  # uploads refused so far (for the log and the tests)
        self.freed = 0  # files deleted after their session ended
        self.nudges = 0  # websockets of its own (see the module)
        self._last_nudge: float | None = None
        self._nudge_due = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http":
            found = _UPLOAD_RE.match(path)
            if found is not None:
                await self._upload(found, scope, receive, send)
                return
        elif scope["type"] == "websocket" and _STREAM_RE.match(path):
            await self._stream(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # --- uploads ---------------------------------------------------------------------------------

    def _may_upload(self, cookie: str | None) -> bool:
        if self._allowed is not None:
            return self._allowed(cookie)
        from .gate import may_upload

        return may_upload(cookie)

    async def _upload(self, found: re.Match, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "")
        session_id, file_id = found["session"], found["file"]
        cookie = _cookie(scope)
        if method == "PUT" and not self._may_upload(cookie):
            self.refused += 1
            _LOG.warning("upload refused: the browser has not passed the gate")
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Sign in first."})
            return
        status = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if not status or not 200 <= status[0] < 300:
            return
        if method == "PUT":
            session = self._sessions.setdefault(session_id, _Session())
            session.files[file_id] = scope["path"]
            session.cookie = cookie
        elif method == "DELETE" and session_id in self._sessions:
            self._sessions[session_id].files.pop(file_id, None)

    # --- sessions --------------------------------------------------------------------------------

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen: list[str] = []
        protocols = scope.get("subprotocols") or []
        host = [(k, v) for k, v in scope.get("headers", ()) if k.lower() == b"host"]
        stream = (scope.get("path", ""), host)
        if len(protocols) >= 3 and protocols[2]:  # a browser resuming its session
            self._opened(protocols[2], seen, stream)
        read = [0]

        async def watch(message: dict[str, Any]) -> None:
            if not seen and read[0] < _MESSAGES_READ and message["type"] == "websocket.send":
                data = message.get("bytes")
                if data and len(data) <= _MESSAGE_BYTES_READ:
                    read[0] += 1
                    session_id = _session_id(data)
                    if session_id:
                        self._opened(session_id, seen, stream)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            for session_id in seen:
                self._closed(session_id)

    def _opened(self, session_id: str, seen: list[str], stream: tuple[str, list]) -> None:
        session = self._sessions.setdefault(session_id, _Session())
        session.sockets += 1
        session.closed_at = None
        session.stream = stream
        seen.append(session_id)

    def _closed(self, session_id: str) -> None:
        session = self._sessions.get(session_id)
        if session is None:
            return
        session.sockets = max(0, session.sockets - 1)
        if session.sockets:
            return
        session.closed_at = self._clock()
        delay = self._ttl if self._ttl is not None else _disconnected_ttl() + MARGIN_SECONDS
        loop = asyncio.get_running_loop()
        loop.call_later(delay, lambda: loop.create_task(self._free(session_id, delay)))

    async def _free(self, session_id: str, delay: float) -> None:
        """Delete the files of a session gone for ``delay`` seconds (none if it came back), and
        let Streamlit forget the session."""
        session = self._sessions.get(session_id)
        if (session is None or session.sockets or session.closed_at is None
                or self._clock() - session.closed_at < delay - 1e-3):
            return
        del self._sessions[session_id]
        for file_id, path in list(session.files.items()):
            if await self._delete(path, session.cookie):
                self.freed += 1
        if session.files:
            _LOG.info("freed the %d uploaded file(s) of a session gone for %.0f s",
                      len(session.files), delay)
        if session.stream is not None:
            await self._nudge(*session.stream)

    async def _nudge(self, path: str, host: list) -> None:
        """Open and close a websocket of the guard's own through the app (see the module): at
        most one every :data:`NUDGE_SECONDS`, the later ones folded into one."""
        now, loop = self._clock(), asyncio.get_running_loop()
        if self._last_nudge is not None and now - self._last_nudge < NUDGE_SECONDS:
            if not self._nudge_due:
                self._nudge_due = True
                wait = NUDGE_SECONDS - (now - self._last_nudge)
                loop.call_later(wait, lambda: loop.create_task(self._nudge_now(path, host)))
            return
        await self._nudge_now(path, host)

    async def _nudge_now(self, path: str, host: list) -> None:
        self._nudge_due = False
        self._last_nudge = self._clock()
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "scheme": "ws", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": list(host), "subprotocols": [],
            "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0),
        }
        steps = iter([{"type": "websocket.connect"}])

        async def receive() -> dict[str, Any]:
            return next(steps, {"type": "websocket.disconnect", "code": 1000})

        async def send(message: dict[str, Any]) -> None:
            pass

        try:
            await self.app(scope, receive, send)
            self.nudges += 1
        except Exception:  # noqa: BLE001 - housekeeping: log it, never break the server
            _LOG.exception("closing the guard's own websocket failed")
        from .memory import give_back

        # A dropped Streamlit session's objects refer to each other: collect them, then hand
        # the memory back to the system.
        await asyncio.get_running_loop().run_in_executor(None, give_back, True)

    async def _delete(self, path: str, cookie: str | None) -> bool:
        """``DELETE path`` through the app behind, as the browser sends it (with its XSRF
        cookie and token): Streamlit drops the file from its memory."""
        headers = [(b"host", b"127.0.0.1")]
        if cookie:
            headers += [(b"cookie", f"{_XSRF_COOKIE}={cookie}".encode("latin-1")),
                        (b"x-xsrftoken", cookie.encode("latin-1"))]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "DELETE", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0),
        }
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        try:
            await self.app(scope, receive, send)
        except Exception:  # noqa: BLE001 - housekeeping: log it, never break the server
            _LOG.exception("deleting an abandoned upload failed")
            return False
        return bool(status) and 200 <= status[0] < 300
