"""Customer-level NRR and GRR between two month ends."""

import itertools

import numpy as np
import pandas as pd
import pytest

import mrrkit
from tests.builders import lines



# Month-end MRR by customer (Jan..Jun 2024; default as_of = Jun 20):
#        Jan   Feb   Mar   Apr   May   Jun
#   a    100   100   100   150   150   150   expansion Apr 1 (switch 100 -> 150)
#   b    200   200   120   120   120   120   contraction Mar 5 (switch 200 -> 120)
#   c    100   100   100   100     0     0   churn May 1
#   d      -     -   500   500   500   500   new Mar 1 (after the Jan base: excluded)
#   e      0     0     0   300   300   300   paid Jan 5..Jan 25, back Apr 1 (not in the Jan base)
#   f      -     -     -     -     -    10   new Jun 20
EXAMPLE = [
    ("a", "2024-01-01", "2024-04-01", 100.0),
    ("a", "2024-04-01", None, 150.0),
    ("b", "2024-01-10", "2024-03-05", 200.0),
    ("b", "2024-03-05", None, 120.0),
    ("c", "2024-01-15", "2024-05-01", 100.0),
    ("d", "2024-03-01", None, 500.0),
    ("e", "2024-01-05", "2024-01-25", 50.0),
    ("e", "2024-04-01", None, 300.0),
    ("f", "2024-06-20", None, 10.0),
]


@pytest.fixture(params=["lines", "movements"])
def data(request):
    df = lines(EXAMPLE)
    return df if request.param == "lines" else mrrkit.movements(df)


def test_nrr_and_grr_worked_example(data):
    # Base (paying at the end of Jan): a 100, b 200, c 100 = 400.
    # End of Jun: a 150, b 120, c 0 = 270 -> NRR 270/400 = 0.675.
    # GRR caps a at 100: 100 + 120 + 0 = 220 -> 0.55.
    assert mrrkit.nrr(data, "2024-01", "2024-06") == pytest.approx(0.675)
    assert mrrkit.grr(data, "2024-01", "2024-06") == pytest.approx(0.55)


def test_only_contraction_so_far(data):
    # End of Mar: a 100, b 120, c 100 = 320 / 400 = 0.8, no expansion yet: GRR = NRR.
    assert mrrkit.nrr(data, "2024-01", "2024-03") == pytest.approx(0.8)
    assert mrrkit.grr(data, "2024-01", "2024-03") == pytest.approx(0.8)


def test_expansion_only_month(data):
    # Base end of Mar: a 100, b 120, c 100, d 500 = 820 (e was not paying).
    # End of Apr: a 150, b 120, c 100, d 500 = 870 -> NRR 870/820; GRR 820/820 = 1.
    assert mrrkit.nrr(data, "2024-03", "2024-04") == pytest.approx(870 / 820)
    assert mrrkit.grr(data, "2024-03", "2024-04") == pytest.approx(1.0)


def test_period_and_text_months_agree(data):
    p = mrrkit.nrr(data, pd.Period("2024-01", "M"), pd.Period("2024-06", "M"))
    assert p == mrrkit.nrr(data, "2024-01", "2024-06")
    assert mrrkit.grr(data, pd.Timestamp("2024-01-31"), "2024-06") == pytest.approx(0.55)


@pytest.mark.parametrize("month", ["2024-01", "2024-03", "2024-06"])
def test_start_equal_end_is_one(data, month):
    assert mrrkit.nrr(data, month, month) == 1.0
    assert mrrkit.grr(data, month, month) == 1.0


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
def test_end_before_start_is_refused(data, func):
    with pytest.raises(ValueError, match="before"):
        func(data, "2024-04", "2024-03")


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
def test_end_after_as_of_is_refused(data, func):
    with pytest.raises(ValueError, match="as_of"):
        func(data, "2024-01", "2024-07")


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
def test_end_after_the_movements_as_of_is_refused(func):
    mv = mrrkit.movements(lines(EXAMPLE), as_of="2024-03-31")
    assert func(mv, "2024-01", "2024-03") == pytest.approx(0.8)
    with pytest.raises(ValueError, match="as_of"):
        func(mv, "2024-01", "2024-04")


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
def test_empty_base_is_nan(data, func):
    # Nobody pays at the end of Dec 2023.
    assert np.isnan(func(data, "2023-12", "2024-03"))


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
def test_empty_base_after_everyone_left_is_nan(func):
    df = lines([("a", "2024-01-01", "2024-02-01", 10.0), ("b", "2024-04-01", None, 10.0)])
    assert np.isnan(func(df, "2024-02", "2024-04"))
    assert func(df, "2024-01", "2024-04") == 0.0


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
@pytest.mark.parametrize("month", ["2024-13", "soon", 3.5])
def test_invalid_months(func, month):
    with pytest.raises(ValueError, match="start must be a month"):
        func(lines(EXAMPLE), month, "2024-06")


@pytest.mark.parametrize("func", [mrrkit.nrr, mrrkit.grr])
@pytest.mark.parametrize("month", [None, "", pd.NaT])
def test_missing_month_is_a_value_error(func, month):
    with pytest.raises(ValueError, match="must be a month"):
        func(lines(EXAMPLE), month, "2024-06")


def test_grr_never_above_nrr_nor_one(data):
    months = [str(p) for p in pd.period_range("2023-12", "2024-06", freq="M")]
    for s, e in itertools.combinations_with_replacement(months, 2):
        n, g = mrrkit.nrr(data, s, e), mrrkit.grr(data, s, e)
        if s == "2023-12":
            assert np.isnan(n) and np.isnan(g)
            continue
        assert g <= n + 1e-12, (s, e)
        assert g <= 1.0 + 1e-12, (s, e)


def test_consecutive_months_match_the_monthly_table(data):
    t = mrrkit.monthly(data)
    for prev, month in zip(t.index[:-1], t.index[1:]):
        assert t.loc[month, "nrr"] == pytest.approx(mrrkit.nrr(data, prev, month)), month
        assert t.loc[month, "grr"] == pytest.approx(mrrkit.grr(data, prev, month)), month


def test_customer_leaving_and_returning_within_the_period():
    # a: 100, leaves in Feb, back at 100 in Mar: at both month ends it pays 100 -> NRR 1.
    # b: 100 then 40 in Feb, back up to 130 in Mar -> NRR (100 + 130)/200, GRR (100 + 100)/200.
    df = lines(
        [
            ("a", "2024-01-01", "2024-02-10", 100.0),
            ("a", "2024-03-05", None, 100.0),
            ("b", "2024-01-01", "2024-02-10", 100.0),
            ("b", "2024-02-10", "2024-03-10", 40.0),
            ("b", "2024-03-10", None, 130.0),
        ]
    )
    assert mrrkit.nrr(df, "2024-01", "2024-03") == pytest.approx(230 / 200)
    assert mrrkit.grr(df, "2024-01", "2024-03") == pytest.approx(1.0)
    # Over Jan..Feb: a 0, b 40 -> 40/200.
    assert mrrkit.nrr(df, "2024-01", "2024-02") == pytest.approx(0.2)


def test_segment_of_movements():
    mv = mrrkit.movements(lines(EXAMPLE))
    seg = mv[mv["customer_id"].isin(["a", "c"])]
    # Base a 100 + c 100; end of Jun a 150, c 0 -> 0.75 NRR, 0.5 GRR.
    assert mrrkit.nrr(seg, "2024-01", "2024-06") == pytest.approx(0.75)
    assert mrrkit.grr(seg, "2024-01", "2024-06") == pytest.approx(0.5)
