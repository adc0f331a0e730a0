"""Small states shared by every session of this server process, by key (a client address, a
browser), and one lock per key: what the access gate remembers between sessions (wrong
passwords per address, browsers let in, where a browser was going). Both are capped, the oldest
keys going first, so a flood of new addresses cannot grow them without end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["KeyedLocks", "SharedStates"]


class SharedStates:
    """Small mutable states shared by every session of this server process, by key (a client
    address, a browser), with a lock and a cap on their number (the oldest go first).

    Examples
    --------
    >>> states = SharedStates(limit=2)
    >>> for address in ("10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3"):
    ...     states.update(address, lambda s: s.update(failures=s.get("failures", 0) + 1))
    >>> states.update("10.0.0.1", dict), states.update("10.0.0.2", dict)  # 10.0.0.2 went first
    ({'failures': 2}, {})
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._limit = limit

    def update(self, key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Run ``change(state)`` on the state of ``key`` (created empty) under the lock."""
        with self._lock:
            state = self._states.pop(key, None) or {}
            try:
                return change(state)
            finally:
                if state:
                    self._states[key] = state
                    while len(self._states) > self._limit:
                        self._states.popitem(last=False)

    def clear(self) -> None:
        """Forget every key's state."""
        with self._lock:
            self._states.clear()


class KeyedLocks:
    """One lock per key (a client address), created when first asked for; at most ``limit``
    kept (the least recently asked for and free go first).

    Examples
    --------
    >>> locks = KeyedLocks()
    >>> locks.get("10.0.0.1") is locks.get("10.0.0.1"), locks.get("10.0.0.1") is locks.get("x")
    (True, False)
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._locks: OrderedDict[str, threading.Lock] = OrderedDict()
        self._limit = limit

    def get(self, key: str) -> threading.Lock:
        """The lock of ``key``."""
        with self._lock:
            lock = self._locks.pop(key, None) or threading.Lock()
            self._locks[key] = lock
            if len(self._locks) > self._limit:
                for old in list(self._locks)[: len(self._locks) - self._limit]:
                    if not self._locks[old].locked():
                        del self._locks[old]
            return lock
