"""Saved views: a session's data and view state stored server-side under an unguessable token.

"Share" calls :meth:`ViewStore.save` and links to ``?view=<token>``; opening the link calls
:meth:`ViewStore.load`. Nothing here imports Streamlit.

Storage, in one directory (``MRRKIT_VIEWS_DIR``, default ``.mrrkit-views``):

- ``index.sqlite3`` (WAL): one row per view with created/expires times, size, source and the
  view state as JSON. Rows are keyed by the SHA-256 of the token, never the token itself, so a
  copy of the directory (a backup, a log of file names) does not hand out working links.
- ``<sha256 of token>.parquet``: the uploaded canonical lines, written to a temporary file in the
  same directory and moved into place with :func:`os.replace` (atomic: a reader sees the whole
  file or none).

Tokens are :func:`secrets.token_urlsafe` of 32 bytes (256 bits), so they cannot be guessed from
the time or the order of saves. A caller may instead give its own token of the same shape (a
digest it derives from a secret, e.g. :mod:`ui.browser_memory`'s per-browser memory) and a
``scope``: rows of another scope are keyed by a digest of the scope and the token, so a
``?view=`` link (the default scope) never opens them, and saving again under a given token
replaces what was there. A token is checked against its exact format before anything
touches the disk. Quotas (total and per view) are checked inside one SQLite write transaction,
so concurrent saves cannot overshoot them together. A view counts its Parquet file, its state and
:data:`ROW_BYTES` for its row in the index; temporary files (a save in progress, or left by a
crash until the hourly purge) count too, so the quota bounds what the directory holds.

A view whose file cannot be read (damaged on disk) is dropped and reads as unknown; errors that
name the directory or the disk's own message go to the server log, never into the message a
caller shows.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .environment import env_number

__all__ = [
    "DEFAULT_DIR",
    "ROW_BYTES",
    "TOKEN_BYTES",
    "ViewInfo",
    "ViewStore",
    "is_token",
]

_LOG = logging.getLogger(__name__)

TOKEN_BYTES = 32
# token_urlsafe(32): 32 bytes in unpadded URL-safe base64 = exactly 43 characters of [A-Za-z0-9_-].
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
DEFAULT_DIR = ".mrrkit-views"
_INDEX = "index.sqlite3"
_TMP_PREFIX = ".tmp-"
_DAY = 86_400.0
_MB = 1024 * 1024
#: What one view's row takes in the index at most, counted against the quota with its state: the
#: digest of its token (in the row and in the key's index), its times, size and source, and the
#: expiry index (measured: ~200 bytes a row in 5,000 views; tests/server/test_view_store.py).
ROW_BYTES = 512

_SCHEMA = """
CREATE TABLE IF NOT EXISTS views (
    token_hash TEXT PRIMARY KEY,
    created    REAL NOT NULL,
    expires    REAL NOT NULL,
    size       INTEGER NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('upload', 'sample')),
    state      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS views_expires ON views (expires);
"""


def is_token(value: object) -> bool:
    """Whether ``value`` has the exact shape of a view token (says nothing about existence).

    Examples
    --------
    >>> is_token(secrets.token_urlsafe(TOKEN_BYTES))
    True
    >>> is_token("../index.sqlite3"), is_token("a" * 42), is_token("a" * 43 + "\\n")
    (False, False, False)
    """
    return isinstance(value, str) and _TOKEN_RE.fullmatch(value) is not None


_SCOPE_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")


def _token_hash(token: str, scope: str = "") -> str:
    """The index key of ``token``: its SHA-256 for shared links (the default scope), the SHA-256
    of ``scope``, a NUL and the token for another scope (never the key of a shared link).

    >>> _token_hash("a" * 43) == hashlib.sha256(b"a" * 43).hexdigest()
    True
    >>> _token_hash("a" * 43, "browser") == _token_hash("a" * 43)
    False
    """
    if not scope:
        return hashlib.sha256(token.encode("ascii")).hexdigest()
    return hashlib.sha256(f"{scope}\0{token}".encode("ascii")).hexdigest()


def _check_scope(scope: object) -> str:
    if scope == "":
        return ""
    if not isinstance(scope, str) or _SCOPE_RE.fullmatch(scope) is None:
        raise ValueError(f"scope must be '' or a short lower-case name, got {scope!r}")
    return scope


@dataclass(frozen=True)
class ViewInfo:
    """What the index knows about a view: times in seconds since the epoch, size in bytes."""

    created: float
    expires: float
    size: int
    source: str  # "upload" (lines stored) or "sample" (the bundled sample)


class ViewStore:
    """Shared views on disk: ``save`` -> token, ``load(token)`` -> (lines or None, state).

    Parameters
    ----------
    directory : str or Path
        Where views live; created (mode 0700) if missing.
    max_bytes : int
        Total size of all live views; a save that would exceed it is refused.
    max_view_bytes : int
        Size of one view (Parquet lines + JSON state).
    default_ttl_days : float
        Lifetime of a view when ``save`` is given none.
    max_ttl_days : float
        Longest lifetime a caller may ask for.
    clock : callable
        Seconds since the epoch; injectable for tests.

    Examples
    --------
    >>> import tempfile
    >>> store = ViewStore(tempfile.mkdtemp())
    >>> lines = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
    ...                       "end": pd.to_datetime([pd.NaT]), "mrr": [10.0]})
    >>> token = store.save(lines, {"page": "cohorts", "industry": ["SaaS"]})
    >>> loaded, state = store.load(token)
    >>> loaded.equals(lines), state
    (True, {'page': 'cohorts', 'industry': ['SaaS']})
    >>> store.load(store.save(None, {}))  # None = the bundled sample
    (None, {})
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int = 500 * _MB,
        max_view_bytes: int = 50 * _MB,
        default_ttl_days: float = 30.0,
        max_ttl_days: float = 365.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in [("max_bytes", max_bytes), ("max_view_bytes", max_view_bytes)]:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"{name} must be a positive integer number of bytes, got {value!r}"
                )
        if not 0 < default_ttl_days <= max_ttl_days or not math.isfinite(max_ttl_days):
            raise ValueError("need 0 < default_ttl_days <= max_ttl_days < infinity")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_view_bytes = min(max_view_bytes, max_bytes)
        self.default_ttl_days = float(default_ttl_days)
        self.max_ttl_days = float(max_ttl_days)
        self._clock = clock
        self._purge_lock = threading.Lock()
        self._last_purge: float | None = None
        # Nothing touches the disk before the first save: a server where nobody shares keeps no
        # directory, and reading a store that does not exist finds nothing.
        self._ready = False
        self._ready_lock = threading.Lock()

    def _exists(self) -> bool:
        return self._ready or (self.directory / _INDEX).exists()

    def _ensure(self) -> None:
        """Create the directory (mode 0700) and the index, once."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                with self._connect() as db:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                _LOG.error("shared views cannot be kept in %s: %s", self.directory, exc)
                raise ValueError(
                    "shared views cannot be kept on this server (its log says why)"
                ) from None
            self._ready = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ViewStore:
        """A store configured by environment variables (defaults in brackets):

        ``MRRKIT_VIEWS_DIR`` [``.mrrkit-views``], ``MRRKIT_VIEWS_MAX_MB`` total [500],
        ``MRRKIT_VIEW_MAX_MB`` per view [50], ``MRRKIT_VIEWS_TTL_DAYS`` [30].
        """
        environ = os.environ if environ is None else environ

        settings: dict[str, Any] = {
            "directory": environ.get("MRRKIT_VIEWS_DIR", "").strip() or DEFAULT_DIR,
            "max_bytes": int(env_number(environ, "MRRKIT_VIEWS_MAX_MB", 500) * _MB),
            "max_view_bytes": int(env_number(environ, "MRRKIT_VIEW_MAX_MB", 50) * _MB),
            "default_ttl_days": env_number(environ, "MRRKIT_VIEWS_TTL_DAYS", 30),
        }
        settings["max_ttl_days"] = max(365.0, settings["default_ttl_days"])
        settings.update(overrides)
        return cls(**settings)

    # --- public API ------------------------------------------------------------------------------

    def save(
        self,
        lines: pd.DataFrame | None,
        state: Mapping[str, Any],
        ttl_days: float | None = None,
        *,
        token: str | None = None,
        scope: str = "",
    ) -> str:
        """Store a view and return its token.

        Parameters
        ----------
        lines : DataFrame or None
            The session's canonical lines; ``None`` means the bundled sample (only a marker is
            stored). Not modified.
        state : mapping
            The view state (query parameters): JSON-serialisable, string keys.
        ttl_days : float, optional
            Lifetime; defaults to ``default_ttl_days``, at most ``max_ttl_days``.
        token : str, optional
            The caller's own token (the shape of :func:`is_token`, e.g. a digest of a secret the
            caller holds); what was saved under it in ``scope`` is replaced, its size no longer
            counted against the quota. Default: a fresh random token, never a replacement.
        scope : str
            ``""`` (shared links) or a short lower-case name keeping these views apart: only
            :meth:`load`, :meth:`info` and :meth:`delete` with the same scope reach them.

        Raises
        ------
        ValueError
            Unserialisable lines or state, a bad lifetime, token or scope, or a quota exceeded.
        """
        scope = _check_scope(scope)
        if token is not None and not is_token(token):
            raise ValueError("token must be 43 characters of [A-Za-z0-9_-]")
        ttl = self.default_ttl_days if ttl_days is None else ttl_days
        if (
            not isinstance(ttl, (int, float))
            or isinstance(ttl, bool)
            or not 0 < ttl <= self.max_ttl_days
        ):
            raise ValueError(f"ttl_days must be in (0, {self.max_ttl_days:g}], got {ttl_days!r}")
        state_json = _state_to_json(state)
        payload = None if lines is None else _lines_to_parquet(lines)
        size = (
            len(state_json.encode("utf-8")) + (0 if payload is None else len(payload)) + ROW_BYTES
        )
        if size > self.max_view_bytes:
            raise ValueError(
                f"this view takes {size / _MB:.1f} MB, over the {self.max_view_bytes / _MB:.1f} MB "
                "limit for one shared view"
            )
        self._ensure()
        self.purge_expired()
        given = token
        for _ in range(3):  # a collision of 256-bit tokens will not happen; never overwrite anyway
            token = given or secrets.token_urlsafe(TOKEN_BYTES)
            key = _token_hash(token, scope)
            now = self._clock()
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")  # one writer at a time: the quota check holds
                try:
                    old = db.execute(
                        "SELECT size, source FROM views WHERE token_hash = ?", (key,)
                    ).fetchone()
                    if old is not None and given is None:
                        db.execute("ROLLBACK")
                        continue
                    (used,) = db.execute("SELECT COALESCE(SUM(size), 0) FROM views").fetchone()
                    used += self._temporary_bytes()  # saves under way, a crash's leftovers
                    if old is not None:  # replaced: its size leaves the total
                        used -= old["size"]
                    if used + size > self.max_bytes:
                        raise ValueError(
                            f"the shared-view store is full ({used / _MB:.1f} of "
                            f"{self.max_bytes / _MB:.1f} MB used; this view needs "
                            f"{size / _MB:.1f} MB): delete old views or wait for them to expire"
                        )
                    if payload is not None:
                        try:
                            self._write_atomically(self._data_path(key), payload)
                        except OSError as exc:  # disk full, permissions: a message, not a crash
                            _LOG.error("a shared view could not be written to %s: %s",
                                       self.directory, exc)
                            raise ValueError(
                                "the shared view could not be written on this server "
                                "(its log says why)"
                            ) from None
                    elif old is not None and old["source"] == "upload":
                        self._data_path(key).unlink(missing_ok=True)  # replaced by no lines
                    db.execute(
                        "INSERT OR REPLACE INTO views "
                        "(token_hash, created, expires, size, source, state) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            now,
                            now + ttl * _DAY,
                            size,
                            "sample" if payload is None else "upload",
                            state_json,
                        ),
                    )
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    if payload is not None:
                        # A replacement that failed loses the old lines too; its row, left
                        # without them, reads as a missing view (see load).
                        self._data_path(key).unlink(missing_ok=True)
                    raise
            return token
        raise RuntimeError("could not draw a fresh token")  # pragma: no cover

    def load(self, token: str, *, scope: str = "") -> tuple[pd.DataFrame | None, dict[str, Any]]:
        """The lines (``None`` = the bundled sample) and the view state saved under ``token``
        (in ``scope``, see :meth:`save`).

        Raises
        ------
        KeyError
            The token is malformed, unknown or expired (an expired view is deleted).
        """
        key = self._key(token, scope)
        row = self._row(key)
        lines = None
        try:
            if row["source"] == "upload":
                lines = _read_parquet(self._data_path(key))
            state = json.loads(row["state"])
        except FileNotFoundError:
            self._delete_key(key)  # the index outlived its data: drop the dangling row
            raise KeyError("this shared view is no longer available") from None
        except Exception as exc:  # noqa: BLE001 - a damaged file: pyarrow raises many types
            # Logged with the key's start (not the token); the caller says "unknown or expired".
            _LOG.warning("shared view %s... is damaged and was dropped: %s", key[:12], exc)
            self._delete_key(key)
            raise KeyError("this shared view is no longer available") from None
        return lines, state

    def info(self, token: str, *, scope: str = "") -> ViewInfo:
        """Created/expiry times, size and source of a live view (``KeyError`` as :meth:`load`)."""
        row = self._row(self._key(token, scope))
        return ViewInfo(row["created"], row["expires"], row["size"], row["source"])

    def delete(self, token: str, *, scope: str = "") -> bool:
        """Delete a view; ``True`` if there was one. Malformed tokens are simply not found."""
        if not is_token(token):
            return False
        return self._delete_key(_token_hash(token, _check_scope(scope)))

    def purge_expired(self) -> int:
        """Delete expired views, data files without an index row and stale temporary files.

        Returns the number of expired views deleted.
        """
        if not self._exists():
            return 0
        self._ensure()
        now = self._clock()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # no save is half-done while we look for orphans
            try:
                expired = [
                    k
                    for (k,) in db.execute(
                        "SELECT token_hash FROM views WHERE expires <= ?", (now,)
                    )
                ]
                db.execute("DELETE FROM views WHERE expires <= ?", (now,))
                live = {
                    k for (k,) in db.execute("SELECT token_hash FROM views WHERE source = 'upload'")
                }
                for key in expired:
                    self._data_path(key).unlink(missing_ok=True)
                for path in self.directory.iterdir():
                    if (
                        path.suffix == ".parquet"
                        and path.stem not in live
                        and _is_hex_key(path.stem)
                    ):
                        path.unlink(missing_ok=True)
                    elif (
                        path.name.startswith(_TMP_PREFIX)
                        and time.time() - path.stat().st_mtime > 3600
                    ):
                        path.unlink(missing_ok=True)  # left by a crash mid-write
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(expired)

    def purge_if_due(self, every_seconds: float = 3600.0) -> bool:
        """Start :meth:`purge_expired` in a background thread if the last one (by this store)
        started more than ``every_seconds`` ago, so expired data leaves the disk even when
        nobody shares or opens a link; return whether one was started. Cheap to call often.
        """
        now = time.monotonic()
        with self._purge_lock:
            if self._last_purge is not None and now - self._last_purge < every_seconds:
                return False
            self._last_purge = now
        threading.Thread(target=self._purge_quietly, name="mrrkit-views-purge", daemon=True).start()
        return True

    def _purge_quietly(self) -> None:
        try:
            self.purge_expired()
        except Exception:  # noqa: BLE001 - housekeeping: log it, never break a page
            _LOG.exception("purging expired shared views failed")

    def used_bytes(self) -> int:
        """What counts against ``max_bytes``: the views in the index (expired ones included
        until purged), each with :data:`ROW_BYTES`, and the temporary files."""
        if not self._exists():
            return 0
        self._ensure()
        with self._connect() as db:
            (used,) = db.execute("SELECT COALESCE(SUM(size), 0) FROM views").fetchone()
        return int(used) + self._temporary_bytes()

    # --- internals -------------------------------------------------------------------------------

    def _connect(self) -> _Closing:
        # One short-lived connection per call: safe across Streamlit's script threads; autocommit
        # mode so transactions are exactly the explicit BEGIN ... COMMIT blocks.
        db = sqlite3.connect(self.directory / _INDEX, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return _Closing(db)

    def _key(self, token: str, scope: str = "") -> str:
        if not is_token(token):
            raise KeyError("not a shared-view token")
        try:
            scope = _check_scope(scope)
        except ValueError as exc:
            raise KeyError(str(exc)) from None
        return _token_hash(token, scope)

    def _row(self, key: str) -> sqlite3.Row:
        if not self._exists():
            raise KeyError("no such shared view (unknown or deleted)")
        self._ensure()
        with self._connect() as db:
            row = db.execute("SELECT * FROM views WHERE token_hash = ?", (key,)).fetchone()
        if row is None:
            raise KeyError("no such shared view (unknown or deleted)")
        if row["expires"] <= self._clock():
            self._delete_key(key)
            raise KeyError("this shared view has expired")
        return row

    def _delete_key(self, key: str) -> bool:
        if not self._exists():
            return False
        self._ensure()
        with self._connect() as db:
            deleted = db.execute("DELETE FROM views WHERE token_hash = ?", (key,)).rowcount
        self._data_path(key).unlink(missing_ok=True)
        return deleted > 0

    def _temporary_bytes(self) -> int:
        """Size of the temporary files in the directory (saves under way, crashes' leftovers)."""
        total = 0
        try:
            for path in self.directory.iterdir():
                if path.name.startswith(_TMP_PREFIX):
                    try:
                        total += path.stat().st_size
                    except OSError:  # renamed or removed meanwhile
                        pass
        except OSError:
            return 0
        return total

    def _data_path(self, key: str) -> Path:
        return self.directory / f"{key}.parquet"

    def _write_atomically(self, path: Path, payload: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=self.directory)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(self.directory)  # the rename itself survives a crash


class _Closing:
    """``with`` support that closes the connection (sqlite3's own context manager only commits)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        return self._db

    def __exit__(self, *exc: object) -> None:
        self._db.close()


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. a platform that cannot open directories: the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_hex_key(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _state_to_json(state: Mapping[str, Any]) -> str:
    if not isinstance(state, Mapping):
        raise ValueError(
            f"view state must be a mapping of query parameters, got {type(state).__name__}"
        )
    if not all(isinstance(k, str) for k in state):
        raise ValueError("view state keys must be strings")
    try:
        return json.dumps(dict(state), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"view state must be plain JSON (text, numbers, lists, dicts): {exc}"
        ) from None


def _lines_to_parquet(lines: pd.DataFrame) -> bytes:
    if not isinstance(lines, pd.DataFrame):
        raise ValueError(f"lines must be a DataFrame or None, got {type(lines).__name__}")
    buffer = io.BytesIO()
    try:
        # Parquet keeps dtypes (str, categories, datetimes, NaT) through pandas' schema metadata.
        lines.to_parquet(buffer, engine="pyarrow", compression="zstd")
    except Exception as exc:  # pyarrow raises several types for unstorable columns
        raise ValueError(f"these lines cannot be stored for sharing: {exc}") from None
    return buffer.getvalue()


_TIME_UNIT_RE = re.compile(r"(?:datetime|timedelta)64\[(s|ms|us|ns)\]")


def _read_parquet(path: Path) -> pd.DataFrame:
    table = pq.read_table(path)
    frame = table.to_pandas()
    # Parquet has no second-resolution timestamps (pyarrow stores datetime64[s] as ms); pandas'
    # schema metadata remembers the original unit, so put it back for an exact round trip.
    units = {}
    for column in (table.schema.pandas_metadata or {}).get("columns", []):
        match = _TIME_UNIT_RE.fullmatch(str(column.get("numpy_type")))
        if match:
            units[column.get("name")] = match.group(1)
    restored = {
        name: frame[name].dt.as_unit(units[name])
        for name in frame.columns
        if name in units and frame[name].dtype.kind in "mM" and frame[name].dt.unit != units[name]
    }
    if restored:
        frame = frame.assign(**restored)
    index_unit = units.get(frame.index.name)
    if index_unit and isinstance(frame.index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        frame.index = frame.index.as_unit(index_unit)
    return frame
