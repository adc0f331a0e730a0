"""Slowing down password guessing at the access gate: :class:`Throttle` (the lock-out rule) and
:func:`try_password` (one attempt checked against the lock-outs of its session and of its client
address, which every session of the server shares).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from .access import AccessConfig, check_password
from .shared_states import KeyedLocks, SharedStates

__all__ = ["Throttle", "try_password"]


@dataclass(frozen=True)
class Throttle:
    """Slows down password guessing.

    ``free_attempts`` wrong passwords are checked without delay; the last of them locks the form
    for ``base_delay`` seconds, and each wrong password after a lock doubles it, up to
    ``max_delay``. Failures older than ``forget_after`` seconds are forgotten. State lives in a
    plain mutable mapping (one per session in ``st.session_state``, and one per client address
    shared by every session of the server, so opening a new tab does not reset the count); time
    comes from ``clock``.

    Examples
    --------
    >>> now = [0.0]
    >>> throttle, state = Throttle(free_attempts=2, base_delay=10, clock=lambda: now[0]), {}
    >>> throttle.record_failure(state)
    >>> throttle.wait_seconds(state)
    0.0
    >>> throttle.record_failure(state)
    >>> throttle.wait_seconds(state)
    10.0
    >>> now[0] = 10.0
    >>> throttle.wait_seconds(state)
    0.0
    """

    free_attempts: int = 5
    base_delay: float = 30.0
    max_delay: float = 15 * 60.0
    forget_after: float = 3600.0
    clock: Callable[[], float] = time.monotonic

    def wait_seconds(self, state: Mapping[str, Any]) -> float:
        """Seconds until the next attempt is allowed (0 = now)."""
        return max(0.0, float(state.get("locked_until", 0.0)) - self.clock())

    def record_failure(self, state: MutableMapping[str, Any]) -> None:
        """Count a wrong password and lock the form if the free attempts are used up."""
        now = self.clock()
        if now - float(state.get("last", now)) > self.forget_after:
            self.reset(state)
        failures = int(state.get("failures", 0)) + 1
        state["failures"] = failures
        state["last"] = now
        beyond = failures - self.free_attempts + 1  # 1 at the last free attempt
        if beyond > 0:
            delay = min(self.max_delay, self.base_delay * 2.0 ** min(beyond - 1, 30))
            state["locked_until"] = now + delay

    @staticmethod
    def reset(state: MutableMapping[str, Any]) -> None:
        """Forget the failures (after a right password)."""
        for key in ("failures", "locked_until", "last"):
            state.pop(key, None)


#: Wrong passwords per client address (all sessions of the process).
_CLIENT_FAILURES = SharedStates()
#: One password check at a time per client address (see :func:`try_password`).
_CLIENT_CHECKS = KeyedLocks()
#: How long an attempt waits for the checks of the same address before it is refused.
_CHECK_QUEUE_SECONDS = 10.0


def try_password(
    attempt: str,
    config: AccessConfig,
    throttle: Throttle,
    session: MutableMapping[str, Any],
    client: str,
    *,
    failures: SharedStates | None = None,
    checks: KeyedLocks | None = None,
) -> tuple[Literal["ok", "wrong", "locked"], float]:
    """Check a password typed at the gate against the lock-outs of its session (``session``,
    the session's throttle state) and of its client address (``client``), and record a wrong
    one in both: ``("ok", 0)``, ``("wrong", 0)`` or ``("locked", seconds to wait)``.

    The attempts of one client address are taken one at a time: an attempt looks at the
    lock-out only once the one before it has been checked (PBKDF2 takes ~0.25 s) and its failure
    recorded, so a burst of simultaneous guesses from many sessions gets exactly as many checks
    as the free attempts, the others being refused as locked. ``failures`` and ``checks`` default
    to the process-wide ones (tests pass their own).

    Examples
    --------
    >>> cfg, throttle = AccessConfig("password", password="pw"), Throttle(free_attempts=2)
    >>> session, failures = {}, SharedStates()
    >>> [try_password(guess, cfg, throttle, session, "1.2.3.4", failures=failures)[0]
    ...  for guess in ("a", "b", "pw")]
    ['wrong', 'wrong', 'locked']
    """
    failures = _CLIENT_FAILURES if failures is None else failures
    lock = (_CLIENT_CHECKS if checks is None else checks).get(client)
    if not lock.acquire(timeout=_CHECK_QUEUE_SECONDS):
        return "locked", _CHECK_QUEUE_SECONDS  # a queue of checks this long: a flood, refuse
    try:
        wait = max(throttle.wait_seconds(session), failures.update(client, throttle.wait_seconds))
        if wait > 0:
            return "locked", wait
        if check_password(attempt or "", config):
            throttle.reset(session)
            return "ok", 0.0
        throttle.record_failure(session)
        failures.update(client, throttle.record_failure)
        return "wrong", 0.0
    finally:
        lock.release()
