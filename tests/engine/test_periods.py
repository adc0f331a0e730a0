"""Quick reporting periods (mrrkit.periods) against a naive enumeration of fiscal quarters and
years: every block of 3 (or 12) months starting at the fiscal start (+3k) is listed, and the
latest one that ends by the last complete month is the answer."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrrkit.engine.periods import QUICK_PERIODS, quick_period

months = st.builds(lambda y, m: pd.Period(f"{y}-{m:02d}", "M"),
                   st.integers(1995, 2040), st.integers(1, 12))


def _blocks(size: int, fiscal_start: int, around: pd.Period):
    """Every block of ``size`` months starting on a fiscal boundary, from 3 years before to 1
    year after ``around``."""
    out = []
    first = pd.Period(f"{around.year - 3}-{fiscal_start:02d}", "M")
    while first <= around + 12:
        out.append((first, first + size - 1))
        first += size
    return out


def _naive(name, last, complete, fiscal_start):
    closed = last if complete else last - 1
    if name.startswith("last_") and name[5:].isdigit():
        n = int(name[5:])
        return tuple(sorted([closed - k for k in range(n)])[i] for i in (0, -1))
    if name == "ytd":
        starts = [b[0] for b in _blocks(12, fiscal_start, last) if b[0] <= last]
        return max(starts), last
    size = 3 if name == "last_quarter" else 12
    return max((b for b in _blocks(size, fiscal_start, last) if b[1] <= closed), key=lambda b: b[1])


@given(months, st.booleans(), st.integers(1, 12), st.sampled_from(QUICK_PERIODS))
def test_quick_periods_equal_the_naive_enumeration(last, complete, fiscal_start, name):
    got = quick_period(name, last, complete=complete, fiscal_start=fiscal_start)
    assert got == _naive(name, last, complete, fiscal_start)
    first, end = got
    assert first <= end <= last
    if name != "ytd":
        assert end <= (last if complete else last - 1)  # closed periods: complete months only
    assert (end - first).n + 1 == {"last_3": 3, "last_6": 6, "last_12": 12, "last_quarter": 3,
                                   "last_fiscal_year": 12}.get(name, (end - first).n + 1)


def test_a_fiscal_year_from_april():
    last = pd.Period("2026-05", "M")  # complete
    assert quick_period("ytd", last, fiscal_start=4) == (pd.Period("2026-04", "M"), last)
    assert quick_period("last_fiscal_year", last, fiscal_start=4) == (
        pd.Period("2025-04", "M"), pd.Period("2026-03", "M"))
    assert quick_period("last_quarter", last, fiscal_start=4) == (
        pd.Period("2026-01", "M"), pd.Period("2026-03", "M"))


@pytest.mark.parametrize("bad", [0, 13, 1.5, "4"])
def test_a_fiscal_start_outside_the_months_is_refused(bad):
    with pytest.raises(ValueError, match="fiscal_start"):
        quick_period("ytd", pd.Period("2026-05", "M"), fiscal_start=bad)


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown quick period 'last_2'"):
        quick_period("last_2", pd.Period("2026-05", "M"))
