"""ui.upload_guard.UploadGuard against a stand-in for Streamlit's server (an ASGI app that
records what reaches it): uploads refused before the gate, files noted per session, freed
through the endpoint's own DELETE once a session is gone for good, kept when it comes back.
tests/e2e/test_uploads.py runs the real server."""

from __future__ import annotations

import asyncio

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from server import browsers
from server.access import AccessConfig
from ui.gate import may_upload
from ui.upload_guard import UploadGuard

COOKIE = "2|0f0f0f0f|a0a0a0a0a0|1700000000"


class Streamlit:
    """What the guard forwards: requests (method, path, headers) and websockets that send the
    session's ``new_session`` message, then wait until told to close."""

    def __init__(self):
        self.requests = []
        self.close = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"], dict(scope["headers"])))
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if "test_session" not in scope:  # the guard's own websocket: connects, then is closed
            assert (await receive())["type"] == "websocket.connect"
            assert (await receive())["type"] == "websocket.disconnect"
            self.requests.append(("WEBSOCKET", scope["path"], dict(scope["headers"])))
            return
        session_id = scope["test_session"]
        msg = ForwardMsg()
        msg.new_session.initialize.session_id = session_id
        await send({"type": "websocket.send", "bytes": msg.SerializeToString()})
        self.close[session_id] = asyncio.Event()
        await self.close[session_id].wait()


def http(method, path, cookie=COOKIE):
    headers = [(b"cookie", f"other=1; _streamlit_xsrf={cookie}".encode())] if cookie else []
    return {"type": "http", "method": method, "path": path, "headers": headers}


async def call(guard, scope):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await guard(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def websocket(guard, session_id, resume=None):
    scope = {"type": "websocket", "path": "/_stcore/stream", "test_session": session_id,
             "headers": [(b"host", b"mrr.example")],
             "subprotocols": ["streamlit", "xsrf", resume] if resume else ["streamlit", "xsrf"]}

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        pass

    return asyncio.ensure_future(guard(scope, receive, send))


def test_uploads_before_the_gate_are_refused_and_never_reach_streamlit():
    async def scenario():
        inner = Streamlit()
        guard = UploadGuard(inner, allowed=lambda cookie: cookie == COOKIE)
        assert await call(guard, http("PUT", "/_stcore/upload_file/s1/f1", cookie=None)) == 403
        assert await call(guard, http("PUT", "/_stcore/upload_file/s1/f2", "2|00|11|1")) == 403
        assert inner.requests == [] and guard.refused == 2
        assert await call(guard, http("PUT", "/app/_stcore/upload_file/s1/f3")) == 204
        assert await call(guard, http("GET", "/_stcore/health", cookie=None)) == 204  # not ours
        return inner

    inner = asyncio.run(scenario())
    assert [(m, p) for m, p, _ in inner.requests] == [
        ("PUT", "/app/_stcore/upload_file/s1/f3"), ("GET", "/_stcore/health")]


def test_a_gone_sessions_files_are_deleted_as_the_browser_deletes_them():
    async def scenario():
        inner = Streamlit()
        guard = UploadGuard(inner, allowed=lambda cookie: True, ttl=0.3)
        socket = websocket(guard, "s1")
        other = websocket(guard, "s2")
        await asyncio.sleep(0.05)
        for file_id in ("f1", "f2", "f3"):
            assert await call(guard, http("PUT", f"/_stcore/upload_file/s1/{file_id}")) == 204
        assert await call(guard, http("DELETE", "/_stcore/upload_file/s1/f3")) == 204
        assert await call(guard, http("PUT", "/_stcore/upload_file/s2/g1")) == 204
        inner.requests.clear()
        inner.close["s1"].set()  # the tab is closed
        await socket
        await asyncio.sleep(0.15)
        assert inner.requests == []  # still resumable: nothing deleted yet
        await asyncio.sleep(0.35)
        deleted = [(m, p) for m, p, _ in inner.requests]
        headers = inner.requests[0][2]
        inner.close["s2"].set()
        await other
        return guard, deleted, headers

    guard, deleted, headers = asyncio.run(scenario())
    # f3 was deleted by the browser; then one websocket of the guard's own lets Streamlit's store
    # of disconnected sessions drop the expired one (it does so only when it stores another).
    assert deleted == [("DELETE", "/_stcore/upload_file/s1/f1"),
                       ("DELETE", "/_stcore/upload_file/s1/f2"),
                       ("WEBSOCKET", "/_stcore/stream")]
    assert guard.nudges == 1
    assert headers[b"x-xsrftoken"] == COOKIE.encode()  # what Streamlit's XSRF check needs
    assert f"_streamlit_xsrf={COOKIE}".encode() in headers[b"cookie"]
    assert guard.freed == 2


def test_a_session_that_comes_back_keeps_its_files():
    async def scenario():
        inner = Streamlit()
        guard = UploadGuard(inner, allowed=lambda cookie: True, ttl=0.3)
        socket = websocket(guard, "s1")
        await asyncio.sleep(0.05)
        assert await call(guard, http("PUT", "/_stcore/upload_file/s1/f1")) == 204
        inner.requests.clear()
        inner.close["s1"].set()
        await socket
        await asyncio.sleep(0.1)
        again = websocket(guard, "s1", resume="s1")  # a reconnection within the TTL
        await asyncio.sleep(0.5)
        kept = list(inner.requests)
        inner.close["s1"].set()
        await again
        await asyncio.sleep(0.5)
        return kept, [(m, p) for m, p, _ in inner.requests]

    kept, later = asyncio.run(scenario())
    assert kept == []
    assert later == [("DELETE", "/_stcore/upload_file/s1/f1"),  # gone for good the second time
                     ("WEBSOCKET", "/_stcore/stream")]


def test_may_upload_asks_the_gate_about_the_browser(monkeypatch, fresh_gate):
    config = AccessConfig("password", password="pw")
    assert may_upload(None, AccessConfig("open"))  # no gate: nothing to refuse
    assert not may_upload(COOKIE, config) and not may_upload(None, config)
    browsers.admit(browsers.browser_key(COOKIE), config.fingerprint)
    assert may_upload(COOKIE, config)
    # The same browser key under another mask of Streamlit's cookie (a new page load).
    assert may_upload("2|ffffffff|5050505050|1700000300", config)
    assert not may_upload(COOKIE, AccessConfig("password", password="changed"))
    monkeypatch.setenv("MRRKIT_PASSWORD", "")  # misconfigured: closed
    assert not may_upload(COOKIE)
