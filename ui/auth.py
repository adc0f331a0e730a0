"""The access-gate hook every page goes through (called by :func:`ui.shell.start` before any data
is read).

This is the single call site the page frame depends on. The gate itself — a password or OIDC
sign-in when configured, open local use otherwise — lives in :mod:`ui.gate` (issue 6); with no
configuration it lets everyone in, so this hook does too.
"""

from __future__ import annotations

__all__ = ["require_access"]


def require_access() -> None:
    """Stop the page until the visitor is allowed in (returns at once when nothing is configured)."""
    from . import gate

    gate.require_access()
