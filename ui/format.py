"""Numbers formatted for people (currency symbol, thousands separators, one-decimal percents)."""

from __future__ import annotations

import math

__all__ = ["money", "pct", "ratio", "count"]


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def money(x, symbol: str = "$", decimals: int = 0) -> str:
    """Format an amount.

    >>> money(1234567.891)
    '$1,234,568'
    >>> money(-250.5, decimals=2)
    '-$250.50'
    >>> money(float("nan"))
    '–'
    """
    if _missing(x):
        return "–"
    sign = "-" if x < 0 else ""
    return f"{sign}{symbol}{abs(x):,.{decimals}f}"


def pct(x, decimals: int = 1) -> str:
    """Format a ratio as a percentage.

    >>> pct(0.0234)
    '2.3%'
    >>> pct(None)
    '–'
    """
    if _missing(x):
        return "–"
    return f"{x * 100:.{decimals}f}%"


def ratio(x, decimals: int = 2) -> str:
    """Format a plain ratio such as the quick ratio.

    >>> ratio(3.14159)
    '3.14'
    """
    if _missing(x):
        return "–"
    return f"{x:.{decimals}f}"


def count(x) -> str:
    """Format a count.

    >>> count(12345)
    '12,345'
    """
    if _missing(x):
        return "–"
    return f"{int(x):,}"
