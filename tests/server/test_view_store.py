"""The shared-views store (server.view_store): round trips, expiry, deletion, quotas, token format
and concurrency."""

import hashlib
import itertools
import math
import os
import re
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from server.view_store import DEFAULT_DIR, ROW_BYTES, TOKEN_BYTES, ViewStore, is_token

DAY = 86_400.0


class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def make_lines(n=50, seed=0):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(1, 400, n), unit="D")
    end = end.where(rng.random(n) > 0.3)  # ~30% still running (NaT)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i % 17}" for i in range(n)],
            "start": start.as_unit("s"),
            "end": end.as_unit("s"),
            "mrr": rng.integers(1, 50_000, n) / 100,
            "plan": pd.Categorical(rng.choice(["basic", "pro", "=HYPERLINK()"], n)),
            "quantity": pd.array(rng.integers(1, 5, n), dtype="Int64"),
            "country": pd.Series(rng.choice(["FR", "IT", None], n), dtype="str"),
        }
    )


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return ViewStore(tmp_path / "views", clock=clock, default_ttl_days=7)


def test_round_trip_preserves_values_and_dtypes(store):
    lines = make_lines()
    before = lines.copy()
    state = {
        "page": "segments",
        "industry": ["Fintech", "Retail"],
        "from": "2024-01",
        "slider": 0.25,
    }
    token = store.save(lines, state)
    loaded, loaded_state = store.load(token)
    pd.testing.assert_frame_equal(loaded, lines)
    assert dict(loaded.dtypes) == dict(lines.dtypes)
    assert loaded_state == state
    pd.testing.assert_frame_equal(lines, before)  # the caller's frame is untouched


def test_round_trip_keeps_a_meaningful_index_and_time_units(store):
    # (Parquet keeps no index freq; canonical lines never have one.)
    months = pd.date_range("2024-01-31", periods=5, freq="ME").as_unit("s")
    lines = make_lines(5).set_index(pd.DatetimeIndex(list(months), name="month"))
    lines["gap"] = pd.to_timedelta(range(5), unit="D").as_unit("s")
    loaded, _ = store.load(store.save(lines, {}))
    pd.testing.assert_frame_equal(loaded, lines)


def test_sample_marker(store):
    token = store.save(None, {"page": "overview"})
    assert store.load(token) == (None, {"page": "overview"})
    assert store.info(token).source == "sample"
    assert not list(store.directory.glob("*.parquet"))


def test_loaded_frames_are_independent(store):
    token = store.save(make_lines(), {})
    first, _ = store.load(token)
    first.loc[0, "mrr"] = -1.0
    second, _ = store.load(token)
    assert second.loc[0, "mrr"] != -1.0


def test_expiry_with_injected_clock(store, clock):
    short = store.save(make_lines(), {"a": 1}, ttl_days=1)
    default = store.save(None, {"b": 2})
    assert store.info(default).expires == clock.now + 7 * DAY
    clock.now += DAY - 1
    assert store.load(short)[1] == {"a": 1}
    clock.now += 1
    with pytest.raises(KeyError, match="expired"):
        store.load(short)
    with pytest.raises(KeyError, match="unknown"):  # an expired view is gone for good
        store.load(short)
    assert not list(store.directory.glob("*.parquet"))
    assert store.load(default)[1] == {"b": 2}
    clock.now += 6 * DAY
    assert store.purge_expired() == 1
    assert store.used_bytes() == 0


def test_purge_removes_expired_and_orphaned_files(store, clock):
    keep = store.save(make_lines(), {})
    store.save(make_lines(seed=1), {}, ttl_days=0.5)
    orphan = store.directory / ("ab" * 32 + ".parquet")
    orphan.write_bytes(b"left over")
    stale_tmp = store.directory / ".tmp-crashed"
    stale_tmp.write_bytes(b"half")
    os.utime(stale_tmp, (0, 0))
    unrelated = store.directory / "README.txt"
    unrelated.write_text("not ours")
    clock.now += DAY
    assert store.purge_expired() == 1
    assert not orphan.exists() and not stale_tmp.exists() and unrelated.exists()
    assert len(list(store.directory.glob("*.parquet"))) == 1
    assert store.load(keep)[0] is not None


def test_delete(store):
    token = store.save(make_lines(), {"x": 1})
    assert store.delete(token) is True
    with pytest.raises(KeyError):
        store.load(token)
    assert store.delete(token) is False
    assert not list(store.directory.glob("*.parquet"))
    assert store.used_bytes() == 0


def test_missing_data_file_is_a_missing_view(store):
    token = store.save(make_lines(), {})
    for path in store.directory.glob("*.parquet"):
        path.unlink()
    with pytest.raises(KeyError):
        store.load(token)
    assert store.used_bytes() == 0  # the dangling row went too


def test_quota_total_and_per_view(tmp_path, clock):
    lines = make_lines(2_000)
    probe = ViewStore(tmp_path / "probe", clock=clock)
    one = probe.info(probe.save(lines, {})).size
    store = ViewStore(tmp_path / "q", max_bytes=int(one * 2.5), clock=clock)
    first, second = store.save(lines, {}), store.save(lines, {})
    with pytest.raises(ValueError, match="store is full"):
        store.save(lines, {})
    assert store.used_bytes() == 2 * one
    assert len(list(store.directory.glob("*.parquet"))) == 2  # the refused view left nothing
    store.delete(first)
    store.save(lines, {})  # room again
    small = ViewStore(tmp_path / "s", max_view_bytes=one - 1, clock=clock)
    with pytest.raises(ValueError, match="limit for one shared view"):
        small.save(lines, {})
    assert small.save(None, {"fits": True})  # a sample view is tiny
    assert store.load(second)[0] is not None


def test_quota_counts_only_live_views(tmp_path, clock):
    lines = make_lines(2_000)
    store = ViewStore(tmp_path / "v", clock=clock)
    size = store.info(store.save(lines, {}, ttl_days=1)).size
    tight = ViewStore(tmp_path / "v", max_bytes=int(size * 1.5), clock=clock)
    with pytest.raises(ValueError):
        tight.save(lines, {})
    clock.now += 2 * DAY  # the first view expires: save purges it and fits
    assert tight.save(lines, {})


def test_tokens_are_random_url_safe_and_long(store):
    tokens = [store.save(None, {}) for _ in range(200)]
    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    assert TOKEN_BYTES * 8 >= 128
    # Not derived from time or order: consecutive tokens share no prefix beyond chance, and the
    # characters are spread over the whole alphabet.
    common = [len(os.path.commonprefix([a, b])) for a, b in itertools.pairwise(tokens)]
    assert max(common) <= 4
    counts = Counter("".join(tokens))
    assert len(counts) == 64
    expected = len(tokens) * 43 / 64
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 130  # 63 degrees of freedom: p ~ 1e-6 of failing by chance


def test_tokens_are_not_stored_in_clear(store):
    token = store.save(make_lines(), {})
    for path in store.directory.iterdir():
        assert token not in path.name
        assert token.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "../" + "a" * 40,
        "a" * 42,
        "a" * 44,
        "a" * 42 + "/",
        "a" * 42 + ".",
        "a" * 42 + "\n",
        "",
        None,
        42,
        "index.sqlite3",
        "%2e%2e%2f" + "a" * 34,
        "a" * 42 + "é",
    ],
)
def test_bad_tokens_never_touch_the_disk(store, bad, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("touched the disk")

    monkeypatch.setattr(store, "_connect", boom)
    monkeypatch.setattr(store, "_data_path", boom)
    assert not is_token(bad)
    with pytest.raises(KeyError):
        store.load(bad)
    with pytest.raises(KeyError):
        store.info(bad)
    assert store.delete(bad) is False


def test_unknown_well_formed_token(store):
    with pytest.raises(KeyError):
        store.load(secrets.token_urlsafe(TOKEN_BYTES))


def test_concurrent_saves_from_threads(tmp_path, clock):
    lines = make_lines(300)
    probe = ViewStore(tmp_path / "p", clock=clock)
    size = probe.info(probe.save(lines, {"i": "00"})).size
    store = ViewStore(tmp_path / "c", max_bytes=size * 10 + size // 2, clock=clock)
    barrier = threading.Barrier(8)

    def share(i):
        barrier.wait(timeout=10) if i < 8 else None
        try:
            return store.save(lines, {"i": f"{i:02d}"})  # same size for every view
        except ValueError:
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(share, range(16)))
    tokens = [t for t in results if t is not None]
    assert len(tokens) == 10  # exactly what the quota allows, never more
    assert store.used_bytes() == 10 * size
    assert len(list(store.directory.glob("*.parquet"))) == 10
    assert not list(store.directory.glob(".tmp-*"))
    for i, token in enumerate(results):
        if token is not None:
            loaded, state = store.load(token)
            assert state == {"i": f"{i:02d}"}
            pd.testing.assert_frame_equal(loaded, lines)


@pytest.mark.parametrize(
    ("lines", "state", "ttl", "message"),
    [
        ("not a frame", {}, None, "DataFrame"),
        (None, ["page"], None, "mapping"),
        (None, {1: "x"}, None, "keys must be strings"),
        (None, {"x": float("nan")}, None, "JSON"),
        (None, {"x": object()}, None, "JSON"),
        (None, {}, 0, "ttl_days"),
        (None, {}, -1, "ttl_days"),
        (None, {}, 400, "ttl_days"),
        (None, {}, math.inf, "ttl_days"),
        (pd.DataFrame({"mixed": [1, "a"]}), {}, None, "cannot be stored"),
    ],
)
def test_bad_input_is_a_clear_error(store, lines, state, ttl, message):
    with pytest.raises(ValueError, match=message):
        store.save(lines, state, ttl_days=ttl)
    assert store.used_bytes() == 0


def test_from_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = ViewStore.from_env({})
    assert (
        store.directory == tmp_path / DEFAULT_DIR
        or store.directory.resolve() == (tmp_path / DEFAULT_DIR).resolve()
    )
    assert (store.max_bytes, store.max_view_bytes, store.default_ttl_days) == (
        500 * 2**20,
        50 * 2**20,
        30,
    )
    env = {
        "MRRKIT_VIEWS_DIR": str(tmp_path / "elsewhere"),
        "MRRKIT_VIEWS_MAX_MB": "2",
        "MRRKIT_VIEW_MAX_MB": "0.5",
        "MRRKIT_VIEWS_TTL_DAYS": "3",
    }
    store = ViewStore.from_env(env)
    assert store.directory == tmp_path / "elsewhere"
    assert (store.max_bytes, store.max_view_bytes, store.default_ttl_days) == (2 * 2**20, 2**19, 3)
    assert not (tmp_path / "elsewhere").exists()  # nothing on disk until someone shares
    store.save(None, {})
    assert (tmp_path / "elsewhere").stat().st_mode & 0o077 == 0  # private to the server's user
    with pytest.raises(ValueError, match="MRRKIT_VIEWS_MAX_MB"):
        ViewStore.from_env({"MRRKIT_VIEWS_MAX_MB": "lots"})
    with pytest.raises(ValueError, match="MRRKIT_VIEWS_TTL_DAYS"):
        ViewStore.from_env({"MRRKIT_VIEWS_TTL_DAYS": "-1"})


def test_two_stores_share_one_directory(tmp_path, clock):
    a = ViewStore(tmp_path / "d", clock=clock)
    b = ViewStore(tmp_path / "d", clock=clock)  # e.g. two server processes
    token = a.save(make_lines(), {"from": "a"})
    assert b.load(token)[1] == {"from": "a"}
    assert b.delete(token)
    with pytest.raises(KeyError):
        a.load(token)


def test_expired_data_leaves_the_disk_without_anyone_sharing(store, clock):
    """purge_if_due (called whenever the app touches the store) removes expired views in the
    background, at most once per interval."""
    token = store.save(make_lines(), {}, ttl_days=1)
    assert len(list(store.directory.glob("*.parquet"))) == 1
    clock.now += 2 * DAY
    assert store.purge_if_due(every_seconds=3600) is True
    assert store.purge_if_due(every_seconds=3600) is False  # not again so soon
    for thread in threading.enumerate():
        if thread.name == "mrrkit-views-purge":
            thread.join(timeout=10)
    assert not list(store.directory.glob("*.parquet"))
    assert store.used_bytes() == 0
    with pytest.raises(KeyError):
        store.load(token)
    assert store.purge_if_due(every_seconds=0) is True


def test_a_store_nobody_shared_into_stays_off_the_disk(tmp_path, clock):
    """Reading, deleting and purging a store that was never written create nothing."""
    store = ViewStore(tmp_path / "never", clock=clock)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with pytest.raises(KeyError):
        store.load(token)
    with pytest.raises(KeyError):
        store.info(token)
    assert store.delete(token) is False
    assert store.purge_expired() == 0 and store.used_bytes() == 0
    assert not (tmp_path / "never").exists()
    other = ViewStore(tmp_path / "never", clock=clock)  # e.g. another server process
    saved = other.save(None, {"a": 1})
    assert store.load(saved) == (None, {"a": 1})  # sees what the other one wrote


def test_an_unwritable_directory_is_a_clear_error(tmp_path, clock):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = ViewStore(blocker / "views", clock=clock)
    with pytest.raises(ValueError, match="cannot be kept on this server") as raised:
        store.save(make_lines(), {})
    assert str(tmp_path) not in str(raised.value)  # the path goes to the log, not to a reader


# --- what the attacker tried (issue 12, item 7) --------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "state"])
def test_a_damaged_view_reads_as_unknown_and_is_dropped(store, damage, caplog):
    token = store.save(make_lines(), {"lang": ["fr"]})
    other = store.save(make_lines(seed=1), {})
    (path,) = [p for p in store.directory.glob("*.parquet")
               if p.stem == hashlib.sha256(token.encode()).hexdigest()]
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"PAR1" + os.urandom(2_000))
    else:
        import sqlite3

        with sqlite3.connect(store.directory / "index.sqlite3") as db:
            db.execute("UPDATE views SET state = '{not json' WHERE token_hash = ?", (path.stem,))
    with pytest.raises(KeyError) as raised:
        store.load(token)
    assert str(store.directory) not in str(raised.value) and "damaged" not in str(raised.value)
    assert not path.exists()  # the broken entry is dropped: row and file
    with pytest.raises(KeyError, match="unknown"):
        store.info(token)
    assert store.used_bytes() == store.info(other).size
    assert store.load(other)[0] is not None  # the others are untouched
    assert "damaged and was dropped" in caplog.text  # the details go to the server log


def test_the_quota_counts_each_views_row_in_the_index(tmp_path, clock):
    """5,000 shares of the sample were counted as 35 KB while the index took 1 MB: every view
    now counts ROW_BYTES for its row, more than a row takes."""
    import sqlite3

    store = ViewStore(tmp_path / "v", clock=clock)
    n = 300
    for i in range(n):
        store.save(None, {"lang": ["fr"], "f.plan": [f"plan {i}"]})
    with sqlite3.connect(store.directory / "index.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    on_disk = sum(p.stat().st_size for p in store.directory.iterdir())
    assert pages * page <= on_disk <= store.used_bytes()
    assert store.used_bytes() >= n * ROW_BYTES
    tight = ViewStore(tmp_path / "t", max_bytes=50 * 1024, clock=clock)
    saved = 0
    with pytest.raises(ValueError, match="store is full"):
        for _ in range(10_000):
            tight.save(None, {})
            saved += 1
    assert saved < 100  # about 50 KB / 512 bytes, not 50 KB / 2 bytes of "{}"


def test_the_quota_counts_temporary_files_left_by_crashes(tmp_path, clock):
    lines = make_lines(2_000)
    probe = ViewStore(tmp_path / "probe", clock=clock)
    one = probe.info(probe.save(lines, {})).size
    store = ViewStore(tmp_path / "q", max_bytes=int(one * 1.8), clock=clock)
    store.save(lines, {})
    store.directory.joinpath(".tmp-crashed").write_bytes(b"x" * one)  # a crash mid-write
    assert store.used_bytes() == 2 * one
    with pytest.raises(ValueError, match="store is full"):
        store.save(None, {})
    os.utime(store.directory / ".tmp-crashed", (0, 0))  # an hour later the purge removes it
    store.purge_expired()
    assert store.used_bytes() == one
    assert store.save(None, {})


_SAVER = """
import sys, time
import numpy as np, pandas as pd
sys.path.insert(0, {root!r})
from server.view_store import ViewStore
store = ViewStore({directory!r})
rng = np.random.default_rng(int(sys.argv[1]))
n = 20_000
lines = pd.DataFrame({{"customer_id": [f"c{{i}}" for i in range(n)],
                      "start": pd.Timestamp("2024-01-01"), "mrr": rng.random(n)}})
print("ready", flush=True)
while True:
    store.save(lines, {{"i": [str(time.time())]}})
"""


def test_the_store_survives_kill_9_during_saves_with_its_index_intact(tmp_path):
    """What the attacker measured as good: repeated kill -9 while saving leaves an index that
    SQLite finds intact, every row opens (or reads as missing), and the purge removes the
    half-written files."""
    import signal
    import sqlite3
    import subprocess
    import sys
    import time
    from pathlib import Path

    directory = tmp_path / "views"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER.format(root=str(Path(__file__).resolve().parents[2]),
                                    directory=str(directory)))
    rng = np.random.default_rng(7)
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, str(script), str(round_)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.3 + float(rng.random()))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        with sqlite3.connect(directory / "index.sqlite3") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            keys = [k for (k,) in db.execute("SELECT token_hash FROM views")]
        assert keys, "no save finished: the test did not exercise anything"
    store = ViewStore(directory)
    for tmp in directory.glob(".tmp-*"):
        os.utime(tmp, (0, 0))
    store.purge_expired()
    assert not list(directory.glob(".tmp-*"))
    live = {p.stem for p in directory.glob("*.parquet")}
    with sqlite3.connect(directory / "index.sqlite3") as db:
        rows = {k for (k,) in db.execute("SELECT token_hash FROM views")}
    assert live <= rows and len(rows - live) <= 4  # at most the rows of saves cut mid-way


# --- a caller's own token, in a scope of its own (ui.browser_memory) -----------------------------


def test_a_given_token_is_replaced_in_its_scope_and_unreachable_from_the_default_scope(store):
    token = secrets.token_urlsafe(TOKEN_BYTES)
    first, second = make_lines(30, seed=1), make_lines(40, seed=2)
    assert store.save(first, {"n": 1}, token=token, scope="browser") == token
    size = store.used_bytes()
    assert store.save(second, {"n": 2}, token=token, scope="browser") == token  # replaced
    lines, state = store.load(token, scope="browser")
    pd.testing.assert_frame_equal(lines, second)
    assert state == {"n": 2}
    assert store.used_bytes() == store.info(token, scope="browser").size != size
    assert len(list(store.directory.glob("*.parquet"))) == 1
    # A ?view= link with the same token (the default scope) finds nothing, nor another scope.
    for scope in ("", "other"):
        with pytest.raises(KeyError):
            store.load(token, scope=scope)
        assert store.delete(token, scope=scope) is False
    # Replaced by no lines (a marker): the old lines leave the disk.
    store.save(None, {"n": 3}, token=token, scope="browser")
    assert store.load(token, scope="browser") == (None, {"n": 3})
    assert not list(store.directory.glob("*.parquet"))
    assert store.delete(token, scope="browser") is True
    with pytest.raises(KeyError):
        store.info(token, scope="browser")


def test_a_given_token_in_the_default_scope_is_a_plain_view(store):
    token = secrets.token_urlsafe(TOKEN_BYTES)
    store.save(None, {"a": 1}, token=token)
    assert store.load(token) == (None, {"a": 1})
    store.save(None, {"a": 2}, token=token)
    assert store.load(token) == (None, {"a": 2})
    assert store.used_bytes() == store.info(token).size


def test_scoped_keys_are_not_the_token_or_its_plain_digest(store):
    import hashlib

    token = secrets.token_urlsafe(TOKEN_BYTES)
    store.save(make_lines(), {}, token=token, scope="browser")
    plain = hashlib.sha256(token.encode()).hexdigest()
    for path in store.directory.iterdir():
        assert token not in path.name and plain not in path.name
        assert token.encode() not in path.read_bytes() and plain.encode() not in path.read_bytes()


def test_a_replacement_counts_only_the_new_size_against_the_quota(tmp_path, clock):
    lines = make_lines(2_000)
    probe = ViewStore(tmp_path / "probe", clock=clock)
    one = probe.info(probe.save(lines, {})).size
    store = ViewStore(tmp_path / "q", max_bytes=int(one * 1.5), clock=clock)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    store.save(lines, {}, token=token, scope="browser")
    store.save(lines, {"again": True}, token=token, scope="browser")  # fits: the old one goes
    assert store.used_bytes() == one + len('{"again":true}') - len("{}")
    with pytest.raises(ValueError, match="store is full"):
        store.save(lines, {})  # a second view does not fit
    assert store.load(token, scope="browser")[1] == {"again": True}  # the refused save left it


def test_a_given_token_expires_like_any_view(store, clock):
    token = secrets.token_urlsafe(TOKEN_BYTES)
    store.save(make_lines(), {}, ttl_days=0.5, token=token, scope="browser")
    clock.now += 0.4 * DAY
    assert store.load(token, scope="browser")[0] is not None
    clock.now += 0.2 * DAY
    with pytest.raises(KeyError, match="expired"):
        store.load(token, scope="browser")
    assert not list(store.directory.glob("*.parquet"))


@pytest.mark.parametrize("token", ["short", "../" + "a" * 40, 42])
def test_a_bad_given_token_or_scope_is_refused(store, token):
    with pytest.raises(ValueError, match="token must be"):
        store.save(None, {}, token=token)
    good = secrets.token_urlsafe(TOKEN_BYTES)
    for scope in ("Browser", "../x", "a" * 40, 3):
        with pytest.raises(ValueError, match="scope"):
            store.save(None, {}, token=good, scope=scope)
        with pytest.raises(KeyError):
            store.load(good, scope=scope)
        with pytest.raises(ValueError, match="scope"):
            store.delete(good, scope=scope)
    assert not store.directory.exists()
