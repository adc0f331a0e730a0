"""What-if and forecast benchmark: how long a slider move takes on the bundled sample.

Usage::

    python benchmarks/bench_scenarios.py [--repeats 21] [--json benchmarks/results/scenarios.json]

Movements are computed once (as the app caches them); then each step is timed ``--repeats`` times
and the median reported:

* ``refit``: :func:`mrrkit.scenario_inputs` from the movements frame (sBG fit on every cohort,
  recent rates, new-business trend, each customer's MRR and age) -- what a change of method,
  window or data costs;
* ``slider move``: :func:`mrrkit.project_scenario` + :func:`mrrkit.scenario_summary` (12 months)
  for a scenario with every lever set, scoped to one company size -- what moving a slider costs
  when the inputs are cached;
* ``refit + slider move``: both, the issue's "< 300 ms" budget;
* a 36-month projection, the 24-month forecast with its 200-replicate bootstrap band, the
  12-month backtest, and the expansion views (breakdown, top plan), for reference;
* ``every segment``: what choosing a segment filter value costs mrrkit on the Scenarios page
  (the retention fits, the forecast inputs, the 36-month forecast with its band), for every
  value of every attribute of the sample: the median and the slowest.

Each repetition uses different lever values (seeded), and mrrkit's memory of fitted counts
(:func:`mrrkit.models.sbg._fit_counts`) is emptied before each refit, so nothing is served from a
cache. The load average and a reference loop's CPU time (as ``bench_ui.py`` prints it) say how
busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mrrkit
from mrrkit.models.sbg import _fit_counts_of


def timed(fn, repeats: int) -> tuple[tuple[float, float], object]:
    """Median wall-clock and CPU seconds of ``fn(i)`` over the repeats, and the last result.
    CPU time is what the code costs when the machine is busy with other work too."""
    wall, cpu, result = [], [], None
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(i)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return (statistics.median(wall), statistics.median(cpu)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines)
    attrs = mrrkit.customer_attributes(lines)
    scope = frozenset(attrs.index[attrs["company_size"] == attrs["company_size"].mode()[0]])
    rng = np.random.default_rng(7)

    def scenario(i: int) -> mrrkit.Scenario:
        return mrrkit.Scenario(
            name=f"move {i}",
            price_change_pct=float(rng.uniform(-10, 20)),
            churn_elasticity=float(rng.uniform(0, 1)),
            upsell_conversion_rate=float(rng.uniform(0, 0.5)),
            avg_uplift_pct=float(rng.uniform(0, 30)),
            addon_adoption_rate=float(rng.uniform(0, 0.3)),
            addon_mrr=float(rng.uniform(0, 100)),
            churn_reduction_pct=float(rng.uniform(0, 50)),
            new_business_growth_pct=float(rng.uniform(-20, 50)),
            cs_team_cost=float(rng.uniform(5_000, 50_000)),
            scope=scope,
        )

    inputs = mrrkit.scenario_inputs(mv)
    baseline = mrrkit.project_baseline(inputs, 12)
    n = args.repeats
    figures = {}

    def refit(data, **kwargs):
        _fit_counts_of.cache_clear()  # a real refit, not the remembered fit of the same counts
        return mrrkit.scenario_inputs(data, **kwargs)

    figures["refit (scenario_inputs)"], _ = timed(lambda i: refit(mv), n)
    figures["slider move (project + summary)"], _ = timed(
        lambda i: mrrkit.scenario_summary(inputs, scenario(i), 12, baseline=baseline), n)

    def refit_and_move(i):
        fresh = refit(mv)
        return mrrkit.scenario_summary(fresh, scenario(i), 12)

    figures["refit + slider move"], _ = timed(refit_and_move, n)
    figures["projection, 36 months"], _ = timed(lambda i: mrrkit.project_baseline(inputs, 36), n)
    figures["forecast 24 months + 200-replicate band"], _ = timed(
        lambda i: mrrkit.forecast(None, 24, inputs=inputs, n_boot=200, seed=i), max(3, n // 4))

    def backtest(i):
        _fit_counts_of.cache_clear()
        return mrrkit.backtest(mv, 12)

    def fit_retention(i):
        _fit_counts_of.cache_clear()
        return mrrkit.fit_retention(mv)

    figures["backtest, 12 months"], bt = timed(backtest, max(3, n // 4))
    figures["fit_retention"], fit = timed(fit_retention, n)
    figures["expansion_breakdown"], _ = timed(
        lambda i: mrrkit.expansion_breakdown(lines, mv), max(3, n // 4))
    figures["top_plan_customers"], _ = timed(lambda i: mrrkit.top_plan_customers(lines),
                                             max(3, n // 4))

    segments = _every_segment(lines, mv)

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; reference loop "
          f"{reference_loop():.2f} s of CPU")
    print(f"sample: {len(lines):,} lines, {lines['customer_id'].nunique():,} customers, "
          f"{len(mv):,} movements; origin {inputs.origin}; median of {n} runs (fewer for the "
          "slow reference steps)")
    print(f"sBG fit: alpha={fit.alpha:.3f} beta={fit.beta:.3f}; backtest MAPE "
          f"{bt.mape:.1%} (MRR), {bt.mape_customers:.1%} (customers)")
    width = max(len(k) for k in figures)
    print(f"  {'':<{width}}  {'wall':>9}  {'cpu':>9}")
    for name, (wall, cpu) in figures.items():
        print(f"  {name:<{width}}  {wall * 1000:6.1f} ms  {cpu * 1000:6.1f} ms")
    cpu = sorted(segments.values())
    slowest = max(segments, key=segments.get)
    print(f"every segment ({len(cpu)} attribute values): retention fits + forecast inputs + "
          f"36-month forecast with its band, CPU median {cpu[len(cpu) // 2] * 1000:.0f} ms, "
          f"slowest {cpu[-1] * 1000:.0f} ms ({slowest})")
    budget = figures["refit + slider move"][0] * 1000
    print(f"refit + slider move: {budget:.0f} ms wall ({'within' if budget < 300 else 'OVER'} the "
          "300 ms budget)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        out = {k: {"wall_ms": w * 1000, "cpu_ms": c * 1000} for k, (w, c) in figures.items()}
        out["every segment"] = {"median_cpu_ms": cpu[len(cpu) // 2] * 1000,
                                "slowest_cpu_ms": cpu[-1] * 1000, "slowest": slowest}
        args.json.write_text(json.dumps(out, indent=2))


def reference_loop() -> float:
    """CPU seconds of 10 million additions (the same loop as ``bench_ui.py``)."""
    t0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - t0


def _every_segment(lines, mv) -> dict[str, float]:
    """CPU seconds, per attribute value of the sample, of what choosing it as the segment filter
    costs mrrkit on the Scenarios page (its retention fits, forecast inputs and forecast)."""
    from mrrkit.views.segments import filter_movements, segment_columns, segment_labels

    attrs = mrrkit.customer_attributes(lines)
    labels = segment_labels(attrs, segment_columns(attrs))
    out = {}
    for dim in labels.columns:
        for value in labels[dim].cat.categories:
            part = filter_movements(mv, labels.index[(labels[dim] == value).to_numpy()])
            _fit_counts_of.cache_clear()
            c0 = time.process_time()
            try:
                mrrkit.fit_retention(part)
                mrrkit.fit_retention(part, weight="mrr")
                inputs = mrrkit.scenario_inputs(part, horizon=36)
                mrrkit.forecast(None, 36, inputs=inputs)
            except ValueError:  # no churn in the segment: nothing to fit
                continue
            out[f"{dim}={value}"] = time.process_time() - c0
    return out


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_scenarios"):
        main()
