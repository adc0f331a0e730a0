"""What the real-browser tests share: Debian's chromium driven by Playwright against the app
served by ``streamlit run`` (never a browser Playwright downloads), free ports, the server's
start and stop, and waiting for the app's runs as its websocket reports them.

Skipped, saying why, only when chromium or Playwright cannot be found (``make test`` installs
chromium with apt-get when it can). Every wait is bounded; servers are always stopped.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
STEP_MS = 30_000  # any single browser step
STARTUP_S = 60
METRIC = '[data-testid="stMetric"]'
SIDEBAR = '[data-testid="stSidebar"]'


def playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no browser at {CHROMIUM}: `make test` installs Debian's chromium when run as root "
            "with apt-get (apt-get install chromium); browser test skipped"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt); "
                    "browser test skipped")
    return sync_playwright


def free_port(taken: set[int] = frozenset()) -> int:
    wanted = os.environ.get("MRRKIT_E2E_PORTS", "").strip()
    candidates = [0]
    if wanted:
        first, _, last = wanted.partition("-")
        candidates = [p for p in range(int(first), int(last or first) + 1) if p not in taken]
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in MRRKIT_E2E_PORTS={wanted}")


#: The logs of the servers started here, newest last: where a crash's details are (the shipped
#: .streamlit/config.toml shows browsers none of them, see no_exception).
SERVER_LOGS: list[Path] = []


def start_server(port: int, views: Path, log: Path, password: str | None,
           secrets: Path | None = None, script: str = "app.py",
           options: tuple[str, ...] = (), environ: dict | None = None) -> subprocess.Popen:
    """``streamlit run <script>`` on a loopback port, with the project's .streamlit/config.toml
    (the server runs in the project's directory), ``options`` as extra command-line flags and
    ``environ`` as extra environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_")}
    env.update(environ or {})
    env["MRRKIT_VIEWS_DIR"] = str(views)
    if password:
        env["MRRKIT_PASSWORD"] = password
    # Only the secrets given here, never a developer's own ~/.streamlit or .streamlit ones.
    secrets = secrets or log.with_suffix(".secrets.toml")
    if not secrets.exists():
        secrets.write_text("")
    env["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test's identity provider is plain http on loopback
    SERVER_LOGS.append(log)
    return subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets), *options,
        ],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its children only
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_healthy(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"streamlit not healthy after {STARTUP_S} s:\n{log.read_text()[-2000:]}")


class Runs:
    """The app's script runs seen from one browser page, read from its websocket (Streamlit's
    protobuf messages): when the browser asked for a run, and when runs finished. Exact where the
    page's look (spinners, stale elements) is only a hint."""

    def __init__(self, page) -> None:
        self.page = page
        self.requested: list[float] = []
        self.finished: list[float] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if isinstance(payload, str):
            return
        msg = BackMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a BackMsg: not ours to judge
            return
        if msg.WhichOneof("type") == "rerun_script":
            self.requested.append(time.monotonic())

    def _received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001
            return
        # A run cut short by a newer request is not the end of the work.
        if (
            msg.WhichOneof("type") == "script_finished"
            and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            self.finished.append(time.monotonic())

    def idle(self, quiet: float = 0.3) -> None:
        """Wait until the last run asked for has finished, nothing happened for ``quiet`` s, and
        the browser has drawn every element (it shows a skeleton while it loads an element's
        code, which takes a while on a busy machine)."""
        deadline = time.monotonic() + STEP_MS / 1000
        skeletons = self.page.locator('[data-testid^="stSkeleton"]')
        while time.monotonic() < deadline:
            asked = max(self.requested, default=0.0)
            done = max(self.finished, default=0.0)
            if done > asked and time.monotonic() - done >= quiet and skeletons.count() == 0:
                return
            # (every look is a round trip to the browser: 100 ms, not 50, halves their cost)
            self.page.wait_for_timeout(100)
        raise AssertionError("the app did not finish its run in time")

    def click(self, locator, tries: int = 3) -> None:
        """Click a widget and wait for the run it causes. A click the browser never turned into
        a run request (it landed while the page was being redrawn) is repeated."""
        for _ in range(tries):
            since = time.monotonic()
            locator.click()
            while time.monotonic() - since < 5:
                if any(t > since for t in self.requested):
                    self.idle()
                    return
                self.page.wait_for_timeout(50)
        raise AssertionError(f"clicking {locator} never reached the app")


def open_dropdown(page, field, option: str, tries: int = 3) -> None:
    """Open a select's list until ``option`` shows: a click that lands while the sidebar is
    still sliding an expander open focuses the field without opening its list."""
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(tries):
        field.click()
        last = attempt == tries - 1
        try:
            wanted.wait_for(timeout=STEP_MS if last else 5_000)
            return
        except Exception:
            if last:
                raise
            page.keyboard.press("Escape")  # close a half-open list before clicking again


def choose_in_multiselect(page, runs, box, option: str, tries: int = 3) -> None:
    """Type ``option`` in the multiselect ``box`` and click it in the list, as a user filters a
    long list, then wait for the run it causes; the chip must still be there after that run (a
    server that put the widget back would fail here).

    A click that never turned into a chip (the list moved under it while the sidebar was still
    sliding an expander open: seen once in CI, in 1 of some 40 runs) is repeated, as a user
    clicks again; a chip that shows and then goes is not.
    """
    field = box.locator("input")
    chip = box.locator("[data-tag]").filter(has_text=option)  # (Streamlit 1.67's chips)
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(tries):
        since = time.monotonic()
        field.wait_for(state="visible")
        field.click()
        page.keyboard.type(option)
        wanted.wait_for()
        wanted.click()
        try:
            chip.wait_for(timeout=5_000)
        except Exception:
            if attempt == tries - 1:
                raise
            print(f"the click on {option!r} made no chip (attempt {attempt + 1}): again")
            page.keyboard.press("Escape")
            field.fill("")
            continue
        page.keyboard.press("Escape")
        deadline = time.monotonic() + STEP_MS / 1000
        while not any(t > since for t in runs.requested) and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        runs.idle()
        assert chip.is_visible(), f"{option!r} was chosen and then taken back by the app's run"
        return


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    return context, page, Runs(page)


#: What Streamlit writes in the error box when client.showErrorDetails is "none" (the shipped
#: .streamlit/config.toml): no message, type or traceback, those go to the server's log.
REDACTED_ERROR = "This app has encountered an error."


def _server_tracebacks(limit: int = 4000) -> str:
    """The last traceback in the logs of the servers started here, for a failure's report."""
    for log in reversed(SERVER_LOGS):
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        at = text.rfind("Traceback (most recent call last)")
        if at >= 0:
            return f"server log {log}:\n{text[at:][:limit]}"
    return "no traceback in the servers' logs"


def no_exception(page) -> None:
    """Fail when the page shows an uncaught error: Streamlit's exception box (drawn whatever
    client.showErrorDetails says, with only a generic sentence under "none"), or that sentence
    anywhere. The report quotes the box and the server log's last traceback."""
    problem = page.locator('[data-testid="stException"]')
    redacted = page.get_by_text(REDACTED_ERROR, exact=False)
    if problem.count() or redacted.count():
        shown = (problem.first if problem.count() else redacted.first).inner_text()
        raise AssertionError(f"the page shows an error: {shown}\n{_server_tracebacks()}")


def keep_evidence(page, name: str) -> None:
    """A screenshot and the sidebar's text for the failure report (printed by pytest)."""
    path = Path(tempfile.gettempdir()) / f"mrrkit-e2e-{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failing page: {path}")
        print("sidebar:", " | ".join(page.locator(SIDEBAR).inner_text().split("\n")))
    except Exception:  # noqa: BLE001 - evidence is best effort, the real error follows
        pass


def sidebar_link(page, label: str):
    return page.locator(SIDEBAR).get_by_role("link", name=label, exact=True)


def tour(n: int) -> list[int]:
    """A walk through pages ``0..n-1`` that takes every ordered pair (i, j), i != j, once,
    starting and ending at 0 (an Eulerian circuit of the complete directed graph, Hierholzer).

    >>> walk = tour(3)
    >>> walk[0] == walk[-1] == 0, sorted(zip(walk, walk[1:])) == [
    ...     (i, j) for i in range(3) for j in range(3) if i != j]
    (True, True)
    """
    left = {i: [j for j in range(n) if j != i] for i in range(n)}
    stack, walk = [0], []
    while stack:
        here = stack[-1]
        if left[here]:
            stack.append(left[here].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


#: Streamlit's frontend asks for these under a deep link's path before it tries the root.
_BASE_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


class Console:
    """The browser console's errors and the page's uncaught exceptions, but Streamlit's probes
    for its base address."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if "404" in message.text and _BASE_PROBE.search(urlsplit(where).path or ""):
            return
        self.errors.append(f"{message.text} ({where})")
