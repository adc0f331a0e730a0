"""Interaction latency of the exploration pages, measured with Streamlit's AppTest.

Usage::

    python benchmarks/bench_ui.py [--repeats 5] [--big 200000] [--skip-big] [--first-loads]
                                  [--every-filter] [--pages app.py pages/5_Scenarios.py ...]

For each page (the five exploration pages, Scenarios and Expansion) the script opens a fresh
session (its first visit, timed but not part of the budget), then changes each widget the way a
user does and times the re-render (``AppTest.run()``: the whole page script plus Streamlit's own
work, in this process). Every interaction alternates between two values ``--repeats`` times; the
first change to each value is a *cold* run (a choice not made before: the derived views for it
are computed), the later ones are *warm* (served from the caches). The budget applies to every
run, first-time choices included: 300 ms on the bundled sample, 2 s on ``--big`` synthetic
customers (the sample generator scaled up; cached in ``benchmarks/results/``).
``--first-loads`` also times each page's first load in a fresh process (a cold server).
``--every-filter`` also chooses every value of every segment filter once on each page (the
interactions above try one) and prints the median and the slowest of these first-time choices,
each also scaled to a quiet machine by a short reference loop timed around it (on a shared
machine the speed changes from one second to the next).

AppTest runs the script in a thread and polls for its end, so its figures include a few ms of
overhead a browser session would not pay, and none of the network or drawing time in the browser.
AppTest also compiles the page script again on every run (10-70 ms for the longer pages), which
a server does once per script: the script keeps one compiled copy per page for all its runs, as a
server's script cache does (``--recompile`` measures AppTest as it comes). "CPU" is the process CPU
time of the run: on a machine busy with other work the wall-clock figures grow, the CPU figures
much less. The load average is printed with the results.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.testing.v1.app_test as _app_test
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

RESULTS = ROOT / "benchmarks" / "results"

#: page -> [(widget kind, key, value A, value B)]: each interaction flips between A and B.
INTERACTIONS = {
    "app.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("multiselect", "w:f.industry", [], ["Software"]),
        ("multiselect", "w:f.company_size", [], ["1-10", "11-50"]),
        ("select_slider", "w:from:to", None, "shift"),
        ("selectbox", "w:lang", "en", "fr"),
    ],
    "pages/1_Movements.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("selectbox", "w:mv.kind", "churn", "new"),
        ("selectbox", "w:mv.month", "last", "first"),
        ("multiselect", "w:f.channel", [], ["referral"]),
        ("select_slider", "w:from:to", None, "shift"),
    ],
    "pages/2_Cohorts.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("radio", "w:coh.value", "mrr", "customers"),
        ("radio", "w:coh.by", "month", "quarter"),
        ("selectbox", "w:coh.dim", "company_size", "channel"),
        ("multiselect", "w:f.country", [], ["FR"]),
    ],
    "pages/3_Segments.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("selectbox", "w:seg.dim", "company_size", "industry"),
        ("radio", "w:seg.metric", "churn_rate", "nrr"),
        ("multiselect", "w:f.channel", [], ["inbound"]),
        ("select_slider", "w:from:to", None, "shift"),
    ],
    "pages/4_Customers.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("text_input", "cus.q", "", "soft"),
        ("radio", "w:cus.status", "all", "churned"),
        ("multiselect", "w:f.plan", [], None),
    ],
    "pages/5_Scenarios.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("selectbox", "w:sc.ret_dim", "all", "company_size"),
        ("radio", "w:sc.method", "sbg", "empirical"),
        ("selectbox", "w:sc.months", 24, 36),
        ("radio", "w:sc.metric", "mrr", "customers"),
        ("multiselect", "w:f.industry", [], ["Software"]),
        ("select_slider", "w:from:to", None, "shift"),
        # the backtest section, computed only while open: opening it for the first time
        # computes the backtest (a second estimation of the forecast inputs) and its chart
        ("expander", "w:sc.backtest", False, True),
    ],
    "pages/6_Expansion.py": [
        # issue 15: another tool\'s definitions (a first choice computes its movements)
        ("selectbox", "w:defs", "mrrkit", "chartmogul"),
        ("selectbox", "w:ex.dim", "plan", "company_size"),
        ("multiselect", "ex.top", "default", None),
        ("multiselect", "w:f.channel", [], ["referral"]),
        ("select_slider", "w:from:to", None, "shift"),
    ],
}


def reference_loop() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions): the speed of the machine
    at the time, to compare runs made on a shared machine whose CPUs slow down and speed up."""
    t0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - t0


def server_script_cache() -> None:
    """Make every AppTest run share one script cache, as the runs of a server do (AppTest builds
    a new one per run, so it compiles the page again each time)."""
    shared = ScriptCache()
    _app_test.ScriptCache = lambda: shared


def _widget(at: AppTest, kind: str, key: str):
    return getattr(at, kind)(key=key)


def _set(at: AppTest, kind: str, key: str, value) -> None:
    if kind == "expander":  # AppTest has no expander widget: open or close it as a click does
        at.session_state[key] = value
    else:
        _widget(at, kind, key).set_value(value)


def _resolve(at: AppTest, kind: str, key: str, value):
    """Turn the symbolic values ("last", "shift", None) into real ones for this data."""
    if kind == "expander":
        return value
    w = _widget(at, kind, key)
    if kind == "select_slider":
        options = list(w.options)
        lo, hi = len(options) - 12, len(options) - 1
        return (options[lo], options[hi]) if value is None else (options[lo - 6], options[hi - 6])
    if value in ("last", "first"):
        options = list(w.options)
        return options[-1] if value == "last" else options[0]
    if kind == "multiselect" and value is None:
        return [w.options[0]]
    if value == "default":  # the widget's value on first load
        return list(w.value)
    return value


def time_page(page: str, repeats: int, setup=None) -> tuple[float, list[tuple]]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if setup:
        setup(at)
    if page != "app.py":
        at.switch_page(page)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    rows = []
    for kind, key, a, b in INTERACTIONS[page]:
        values = [_resolve(at, kind, key, a), _resolve(at, kind, key, b)]
        wall, cpu = [], []
        for i in range(2 * repeats):
            target = values[(i + 1) % 2]
            _set(at, kind, key, target)
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
            if at.exception:
                raise RuntimeError(f"{page} {key}={target}: {at.exception[0].value}")
            wall.append(elapsed)
            cpu.append(used)
        # The first two runs set each value for the first time (cold), the others are warm.
        rows.append((key, wall[:2], wall[2:], cpu[:2], cpu[2:]))
    return first, rows


def report(label: str, pages, repeats: int, budget: float, setup=None) -> bool:
    print(f"\n## {label} (budget {budget * 1000:.0f} ms per interaction)\n")
    print("| page | first visit (s) | interaction | cold: wall / CPU (ms) "
          "| warm median: wall / CPU (ms) | slowest (ms) |")
    print("|---|---|---|---|---|---|")
    medians, worst_wall, worst_cpu, cold_cpu = [], 0.0, 0.0, []
    for page in pages:
        first, rows = time_page(page, repeats, setup)
        for key, cold, warm, cold_c, warm_c in rows:
            medians.append(statistics.median(cold + warm))
            worst_wall = max(worst_wall, *cold, *warm)
            worst_cpu = max(worst_cpu, *cold_c, *warm_c)
            cold_cpu.extend(cold_c)
            print(f"| {page} | {first:.2f} | {key} | {max(cold) * 1000:.0f} / "
                  f"{max(cold_c) * 1000:.0f} | {statistics.median(warm) * 1000:.0f} / "
                  f"{statistics.median(warm_c) * 1000:.0f} | {max(cold + warm) * 1000:.0f} |",
                  flush=True)
    ok = worst_wall < budget
    print(f"\nmedian over all interactions: {statistics.median(medians) * 1000:.0f} ms; "
          f"slowest run: {worst_wall * 1000:.0f} ms wall, slowest CPU {worst_cpu * 1000:.0f} ms; "
          f"first-time choices: median {statistics.median(cold_cpu) * 1000:.0f} ms CPU -> "
          f"{'within' if ok else 'OVER'} budget (every run, wall clock)")
    return ok


def short_reference() -> float:
    """The reference loop's CPU time, estimated from a fifth of it (2 million additions): the
    machine's speed right now, to time next to a run."""
    t0 = time.process_time()
    total = 0
    for i in range(2_000_000):
        total += i
    return 5 * (time.process_time() - t0)


def every_filter(pages, setup=None, quiet: float = 0.30) -> None:
    """Choose each value of each segment filter once on each page (from no filter: a
    first-time choice) and time the rerun. Prints the median, 90th percentile and slowest CPU
    times, as measured and scaled to a machine whose reference loop takes ``quiet`` seconds
    (a short loop timed before and after each run says how fast the machine was then)."""
    print(f"\n## Every segment filter value, chosen for the first time (CPU ms; scaled: to a "
          f"reference loop of {quiet:.2f} s)\n")
    print("| page | choices | median (scaled) | 90th percentile (scaled) | slowest (scaled) "
          "| slowest choices (scaled) |")
    print("|---|---|---|---|---|---|")
    for page in pages:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        if setup:
            setup(at)
        if page != "app.py":
            at.switch_page(page)
        at.run()
        runs = []
        keys = [w.key for w in at.multiselect if w.key and w.key.startswith("w:f.")]
        for key in keys:
            for value in list(at.multiselect(key=key).options):
                at.multiselect(key=key).set_value([value])
                before = short_reference()
                c0 = time.process_time()
                at.run()
                used = time.process_time() - c0
                after = short_reference()
                if at.exception:
                    raise RuntimeError(f"{page} {key}={value}: {at.exception[0].value}")
                runs.append((used, used * quiet / ((before + after) / 2), f"{key[4:]}={value}"))
            at.multiselect(key=key).set_value([])
            at.run()
        raw = sorted(r[0] for r in runs)
        scaled = sorted(r[1] for r in runs)
        p90 = int(0.9 * (len(runs) - 1))
        slowest = sorted(runs, key=lambda r: -r[1])[:3]
        print(f"| {page} | {len(runs)} | {statistics.median(raw) * 1000:.0f} "
              f"({statistics.median(scaled) * 1000:.0f}) | {raw[p90] * 1000:.0f} "
              f"({scaled[p90] * 1000:.0f}) | {raw[-1] * 1000:.0f} ({scaled[-1] * 1000:.0f}) | "
              + ", ".join(f"{name} {s * 1000:.0f}" for _, s, name in slowest) + " |", flush=True)


def first_loads(pages) -> None:
    """First run of each page in a fresh process (a server just started: imports, the sample,
    the analysis and the page's views), then the same page again in a new session."""
    import subprocess

    print("\n## First load of each page on a cold server (fresh process per page)\n")
    print("| page | first load, cold server (s) | CPU (s) | new session, warm server (s) |")
    print("|---|---|---|---|")
    code = (
        "import sys, time; sys.path.insert(0, {root!r}); "
        "from streamlit.testing.v1 import AppTest\n"
        "out = []\n"
        "for _ in range(2):\n"
        "    at = AppTest.from_file({app!r}, default_timeout=600)\n"
        "    if {page!r} != 'app.py': at.switch_page({page!r})\n"
        "    t0, c0 = time.perf_counter(), time.process_time(); at.run()\n"
        "    assert not at.exception, at.exception[0].value\n"
        "    out.append((time.perf_counter() - t0, time.process_time() - c0))\n"
        "print(out[0][0], out[0][1], out[1][0])\n"
    )
    for page in pages:
        src = code.format(root=str(ROOT), app=str(ROOT / "app.py"), page=page)
        res = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True,
                             check=True)
        cold, cpu, warm = (float(x) for x in res.stdout.split()[-3:])
        print(f"| {page} | {cold:.2f} | {cpu:.2f} | {warm:.2f} |", flush=True)


def big_lines(n: int):
    import pandas as pd

    import mrrkit

    path = RESULTS / f"synthetic_{n // 1000}k.parquet"
    if path.exists():
        return pd.read_parquet(path)
    t0 = time.perf_counter()
    lines = mrrkit.generate_sample(n_customers=n)
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines.to_parquet(path)
    print(f"(generated {n:,} customers, {len(lines):,} lines in {time.perf_counter() - t0:.0f} s)")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--pages", nargs="*", default=list(INTERACTIONS))
    parser.add_argument("--recompile", action="store_true",
                        help="let AppTest compile the page script on every run")
    parser.add_argument("--first-loads", action="store_true",
                        help="also time each page's first load on a cold server")
    parser.add_argument("--every-filter", action="store_true",
                        help="also time the first choice of every segment filter value")
    args = parser.parse_args(argv)

    import os

    if not args.recompile:
        server_script_cache()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} "
          f"cores; script compiled {'every run' if args.recompile else 'once per page'}; "
          f"reference loop {reference_loop():.2f} s of CPU")
    if args.first_loads:
        first_loads(args.pages)
    ok = report("Sample (3,000 customers)", args.pages, args.repeats, 0.300)
    if args.every_filter:
        every_filter(args.pages)
    if not args.skip_big:
        from ui.data import Source, lines_digest

        lines = big_lines(args.big)
        source = Source(f"synthetic {args.big:,}", f"big:{lines_digest(lines)}", lines)

        def setup(at):
            at.session_state["source"] = source

        ok &= report(f"Synthetic {args.big:,} customers, {len(lines):,} lines", args.pages,
                     max(2, args.repeats // 2), 2.0, setup)
    return 0 if ok else 1


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_ui"):
        sys.exit(main())
