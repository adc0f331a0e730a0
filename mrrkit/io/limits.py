"""What reading one uploaded file may cost, checked before the expensive step.

An upload is read by the server process every session shares: one file that unpacks to gigabytes,
or that holds a million columns, would stall or kill it for everyone. The readers of
:mod:`mrrkit.io.table` therefore refuse a file whole, with an
:class:`~mrrkit.io.messages.ExportError`
whose ``code`` is one of :data:`LIMIT_CODES` and whose ``values`` say what was found and the
limit (``count``, ``limit``, ``variable``...), as soon as a limit is passed, and always before
the step whose cost the limit bounds:

- text (CSV/TSV): the header's width, every line's length and the number of lines are checked on
  the bytes (a pass that costs ~2% of the read) before any of it is parsed;
- Parquet: rows, columns and uncompressed size from the file's metadata, before anything is
  decoded; the decoding itself (dictionary and delta encodings can expand a few kilobytes into
  gigabytes, which no metadata bounds) then runs in a child process;
- XLSX: in a child process, the zip's declared unpacked size, then the sheet's declared
  dimension (``<dimension ref>``), then each row as it is streamed, before pandas pads the sheet
  into a rectangle.

The child process (:func:`run_limited`) has a wall-clock and a memory budget; a file past
either fails alone (``read_timeout``, ``read_memory``) and the server goes on. Text files are
read in the server process when pyarrow's reader takes them (their cost is bounded by the checks
above); the careful pure-Python reader a malformed text file needs (tens of times slower) runs
in the child when the file is large.

Every limit is an environment variable, read at each read (:func:`limits`); unset, blank or
unreadable means the default, ``0`` means no limit:

================================  ===========  =====================================================
variable                          default      what
================================  ===========  =====================================================
``MRRKIT_MAX_COLUMNS``            2,000        columns of a table (a text file's header, a sheet's
                                               width, a Parquet file's columns)
``MRRKIT_MAX_ROWS``               2,000,000    rows (a text file's lines, a sheet's lines, a
                                               Parquet file's rows)
``MRRKIT_MAX_CELLS``              50,000,000   rows x columns
``MRRKIT_MAX_LINE_BYTES``         1,048,576    bytes of one line of a text file
``MRRKIT_MAX_UNPACKED_MB``        500          what an XLSX unpacks to (its zip's declared sizes),
                                               a Parquet file's uncompressed size
``MRRKIT_READ_SECONDS``           60           wall-clock time of a read in the child process
``MRRKIT_READ_MB``                768          memory the child process may add to what it starts
                                               with (``RLIMIT_AS``): its peak stays under 1 GB
================================  ===========  =====================================================

>>> lim = Limits(max_columns=3)
>>> check_columns(5, lim)
Traceback (most recent call last):
...
mrrkit.io.messages.ExportError: the file has 5 columns, more than the 3 this server reads ...
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import resource
import signal
import struct
import threading
import time
from dataclasses import dataclass

import numpy as np

from .messages import ExportError

__all__ = [
    "LIMIT_CODES",
    "LIMIT_VARIABLES",
    "Limits",
    "check_cells",
    "check_columns",
    "check_line_length",
    "check_rows",
    "check_unpacked",
    "last_child_read",
    "limits",
    "refuse",
    "run_limited",
    "start_reader",
]

#: The ``code`` of an :class:`~mrrkit.io.messages.ExportError` refusing a file past a limit.
LIMIT_CODES = (
    "too_many_columns",
    "too_many_rows",
    "too_many_cells",
    "line_too_long",
    "unpacked_too_large",
    "read_timeout",
    "read_memory",
)

#: Field of :class:`Limits` -> (environment variable, default).
LIMIT_VARIABLES = {
    "max_columns": ("MRRKIT_MAX_COLUMNS", 2_000),
    "max_rows": ("MRRKIT_MAX_ROWS", 2_000_000),
    "max_cells": ("MRRKIT_MAX_CELLS", 50_000_000),
    "max_line_bytes": ("MRRKIT_MAX_LINE_BYTES", 1 << 20),
    "max_unpacked_mb": ("MRRKIT_MAX_UNPACKED_MB", 500),
    "read_seconds": ("MRRKIT_READ_SECONDS", 60),
    "read_mb": ("MRRKIT_READ_MB", 768),
}

_MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The limits of one read (0 = none). See the module's table for each one."""

    max_columns: int = LIMIT_VARIABLES["max_columns"][1]
    max_rows: int = LIMIT_VARIABLES["max_rows"][1]
    max_cells: int = LIMIT_VARIABLES["max_cells"][1]
    max_line_bytes: int = LIMIT_VARIABLES["max_line_bytes"][1]
    max_unpacked_mb: float = LIMIT_VARIABLES["max_unpacked_mb"][1]
    read_seconds: float = LIMIT_VARIABLES["read_seconds"][1]
    read_mb: float = LIMIT_VARIABLES["read_mb"][1]


def limits(environ=None) -> Limits:
    """The limits set by the environment (``MRRKIT_MAX_COLUMNS``...), else the defaults.

    >>> limits({"MRRKIT_MAX_COLUMNS": "50", "MRRKIT_READ_SECONDS": "2.5", "MRRKIT_MAX_ROWS": "x"})
    ... # doctest: +ELLIPSIS
    Limits(max_columns=50, max_rows=2000000, ..., read_seconds=2.5, read_mb=768)
    >>> limits({"MRRKIT_MAX_CELLS": "0", "MRRKIT_MAX_LINE_BYTES": " 1_000 "}).max_cells
    0
    """
    environ = os.environ if environ is None else environ
    values = {}
    for name, (variable, default) in LIMIT_VARIABLES.items():
        raw = str(environ.get(variable, "") or "").strip().replace("_", "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            value = default
        if not math.isfinite(value) or value < 0:
            value = default
        if name in ("max_columns", "max_rows", "max_cells", "max_line_bytes"):
            value = int(value)
        elif float(value).is_integer():
            value = int(value)
        values[name] = value
    return Limits(**values)


def refuse(key: str, /, **values) -> ExportError:
    """The :class:`~mrrkit.io.messages.ExportError` of a file past a limit (``key`` one of
    :data:`LIMIT_CODES`, or a variant of one), its ``values`` kept for a message in another
    language.

    >>> str(refuse("read_timeout", limit=60, variable="MRRKIT_READ_SECONDS"))[:53]
    'reading the file took longer than the 60 s a read may'
    """
    return ExportError(key, **values)


def check_columns(columns: int, lim: Limits, at_least: bool = False) -> None:
    """Refuse a table wider than ``lim.max_columns``."""
    if lim.max_columns and columns > lim.max_columns:
        raise refuse(
            "too_many_columns.at_least" if at_least else "too_many_columns",
            count=int(columns), limit=lim.max_columns, variable="MRRKIT_MAX_COLUMNS",
        )


def check_rows(rows: int, lim: Limits, at_least: bool = False) -> None:
    """Refuse a table longer than ``lim.max_rows``."""
    if lim.max_rows and rows > lim.max_rows:
        raise refuse(
            "too_many_rows.at_least" if at_least else "too_many_rows",
            count=int(rows), limit=lim.max_rows, variable="MRRKIT_MAX_ROWS",
        )


def check_cells(rows: int, columns: int, lim: Limits) -> None:
    """Refuse a table of more than ``lim.max_cells`` cells (rows x columns)."""
    cells = int(rows) * int(columns)
    if lim.max_cells and cells > lim.max_cells:
        raise refuse(
            "too_many_cells",
            count=cells, rows=int(rows), columns=int(columns), limit=lim.max_cells,
            variable="MRRKIT_MAX_CELLS",
        )


def check_unpacked(nbytes: int, lim: Limits, holds: bool = False) -> None:
    """Refuse a file whose content, unpacked, is larger than ``lim.max_unpacked_mb`` (``holds``:
    said of a file whose content is not packed, a Parquet file's uncompressed size)."""
    if lim.max_unpacked_mb and nbytes > lim.max_unpacked_mb * _MB:
        size = math.ceil(nbytes / _MB)
        raise refuse(
            "unpacked_too_large.holds" if holds else "unpacked_too_large",
            count=size, limit=lim.max_unpacked_mb, variable="MRRKIT_MAX_UNPACKED_MB",
        )


def check_line_length(data: bytes, lim: Limits, start: int = 0) -> None:
    """Refuse a text whose line (ended by LF or CR) is longer than ``lim.max_line_bytes``.

    Jumps from line end to line end through windows of the limit's size, so a normal file costs
    one short backwards search per window (a fraction of a millisecond per 100 MB).

    >>> check_line_length(b"ab\\ncd\\r\\nef", Limits(max_line_bytes=3))
    >>> check_line_length(b"ab\\ncdef\\ngh", Limits(max_line_bytes=3))
    Traceback (most recent call last):
    ...
    mrrkit.io.messages.ExportError: line 2 is 4 bytes long, more than the 3 bytes a line may ...
    """
    limit = lim.max_line_bytes
    if not limit:
        return
    n, pos = len(data), start
    while n - pos > limit:
        # A line of at most `limit` bytes plus its end: the window holds that end.
        window_end = pos + limit + 1
        k = max(data.rfind(b"\n", pos, window_end), data.rfind(b"\r", pos, window_end))
        if k < 0:
            ends = [e for e in (data.find(b"\n", pos), data.find(b"\r", pos)) if e >= 0]
            length = (min(ends) if ends else n) - pos
            line = data.count(b"\n", 0, pos) + 1
            raise refuse(
                "line_too_long",
                count=length, line=line, limit=limit, variable="MRRKIT_MAX_LINE_BYTES",
            )
        pos = k + 1


def count_lines(data: bytes, start: int = 0, chunk: int = 1 << 23) -> int:
    """Lines of ``data[start:]`` (line feeds, plus an unterminated last line), counted in chunks
    (no copy of a large file; ~30 ms per 200 MB).

    >>> count_lines(b"a\\nb\\n"), count_lines(b"a\\nb"), count_lines(b"")
    (2, 2, 0)
    """
    view = np.frombuffer(data, dtype=np.uint8)
    count = 0
    for at in range(start, len(view), chunk):
        count += int(np.count_nonzero(view[at : at + chunk] == 10))
    if len(data) > start and data[-1:] != b"\n":
        count += 1
    return count


# --------------------------------------------------------------------------------------------
# The child process
# --------------------------------------------------------------------------------------------

_CONTEXT = None
_SERVER_ENV: dict = {}
_SERVER_LOCK = threading.Lock()
_LAST: dict = {}


def last_child_read() -> dict:
    """What the last :func:`run_limited` of this process cost: ``seconds`` (wall clock, start
    to answer), ``peak_mb`` (the child's peak resident memory, when it answered), ``status``
    (``ok``, ``refused``, ``timeout``, ``memory``, ``died``)."""
    return dict(_LAST)


def _context():
    """forkserver (each child forks from a server that has imported the readers once: a few
    milliseconds a read), else spawn."""
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing as mp

        if "forkserver" in mp.get_all_start_methods():
            from multiprocessing import spawn

            ctx = mp.get_context("forkserver")
            # The children never import the main script again (see mrrkit._forkserver).
            main = spawn.get_preparation_data("mrrkit").get("init_main_from_path")
            if main:
                _SERVER_ENV["MRRKIT_FORKSERVER_MAIN"] = main
            # pyarrow's default allocator (mimalloc) reserves a gigabyte of address space up
            # front, which RLIMIT_AS then cannot see being used: the system's own allocator
            # maps what it uses, and the budget is what it says (no slower, here).
            _SERVER_ENV["ARROW_DEFAULT_MEMORY_POOL"] = "system"
            ctx.set_forkserver_preload(
                ["mrrkit.io._forkserver", "mrrkit.io.table", "mrrkit.io.xlsx"]
            )
        else:  # pragma: no cover - not on Linux
            ctx = mp.get_context("spawn")
        _CONTEXT = ctx
    return _CONTEXT


def start_reader() -> None:
    """Start the server the reading child processes fork from, if not running yet (it imports
    the readers: a second or two, once per process), so that the first read does not wait."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        # Its environment only (the server process's own is left as it was).
        with _SERVER_LOCK:
            saved = {name: os.environ.get(name) for name in _SERVER_ENV}
            os.environ.update(_SERVER_ENV)
            try:
                forkserver.ensure_running()
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value


def _address_space() -> int:
    """This process's virtual memory size in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _child(conn, fn, args, read_seconds: float, read_mb: float) -> None:
    """Run ``fn(data, *args)`` under the budgets and send back ``(status, value, peak MB)``:
    the sizes, the pickle, then its large buffers (columns) out of band, each sent as it is
    rather than copied into the pickle."""
    if read_mb:
        # The budget is what the read may add: the child starts with the readers' libraries
        # mapped (hundreds of MB of address space, mostly shared with its server).
        cap = _address_space() + int(read_mb * _MB)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (ValueError, OSError):  # pragma: no cover - a hard limit below ours
            pass
    if read_seconds:
        # A safety net should the server be gone: the parent kills the child at the wall-clock
        # budget, CPU time (one thread reading) cannot pass it first.
        cpu = int(math.ceil(read_seconds)) + 5
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        except (ValueError, OSError):  # pragma: no cover
            pass
    # The server's preloaded objects are never garbage: left out of every collection (a sheet
    # of a million lines is read ~5x faster).
    gc.freeze()
    buffers: list = []
    try:
        data = conn.recv_bytes()
        try:
            answer = ("ok", fn(data, *args))
        except ExportError as exc:
            answer = ("refused", exc)
        del data
        payload = pickle.dumps((*answer, _peak_mb()), protocol=5, buffer_callback=buffers.append)
        buffers = [b.raw() for b in buffers]
    except MemoryError:
        answer, buffers = None, []  # (frees the half-built result before pickling the answer)
        payload = pickle.dumps(("memory", None, _peak_mb()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, never a traceback lost
        buffers = []
        payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}", _peak_mb()))
    try:
        conn.send_bytes(pickle.dumps([b.nbytes for b in buffers]))
        conn.send_bytes(payload)
        for buffer in buffers:
            conn.send_bytes(buffer)
    finally:
        conn.close()


def _read_exactly(fd: int, view: memoryview) -> None:
    while len(view):
        got = os.readv(fd, [view])
        if not got:
            raise EOFError("the reading process closed its end")
        view = view[got:]


def _recv_into(conn, buffer: bytearray) -> None:
    """One message of ``conn`` (a ``send_bytes``) read straight into ``buffer``: no copies
    through Python's own buffers (a few tenths of a second per 100 MB)."""
    head = bytearray(4)
    _read_exactly(conn.fileno(), memoryview(head))
    (size,) = struct.unpack("!i", head)
    if size == -1:  # (a message over 2 GiB: its size follows on 8 bytes)
        head = bytearray(8)
        _read_exactly(conn.fileno(), memoryview(head))
        (size,) = struct.unpack("!Q", head)
    if size != len(buffer):
        raise EOFError(f"the reading process sent {size} bytes, {len(buffer)} were announced")
    _read_exactly(conn.fileno(), memoryview(buffer))


def _receive(conn):
    """The child's answer: its sizes, its pickle, then its buffers (into writable memory, as
    the arrays of an in-process read are)."""
    sizes = pickle.loads(conn.recv_bytes())
    payload = conn.recv_bytes()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)
        _recv_into(conn, buffer)
        buffers.append(buffer)
    return pickle.loads(payload, buffers=buffers)


def _budget_refusal(status: str, lim: Limits, signal_number: int | None = None) -> ExportError:
    if status == "timeout":
        return refuse("read_timeout", limit=lim.read_seconds, variable="MRRKIT_READ_SECONDS")
    if signal_number:
        return refuse(
            "read_memory.killed", limit=lim.read_mb, variable="MRRKIT_READ_MB",
            signal=signal_number,
        )
    return refuse("read_memory", limit=lim.read_mb, variable="MRRKIT_READ_MB")


def run_limited(fn, data: bytes, *args, lim: Limits | None = None):
    """``fn(data, *args)`` in a child process with ``lim``'s wall-clock (``read_seconds``) and
    memory (``read_mb``, as ``RLIMIT_AS``) budgets; its result (pickled back) or the
    :class:`~mrrkit.io.messages.ExportError` it raised.

    ``fn`` must be a function of an importable module (not of the main script). Past the time
    budget the child is killed (``read_timeout``); out of memory, or killed without an answer,
    ``read_memory``. Any other failure of the child comes back as a ``RuntimeError`` naming it.
    """
    lim = lim or limits()
    ctx = _context()
    start_reader()
    here, there = ctx.Pipe(duplex=True)
    proc = ctx.Process(
        target=_child, args=(there, fn, args, lim.read_seconds, lim.read_mb), daemon=True
    )
    t0 = time.perf_counter()
    status, value, peak = "died", None, None
    try:
        proc.start()
        there.close()
        here.send_bytes(data)
        deadline = None if not lim.read_seconds else t0 + lim.read_seconds
        while True:
            wait = 0.25 if deadline is None else min(0.25, max(0.0, deadline - time.perf_counter()))
            if here.poll(wait):
                try:
                    status, value, peak = _receive(here)
                except (EOFError, OSError):
                    status = "died"
                break
            if not proc.is_alive() and not here.poll(0):
                status = "died"
                break
            if deadline is not None and time.perf_counter() >= deadline:
                status = "timeout"
                break
    except (BrokenPipeError, ConnectionResetError, EOFError):
        status = "died"
    finally:
        here.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        _LAST.clear()
        _LAST.update(seconds=time.perf_counter() - t0, peak_mb=peak, status=status)
    if status == "ok":
        return value
    if status == "refused":
        raise value
    if status == "error":
        raise RuntimeError(f"reading the file failed in the reading process: {value}")
    if status == "timeout":
        raise _budget_refusal("timeout", lim)
    code = proc.exitcode
    if code == -getattr(signal, "SIGXCPU", 24):
        raise _budget_refusal("timeout", lim)  # the CPU-time safety net (several threads)
    if code is not None and code > 0:  # the child could not even start reading
        raise RuntimeError(f"the reading process failed to run (exit code {code})")
    # Memory exhausted: a MemoryError, or killed (the kernel's OOM killer, a C library aborting
    # on a failed allocation) before it could answer.
    raise _budget_refusal("memory", lim, -code if code and code < 0 else None)
