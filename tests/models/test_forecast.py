"""Baseline projection, bootstrap band and backtest, checked against independent computations."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import simulate_lines

import mrrkit
from mrrkit.models.forecast_inputs import AGE_BANDS
from mrrkit.models.retention_fit import km_hazard

COLS = ["customer_id", "start", "end", "mrr"]


@pytest.fixture(scope="module")
def sim():
    # A steady business (no growth in arrivals): what a baseline should predict well.
    lines, as_of = simulate_lines(months=30, new_per_month=40, growth=0.0, seed=2)
    mv = mrrkit.movements(lines, as_of=as_of)
    return lines, mv


@pytest.fixture(scope="module")
def inputs(sim):
    return mrrkit.forecast_inputs(sim[1], horizon=36)


def test_origin_is_the_last_complete_month(sim):
    lines, mv = sim
    assert mrrkit.forecast_inputs(mv).origin == pd.Period("2024-06", "M")
    # As of mid-month, that month is not complete yet.
    part = mrrkit.forecast_inputs(lines, as_of="2024-06-15")
    assert part.origin == pd.Period("2024-05", "M")


def test_rates_and_trend_from_the_window(sim, inputs):
    table = mrrkit.monthly(sim[1])
    rows = table.iloc[-12:]
    prev = table["mrr"].shift(1).iloc[-12:]
    assert inputs.expansion_rate == pytest.approx(rows["expansion"].sum() / prev.sum())
    assert inputs.contraction_rate == pytest.approx(-rows["contraction"].sum() / prev.sum())
    slope, intercept = np.polyfit(np.arange(-11, 1), rows["new"].to_numpy(), 1)
    assert inputs.new_slope == pytest.approx(slope)
    assert inputs.new_intercept == pytest.approx(intercept)
    assert inputs.new_arpa == pytest.approx(rows["new"].sum() / rows["new_customers"].sum())
    assert inputs.reactivation_mrr == pytest.approx(rows["reactivation"].mean())
    flat = mrrkit.forecast_inputs(sim[1], trend=False, window=6)
    assert flat.new_slope == 0.0
    assert flat.new_intercept == pytest.approx(table["new"].iloc[-6:].mean())


def test_each_customers_mrr_and_age_by_hand():
    #   a: Jan 10 - Mar 5 (churn), back Apr 1 at 70      -> age 2 at the end of June, MRR 70
    #   b: Feb 3 at 20, + 5 from May 1                     -> age 4, MRR 25
    #   c: Jan 3 - Jun 10                                  -> not paying
    #   d: Jun 2 at 40                                     -> age 0
    data = pd.DataFrame(
        [
            ("a", "2024-01-10", "2024-03-05", 50.0),
            ("a", "2024-04-01", None, 70.0),
            ("b", "2024-02-03", None, 20.0),
            ("b", "2024-05-01", None, 5.0),
            ("c", "2024-01-03", "2024-06-10", 10.0),
            ("d", "2024-06-02", None, 40.0),
        ],
        columns=COLS,
    )
    data["start"] = pd.to_datetime(data["start"])
    data["end"] = pd.to_datetime(data["end"])
    got = mrrkit.forecast_inputs(data, as_of="2024-06-30", method="empirical", window=3)
    assert list(got.customer_ids) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(got.mrr, [70.0, 25.0, 0.0, 40.0])
    assert got.age.tolist() == [2, 4, -1, 0]
    assert got.origin == pd.Period("2024-06", "M")


def _flat(inputs, e=0.0, c=0.0, **changes):
    """The inputs with one expansion and one contraction rate at every age."""
    return dataclasses.replace(
        inputs, expansion_by_age=np.full_like(inputs.expansion_by_age, e),
        contraction_by_age=np.full_like(inputs.contraction_by_age, c), **changes)


def _existing_only(inputs, e=0.0, c=0.0):
    return _flat(inputs, e, c, new_intercept=0.0, new_slope=0.0, reactivation_mrr=0.0)


def _band(age):
    """Index of the age band of ``age`` (written out, not mrrkit's lookup)."""
    firsts = AGE_BANDS
    return max(i for i, first in enumerate(firsts) if max(age, 1) >= first)


@pytest.mark.parametrize("e, c", [(0.0, 0.0), (0.02, 0.005)])
def test_existing_customers_follow_the_fitted_survival(inputs, e, c):
    # MRR follows revenue survival, the customer count logo survival.
    frame = mrrkit.project_baseline(_existing_only(inputs, e, c), 24)
    paying = inputs.age >= 0
    a = inputs.age[paying]
    m = inputs.mrr[paying]
    logo, revenue = inputs.fit, inputs.fit_mrr
    for k in (1, 6, 24):
        kept = revenue.survival(a + k) / revenue.survival(a)
        assert frame["mrr_existing"].iloc[k - 1] == pytest.approx(
            np.sum(m * kept) * (1 + e - c) ** k, rel=1e-10
        )
        ratio = logo.survival(a + k) / logo.survival(a)
        assert frame["customers_existing"].iloc[k - 1] == pytest.approx(np.sum(ratio), rel=1e-10)
        # gross retention: contraction only
        assert frame["gross_retained_mrr"].iloc[k - 1] == pytest.approx(
            np.sum(m * kept) * (1 - c) ** k, rel=1e-10
        )
    assert frame["mrr"].tolist() == pytest.approx(frame["mrr_existing"].tolist())


def test_existing_customers_customer_by_customer(inputs):
    """Each customer paying at the origin, month by month with the rates of its age: the
    projection of the existing base is the sum of these (a loop, not mrrkit's arrays)."""
    frame = mrrkit.project_baseline(dataclasses.replace(
        inputs, new_intercept=0.0, new_slope=0.0, reactivation_mrr=0.0), 18)
    exp_band = [inputs.expansion_by_age[first] for first in AGE_BANDS]
    con_band = [inputs.contraction_by_age[first] for first in AGE_BANDS]
    mrr = np.zeros(18)
    gross = np.zeros(18)
    expansion = np.zeros(18)
    churn = np.zeros(18)
    customers = np.zeros(18)
    for age, value in zip(inputs.age, inputs.mrr):
        if age < 0:
            continue
        alive_mrr, alive_n, level, gross_level = 1.0, 1.0, float(value), float(value)
        for k in range(1, 19):
            t = age + k
            h_mrr = inputs.fit_mrr.alpha / (inputs.fit_mrr.alpha + inputs.fit_mrr.beta + t - 1)
            h_n = inputs.fit.alpha / (inputs.fit.alpha + inputs.fit.beta + t - 1)
            churn[k - 1] -= h_mrr * level
            level *= 1 - h_mrr
            gross_level *= (1 - h_mrr) * (1 - con_band[_band(t)])
            expansion[k - 1] += exp_band[_band(t)] * level
            level *= 1 + exp_band[_band(t)] - con_band[_band(t)]
            alive_n *= 1 - h_n
            mrr[k - 1] += level
            gross[k - 1] += gross_level
            customers[k - 1] += alive_n
    np.testing.assert_allclose(frame["mrr_existing"], mrr, rtol=1e-9)
    np.testing.assert_allclose(frame["gross_retained_mrr"], gross, rtol=1e-9)
    np.testing.assert_allclose(frame["expansion"], expansion, rtol=1e-9)
    np.testing.assert_allclose(frame["churn"], churn, rtol=1e-9)
    np.testing.assert_allclose(frame["customers_existing"], customers, rtol=1e-9)


def test_new_customers_follow_survival_from_age_zero(inputs):
    only_new = dataclasses.replace(
        inputs, mrr=np.zeros_like(inputs.mrr), age=np.full_like(inputs.age, -1),
        reactivation_mrr=7.0,
    )
    frame = mrrkit.project_baseline(only_new, 18)
    revenue, logo = inputs.fit_mrr, inputs.fit
    growth = np.cumprod([1.0] + [1 + inputs.expansion_by_age[t] - inputs.contraction_by_age[t]
                                 for t in range(1, 19)])
    k = np.arange(1, 19)
    inflow = np.maximum(0, inputs.new_intercept + inputs.new_slope * k) + 7.0
    react_n = 7.0 / inputs.reactivation_arpa if inputs.reactivation_arpa > 0 else 0.0
    count = (inflow - 7.0) / inputs.new_arpa + react_n
    for month in (1, 5, 18):
        want = sum(inflow[j - 1] * revenue.survival(month - j) * growth[month - j]
                   for j in range(1, month + 1))
        assert frame["mrr"].iloc[month - 1] == pytest.approx(want, rel=1e-10)
        want_n = sum(count[j - 1] * logo.survival(month - j) for j in range(1, month + 1))
        assert frame["customers"].iloc[month - 1] == pytest.approx(want_n, rel=1e-10)
    np.testing.assert_allclose(frame["new"], inflow - 7.0)
    np.testing.assert_allclose(frame["reactivation"], 7.0)
    np.testing.assert_allclose(frame["new_customers"], (inflow - 7.0) / inputs.new_arpa)


def test_expansion_and_contraction_rates_by_age_band(sim):
    """Rates by age band over the window, by brute force: each month, the MRR each customer
    paid at the end of the month before, in the band of its age (months since its life started),
    and the expansions and contractions of the month in the band of the customer's age."""
    lines, mv = sim
    inputs = mrrkit.forecast_inputs(mv)
    table = mrrkit.monthly(mv)
    months = [p.ordinal for p in table.index[-12:]]
    history = {}
    for cid, month, kind, after, amount in zip(
            mv["customer_id"].astype(str), mv["date"].dt.to_period("M").map(lambda p: p.ordinal),
            mv["kind"].astype(str), mv["mrr_after"], mv["amount"]):
        history.setdefault(cid, []).append((month, kind, after, amount))  # in date order
    n = len(AGE_BANDS)
    exp, con, risk, count = (np.zeros(n) for _ in range(4))
    for rows in history.values():
        for month in months:
            start, paid = None, 0.0
            for row_month, kind, after, amount in rows:
                if row_month >= month:
                    break
                start = row_month if kind in ("new", "reactivation") else start
                paid = after
            if paid > 0:
                risk[_band(month - start)] += paid
                count[_band(month - start)] += 1
        start = None
        for row_month, kind, after, amount in rows:
            start = row_month if kind in ("new", "reactivation") else start
            if row_month in months and kind == "expansion":
                exp[_band(row_month - start)] += amount
            if row_month in months and kind == "contraction":
                con[_band(row_month - start)] -= amount
    np.testing.assert_allclose(inputs.band_expansion.sum(0), exp)
    np.testing.assert_allclose(inputs.band_contraction.sum(0), con)
    np.testing.assert_allclose(inputs.band_mrr.sum(0), risk)
    np.testing.assert_allclose(inputs.band_customers.sum(0), count)
    # The bands add up to the monthly table: MRR of the month before, all expansion.
    np.testing.assert_allclose(inputs.band_mrr.sum(1), table["mrr"].shift(1).iloc[-12:])
    np.testing.assert_allclose(inputs.band_expansion.sum(1), table["expansion"].iloc[-12:])
    # Credibility: own rate weighted n / (n + 500), the pooled rate for the rest.
    pooled = exp.sum() / risk.sum()
    assert inputs.expansion_rate == pytest.approx(pooled)
    z = count / (count + 500)
    want = z * np.where(risk > 0, exp / np.where(risk > 0, risk, 1), 0) + (1 - z) * pooled
    got = [inputs.expansion_by_age[first] for first in AGE_BANDS]
    np.testing.assert_allclose(got, want)
    assert inputs.expansion_by_age[3] == got[1] and inputs.expansion_by_age[-1] == got[-1]


def test_rates_by_age_by_hand():
    #   a: new Jan 10 at 100, +50 on Mar 15 (age 2), +30 on Jun 2 (age 5)
    #   b: new Mar 3 at 200, -20 on Apr 20 (age 1), +10 on Mar 25 (age 0: counts in band 1)
    #   window = Apr..Jun (3 months)
    data = pd.DataFrame(
        [
            ("a", "2024-01-10", "2024-03-15", 100.0),
            ("a", "2024-03-15", "2024-06-02", 150.0),
            ("a", "2024-06-02", None, 180.0),
            ("b", "2024-03-03", "2024-03-25", 200.0),
            ("b", "2024-03-25", "2024-04-20", 210.0),
            ("b", "2024-04-20", None, 190.0),
        ],
        columns=COLS,
    )
    data["start"] = pd.to_datetime(data["start"])
    data["end"] = pd.to_datetime(data["end"])
    got = mrrkit.forecast_inputs(data, as_of="2024-06-30", method="empirical", window=3)
    # Apr: a age 3 (band 2-3) at 150, b age 1 at 210; May: a age 4 (band 4-6), b age 2 (2-3)
    # at 190; Jun: a age 5 (4-6) at 150, b age 3 (2-3) at 190.
    np.testing.assert_allclose(got.band_mrr, [[210, 150, 0, 0, 0, 0],
                                              [0, 190, 150, 0, 0, 0],
                                              [0, 190, 150, 0, 0, 0]])
    np.testing.assert_allclose(got.band_contraction, [[20, 0, 0, 0, 0, 0], [0] * 6, [0] * 6])
    np.testing.assert_allclose(got.band_expansion, [[0] * 6, [0] * 6, [0, 0, 30, 0, 0, 0]])
    # b's +10 in March is outside the window.
    assert got.expansion_rate == pytest.approx(30 / (360 + 340 + 340))


def test_revenue_survival_by_hand():
    # A cohort of Jan 2024: 20 small customers (10 each), 5 of them leave in March (age 2); 2 big
    # ones (500 each) stay. At age 2 the logo hazard is 5 / 22, the revenue hazard
    # 50 / (200 + 1000): MRR survives much better than logos.
    rows = [(f"s{i:02d}", "2024-01-05", "2024-03-10" if i < 5 else None, 10.0) for i in range(20)]
    rows += [(f"b{i}", "2024-01-06", None, 500.0) for i in range(2)]
    data = pd.DataFrame(rows, columns=COLS)
    data["start"] = pd.to_datetime(data["start"])
    data["end"] = pd.to_datetime(data["end"])
    got = mrrkit.forecast_inputs(data, as_of="2024-05-31", method="empirical", window=3)
    assert got.hazard[1:3] == pytest.approx([0.0, 5 / 22])
    assert got.hazard_mrr[1:3] == pytest.approx([0.0, 50 / 1200])
    # Ages 3 and 4 have 17 customers at risk (< 20): the mean of the well-observed ages 1-2.
    assert got.hazard_mrr[3:6] == pytest.approx([25 / 1200] * 3)
    assert got.hazard[3:6] == pytest.approx([2.5 / 22] * 3)
    frame = mrrkit.project_baseline(got, 3)
    # The 2 big and 15 small customers paying at the end of May are aged 5 in June.
    assert frame["churn"].iloc[0] == pytest.approx(-1150 * 25 / 1200)
    assert frame["churned_customers"].iloc[0] == pytest.approx(17 * 2.5 / 22)


@pytest.mark.parametrize("method", ["sbg", "empirical"])
def test_movements_add_up_month_by_month(sim, method):
    inputs = mrrkit.forecast_inputs(sim[1], method=method)
    frame = mrrkit.project_baseline(inputs, 36)
    mrr = np.concatenate(([frame.attrs["start_mrr"]], frame["mrr"]))
    np.testing.assert_allclose(np.diff(mrr), frame["net_new"], rtol=1e-9, atol=1e-6)
    parts = frame[["new", "expansion", "contraction", "churn", "reactivation"]].sum(axis=1)
    np.testing.assert_allclose(parts, frame["net_new"])
    customers = np.concatenate(([frame.attrs["start_customers"]], frame["customers"]))
    np.testing.assert_allclose(
        np.diff(customers),
        frame["new_customers"] + frame["reactivated_customers"] - frame["churned_customers"],
        rtol=1e-9, atol=1e-9,
    )
    assert frame.attrs["start_mrr"] == pytest.approx(inputs.history["mrr"].iloc[-1])
    assert frame.attrs["start_customers"] == inputs.history["customers"].iloc[-1]
    np.testing.assert_allclose(frame["arr"], 12 * frame["mrr"])
    assert (frame["churn"] <= 0).all() and (frame["expansion"] >= 0).all()
    assert frame.index[0] == inputs.origin + 1 and len(frame) == 36


def test_empirical_hazard_is_the_pooled_kaplan_meier_curve(sim):
    inputs = mrrkit.forecast_inputs(sim[1], method="empirical")
    hazard, at_risk = km_hazard(inputs.lost, inputs.censored)
    curves = mrrkit.retention_curves(sim[1])
    np.testing.assert_allclose(np.cumprod(1 - hazard), curves["observed"].iloc[1:])
    reliable = np.flatnonzero(at_risk >= 20)
    np.testing.assert_allclose(inputs.hazard[reliable + 1], hazard[reliable])
    tail = hazard[reliable[-6:]].mean()
    assert inputs.hazard[reliable[-1] + 2:] == pytest.approx(tail)
    assert inputs.hazard[0] == 0.0
    assert inputs.fit is None and inputs.fit_mrr is None
    # MRR follows the revenue curve, its Kaplan-Meier hazard from the pseudo-counts.
    revenue = mrrkit.retention_curves(sim[1], weight="mrr")
    hazard_mrr, _ = km_hazard(inputs.lost_mrr, inputs.censored_mrr)
    np.testing.assert_allclose(np.cumprod(1 - hazard_mrr), revenue["observed"].iloc[1:])
    np.testing.assert_allclose(inputs.hazard_mrr[reliable + 1], hazard_mrr[reliable])


def test_band(inputs):
    fc = mrrkit.forecast(None, 24, inputs=inputs, n_boot=100, seed=1)
    assert (fc["mrr_low"] <= fc["mrr_high"]).all()
    assert (fc["customers_low"] <= fc["customers_high"]).all()
    np.testing.assert_allclose(fc["arr_high"], 12 * fc["mrr_high"])
    width = fc["mrr_high"] - fc["mrr_low"]
    assert width.iloc[-1] > width.iloc[0] > 0
    again = mrrkit.forecast(None, 24, inputs=inputs, n_boot=100, seed=1)
    pd.testing.assert_frame_equal(fc, again)
    other = mrrkit.forecast(None, 24, inputs=inputs, n_boot=100, seed=2)
    assert not np.allclose(other["mrr_low"], fc["mrr_low"])
    plain = mrrkit.forecast(None, 24, inputs=inputs, n_boot=0)
    assert "mrr_low" not in plain.columns
    pd.testing.assert_frame_equal(plain, mrrkit.project_baseline(inputs, 24))


def test_band_of_the_empirical_method(sim):
    fc = mrrkit.forecast(sim[1], 12, method="empirical", n_boot=50)
    assert (fc["mrr_low"] <= fc["mrr_high"]).all()
    assert fc["mrr_low"].iloc[0] < fc["mrr"].iloc[0] < fc["mrr_high"].iloc[0]


@pytest.mark.parametrize("method", ["sbg", "empirical"])
def test_backtest(sim, method):
    mv = sim[1]
    result = mrrkit.backtest(mv, horizon=12, method=method, trend=False)
    assert result.origin == pd.Period("2023-06", "M")
    table = result.table
    assert table.index.astype(str).tolist()[0] == "2023-07" and len(table) == 12
    actual = mrrkit.monthly(mv).loc["2023-07":"2024-06"]
    np.testing.assert_allclose(table["actual_mrr"], actual["mrr"])
    np.testing.assert_allclose(table["error"], table["forecast_mrr"] - table["actual_mrr"])
    assert result.mape == pytest.approx(np.mean(np.abs(table["pct_error"])))
    # The forecast only saw data up to June 2023: it equals a projection from truncated data.
    cut = mrrkit.movements(sim[0], as_of="2023-06-30")
    direct = mrrkit.project_baseline(
        mrrkit.forecast_inputs(cut, method=method, horizon=12, trend=False), 12)
    np.testing.assert_allclose(table["forecast_mrr"], direct["mrr"], rtol=1e-12)
    # A steady simulated business is predictable to within a few percent: 3-4% for MRR and 2%
    # for customers here. (Over seeds 0-5 of this small simulation: MRR 3-12%, customers 1-5%,
    # the noise of 40 arrivals a month with heavy-tailed plan prices; on a simulation 6 times
    # larger both fall to 1-2%.)
    assert result.mape < 0.06
    assert result.mape_customers < 0.04


def test_bad_arguments(sim, inputs):
    with pytest.raises(ValueError, match="method"):
        mrrkit.forecast_inputs(sim[1], method="arima")
    with pytest.raises(ValueError, match="window"):
        mrrkit.forecast_inputs(sim[1], window=1)
    with pytest.raises(ValueError, match="months must be 1..36"):
        mrrkit.project_baseline(inputs, 37)
    with pytest.raises(ValueError, match="level"):
        mrrkit.forecast(None, 12, inputs=inputs, level=1.5)
    with pytest.raises(ValueError, match="not enough history"):
        mrrkit.backtest(sim[1], horizon=29)


@pytest.mark.parametrize("method", ["sbg", "empirical"])
def test_bootstrap_replicates_are_the_full_projections_in_any_chunks(sim, monkeypatch, method):
    # The band's replicates project the existing customers' levels alone (no flows), a few
    # replicates at a time: bit for bit what the whole projection of all of them gives.
    import importlib

    engine = importlib.import_module("mrrkit.models.forecast")  # (mrrkit.forecast is the function)
    inputs = mrrkit.forecast_inputs(sim[1], method=method, horizon=36)
    default = engine._bootstrap(inputs, 30, 61, 5)
    monkeypatch.setattr(engine, "_CHUNK", 7)
    chunked = engine._bootstrap(inputs, 30, 61, 5)
    existing, inflow = engine._existing, engine._inflow
    monkeypatch.setattr(engine, "_existing",
                        lambda *a, levels_only=False, **k: existing(*a, **k))
    monkeypatch.setattr(engine, "_inflow", lambda *a, levels_only=False, **k: inflow(*a, **k))
    monkeypatch.setattr(engine, "_CHUNK", 1000)
    whole = engine._bootstrap(inputs, 30, 61, 5)
    for name in ("mrr", "customers"):
        assert whole[name].shape == (61, 30)
        np.testing.assert_array_equal(default[name], whole[name])
        np.testing.assert_array_equal(chunked[name], whole[name])


def test_empirical_tail_of_ages_without_customers_is_zero_without_a_warning():
    # Revenue pseudo-counts can have no MRR at risk at ages where the logos were well observed:
    # those ages give no hazard, and the tail rate is the mean of the others (0 if none).
    import importlib
    import warnings

    engine = importlib.import_module("mrrkit.models.forecast_inputs")
    reliable = np.ones(8, bool)
    lost = np.array([[4.0, 2, 1, 1, 0, 0, 0, 0], [0.0] * 8])
    cens = np.array([[0.0, 0, 0, 1, 0, 0, 0, 0], [0.0] * 8])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = engine._empirical_hazard(lost, cens, 12, reliable=reliable)
    # replicate 0: 9, 5, 3 and 2 customers at risk at ages 1-4, hazards 4/9, 2/5, 1/3, 1/2,
    # none at ages 5-8; the tail (the last 6 ages, 3-8) has two of them: (1/3 + 1/2) / 2
    tail = (1 / 3 + 1 / 2) / 2
    np.testing.assert_allclose(out[0], [0, 4 / 9, 2 / 5, 1 / 3, 1 / 2, 0, 0, 0, 0, *[tail] * 3])
    np.testing.assert_array_equal(out[1], np.zeros(12))  # no customer at all
