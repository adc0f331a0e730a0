"""Core benchmark: mrrkit movements + monthly + MRR cohorts against the same rules in DuckDB SQL.

Usage::

    python benchmarks/bench_core.py [--customers 300000 1000000] [--repeats 3]

For each N the script generates N customers of random subscription lines (deterministic seed),
writes them to a parquet file, and then runs each engine in its own child process, so that one
engine's memory does not count against the other and data generation is not measured:

* mrrkit: ``mv = movements(lines, as_of)``, ``monthly(mv)``, ``cohorts(mv, value="mrr")`` -- from
  the pandas lines frame to the three pandas results, as an app page does it. The same under
  another tool's definitions (``--preset``, ChartMogul by default: issue 15's target is within
  1.3x of mrrkit's own), on the lines with the statuses and dates those read
  (:func:`with_statuses`). ``movements``
  returns a :class:`mrrkit.Movements` whose pandas frame is built when first read: the stage
  reads it (``mv.frame``), so that it ends with a pandas frame as DuckDB's does.
* DuckDB: the same rules in SQL (:data:`MOVEMENTS_SQL`, :data:`MONTHLY_SQL`, :data:`COHORTS_SQL`)
  over the same pandas frame, each result fetched as a pandas frame (the cohort table pivoted
  wide, as mrrkit returns it). DuckDB uses every core; mrrkit runs on one.

Before timing anything, both engines run on a small N and the script asserts that they agree
(every movement, every monthly column, every cohort cell), so the comparison is between two
implementations of the same thing.

Peak memory is the mrrkit child's peak RSS during the pipeline: the kernel's high-water mark is
reset right after the parquet file is loaded (``/proc/self/clear_refs``), so loading does not
count; "peak MB" is the whole process (Python, pandas, the loaded lines and the pipeline) and
"+MB" what the pipeline added on top of the RSS after loading.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20240601
FIRST_DAY = np.datetime64("2021-01-01", "D")
YEARS = 5
#: Explicit as-of day: lines that end (or start) after it are partly or wholly in the future.
AS_OF = FIRST_DAY + np.timedelta64(YEARS * 365 - 1, "D")
SMALL_N = 20_000


# --------------------------------------------------------------------------- data


def customer_ids(n_customers: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """``"short"``: 8-character ids ``C0000042``; ``"long"``: Stripe-like ``cus_`` + 14 random
    letters and digits (18 characters), which the engine cannot pack into one integer."""
    if kind == "short":
        return np.char.add("C", np.char.zfill(np.arange(n_customers).astype("U7"), 7))
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
    letters = alphabet[rng.integers(0, len(alphabet), (n_customers, 14))]
    return np.char.add("cus_", letters.view("S14").ravel().astype("U14"))


def generate_lines(n_customers: int, seed: int = SEED, ids: str = "short") -> pd.DataFrame:
    """Random canonical lines: ~2.3 lines per customer over ~5 years of daily dates.

    Each customer's lines form a chain from a random acquisition day: the next line starts the day
    the previous one ends (a same-day plan switch, ~55%, a fifth of them renewals at the same
    price), after a gap (churn then return, ~15%), or during it (an overlapping add-on, ~30%).
    About 1% of lines last zero days, 3% are free (0),
    35% of last lines and 5% of others run open; amounts are integer cents. Rows come in start-date
    order, as a billing export by creation date would, so customers are not grouped.
    """
    rng = np.random.default_rng(seed)
    per_customer = 1 + rng.poisson(1.3, n_customers)
    n = int(per_customer.sum())
    cust = np.repeat(np.arange(n_customers), per_customer)
    group_start = np.repeat(np.cumsum(per_customer) - per_customer, per_customer)
    pos = np.arange(n) - group_start  # position of the line within its customer's chain

    duration = np.rint(rng.exponential(240.0, n)).astype(np.int64) + 1
    duration[rng.random(n) < 0.01] = 0
    relation = rng.choice(3, n, p=[0.55, 0.15, 0.30])  # switch, gap, add-on (to the next line)
    gap = np.rint(rng.exponential(120.0, n)).astype(np.int64) + 1
    overlap = (rng.random(n) * duration).astype(np.int64)
    step = np.select([relation == 0, relation == 1], [duration, duration + gap], overlap)
    # Start of line j = acquisition + the steps of lines 0..j-1 of the same customer.
    acquisition = rng.integers(0, YEARS * 365, n_customers)
    before = np.cumsum(step) - step
    offset = before - before[group_start]
    start = acquisition[cust] + offset
    end = start + duration
    last = np.append(cust[1:] != cust[:-1], True)
    is_open = rng.random(n) < np.where(last, 0.35, 0.05)

    cents = rng.integers(900, 150_000, n)
    cents[rng.random(n) < 0.03] = 0
    # A fifth of the switches are renewals at the same price: they must net to no movement.
    renewal = (pos > 0) & (np.roll(relation, 1) == 0) & (rng.random(n) < 0.2)
    for p in range(1, int(pos.max()) + 1):  # in chain order, so renewals of renewals agree
        at = np.flatnonzero(renewal & (pos == p))
        cents[at] = cents[at - 1]
    order = np.argsort(start, kind="stable")
    id_text = customer_ids(n_customers, ids, rng)
    start_ts = (FIRST_DAY + start.astype("timedelta64[D]")).astype("datetime64[us]")
    end_ts = (FIRST_DAY + end.astype("timedelta64[D]")).astype("datetime64[us]")
    end_ts[is_open] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "customer_id": pd.array(id_text[cust[order]], dtype="str"),
            "start": start_ts[order],
            "end": end_ts[order],
            "mrr": cents[order] / 100,
        }
    )


# --------------------------------------------------------------------------- mrrkit


def with_statuses(lines: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """The lines with what the status exports' readers give (issue 15): 4% of the ended lines
    paused and 4% delinquent, ended by that state (``paused_at`` / ``delinquent_since`` = their
    end), a tenth of the ended ones cancelled on request 0-60 days before their end."""
    rng = np.random.default_rng(seed + 1)
    end = lines["end"].to_numpy()
    ended = ~np.isnat(end)
    draw = rng.random(len(lines))
    paused = ended & (draw < 0.04)
    delinquent = ended & (draw >= 0.04) & (draw < 0.08)
    asked = ended & (draw >= 0.08) & (draw < 0.18)
    status = np.where(paused, "paused", np.where(delinquent, "delinquent", "paying"))
    nat = np.full(len(lines), np.datetime64("NaT"), "datetime64[us]")
    before = (rng.integers(0, 61, len(lines)) * np.timedelta64(1, "D")).astype("timedelta64[us]")
    return lines.assign(
        billing_status=pd.array(np.where(ended, status, "paying"), dtype="str"),
        canceled_at=np.where(asked, end - before, nat),
        paused_at=np.where(paused, end, nat),
        delinquent_since=np.where(delinquent, end, nat),
    )


def run_mrrkit(lines: pd.DataFrame, as_of, definitions=None):
    """The three results and the time of each stage (seconds)."""
    import mrrkit

    t0 = time.perf_counter()
    mv = mrrkit.movements(lines, as_of=as_of, definitions=definitions)
    mv.frame  # the pandas frame, as DuckDB's stage fetches one
    t1 = time.perf_counter()
    table = mrrkit.monthly(mv)
    t2 = time.perf_counter()
    cohort = mrrkit.cohorts(mv, value="mrr")
    t3 = time.perf_counter()
    return (mv, table, cohort), {"movements": t1 - t0, "monthly": t2 - t1, "cohorts": t3 - t2}


# --------------------------------------------------------------------------- DuckDB

# Money as integer micros, as in mrrkit, so same-day nets are exact. $as_of is NULL for "the
# latest start or end date". sum(BIGINT) is HUGEINT in DuckDB: cast back.
MOVEMENTS_SQL = """
CREATE OR REPLACE TEMP TABLE mv AS
WITH params AS (
    SELECT coalesce($as_of::DATE,
                    (SELECT max(greatest(start::DATE, coalesce("end"::DATE, start::DATE)))
                     FROM lines)) AS as_of
),
coded AS (
    SELECT customer_id, start::DATE AS s, "end"::DATE AS e,
           CASE WHEN abs(mrr) <= 1e-6 THEN 0 ELSE round(mrr * 1e6)::BIGINT END AS m
    FROM lines
),
live AS (  -- lines that last at least a day, are worth something and start by as_of
    SELECT coded.* FROM coded, params
    WHERE m <> 0 AND (e IS NULL OR e > s) AND s <= params.as_of
),
events AS (
    SELECT customer_id, s AS day, m AS delta FROM live
    UNION ALL
    SELECT customer_id, e AS day, -m AS delta FROM live, params
    WHERE e IS NOT NULL AND e <= params.as_of
),
net AS (  -- same-day changes net out; a net of 0 is no movement
    SELECT customer_id, day, sum(delta)::BIGINT AS amount
    FROM events GROUP BY customer_id, day HAVING sum(delta) <> 0
),
running AS (
    SELECT customer_id, day, amount,
           sum(amount) OVER w AS after,
           row_number() OVER w AS n
    FROM net
    WINDOW w AS (PARTITION BY customer_id ORDER BY day ROWS UNBOUNDED PRECEDING)
)
SELECT customer_id, day AS date,
       CASE WHEN after = 0 THEN 'churn'
            WHEN after = amount THEN CASE WHEN n = 1 THEN 'new' ELSE 'reactivation' END
            WHEN amount > 0 THEN 'expansion'
            ELSE 'contraction' END AS kind,
       amount, (after - amount)::BIGINT AS before, after::BIGINT AS after
FROM running
"""

MOVEMENTS_FETCH_SQL = """
SELECT customer_id, date::TIMESTAMP AS date, kind, amount / 1e6 AS amount,
       before / 1e6 AS mrr_before,
       after / 1e6 AS mrr_after
FROM mv ORDER BY customer_id, date
"""

MONTHLY_SQL = """
WITH bounds AS (
    SELECT min(date_trunc('month', date)) AS first, date_trunc('month', $as_of::DATE) AS last
    FROM mv
),
months AS (
    SELECT unnest(generate_series(first, last, INTERVAL 1 MONTH))::DATE AS month FROM bounds
),
by_month AS (
    SELECT date_trunc('month', date)::DATE AS month,
        coalesce(sum(amount) FILTER (kind = 'new'), 0) AS new,
        coalesce(sum(amount) FILTER (kind = 'expansion'), 0) AS expansion,
        coalesce(sum(amount) FILTER (kind = 'contraction'), 0) AS contraction,
        coalesce(sum(amount) FILTER (kind = 'churn'), 0) AS churn,
        coalesce(sum(amount) FILTER (kind = 'reactivation'), 0) AS reactivation,
        count(*) FILTER (kind = 'new') AS new_customers,
        count(*) FILTER (kind = 'expansion') AS expanded_customers,
        count(*) FILTER (kind = 'contraction') AS contracted_customers,
        count(*) FILTER (kind = 'churn') AS churned_customers,
        count(*) FILTER (kind = 'reactivation') AS reactivated_customers
    FROM mv GROUP BY 1
),
-- Customer-level NRR/GRR from the end of M-1 to the end of M: only customer-months with
-- movements change the ratio; the first movement's "before" is the MRR at the end of M-1.
customer_months AS (
    SELECT date_trunc('month', date)::DATE AS month,
           arg_min(before, date) AS s, arg_max(after, date) AS e
    FROM mv GROUP BY customer_id, 1
),
retention AS (
    SELECT month, sum(e - s) AS d_net, sum(least(e - s, 0)) AS d_gross
    FROM customer_months WHERE s > 0 GROUP BY month
),
filled AS (
    SELECT months.month,
        coalesce(new, 0) AS new, coalesce(expansion, 0) AS expansion,
        coalesce(contraction, 0) AS contraction, coalesce(churn, 0) AS churn,
        coalesce(reactivation, 0) AS reactivation,
        coalesce(new_customers, 0) AS new_customers,
        coalesce(expanded_customers, 0) AS expanded_customers,
        coalesce(contracted_customers, 0) AS contracted_customers,
        coalesce(churned_customers, 0) AS churned_customers,
        coalesce(reactivated_customers, 0) AS reactivated_customers,
        coalesce(d_net, 0) AS d_net, coalesce(d_gross, 0) AS d_gross
    FROM months
    LEFT JOIN by_month USING (month)
    LEFT JOIN retention USING (month)
),
levels AS (
    SELECT *,
        new + expansion + contraction + churn + reactivation AS net_new,
        sum(new + expansion + contraction + churn + reactivation) OVER w AS mrr,
        sum(new_customers + reactivated_customers - churned_customers) OVER w AS customers
    FROM filled WINDOW w AS (ORDER BY month ROWS UNBOUNDED PRECEDING)
),
prev AS (
    SELECT *, coalesce(lag(mrr) OVER (ORDER BY month), 0) AS prev_mrr,
              coalesce(lag(customers) OVER (ORDER BY month), 0) AS prev_customers
    FROM levels
)
SELECT month,
    mrr / 1e6 AS mrr, customers::BIGINT AS customers,
    new / 1e6 AS new, expansion / 1e6 AS expansion, contraction / 1e6 AS contraction,
    churn / 1e6 AS churn, reactivation / 1e6 AS reactivation, net_new / 1e6 AS net_new,
    new_customers, expanded_customers, contracted_customers, churned_customers,
    reactivated_customers,
    12 * mrr / 1e6 AS arr,
    CASE WHEN customers <> 0 THEN mrr / 1e6 / customers END AS arpa,
    CASE WHEN prev_customers <> 0 THEN churned_customers / prev_customers END
        AS customer_churn_rate,
    CASE WHEN prev_mrr <> 0 THEN -(churn + contraction) / prev_mrr END AS gross_mrr_churn_rate,
    CASE WHEN prev_mrr <> 0 THEN -(churn + contraction + expansion + reactivation) / prev_mrr END
        AS net_mrr_churn_rate,
    CASE WHEN churn + contraction <> 0
         THEN (new + expansion + reactivation) / -(churn + contraction) END AS quick_ratio,
    CASE WHEN prev_mrr <> 0 THEN (prev_mrr + d_net) / prev_mrr END AS nrr,
    CASE WHEN prev_mrr <> 0 THEN (prev_mrr + d_gross) / prev_mrr END AS grr
FROM prev ORDER BY month
"""

# The cohort is the month of the customer's `new` movement; the cohort's MRR at each month end
# is the running sum of its members' movements, divided by its MRR at the end of the cohort month.
COHORTS_SQL = """
WITH member AS (
    SELECT date_trunc('month', min(date) FILTER (kind = 'new') OVER (PARTITION BY customer_id))
               AS cohort,
           date_trunc('month', date) AS month, amount
    FROM mv
),
changes AS (
    SELECT cohort, month, sum(amount) AS d_mrr FROM member
    WHERE cohort IS NOT NULL GROUP BY ALL
),
grid AS (
    SELECT cohort, unnest(generate_series(cohort, date_trunc('month', $as_of::DATE),
                                          INTERVAL 1 MONTH)) AS month
    FROM (SELECT DISTINCT cohort FROM changes)
),
levels AS (
    SELECT cohort, month, sum(coalesce(d_mrr, 0)) OVER w AS mrr
    FROM grid LEFT JOIN changes USING (cohort, month)
    WINDOW w AS (PARTITION BY cohort ORDER BY month ROWS UNBOUNDED PRECEDING)
)
SELECT cohort::DATE AS cohort, datediff('month', cohort, month) AS age,
       CASE WHEN first_value(mrr) OVER w > 0 THEN mrr / first_value(mrr) OVER w END AS value
FROM levels
WINDOW w AS (PARTITION BY cohort ORDER BY month)
ORDER BY cohort, age
"""


def run_duckdb(lines: pd.DataFrame, as_of):
    """The same three results from DuckDB SQL, as pandas frames, and the stage times."""
    import duckdb

    con = duckdb.connect()
    try:
        t0 = time.perf_counter()
        con.register("lines", lines)
        con.execute(MOVEMENTS_SQL, {"as_of": None if as_of is None else str(as_of)}).fetchall()
        # The as-of day the movements were computed with, for the month grid (as mv.as_of).
        if as_of is None:
            as_of = con.execute(
                "SELECT max(greatest(start::DATE, coalesce(\"end\"::DATE, start::DATE))) "
                "FROM lines"
            ).fetchall()[0][0]
        # Through Arrow: twice as fast as .df() for millions of rows with string ids.
        mv = con.sql(MOVEMENTS_FETCH_SQL).to_arrow_table().to_pandas()
        t1 = time.perf_counter()
        table = con.execute(MONTHLY_SQL, {"as_of": str(as_of)}).df()
        t2 = time.perf_counter()
        long = con.execute(COHORTS_SQL, {"as_of": str(as_of)}).df()
        cohort = long.pivot(index="cohort", columns="age", values="value")
        t3 = time.perf_counter()
    finally:
        con.close()
    return (mv, table, cohort), {"movements": t1 - t0, "monthly": t2 - t1, "cohorts": t3 - t2}


# --------------------------------------------------------------------------- equality


def assert_same(ours, theirs) -> None:
    """mrrkit's and DuckDB's results agree: movements exactly, ratios to 1e-12."""
    (mv, table, cohort), (dmv, dtable, dcohort) = ours, theirs
    assert len(mv) == len(dmv), (len(mv), len(dmv))
    assert (mv["customer_id"].astype("str").to_numpy() == dmv["customer_id"].astype("str").to_numpy()).all()
    days = mv["date"].to_numpy().astype("datetime64[D]")
    assert (days == dmv["date"].to_numpy().astype("datetime64[D]")).all()
    assert (mv["kind"].astype("str").to_numpy() == dmv["kind"].astype("str").to_numpy()).all()
    for col in ("amount", "mrr_before", "mrr_after"):
        assert np.array_equal(mv[col].to_numpy(), dmv[col].to_numpy()), col

    dtable = dtable.set_index(pd.PeriodIndex(dtable.pop("month"), freq="M", name="month"))
    assert list(table.index) == list(dtable.index)
    for col in table.columns:
        np.testing.assert_allclose(
            table[col].to_numpy(dtype="float64"),
            dtable[col].to_numpy(dtype="float64", na_value=np.nan),
            rtol=1e-12, atol=0, equal_nan=True, err_msg=f"monthly column {col!r}",
        )

    dcohort.index = pd.PeriodIndex(dcohort.index, freq="M", name="cohort")
    dcohort = dcohort.reindex(columns=cohort.columns)
    assert list(cohort.index) == list(dcohort.index)
    np.testing.assert_allclose(
        cohort.to_numpy(), dcohort.to_numpy(dtype="float64", na_value=np.nan),
        rtol=1e-12, atol=0, equal_nan=True, err_msg="cohort table",
    )


def check_equal(n: int) -> None:
    """Assert that both engines agree on n customers, both id formats, with and without as_of."""
    for ids in ("short", "long"):
        lines = generate_lines(n, seed=SEED + 1, ids=ids)
        for as_of in (AS_OF, None):
            ours, _ = run_mrrkit(lines, as_of)
            theirs, _ = run_duckdb(lines, as_of)
            assert_same(ours, theirs)
    kinds = ours[0]["kind"].value_counts().to_dict()
    print(f"check: mrrkit == DuckDB SQL on {n:,} customers ({len(lines):,} lines, "
          f"{len(ours[0]):,} movements {kinds}), short and long ids, with and without as_of")


# --------------------------------------------------------------------------- child processes


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peak_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(engine: str, path: str, repeats: int) -> None:
    lines = pd.read_parquet(path)
    preset = engine.split(":", 1)[1] if engine.startswith("mrrkit:") else None
    if preset is not None:  # another tool's definitions, on lines carrying what they read
        lines = with_statuses(lines)
        run = functools.partial(run_mrrkit, definitions=preset)
    else:
        run = run_mrrkit if engine == "mrrkit" else run_duckdb
    # Import the engine before the memory baseline (and only that engine).
    __import__("duckdb" if engine == "duckdb" else "mrrkit")

    loaded_kb = _rss_kb()
    reset = _reset_peak()
    times, cpu = [], []
    for _ in range(repeats):
        cpu_start = time.process_time()
        results, stages = run(lines, AS_OF)
        cpu.append(time.process_time() - cpu_start)
        n_movements = len(results[0])
        del results
        times.append(stages)
    peak_kb = _peak_kb() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "times": times, "cpu": cpu, "loaded_mb": loaded_kb / 1024, "peak_mb": peak_kb / 1024,
        "peak_reset": reset, "movements": n_movements,
    }))


def measure(engine: str, path: str, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, path, "--repeats", str(repeats)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(result: dict) -> dict:
    """Best and median total, best of each stage, best CPU time (seconds)."""
    times = result["times"]
    totals = [sum(t.values()) for t in times]
    out = {"best": min(totals), "median": statistics.median(totals), "cpu": min(result["cpu"])}
    for stage in times[0]:
        out[stage] = min(t[stage] for t in times)
    return out


def _stages(t: dict) -> str:
    return (f"best {t['best']:.3f}s = movements {t['movements']:.3f} + monthly {t['monthly']:.3f}"
            f" + cohorts {t['cohorts']:.3f}; median {t['median']:.3f}s; CPU {t['cpu']:.3f}s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[300_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ids", choices=("short", "long"), default="short",
                        help="customer ids: 'C0000042' (default) or Stripe-like 'cus_' + 14 chars")
    parser.add_argument("--preset", default="chartmogul",
                        help="another tool's definitions timed next to mrrkit's (issue 15)")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PARQUET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.repeats)
        return

    import duckdb

    print(f"pandas {pd.__version__}, numpy {np.__version__}, duckdb {duckdb.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    check_equal(SMALL_N)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.customers:
            path = os.path.join(tmp, f"lines_{n}.parquet")
            lines = generate_lines(n, ids=args.ids)
            lines.to_parquet(path)
            n_lines = len(lines)
            del lines
            ours = measure("mrrkit", path, args.repeats)
            preset = measure(f"mrrkit:{args.preset}", path, args.repeats)
            theirs = measure("duckdb", path, args.repeats)
            rows.append((n, n_lines, ours, summarise(ours), summarise(theirs), summarise(preset)))
            print(f"N={n:,} ({n_lines:,} lines, {ours['movements']:,} movements, {args.ids} ids)")
            print(f"  mrrkit: {_stages(summarise(ours))}")
            print(f"  mrrkit, {args.preset} definitions (lines with statuses and their dates): "
                  f"{_stages(summarise(preset))}")
            print(f"  DuckDB: {_stages(summarise(theirs))} (CPU summed over its threads)", flush=True)

    print()
    print(f"best of {args.repeats}; load average {os.getloadavg()[0]:.2f} at end; peak MB = peak "
          "RSS of the mrrkit process during the pipeline, +MB = above the RSS after loading")
    header = ("N", "lines", "mrrkit s", "duckdb s", "ratio", "peak MB", "+MB",
              f"{args.preset} s", f"{args.preset} / mrrkit")
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for n, n_lines, ours, ours_t, theirs_t, preset_t in rows:
        print(f"| {n:,} | {n_lines:,} | {ours_t['best']:.2f} | {theirs_t['best']:.2f} | "
              f"{theirs_t['best'] / ours_t['best']:.1f}x | {ours['peak_mb']:,.0f} | "
              f"{ours['peak_mb'] - ours['loaded_mb']:,.0f} | {preset_t['best']:.2f} | "
              f"{preset_t['best'] / ours_t['best']:.2f}x |")


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_core", skip="--child" in sys.argv):
        main()
