"""Cohort tables by month and quarter against mrrkit.cohorts and a brute-force recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.views.cohort_tables import cohort_average, cohort_curves, cohort_levels, cohort_table
from mrrkit.views.segments import filter_movements
from tests._synthetic import simulate_lines


@pytest.fixture(scope="module")
def book():
    lines, _ = simulate_lines(months=26, new_per_month=10, seed=5)
    return lines, mrrkit.movements(lines)


@pytest.mark.parametrize("value", ["mrr", "customers", "arpa"])
def test_by_month_equals_mrrkit_cohorts(book, value):
    _, mv = book
    got, ref = cohort_table(mv, value, "month"), mrrkit.cohorts(mv, value)
    got.attrs, ref.attrs = {}, {}
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12)


def _brute_levels(lines: pd.DataFrame, freq: str):
    """Per cohort (period of the first paying day) and age: MRR and paying customers at the end
    of period cohort+age (at as_of for the period that contains it), straight from the lines."""
    as_of = max(lines["start"].max(), lines["end"].max())
    paying = lines[lines["mrr"] > 0]
    first_day = paying.groupby("customer_id")["start"].min()
    cohort = first_day.dt.to_period(freq)
    last = as_of.to_period(freq)
    mrr, cust = {}, {}
    for c in sorted(cohort.unique()):
        members = cohort.index[cohort == c]
        own = lines[lines["customer_id"].isin(members)]
        for age in range(0, (last - c).n + 1):
            day = min((c + age).end_time.normalize(), as_of)
            live = (own["start"] <= day) & (own["end"].isna() | (own["end"] > day))
            per = own[live].groupby("customer_id")["mrr"].sum()
            mrr[(c, age)] = per.sum()
            cust[(c, age)] = int((per > 0).sum())
    return pd.Series(mrr), pd.Series(cust)


def test_quarter_levels_match_brute_force(book):
    lines, mv = book
    mrr, cust = cohort_levels(mv, "quarter")
    b_mrr, b_cust = _brute_levels(lines, "Q")
    for (c, age), v in b_mrr.items():
        assert mrr.at[c, age] == pytest.approx(v, abs=1e-6)
        assert cust.at[c, age] == b_cust[(c, age)]
    assert mrr.notna().sum().sum() == len(b_mrr)  # NaN exactly where the period is not reached


def test_quarter_ratios_and_weighted_average(book):
    _, mv = book
    mrr, cust = cohort_levels(mv, "quarter")
    table = cohort_table(mv, "customers", "quarter")
    np.testing.assert_allclose(table.to_numpy(), (cust.div(cust[0], axis=0)).to_numpy())
    assert (table.attrs["size"] == cust[0]).all()
    # The average row is the mean of the cohorts' values weighted by their size.
    avg = cohort_average(mv, "customers", "quarter")
    for age in table.columns:
        reached = table[age].notna()
        w = table.attrs["size"][reached]
        assert avg[age] == pytest.approx((table[age][reached] * w).sum() / w.sum())
    revenue = cohort_table(mv, "mrr", "quarter")
    avg_r = cohort_average(mv, "mrr", "quarter")
    w = revenue.attrs["base_mrr"]
    reached = revenue[2].notna()
    assert avg_r[2] == pytest.approx((revenue[2][reached] * w[reached]).sum() / w[reached].sum())
    arpa = cohort_average(mv, "arpa", "quarter")
    assert arpa[1] == pytest.approx(mrr[1].sum() / cust[1].sum())


def test_period_slice_and_as_of(book):
    _, mv = book
    full = cohort_table(mv, "mrr", "month")
    part = cohort_table(mv, "mrr", "month", start="2022-06", end="2022-09")
    assert [str(p) for p in part.index] == ["2022-06", "2022-07", "2022-08", "2022-09"]
    pd.testing.assert_frame_equal(part, full.loc["2022-06":"2022-09", part.columns],
                                  check_freq=False, check_exact=False)
    early = cohort_table(mv, "mrr", "month", as_of="2022-12-31")
    assert str(early.index[-1]) == "2022-12" and early.iloc[0].notna().sum() == 12
    with pytest.raises(ValueError, match="by must be"):
        cohort_table(mv, "mrr", "year")


def test_cohort_curves_per_group_equal_averages_of_filtered_data(book):
    lines, mv = book
    attrs = mrrkit.customer_attributes(lines)
    curves = cohort_curves(mv, attrs["segment"], "customers", "month")
    for seg in curves.columns:
        part = filter_movements(mv, attrs.index[attrs["segment"] == seg])
        expected = cohort_average(part, "customers", "month")
        np.testing.assert_allclose(curves[seg].dropna().to_numpy(), expected.dropna().to_numpy())
