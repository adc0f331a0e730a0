"""Load: many concurrent browser sessions on the sample stay responsive (issue 6).

Starts ``streamlit run app.py`` headless on a loopback port (``--port``, default a free one), then
drives N concurrent sessions (default 20) from one headless Chromium (Playwright, driving the
system ``chromium``; never ``playwright install``), each in its own browser context, i.e. its own
Streamlit session:

1. one cold session first (the first visit fills the server's caches), reported on its own;
2. N sessions open the home page at the same moment; for each, the time from navigation to the
   first KPI tile, and to the **first full render**: the script run finished (the server's
   ``script_finished`` message), every KPI tile and both charts drawn, no element still loading;
3. each session then changes one segment filter in the sidebar, all at the same moment; for each,
   the time from the change to the server's ``script_finished`` and to the **KPI figures updated**
   on screen (the tiles' text differs from before the change).

Run ends are read from the app's own websocket messages (Streamlit's ``ForwardMsg`` protobuf),
not guessed from the page; the server's own share of each wait (request sent -> run finished)
and its CPU time are reported too, with ``/proc/loadavg`` before and after. Everything is bounded
(``--deadline``), loopback only, and the server is stopped at the end. The browser shares the
machine's cores with the server (it runs niced), so the figures are pessimistic for a real
deployment where browsers run elsewhere.

Usage: ``.venv/bin/python benchmarks/bench_load.py [--sessions 20] [--port 8501] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
METRIC = '[data-testid="stMetric"]'
SIDEBAR = '[data-testid="stSidebar"]'

__all__ = ["main"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_PASSWORD")}
    env["MRRKIT_VIEWS_DIR"] = tempfile.mkdtemp(prefix="mrrkit-bench-views-")
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            app,
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.headless=true",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stopping it stops its children only
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def loadavg() -> str | None:
    """The 1/5/15-minute load averages (Linux), to read next to the figures."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> float:
    start = time.perf_counter()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the server did not become healthy")


@dataclass
class Session:
    index: int
    load_first_metric: float | None = None
    load_script_done: float | None = None
    load_full_render: float | None = None
    load_server: float | None = None
    widget: str | None = None
    change_script_done: float | None = None
    change_rendered: float | None = None
    change_server: float | None = None
    error: str | None = None
    _finished: list = field(default_factory=list, repr=False)
    _requested: list = field(default_factory=list, repr=False)

    def server_round_trip(self, since: float) -> float | None:
        """First rerun request sent after ``since`` -> the next script_finished received: the
        server's share of the wait, free of the browser's own JavaScript work."""
        sent = next((t for t in self._requested if t > since), None)
        done = next((t for t in self._finished if sent is not None and t > sent), None)
        return None if done is None else done - sent


def _watch_runs(page, session: Session) -> None:
    """Record when the browser asks for a script run and when each run's end arrives."""

    def on_socket(ws):
        def on_sent(payload):
            if isinstance(payload, str):
                return
            msg = BackMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:
                return
            if msg.WhichOneof("type") == "rerun_script":
                session._requested.append(time.perf_counter())

        def on_frame(payload):
            if isinstance(payload, str):
                return
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:  # not a ForwardMsg (never expected): ignore, do not crash the run
                return
            # A run cut short by a rerun (e.g. the app rewriting its URL) is not the end.
            if (
                msg.WhichOneof("type") == "script_finished"
                and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
            ):
                session._finished.append(time.perf_counter())

        ws.on("framereceived", on_frame)
        ws.on("framesent", on_sent)

    page.on("websocket", on_socket)


async def _wait_run_after(session: Session, since: float, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        done = [t for t in session._finished if t > since]
        if done:
            return done[0]
        await asyncio.sleep(0.01)
    raise TimeoutError("no script_finished after the action")


async def _wait_for_kpis(page, timeout: float) -> None:
    """Wait for a KPI tile; fail fast, with the app's message, if the page shows an exception."""
    either = page.locator(f'{METRIC}, [data-testid="stException"]').first
    await either.wait_for(timeout=timeout * 1000)
    problem = page.locator('[data-testid="stException"]')
    if await problem.count():
        raise RuntimeError(
            "the app raised: " + " ".join((await problem.first.inner_text()).split())[:300]
        )


CHARTS = 2  # the overview's two charts (movements, MRR)


async def _wait_full_render(page, session: Session, since: float, timeout: float) -> float:
    """When the page is fully drawn after ``since``: the run finished, every chart drawn (a
    canvas or svg inside), no element still loading. Returns the moment (perf_counter)."""
    await _wait_run_after(session, since, timeout)
    deadline = time.perf_counter() + timeout
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    drawn = page.locator('[data-testid="stVegaLiteChart"] :is(canvas, svg)')
    loading = page.locator('[data-testid^="stSkeleton"]')
    while time.perf_counter() < deadline:
        if (
            await charts.count() >= CHARTS
            and await drawn.count() >= CHARTS
            and await loading.count() == 0
        ):
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise TimeoutError("the page was not fully drawn in time")


async def _kpi_text(page) -> str:
    return " | ".join(await page.locator(f"{METRIC} [data-testid='stMetricValue']").all_inner_texts())


async def _wait_kpis_changed(page, before: str, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        now = await _kpi_text(page)
        if now and now != before:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise TimeoutError("the KPI figures did not change after the filter change")


async def _change_widget(page) -> str:
    """Change the first widget found (sidebar first, then the page), once; say what was changed.

    With no widget on the page, press Streamlit's "R" shortcut instead: a plain rerun.
    """
    widgets = ", ".join(
        f'{SIDEBAR} [data-testid="{w}"]' for w in ("stMultiSelect", "stSelectbox", "stSlider")
    )
    try:  # a busy browser may draw the sidebar well after the KPI tiles
        await page.locator(widgets).first.wait_for(state="attached", timeout=20_000)
    except PlaywrightTimeoutError:
        pass
    for where, root in (
        ("sidebar", page.locator(SIDEBAR)),
        ("page", page.locator('[data-testid="stMain"]')),
    ):
        multiselect = root.locator('[data-testid="stMultiSelect"]')
        if await multiselect.count():
            first = multiselect.first
            if not await first.is_visible():  # e.g. segment filters in a collapsed expander
                expander = root.locator('[data-testid="stExpander"]').filter(
                    has=page.locator('[data-testid="stMultiSelect"]')
                )
                await expander.first.locator("summary").first.click()  # client-side: no rerun
            await first.locator("input").click()
            options = page.locator('[role="option"]')
            await options.first.wait_for()
            texts = await options.all_inner_texts()
            # Streamlit's dropdown may start with "Select all": that would filter nothing.
            pick = next(
                (i for i, text in enumerate(texts) if "select all" not in text.lower()), 0
            )
            await options.nth(pick).click()
            await page.keyboard.press("Escape")
            label = " ".join((await first.locator("label").first.inner_text()).split())
            return f"{where} multiselect {label!r} = {texts[pick].strip()!r}"
        selectbox = root.locator('[data-testid="stSelectbox"]')
        if await selectbox.count():
            await selectbox.first.click()
            options = page.locator('[role="option"]')
            await options.nth(1 if await options.count() > 1 else 0).click()
            return f"{where} selectbox (second option)"
        slider = root.locator('[role="slider"]')
        if await slider.count():
            await slider.first.focus()
            await slider.first.press("ArrowLeft")
            return f"{where} slider (one step)"
        for testid in ("stCheckbox", "stToggle", "stRadio"):
            widget = root.locator(f'[data-testid="{testid}"] label')
            if await widget.count():
                await widget.last.click()
                return f"{where} {testid[2:].lower()}"
    await page.locator("body").press("r")
    return "no widget on the page: plain rerun (R shortcut)"


def niced(executable: str, niceness: int, workdir: Path) -> str:
    """A wrapper that starts the browser at a lower CPU priority.

    Here the browser shares the server's cores; in real use each person's browser runs on their
    own machine. Niced, the 20 renderers no longer starve the server, so the server-side figures
    reflect the server.
    """
    wrapper = workdir / "chromium-niced"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {niceness} "{executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def run_sessions(
    base_url: str,
    n: int,
    chromium: str,
    step_timeout: float,
    change: bool,
    ramp: float = 0.0,
    server_pid: int | None = None,
) -> dict:
    cpu = {}
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True)
        try:
            # 1. Cold: the first session pays for loading the sample and computing the metrics.
            cold = Session(index=-1)
            context = await browser.new_context()
            context.set_default_timeout(step_timeout * 1000)
            page = await context.new_page()
            _watch_runs(page, cold)
            t0 = time.perf_counter()
            await page.goto(base_url, timeout=step_timeout * 1000)
            await _wait_for_kpis(page, step_timeout)
            cold.load_first_metric = time.perf_counter() - t0
            cold.load_script_done = await _wait_run_after(cold, t0, step_timeout) - t0
            cold.load_full_render = await _wait_full_render(page, cold, t0, step_timeout) - t0
            cold.load_server = cold.server_round_trip(t0)
            await context.close()

            # 2. N sessions at once.
            sessions = [Session(index=i) for i in range(n)]
            contexts = [await browser.new_context() for _ in range(n)]
            for context in contexts:
                context.set_default_timeout(step_timeout * 1000)
            pages = [await c.new_page() for c in contexts]
            for page, session in zip(pages, sessions):
                _watch_runs(page, session)

            async def load(page, session):
                await asyncio.sleep(session.index * ramp)  # 0 = all at the same moment
                t0 = time.perf_counter()
                try:
                    await page.goto(base_url, timeout=step_timeout * 1000)
                    await _wait_for_kpis(page, step_timeout)
                    session.load_first_metric = time.perf_counter() - t0
                    session.load_script_done = await _wait_run_after(session, t0, step_timeout) - t0
                    session.load_full_render = (
                        await _wait_full_render(page, session, t0, step_timeout) - t0
                    )
                    session.load_server = session.server_round_trip(t0)
                except Exception as exc:  # report, do not abort the other sessions
                    session.error = f"load: {type(exc).__name__}: {exc}"[:200]

            wall, cpu0 = time.perf_counter(), cpu_seconds(server_pid) if server_pid else None
            await asyncio.gather(*(load(p, s) for p, s in zip(pages, sessions)))
            load_wall = time.perf_counter() - wall
            if cpu0 is not None:
                cpu["load"] = cpu_seconds(server_pid) - cpu0

            # 3. Each session changes one widget, all at once.
            change_wall = None
            if change:

                async def interact(page, session):
                    if session.error:
                        return
                    try:
                        await asyncio.sleep(0.5)  # let late websocket traffic of the load settle
                        before = await _kpi_text(page)
                        t0 = time.perf_counter()
                        session.widget = await _change_widget(page)
                        session.change_script_done = (
                            await _wait_run_after(session, t0, step_timeout) - t0
                        )
                        session.change_rendered = (
                            await _wait_kpis_changed(page, before, step_timeout) - t0
                        )
                        session.change_server = session.server_round_trip(t0)
                    except Exception as exc:
                        session.error = f"change: {type(exc).__name__}: {exc}"[:200]

                wall, cpu0 = time.perf_counter(), cpu_seconds(server_pid) if server_pid else None
                await asyncio.gather(*(interact(p, s) for p, s in zip(pages, sessions)))
                change_wall = time.perf_counter() - wall
                if cpu0 is not None:
                    cpu["change"] = cpu_seconds(server_pid) - cpu0
            for context in contexts:
                await context.close()
        finally:
            await browser.close()
    return {
        "cold": cold,
        "sessions": sessions,
        "load_wall": load_wall,
        "change_wall": change_wall,
        "server_cpu": cpu,
    }


def _summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1], "n": len(ordered)}


def _fmt(summary: dict[str, float] | None) -> str:
    if summary is None:
        return "n/a"
    p50, p95, top, n = summary["p50"], summary["p95"], summary["max"], summary["n"]
    return f"p50 {p50:.2f} s · p95 {p95:.2f} s · max {top:.2f} s (n={n})"


# --- protocol sessions: Streamlit's own websocket messages, no browser ------------------------------


@dataclass
class ProtoSession:
    index: int
    connect: float | None = None
    first_run: float | None = None  # run request sent -> script_finished: every element received
    open_total: float | None = None  # connect + first run
    first_bytes: int = 0
    change_run: float | None = None  # filter change sent -> script_finished
    change_bytes: int = 0
    kpis_changed: bool | None = None
    error: str | None = None


async def _proto_run(ws, client_state, timeout: float) -> tuple[float, int, dict]:
    """Send one rerun request and read until its run finished; return (seconds, bytes, what was
    seen: the query string the app wrote, its multiselects, its KPI values)."""
    msg = BackMsg()
    msg.rerun_script.CopyFrom(client_state)
    seen: dict = {"query_string": None, "multiselects": [], "kpis": []}
    received = 0
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    deadline = t0 + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
        received += len(raw)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "page_info_changed":
            seen["query_string"] = fwd.page_info_changed.query_string
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            if element.WhichOneof("type") == "multiselect":
                seen["multiselects"].append(element.multiselect)
            elif element.WhichOneof("type") == "metric":
                seen["kpis"].append(element.metric.body)
        elif kind == "script_finished" and fwd.script_finished in (
            ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR
        ):
            if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                raise RuntimeError("the app failed to run")
            return time.perf_counter() - t0, received, seen


async def run_protocol_sessions(
    port: int, n: int, step_timeout: float, change: bool, server_pid: int | None
) -> dict:
    """N websocket sessions speaking Streamlit's protocol, as a browser does but without
    drawing anything: what the server alone takes to serve them."""
    import websockets
    from streamlit.proto.ClientState_pb2 import ClientState

    url = f"http://127.0.0.1:{port}/"

    def state(query_string: str = "") -> ClientState:
        client_state = ClientState(query_string=query_string)
        client_state.context_info.url = url
        return client_state

    async def connect():
        return await websockets.connect(
            f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
            origin=url.rstrip("/"), max_size=None, open_timeout=step_timeout,
        )

    cold = ProtoSession(index=-1)
    t0 = time.perf_counter()
    ws = await connect()
    cold.connect = time.perf_counter() - t0
    cold.first_run, cold.first_bytes, _ = await _proto_run(ws, state(), step_timeout)
    cold.open_total = time.perf_counter() - t0
    await ws.close()

    sessions = [ProtoSession(index=i) for i in range(n)]
    sockets: list = [None] * n
    seen: list = [None] * n
    cpu: dict = {}

    async def open_one(session: ProtoSession) -> None:
        try:
            start = time.perf_counter()
            sockets[session.index] = await connect()
            session.connect = time.perf_counter() - start
            session.first_run, session.first_bytes, seen[session.index] = await _proto_run(
                sockets[session.index], state(), step_timeout
            )
            session.open_total = time.perf_counter() - start
        except Exception as exc:  # report, do not abort the others
            session.error = f"open: {type(exc).__name__}: {exc}"[:200]

    cpu0 = cpu_seconds(server_pid) if server_pid else None
    wall = time.perf_counter()
    await asyncio.gather(*(open_one(s) for s in sessions))
    load_wall = time.perf_counter() - wall
    if cpu0 is not None:
        cpu["load"] = cpu_seconds(server_pid) - cpu0

    change_wall = None
    widget = None
    if change:

        async def change_one(session: ProtoSession) -> None:
            if session.error:
                return
            try:
                before = seen[session.index]
                chosen = before["multiselects"][0]  # the first segment filter of the sidebar
                nonlocal widget
                widget = f"{chosen.label} = {chosen.options[0]}"
                client_state = state(before["query_string"] or "")
                picked = client_state.widget_states.widgets.add()
                picked.id = chosen.id
                picked.string_array_value.data.append(chosen.options[0])
                session.change_run, session.change_bytes, after = await _proto_run(
                    sockets[session.index], client_state, step_timeout
                )
                session.kpis_changed = after["kpis"] != before["kpis"]
                if not session.kpis_changed:
                    session.error = "change: the KPI figures did not change"
            except Exception as exc:
                session.error = f"change: {type(exc).__name__}: {exc}"[:200]

        cpu0 = cpu_seconds(server_pid) if server_pid else None
        wall = time.perf_counter()
        await asyncio.gather(*(change_one(s) for s in sessions))
        change_wall = time.perf_counter() - wall
        if cpu0 is not None:
            cpu["change"] = cpu_seconds(server_pid) - cpu0
    for sock in sockets:
        if sock is not None:
            await sock.close()
    return {"cold": cold, "sessions": sessions, "load_wall": load_wall,
            "change_wall": change_wall, "server_cpu": cpu, "widget": widget}


def _protocol_report(args, port: int, proc) -> tuple[dict, list[tuple[str, str]]]:
    result = asyncio.run(asyncio.wait_for(
        run_protocol_sessions(port, args.sessions, args.step_timeout, not args.no_change, proc.pid),
        timeout=args.deadline,
    ))
    sessions: list[ProtoSession] = result["sessions"]
    cold = result["cold"]
    n = args.sessions
    figures = {
        "cold_open_s": cold.open_total,
        "cold_first_run_s": cold.first_run,
        "open_total": _summary([s.open_total for s in sessions if s.open_total]),
        "first_run": _summary([s.first_run for s in sessions if s.first_run]),
        "first_run_kib": (sum(s.first_bytes for s in sessions) / max(1, n)) / 1024,
        "load_wall_s": result["load_wall"],
        "widget": result["widget"],
        "change_run": _summary([s.change_run for s in sessions if s.change_run]),
        "change_wall_s": result["change_wall"],
        "server_cpu_s": result["server_cpu"],
        "errors": [f"session {s.index}: {s.error}" for s in sessions if s.error],
    }
    rows = [
        ("cold first visit: connect + full run", f"{cold.open_total:.2f} s"),
        (f"{n} at once: connect + full first run", _fmt(figures["open_total"])),
        (f"{n} at once: all served after", f"{result['load_wall']:.2f} s"),
        ("one first run sends", f"{figures['first_run_kib']:.0f} KiB"),
    ]
    if "load" in result["server_cpu"]:
        rows.append((f"{n} opens: server CPU", f"{result['server_cpu']['load']:.2f} s "
                     f"({result['server_cpu']['load'] / n * 1000:.0f} ms a session)"))
    if not args.no_change:
        rows += [
            ("filter changed", figures["widget"] or "none"),
            (f"{n} at once: filter change -> run finished", _fmt(figures["change_run"])),
        ]
        if "change" in result["server_cpu"]:
            rows.append((f"{n} changes: server CPU", f"{result['server_cpu']['change']:.2f} s "
                         f"({result['server_cpu']['change'] / n * 1000:.0f} ms a change)"))
    return figures, rows


def _browser_report(args, port: int, proc, chromium: str) -> tuple[dict, list[tuple[str, str]]]:
    result = asyncio.run(
        asyncio.wait_for(
            run_sessions(
                f"http://127.0.0.1:{port}/", args.sessions, chromium, args.step_timeout,
                change=not args.no_change, ramp=args.ramp, server_pid=proc.pid,
            ),
            timeout=args.deadline,
        )
    )
    sessions: list[Session] = result["sessions"]
    ok = [s for s in sessions if s.error is None]
    cold = result["cold"]
    n = args.sessions
    figures = {
        "ramp_s": args.ramp,
        "browser_nice": args.browser_nice,
        "cold_first_metric_s": cold.load_first_metric,
        "cold_full_render_s": cold.load_full_render,
        "load_first_metric": _summary(
            [s.load_first_metric for s in sessions if s.load_first_metric]
        ),
        "load_script_done": _summary([s.load_script_done for s in sessions if s.load_script_done]),
        "load_full_render": _summary([s.load_full_render for s in sessions if s.load_full_render]),
        "load_server": _summary([s.load_server for s in sessions if s.load_server]),
        "load_wall_s": result["load_wall"],
        "widget": sorted({s.widget for s in ok if s.widget}),
        "change_script_done": _summary([s.change_script_done for s in ok if s.change_script_done]),
        "change_rendered": _summary([s.change_rendered for s in ok if s.change_rendered]),
        "change_server": _summary([s.change_server for s in ok if s.change_server]),
        "change_wall_s": result["change_wall"],
        "server_cpu_s": result["server_cpu"],
        "errors": [f"session {s.index}: {s.error}" for s in sessions if s.error],
    }
    arrival = "all at once" if not args.ramp else f"one every {args.ramp:g} s"
    rows = [
        ("cold first visit -> first KPI", f"{cold.load_first_metric:.2f} s"),
        ("cold first visit -> full render", f"{cold.load_full_render or float('nan'):.2f} s"),
        (f"{n} open ({arrival}) -> first KPI", _fmt(figures["load_first_metric"])),
        (f"{n} open -> full render", _fmt(figures["load_full_render"])),
        (f"{n} open: server run (request -> finished)", _fmt(figures["load_server"])),
        (f"{n} open: all drawn after", f"{result['load_wall']:.2f} s"),
    ]
    if "load" in result["server_cpu"]:
        rows.append((f"{n} opens: server CPU", f"{result['server_cpu']['load']:.2f} s"))
    if not args.no_change:
        rows += [
            ("widget changed", ", ".join(figures["widget"]) or "none"),
            (f"{n} at once: change -> run finished", _fmt(figures["change_script_done"])),
            (f"{n} at once: change -> KPIs updated", _fmt(figures["change_rendered"])),
            (f"{n} at once: server rerun (request -> finished)", _fmt(figures["change_server"])),
        ]
        if "change" in result["server_cpu"]:
            rows.append((f"{n} changes: server CPU", f"{result['server_cpu']['change']:.2f} s"))
    return figures, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--client",
        choices=("protocol", "browser", "both"),
        default="both",
        help="protocol: websocket sessions speaking Streamlit's messages (the server alone); "
        "browser: real Chromium sessions (what people see; needs spare CPU for 20 renderers); "
        "both (default), each on a fresh server",
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--app", default="app.py")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--step-timeout", type=float, default=90.0, help="seconds per page step")
    parser.add_argument("--deadline", type=float, default=480.0, help="seconds for each client run")
    parser.add_argument("--no-change", action="store_true", help="only measure page loads")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="browser: seconds between session arrivals (default 0: all at the same moment)",
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=19,
        help="run the browser at this niceness so it does not starve the server (0 = same priority)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    clients = ["protocol", "browser"] if args.client == "both" else [args.client]
    chromium = args.chromium
    if "browser" in clients:
        if not Path(chromium).exists():
            print(f"no chromium at {chromium}: install it with `apt-get install -y chromium`")
            return 2
        if args.browser_nice > 0 and shutil.which("nice"):
            chromium = niced(
                chromium, args.browser_nice, Path(tempfile.mkdtemp(prefix="mrrkit-bench-"))
            )

    port = args.port or free_port()
    everything: dict = {"sessions": args.sessions, "cpu_count": os.cpu_count()}
    failed = False
    print(f"mrrkit load: {args.sessions} concurrent sessions on the sample, {os.cpu_count()} cores")
    for client in clients:
        load_before = loadavg()
        log_path = Path(tempfile.gettempdir()) / f"mrrkit-bench-load-{port}-{client}.log"
        proc = start_server(args.app, port, log_path)  # a fresh server: cold caches
        try:
            startup = wait_healthy(port, proc, timeout=60)
            if client == "protocol":
                figures, rows = _protocol_report(args, port, proc)
            else:
                figures, rows = _browser_report(args, port, proc, chromium)
        except (RuntimeError, TimeoutError, OSError) as exc:
            print(f"{client} run aborted: {type(exc).__name__}: {exc} (server log: {log_path})")
            failed = True
            continue
        finally:
            stop_server(proc)
        figures.update(server_startup_s=startup, loadavg_before=load_before,
                       loadavg_after=loadavg())
        everything[client] = figures
        title = {
            "protocol": "websocket sessions (Streamlit's protocol, no browser): the server alone",
            "browser": "Chromium sessions (browser and server share the machine; browser niced "
            f"{args.browser_nice})",
        }[client]
        print(f"\n{title}; load average {load_before} before, {figures['loadavg_after']} after")
        rows.insert(0, ("server start -> healthy", f"{startup:.2f} s"))
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
        for line in figures["errors"]:
            print(f"  ERROR {' '.join(line.split())}")
        failed = failed or bool(figures["errors"])
        print(f"  server log: {log_path}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(everything, indent=2, default=lambda o: asdict(o)))
    return 1 if failed else 0


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_load"):
        raise SystemExit(main())
