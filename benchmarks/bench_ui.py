"""Interaction latency of the exploration pages, measured with Streamlit's AppTest.

Usage::

    python benchmarks/bench_ui.py [--repeats 5] [--big 200000] [--skip-big]

For each page the script opens a fresh session (first load, untimed for the budget), then changes
each widget the way a user does and times the re-render (``AppTest.run()``: the whole page script
plus Streamlit's own work, in this process). Every interaction alternates between two values
``--repeats`` times; the first change to a value not seen before is a *cold* run (the derived
views for that choice are computed), the later ones are *warm* (served from the caches). The
budget is 300 ms per interaction on the bundled sample (median of all runs, and we also print the
worst cold run) and 2 s on ``--big`` synthetic customers (the sample generator scaled up; cached in
``benchmarks/results/``).

AppTest runs the script in a thread and polls for its end, so its figures include a few ms of
overhead a browser session would not pay (and it re-parses the page script on every run, which a
server does once), and none of the network or drawing time in the browser. "CPU" is the process
CPU time of the run: on a machine busy with other work the wall-clock figures grow, the CPU
figures much less. The load average is printed with the results.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

#: page -> [(widget kind, key, value A, value B)]: each interaction flips between A and B.
INTERACTIONS = {
    "app.py": [
        ("multiselect", "w:f.industry", [], ["Software"]),
        ("multiselect", "w:f.company_size", [], ["1-10", "11-50"]),
        ("select_slider", "w:from:to", None, "shift"),
        ("selectbox", "w:lang", "en", "fr"),
    ],
    "pages/1_Movements.py": [
        ("selectbox", "w:mv.kind", "churn", "new"),
        ("selectbox", "w:mv.month", "last", "first"),
        ("multiselect", "w:f.channel", [], ["referral"]),
        ("select_slider", "w:from:to", None, "shift"),
    ],
    "pages/2_Cohorts.py": [
        ("radio", "w:coh.value", "mrr", "customers"),
        ("radio", "w:coh.by", "month", "quarter"),
        ("selectbox", "w:coh.dim", "company_size", "channel"),
        ("multiselect", "w:f.country", [], ["FR"]),
    ],
    "pages/3_Segments.py": [
        ("selectbox", "w:seg.dim", "company_size", "industry"),
        ("radio", "w:seg.metric", "churn_rate", "nrr"),
        ("multiselect", "w:f.channel", [], ["inbound"]),
        ("select_slider", "w:from:to", None, "shift"),
    ],
    "pages/4_Customers.py": [
        ("text_input", "w:cus.q", "", "soft"),
        ("radio", "w:cus.status", "all", "churned"),
        ("multiselect", "w:f.plan", [], None),
    ],
}


def _widget(at: AppTest, kind: str, key: str):
    return getattr(at, kind)(key=key)


def _resolve(at: AppTest, kind: str, key: str, value):
    """Turn the symbolic values ("last", "shift", None) into real ones for this data."""
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
    return value


def time_page(page: str, repeats: int, setup=None) -> tuple[float, list[tuple[str, list, list]]]:
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
        cold, warm, cpu = [], [], []
        for i in range(2 * repeats):
            target = values[(i + 1) % 2]
            _widget(at, kind, key).set_value(target)
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
            if at.exception:
                raise RuntimeError(f"{page} {key}={target}: {at.exception[0].value}")
            (cold if i < 2 else warm).append(elapsed)
            cpu.append(used)
        rows.append((key, cold, warm, cpu))
    return first, rows


def report(label: str, pages, repeats: int, budget: float, setup=None) -> bool:
    print(f"\n## {label} (budget {budget * 1000:.0f} ms per interaction)\n")
    print("| page | first load (s) | interaction | cold (ms) | warm median (ms) | all median (ms) "
          "| CPU median (ms) |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    medians = []
    for page in pages:
        first, rows = time_page(page, repeats, setup)
        for key, cold, warm, cpu in rows:
            med = statistics.median(cold + warm)
            medians.append(med)
            ok &= med < budget
            print(f"| {page} | {first:.2f} | {key} | {max(cold) * 1000:.0f} | "
                  f"{statistics.median(warm) * 1000:.0f} | {med * 1000:.0f} | "
                  f"{statistics.median(cpu) * 1000:.0f} |", flush=True)
    print(f"\nmedian over all interactions: {statistics.median(medians) * 1000:.0f} ms; "
          f"worst interaction median: {max(medians) * 1000:.0f} ms -> "
          f"{'within' if ok else 'OVER'} budget")
    return ok


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
    args = parser.parse_args(argv)

    import os

    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = report("Sample (3,000 customers)", args.pages, args.repeats, 0.300)
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
    sys.exit(main())
