"""Settings read from environment variables, checked when the server starts rather than at the
first use (a typo in a deployment's configuration is an error, not a silent default)."""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["env_number"]


def env_number(
    environ: Mapping[str, str], name: str, default: float, *, zero_means: str | None = None
) -> float:
    """The number in ``environ[name]``, ``default`` when it is unset or blank.

    ``ValueError`` (naming the variable and the text) unless it is a finite number above 0, or
    0 too when ``zero_means`` says what 0 does.

    Examples
    --------
    >>> env_number({"MRRKIT_VIEWS_TTL_DAYS": " 7 "}, "MRRKIT_VIEWS_TTL_DAYS", 30)
    7.0
    >>> env_number({}, "MRRKIT_VIEWS_TTL_DAYS", 30)
    30
    >>> env_number({"MRRKIT_REMEMBER_DATA_DAYS": "0"}, "MRRKIT_REMEMBER_DATA_DAYS", 7,
    ...            zero_means="off")
    0.0
    >>> env_number({"MRRKIT_VIEWS_TTL_DAYS": "0"}, "MRRKIT_VIEWS_TTL_DAYS", 30)
    Traceback (most recent call last):
    ...
    ValueError: MRRKIT_VIEWS_TTL_DAYS must be a positive number, got '0'
    """
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and zero_means is None):
        what = "a positive number"
        if zero_means is not None:
            what = f"0 ({zero_means}) or {what}"
        raise ValueError(f"{name} must be {what}, got {text!r}")
    return value
