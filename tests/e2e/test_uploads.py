"""Uploads and server memory against the real server (issue 12, items 3 and 5), driven as an
attacker would: Streamlit's own websocket and upload endpoint, no browser, plus one browser for
the signed-in path.

- Streamlit 1.67's ``PUT /_stcore/upload_file/<session>/<file>`` takes any file id for any
  connected session, whatever the script drew: behind the password gate, ``serve.py``
  (ui.upload_guard) refuses them (403) until the browser has passed the gate, and the server's
  memory does not move; a browser let in uploads as before, and is refused again after Sign out.
- A session's uploaded files stay in Streamlit's memory after its tab is gone; through
  ``serve.py`` they leave once the session can no longer be resumed.
- Before sign-in the websocket carries the gate and nothing of the data (what the attacker
  found good), for every page and with a shared link.
- Sessions one after another do not pile up memory (the attacker measured 23 MB for 100).

The server's memory is its resident set (``/proc/<pid>/status``), read by the test.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests._browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    STEP_MS,
    free_port,
    new_page,
    no_exception,
    playwright,
    sidebar_link,
    start_server,
    stop_server,
    wait_healthy,
)

PASSWORD = "upload guard secret"
TTL = 5  # server.disconnectedSessionTTL of the servers here: a closed tab's session, resumable
MARGIN = 3  # their MRRKIT_UPLOAD_MARGIN_SECONDS: the files go TTL + MARGIN s after the tab
MB = 1024 * 1024
STRIPE = ROOT / "tests" / "fixtures" / "exports" / "stripe_subscriptions.csv"

pytestmark = pytest.mark.e2e


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """serve.py behind a password, and serve.py open (no gate), both with a short
    disconnectedSessionTTL."""
    pytest.importorskip("websockets")
    tmp = tmp_path_factory.mktemp("uploads")
    ports = {"gated": free_port()}
    ports["open"] = free_port({ports["gated"]})
    procs = {}
    try:
        for name, port in ports.items():
            procs[name] = start_server(
                port, tmp / "views", tmp / f"{name}.log", PASSWORD if name == "gated" else None,
                script="serve.py", options=("--server.disconnectedSessionTTL", str(TTL)),
                environ={"MRRKIT_UPLOAD_MARGIN_SECONDS": str(MARGIN)},
            )
        for name, port in ports.items():
            wait_healthy(port, procs[name], tmp / f"{name}.log")
        yield {name: (port, procs[name]) for name, port in ports.items()} | {"tmp": tmp}
    finally:
        for proc in procs.values():
            stop_server(proc)


# --- a client without a browser ------------------------------------------------------------------


async def xsrf_cookie(client) -> str:
    await client.get("/_stcore/health")  # Streamlit sets its XSRF cookie here
    return client.cookies.get("_streamlit_xsrf")


async def open_session(port: int, cookie: str, query: str = "", page: str = ""):
    """A websocket session as the browser opens it; returns it, its id and the server's messages
    of the first run (until script_finished)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit", cookie],
        origin=f"http://127.0.0.1:{port}", max_size=None,
        additional_headers={"Cookie": f"_streamlit_xsrf={cookie}"},
    )
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    await ws.send(msg.SerializeToString())
    session_id, frames = None, []
    deadline = time.monotonic() + STEP_MS / 1000
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(ws.recv(), timeout=STEP_MS / 1000)
        frames.append(raw)
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            session_id = fm.new_session.initialize.session_id
        elif kind == "script_finished":
            return ws, session_id, frames
    raise AssertionError("the run did not finish")


async def put_file(client, session_id: str, cookie: str, data: bytes, file_id: str):
    return await client.put(f"/_stcore/upload_file/{session_id}/{file_id}",
                            files={"file": ("export.csv", data, "text/csv")},
                            headers={"X-Xsrftoken": cookie})


def run(coroutine):
    """Run the client in a thread of its own: Playwright's sync API holds this thread's loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def settle(pid: int, seconds: float = 2.0) -> float:
    time.sleep(seconds)
    return rss_mb(pid)


# --- item 3: the gate covers the upload endpoint --------------------------------------------------


def test_a_visitor_stopped_at_the_gate_cannot_upload(servers):
    """The attacker's four 150 MB uploads took the server from 253 MB to 855 MB before signing
    in. Through serve.py every such upload is refused and the memory does not move."""
    import httpx

    port, proc = servers["gated"]

    async def attack():
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            cookie = await xsrf_cookie(client)
            ws, session_id, frames = await open_session(port, cookie)
            assert session_id and b"This app is protected" in b"".join(frames)  # at the gate
            before = settle(proc.pid)
            blob = b"customer_id,start,mrr\n" + b"x" * (40 * MB)
            statuses = [(await put_file(client, session_id, cookie, blob, f"f{i}")).status_code
                        for i in range(4)]
            after = settle(proc.pid)
            await ws.close()
            return statuses, before, after

    statuses, before, after = run(attack())
    assert statuses == [403] * 4
    assert after - before < 40, (before, after)  # not one of the 40 MB files is held


def test_a_signed_in_browser_uploads_and_is_refused_again_after_sign_out(servers):
    """The guard asks the gate about the browser (its XSRF cookie): the Data page's uploader works
    once signed in; the same browser's upload is refused after Sign out."""
    import httpx

    port, _ = servers["gated"]
    base = f"http://127.0.0.1:{port}/"
    sync_playwright = playwright()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                     timeout=STEP_MS)
        try:
            context, page, runs = new_page(browser)
            page.goto(base)
            page.locator('input[type="password"]').fill(PASSWORD)
            runs.click(page.get_by_role("button", name="Enter"))
            sidebar_link(page, "Data").click()
            page.get_by_text("Every page shows the bundled sample.").wait_for()
            page.locator('[data-testid="stFileUploader"] input[type="file"]').first \
                .set_input_files(STRIPE)
            page.get_by_text("Detected format: Stripe subscriptions export").wait_for()
            no_exception(page)
            cookie = next(c["value"] for c in context.cookies() if c["name"] == "_streamlit_xsrf")

            async def put_as_this_browser():
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                    client.cookies.set("_streamlit_xsrf", cookie)
                    ws, session_id, _ = await open_session(port, cookie)
                    status = (await put_file(client, session_id, cookie, b"a,b\n1,2\n", "x"))
                    await ws.close()
                    return status.status_code

            assert run(put_as_this_browser()) == 204
            runs.click(page.locator('[data-testid="stSidebar"]').get_by_role(
                "button", name="Sign out"))
            page.locator('input[type="password"]').wait_for()
            assert run(put_as_this_browser()) == 403
            context.close()
        finally:
            browser.close()


def test_before_sign_in_the_websocket_carries_the_gate_and_no_data(servers):
    """What the attacker found good, kept: for every page, with or without a shared link, the
    server's messages before sign-in hold the gate's words and nothing of the data."""
    import httpx

    port, _ = servers["gated"]
    pages = ["", *sorted(p.stem.split("_", 1)[1] for p in (ROOT / "pages").glob("*.py"))]
    sample = (ROOT / "data" / "sample_subscriptions.csv").read_text().splitlines()[1]
    data_words = [sample.split(",")[0], "Growth monthly", "Real estate", "MRR"]

    async def look():
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            cookie = await xsrf_cookie(client)
            seen = {}
            for name in pages:
                ws, _, frames = await open_session(port, cookie, f"view={'A' * 43}", name)
                await ws.close()
                seen[name] = b"".join(frames)
            return seen

    for name, blob in run(look()).items():
        assert b"This app is protected" in blob, name
        for word in data_words:
            assert word.encode() not in blob, (name, word)


# --- item 3 and 5: a session's files leave with it -----------------------------------------------


def test_a_gone_sessions_uploads_leave_the_servers_memory(servers):
    """Streamlit keeps a closed tab's session for disconnectedSessionTTL, then drops it without
    freeing its uploaded files (3 x 40 MB stayed for good). Through serve.py they are deleted
    once the session cannot come back, not before."""
    import httpx

    port, proc = servers["open"]

    async def upload_and_leave():
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            cookie = await xsrf_cookie(client)
            ws, session_id, _ = await open_session(port, cookie)
            before = settle(proc.pid)
            for i in range(3):
                blob = bytes([65 + i]) * (40 * MB)  # above glibc's mmap threshold: freed to the OS
                assert (await put_file(client, session_id, cookie, blob, f"f{i}")).status_code \
                    == 204
            held = settle(proc.pid)
            await ws.close()
            closed = time.monotonic()
            soon = settle(proc.pid, 1.0)  # still resumable: the files stay
            return before, held, soon, closed

    before, held, soon, closed = run(upload_and_leave())
    assert held - before > 100, (before, held)
    assert soon > held - 20, (held, soon)
    deadline = closed + TTL + MARGIN + 20
    while time.monotonic() < deadline and rss_mb(proc.pid) > held - 100:
        time.sleep(1)
    after = rss_mb(proc.pid)
    assert after < held - 100, (before, held, after)
    assert time.monotonic() - closed >= TTL, "freed while the session could still come back"


def test_sessions_one_after_another_do_not_pile_up_memory(servers):
    """The attacker's 100 sequential sessions grew the server by 23 MB: kept, on 30 sessions
    of the sample (after 5 that fill the caches)."""
    import httpx

    port, proc = servers["open"]

    async def sessions(n: int):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            cookie = await xsrf_cookie(client)
            for _ in range(n):
                ws, _, _ = await open_session(port, cookie)
                await ws.close()

    run(sessions(5))
    before = settle(proc.pid)
    run(sessions(30))
    after = settle(proc.pid, TTL + 3)
    assert after - before < 30, (before, after)
