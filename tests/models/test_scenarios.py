"""What-if scenarios: the zero scenario is the baseline, and each lever does what it says."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import simulate_lines
from hypothesis import given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit import Scenario


@pytest.fixture(scope="module")
def sim():
    lines, as_of = simulate_lines(months=30, new_per_month=40, growth=0.0, seed=2)
    return lines, mrrkit.movements(lines, as_of=as_of)


@pytest.fixture(scope="module")
def inputs(sim):
    return mrrkit.scenario_inputs(sim[1])


@pytest.fixture(scope="module")
def flat(inputs):
    """The inputs with one expansion and one contraction rate at every age (the pooled ones),
    so that the closed forms below hold."""
    return dataclasses.replace(
        inputs,
        expansion_by_age=np.full_like(inputs.expansion_by_age, inputs.expansion_rate),
        contraction_by_age=np.full_like(inputs.contraction_by_age, inputs.contraction_rate),
    )


@pytest.fixture(scope="module")
def smb(sim):
    attrs = mrrkit.customer_attributes(sim[0])
    return frozenset(attrs.index[attrs["segment"] == "smb"])


ALL_BUT_SCOPE = [c for c in mrrkit.FORECAST_COLUMNS if c != "mrr_in_scope"]


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    name=st.text(max_size=10),
    cost=st.floats(0, 1e6),
    elasticity=st.floats(0, 5),
    months=st.integers(1, 36),
)
def test_a_scenario_with_every_lever_at_zero_is_the_baseline(inputs, data, name, cost,
                                                            elasticity, months):
    ids = list(inputs.customer_ids)
    scope = data.draw(st.none() | st.sets(st.sampled_from(ids), max_size=60))
    # Elasticity and CS cost alone change nothing: there is no price change to react to, and
    # the cost only enters the magic number.
    scenario = Scenario(name=name, cs_team_cost=cost, churn_elasticity=elasticity, scope=scope)
    got = mrrkit.project_scenario(inputs, scenario, months)
    base = mrrkit.project_baseline(inputs, months)
    pd.testing.assert_frame_equal(got[ALL_BUT_SCOPE], base[ALL_BUT_SCOPE], check_exact=True)
    if scope is None:
        assert got["mrr_in_scope"].equals(base["mrr_existing"])
    summary = mrrkit.scenario_summary(inputs, scenario, months)
    diff = summary["difference"].to_numpy(dtype="float64")
    assert np.all((diff == 0) | np.isnan(diff))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), pct=st.floats(-90, 200), months=st.integers(1, 24))
def test_price_change_without_elasticity_scales_the_in_scope_base(inputs, data, pct, months):
    ids = list(inputs.customer_ids)
    scope = data.draw(st.none() | st.sets(st.sampled_from(ids), min_size=1, max_size=200))
    base = mrrkit.project_scenario(inputs, Scenario(scope=scope), months)
    got = mrrkit.project_scenario(inputs, Scenario(price_change_pct=pct, scope=scope), months)
    np.testing.assert_allclose(got["mrr_in_scope"], base["mrr_in_scope"] * (1 + pct / 100),
                               rtol=1e-9, atol=1e-9)
    # Customers outside the scope and new business are untouched.
    np.testing.assert_allclose(got["mrr_existing"] - got["mrr_in_scope"],
                               base["mrr_existing"] - base["mrr_in_scope"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got["mrr"] - got["mrr_existing"],
                               base["mrr"] - base["mrr_existing"], rtol=1e-12)
    np.testing.assert_allclose(got["customers"], base["customers"], rtol=1e-12)
    mrr = np.concatenate(([got.attrs["start_mrr"]], got["mrr"]))
    np.testing.assert_allclose(np.diff(mrr), got["net_new"], rtol=1e-9, atol=1e-6)


def test_price_increase_is_expansion_in_month_one(flat):
    inputs = flat
    base = mrrkit.project_baseline(inputs, 12)
    got = mrrkit.project_scenario(inputs, Scenario(price_change_pct=10), 12)
    e, c = inputs.expansion_rate, inputs.contraction_rate
    # Month-1 survivors' MRR before any change (the baseline's month 1 without its expansion).
    survivors = base["mrr_existing"].iloc[0] / (1 + e - c)
    # The price step is expansion, and the baseline expansion then applies to the new price.
    extra = got["expansion"].iloc[0] - base["expansion"].iloc[0]
    assert extra == pytest.approx(0.1 * survivors * (1 + e), rel=1e-9)
    assert got["contraction"].iloc[0] - base["contraction"].iloc[0] == pytest.approx(
        -0.1 * survivors * c, rel=1e-9, abs=1e-9)
    cut = mrrkit.project_scenario(inputs, Scenario(price_change_pct=-10), 12)
    assert cut["contraction"].iloc[0] - base["contraction"].iloc[0] == pytest.approx(
        -0.1 * survivors * (1 - c), rel=1e-9)
    # GRR counts a price cut, never an increase.
    assert cut["gross_retained_mrr"].iloc[-1] == pytest.approx(
        0.9 * base["gross_retained_mrr"].iloc[-1])
    assert got["gross_retained_mrr"].iloc[-1] == pytest.approx(base["gross_retained_mrr"].iloc[-1])


def test_churn_elasticity_loses_customers_who_receive_the_increase(flat, smb):
    inputs = flat
    base = mrrkit.project_scenario(inputs, Scenario(scope=smb), 12)
    got = mrrkit.project_scenario(
        inputs, Scenario(price_change_pct=10, churn_elasticity=0.5, scope=smb), 12)
    # 0.5 x 10% = 5% of the in-scope customers leave in month 1, before paying the new price.
    np.testing.assert_allclose(got["mrr_in_scope"], base["mrr_in_scope"] * 1.10 * 0.95)
    extra_churn = got["churn"].iloc[0] - base["churn"].iloc[0]
    # They leave at their old MRR: 5% of the month-1 survivors' MRR before expansion.
    survivors = base["mrr_in_scope"].iloc[0] / (1 + inputs.expansion_rate
                                                 - inputs.contraction_rate)
    assert extra_churn == pytest.approx(-0.05 * survivors, rel=1e-9)
    assert got["churned_customers"].iloc[0] > base["churned_customers"].iloc[0]
    # A price cut does not bring extra customers.
    cut = mrrkit.project_scenario(
        inputs, Scenario(price_change_pct=-10, churn_elasticity=0.5, scope=smb), 12)
    np.testing.assert_allclose(cut["mrr_in_scope"], base["mrr_in_scope"] * 0.9)


def test_upsell_reaches_its_uplift_after_a_year(inputs):
    base = mrrkit.project_baseline(inputs, 24)
    got = mrrkit.project_scenario(
        inputs, Scenario(upsell_conversion_rate=1.0, avg_uplift_pct=10), 24)
    ratio = got["mrr_existing"] / base["mrr_existing"]
    assert ratio.iloc[5] == pytest.approx(1.05)    # half converted by month 6
    assert ratio.iloc[11] == pytest.approx(1.10)   # all by month 12
    assert ratio.iloc[23] == pytest.approx(1.10)   # and no more after
    half = mrrkit.project_scenario(
        inputs, Scenario(upsell_conversion_rate=0.5, avg_uplift_pct=10), 24)
    assert (half["mrr_existing"] / base["mrr_existing"]).iloc[11] == pytest.approx(1.05)
    assert (got["expansion"] >= base["expansion"] - 1e-9).all()


def test_addon_adds_its_price_per_adopting_customer(inputs):
    base = mrrkit.project_baseline(inputs, 24)
    got = mrrkit.project_scenario(inputs, Scenario(addon_adoption_rate=0.5, addon_mrr=20), 24)
    extra = got["mrr_existing"] - base["mrr_existing"]
    k = np.arange(1, 25)
    share = np.minimum(1, 0.5 * k / 12)
    np.testing.assert_allclose(extra, 20 * share * base["customers_existing"], rtol=1e-9)
    np.testing.assert_allclose(got["mrr"] - base["mrr"], extra, rtol=1e-9)


def test_churn_reduction(flat):
    inputs = flat
    base = mrrkit.project_baseline(inputs, 12)
    full = mrrkit.project_scenario(inputs, Scenario(churn_reduction_pct=100), 12)
    # Nobody leaves: existing customers keep their number, MRR grows at the net expansion rate.
    assert full["customers_existing"].tolist() == pytest.approx(
        [base.attrs["start_customers"]] * 12)
    g = 1 + inputs.expansion_rate - inputs.contraction_rate
    np.testing.assert_allclose(full["mrr_existing"],
                               base.attrs["start_mrr"] * g ** np.arange(1, 13))
    assert (full["churn"] == 0).all()
    half = mrrkit.project_scenario(inputs, Scenario(churn_reduction_pct=50), 12)
    assert (half["customers"] > base["customers"]).all()
    assert (half["customers"] < full["customers"]).all()
    # By hand for the existing customers: hazard halved.
    fit = inputs.fit
    paying = inputs.age >= 0
    surv = np.ones(paying.sum())
    for k in range(1, 13):
        surv = surv * (1 - 0.5 * fit.hazard(inputs.age[paying] + k))
        assert half["customers_existing"].iloc[k - 1] == pytest.approx(surv.sum(), rel=1e-10)


def test_scoped_churn_reduction_leaves_new_customers_alone(inputs, smb):
    base = mrrkit.project_baseline(inputs, 12)
    got = mrrkit.project_scenario(inputs, Scenario(churn_reduction_pct=100, scope=smb), 12)
    np.testing.assert_allclose(got["mrr"] - got["mrr_existing"],
                               base["mrr"] - base["mrr_existing"], rtol=1e-12)


def test_new_business_growth(inputs):
    base = mrrkit.project_baseline(inputs, 12)
    got = mrrkit.project_scenario(inputs, Scenario(new_business_growth_pct=25), 12)
    np.testing.assert_allclose(got["new"], 1.25 * base["new"])
    np.testing.assert_allclose(got["new_customers"], 1.25 * base["new_customers"])
    np.testing.assert_allclose(got["reactivation"], base["reactivation"])
    np.testing.assert_allclose(got["mrr_existing"], base["mrr_existing"])


def test_summary_definitions(inputs):
    scenario = Scenario(price_change_pct=5, upsell_conversion_rate=0.2, avg_uplift_pct=15,
                        cs_team_cost=10000)
    summary = mrrkit.scenario_summary(inputs, scenario)
    frame = mrrkit.project_scenario(inputs, scenario, 12)
    got = summary["scenario"]
    last = frame.iloc[-1]
    start = frame.attrs["start_mrr"]
    assert got["mrr"] == pytest.approx(last["mrr"])
    assert got["arr"] == pytest.approx(12 * last["mrr"])
    assert got["nrr"] == pytest.approx(last["mrr_existing"] / start)
    assert got["grr"] == pytest.approx(last["gross_retained_mrr"] / start)
    assert got["grr"] <= 1 < got["nrr"] or got["grr"] <= got["nrr"]
    losses = -(frame["churn"].sum() + frame["contraction"].sum())
    added = frame["new"].sum() + frame["expansion"].sum() + frame["reactivation"].sum()
    assert got["quick_ratio"] == pytest.approx(added / losses)
    assert got["cs_headwind"] == pytest.approx(losses / start)
    assert got["cs_tailwind"] == pytest.approx(frame["expansion"].sum() / start)
    assert got["cs_magic_number"] == pytest.approx(
        (last["gross_retained_mrr"] + frame["expansion"].sum()) / (10000 * 12))
    arpa = last["mrr"] / last["customers"]
    assert got["ltv"] == pytest.approx(arpa / frame["customer_churn_rate"].iloc[-6:].mean())
    np.testing.assert_allclose(summary["difference"], summary["scenario"] - summary["baseline"])
    assert summary.index.tolist() == list(mrrkit.SCENARIO_METRICS)
    assert mrrkit.scenario_summary(inputs, Scenario())["scenario"].isna()["cs_magic_number"]


def test_scenario_round_trips_through_plain_values():
    s = Scenario(name="Price +5%", price_change_pct=5, churn_elasticity=0.3,
                 scope={"b", "a"}, cs_team_cost=1000)
    values = s.to_dict()
    assert values["scope"] == ["a", "b"]
    assert Scenario.from_dict(values) == s
    text = {k: str(v) for k, v in values.items() if k not in ("scope",)}
    assert Scenario.from_dict(text) == dataclasses.replace(s, scope=None)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"price_change_pct": -100}, "price_change_pct"),
        ({"upsell_conversion_rate": 1.5}, "upsell_conversion_rate"),
        ({"addon_adoption_rate": -0.1}, "addon_adoption_rate"),
        ({"churn_reduction_pct": 120}, "churn_reduction_pct"),
        ({"cs_team_cost": -1}, "cs_team_cost"),
        ({"churn_elasticity": float("nan")}, "churn_elasticity"),
        ({"addon_mrr": "ten"}, "addon_mrr"),
        ({"scope": "acme"}, "scope"),
    ],
)
def test_bad_levers(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Scenario(**kwargs)


def test_unknown_fields_and_months(inputs):
    with pytest.raises(ValueError, match="unknown scenario field"):
        Scenario.from_dict({"price": 5})
    with pytest.raises(ValueError, match="months"):
        mrrkit.project_scenario(inputs, Scenario(), 48)
    with pytest.raises(TypeError, match="Scenario"):
        mrrkit.project_scenario(inputs, {"price_change_pct": 5})


def test_every_lever_customer_by_customer(inputs, smb):
    """All levers at once on the SMB customers, against a loop over the customers paying at the
    origin, month by month with the rates of their age (not mrrkit's arrays)."""
    scenario = Scenario(price_change_pct=8, churn_elasticity=0.5, upsell_conversion_rate=0.3,
                        avg_uplift_pct=20, addon_adoption_rate=0.24, addon_mrr=15,
                        churn_reduction_pct=25, new_business_growth_pct=10, scope=smb)
    months = 15
    got = mrrkit.project_scenario(inputs, scenario, months)
    base = mrrkit.project_baseline(inputs, months)
    revenue, logo = inputs.fit_mrr, inputs.fit
    e, c = inputs.expansion_by_age, inputs.contraction_by_age
    extra = 0.5 * 8 / 100
    in_scope = inputs.scope_mask(smb)
    mrr_in, mrr_all, customers = np.zeros(months), np.zeros(months), np.zeros(months)
    for inside, age, value in zip(in_scope, inputs.age, inputs.mrr):
        if age < 0:
            continue
        keep = 0.75 if inside else 1.0
        s_mrr = s_n = (1 - extra) if inside else 1.0
        grown = float(value)
        for k in range(1, months + 1):
            t = age + k
            s_mrr *= 1 - keep * revenue.alpha / (revenue.alpha + revenue.beta + t - 1)
            s_n *= 1 - keep * logo.alpha / (logo.alpha + logo.beta + t - 1)
            grown *= 1 + e[t] - c[t]
            if inside:
                upsold = min(1.0, 0.3 * k / 12)
                addon = 15 * min(1.0, 0.24 * k / 12)
                level = s_mrr * grown * 1.08 * (1 + 0.2 * upsold) + s_n * addon
                mrr_in[k - 1] += level
            else:
                level = s_mrr * grown
            mrr_all[k - 1] += level
            customers[k - 1] += s_n
    np.testing.assert_allclose(got["mrr_in_scope"], mrr_in, rtol=1e-9)
    np.testing.assert_allclose(got["mrr_existing"], mrr_all, rtol=1e-9)
    np.testing.assert_allclose(got["customers_existing"], customers, rtol=1e-9)
    # New business: 10% more new MRR and customers, surviving as in the baseline (the churn
    # reduction is scoped to existing SMB customers).
    new_part = got["mrr"] - got["mrr_existing"]
    base_new = base["mrr"] - base["mrr_existing"]
    react_only = mrrkit.project_baseline(dataclasses.replace(
        inputs, mrr=np.zeros_like(inputs.mrr), age=np.full_like(inputs.age, -1),
        new_intercept=0.0, new_slope=0.0), months)["mrr"]
    np.testing.assert_allclose(new_part, 1.1 * (base_new - react_only) + react_only, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    price=st.floats(-50, 50),
    elasticity=st.floats(0, 3),
    upsell=st.floats(0, 1),
    uplift=st.floats(0, 100),
    addon_rate=st.floats(0, 1),
    addon_mrr=st.floats(0, 500),
    reduction=st.floats(0, 100),
)
def test_a_scoped_scenario_moves_only_its_scope(inputs, data, price, elasticity, upsell, uplift,
                                                addon_rate, addon_mrr, reduction):
    ids = list(inputs.customer_ids)
    scope = data.draw(st.sets(st.sampled_from(ids), min_size=1, max_size=300))
    scenario = Scenario(price_change_pct=price, churn_elasticity=elasticity,
                        upsell_conversion_rate=upsell, avg_uplift_pct=uplift,
                        addon_adoption_rate=addon_rate, addon_mrr=addon_mrr,
                        churn_reduction_pct=reduction, scope=scope)
    got = mrrkit.project_scenario(inputs, scenario, 12)
    base = mrrkit.project_scenario(inputs, Scenario(scope=scope), 12)
    # Outside the scope and new business: the baseline's, whatever the levers.
    np.testing.assert_allclose(got["mrr_existing"] - got["mrr_in_scope"],
                               base["mrr_existing"] - base["mrr_in_scope"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got["mrr"] - got["mrr_existing"],
                               base["mrr"] - base["mrr_existing"], rtol=1e-9, atol=1e-6)
    mrr = np.concatenate(([got.attrs["start_mrr"]], got["mrr"]))
    np.testing.assert_allclose(np.diff(mrr), got["net_new"], rtol=1e-9, atol=1e-6)
    customers = np.concatenate(([got.attrs["start_customers"]], got["customers"]))
    np.testing.assert_allclose(
        np.diff(customers),
        got["new_customers"] + got["reactivated_customers"] - got["churned_customers"],
        rtol=1e-9, atol=1e-9)


def test_the_summary_of_longer_projections_is_the_same(inputs, smb):
    # A page that draws 24 or 36 months hands those projections to the 12-month summary: their
    # first 12 months are the 12-month projections, bit for bit.
    s = Scenario(name="mix", price_change_pct=6, churn_elasticity=0.4, upsell_conversion_rate=0.2,
                 avg_uplift_pct=15, churn_reduction_pct=10, new_business_growth_pct=5,
                 cs_team_cost=9000, scope=smb)
    expected = mrrkit.scenario_summary(inputs, s, 12)
    for months in (12, 18, 36):
        projection = mrrkit.project_scenario(inputs, s, months)
        pd.testing.assert_frame_equal(projection.iloc[:12], mrrkit.project_scenario(inputs, s, 12),
                                      check_exact=True)
        baseline = mrrkit.project_baseline(inputs, months)
        got = mrrkit.scenario_summary(inputs, s, 12, baseline=baseline, projection=projection)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.attrs == expected.attrs
    with pytest.raises(ValueError, match="covers 6 months, fewer than 12"):
        mrrkit.scenario_summary(inputs, s, 12, projection=mrrkit.project_scenario(inputs, s, 6))
