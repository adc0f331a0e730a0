"""The data caches bounded by bytes (ui.memory, issue 12, item 5): the budget, the sessions
holding their data, idleness, one computation per key, and what ui.data puts in them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from ui import data, memory, uploads, views
from ui.memory import BoundedCache, deep_size

MB = 1024 * 1024


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def frame(mb: float, seed: int = 0) -> pd.DataFrame:
    rows = int(mb * MB / 16)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.random(rows), "b": rng.random(rows)})


def test_deep_size_counts_frames_text_and_containers_once():
    numbers = frame(4)
    assert 4 * MB <= deep_size(numbers) < 4.2 * MB
    text = pd.DataFrame({"id": [f"customer number {i}" for i in range(100_000)]})
    assert deep_size(text) > 1.5 * MB  # the text itself, not only the pointers
    assert deep_size({"x": numbers, "y": (numbers, [numbers])}) < 4.3 * MB  # counted once
    assert deep_size(data.Source("s", "k", numbers)) >= 4 * MB  # dataclasses


def test_the_budget_is_in_bytes_and_the_least_recently_used_go_first():
    cache = BoundedCache(10 * MB, clock=Clock())
    for i in range(3):
        cache.get(("f", i), lambda i=i: frame(3, i), tag=f"upload:{i}")
    assert 9 * MB < cache.bytes <= 10 * MB
    cache.get(("f", 0), lambda: pytest.fail("cached"))  # read: now the most recent
    cache.get(("f", 3), lambda: frame(3, 3))
    assert sorted(k[1] for k in cache.keys()) == [0, 2, 3] and cache.bytes <= 10 * MB
    big = cache.get(("big",), lambda: frame(12))  # over the whole budget: returned, not kept
    assert len(big) and ("big",) not in cache.keys() and cache.too_large == 1
    assert sorted(k[1] for k in cache.keys() if k[0] == "f") == [0, 2, 3]  # nothing evicted


def test_one_computation_per_key_however_many_sessions_ask_at_once():
    cache = BoundedCache(10 * MB, clock=Clock())
    calls, start = [], threading.Barrier(8)

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return frame(1)

    results = []

    def ask():
        start.wait()
        results.append(cache.get(("same",), slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(calls) == 1 and len(results) == 8 and all(r is results[0] for r in results)


def test_an_error_is_not_cached():
    cache = BoundedCache(MB, clock=Clock())
    with pytest.raises(ZeroDivisionError):
        cache.get(("x",), lambda: 1 / 0)
    assert cache.get(("x",), lambda: 42) == 42


def test_a_tags_entries_leave_after_its_last_session_and_the_grace():
    clock = Clock()
    cache = BoundedCache(100 * MB, grace=60, clock=clock)
    cache.hold(1, "upload:a")
    cache.hold(2, "upload:a")
    cache.hold(1, "upload:b")
    for tag in ("upload:a", "upload:b", "sample:s"):
        cache.get((tag,), lambda: frame(1), tag=tag)
    cache.hold(1, "sample:s")  # the sample is everyone's: never released by sessions
    cache.release(1, {"upload:a", "upload:b", "sample:s"})
    clock.now += 30
    assert cache.sweep() == 0  # within the grace: a reload finds its data
    clock.now += 31
    assert cache.sweep() == 1  # upload:b had no other session; upload:a has session 2
    assert sorted(k[0] for k in cache.keys()) == ["sample:s", "upload:a"]
    cache.release(2, {"upload:a"})
    cache.hold(3, "upload:a")  # back within the grace (a reconnection): kept
    clock.now += 61
    cache.sweep()
    assert sorted(k[0] for k in cache.keys()) == ["sample:s", "upload:a"]


def test_idle_entries_leave_even_when_nobody_asks():
    clock = Clock()
    cache = BoundedCache(100 * MB, idle=600, clock=clock)
    cache.get(("old",), lambda: frame(1))
    clock.now += 500
    cache.get(("new",), lambda: frame(1))
    clock.now += 200
    cache.sweep()
    assert cache.keys() == [("new",)] and cache.bytes < 1.1 * MB


def test_ui_data_caches_go_through_the_bounded_cache():
    """The readings of uploads and the analyses are in ui.memory.DATA, measured, tagged with
    the data they come from."""
    raw = b"customer_id,start,end,mrr,plan\n" + b"".join(
        f"c{i},2024-0{1 + i % 9}-01,,{10 + i % 7},p{i % 3}\n".encode() for i in range(2_000))
    digest = uploads.bytes_digest(raw)
    upload = uploads.read_upload(raw, digest=digest)
    source = data.upload_source("x.csv", upload.result.lines)
    base = views.analysis(source.key, source.lines, pd.Timestamp("2025-01-31"))
    tags = {key[0].rsplit(".", 1)[-1]: entry.tag for key, entry in memory.DATA._entries.items()
            if isinstance(key, tuple) and key[1] in (digest, source.key)}
    assert tags["_read_upload"] == f"file:{digest}" and tags["analysis"] == source.key
    assert views.analysis(source.key, source.lines, pd.Timestamp("2025-01-31")) is base
    assert memory.DATA.bytes <= memory.DATA.max_bytes
