"""Seed 004's customer-success metrics: LTV, CS headwind/tailwind, CS magic number, expansion."""

import numpy as np
import pandas as pd
import pytest

import mrrkit
from tests.builders import lines

NAN = float("nan")


def table(**cols):
    """A hand-made monthly table starting 2024-01."""
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.period_range("2024-01", periods=n, freq="M", name="month"))


# --------------------------------------------------------------------------- LTV


def test_ltv_on_a_hand_made_table():
    # month i:  0    1    2    3    4    5    6    7    8    9   10   11   12   13
    # rate:    nan  .10  0   .05  .10  .05  0   .20   0    0    0    0    0    0
    # arpa: 100 everywhere except month 7 (120).
    # LTV(i) = arpa(i) / mean(rates i-5..i), NaN until 6 rates exist (Jan's rate is NaN, as in
    # monthly()), NaN when the mean is 0:
    #   i=0..5  NaN
    #   i=6   .10+0+.05+.10+.05+0  = .30 -> 100 / (.30/6) = 2000
    #   i=7   0+.05+.10+.05+0+.20  = .40 -> 120 / (.40/6) = 1800
    #   i=8   .05+.10+.05+0+.20+0  = .40 -> 100 / (.40/6) = 1500
    #   i=9   .10+.05+0+.20+0+0    = .35 -> 100 / (.35/6) = 1714.2857...
    #   i=10  .05+0+.20+0+0+0      = .25 -> 100 / (.25/6) = 2400
    #   i=11  0+.20+0+0+0+0        = .20 -> 3000
    #   i=12  .20+0+0+0+0+0        = .20 -> 3000
    #   i=13  all 0 (no churn)           -> NaN
    rates = [NAN, 0.10, 0.0, 0.05, 0.10, 0.05, 0.0, 0.20, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    arpa = [100.0] * 7 + [120.0] + [100.0] * 6
    got = mrrkit.ltv(table(arpa=arpa, customer_churn_rate=rates))
    assert got.name == "ltv"
    assert got.index.astype(str).tolist()[:2] == ["2024-01", "2024-02"]
    want = [NAN] * 6 + [2000.0, 1800.0, 1500.0, 600 / 0.35, 2400.0, 3000.0, 3000.0, NAN]
    assert got.tolist() == pytest.approx(want, nan_ok=True)


def test_ltv_nan_when_nobody_churned_over_the_window():
    rates = [NAN, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    got = mrrkit.ltv(table(arpa=[50.0] * 8, customer_churn_rate=rates))
    # Jul: window Feb..Jul = (.1, 0, 0, 0, 0, 0) -> 50 / (.1/6) = 3000; Aug: all zero -> NaN.
    assert got.tolist() == pytest.approx([NAN] * 6 + [3000.0, NAN], nan_ok=True)


def test_ltv_window_parameter():
    rates = [NAN, 0.02, 0.04, 0.03]
    got = mrrkit.ltv(table(arpa=[100.0, 100.0, 110.0, 90.0], customer_churn_rate=rates), window=2)
    # Mar: 110 / mean(.02, .04) = 110/.03; Apr: 90 / mean(.04, .03) = 90/.035.
    assert got.tolist() == pytest.approx([NAN, NAN, 110 / 0.03, 90 / 0.035], nan_ok=True)


# Jan..Sep 2024, as_of Sep 30:
#   a, b, c, d: 100 each from Jan 1. b churns Mar 15. e: 100 from May 1.
#   c: switches to 200 on Jul 10 (expansion).
# customers at month end: Jan 4, Feb 4, Mar 3, Apr 3, May 4, Jun 4, Jul 4, Aug 4, Sep 4
# churn rates: Jan NaN, Feb 0/4, Mar 1/4, Apr..Sep 0
# arpa: Jan..Jun 100, Jul..Sep (100 + 200 + 100 + 100)/4 = 125
# LTV Jul: 125 / mean(Feb..Jul = 0, .25, 0, 0, 0, 0) = 125 / (.25/6) = 3000; Aug the same
# (window Mar..Aug); Sep: window Apr..Sep has no churn -> NaN.
LTV_LINES = [
    ("a", "2024-01-01", None, 100.0),
    ("b", "2024-01-01", "2024-03-15", 100.0),
    ("c", "2024-01-01", "2024-07-10", 100.0),
    ("c", "2024-07-10", None, 200.0),
    ("d", "2024-01-01", None, 100.0),
    ("e", "2024-05-01", None, 100.0),
]


@pytest.mark.parametrize("kind", ["movements", "monthly"])
def test_ltv_from_data(kind):
    # ltv() has no as_of: the Sep 30 cut comes from the movements.
    mv = mrrkit.movements(lines(LTV_LINES), as_of="2024-09-30")
    got = mrrkit.ltv(mv if kind == "movements" else mrrkit.monthly(mv))
    assert got.index.astype(str).tolist() == [f"2024-{m:02d}" for m in range(1, 10)]
    assert got.tolist() == pytest.approx([NAN] * 6 + [3000.0, 3000.0, NAN], nan_ok=True)


def test_ltv_from_lines_directly():
    # Default as_of = Jul 10 (latest start): Jan..Jul, Jul = 3000.
    got = mrrkit.ltv(lines(LTV_LINES))
    assert got.tolist() == pytest.approx([NAN] * 6 + [3000.0], nan_ok=True)


# --------------------------------------------------------------------------- headwind/tailwind

# Jan..Mar 2024, as_of Mar 31:
#   a: 100 from Jan 1, switches to 160 Feb 10                      Feb expansion +60
#   b: 200 from Jan 1, switches to 150 Mar 5                       Mar contraction -50
#   c: 100 from Jan 1 to Mar 20                                    Mar churn -100
#   d: 300 from Feb 1 (new, not counted), + add-on 40 from Mar 10  Mar expansion +40
#   e: 50 Jan 1..Jan 20 (Jan churn, before the period), back at 70 Feb 15 (reactivation: not
#      counted in the tailwind)
# MRR end of Jan: a 100 + b 200 + c 100 = 400.
# MRR end of Feb: a 160 + b 200 + c 100 + d 300 + e 70 = 830.
CS_LINES = [
    ("a", "2024-01-01", "2024-02-10", 100.0),
    ("a", "2024-02-10", None, 160.0),
    ("b", "2024-01-01", "2024-03-05", 200.0),
    ("b", "2024-03-05", None, 150.0),
    ("c", "2024-01-01", "2024-03-20", 100.0),
    ("d", "2024-02-01", None, 300.0),
    ("d", "2024-03-10", None, 40.0),
    ("e", "2024-01-01", "2024-01-20", 50.0),
    ("e", "2024-02-15", None, 70.0),
]
CS_AS_OF = "2024-03-31"


@pytest.fixture(params=["lines", "movements", "monthly"])
def cs_data(request):
    df = lines(CS_LINES)
    if request.param == "lines":
        return df  # default as_of = Mar 20, still in March
    mv = mrrkit.movements(df, as_of=CS_AS_OF)
    return mv if request.param == "movements" else mrrkit.monthly(mv)


def test_headwind(cs_data):
    # Jan -> Mar: churn (-100) + contraction (-50) over Feb..Mar = 150 / 400 = 0.375.
    # (e's January churn is before the period.)
    assert mrrkit.cs_headwind(cs_data, "2024-01", "2024-03") == pytest.approx(0.375)
    assert mrrkit.cs_headwind(cs_data, "2024-01", "2024-02") == pytest.approx(0.0)
    assert mrrkit.cs_headwind(cs_data, "2024-02", "2024-03") == pytest.approx(150 / 830)


def test_tailwind(cs_data):
    # Jan -> Mar: expansion 60 (Feb) + 40 (Mar) = 100 / 400 = 0.25 (e's reactivation not counted).
    assert mrrkit.cs_tailwind(cs_data, "2024-01", "2024-03") == pytest.approx(0.25)
    assert mrrkit.cs_tailwind(cs_data, "2024-01", "2024-02") == pytest.approx(60 / 400)
    assert mrrkit.cs_tailwind(cs_data, "2024-02", "2024-03") == pytest.approx(40 / 830)


@pytest.mark.parametrize("func", [mrrkit.cs_headwind, mrrkit.cs_tailwind])
def test_wind_zero_base_is_nan(cs_data, func):
    # Nothing paid at the end of Dec 2023.
    assert np.isnan(func(cs_data, "2023-12", "2024-02"))


@pytest.mark.parametrize("func", [mrrkit.cs_headwind, mrrkit.cs_tailwind])
@pytest.mark.parametrize("start, end", [("2024-02", "2024-02"), ("2024-03", "2024-02")])
def test_wind_end_must_be_after_start(cs_data, func, start, end):
    with pytest.raises(ValueError, match="after"):
        func(cs_data, start, end)


@pytest.mark.parametrize("func", [mrrkit.cs_headwind, mrrkit.cs_tailwind])
def test_wind_end_after_the_data_is_refused(cs_data, func):
    with pytest.raises(ValueError, match="after the last month"):
        func(cs_data, "2024-01", "2024-04")


# --------------------------------------------------------------------------- magic number


@pytest.mark.parametrize("kind", ["lines", "movements"])
def test_magic_number(kind):
    df = lines(CS_LINES)
    data = df if kind == "lines" else mrrkit.movements(df, as_of=CS_AS_OF)
    # Customers paying at the end of Jan: a 100, b 200, c 100.
    # Renewed (end-of-Mar MRR capped at the start MRR): a min(160, 100) = 100, b min(150, 200)
    # = 150, c 0 -> 250. Upsell: expansion movements in Feb..Mar: 60 + 40 = 100.
    # (250 + 100) / 50 = 7.0
    assert mrrkit.cs_magic_number(data, "2024-01", "2024-03", 50.0) == pytest.approx(7.0)
    # Jan -> Feb: renewed a 100, b 200, c 100 = 400; upsell 60 -> 460 / 100 = 4.6
    assert mrrkit.cs_magic_number(data, "2024-01", "2024-02", 100.0) == pytest.approx(4.6)


def test_magic_number_renewed_is_the_grr_numerator():
    df = lines(CS_LINES)
    renewed = mrrkit.grr(df, "2024-01", "2024-03") * 400  # 250
    assert renewed == pytest.approx(250.0)
    assert mrrkit.cs_magic_number(df, "2024-01", "2024-03", 1.0) == pytest.approx(renewed + 100)


def test_movements_of_the_start_month_are_not_in_the_period():
    # a: 100 from Jan 1, + 20 on Jan 20 (in the start month: part of the base, not upsell),
    # + 30 on Feb 10 (upsell). MRR end of Jan 120, end of Feb 150.
    # Magic number Jan -> Feb: renewed min(150, 120) = 120, upsell 30 -> 150 / 10 = 15.
    # Tailwind 30 / 120 = 0.25; headwind 0.
    df = lines(
        [
            ("a", "2024-01-01", None, 100.0),
            ("a", "2024-01-20", None, 20.0),
            ("a", "2024-02-10", None, 30.0),
        ]
    )
    assert mrrkit.cs_magic_number(df, "2024-01", "2024-02", 10.0) == pytest.approx(15.0)
    assert mrrkit.cs_tailwind(df, "2024-01", "2024-02") == pytest.approx(0.25)
    assert mrrkit.cs_headwind(df, "2024-01", "2024-02") == 0.0


def test_magic_number_segment():
    # Only d and e (neither paying at the end of Jan): renewed 0, upsell d's +40 -> 40 / 8 = 5.
    mv = mrrkit.movements(lines(CS_LINES), as_of=CS_AS_OF)
    seg = mv[mv["customer_id"].isin(["d", "e"])]
    assert mrrkit.cs_magic_number(seg, "2024-01", "2024-03", 8.0) == pytest.approx(5.0)


@pytest.mark.parametrize("cost", [0, 0.0, -10.0, NAN, np.inf, None])
def test_magic_number_needs_a_positive_cost(cost):
    with pytest.raises(ValueError, match="cs_cost"):
        mrrkit.cs_magic_number(lines(CS_LINES), "2024-01", "2024-03", cost)


@pytest.mark.parametrize("start, end", [("2024-02", "2024-02"), ("2024-03", "2024-01")])
def test_magic_number_end_must_be_after_start(start, end):
    with pytest.raises(ValueError, match="after"):
        mrrkit.cs_magic_number(lines(CS_LINES), start, end, 10.0)


# --------------------------------------------------------------------------- expansion


def test_expansion_rate(cs_data):
    # Jan: no previous month -> NaN; Feb: 60 / 400 = 0.15; Mar: 40 / 830.
    got = mrrkit.expansion_rate(cs_data)
    assert got.name == "expansion_rate"
    assert got.index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03"]
    assert got.tolist() == pytest.approx([NAN, 0.15, 40 / 830], nan_ok=True)


def test_expansion_rate_zero_base_is_nan():
    got = mrrkit.expansion_rate(
        table(mrr=[0.0, 10.0, 20.0], net_new=[0.0, 10.0, 10.0], expansion=[0.0, 0.0, 10.0])
    )
    # Feb: base 0 -> NaN (not inf); Mar: 10 / 10 = 1.
    assert got.tolist() == pytest.approx([NAN, NAN, 1.0], nan_ok=True)


def test_expansion_growth_rate(cs_data):
    # Expansion by month: Jan 0, Feb 60, Mar 40.
    # Feb: Jan had no expansion -> NaN; Mar: 40 / 60 - 1 = -1/3.
    got = mrrkit.expansion_growth_rate(cs_data)
    assert got.name == "expansion_growth_rate"
    assert got.tolist() == pytest.approx([NAN, NAN, -1 / 3], nan_ok=True)


def test_expansion_growth_rate_periods():
    t = table(mrr=[1.0] * 4, net_new=[0.0] * 4, expansion=[100.0, 0.0, 150.0, 50.0])
    # periods=2: Mar 150/100 - 1 = 0.5; Apr: Feb had none -> NaN.
    got = mrrkit.expansion_growth_rate(t, periods=2)
    assert got.tolist() == pytest.approx([NAN, NAN, 0.5, NAN], nan_ok=True)
    # periods=1: Feb 0/100 - 1 = -1; Mar: Feb had none -> NaN; Apr 50/150 - 1 = -2/3.
    got = mrrkit.expansion_growth_rate(t)
    assert got.tolist() == pytest.approx([NAN, -1.0, NAN, -2 / 3], nan_ok=True)
