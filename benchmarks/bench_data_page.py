"""How often, and how fast, the Data page reads an upload: a run of ``pages/0_Data.py`` (Streamlit's
AppTest) on a Stripe subscriptions export of ``--rows`` rows, in one currency and in two.

Run: ``.venv/bin/python benchmarks/bench_data_page.py [--rows 50000] [--repeat 5]
[--peer PATH]``. Each measure runs in a fresh process (cold caches): the page's first run after
the upload, and for the file in two currencies the run after choosing the reporting currency.
"Reads" counts the times the upload's bytes are parsed in that run (each call of
``mrrkit.io.table.read_table`` on them, a partial read of the first 256 KB included). With
``--peer`` (another checkout of the app, e.g. before a change), the peer's runs alternate with
this tree's in the same session and the ratio of the median CPU times is printed (on a shared
machine the wall clock mostly measures the other processes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _export(path: Path, rows: int, currencies: tuple[str, ...]) -> None:
    """The benchmark's Stripe export, its currencies drawn from ``currencies``."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(HERE / "benchmarks"))
    from bench_import import make_export

    make_export(path, rows)
    if len(currencies) > 1:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        rng = np.random.default_rng(1)
        frame["Currency"] = rng.choice(np.array(currencies), len(frame))
        frame.to_csv(path, index=False)


def child(tree: Path, single: Path, mixed: Path) -> dict:
    """Measures in this process, on the app of ``tree``."""
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    os.environ.pop("MRRKIT_PASSWORD", None)
    os.environ.pop("MRRKIT_PASSWORD_HASH", None)
    from streamlit.testing.v1 import AppTest

    import mrrkit.io.table as table

    start = single.read_bytes()[:200]  # (both files start with the same header and first rows)
    reads: list[int] = []
    source_bytes = table._source_bytes

    def counted(source):
        data, name = source_bytes(source)
        if data[:200] == start:  # the upload, whole or its first 256 KB
            reads.append(len(data))
        return data, name

    table._source_bytes = counted

    def page() -> AppTest:
        at = AppTest.from_file(str(tree / "app.py"), default_timeout=600)
        at.secrets["_isolated"] = True
        at.switch_page("pages/0_Data.py")
        return at.run()

    def timed(action) -> tuple[float, float, int]:
        reads.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        action()
        return time.perf_counter() - t0, time.process_time() - c0, len(reads)

    def upload(at: AppTest, path: Path) -> None:
        at.file_uploader(key="data.export").set_value((path.name, path.read_bytes(), "text/csv"))
        at.run()
        assert not at.exception, [e.value for e in at.exception]

    out = {}
    at = page()
    out["one currency"] = timed(lambda: upload(at, single))
    at = page()
    out["two currencies"] = timed(lambda: upload(at, mixed))
    picker = [s for s in at.selectbox if s.key and s.key.startswith("data.reporting.")][0]
    out["two, currency chosen"] = timed(lambda: picker.set_value("USD").run())
    assert not at.exception, [e.value for e in at.exception]
    return out


def _commit(tree: Path) -> str:
    """The commit a checkout is at (how the peer is named)."""
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or str(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer", type=Path, help="another checkout to compare with")
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        single, mixed = Path(tmp) / "single.csv", Path(tmp) / "mixed.csv"
        _export(single, args.rows, ("usd",))
        _export(mixed, args.rows, ("usd", "eur"))
        trees = {"this tree": HERE}
        if args.peer:
            trees[f"peer {_commit(args.peer)}"] = args.peer.resolve()
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(tree), str(single), str(mixed)],
                    capture_output=True, text=True, check=True, cwd=tree,
                )
                runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"Data page, {args.rows:,}-row Stripe export, median of {args.repeat} fresh processes "
          "(wall clock; CPU of the process, all threads: what the page costs whatever the load)")
    for case in runs["this tree"][0]:
        said, cpu = [], []
        for name in trees:
            wall = statistics.median(r[case][0] for r in runs[name])
            cpu.append(statistics.median(r[case][1] for r in runs[name]))
            reads = runs[name][0][case][2]
            said.append(f"{name}: {wall:.2f} s ({cpu[-1]:.2f} s CPU), reads {reads}")
        ratio = f" | CPU ratio {cpu[0] / cpu[1]:.2f}" if args.peer else ""
        print(f"  {case:22s} " + " | ".join(said) + ratio)

if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_data_page", skip="--child" in sys.argv):
        main()
