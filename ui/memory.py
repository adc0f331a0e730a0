"""The data caches of the server process, bounded by the bytes they hold.

``st.cache_resource`` bounds a cache by its number of entries: eight analyses of the sample and
eight of a 187 MiB upload count the same, and an entry outlives the sessions that made it. The
readings of uploads (:mod:`ui.uploads`) and every view of :mod:`ui.views` (the analyses, the
segment views, what the pages show) go instead through one :class:`BoundedCache`, shared by
every session of the process:

- **bytes**: every entry is measured when stored (:func:`deep_size`: pandas frames with their
  text, arrays, containers, dataclasses); past ``max_bytes`` the least recently used entries
  go; an entry larger than the whole budget is computed and returned, not kept;
- **sessions**: an entry carries a tag, the data it was made from (an upload's digest, a
  source's key); each session holds the tags it used (a lease in a session-scoped
  ``st.cache_resource``, released by Streamlit when the session's websocket closes). When the
  last session holding a tag is gone, its entries leave after ``grace`` seconds (a reload or a
  reconnection within it finds them), not when memory runs short;
- **time**: an entry nobody read for ``idle`` seconds leaves too (a background sweep, so an idle
  server also gives its memory back);
- **once**: concurrent calls for the same key compute it once, the others wait for it;
- **given back**: memory freed by Python, pandas and pyarrow mostly stays with the process
  (pyarrow's allocator keeps it for reuse, glibc's heap cannot shrink around what is still in
  use), so the server's resident size never went down after its sessions left. After a sweep
  that dropped entries, and every few minutes anyway, :func:`give_back` asks both to return
  what is free (measured: 6 analyses of 10 MB exports freed, 495 -> 435 MB without it, 300 MB
  with it). glibc's allocator also gives threads up to 8 arenas per core, and Streamlit runs
  each session's script in a thread of its own: memory freed in one arena serves no other and
  cannot go back while a page of it is in use. ``MALLOC_ARENA_MAX=2`` in the server's
  environment (the Docker image sets it; it must be set before the process starts) keeps them
  few (measured with benchmarks/bench_memory.py, 20 sessions of a 2 MB upload, 4 minutes after:
  157 MB above the start without it, 48 MB with it).

Tags starting with ``sample:`` (the bundled sample, every visitor's data) are never released by
sessions; they leave only by the budget or by idleness.

Settings: ``MRRKIT_CACHE_MB`` [256] the budget (a 50 MB export's reading, analysis and a
segment view take ~130 MB), ``MRRKIT_CACHE_IDLE_MINUTES`` [30], ``MRRKIT_CACHE_GRACE_SECONDS``
[60]; :data:`DATA` is the process's cache.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import math
import os
import pickle
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["DATA", "BoundedCache", "cached", "content", "deep_size", "give_back", "hold"]

_LOG = logging.getLogger(__name__)
_MB = 1024 * 1024
#: Tags that belong to no upload: never released by sessions.
PERMANENT_PREFIX = "sample:"


def deep_size(obj: Any, _seen: set[int] | None = None, _depth: int = 0) -> int:
    """Bytes an object holds, its contents included (each object counted once).

    pandas frames, series and indexes count their values deeply (the text of string columns);
    numpy arrays their buffer; containers, dataclasses and plain objects their members, down to
    a depth of 12. An estimate: what the interpreter itself keeps around them is not counted.

    >>> import numpy as np, pandas as pd
    >>> deep_size(np.zeros(1000)) >= 8000
    True
    >>> frame = pd.DataFrame({"id": [f"customer {i}" for i in range(1000)], "mrr": 1.0})
    >>> deep_size(frame) > deep_size(frame[["mrr"]]) + 10_000
    True
    >>> shared = np.zeros(1000)
    >>> deep_size([shared, shared]) < 2 * deep_size(shared)
    True
    """
    seen = set() if _seen is None else _seen
    if id(obj) in seen or _depth > 12:
        return 0
    seen.add(id(obj))
    import numpy as np
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return _frame_bytes(obj) + deep_size(obj.attrs, seen, _depth + 1)
    if isinstance(obj, (pd.Series, pd.Index)):
        return int(obj.memory_usage(deep=True))
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return obj.nbytes + _members_size(obj.ravel(), seen, _depth)
        return int(obj.nbytes)
    if isinstance(obj, (str, bytes, bytearray, int, float, bool, type(None))):
        return sys.getsizeof(obj)
    if isinstance(obj, memoryview):
        return obj.nbytes
    size = sys.getsizeof(obj, 64)
    if isinstance(obj, dict):
        return size + _members_size(obj.keys(), seen, _depth) + _members_size(
            obj.values(), seen, _depth)
    if isinstance(obj, (list, tuple, set, frozenset)):
        return size + _members_size(obj, seen, _depth)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return size + sum(deep_size(getattr(obj, f.name, None), seen, _depth + 1)
                          for f in dataclasses.fields(obj))
    if isinstance(obj, type) or callable(obj):
        return 0  # functions, classes: the code's, not the data's
    members = getattr(obj, "__dict__", None)
    if isinstance(members, dict):
        size += deep_size(members, seen, _depth + 1)
    return size


#: A container of more members than this is measured on this many of them, evenly spread, and
#: the rest extrapolated: walking the 700,000 entries of a line index took 1.8 s on a rerun.
SAMPLED_MEMBERS = 2_000


def _members_size(members, seen: set[int], depth: int) -> int:
    """The sizes of a container's members, summed (:data:`SAMPLED_MEMBERS`: or estimated).

    >>> texts = [f"customer {i}" for i in range(100_000)]
    >>> exact = sum(sys.getsizeof(x) for x in texts)
    >>> abs(_members_size(texts, set(), 0) / exact - 1) < 0.01
    True
    """
    import numpy as np

    if not isinstance(members, (list, tuple, np.ndarray)):
        members = list(members)
    count = len(members)
    if count <= SAMPLED_MEMBERS:
        return sum(deep_size(x, seen, depth + 1) for x in members)
    step = count / SAMPLED_MEMBERS
    sample = sum(deep_size(members[int(i * step)], seen, depth + 1)
                 for i in range(SAMPLED_MEMBERS))
    return int(sample * count / SAMPLED_MEMBERS)


def _frame_bytes(frame) -> int:
    """``frame.memory_usage(deep=True).sum()``, in a twentieth of the time for numeric frames
    (pandas builds a Series of every column's usage: ~1 ms a frame, and a first-time filter
    choice stores a dozen frames): numpy columns by their item size, the others asked.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["a", "bb"], "n": [1, 2], "x": pd.array([1, None], "Int64")},
    ...                      index=pd.period_range("2025-01", periods=2, freq="M"))
    >>> _frame_bytes(frame) == int(frame.memory_usage(deep=True).sum())
    True
    """
    import numpy as np

    rows = len(frame)
    size = int(frame.index.memory_usage(deep=True))
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype != object:
            size += rows * dtype.itemsize
        else:
            size += int(frame.iloc[:, i].memory_usage(deep=True, index=False))
    return size


def content(frame) -> bytes:
    """A digest of a frame's or series' content, as a cache key (``hash_funcs`` of
    ``st.cache_resource`` and ``st.cache_data``): its columns, dtypes, axis names, ``attrs``
    and every column's and the index's values. Measured on the pages' chart data (7 to 21
    columns): ~0.1 ms, where Streamlit's own hash of a DataFrame takes 0.5-1.6 ms (every column
    through ``pandas.util.hash_pandas_object``), and a page hashes its charts' data on every run.

    Not the frame's pickle, which is quicker but carries what pandas caches inside a column
    once it was read (a period column's dtype): the same frame pickled apart before and after a
    chart read it, and missed.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"mrr": [1.0, 2.0], "id": ["a", "b"]},
    ...                      index=pd.period_range("2025-01", periods=2, freq="M"))
    >>> key = content(frame)
    >>> _ = frame.index.dtype, frame.index.array.dtype  # read: pandas caches the dtype
    >>> content(frame) == key == content(frame.copy()), content(frame.iloc[1:]) == key
    (True, False)
    >>> changed = frame.assign(mrr=[1.0, 3.0])
    >>> content(changed) == key, content(frame.rename(columns=str.upper)) == key
    (False, False)
    """
    import hashlib

    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=("series", frame.name))
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((list(frame.columns), [str(d) for d in frame.dtypes],
                        list(frame.index.names), str(frame.index.dtype), frame.shape,
                        frame.attrs)).encode())
    digest.update(_values_bytes(frame.index))
    # The numpy columns a dtype at a time (a column at a time cost ~40 us each), the others one
    # by one.
    import numpy as np

    same: dict = {}
    others = []
    for i, dtype in enumerate(frame.dtypes.tolist()):
        if isinstance(dtype, np.dtype) and dtype != object:
            same.setdefault(dtype, []).append(i)
        else:
            others.append(i)
    for dtype, columns in same.items():
        block = frame.iloc[:, columns].to_numpy(dtype=dtype)
        digest.update(np.ascontiguousarray(block).tobytes())
    for i in others:
        digest.update(_values_bytes(frame.iloc[:, i]))
    return digest.digest()


def _values_bytes(values) -> bytes:
    """An index's or a column's values as bytes (equal values, equal bytes)."""
    import numpy as np
    import pandas as pd

    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype != object:
        return np.ascontiguousarray(values.to_numpy()).tobytes()
    if isinstance(dtype, (pd.PeriodDtype, pd.DatetimeTZDtype)):
        return values.array.asi8.tobytes()
    if isinstance(dtype, pd.CategoricalDtype):
        return values.array.codes.tobytes() + pickle.dumps(values.array.categories.tolist())
    # Text, nullable numbers, objects: their Python values.
    return pickle.dumps(values.tolist(), protocol=pickle.HIGHEST_PROTOCOL)


_GIVE_BACK_LOCK = threading.Lock()


def give_back(collect: bool = False) -> None:
    """Return the memory the process has freed to the system: pyarrow's pool releases what it
    keeps for reuse, and glibc's ``malloc_trim`` the free pages of its heaps (Linux; elsewhere
    nothing). Takes a few milliseconds; call it after freeing much, not on every run.
    ``collect`` first runs Python's full garbage collection (~0.1 s: objects that refer to each
    other, such as a dropped Streamlit session's, are only freed by it)."""
    with _GIVE_BACK_LOCK:
        if collect:
            import gc

            gc.collect()
        try:
            import pyarrow as pa

            pa.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - best effort
            pass
        try:
            import ctypes

            trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
            if trim is not None:
                trim(0)
        except Exception:  # noqa: BLE001 - not glibc: nothing to do
            pass


@dataclasses.dataclass
class _Entry:
    value: Any
    size: int
    tag: str | None
    used: float


class BoundedCache:
    """A least-recently-used cache bounded by bytes, with tags held by sessions (see the module).

    Parameters
    ----------
    max_bytes : int
        What the entries may hold together.
    idle : float
        Seconds after its last read an entry leaves.
    grace : float
        Seconds the entries of a tag stay once no session holds it.
    clock : callable
        Monotonic seconds. A test injects one and calls :meth:`sweep` itself: the background
        sweeper runs on the real clock only (a test's clock would outlive the test in it).
    sizeof : callable
        Measures a value (:func:`deep_size`).

    Examples
    --------
    >>> now = [0.0]
    >>> cache = BoundedCache(100, idle=60, clock=lambda: now[0], sizeof=len)
    >>> _ = cache.get(("a",), lambda: "x" * 60), cache.get(("b",), lambda: "y" * 30)
    >>> cache.bytes, sorted(cache.keys())
    (90, [('a',), ('b',)])
    >>> _ = cache.get(("c",), lambda: "z" * 50)   # over 100 bytes: the least recently used goes
    >>> sorted(cache.keys()), cache.bytes
    ([('b',), ('c',)], 80)
    >>> _ = cache.get(("huge",), lambda: "h" * 500)  # larger than the budget: not kept
    >>> ("huge",) in cache.keys()
    False
    >>> now[0] = 61.0; _ = cache.sweep(); cache.bytes
    0
    """

    def __init__(self, max_bytes: int, *, idle: float = 1800.0, grace: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 sizeof: Callable[[Any], int] = deep_size) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes!r}")
        self.max_bytes = int(max_bytes)
        self.idle = float(idle)
        self.grace = float(grace)
        self._clock = clock
        self._sizeof = sizeof
        self._lock = threading.RLock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._holders: dict[str, set[int]] = {}  # tag -> ids of the leases holding it
        self._orphaned: dict[str, float] = {}  # tag -> when its last holder left
        self.bytes = 0
        self.computed = 0  # values computed (a miss)
        self.too_large = 0  # values computed but larger than the budget
        self._sweeper: threading.Thread | None = None

    # --- reading and storing ---------------------------------------------------------------------

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._entries)

    def _hit(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            now = self._clock()
            if now - entry.used > self.idle:
                self._drop(key)
                return False, None
            entry.used = now
            self._entries.move_to_end(key)
            return True, entry.value

    def get(self, key: Hashable, compute: Callable[[], Any], tag: str | None = None) -> Any:
        """The value cached under ``key``, else ``compute()``'s, stored under ``key`` with
        ``tag`` (the data it comes from). Exceptions of ``compute`` are not cached."""
        found, value = self._hit(key)
        if found:
            return value
        with self._lock:
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:  # one computation per key: the others wait and find it
            found, value = self._hit(key)
            if found:
                return value
            try:
                value = compute()
            finally:
                with self._lock:
                    if self._computing.get(key) is lock:
                        del self._computing[key]
            self._store(key, value, tag)
            return value

    def _store(self, key: Hashable, value: Any, tag: str | None) -> None:
        size = int(self._sizeof(value))
        with self._lock:
            self.computed += 1
            if key in self._entries:
                self._drop(key)
            if size > self.max_bytes:
                self.too_large += 1
                _LOG.info("a cached value of %.0f MB is over the %.0f MB budget: not kept",
                          size / _MB, self.max_bytes / _MB)
                return
            while self._entries and self.bytes + size > self.max_bytes:
                self._drop(next(iter(self._entries)))
            self._entries[key] = _Entry(value, size, tag, self._clock())
            self.bytes += size
        self._start_sweeper()

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._holders.clear()
            self._orphaned.clear()
            self.bytes = 0

    # --- sessions --------------------------------------------------------------------------------

    def hold(self, lease: int, tag: str | None) -> None:
        """Session ``lease`` uses the data ``tag``: its entries stay while a session does."""
        if not tag or tag.startswith(PERMANENT_PREFIX):
            return
        with self._lock:
            self._holders.setdefault(tag, set()).add(lease)
            self._orphaned.pop(tag, None)

    def release(self, lease: int, tags: set[str]) -> None:
        """Session ``lease`` has ended: the tags no session holds any more leave after
        ``grace`` seconds."""
        now = self._clock()
        with self._lock:
            for tag in tags:
                holders = self._holders.get(tag)
                if holders is None:
                    continue
                holders.discard(lease)
                if not holders:
                    del self._holders[tag]
                    self._orphaned[tag] = now
        if self.grace <= 0:
            self.sweep()

    def sweep(self) -> int:
        """Drop idle entries and those of tags released more than ``grace`` seconds ago; the
        number of entries dropped."""
        now = self._clock()
        with self._lock:
            gone = {t for t, at in self._orphaned.items() if now - at >= self.grace}
            for tag in gone:
                del self._orphaned[tag]
            stale = [k for k, e in self._entries.items()
                     if now - e.used > self.idle or (e.tag is not None and e.tag in gone)]
            for key in stale:
                self._drop(key)
        if stale:
            _LOG.info("freed %d cached value(s); %.0f MB kept", len(stale), self.bytes / _MB)
        return len(stale)

    def _start_sweeper(self) -> None:
        if self._sweeper is not None or self._clock is not time.monotonic:
            return
        with self._lock:
            if self._sweeper is not None:
                return
            every = max(1.0, min(self.grace or 60.0, self.idle, 60.0) / 2)

            def run() -> None:
                ticks = 0
                while True:
                    time.sleep(every)
                    ticks += 1
                    try:
                        # What sessions and this cache freed goes back to the system: after a
                        # sweep that dropped entries, and every ~5 minutes (sessions end on
                        # Streamlit's own schedule).
                        if self.sweep() or ticks * every >= 300:
                            ticks = 0
                            give_back()
                    except Exception:  # noqa: BLE001 - housekeeping: log it, keep sweeping
                        _LOG.exception("sweeping the data cache failed")

            self._sweeper = threading.Thread(target=run, name="mrrkit-cache-sweep", daemon=True)
            self._sweeper.start()


def _setting(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        _LOG.warning("%s=%r is not a number: %s is used", name, text, default)
        return default
    return value if math.isfinite(value) and value > 0 else default


#: The process's data cache (:mod:`ui.uploads`, :mod:`ui.views`).
DATA = BoundedCache(int(_setting("MRRKIT_CACHE_MB", 256) * _MB),
                    idle=_setting("MRRKIT_CACHE_IDLE_MINUTES", 30) * 60.0,
                    grace=_setting("MRRKIT_CACHE_GRACE_SECONDS", 60))


class _Lease:
    """The tags one session used (see :func:`hold`)."""

    def __init__(self) -> None:
        self.tags: set[str] = set()


def _release(lease: _Lease) -> None:
    DATA.release(id(lease), lease.tags)


def _session_lease() -> _Lease | None:
    """This session's lease (created at its first use, released by Streamlit when its
    websocket closes); ``None`` outside a session (a bare script, a doctest)."""
    import streamlit as st

    try:
        return _lease()
    except st.errors.StreamlitAPIException:  # no script run here: no session, no lease
        return None


def _make_lease_function():
    import streamlit as st

    @st.cache_resource(scope="session", on_release=_release, show_spinner=False)
    def _mrrkit_session_lease() -> _Lease:
        return _Lease()

    return _mrrkit_session_lease


_lease = None


def hold(tag: str | None, cache: BoundedCache | None = None) -> None:
    """Note that this session uses the data ``tag`` (an upload's digest, a source's key)."""
    global _lease
    if not tag or tag.startswith(PERMANENT_PREFIX):
        return
    if _lease is None:
        _lease = _make_lease_function()
    lease = _session_lease()
    if lease is None:
        return
    if tag not in lease.tags:
        lease.tags.add(tag)
    (cache or DATA).hold(id(lease), tag)


def cached(tag: str | Callable[..., str | None] | None = None, cache: BoundedCache | None = None):
    """Cache a function in :data:`DATA`, like ``st.cache_resource``: keyed on its arguments but
    those whose name starts with ``_``, shared read-only by every session.

    ``tag`` names the argument that says which data the value comes from (or is a function of
    the bound arguments returning it): this session holds it (see :func:`hold`).
    """

    def decorate(fn):
        signature = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"
        keyed = [p for p in signature.parameters if not p.startswith("_")]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            key = (name, *(arguments[p] for p in keyed))
            data = tag(arguments) if callable(tag) else arguments.get(tag) if tag else None
            hold(data, cache)
            return (cache or DATA).get(key, lambda: fn(*args, **kwargs), data)

        return wrapper

    return decorate
