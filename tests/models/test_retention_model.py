"""The sBG model fitted to subscription lines: first-life survivors, joint and per-segment fits."""

import numpy as np
import pandas as pd
import pytest

import mrrkit
from tests.builders import lines

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def cohort_lines(alive, start, prefix, mrr=10.0, segment=None):
    """One monthly cohort whose survivors at the end of each month follow ``alive``: the
    customers lost at age t stop paying during month cohort + t."""
    first = pd.Timestamp(start)
    rows = []
    i = 0
    for t in range(1, len(alive)):
        for _ in range(alive[t - 1] - alive[t]):
            rows.append((f"{prefix}{i:05d}", first, first + pd.DateOffset(months=t), mrr))
            i += 1
    for _ in range(alive[-1]):
        rows.append((f"{prefix}{i:05d}", first, pd.NaT, mrr))
        i += 1
    out = lines(rows)
    if segment is not None:
        out["segment"] = segment
    return out


@pytest.fixture(scope="module")
def paper_lines():
    # Regular customers acquired in January 2024 (8 month ends observed to August), high-end
    # customers in March 2024 (6 month ends observed), as_of = August 31.
    return pd.concat(
        [
            cohort_lines(REGULAR, "2024-01-15", "r", mrr=10.0, segment="regular"),
            cohort_lines(HIGH_END[:6], "2024-03-10", "h", mrr=30.0, segment="high_end"),
        ],
        ignore_index=True,
    )


AS_OF = "2024-08-31"


def test_survivor_table_is_the_paper_data(paper_lines):
    table = mrrkit.cohort_survivors(paper_lines, as_of=AS_OF)
    assert table.index.astype(str).tolist() == ["2024-01", "2024-03"]
    assert table.loc["2024-01"].tolist() == REGULAR
    march = table.loc["2024-03"]
    assert march.iloc[:6].tolist() == HIGH_END[:6]
    assert march.iloc[6:].isna().all()
    shares = mrrkit.cohort_survivors(paper_lines, as_of=AS_OF, normalize=True)
    np.testing.assert_allclose(shares.loc["2024-01"], np.array(REGULAR) / 1000)


def test_joint_fit_equals_fitting_the_survivor_sequences(paper_lines):
    got = mrrkit.fit_retention(paper_lines, as_of=AS_OF)
    want = mrrkit.fit_sbg([REGULAR, HIGH_END[:6]])
    assert (got.alpha, got.beta) == pytest.approx((want.alpha, want.beta), rel=1e-6)
    assert got.n_obs == 2000
    only_regular = mrrkit.fit_retention(paper_lines, as_of=AS_OF, cohorts=["2024-01"])
    assert (only_regular.alpha, only_regular.beta) == pytest.approx((0.704, 1.182), abs=6e-4)


def test_fit_on_a_movements_frame_filtered_to_a_segment(paper_lines):
    mv = mrrkit.movements(paper_lines, as_of=AS_OF)
    high = mv[mv["customer_id"].astype(str).str.startswith("h")]
    got = mrrkit.fit_retention(high)
    want = mrrkit.fit_sbg(HIGH_END[:6])
    assert (got.alpha, got.beta) == pytest.approx((want.alpha, want.beta), rel=1e-6)


def test_retention_by_segment_fits_each_segment(paper_lines):
    out = mrrkit.retention_by_segment(paper_lines, "segment", as_of=AS_OF)
    assert out.index.tolist() == ["(all)", "high_end", "regular"]
    reg = out.loc["regular"]
    assert (reg["alpha"], reg["beta"]) == pytest.approx((0.704, 1.182), abs=6e-4)
    hi = mrrkit.fit_sbg(HIGH_END[:6])
    assert out.loc["high_end", "alpha"] == pytest.approx(hi.alpha, rel=1e-6)
    joint = mrrkit.fit_sbg([REGULAR, HIGH_END[:6]])
    assert out.loc["(all)", "alpha"] == pytest.approx(joint.alpha, rel=1e-6)
    assert out.loc["regular", "customers"] == 1000
    assert out.loc["regular", "churned"] == 1000 - 241
    assert out.loc["regular", "arpa"] == pytest.approx(10.0)
    assert out.loc["high_end", "arpa"] == pytest.approx(30.0)
    assert out.loc["(all)", "arpa"] == pytest.approx((241 * 10 + 551 * 30) / (241 + 551))
    d = mrrkit.monthly_discount(0.10)
    want_del = mrrkit.discounted_expected_lifetime(reg["alpha"], reg["beta"], d)
    assert reg["del_months"] == pytest.approx(want_del)
    assert reg["model_ltv"] == pytest.approx(10.0 * want_del)
    assert reg["first_month_churn"] == pytest.approx(reg["alpha"] / (reg["alpha"] + reg["beta"]))
    assert reg["survival_12m"] == pytest.approx(
        mrrkit.SBGFit(reg["alpha"], reg["beta"], 0, 0).survival(12)
    )


def test_small_segments_get_the_pooled_fit(paper_lines):
    out = mrrkit.retention_by_segment(paper_lines, "segment", as_of=AS_OF, min_customers=1001)
    # (all) has 2000 customers: its own fit; each segment (1000) gets it, and says why
    assert out.loc["(all)", "source"] == "own" and out.loc["(all)", "alpha"] > 0
    assert out.loc[["high_end", "regular"], "source"].tolist() == ["pooled", "pooled"]
    assert out.loc[["high_end", "regular"], "flags"].str.startswith("too_few_customers").all()
    assert (out.loc[["high_end", "regular"], "alpha"] == out.loc["(all)", "alpha"]).all()
    # ... with its own ARPA, so its own model LTV
    assert out.loc["high_end", "arpa"] == pytest.approx(30.0)
    assert out.loc["high_end", "model_ltv"] == pytest.approx(30.0 * out.loc["(all)", "del_months"])
    with pytest.raises(ValueError, match="no attribute column 'plan'"):
        mrrkit.retention_by_segment(paper_lines, "plan")


# --- per-segment fits: identified or not, extrapolation, fallback to the pooled fit ---------

GEOMETRIC = [round(1000 * 0.95**t) for t in range(8)]  # 5% leave every month, whatever the age


@pytest.fixture(scope="module")
def segment_fits():
    """The paper's regular customers next to segments too small, without churn, too young, and
    one whose churn does not fall with age (nothing to tell the model's two parameters apart)."""
    from mrrkit.models.segment_fits import fit_segments

    data = pd.concat([
        cohort_lines(REGULAR, "2024-01-15", "r", segment="regular"),
        cohort_lines(GEOMETRIC, "2024-01-15", "g", mrr=20.0, segment="constant"),
        cohort_lines([12, 10, 9, 9, 8, 8, 8, 8], "2024-01-15", "t", segment="tiny"),
        cohort_lines([40] * 8, "2024-01-15", "n", segment="loyal"),
        cohort_lines([40, 39, 38, 38, 37, 37, 37, 37], "2024-01-15", "f", segment="few"),
        cohort_lines([200, 150, 120], "2024-06-10", "y", segment="young"),
    ], ignore_index=True)
    segments = mrrkit.customer_attributes(data)["segment"]
    return data, {f.segment: f for f in fit_segments(data, segments, as_of=AS_OF)}


def test_a_segment_with_plenty_of_data_is_identified_and_keeps_its_own_fit(segment_fits):
    _, fits = segment_fits
    regular = fits["regular"]
    assert (regular.source, regular.identified, regular.codes) == ("own", True, ())
    # Fader & Hardie's regular customers: the published parameters
    assert (regular.fit.alpha, regular.fit.beta) == pytest.approx((0.704, 1.182), abs=6e-4)
    assert (regular.customers, regular.churned, regular.observed_months) == (1000, 759, 7)
    assert regular.fit_months == 7 and max(regular.log_se) < 0.2
    assert regular.revenue_fit.alpha == pytest.approx(regular.fit.alpha, rel=1e-6)  # one price
    assert regular.median_lifetime == 2.0  # half gone after 2 months: observed, no flag
    # its curves: its own observed survival and the fit
    np.testing.assert_allclose(regular.curves["observed"].iloc[:8], np.array(REGULAR) / 1000)
    np.testing.assert_allclose(regular.curves["fitted"], regular.fit.survival(np.arange(37)))
    assert fits[None].source == "own" and fits[None].identified


@pytest.mark.parametrize("segment, codes, values", [
    ("tiny", ("too_few_customers", "too_few_churns"), {"customers": 12, "minimum": 30}),
    ("loyal", ("no_churn",), {"customers": 40}),
    ("few", ("too_few_churns",), {"churned": 3, "minimum": 10}),
    ("young", ("too_few_months",), {"months": 2, "minimum": 3}),
])
def test_a_segment_too_small_falls_back_to_the_pooled_fit(segment_fits, segment, codes, values):
    data, fits = segment_fits
    pooled, fit = fits[None], fits[segment]
    assert fit.source == "pooled"
    assert fit.codes[: len(codes)] == codes
    assert fit.flags[0].values == values
    assert fit.fit == pooled.fit and fit.revenue_fit == pooled.revenue_fit
    assert fit.fit_months == pooled.fit_months == 7
    assert fit.median_lifetime == pooled.median_lifetime
    # its own ARPA and observed curve, the pooled fit's curve
    assert fit.arpa == pytest.approx(10.0)
    assert fit.model_ltv == pytest.approx(10.0 * pooled.del_months)
    own = data[data["segment"] == segment]
    want = mrrkit.retention_curves(own, pooled.fit, as_of=AS_OF, max_age=36)
    pd.testing.assert_frame_equal(fit.curves, want)


def test_fits_at_the_edge_of_the_box_are_flagged(segment_fits):
    _, fits = segment_fits
    constant = fits["constant"]
    # Churn that does not fall with age: the likelihood rises along a ridge towards infinite
    # alpha and beta (a homogeneous population), as far as the optimiser's box lets it.
    assert constant.source == "own" and not constant.identified
    edge = constant.flag("at_edge")
    assert edge.values["parameter"] == "beta" and edge.values["edge"] == "high"
    assert edge.values["limit"] == 1e5 and edge.values["value"] > 5e4
    flat = constant.flag("flat_likelihood")
    assert flat.values["log_se"] > 10 and flat.values["maximum"] == 2.0
    # its own churn level is kept: 5% a month
    assert constant.fit.alpha / (constant.fit.alpha + constant.fit.beta) == pytest.approx(
        0.05, abs=0.003)
    # half of such a cohort is gone after 14 months, twice the 7 months of data
    assert constant.flag("median_beyond_data").values == {"median_months": 14.0,
                                                           "observed_months": 7}
    table = mrrkit.retention_by_segment(segment_fits[0], "segment", as_of=AS_OF)
    assert table.loc["constant", "flags"] == "at_edge, flat_likelihood, median_beyond_data"
    assert not table.loc["constant", "identified"] and table.loc["regular", "identified"]


def test_how_far_the_figures_extrapolate(segment_fits):
    from mrrkit.models.segment_fits import LTV_HORIZON_SHARE, MAX_LTV_BEYOND_SHARE

    _, fits = segment_fits
    pooled = fits[None]
    d = mrrkit.monthly_discount(0.10)
    t = np.arange(2000)
    paid = pooled.fit.survival(t) / (1 + d) ** t
    total = mrrkit.discounted_expected_lifetime(pooled.fit.alpha, pooled.fit.beta, d)
    assert pooled.del_months == pytest.approx(total)
    # the LTV's payments after the 7 months observed, and the months that make 90% of it
    assert pooled.ltv_beyond_share == pytest.approx(1 - paid[:8].sum() / total)
    horizon = np.searchsorted(np.cumsum(paid), LTV_HORIZON_SHARE * total) + 1
    assert pooled.ltv_horizon_months == horizon
    assert pooled.ltv_beyond_share > MAX_LTV_BEYOND_SHARE
    assert pooled.flag("ltv_beyond_data").values == {
        "share": pooled.ltv_beyond_share, "horizon_months": horizon, "observed_months": 7}
    # a segment given the pooled fit carries its extrapolation flags
    assert fits["tiny"].flag("ltv_beyond_data") == pooled.flag("ltv_beyond_data")


def test_the_sample_segments_that_are_flagged():
    """The case of the report: by company size, the largest customers' fit runs to the box's
    edge (alpha in the hundreds, beta 100,000) and the 201-1000 segment's median lifetime of
    29 years rests on 4 years of data; both are now flagged."""
    from mrrkit.models.segment_fits import fit_segments

    lines = mrrkit.load_sample()
    attrs = mrrkit.customer_attributes(lines)
    fits = {f.segment: f for f in fit_segments(lines, attrs["company_size"])}
    assert fits["1000+"].fit.beta > 5e4 and "at_edge" in fits["1000+"].codes
    assert not fits["1000+"].identified
    assert fits["201-1000"].flag("median_beyond_data").values == {"median_months": 347.0,
                                                                  "observed_months": 47}
    assert fits["1-10"].codes == () and fits["1-10"].identified
    # by product: Premium support has 9 first churns, too few: the pooled fit
    product = {f.segment: f for f in fit_segments(lines, attrs["product"])}
    assert product["Premium support"].source == "pooled"
    assert product["Premium support"].codes[0] == "too_few_churns"
    assert product["Premium support"].fit == product[None].fit


def test_retention_curves_put_the_fit_next_to_the_observed_curve(paper_lines):
    regular = paper_lines[paper_lines["segment"] == "regular"]
    curves = mrrkit.retention_curves(regular, as_of=AS_OF, max_age=12)
    np.testing.assert_allclose(curves["observed"].iloc[:8], np.array(REGULAR) / 1000)
    assert curves["observed"].iloc[8:].isna().all()
    assert curves["at_risk"].iloc[1:8].tolist() == REGULAR[:-1]
    assert curves["churned"].iloc[1:8].tolist() == (-np.diff(REGULAR)).tolist()
    fit = mrrkit.fit_sbg(REGULAR)
    np.testing.assert_allclose(curves["fitted"], fit.survival(np.arange(13)), rtol=1e-6)
    np.testing.assert_allclose(curves["fitted_retention"].iloc[1:],
                               fit.retention(np.arange(1, 13)), rtol=1e-6)


def test_pooled_observed_curve_is_kaplan_meier_across_cohorts(paper_lines):
    curves = mrrkit.retention_curves(paper_lines, as_of=AS_OF)
    # Age 1..5: both cohorts at risk; age 6, 7: only the regular one.
    reg, hi = np.array(REGULAR, float), np.array(HIGH_END[:6], float)
    survival = [1.0]
    for t in range(1, 8):
        at_risk = reg[t - 1] + (hi[t - 1] if t < 6 else 0)
        lost = reg[t - 1] - reg[t] + (hi[t - 1] - hi[t] if t < 6 else 0)
        survival.append(survival[-1] * (1 - lost / at_risk))
    np.testing.assert_allclose(curves["observed"], survival)


# Hand-made cases for the first-life rules.
#   a: Jan 10 - Mar 5, back Apr 1 (reactivation)  -> lost at age 2 (first churn in March)
#   b: Jan 20 - Jan 25 (leaves within its month)   -> lost at age 1
#   c: Jan 3, running                              -> alive
#   d: Feb 2, running (cohort 2024-02)             -> alive
HAND = [
    ("a", "2024-01-10", "2024-03-05", 50.0),
    ("a", "2024-04-01", None, 50.0),
    ("b", "2024-01-20", "2024-01-25", 20.0),
    ("c", "2024-01-03", None, 10.0),
    ("d", "2024-02-02", None, 10.0),
]


def test_first_life_rules_by_hand():
    table = mrrkit.cohort_survivors(lines(HAND), as_of="2024-04-30")
    assert table.loc["2024-01"].tolist() == [3.0, 2.0, 1.0, 1.0]
    assert table.loc["2024-02"].iloc[:3].tolist() == [1.0, 1.0, 1.0]
    # cohorts() counts the reactivation back in: 2 paying in April; the model does not.
    logos = mrrkit.cohorts(lines(HAND), "customers", as_of="2024-04-30")
    assert logos.loc["2024-01", 3] == pytest.approx(1.0)  # base 2 paying at end of Jan


def test_partial_last_month_is_left_out():
    # as_of April 15: April is not complete, the last month observed is March.
    table = mrrkit.cohort_survivors(lines(HAND), as_of="2024-04-15")
    assert table.columns.tolist() == [0, 1, 2]
    assert table.loc["2024-01"].tolist() == [3.0, 2.0, 1.0]
    # the March cohort (none here) and later are not in the table; the Feb cohort has ages 0, 1
    assert table.loc["2024-02"].tolist()[:2] == [1.0, 1.0]


def test_model_ltv_next_to_the_simple_ltv(paper_lines):
    got = mrrkit.model_ltv(paper_lines, as_of=AS_OF)
    mv = mrrkit.movements(paper_lines, as_of=AS_OF)
    table = mrrkit.monthly(mv)
    assert got.name == pd.Period("2024-08", "M")
    assert got["arpa"] == pytest.approx(table.loc["2024-08", "arpa"])
    assert got["simple_ltv"] == pytest.approx(mrrkit.ltv(table).loc["2024-08"])
    assert got["mean_churn_rate"] == pytest.approx(
        table["customer_churn_rate"].iloc[-6:].mean()
    )
    fit = mrrkit.fit_retention(mv)
    want_del = mrrkit.discounted_expected_lifetime(fit.alpha, fit.beta, 1.1 ** (1 / 12) - 1)
    assert got["del_months"] == pytest.approx(want_del)
    assert got["model_ltv"] == pytest.approx(got["arpa"] * want_del)
    assert got["expected_lifetime_months"] == np.inf  # alpha < 1


def test_monthly_discount():
    assert mrrkit.monthly_discount(0.0) == 0.0
    assert (1 + mrrkit.monthly_discount(0.1)) ** 12 == pytest.approx(1.1)
    with pytest.raises(ValueError, match="annual_discount"):
        mrrkit.monthly_discount(-0.1)


def test_no_churn_cannot_be_fitted():
    data = lines([("a", "2024-01-10", None, 10.0), ("b", "2024-01-12", None, 10.0)])
    with pytest.raises(ValueError, match="no customer churned"):
        mrrkit.fit_retention(data, as_of="2024-05-31")


def test_revenue_survival_by_hand():
    # Cohort Jan 2024: a (10) leaves in March; b (40, 60 from Feb 10) stays; c (50) leaves in
    # February.
    data = lines([
        ("a", "2024-01-05", "2024-03-10", 10.0),
        ("b", "2024-01-06", "2024-02-10", 40.0),
        ("b", "2024-02-10", None, 60.0),
        ("c", "2024-01-07", "2024-02-20", 50.0),
    ])
    curves = mrrkit.retention_curves(data, as_of="2024-04-30", weight="mrr")
    # age 1 (February): at risk 10 + 40 + 50 (end of January); c's 50 lost.
    # age 2 (March): at risk a 10 + b 60 (end of February); a's 10 lost.
    # age 3 (April): b 60, nobody lost.
    np.testing.assert_allclose(curves["observed"].iloc[:4],
                               [1.0, 0.5, 0.5 * (1 - 10 / 70), 0.5 * (1 - 10 / 70)])
    logo = mrrkit.retention_curves(data, as_of="2024-04-30")
    np.testing.assert_allclose(logo["observed"].iloc[:4], [1.0, 2 / 3, 1 / 3, 1 / 3])
    assert curves["at_risk"].tolist()[:4] == logo["at_risk"].tolist()[:4] == [3, 3, 2, 1]


def test_the_fits_revenue_sums_customer_by_customer():
    """MRR at risk and lost by age against a loop over customers and their month-end MRR."""
    from _synthetic import simulate_lines

    from mrrkit.engine.movements import CHURN
    from mrrkit.views.retention import mrr_at_month_end
    from mrrkit.models.retention_fit import first_lives, last_complete_month, lifetimes

    sim, as_of = simulate_lines(months=20, new_per_month=25, growth=0.0, seed=4)
    m = mrrkit.movements(sim, as_of=as_of).arrays
    last = last_complete_month(m.as_of)
    cust, cohort, duration, churned = lifetimes(m, last)
    # The fits' sums by cohort and age (what a database computes too), summed over cohorts.
    lost, risk = first_lives(m, last).revenue(int(duration.max()))
    month_end = {month: mrr_at_month_end(m, month) / 1e6
                 for month in range(int(cohort.min()), last + 1)}
    lost_mrr = {}
    for row in np.flatnonzero(m.kind == CHURN)[::-1]:
        lost_mrr[m.cust[row]] = m.before[row] / 1e6  # the first churn wins
    want_lost, want_risk = np.zeros(len(lost)), np.zeros(len(risk))
    for i, c, d, gone in zip(cust, cohort, duration, churned):
        for t in range(1, d + 1):
            if gone and t == d:
                want_lost[t - 1] += lost_mrr[i]
                want_risk[t - 1] += lost_mrr[i]
            else:
                want_risk[t - 1] += month_end[c + t - 1][i]
    np.testing.assert_allclose(lost, want_lost)
    np.testing.assert_allclose(risk, want_risk)
    revenue = mrrkit.fit_retention(sim, as_of=as_of, weight="mrr")
    logo = mrrkit.fit_retention(sim, as_of=as_of)
    assert revenue.n_obs == logo.n_obs == len(cust)
    with pytest.raises(ValueError, match="weight"):
        mrrkit.fit_retention(sim, as_of=as_of, weight="seats")


def test_pseudo_counts_carry_the_hazard():
    from mrrkit.models.retention_fit import km_hazard, pseudo_counts

    hazard = np.array([0.2, 0.5, 0.0, 0.9, 1.0])
    at_risk = np.array([100.0, 70.0, 40.0, 38.0, 5.0])
    lost, cens = pseudo_counts(hazard, at_risk)
    got, risk = km_hazard(lost, cens)
    np.testing.assert_allclose(got, hazard)
    assert (cens >= 0).all()
    # At risk as given, until a hazard above the customers' own leaves fewer than observed.
    np.testing.assert_allclose(risk[:2], at_risk[:2])
    assert risk[2] == pytest.approx(70 * 0.5)


def test_curves_and_fit_of_a_cohort_set(paper_lines):
    only_march = mrrkit.retention_curves(paper_lines, as_of=AS_OF, cohorts=["2024-03"])
    np.testing.assert_allclose(only_march["observed"].iloc[:6], np.array(HIGH_END[:6]) / 1000)
    assert only_march["at_risk"].iloc[0] == 1000
    want = mrrkit.fit_sbg(HIGH_END[:6])
    np.testing.assert_allclose(only_march["fitted"].iloc[:6], want.survival(np.arange(6)),
                               rtol=1e-6)
    fit = mrrkit.fit_retention(paper_lines, as_of=AS_OF, cohorts=[pd.Period("2024-03", "M")])
    assert fit.alpha == pytest.approx(want.alpha, rel=1e-6)
