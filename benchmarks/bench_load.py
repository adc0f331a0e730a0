"""Load: many concurrent browser sessions on the sample stay responsive (issue 6).

Starts ``streamlit run app.py`` headless on a free loopback port, then drives N concurrent
sessions (default 20) from one headless Chromium (Playwright, driving the system ``chromium``;
never ``playwright install``), each in its own browser context, i.e. its own Streamlit session:

1. one cold session first (the first visit fills the server's caches), reported on its own;
2. N sessions open the home page at the same moment; for each, the time from navigation to the
   first KPI tile (``[data-testid="stMetric"]``) being visible, and to the end of the script run;
3. each session then changes one sidebar widget once, all at the same moment; the time from the
   change to the server's ``script_finished`` message and the KPI tiles being visible again.

Run ends are read from the app's own websocket messages (Streamlit's ``ForwardMsg`` protobuf),
not guessed from the page. Everything is bounded (``--deadline``), loopback only, and the server
is stopped at the end. Note the browser shares the machine's cores with the server, so the
figures are pessimistic for a real deployment where browsers run elsewhere.

Usage: ``.venv/bin/python benchmarks/bench_load.py [--sessions 20] [--json results.json]``
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
            await page.locator('[role="option"]').first.click()
            label = " ".join((await first.locator("label").first.inner_text()).split())
            return f"{where} multiselect {label!r} (first option)"
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
                        t0 = time.perf_counter()
                        session.widget = await _change_widget(page)
                        session.change_script_done = (
                            await _wait_run_after(session, t0, step_timeout) - t0
                        )
                        await _wait_for_kpis(page, step_timeout)
                        session.change_rendered = time.perf_counter() - t0
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--app", default="app.py")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--step-timeout", type=float, default=90.0, help="seconds per page step")
    parser.add_argument("--deadline", type=float, default=480.0, help="seconds for the whole run")
    parser.add_argument("--no-change", action="store_true", help="only measure page loads")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="seconds between session arrivals (default 0: all open at the same moment)",
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
    if not Path(args.chromium).exists():
        print(f"no chromium at {args.chromium}: install it with `apt-get install -y chromium`")
        return 2

    chromium = args.chromium
    if args.browser_nice > 0 and shutil.which("nice"):
        chromium = niced(
            chromium, args.browser_nice, Path(tempfile.mkdtemp(prefix="mrrkit-bench-"))
        )
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"mrrkit-bench-load-{port}.log"
    proc = start_server(args.app, port, log_path)
    try:
        startup = wait_healthy(port, proc, timeout=60)
        result = asyncio.run(
            asyncio.wait_for(
                run_sessions(
                    f"http://127.0.0.1:{port}/",
                    args.sessions,
                    chromium,
                    args.step_timeout,
                    change=not args.no_change,
                    ramp=args.ramp,
                    server_pid=proc.pid,
                ),
                timeout=args.deadline,
            )
        )
    except (RuntimeError, TimeoutError) as exc:
        print(f"load benchmark aborted: {type(exc).__name__}: {exc} (server log: {log_path})")
        return 1
    finally:
        stop_server(proc)

    sessions: list[Session] = result["sessions"]
    ok = [s for s in sessions if s.error is None]
    figures = {
        "sessions": args.sessions,
        "ramp_s": args.ramp,
        "browser_nice": args.browser_nice,
        "cpu_count": os.cpu_count(),
        "server_startup_s": startup,
        "cold_first_metric_s": result["cold"].load_first_metric,
        "cold_script_done_s": result["cold"].load_script_done,
        "load_first_metric": _summary(
            [s.load_first_metric for s in sessions if s.load_first_metric]
        ),
        "load_script_done": _summary([s.load_script_done for s in sessions if s.load_script_done]),
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
    n = args.sessions
    cold = result["cold"]
    rows = [
        ("server start -> healthy", f"{startup:.2f} s"),
        ("cold first visit -> first KPI", f"{cold.load_first_metric:.2f} s"),
        ("cold first visit, server run", f"{cold.load_server or float('nan'):.2f} s"),
        (f"{n} sessions: open -> first KPI", _fmt(figures["load_first_metric"])),
        (f"{n} sessions: open -> run finished", _fmt(figures["load_script_done"])),
        (f"{n} sessions: server run (request -> finished)", _fmt(figures["load_server"])),
        (f"{n} sessions: all loaded after", f"{result['load_wall']:.2f} s"),
    ]
    if "load" in result["server_cpu"]:
        rows.append(
            (f"{n} sessions: server CPU for the loads", f"{result['server_cpu']['load']:.2f} s")
        )
    if not args.no_change:
        rows += [
            ("widget changed", ", ".join(figures["widget"]) or "none"),
            (f"{n} at once: change -> KPIs visible", _fmt(figures["change_rendered"])),
            (f"{n} at once: server rerun (request -> finished)", _fmt(figures["change_server"])),
        ]
        if "change" in result["server_cpu"]:
            rows.append(
                (
                    f"{n} at once: server CPU for the changes",
                    f"{result['server_cpu']['change']:.2f} s",
                )
            )
    arrival = "all opened at once" if not args.ramp else f"one opened every {args.ramp:g} s"
    print(
        f"mrrkit load: {n} concurrent browser sessions ({arrival}) on {os.cpu_count()} cores; "
        f"browser and server share them (browser niceness {args.browser_nice})"
    )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for line in figures["errors"]:
        print(f"  ERROR {line}")
    print(f"  server log: {log_path}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=lambda o: asdict(o)))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
