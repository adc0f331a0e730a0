"""Cohort tables: revenue retention, logo retention and ARPA, worked out by hand."""

import numpy as np
import pandas as pd
import pytest

import mrrkit
from tests.builders import lines

NAN = float("nan")


# Jan..Apr 2024, as_of Apr 15.
# Cohort 2024-01: a, b.
#   a: 100 from Jan 5, + an add-on of 50 from Mar 1 (expansion)     -> 100, 100, 150, 150
#   b: 100 from Jan 20 to Feb 10 (churn), back at 60 on Mar 15      ->  100, 0, 60, 60
#      (a reactivation: b counts back into the January cohort)
#   cohort MRR  200, 100, 210, 210 -> 1.0, 0.5, 1.05, 1.05 (expansion pushes it above 1)
#   customers   2, 1, 2, 2         -> 1.0, 0.5, 1.0, 1.0
#   arpa        100, 100, 105, 105
# Cohort 2024-02: c, d.
#   c: 200 from Feb 3 to Mar 20 (churn) -> 200, 0, 0
#   d: 50 from Feb 10                   ->  50, 50, 50
#   MRR 250, 50, 50 -> 1.0, 0.2, 0.2, NaN (age 3 = May, after as_of's month)
#   customers 2, 1, 1 -> 1.0, 0.5, 0.5, NaN; arpa 125, 50, 50, NaN
# Cohort 2024-03: e, gone within its first month.
#   e: 70 from Mar 2 to Mar 25, back at 70 on Apr 2 -> MRR 0 at the end of March, 70 in April
#   base 0: mrr/customers NaN everywhere; arpa NaN (0 customers), 70, NaN, NaN
# Cohort 2024-04: f: 40 from Apr 10 -> 1.0, NaN, NaN, NaN; arpa 40
EXAMPLE = [
    ("a", "2024-01-05", None, 100.0),
    ("a", "2024-03-01", None, 50.0),
    ("b", "2024-01-20", "2024-02-10", 100.0),
    ("b", "2024-03-15", None, 60.0),
    ("c", "2024-02-03", "2024-03-20", 200.0),
    ("d", "2024-02-10", None, 50.0),
    ("e", "2024-03-02", "2024-03-25", 70.0),
    ("e", "2024-04-02", None, 70.0),
    ("f", "2024-04-10", None, 40.0),
]
AS_OF = "2024-04-15"

EXPECTED = {
    "mrr": [
        [1.0, 0.5, 1.05, 1.05],
        [1.0, 0.2, 0.2, NAN],
        [NAN, NAN, NAN, NAN],
        [1.0, NAN, NAN, NAN],
    ],
    "customers": [
        [1.0, 0.5, 1.0, 1.0],
        [1.0, 0.5, 0.5, NAN],
        [NAN, NAN, NAN, NAN],
        [1.0, NAN, NAN, NAN],
    ],
    "arpa": [
        [100.0, 100.0, 105.0, 105.0],
        [125.0, 50.0, 50.0, NAN],
        [NAN, 70.0, NAN, NAN],
        [40.0, NAN, NAN, NAN],
    ],
}


@pytest.mark.parametrize("value", list(EXPECTED))
def test_worked_example(value):
    t = mrrkit.cohorts(lines(EXAMPLE), value, as_of=AS_OF)
    assert t.index.name == "cohort"
    assert isinstance(t.index, pd.PeriodIndex) and t.index.freqstr == "M"
    assert t.index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert t.columns.name == "age"
    assert t.columns.tolist() == [0, 1, 2, 3]
    assert all(isinstance(c, (int, np.integer)) for c in t.columns)
    for got, want in zip(t.to_numpy().tolist(), EXPECTED[value]):
        assert got == pytest.approx(want, nan_ok=True)


def test_default_value_is_mrr():
    df = lines(EXAMPLE)
    pd.testing.assert_frame_equal(mrrkit.cohorts(df, as_of=AS_OF),
                                  mrrkit.cohorts(df, "mrr", as_of=AS_OF))


@pytest.mark.parametrize("value", list(EXPECTED))
def test_lines_and_movements_give_identical_tables(value):
    df = lines(EXAMPLE)
    mv = mrrkit.movements(df, as_of=AS_OF)
    pd.testing.assert_frame_equal(mrrkit.cohorts(df, value, as_of=AS_OF), mrrkit.cohorts(mv, value))
    # An earlier as_of on later movements cuts the same way.
    pd.testing.assert_frame_equal(
        mrrkit.cohorts(df, value, as_of="2024-03-31"),
        mrrkit.cohorts(mrrkit.movements(df), value, as_of="2024-03-31"),
    )


def test_as_of_after_the_movements_as_of_is_refused():
    mv = mrrkit.movements(lines(EXAMPLE), as_of=AS_OF)
    with pytest.raises(ValueError, match="as_of"):
        mrrkit.cohorts(mv, "mrr", as_of="2024-04-16")


def test_as_of_cuts_cells_and_cohorts():
    # as_of Mar 31: April's cohort f does not exist yet; ages reaching April are NaN.
    t = mrrkit.cohorts(lines(EXAMPLE), "mrr", as_of="2024-03-31")
    assert t.index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03"]
    assert t.columns.tolist() == [0, 1, 2]
    assert t.loc[pd.Period("2024-01", "M")].tolist() == pytest.approx([1.0, 0.5, 1.05])
    assert t.loc[pd.Period("2024-02", "M")].tolist() == pytest.approx([1.0, 0.2, NAN], nan_ok=True)


def test_as_of_mid_month_uses_mrr_at_as_of():
    # as_of Mar 10: b has not come back yet (Mar 15) and c has not churned (Mar 20).
    # Jan cohort in March: a 150 + b 0 = 150 / 200 = 0.75. Feb cohort: 250 / 250 = 1.0.
    t = mrrkit.cohorts(lines(EXAMPLE), "mrr", as_of="2024-03-10")
    assert t.loc[pd.Period("2024-01", "M"), 2] == pytest.approx(0.75)
    assert t.loc[pd.Period("2024-02", "M"), 1] == pytest.approx(1.0)


def test_reactivation_counts_back_into_the_original_cohort():
    # g pays in Jan, churns in Feb, returns in Apr: the return lifts the Jan cohort and creates
    # no April cohort.
    df = lines([("g", "2024-01-10", "2024-02-10", 80.0), ("g", "2024-04-01", None, 120.0)])
    t = mrrkit.cohorts(df, "mrr", as_of="2024-04-30")
    assert t.index.astype(str).tolist() == ["2024-01"]
    assert t.iloc[0].tolist() == pytest.approx([1.0, 0.0, 0.0, 1.5])
    c = mrrkit.cohorts(df, "customers", as_of="2024-04-30")
    assert c.iloc[0].tolist() == pytest.approx([1.0, 0.0, 0.0, 1.0])
    a = mrrkit.cohorts(df, "arpa", as_of="2024-04-30")
    assert a.iloc[0].tolist() == pytest.approx([80.0, NAN, NAN, 120.0], nan_ok=True)


def test_cohort_is_the_first_paid_month_not_a_free_trial():
    # A free trial in January, paid from February: cohort 2024-02.
    df = lines([("h", "2024-01-05", "2024-02-01", 0.0), ("h", "2024-02-01", None, 30.0)])
    t = mrrkit.cohorts(df, "mrr", as_of="2024-03-31")
    assert t.index.astype(str).tolist() == ["2024-02"]
    assert t.iloc[0].tolist() == pytest.approx([1.0, 1.0])


def test_months_without_new_customers_have_no_row():
    df = lines([("a", "2024-01-05", None, 10.0), ("b", "2024-03-05", None, 10.0)])
    t = mrrkit.cohorts(df, "customers", as_of="2024-03-31")
    assert t.index.astype(str).tolist() == ["2024-01", "2024-03"]
    assert t.to_numpy().tolist()[1] == pytest.approx([1.0, NAN, NAN], nan_ok=True)


def test_segment_of_movements():
    # Only the February cohort's customers.
    mv = mrrkit.movements(lines(EXAMPLE), as_of=AS_OF)
    seg = mrrkit.cohorts(mv[mv["customer_id"].isin(["c", "d"])], "mrr")
    assert seg.index.astype(str).tolist() == ["2024-02"]
    assert seg.columns.tolist() == [0, 1, 2]
    assert seg.iloc[0].tolist() == pytest.approx([1.0, 0.2, 0.2])


@pytest.mark.parametrize("value", ["revenue", "MRR", "", None, "logo"])
def test_invalid_value(value):
    with pytest.raises(ValueError, match="value"):
        mrrkit.cohorts(lines(EXAMPLE), value)


def test_seed_004_cohort_table():
    # Seed 004's cohort table: revenue retention of 100%, 104%, 98% for a January cohort.
    # a and b pay 100 each from January (200). On Feb 10 a goes 100 -> 108 (208 = 104%);
    # on Mar 10 b goes 100 -> 88 (a 108 + b 88 = 196 = 98%).
    # A February cohort (c, 50 then 55 from Mar 5) reads 100%, 110%.
    df = lines(
        [
            ("a", "2024-01-03", "2024-02-10", 100.0),
            ("a", "2024-02-10", None, 108.0),
            ("b", "2024-01-17", "2024-03-10", 100.0),
            ("b", "2024-03-10", None, 88.0),
            ("c", "2024-02-20", "2024-03-05", 50.0),
            ("c", "2024-03-05", None, 55.0),
        ]
    )
    t = mrrkit.cohorts(df, "mrr", as_of="2024-03-31")
    assert t.index.astype(str).tolist() == ["2024-01", "2024-02"]
    assert t.iloc[0].tolist() == pytest.approx([1.00, 1.04, 0.98])
    assert t.iloc[1].tolist() == pytest.approx([1.00, 1.10, NAN], nan_ok=True)
    # Logo retention stays 100%: nobody left.
    logos = mrrkit.cohorts(df, "customers", as_of="2024-03-31")
    assert logos.iloc[0].tolist() == [1.0, 1.0, 1.0]
    assert mrrkit.cohorts(df, "arpa", as_of="2024-03-31").iloc[0].tolist() == pytest.approx(
        [100.0, 104.0, 98.0]
    )


def test_no_customers_gives_an_empty_table():
    df = lines([("a", "2024-02-01", None, 10.0)])
    t = mrrkit.cohorts(df, as_of="2024-01-31")
    assert len(t) == 0
    assert isinstance(t.index, pd.PeriodIndex)
