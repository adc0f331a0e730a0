"""The statistics of the segment table: intervals of proportions and of ratios of sums, and tests
of a difference between two groups (:func:`mrrkit.segment_table` reports them per segment)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["proportion_test", "ratio_interval", "ratio_interval_of_sums", "wilson_interval"]


def wilson_interval(successes, trials, confidence: float = 0.95):
    """Wilson score interval of a binomial proportion (Wilson 1927; no continuity correction).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = successes / trials`` and
    ``z`` the normal quantile of ``(1 + confidence) / 2``. Unlike the Wald interval it stays
    inside [0, 1] and is sensible for small counts and rates near 0. NaN where ``trials`` is 0.

    Returns
    -------
    (low, high) : floats, or arrays for array input.

    Examples
    --------
    Newcombe (1998), *Statistics in Medicine* 17:857, Table I, method 3:

    >>> [round(float(v), 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> [round(float(v), 4) for v in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    x = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("successes must be between 0 and trials")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    z = stats.norm.ppf((1 + confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, str]:
    """Two-sided test that two proportions ``x1/n1`` and ``x2/n2`` are equal.

    On the 2x2 table ``[[x1, n1-x1], [x2, n2-x2]]``: Pearson's chi-square test (no Yates
    correction) when every expected count is at least 5 (Cochran's rule), else Fisher's exact
    test. NaN when a group is empty.

    Returns
    -------
    (p_value, test) with ``test`` ``"chi-square"``, ``"fisher"`` or ``""``.

    Examples
    --------
    >>> p, test = proportion_test(30, 100, 15, 100)
    >>> test, round(p, 4)
    ('chi-square', 0.0111)
    >>> proportion_test(3, 10, 0, 10)[1]
    'fisher'
    """
    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)
    if n1 <= 0 or n2 <= 0:
        return float("nan"), ""
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype="float64")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if expected.min() < 5:
        return float(stats.fisher_exact(table.astype(np.int64)).pvalue), "fisher"
    res = stats.chi2_contingency(table, correction=False)
    return float(res.pvalue), "chi-square"


def ratio_interval(numerator, denominator, confidence: float = 0.95) -> tuple[float, float, float]:
    """A ratio of sums ``R = Σ numerator / Σ denominator`` over units (here customers), with its
    linearised (delta-method) standard error and normal interval.

    ``se = sqrt(Σ (numᵢ - R·denᵢ)² / (n - 1)) / (mean(den) · sqrt(n))`` — the usual standard
    error of a ratio estimator (Cochran, *Sampling Techniques*, 6.3). NaN when ``n < 2`` or the
    denominator sums to 0.

    Returns
    -------
    (ratio, se, (low, high))

    Examples
    --------
    >>> r, se, (lo, hi) = ratio_interval([110, 0, 95, 100], [100, 50, 100, 100])
    >>> round(r, 4), round(se, 4)
    (0.8714, 0.1698)
    """
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    n = len(den)
    total = den.sum()
    if n == 0 or total == 0:
        return float("nan"), float("nan"), (float("nan"), float("nan"))
    r = num.sum() / total
    if n < 2:
        return float(r), float("nan"), (float("nan"), float("nan"))
    resid = num - r * den
    se = np.sqrt((resid**2).sum() / (n - 1)) / (den.mean() * np.sqrt(n))
    z = stats.norm.ppf((1 + confidence) / 2)
    return float(r), float(se), (float(r - z * se), float(r + z * se))


def ratio_interval_of_sums(n: int, num: int, den: int, num_sq: int, num_den: int, den_sq: int,
                           confidence: float = 0.95) -> tuple[float, float, tuple[float, float]]:
    """:func:`ratio_interval` from sums over the units instead of the units' values: ``n`` units,
    ``Σ num``, ``Σ den``, ``Σ num²``, ``Σ num·den``, ``Σ den²``, integers (money in micros).

    Sums add up over units, so a database computes them and fetches one row per group; from
    integers the residual sum of squares ``Σ (numᵢ - R·denᵢ)² = Σ num² - 2R Σ num·den +
    R² Σ den²`` is exact (a fraction of integers, rounded once), where floats would lose it to
    cancellation and to the order of the units. Same conventions as :func:`ratio_interval`.

    Examples
    --------
    >>> num, den = [110, 0, 95, 100], [100, 50, 100, 100]
    >>> r, se, _ = ratio_interval_of_sums(4, sum(num), sum(den), sum(x * x for x in num),
    ...                                   sum(x * y for x, y in zip(num, den)),
    ...                                   sum(y * y for y in den))
    >>> round(r, 4), round(se, 4)
    (0.8714, 0.1698)
    """
    from fractions import Fraction

    n, num, den = int(n), int(num), int(den)
    if n == 0 or den == 0:
        return float("nan"), float("nan"), (float("nan"), float("nan"))
    r = num / den
    if n < 2:
        return float(r), float("nan"), (float("nan"), float("nan"))
    # se² = Σ resid² / (n - 1) / (mean(den)² · n), with Σ resid² = (Σnum²·D² - 2·N·D·Σnd
    # + N²·Σden²) / D²: one fraction of integers.
    resid = int(num_sq) * den * den - 2 * num * den * int(num_den) + num * num * int(den_sq)
    se = float(np.sqrt(float(Fraction(n * resid, (n - 1) * den ** 4))))
    z = stats.norm.ppf((1 + confidence) / 2)
    return float(r), se, (float(r - z * se), float(r + z * se))


def _ratio_test(r1: float, se1: float, r2: float, se2: float) -> float:
    """Two-sided p-value of a z-test that two independent ratio estimates are equal."""
    se = np.hypot(se1, se2)
    if not np.isfinite(se) or se == 0 or not np.isfinite(r1) or not np.isfinite(r2):
        return float("nan")
    return float(2 * stats.norm.sf(abs(r1 - r2) / se))
