"""Memory that outlives sessions (issue 12, item 5): N browser sessions, one after another, each
uploads a different CSV on the Data page, uses it, opens the Overview and closes; the server's
resident memory (``/proc/<pid>/status`` VmRSS) is read before, after each session, and every
``--every`` seconds for ``--wait`` seconds after the last one closed.

The server is ``streamlit run <script>`` in ``--root`` (default: this checkout; give another
checkout, e.g. ``git archive <commit> | tar -x -C /tmp/before``, to measure the code before a
change) on a loopback port, with Streamlit's default ``server.disconnectedSessionTTL`` unless
``--ttl`` is given. Browsers: Debian's chromium through Playwright (never a downloaded one).

Usage: ``.venv/bin/python benchmarks/bench_memory.py [--script serve.py] [--sessions 20]
[--mb 2] [--wait 300] [--root DIR] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    METRIC,
    STEP_MS,
    free_port,
    new_page,
    playwright,
    sidebar_link,
    stop_server,
    wait_healthy,
)

HEADER = ("id,Customer ID,Customer Email,Customer Name,Plan,Product,Quantity,Currency,Interval,"
          "Amount,Status,Coupon,Cancellation Reason,Created (UTC),Start Date (UTC),"
          "Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),Trial End (UTC),"
          "Canceled At (UTC),Ended At (UTC),industry (metadata)\n")


def stripe_csv(megabytes: float, seed: int) -> bytes:
    """A Stripe subscriptions export of about ``megabytes``, different for each ``seed``."""
    rnd = random.Random(seed)
    out, size, i = [HEADER], len(HEADER), 0
    industries = ["saas", "retail", "fintech", "health", "media"]
    while size < megabytes * 1024 * 1024:
        i += 1
        c = rnd.randrange(10**7)
        y, m, d = rnd.randrange(2021, 2026), rnd.randrange(1, 13), rnd.randrange(1, 28)
        end = f"{y + 1}-{m:02d}-{d:02d} 10:00" if rnd.random() < 0.3 else ""
        row = (f"sub_{seed}_{i},cus_{seed}_{c},u{c}@example.com,Company {c},price_{i % 7},Pro,"
               f"{1 + i % 3},usd,month,{rnd.randrange(10, 500)}.00,"
               f"{'canceled' if end else 'active'},,,{y}-{m:02d}-{d:02d} 10:00,"
               f"{y}-{m:02d}-{d:02d} 10:00,2026-01-01 10:00,2026-02-01 10:00,,,{end},{end},"
               f"{industries[i % 5]}\n")
        out.append(row)
        size += len(row)
    return "".join(out).encode()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def start(root: Path, script: str, port: int, log: Path, ttl: int | None):
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_PASSWORD")}
    env["MRRKIT_VIEWS_DIR"] = tempfile.mkdtemp(prefix="mrrkit-bench-views-")
    env["MRRKIT_REMEMBER_DATA_DAYS"] = "0"  # measure the sessions, not the browser memory
    options = ["--server.disconnectedSessionTTL", str(ttl)] if ttl else []
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *options],
        cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def visit(browser, base: str, path: Path) -> None:
    """A session: the home page, the Data page, upload ``path``, use it, the Overview, close."""
    context, page, runs = new_page(browser)
    page.goto(base)
    page.locator(METRIC).first.wait_for()
    sidebar_link(page, "Data").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(path)
    page.get_by_text("Detected format:").first.wait_for()
    runs.idle()
    runs.click(page.get_by_role("button", name="Use this data"))
    page.get_by_text(f"Every page uses {path.name}").wait_for()
    sidebar_link(page, "Overview").click()
    page.locator(METRIC).first.wait_for()
    runs.idle()
    context.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--script", default="serve.py")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--wait", type=float, default=300.0)
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--ttl", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--signal", action="store_true",
                        help="send the server SIGUSR1 at each reading (a debugging hook's cue)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="mrrkit-bench-memory-"))
    files = []
    (tmp / "warm_up.csv").write_bytes(stripe_csv(args.mb, 10_000))
    for i in range(args.sessions):
        path = tmp / f"export_{i:02d}.csv"
        path.write_bytes(stripe_csv(args.mb, i))
        files.append(path)
    port, log = free_port(), tmp / "server.log"
    proc = start(args.root, args.script, port, log, args.ttl)
    report: dict = {"root": str(args.root), "script": args.script, "sessions": args.sessions,
                    "mb": args.mb, "ttl": args.ttl, "after_session": [], "after_close": []}
    try:
        wait_healthy(port, proc, log)
        base = f"http://127.0.0.1:{port}/"
        with playwright()() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS, timeout=STEP_MS)
            try:
                # One session first, uploading a file of its own: the imports of the readers and
                # the pages, and the sample's caches, are not what is measured.
                visit(browser, base, tmp / "warm_up.csv")
                time.sleep(3)
                report["start"] = rss_mb(proc.pid)
                if args.signal:
                    os.kill(proc.pid, signal.SIGUSR1)
                print(f"start: {report['start']} MB", flush=True)
                for i, path in enumerate(files):
                    visit(browser, base, path)
                    report["after_session"].append(rss_mb(proc.pid))
                    print(f"session {i + 1}: {report['after_session'][-1]} MB", flush=True)
            finally:
                browser.close()
        closed = time.monotonic()
        while time.monotonic() - closed < args.wait + 0.5:
            time.sleep(args.every)
            at = round(time.monotonic() - closed)
            if args.signal:  # a debugging hook of one's own may print the process's state
                os.kill(proc.pid, signal.SIGUSR1)
            report["after_close"].append((at, rss_mb(proc.pid)))
            print(f"{at} s after the last session: {report['after_close'][-1][1]} MB", flush=True)
    finally:
        stop_server(proc)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_memory"):
        main()
