"""The app on a warehouse source (issue 16): the Overview of a 10M-customer DuckDB warehouse, first
page and segment-filter changes, measured in the app's own server code (AppTest), next to the bare
mrrkit.sql queries the page needs.

Usage::

    python benchmarks/bench_warehouse_app.py [--customers 10000000] [--filters 5]
        [--cache /tmp/mrrkit-bench-scale] [--memory-limit 4GB] [--threads 2]

The lines are ``benchmarks/bench_scale.py``'s Parquet folder of N customers (written by it once:
run it first, or this script writes the folder the same way). A DuckDB file in the cache holds
one view over those files adding a segment column (``tier``, five values from a hash of the
customer id: the generator's lines have no attribute), and the app's secrets point
``[warehouse]`` at it (memory limit, threads), as a data team would point it at its warehouse.

Each measurement runs in a fresh child process (nothing cached in it, as a server that just
started), three times:

* **no store**: the app computes every customer's movements and labels into temporary tables;
* **empty store** (``store = "...duckdb"`` in the settings): the same, into the store file;
* **filled store**: a server started again on the store the previous one filled (what a
  restart, or a store prepared after the nightly load, gives).

In each:

* **first page**: ``AppTest`` of ``app.py`` opening the Overview at bench_core's as-of day: the
  connection and its checking query, the lines' content digest, the sidebar's dates and segment
  options, the monthly table of every customer and the KPIs, the page drawn;
* **filter change**: then the sidebar's segment filter set to one value after another (each a
  first time): the run after each change (the selection's monthly table and KPIs);
* **other pages**: then, every customer selected again, the first visit of each other page
  (its own queries: listings, segment sums, customers, forecast inputs...), and on it a filter
  on one label (the page's figures of that label, a first time for the page), then none again;
* **bare queries** (the peer, in the first child only): the same mrrkit.sql calls outside the
  app (lines_table, monthly, kpis; then with a filter), to show what the app adds.

The issue's targets: first page < 10 s, a segment-filter change < 2 s (median) at 10M customers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import perfdoc  # noqa: E402

SIZES = ("SMB", "Mid-market", "Enterprise", "Public sector", "Education")


def folder_of(cache: Path, customers: int) -> Path:
    folder = cache / f"customers-{customers}"
    if folder.exists() and any(folder.glob("*.parquet")):
        return folder
    try:
        from benchmarks.bench_scale import folder_for
    except ImportError:
        sys.exit(f"no Parquet folder at {folder}: run benchmarks/bench_scale.py --customers "
                 f"{customers} first")
    return folder_for(cache, customers)


def warehouse_file(cache: Path, folder: Path) -> Path:
    """A DuckDB file with one view ``lines`` over the folder's Parquet files and a segment."""
    import duckdb

    path = cache / f"warehouse-{folder.name}-v2.duckdb"
    if path.exists():
        return path
    con = duckdb.connect(str(path))
    labels = ", ".join(f"'{s}'" for s in SIZES)
    con.execute(
        f"CREATE VIEW lines AS SELECT *, ([{labels}])[1 + (hash(customer_id) % {len(SIZES)})::BIGINT]"
        f" AS tier FROM read_parquet('{folder}/*.parquet')")
    con.close()
    return path


def child(database: str, memory_limit: str, threads: int, filters: int, as_of: str,
          store: str, bare: bool) -> dict:
    """In a fresh process: the app's first page and filter changes, then the bare queries."""
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    settings = {"url": database, "table": "lines", "name": "bench warehouse",
                "memory_limit": memory_limit, "threads": threads}
    if store:  # (the server's own warmer off: what is measured is the visit's own work)
        settings["store"] = store
        settings["warm"] = []
    out = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.secrets["_isolated"] = True
    at.secrets["warehouse"] = settings
    at.query_params["asof"] = as_of
    t0 = time.perf_counter()
    at.run()
    out["first_page"] = time.perf_counter() - t0
    if at.exception or at.error:
        raise RuntimeError([e.value for e in [*at.exception, *at.error]])
    out["mrr_tile"] = at.metric[0].value
    changes = []
    for value in SIZES[:filters]:
        box = next(m for m in at.sidebar.multiselect if m.label == "Tier")
        t0 = time.perf_counter()
        at = box.set_value([value]).run()
        changes.append(time.perf_counter() - t0)
        if at.exception or at.error:
            raise RuntimeError([e.value for e in [*at.exception, *at.error]])
    out["filter_changes"] = changes
    # Then every other page a warehouse shows, first visits, every customer selected.
    box = next(m for m in at.sidebar.multiselect if m.label == "Tier")
    at = box.set_value([]).run()
    pages, filtered = {}, {}
    for path in sorted((ROOT / "pages").glob("*.py")):
        if path.stem.endswith(("Overview", "Data")):
            continue
        name = path.stem.split("_", 1)[1]
        at.switch_page(f"pages/{path.name}")
        t0 = time.perf_counter()
        at.run()
        pages[name] = time.perf_counter() - t0
        if at.exception or at.error:
            raise RuntimeError([e.value for e in [*at.exception, *at.error]])
        # On the page, a filter on one label (a first time for this page), then none again.
        box = next(m for m in at.sidebar.multiselect if m.label == "Tier")
        t0 = time.perf_counter()
        at = box.set_value([SIZES[1]]).run()
        filtered[name] = time.perf_counter() - t0
        if at.exception or at.error:
            raise RuntimeError([e.value for e in [*at.exception, *at.error]])
        box = next(m for m in at.sidebar.multiselect if m.label == "Tier")
        at = box.set_value([]).run()
    out["pages"] = pages
    out["pages_filtered"] = filtered
    if not bare:
        return out

    import mrrkit.sql

    t0 = time.perf_counter()
    lines = mrrkit.sql.open_lines(database, "lines", memory_limit=memory_limit, threads=threads)
    mv = mrrkit.sql.movements(lines, as_of=as_of)
    table = mrrkit.sql.monthly(mv)
    mrrkit.sql.kpis(mv, table.index[-1])
    out["bare_first"] = time.perf_counter() - t0
    bare = []
    for value in SIZES[:filters]:
        t0 = time.perf_counter()
        part = mrrkit.sql.movements(mrrkit.sql.segment_lines(lines, {"tier": [value]}),
                                    as_of=as_of)
        mrrkit.sql.kpis(part, pd.Period(table.index[-1], freq="M"))
        bare.append(time.perf_counter() - t0)
    out["bare_filters"] = bare
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--filters", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir())
                        / "mrrkit-bench-scale")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        database, memory_limit, threads, filters, as_of, store, bare = args.child
        print(json.dumps(child(database, memory_limit, int(threads), int(filters), as_of,
                               store, bare == "bare")))
        return
    import os

    from benchmarks.bench_core import AS_OF

    args.cache.mkdir(parents=True, exist_ok=True)
    folder = folder_of(args.cache, args.customers)
    database = warehouse_file(args.cache, folder)
    store = args.cache / f"store-{folder.name}.duckdb"
    for old in (store, store.with_suffix(".duckdb.wal")):
        old.unlink(missing_ok=True)
    env = {**os.environ, "MRRKIT_TODAY": str(AS_OF)}

    def run(store_path: str, bare: bool) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(database), args.memory_limit,
             str(args.threads), str(args.filters), str(AS_OF), store_path,
             "bare" if bare else "app"], capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode:
            sys.exit(done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    runs = {"no store": run("", True), "empty store": run(str(store), False),
            "filled store (a restart)": run(str(store), False)}
    for old in (store, store.with_suffix(".duckdb.wal")):
        old.unlink(missing_ok=True)
    # `make warm` on an empty store (what a data team runs after each load), then a first visit.
    warm = ("import json, sys; from ui import warehouse; print(json.dumps(warehouse.warm("
            "json.loads(sys.argv[1]), as_of=sys.argv[2])))")
    chosen = {"url": str(database), "table": "lines", "name": "bench warehouse",
              "memory_limit": args.memory_limit, "threads": args.threads, "store": str(store)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", warm, json.dumps(chosen), str(AS_OF)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    warm_seconds = time.perf_counter() - t0
    runs[f"after make warm ({warm_seconds:.0f} s)"] = run(str(store), False)
    for old in (store, store.with_suffix(".duckdb.wal")):
        old.unlink(missing_ok=True)
    bare = runs["no store"]
    bare_median = statistics.median(bare["bare_filters"])
    print(f"{args.customers:,} customers (Parquet {folder}), DuckDB memory limit "
          f"{args.memory_limit}, {args.threads} threads; Overview at {AS_OF}")
    print("| the app (AppTest, server code) | first page | segment-filter change (median of "
          f"{args.filters}) | filter changes |")
    print("|---|---|---|---|")
    for name, got in runs.items():
        median = statistics.median(got["filter_changes"])
        print(f"| {name} | {got['first_page']:.2f} s | {median:.2f} s | "
              f"{', '.join(f'{x:.2f}' for x in got['filter_changes'])} s |")
    print(f"| bare mrrkit.sql queries (the peer) | {bare['bare_first']:.2f} s | "
          f"{bare_median:.2f} s | {', '.join(f'{x:.2f}' for x in bare['bare_filters'])} s |")
    print("| target | < 10 s | < 2 s | |")
    print()
    names = list(runs["no store"]["pages"])
    print("| first visit of a page, after the Overview | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for name, got in runs.items():
        print(f"| {name} | " + " | ".join(f"{got['pages'][n]:.2f} s" for n in names) + " |")
    print()
    print("| then a filter on one label on that page | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for name, got in runs.items():
        print(f"| {name} | " + " | ".join(f"{got['pages_filtered'][n]:.2f} s" for n in names)
              + " |")
    tiles = {got["mrr_tile"] for got in runs.values()}
    print(f"MRR tile {', '.join(sorted(tiles))} (the same in every run)" if len(tiles) == 1
          else f"MRR tiles DIFFER: {runs}")


if __name__ == "__main__":
    with perfdoc.recorded("bench_warehouse_app", skip="--child" in sys.argv):
        main()
