"""Scale benchmark (issue 16): monthly + MRR cohorts at 1M, 10M and 30M customers, the pandas
engine vs mrrkit.sql on DuckDB (4 GB memory limit) vs hand-written DuckDB SQL of the same rules,
PySpark local at 1M.

Usage::

    python benchmarks/bench_scale.py [--customers 1000000 10000000 30000000] [--repeats 2]
        [--cache /tmp/mrrkit-bench-scale] [--memory-limit 4GB] [--threads 2]
        [--pandas-cap-gb 16] [--spark-customers 1000000] [--engines pandas sql hand spark]

Lines come from ``bench_core.generate_lines`` in chunks of 1M customers (chunk ``i``: seed
``SEED + i``, customer ids ``C00000000 + i * 1M``, so a chunk never needs the whole table in
memory), written once as ``<cache>/chunks/part-NNNNN.parquet`` and reused by later runs; the
Parquet folder of N customers is ``<cache>/customers-N/``, symbolic links to the first N / 1M
chunks (so 1M, 10M and 30M share their files: ~1.2 GB on disk for 30M). ``--cache`` defaults
to ``$MRRKIT_BENCH_SCALE_CACHE`` or ``/tmp/mrrkit-bench-scale``; delete it to start afresh.

Each engine runs in its own child process, all with the same as-of day (``bench_core.AS_OF``):

* **pandas**: ``pd.read_parquet(folder)`` (timed apart, as "load"), then ``mrrkit.movements``
  (its frame read), ``monthly`` and ``cohorts(value="mrr")``, under an address-space limit
  (``RLIMIT_AS``, ``--pandas-cap-gb``) so that a size that does not fit ends in "out of memory"
  instead of taking the machine down; the need is then estimated from the peak memory per
  customer of the largest size that ran.
* **mrrkit.sql** on DuckDB through Ibis: ``ibis.duckdb.connect(memory_limit=..., threads=...,
  temp_directory=<cache>/duckdb-tmp)``, ``lines_table(con.read_parquet(folder/*.parquet))``
  (its checking query timed as "check"), ``default_as_of`` (one aggregate query, timed apart,
  not used: the as-of day is given), then ``monthly(mv)`` and ``cohorts(mv, "mrr")``: two queries,
  each computing the movements from the Parquet files again (nothing is materialised).
* **hand SQL**: the same rules written by hand (:data:`MONTHLY_SQL`, :data:`COHORTS_SQL`: the
  movements of ``bench_core.MOVEMENTS_SQL`` as a CTE over the same Parquet files, then
  ``bench_core``'s monthly and cohort SQL), on a plain ``duckdb`` connection with the same memory
  limit, threads and temp directory: the same two queries, the rates computed in SQL.
* **spark** (``--spark-customers``, 1M): mrrkit.sql on PySpark ``local[2]`` over the same Parquet
  folder, for correctness and overhead.

Results are compared at every size: mrrkit.sql's monthly table and cohort grid against the hand
SQL's (every column, to 1e-12) and against the pandas engine's where it ran; Spark's against
the pandas engine's. The report gives each stage's best time, the peak RSS of each child (the
whole process: DuckDB's memory is in it, its memory limit covers its buffers, not Python's),
the ratios mrrkit.sql / hand SQL and pandas / mrrkit.sql measured in the same run, and the
growth: seconds per million customers at each size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import AS_OF, COHORTS_SQL, SEED, generate_lines  # noqa: E402
from bench_core import MONTHLY_SQL as _MONTHLY_BODY  # noqa: E402

CHUNK = 1_000_000
ID_WIDTH = 8  # C00000000: room for 100M customers
DEFAULT_CACHE = os.environ.get("MRRKIT_BENCH_SCALE_CACHE", "/tmp/mrrkit-bench-scale")
AS_OF_TEXT = str(AS_OF)

# --------------------------------------------------------------------------- data


def chunk_lines(i: int) -> pd.DataFrame:
    """Chunk ``i``: 1M customers of ``generate_lines`` (seed ``SEED + i``), their ids moved to
    ``C{i * 1M + k:08d}`` so that chunks never share a customer."""
    lines = generate_lines(CHUNK, seed=SEED + i)
    local = lines["customer_id"].str.slice(1).astype("int64").to_numpy() + i * CHUNK
    ids = np.char.add("C", np.char.zfill(local.astype(f"U{ID_WIDTH}"), ID_WIDTH))
    return lines.assign(customer_id=pd.array(ids, dtype="str"))


def chunk_path(cache: Path, i: int) -> Path:
    return cache / "chunks" / f"part-{i:05d}.parquet"


def folder_for(cache: Path, n: int) -> Path:
    """The Parquet folder of ``n`` customers (a multiple of 1M), writing missing chunks."""
    if n % CHUNK:
        raise SystemExit(f"--customers must be multiples of {CHUNK:,} (got {n:,})")
    (cache / "chunks").mkdir(parents=True, exist_ok=True)
    folder = cache / f"customers-{n}"
    folder.mkdir(exist_ok=True)
    for i in range(n // CHUNK):
        path = chunk_path(cache, i)
        if not path.exists():
            t0 = time.perf_counter()
            part = chunk_lines(i)
            tmp = path.with_suffix(".tmp")
            part.to_parquet(tmp, index=False)
            tmp.rename(path)
            print(f"  wrote {path.name}: {len(part):,} lines in {time.perf_counter() - t0:.1f}s",
                  flush=True)
        link = folder / path.name
        if not link.exists():
            link.symlink_to(os.path.relpath(path, folder))
    return folder


def count_lines(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet")))


def disk_free_gb(path: Path) -> float:
    return shutil.disk_usage(path).free / 2**30


# --------------------------------------------------------------------------- hand SQL

# bench_core.MOVEMENTS_SQL's rules as a CTE over the Parquet files, with the as-of day given.
MOVEMENTS_CTE = """
coded AS (
    SELECT customer_id, start::DATE AS s, "end"::DATE AS e,
           CASE WHEN abs(mrr) <= 1e-6 THEN 0 ELSE round(mrr * 1e6)::BIGINT END AS m
    FROM read_parquet($files)
),
live AS (  -- lines that last at least a day, are worth something and start by as_of
    SELECT * FROM coded WHERE m <> 0 AND (e IS NULL OR e > s) AND s <= $as_of::DATE
),
events AS (
    SELECT customer_id, s AS day, m AS delta FROM live
    UNION ALL
    SELECT customer_id, e AS day, -m AS delta FROM live WHERE e IS NOT NULL AND e <= $as_of::DATE
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
),
mv AS (
    SELECT customer_id, day AS date,
           CASE WHEN after = 0 THEN 'churn'
                WHEN after = amount THEN CASE WHEN n = 1 THEN 'new' ELSE 'reactivation' END
                WHEN amount > 0 THEN 'expansion'
                ELSE 'contraction' END AS kind,
           amount, (after - amount)::BIGINT AS before, after::BIGINT AS after
    FROM running
)"""


def _over_parquet(query: str) -> str:
    """A bench_core query over the table ``mv`` as one query from the Parquet files."""
    body = query.strip()
    assert body.startswith("WITH "), body[:20]
    return "WITH " + MOVEMENTS_CTE.strip() + ",\n" + body[len("WITH "):]


#: The monthly table (every column of mrrkit.monthly) from the Parquet files, in one query.
MONTHLY_SQL = _over_parquet(_MONTHLY_BODY)
#: The MRR cohort table (long: cohort, age, value) from the Parquet files, in one query.
COHORTS_SQL_PARQUET = _over_parquet(COHORTS_SQL)


def duckdb_config(args) -> dict:
    tmp = Path(args.cache) / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {"memory_limit": args.memory_limit, "threads": args.threads,
            "temp_directory": str(tmp)}


# --------------------------------------------------------------------------- children


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _timed(stages: dict, name: str, compute):
    """Run ``compute``; its wall time into ``stages[name]``, the process's CPU time (every
    thread: DuckDB's too) into ``stages["cpu " + name]``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = compute()
    stages[name] = time.perf_counter() - t0
    stages["cpu " + name] = time.process_time() - c0
    return out


def run_pandas(folder: Path, repeats: int):
    import mrrkit

    times = []
    stages: dict = {}
    lines = _timed(stages, "load", lambda: pd.read_parquet(folder))
    loaded_kb = _status_kb("VmRSS")
    for _ in range(repeats):
        stages = stages if not times else {}
        mv = _timed(stages, "movements",
                    lambda: (lambda m: (m.frame, m)[1])(mrrkit.movements(lines, as_of=AS_OF)))
        table = _timed(stages, "monthly", lambda: mrrkit.monthly(mv))
        cohort = _timed(stages, "cohorts", lambda: mrrkit.cohorts(mv, value="mrr"))
        del mv
        times.append(stages)
    return (table, cohort), times, {"loaded_mb": loaded_kb / 1024}


def run_sql(folder: Path, repeats: int, config: dict):
    import ibis

    import mrrkit.sql

    con = ibis.duckdb.connect(**config)
    times = []
    as_of = pd.Timestamp(AS_OF_TEXT)
    for _ in range(repeats):
        stages: dict = {}
        lines = _timed(stages, "check", lambda: mrrkit.sql.lines_table(
            con.read_parquet(str(folder / "*.parquet"))))
        _timed(stages, "as_of", lambda: mrrkit.sql.default_as_of(lines))
        mv = mrrkit.sql.movements(lines, as_of=as_of)
        table = _timed(stages, "monthly", lambda: mrrkit.sql.monthly(mv))
        cohort = _timed(stages, "cohorts", lambda: mrrkit.sql.cohorts(mv, "mrr"))
        times.append(stages)
    con.disconnect()
    return (table, cohort), times, {}


def run_hand(folder: Path, repeats: int, config: dict):
    import duckdb

    con = duckdb.connect(config=config)
    params = {"files": str(folder / "*.parquet"), "as_of": AS_OF_TEXT}
    times = []
    for _ in range(repeats):
        stages: dict = {}
        table = _timed(stages, "monthly", lambda: con.execute(MONTHLY_SQL, params).df())
        long = _timed(stages, "cohorts", lambda: con.execute(COHORTS_SQL_PARQUET, params).df())
        times.append(stages)
    con.close()
    cohort = long.pivot(index="cohort", columns="age", values="value")
    return (table, cohort), times, {}


def run_spark(folder: Path, repeats: int, cache: Path):
    import ibis
    from pyspark.sql import SparkSession

    import mrrkit.sql

    session = (SparkSession.builder.master("local[2]").appName("mrrkit-bench-scale")
               .config("spark.driver.memory", "4g")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.warehouse.dir", str(cache / "spark-warehouse"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    con = ibis.pyspark.connect(session)
    times = []
    as_of = pd.Timestamp(AS_OF_TEXT)
    for _ in range(repeats):
        stages: dict = {}
        lines = _timed(stages, "check", lambda: mrrkit.sql.lines_table(
            con.read_parquet(str(folder))))
        mv = mrrkit.sql.movements(lines, as_of=as_of)
        table = _timed(stages, "monthly", lambda: mrrkit.sql.monthly(mv))
        cohort = _timed(stages, "cohorts", lambda: mrrkit.sql.cohorts(mv, "mrr"))
        times.append(stages)
    session.stop()
    return (table, cohort), times, {}


def child(args) -> None:
    engine, folder = args.child[0], Path(args.child[1])
    out = Path(args.child_out)
    cache = Path(args.cache)
    if engine == "pandas":
        cap = int(args.pandas_cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        results, times, extra = run_pandas(folder, args.repeats)
    elif engine == "sql":
        results, times, extra = run_sql(folder, args.repeats, duckdb_config(args))
    elif engine == "hand":
        results, times, extra = run_hand(folder, args.repeats, duckdb_config(args))
    elif engine == "spark":
        results, times, extra = run_spark(folder, args.repeats, cache)
    else:
        raise SystemExit(f"unknown engine {engine!r}")
    with open(out, "wb") as f:
        pickle.dump(results, f)
    print(json.dumps({"times": times, "peak_mb": _status_kb("VmHWM") / 1024,
                      "vm_peak_mb": _status_kb("VmPeak") / 1024, **extra}))


def measure(engine: str, folder: Path, args) -> dict:
    """Run one engine in a child process: its times and peak memory, its results unpickled, or
    ``{"failed": ...}`` (``"out of memory"`` when the address-space limit stopped it)."""
    out = Path(args.cache) / "results" / f"{engine}-{folder.name}.pickle"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--child", engine, str(folder), "--child-out", str(out),
               "--repeats", str(args.repeats), "--cache", str(args.cache),
               "--memory-limit", args.memory_limit, "--threads", str(args.threads),
               "--pandas-cap-gb", str(args.pandas_cap_gb)]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        err = done.stderr.strip().splitlines()
        last = err[-1] if err else f"exit status {done.returncode}"
        memory = any(word in done.stderr for word in ("MemoryError", "bad_alloc",
                                                     "Cannot allocate", "out of memory",
                                                     "Out of Memory"))
        if engine == "pandas" and (memory or done.returncode < 0):
            return {"failed": "out of memory", "detail": last, "wall": wall}
        return {"failed": last, "wall": wall}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    with open(out, "rb") as f:
        result["results"] = pickle.load(f)
    out.unlink()
    result["wall"] = wall
    return result


# --------------------------------------------------------------------------- comparing


def same(ours, theirs, what: str) -> None:
    """Two engines' monthly tables and cohort grids agree: every column, every cell, to 1e-12."""
    (table, cohort), (table2, cohort2) = ours, theirs
    if "month" in table2.columns:  # the hand SQL's monthly table
        table2 = table2.set_index(pd.PeriodIndex(table2.pop("month"), freq="M", name="month"))
    assert list(table.index) == list(table2.index), f"{what}: monthly rows differ"
    for col in table.columns:
        np.testing.assert_allclose(
            table[col].to_numpy(dtype="float64", na_value=np.nan),
            table2[col].to_numpy(dtype="float64", na_value=np.nan),
            rtol=1e-12, atol=0, equal_nan=True, err_msg=f"{what}: monthly column {col!r}")
    if not isinstance(cohort2.index, pd.PeriodIndex):
        cohort2 = cohort2.copy()
        cohort2.index = pd.PeriodIndex(cohort2.index, freq="M", name="cohort")
    cohort2 = cohort2.reindex(columns=cohort.columns)
    assert list(cohort.index) == list(cohort2.index), f"{what}: cohorts differ"
    np.testing.assert_allclose(
        cohort.to_numpy(dtype="float64", na_value=np.nan),
        cohort2.to_numpy(dtype="float64", na_value=np.nan),
        rtol=1e-12, atol=0, equal_nan=True, err_msg=f"{what}: cohort grid")


def movement_count(table: pd.DataFrame) -> int:
    return int(table[["new_customers", "expanded_customers", "contracted_customers",
                      "churned_customers", "reactivated_customers"]].to_numpy().sum())


def best(result: dict, stages=("monthly", "cohorts")) -> float:
    """The best repeat's total over ``stages`` (seconds)."""
    return min(sum(t.get(s, 0.0) for s in stages) for t in result["times"])


def best_cpu(result: dict, stages=("monthly", "cohorts")) -> float:
    """The least CPU time over the repeats for ``stages`` (seconds, every thread)."""
    return best(result, tuple("cpu " + s for s in stages))


def best_stage(result: dict, stage: str) -> float:
    return min(t[stage] for t in result["times"] if stage in t)


def pipeline_stages(engine: str) -> tuple[str, ...]:
    return ("movements", "monthly", "cohorts") if engine == "pandas" else ("monthly", "cohorts")


def describe(engine: str, r: dict) -> str:
    if "failed" in r:
        return f"{r['failed']} after {r['wall']:.0f}s ({r.get('detail', '')})"
    stages = pipeline_stages(engine)
    first = r["times"][0]
    parts = " + ".join(f"{s} {best_stage(r, s):.2f}" for s in stages)
    extra = ", ".join(f"{s} {best_stage(r, s):.2f}s" for s in ("load", "check", "as_of")
                      if s in first)
    memory = f"peak RSS {r['peak_mb']:,.0f} MB"
    if engine == "pandas":
        memory += f" (address space {r['vm_peak_mb']:,.0f} MB)"
    if engine == "spark":
        memory += " (Python's)"
    cpu = f"CPU {best_cpu(r, stages):.2f}s" + (" (Python's; the JVM's apart)"
                                                if engine == "spark" else "")
    return (f"best {best(r, stages):.2f}s = {parts}; {cpu}; {extra + '; ' if extra else ''}"
            f"{memory}")


# --------------------------------------------------------------------------- main


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+",
                        default=[1_000_000, 10_000_000, 30_000_000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cache", default=DEFAULT_CACHE,
                        help="folder of the generated Parquet files (reused), outside the repo")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory_limit")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB's threads")
    parser.add_argument("--pandas-cap-gb", type=float, default=16.0,
                        help="address-space limit of the pandas engine's process (GiB)")
    parser.add_argument("--spark-customers", type=int, default=1_000_000,
                        help="the size at which PySpark local[2] runs (0: never)")
    parser.add_argument("--engines", nargs="+", default=["pandas", "sql", "hand", "spark"],
                        choices=["pandas", "sql", "hand", "spark"])
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return

    import duckdb
    import ibis

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"pandas {pd.__version__}, ibis {ibis.__version__}, duckdb {duckdb.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"DuckDB memory_limit={args.memory_limit} threads={args.threads}; pandas engine "
          f"under RLIMIT_AS {args.pandas_cap_gb:g} GiB; as of {AS_OF_TEXT}; best of "
          f"{args.repeats}; cache {cache} ({disk_free_gb(cache):.0f} GiB free)")
    rows = []
    for n in args.customers:
        t0 = time.perf_counter()
        folder = folder_for(cache, n)
        n_lines = count_lines(folder)
        print(f"N={n:,}: {n_lines:,} lines in {len(list(folder.glob('*.parquet')))} Parquet "
              f"files ({time.perf_counter() - t0:.1f}s to prepare), load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)
        engines = [e for e in ("hand", "sql", "pandas", "spark") if e in args.engines
                   and (e != "spark" or n == args.spark_customers)]
        got = {}
        for engine in engines:
            got[engine] = measure(engine, folder, args)
            print(f"  {engine:6}: {describe(engine, got[engine])}", flush=True)
        checks = []
        ok = {e: r for e, r in got.items() if "results" in r}
        if "sql" in ok and "hand" in ok:
            same(ok["sql"]["results"], ok["hand"]["results"], f"mrrkit.sql vs hand SQL at {n:,}")
            checks.append("mrrkit.sql == hand SQL")
        if "sql" in ok and "pandas" in ok:
            same(ok["pandas"]["results"], ok["sql"]["results"], f"pandas vs mrrkit.sql at {n:,}")
            checks.append("mrrkit.sql == pandas")
        if "spark" in ok and "pandas" in ok:
            same(ok["pandas"]["results"], ok["spark"]["results"], f"pandas vs Spark at {n:,}")
            checks.append("Spark == pandas")
        any_ok = next(iter(ok.values()), None)
        moves = movement_count(any_ok["results"][0]) if any_ok else 0
        print(f"  equal (monthly table and MRR cohort grid, every cell): "
              f"{', '.join(checks) or 'nothing to compare'}; {moves:,} movements", flush=True)
        for r in ok.values():
            r.pop("results")
        rows.append((n, n_lines, got))

    report(rows, args)


def report(rows, args) -> None:
    print()
    print(f"Seconds for monthly + MRR cohorts (best of {args.repeats}; pandas: movements + "
          "monthly + cohorts from the lines in memory, load apart; mrrkit.sql and hand SQL: two "
          "queries from the Parquet files each). Load average at end "
          f"{os.getloadavg()[0]:.2f}.")
    header = ("customers", "lines", "hand SQL: s, peak MB", "mrrkit.sql: s, peak MB",
              "sql / hand", "pandas: s, peak MB", "pandas / sql", "spark s", "spark / sql")
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    per_m = {}
    peak_per_m = []

    def cell(engine: str) -> str:
        r = got.get(engine)
        if r is None:
            return "-"
        if "failed" in r:
            need = (f"; needs ~{peak_per_m[-1] * n / 1e6 / 1024:.0f} GB at "
                    f"{peak_per_m[-1]:,.0f} MB per 1M customers (the largest size that ran)"
                    if peak_per_m else "")
            cap = f" under a {args.pandas_cap_gb:g} GiB cap" if engine == "pandas" else ""
            return f"{r['failed']}{cap}{need}"
        return f"{t[engine]:.2f}, {r['peak_mb']:,.0f}"

    def ratio(a: str, b: str, digits: int = 2) -> str:
        return f"{t[a] / t[b]:.{digits}f}x" if {a, b} <= t.keys() else "-"

    for n, n_lines, got in rows:
        t = {e: best(r, pipeline_stages(e)) for e, r in got.items() if "times" in r}
        for e, v in t.items():
            per_m.setdefault(e, []).append((n, v))
        cells = [f"{n:,}", f"{n_lines:,}", cell("hand"), cell("sql"), ratio("sql", "hand"),
                 cell("pandas"), ratio("pandas", "sql"),
                 f"{t['spark']:.2f}" if "spark" in t else "-", ratio("spark", "sql", 1)]
        if "pandas" in t:
            peak_per_m.append(got["pandas"]["peak_mb"] / (n / 1e6))
        print("| " + " | ".join(cells) + " |")
    print()
    print("CPU seconds (every thread of the engine's process: what the work costs whatever the "
          "load; DuckDB runs 2 threads, pandas 1)")
    for n, _, got in rows:
        c = {e: best_cpu(r, pipeline_stages(e)) for e, r in got.items()
             if "times" in r and e != "spark"}
        text = ", ".join(f"{e} {v:.2f}" for e, v in c.items())
        if {"sql", "hand"} <= c.keys():
            text += f"; sql / hand {c['sql'] / c['hand']:.2f}x"
        if {"pandas", "sql"} <= c.keys():
            text += f"; pandas / sql {c['pandas'] / c['sql']:.2f}x"
        print(f"  {n:,}: {text}")
    print()
    print("Growth: seconds per million customers (exponent k of time ~ N^k between sizes)")
    for engine, points in per_m.items():
        if len(points) < 1:
            continue
        text = ", ".join(f"{v / (n / 1e6):.3f} at {n / 1e6:g}M" for n, v in points)
        slopes = [math.log(b[1] / a[1]) / math.log(b[0] / a[0])
                  for a, b in zip(points, points[1:]) if b[0] != a[0]]
        if slopes:
            text += "; k = " + ", ".join(f"{k:.2f}" for k in slopes)
        print(f"  {engine}: {text}")


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_scale", skip="--child" in sys.argv):
        main()
