"""Re-render time of the Scenarios page after a slider move, measured with Streamlit's AppTest.

Usage::

    python benchmarks/bench_scenarios_page.py [--runs 15] [--scenarios 1 3]

For each number of scenarios the script opens a fresh session on the bundled sample (first load,
untimed for the budget: it fits the model, the forecast band and the backtest once), then moves
sliders and number inputs of the scenarios to values never used before (so every move really
re-projects: nothing is served from the cache of an earlier identical move) and times
``AppTest.run()``: the whole page script -- shell, cached retention model, forecast and backtest
sections, the moved scenario's re-projection and 12-month summary, the chart and the table -- plus
Streamlit's own work, in this process. Budget: 300 ms for every move.

AppTest polls for the end of a run, so its figures include a few ms a server would not pay, and
none of the browser's drawing time. AppTest also compiles the page script again on every run,
which a server does once: here every run shares one compiled copy, as a server's runs do
(``--recompile`` measures AppTest as it comes). "CPU" is the process CPU time of the run; on a
busy machine the wall-clock figures grow, the CPU figures much less. The load average is printed
with the results.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest

from benchmarks.bench_ui import reference_loop, server_script_cache

PAGE = "pages/5_Scenarios.py"
BUDGET = 0.300

#: (widget kind, lever, values to cycle through: each move goes to the next one, never repeated)
MOVES = [
    ("slider", "price_change_pct", range(1, 51)),
    ("slider", "churn_reduction_pct", range(1, 101)),
    ("slider", "upsell_conversion_rate", range(1, 101)),
    ("number_input", "cs_team_cost", [1000.0 * k for k in range(1, 101)]),
]


def measure(scenarios: int, runs: int) -> dict:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page(PAGE)
    at.query_params["sc.count"] = str(scenarios)
    # Levers that make the projection non-trivial (an upsell uplift for the conversion slider).
    at.query_params["sc.1.avg_uplift_pct"] = "20"
    at.query_params["sc.1.churn_elasticity"] = "0.5"
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    wall, cpu, per_widget = [], [], {}
    for kind, lever, values in MOVES:
        values = list(values)
        for i in range(runs):
            target = scenarios if i % 2 else 1  # alternate the first and the last scenario
            widget = getattr(at, kind)(key=f"w:sc.{target}.{lever}")
            widget.set_value(values[i % len(values)])
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
            if at.exception:
                raise RuntimeError(f"{lever}: {at.exception[0].value}")
            wall.append(elapsed)
            cpu.append(used)
            per_widget.setdefault(lever, ([], []))[0].append(elapsed)
            per_widget[lever][1].append(used)
    return {"first": first, "wall": wall, "cpu": cpu, "per_widget": per_widget}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="moves per widget")
    parser.add_argument("--scenarios", type=int, nargs="*", default=[1, 3])
    parser.add_argument("--recompile", action="store_true",
                        help="let AppTest compile the page script on every run")
    args = parser.parse_args(argv)
    if not args.recompile:
        server_script_cache()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} "
          f"cores; script compiled {'every run' if args.recompile else 'once'}; "
          f"reference loop {reference_loop():.2f} s of CPU")
    print("\n| scenarios | first load (s) | widget | median (ms) | p90 (ms) | slowest (ms) "
          "| CPU median (ms) |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for n in args.scenarios:
        r = measure(n, args.runs)
        for lever, (times, used) in r["per_widget"].items():
            q = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
            print(f"| {n} | {r['first']:.2f} | {lever} | {statistics.median(times) * 1000:.0f} | "
                  f"{q * 1000:.0f} | {max(times) * 1000:.0f} | "
                  f"{statistics.median(used) * 1000:.0f} |")
        med = statistics.median(r["wall"])
        ok &= max(r["wall"]) < BUDGET
        print(f"| {n} | {r['first']:.2f} | **all moves** | **{med * 1000:.0f}** | "
              f"{statistics.quantiles(r['wall'], n=10)[-1] * 1000:.0f} | "
              f"{max(r['wall']) * 1000:.0f} | {statistics.median(r['cpu']) * 1000:.0f} |",
              flush=True)
    print(f"\nbudget {BUDGET * 1000:.0f} ms for every re-render after a slider move: "
          f"{'within' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_scenarios_page"):
        sys.exit(main())
