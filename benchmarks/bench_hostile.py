"""Hostile uploads (issue 12, item 2): what each one costs the server, and what another session
sees meanwhile.

Every file is generated here, in a temporary directory:

- XLSX whose sheet declares ``<dimension ref="A1:XFD1048576"/>`` and holds a cell at XFD1048576;
- the same far cell without any declared dimension (only the streaming checks can see it);
- a 20,000-column XLSX;
- a zip-bomb XLSX: its ``sharedStrings.xml`` unpacks to 1 GiB (3.6 MB on disk);
- CSVs of 100,000 and 1,000,000 columns;
- a 50 MB file of one line;
- a 50 MB JSON document of one line, 100,000 levels deep (JSON is not a format mrrkit reads:
  it is taken as text, like any upload);
- a Parquet file of 50,000,000 rows of one constant, dictionary- and RLE-encoded (a few KB);
- a Parquet dictionary bomb *within* the metadata limits: 20,000 rows whose one dictionary
  value is 1 MiB, i.e. 20 GB once decoded (only the child process's memory budget stops it).

For each file, two measurements:

1. **The read alone**, in a fresh Python process: ``mrrkit.read_export(bytes)`` as the Data page
   calls it. Outcome (refused with which code / read), wall time, and the peak resident memory
   (``ru_maxrss``) of the reading process: the benchmark's own process, and for a read done in
   the child process, the child's peak (which it reports itself). The child processes fork from
   a server started once per process (``forkserver``); that start is timed once, apart.
2. **Through the app**: ``streamlit run app.py`` (the ``streamlit`` command, as the Docker image
   runs it) on a loopback port. An attacker session speaks Streamlit's own websocket protocol
   (no browser): it opens the Data page, uploads the file through ``/_stcore/upload_file`` as
   the browser does and reruns with it in the uploader, until the server says the run finished;
   the error the page shows is checked to be the limit's sentence. Meanwhile a bystander, from
   the moment the file is handed to the app until that run finished, times ``GET
   /_stcore/health`` every 0.1 s and opens the home page in new sessions back to back (a page
   load = websocket connect + the script's full run, until the server's ``script_finished``;
   the page is not drawn). Their worst times are reported, next to the same bystander's times
   on the idle server, measured just before. The server process's resident memory and that of
   its child processes are sampled every 20 ms.

Then the price of the limits on legitimate files, each against a peer measured in the same run
(best of ``--repeat``, alternating): the 1M-row Stripe CSV of ``bench_import.py`` with the limits
on and off (``MRRKIT_*=0``); a Parquet file of the same rows read in the child process (what the
app does) against the same reader run in-process; a 20,000-row XLSX read in the child against
the same reader in-process and against ``pandas.read_excel`` (the reader before the limits).

Run: ``.venv/bin/python benchmarks/bench_hostile.py [--quick] [--repeat 3] [--no-app]``.
``--quick`` shrinks the legitimate files (100k-row CSV/Parquet, 2,000-row XLSX). Target: every
hostile read ends in under 5 s and 1 GB; a bystander's page load stays under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hostile_files import HEADER, HOSTILE, ROWS, _xlsx  # noqa: E402 - after the path

# --------------------------------------------------------------------------------------------
# 1. The read alone, in a fresh process
# --------------------------------------------------------------------------------------------


def _read_once(path: str) -> dict:
    """(In a fresh process.) ``read_export`` of the file, as the Data page calls it."""
    import resource

    from mrrkit import read_export
    from mrrkit.io.messages import ExportError
    from mrrkit.io.limits import last_child_read, limits, run_limited

    # Start the child processes' server first: once per process, timed apart.
    t0 = time.perf_counter()
    run_limited(len, b"warm up", lim=limits())
    forkserver = time.perf_counter() - t0
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data = Path(path).read_bytes()
    before = last_child_read()
    t0 = time.perf_counter()
    try:
        result = read_export(data)
        outcome, code = f"read: {len(result.lines)} lines, {len(result.rejected)} rejected", "read"
    except ExportError as exc:
        outcome, code = str(exc), exc.code or "(no code)"
    except Exception as exc:  # noqa: BLE001 - reported, as the app would
        outcome, code = f"{type(exc).__name__}: {exc}", "error"
    seconds = time.perf_counter() - t0
    child = last_child_read()
    in_child = child != before and child.get("seconds", 0) <= seconds + 0.5
    return {
        "outcome": outcome[:300],
        "code": code,
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "base_mb": base,
        "child_peak_mb": child.get("peak_mb") if in_child else None,
        "child_status": child.get("status") if in_child else None,
        "forkserver_s": forkserver,
    }


def read_in_fresh_process(path: Path, timeout: float = 120) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--read", str(path)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )
    if proc.returncode != 0:
        return {"outcome": proc.stderr[-300:], "code": "crashed",
                "seconds": time.perf_counter() - t0}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# 2. Through the app
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_")}
    env["MRRKIT_VIEWS_DIR"] = tempfile.mkdtemp(prefix="mrrkit-hostile-views-")
    streamlit = Path(sys.executable).with_name("streamlit")
    command = [str(streamlit)] if streamlit.exists() else [sys.executable, "-m", "streamlit"]
    return subprocess.Popen(
        [*command, "run", "app.py", "--server.address=127.0.0.1", f"--server.port={port}",
         "--server.headless=true", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the server did not become healthy")


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


class MemorySampler(threading.Thread):
    """Peak RSS of the server process and, apart, of any one of its descendants (the
    forkserver, the reading children), sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.server_mb, self.child_mb = pid, 0.0, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.server_mb = max(self.server_mb, _rss_mb(self.pid))
            for kid in _descendants(self.pid):
                self.child_mb = max(self.child_mb, _rss_mb(kid))
            time.sleep(0.02)


class Protocol:
    """One session speaking Streamlit's websocket protocol, as the browser does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"
        self.ws = None
        self.session_id = None
        self.query_string = ""

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
            origin=self.url.rstrip("/"), max_size=None, open_timeout=60,
        )

    def state(self, page: str = "", widgets=()):
        from streamlit.proto.ClientState_pb2 import ClientState

        state = ClientState(query_string=self.query_string, page_name=page)
        state.context_info.url = self.url + page
        for widget in widgets:
            state.widget_states.widgets.append(widget)
        return state

    async def run(self, state, timeout: float = 300) -> tuple[float, dict]:
        """Rerun with ``state`` until the run finished: its seconds and what it showed."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        seen: dict = {"uploaders": [], "errors": [], "exceptions": []}
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            left = max(0.1, t0 + timeout - time.perf_counter())
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=left))
            kind = fwd.WhichOneof("type")
            if kind == "new_session" and fwd.new_session.initialize.session_id:
                self.session_id = fwd.new_session.initialize.session_id
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "file_uploader":
                    seen["uploaders"].append(element.file_uploader.id)
                elif which == "alert" and element.alert.format == 1:  # ERROR
                    seen["errors"].append(element.alert.body)
                elif which == "exception":
                    seen["exceptions"].append(element.exception.message)
            elif kind == "script_finished":
                return time.perf_counter() - t0, seen

    async def upload(self, name: str, data: bytes):
        """Put ``data`` where the uploader widget finds it; the widget state naming it."""
        import httpx
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileURLs, FileURLsRequest, UploadedFileInfo
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.file_urls_request.CopyFrom(
            FileURLsRequest(request_id="hostile", file_names=[name], session_id=self.session_id)
        )
        await self.ws.send(msg.SerializeToString())
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=60))
            if fwd.WhichOneof("type") == "file_urls_response":
                urls = fwd.file_urls_response.file_urls[0]
                break
        target = urls.upload_url if urls.upload_url.startswith("http") else (
            self.url.rstrip("/") + urls.upload_url)

        def put():
            # As the browser: the XSRF cookie the page set, echoed in the X-Xsrftoken header.
            with httpx.Client(timeout=120) as client:
                client.get(self.url + "_stcore/health")  # (sets Streamlit's XSRF cookie)
                token = client.cookies.get("_streamlit_xsrf")
                headers = {"X-Xsrftoken": token} if token else {}
                response = client.put(
                    target, files={"file": (name, data, "application/octet-stream")},
                    headers=headers,
                )
                response.raise_for_status()

        await asyncio.to_thread(put)
        return UploadedFileInfo(
            name=name, size=len(data), file_id=urls.file_id,
            file_urls=FileURLs(file_id=urls.file_id, upload_url=urls.upload_url,
                               delete_url=urls.delete_url),
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def page_load(port: int) -> float:
    """A new session's home page: websocket connect + the script's full run."""
    session = Protocol(port)
    t0 = time.perf_counter()
    await session.connect()
    await session.run(session.state())
    await session.close()
    return time.perf_counter() - t0


def _health(port: int) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as resp:
        resp.read()
    return time.perf_counter() - t0


class Bystander:
    """Health checks every 0.1 s (a thread) and home-page loads back to back (the loop)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.health: list[float] = []
        self.loads: list[float] = []
        self.stop = threading.Event()

    def _pings(self) -> None:
        while not self.stop.is_set():
            try:
                self.health.append(_health(self.port))
            except OSError:
                self.health.append(float("inf"))
            time.sleep(0.1)

    async def run(self, until: asyncio.Event) -> None:
        pinger = threading.Thread(target=self._pings, daemon=True)
        pinger.start()
        while True:
            self.loads.append(await page_load(self.port))
            if until.is_set():
                break
        self.stop.set()
        pinger.join()


async def quiet_bystander(port: int, seconds: float = 4.0) -> Bystander:
    """The bystander's times on the idle server."""
    bystander = Bystander(port)
    until = asyncio.Event()
    task = asyncio.create_task(bystander.run(until))
    await asyncio.sleep(seconds)
    until.set()
    await task
    return bystander


async def attack(port: int, name: str, data: bytes, server_pid: int) -> dict:
    attacker = Protocol(port)
    await attacker.connect()
    _, page = await attacker.run(attacker.state("Data"))
    # The subscriptions uploader is keyed data.export (its id ends with the key).
    uploader = next(i for i in page["uploaders"] if i.endswith("data.export"))
    sampler = MemorySampler(server_pid)
    sampler.start()
    bystander = Bystander(port)
    until = asyncio.Event()
    watcher = asyncio.create_task(bystander.run(until))
    t0 = time.perf_counter()
    try:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        try:
            info = await attacker.upload(name, data)
        except Exception as exc:  # noqa: BLE001 - Streamlit's own refusal (413: too large)
            run_s, seen = float("nan"), {"errors": [f"upload refused by Streamlit: {exc}"[:120]],
                                         "exceptions": []}
        else:
            widget = WidgetState(id=uploader)
            widget.file_uploader_state_value.uploaded_file_info.append(info)
            run_s, seen = await attacker.run(attacker.state("Data", [widget]))
    finally:
        until.set()
        await watcher
        sampler.done.set()
        sampler.join()
        await attacker.close()
    return {
        "app_total_s": time.perf_counter() - t0,
        "app_run_s": run_s,
        "errors": seen["errors"],
        "exceptions": seen["exceptions"],
        "health_max_s": max(bystander.health, default=float("nan")),
        "health_n": len(bystander.health),
        "load_max_s": max(bystander.loads, default=float("nan")),
        "load_median_s": statistics.median(bystander.loads) if bystander.loads else float("nan"),
        "load_n": len(bystander.loads),
        "server_peak_mb": sampler.server_mb,
        "child_peak_mb": sampler.child_mb,
    }


# --------------------------------------------------------------------------------------------
# 3. Legitimate files: the limits' price, against peers of the same run
# --------------------------------------------------------------------------------------------


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _alternate(a, b, repeat: int) -> tuple[float, float]:
    """Best times of ``a`` and ``b``, run in turn (a machine's load then weighs on both)."""
    best_a = best_b = float("inf")
    for _ in range(repeat):
        best_a = min(best_a, _best(a, 1))
        best_b = min(best_b, _best(b, 1))
    return best_a, best_b


def legit(tmp: Path, rows: int, xlsx_rows: int, repeat: int) -> list[tuple[str, float, float, str]]:
    import pandas as pd
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from bench_import import make_export

    from mrrkit import read_export
    from mrrkit.io.limits import Limits, run_limited
    from mrrkit.io.table import _parquet_table, read_table
    from mrrkit.io.xlsx import sheet_table

    out = []
    csv_path = tmp / "stripe.csv"
    make_export(csv_path, rows)
    data = csv_path.read_bytes()
    read_export(data[:200_000])
    off = {name: "0" for name in (
        "MRRKIT_MAX_COLUMNS", "MRRKIT_MAX_ROWS", "MRRKIT_MAX_CELLS", "MRRKIT_MAX_LINE_BYTES",
        "MRRKIT_MAX_UNPACKED_MB")}

    def without_limits():
        saved = {k: os.environ.get(k) for k in off}
        os.environ.update(off)
        try:
            read_export(data)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    on, peer = _alternate(lambda: read_export(data), without_limits, repeat)
    out.append((f"read_export, {rows:,}-row Stripe CSV ({len(data) / 1e6:.0f} MB): limits on "
                "vs off", on, peer, "in-process both"))

    parquet = io.BytesIO()
    pq.write_table(pacsv.read_csv(csv_path), parquet)
    pdata = parquet.getvalue()
    read_table(pdata)
    child, peer = _alternate(lambda: read_table(pdata), lambda: _parquet_table(pdata), repeat)
    out.append((f"read_table, the same rows as Parquet ({len(pdata) / 1e6:.0f} MB): child vs "
                "in-process", child, peer, "same reader"))

    head = pd.read_csv(csv_path, nrows=xlsx_rows, dtype=str, keep_default_na=False)
    xlsx = _xlsx([list(head.columns), *head.itertuples(index=False, name=None)], write_only=True)
    read_table(xlsx)
    lim = Limits()
    child, peer = _alternate(lambda: read_table(xlsx), lambda: sheet_table(xlsx, lim), repeat)
    out.append((f"read_table, {xlsx_rows:,}-row XLSX ({len(xlsx) / 1e6:.1f} MB): child vs "
                "in-process", child, peer, "same reader"))

    def before():  # the reader before the limits: pandas.read_excel, in-process
        from mrrkit.io import xlsx as sheets

        saved = sheets._sheet_frame
        sheets._sheet_frame = lambda data, lim: pd.read_excel(
            io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine="openpyxl")
        try:
            sheets.sheet_table(xlsx, lim)
        finally:
            sheets._sheet_frame = saved

    child, peer = _alternate(lambda: read_table(xlsx), before, repeat)
    out.append((f"the same XLSX: with the limits, in the child vs the reader before them "
                "(pandas.read_excel, in-process)", child, peer, "same post-processing"))
    run_limited(len, b"x")
    return out


# --------------------------------------------------------------------------------------------


def _fmt_s(x) -> str:
    return "-" if x is None or x != x else f"{x:.2f} s"


def _fmt_mb(x) -> str:
    return "-" if not x else f"{x:,.0f} MB"


async def app_part(files: list[tuple[str, Path]], log: Path) -> tuple[dict, dict]:
    port = free_port()
    proc = start_server(port, log)
    results: dict = {}
    try:
        await asyncio.to_thread(wait_healthy, port, proc)
        await page_load(port)  # the first visit fills the server's caches
        quiet = await quiet_bystander(port)
        # One legit XLSX first: the child processes' server starts with the app's first
        # spreadsheet (timed apart, once per server process).
        t0 = time.perf_counter()
        await attack(port, "warm.xlsx", _xlsx([HEADER, *ROWS]), proc.pid)
        warm = time.perf_counter() - t0
        for name, path in files:
            results[name] = await attack(port, path.name, path.read_bytes(), proc.pid)
            print(f"  app: {name}: run {results[name]['app_run_s']:.2f} s, bystander load max "
                  f"{results[name]['load_max_s']:.2f} s", flush=True)
        alive = proc.poll() is None and _health(port) < 5
    finally:
        stop_server(proc)
    return results, {
        "quiet_health_max": max(quiet.health), "quiet_load_max": max(quiet.loads),
        "quiet_load_median": statistics.median(quiet.loads), "warm_first_xlsx_s": warm,
        "alive_after": alive,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smaller legitimate files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-app", action="store_true", help="skip the measurements in the app")
    parser.add_argument("--no-legit", action="store_true", help="skip the legitimate files")
    parser.add_argument("--only", help="only the hostile files whose name contains this")
    args = parser.parse_args()
    if args.read:
        print(json.dumps(_read_once(args.read)))
        return
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}, "
          f"{os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="mrrkit-hostile-") as tmp:
        tmp = Path(tmp)
        files = []
        sizes = {}
        for name, filename, make in HOSTILE:
            if args.only and args.only.lower() not in name.lower():
                continue
            t0 = time.perf_counter()
            path = tmp / filename
            path.write_bytes(make())
            files.append((name, path))
            sizes[name] = path.stat().st_size
            print(f"generated {filename}: {path.stat().st_size / 1e6:.2f} MB in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
        alone = {}
        for name, path in files:
            alone[name] = read_in_fresh_process(path)
            print(f"  alone: {name}: {alone[name]['code']} in {alone[name]['seconds']:.2f} s",
                  flush=True)
        app, quiet = ({}, {})
        if not args.no_app:
            app, quiet = asyncio.run(app_part(files, tmp / "server.log"))
        legit_rows = [] if args.no_legit else legit(
            tmp, 100_000 if args.quick else 1_000_000, 2_000 if args.quick else 20_000, args.repeat
        )

    forkserver = [r.get("forkserver_s") for r in alone.values() if r.get("forkserver_s")]
    print("\n## Hostile files\n")
    print("| file | outcome | read time | peak RSS, reading process | in the app: run | "
          "health max | bystander page load max (median) | server / child peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, path in files:
        r, a = alone[name], app.get(name, {})
        peak = _fmt_mb(r.get("peak_mb"))
        if r.get("child_peak_mb"):
            peak += f" (child {_fmt_mb(r['child_peak_mb'])})"
        shown = "; ".join(a.get("errors", []))[:60] if a else ""
        print(f"| {name} ({sizes[name] / 1e6:.2f} MB) | {r['code']} | "
              f"{_fmt_s(r['seconds'])} | {peak} | {_fmt_s(a.get('app_run_s'))} | "
              f"{_fmt_s(a.get('health_max_s'))} | {_fmt_s(a.get('load_max_s'))} "
              f"({_fmt_s(a.get('load_median_s'))}, n={a.get('load_n', 0)}) | "
              f"{_fmt_mb(a.get('server_peak_mb'))} / {_fmt_mb(a.get('child_peak_mb'))} |")
        if a and a.get("exceptions"):
            print(f"|   exception in the app: {a['exceptions']} |")
    print()
    for name, r in alone.items():
        a = app.get(name, {})
        print(f"- {name}: {r['outcome'][:160]}")
        if a:
            print(f"  page shows: {('; '.join(a['errors']) or '(no error)')[:200]}")
    base = [r.get("base_mb") for r in alone.values() if r.get("base_mb")]
    if base:
        print(f"\nA fresh reading process holds {min(base):.0f} MB before reading (Python, pandas, "
              f"pyarrow, openpyxl); starting the child processes' server took "
              f"{min(forkserver):.2f}-{max(forkserver):.2f} s (once per process).")
    if quiet:
        print(f"Idle server, same bystander: health max {quiet['quiet_health_max']:.3f} s, page "
              f"load max {quiet['quiet_load_max']:.2f} s (median {quiet['quiet_load_median']:.2f} "
              f"s); the app's first spreadsheet (forkserver start included): "
              f"{quiet['warm_first_xlsx_s']:.2f} s; server alive and healthy after every file: "
              f"{quiet['alive_after']}")
    if legit_rows:
        print("\n## Legitimate files: the price of the limits (best of "
              f"{args.repeat}, alternating with the peer)\n")
        print("| read | this | peer | ratio | note |")
        print("|---|---:|---:|---:|---|")
        for what, this, peer, note in legit_rows:
            print(f"| {what} | {this:.2f} s | {peer:.2f} s | {this / peer:.2f} | {note} |")
    print(f"\nload average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_hostile", skip="--read" in sys.argv):
        main()
