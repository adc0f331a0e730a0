"""The sBG model: the published figures of Fader & Hardie (2007, 2010) and brute-force checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special
from scipy.optimize import minimize

import mrrkit
from mrrkit.models import sbg as survival
from mrrkit.models.sbg import (
    _as_counts,
    _fit_counts,
    _fit_counts_batch,
    _loglik_terms,
    _risk_sets,
)

# Fader & Hardie (2007), table 1: customers of 1,000 still active at the start of years 0..12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

# The paper's estimates come from years 0..7 (seven renewal opportunities), see its section
# "Estimation". Checked against the paper's text as quoted by pymc-marketing's tests
# (alpha 0.704 / beta 1.182 regular, 0.668 / 3.806 high end) and an independent R replication
# (high end: 0.668, 3.806, LL -1611.2).
PUBLISHED = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}

SETTINGS = settings(max_examples=150, deadline=None)


def brute_loglik(alpha, beta, alive):
    """Customer by customer: each lifetime's probability integrated over theta ~ Beta."""
    log_norm = special.betaln(alpha, beta)

    def pdf(th):  # Beta(alpha, beta) density, written out (scipy.stats is slow per point)
        return math.exp((alpha - 1) * math.log(th) + (beta - 1) * math.log1p(-th) - log_norm)

    def p_churn_at(t):
        return integrate.quad(lambda th: th * (1 - th) ** (t - 1) * pdf(th), 0, 1, limit=200)[0]

    def p_alive_after(t):
        return integrate.quad(lambda th: (1 - th) ** t * pdf(th), 0, 1, limit=200)[0]

    total = 0.0
    for t in range(1, len(alive)):
        lost = alive[t - 1] - alive[t]
        if lost:
            total += lost * np.log(p_churn_at(t))
    return total + alive[-1] * np.log(p_alive_after(len(alive) - 1))


def recursive_loglik(alpha, beta, alive):
    """The paper's appendix recursion: P(1) = a/(a+b), P(t) = P(t-1) (b+t-2)/(a+b+t-1)."""
    p = [alpha / (alpha + beta)]
    for t in range(2, len(alive)):
        p.append(p[-1] * (beta + t - 2) / (alpha + beta + t - 1))
    survival = 1 - sum(p)
    lost = -np.diff(alive)
    return float(np.sum(lost * np.log(p)) + alive[-1] * np.log(survival))


# --------------------------------------------------------------------------- published figures


@pytest.mark.parametrize("name, data", [("regular", REGULAR), ("high_end", HIGH_END)])
def test_paper_estimates_from_years_0_to_7(name, data):
    fit = mrrkit.fit_sbg(data[:8])
    alpha, beta = PUBLISHED[name]
    assert fit.alpha == pytest.approx(alpha, abs=6e-4)
    assert fit.beta == pytest.approx(beta, abs=6e-4)
    assert fit.n_obs == 1000


def test_high_end_loglik_matches_the_published_replication():
    assert mrrkit.fit_sbg(HIGH_END[:8]).loglik == pytest.approx(-1611.16, abs=0.01)


@pytest.mark.parametrize("data, tolerance", [(REGULAR, 0.02), (HIGH_END, 0.045)])
def test_projection_of_the_held_out_years_8_to_12(data, tolerance):
    # The paper's point: two parameters fitted on 7 years project years 8-12 within a few %.
    fit = mrrkit.fit_sbg(data[:8])
    projected = 1000 * fit.survival(np.arange(8, 13))
    np.testing.assert_allclose(projected, data[8:], rtol=tolerance)
    # ...and reproduce the calibration years closely.
    np.testing.assert_allclose(1000 * fit.survival(np.arange(8)), data[:8], rtol=0.03)


@pytest.mark.parametrize("data", [REGULAR, HIGH_END])
def test_five_point_fit_is_the_maximum_of_the_recursive_likelihood(data):
    # Years 0..4 only (as in Fader & Hardie's spreadsheet note): not the published estimates,
    # which use years 0..7, but the same maximum an independent optimiser finds.
    fit = mrrkit.fit_sbg(data[:5])
    res = minimize(lambda x: -recursive_loglik(*np.exp(x), np.array(data[:5], float)),
                   [0.0, 0.0], method="Nelder-Mead",
                   options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 4000})
    np.testing.assert_allclose([fit.alpha, fit.beta], np.exp(res.x), rtol=1e-4)
    assert fit.loglik == pytest.approx(-res.fun, abs=1e-6)


def test_five_point_fit_projects_regular_years_5_to_7():
    fit = mrrkit.fit_sbg(REGULAR[:5])
    projected = 1000 * fit.survival([5, 6, 7])
    # 284.5, 253.7, 229.6 against 289, 262, 241 observed.
    np.testing.assert_allclose(projected, REGULAR[5:8], rtol=0.05)
    assert (projected < REGULAR[5:8]).all()


def test_derl_matches_table_3_of_the_2010_paper():
    # Fader & Hardie (2010), table 3, d = 10%, for customers with 0..4 renewals (n = 1..5 in the
    # paper's notation of n-1 renewals), as quoted by pymc-marketing's tests. The parameters are
    # printed to 2-3 significant digits, hence the 0.015 tolerance.
    case1 = [3.31, 3.45, 3.59, 3.72, 3.84]
    case2 = [7.68, 9.46, 9.86, 10.06, 10.19]
    n = np.arange(5)
    np.testing.assert_allclose(mrrkit.derl(3.80, 15.20, n, 0.10), case1, atol=0.015)
    np.testing.assert_allclose(mrrkit.derl(0.067, 0.267, n, 0.10), case2, atol=0.015)


# --------------------------------------------------------------------------- likelihood


@settings(max_examples=60, deadline=None)  # numerical integration per customer: keep it modest
@given(
    alpha=st.floats(0.2, 5.0),
    beta=st.floats(0.2, 10.0),
    losses=st.lists(st.integers(0, 30), min_size=1, max_size=5),
    survivors=st.integers(0, 40),
)
def test_loglik_matches_customer_by_customer_integration(alpha, beta, losses, survivors):
    alive = [int(sum(losses) + survivors)]
    for lost in losses:
        alive.append(alive[-1] - lost)
    got = survival.sbg_loglik(alpha, beta, alive)
    assert got == pytest.approx(brute_loglik(alpha, beta, alive), rel=1e-6, abs=1e-6)
    assert got == pytest.approx(recursive_loglik(alpha, beta, np.array(alive, float)), rel=1e-9)


def test_joint_fit_of_sequences_of_different_lengths():
    # Right-censoring: the second cohort is seen for 3 years only. The joint log-likelihood is the
    # sum of the cohorts' own, and the fit maximises it.
    seqs = [REGULAR[:8], REGULAR[:4]]
    fit = mrrkit.fit_sbg(seqs)
    assert fit.n_obs == 2000
    total = survival.sbg_loglik(fit.alpha, fit.beta, seqs)
    assert total == pytest.approx(
        sum(survival.sbg_loglik(fit.alpha, fit.beta, s) for s in seqs), rel=1e-12
    )
    assert fit.loglik == pytest.approx(total, rel=1e-9)
    for da, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        assert survival.sbg_loglik(fit.alpha + da, fit.beta + db, seqs) < total
    # Order of the sequences does not matter.
    other = mrrkit.fit_sbg(seqs[::-1])
    assert (other.alpha, other.beta) == pytest.approx((fit.alpha, fit.beta), rel=1e-6)


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    theta = rng.beta(0.8, 3.0, size=20000)
    lifetime = rng.geometric(theta)  # renewal opportunity at which each one leaves
    alive = [int((lifetime > t).sum()) for t in range(10)]
    fit = mrrkit.fit_sbg(alive)
    assert fit.alpha == pytest.approx(0.8, rel=0.1)
    assert fit.beta == pytest.approx(3.0, rel=0.12)


def test_batched_newton_fit_agrees_with_the_scipy_fit():
    lost, cens, n = _as_counts([REGULAR[:8], HIGH_END[:6]])
    rng = np.random.default_rng(3)
    cells = np.concatenate((lost, cens))
    draws = rng.multinomial(int(cells.sum()), cells / cells.sum(), size=25).astype(float)
    t = len(lost)
    x = _fit_counts_batch(draws[:, :t], draws[:, t:], np.log([1.0, 1.0]))
    for row, params in zip(draws, np.exp(x)):
        fit = _fit_counts(row[:t], row[t:], int(row.sum()))
        np.testing.assert_allclose(params, [fit.alpha, fit.beta], rtol=1e-5)


@pytest.mark.parametrize(
    "alive, match",
    [
        ([1000], "at least one later count"),
        ([1000, 1200], "increases"),
        ([1000, -1], "negative"),
        ([100, 100, 100], "no customer churned"),
        ([], "sequence"),
    ],
)
def test_bad_survivor_counts(alive, match):
    with pytest.raises(ValueError, match=match):
        mrrkit.fit_sbg(alive)


def test_rising_churn_ends_at_the_homogeneous_limit():
    # Churn 60% then 100%: the sBG can only fall with age, so the best it can do is no
    # heterogeneity at all (alpha, beta at the edge of the box), one geometric rate of
    # 100 churns / 140 customer-periods at risk.
    fit = mrrkit.fit_sbg([100, 40, 0])
    assert fit.alpha + fit.beta > 1e4
    assert fit.hazard(1) == pytest.approx(100 / 140, rel=1e-3)
    assert fit.hazard(2) == pytest.approx(100 / 140, rel=1e-3)


def test_a_fit_that_runs_to_the_edge_is_finished_there():
    # One churn rate for everyone: the likelihood rises along a ridge (alpha and beta growing
    # together) to the box's edge, so flat that BFGS stopped wherever its tolerance was met, a
    # point that moved with the CPU (alpha 638.45 on one, 637.34 on another, for the same
    # counts). The fit is finished on the edge: beta at its limit, alpha the best one there,
    # found here on a grid of the public likelihood (an independent computation).
    alive = [round(10_000 * 0.994**t) for t in range(48)]
    fit = mrrkit.fit_sbg(alive)
    assert fit.beta == pytest.approx(survival._BOX[1], rel=1e-12)
    grid = fit.alpha * np.exp(np.linspace(-0.02, 0.02, 4001))  # steps of 1e-5 in log alpha
    ll = np.array([survival.sbg_loglik(a, fit.beta, alive) for a in grid])
    assert abs(np.log(grid[ll.argmax()] / fit.alpha)) <= 1e-5
    assert fit.loglik >= ll.max() - 1e-9
    assert fit.loglik > survival.sbg_loglik(fit.alpha / 2, fit.beta / 2, alive)  # the ridge


# --------------------------------------------------------------------------- curves


@SETTINGS
@given(alpha=st.floats(0.01, 50.0), beta=st.floats(0.01, 50.0))
def test_survival_falls_and_retention_rises_with_age(alpha, beta):
    fit = mrrkit.SBGFit(alpha=alpha, beta=beta, loglik=0.0, n_obs=0)
    t = np.arange(0, 40)
    s = fit.survival(t)
    assert s[0] == pytest.approx(1.0)
    assert (np.diff(s) < 0).all()
    r = fit.retention(t[1:])
    assert (np.diff(r) > 0).all()
    np.testing.assert_allclose(s[1:] / s[:-1], r, rtol=1e-9)
    np.testing.assert_allclose(s[:-1] - s[1:], fit.churn_probability(t[1:]), rtol=1e-8,
                               atol=1e-300)
    np.testing.assert_allclose(fit.hazard(t[1:]), 1 - r, rtol=1e-9)


def test_scalar_in_scalar_out():
    fit = mrrkit.fit_sbg(REGULAR[:8])
    assert isinstance(fit.survival(3), float)
    assert isinstance(fit.retention(3), float)
    assert fit.retention(1) == pytest.approx(1.182 / (0.704 + 1.182), abs=1e-3)


# --------------------------------------------------------------------------- DERL / DEL


def brute_derl(alpha, beta, n, d, horizon=20000):
    t = np.arange(n + 1, n + 1 + horizon)
    fit = mrrkit.SBGFit(alpha, beta, 0.0, 0)
    discount = np.exp(-(t - n - 1) * np.log1p(d))
    return float(np.sum(fit.survival(t) / fit.survival(n) * discount))


@SETTINGS
@given(
    alpha=st.floats(0.05, 20.0),
    beta=st.floats(0.05, 20.0),
    n=st.integers(0, 30),
    d=st.floats(0.005, 0.5),
)
def test_derl_equals_the_discounted_sum(alpha, beta, n, d):
    got = mrrkit.derl(alpha, beta, n, d)
    assert got == pytest.approx(brute_derl(alpha, beta, n, d), rel=1e-6)


@SETTINGS
@given(alpha=st.floats(0.05, 20.0), beta=st.floats(0.05, 20.0), d=st.floats(0.001, 0.5))
def test_del_is_one_payment_plus_the_residual_of_a_new_customer(alpha, beta, d):
    got = mrrkit.discounted_expected_lifetime(alpha, beta, d)
    # scipy's 2F1 is good to ~1e-8 relative near z = 1 with alpha near 1 (the series barely
    # converges there); elsewhere to ~1e-13.
    assert got == pytest.approx(1 + mrrkit.derl(alpha, beta, 0, d) / (1 + d), rel=1e-7)
    assert survival.del_(alpha, beta, d) == got


def test_undiscounted_lifetime():
    # alpha > 1: the mean of the lifetime (a+b-1)/(a-1); alpha <= 1: infinite.
    assert survival.del_(3.0, 4.0, 0.0) == pytest.approx(3.0)
    assert survival.del_(3.0, 4.0, 1e-9) == pytest.approx(3.0, rel=1e-6)
    assert survival.del_(0.9, 4.0, 0.0) == np.inf
    assert mrrkit.derl(3.0, 4.0, 2, 0.0) == pytest.approx(brute_derl(3.0, 4.0, 2, 0.0, 10**6),
                                                           rel=1e-4)


def test_heterogeneity_raises_residual_lifetime_with_tenure():
    # The 2010 paper's point: a customer who renewed more often is worth more.
    values = mrrkit.derl(0.704, 1.182, np.arange(10), 0.1)
    assert (np.diff(values) > 0).all()


@pytest.mark.parametrize(
    "args, match",
    [
        ((0.0, 1.0, 0, 0.1), "positive"),
        ((1.0, 1.0, -1, 0.1), "renewals"),
        ((1.0, 1.0, 1.5, 0.1), "renewals"),
        ((1.0, 1.0, 0, -0.1), "discount"),
    ],
)
def test_derl_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        mrrkit.derl(*args)


@SETTINGS
@given(alpha=st.floats(0.05, 20.0), beta=st.floats(0.05, 200.0))
def test_median_lifetime_is_where_half_the_cohort_has_left(alpha, beta):
    fit = mrrkit.SBGFit(alpha, beta, 0.0, 0)
    t = fit.median_lifetime()
    if t == float("inf"):
        assert fit.survival(1_000_000) > 0.5
    elif t < 5000:  # brute force: walk the curve
        s = fit.survival(np.arange(int(t) + 1))
        assert s[-1] <= 0.5 and (s[:-1] > 0.5).all()
    else:
        assert fit.survival(t) <= 0.5 < fit.survival(t - 1)


def test_median_lifetime_of_the_paper_and_a_cohort_that_never_halves():
    # observed: 517 left after 6 years, 491 after 7
    assert mrrkit.fit_sbg(HIGH_END[:8]).median_lifetime() == 7.0
    assert mrrkit.SBGFit(0.01, 1000.0, 0.0, 0).median_lifetime() == float("inf")


def test_derl_at_alpha_one_near_no_discount():
    # scipy's hyp2f1(1, b; b + 1; z) breaks down near z = 1 (it gave a negative DERL here).
    for alpha, beta, d in [(1.0, 0.05, 0.001953125), (1.0, 3.0, 1e-4), (0.999999, 0.5, 0.002)]:
        for n in (0, 3):
            got = mrrkit.derl(alpha, beta, n, d)
            assert got == pytest.approx(brute_derl(alpha, beta, n, d, horizon=2_000_000), rel=1e-6)
        assert survival.del_(alpha, beta, d) == pytest.approx(
            1 + mrrkit.derl(alpha, beta, 0, d) / (1 + d), rel=1e-9)
    # the edge of the fit's search box
    assert survival.del_(1e-4, 1e5, 0.01) == pytest.approx(brute_del_edge(1e-4, 1e5, 0.01), rel=1e-6)


def brute_del_edge(alpha, beta, d, horizon=20000):
    t = np.arange(horizon)
    discount = np.exp(-t * np.log1p(d))
    return float(np.sum(mrrkit.SBGFit(alpha, beta, 0.0, 0).survival(t) * discount))


@pytest.mark.parametrize("alpha, beta", [(5e4, 9e4), (2e3, 5e4), (40.0, 1e5), (0.05, 40.0)])
def test_del_with_large_parameters(alpha, beta):
    # A near-homogeneous population (the fit's box edge): both Beta parameters large.
    got = survival.del_(alpha, beta, 0.008)
    assert np.isfinite(got)
    assert got == pytest.approx(brute_del_edge(alpha, beta, 0.008, horizon=200_000), rel=1e-9)
    assert got == pytest.approx(1 + mrrkit.derl(alpha, beta, 0, 0.008) / 1.008, rel=1e-9)


# --------------------------------------------------------------------------- batch refits


def exact_loglik(alpha, beta, lost, cens):
    """Eq. B3 of the paper in 40-digit decimal arithmetic (the paper's recursion in logs)."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 40
        a, b = Decimal(alpha), Decimal(beta)
        total, log_s = Decimal(0), Decimal(0)
        for i, (lo, ce) in enumerate(zip(lost, cens)):
            r = a / (a + b + i)  # hazard at the (i+1)-th renewal opportunity
            if lo:
                total += Decimal(lo) * (log_s + r.ln())
            log_s += (1 - r).ln()
            if ce:
                total += Decimal(ce) * log_s
        return float(total)


BOX_POINTS = [(1.0, 1.0), (0.7, 1.2), (1e-4, 1e5), (1e5, 1e-4), (1e4, 1e5), (1e5, 1e5),
              (1.65, 1e5), (33.0, 270.0), (1e-4, 1e-4)]


@pytest.mark.parametrize("alpha, beta", BOX_POINTS)
def test_batch_likelihood_is_exact_across_the_box(alpha, beta):
    # The refits' likelihood (hazard form) to rounding, on the box's edges too, where the
    # betaln differences of the textbook form lose up to 5 digits (2e-11 at 1e4, 1e5).
    lost, cens, _ = _as_counts([REGULAR, REGULAR[:6], HIGH_END[:9]])
    at_risk, stayed = _risk_sets(lost, cens)
    x = np.log([[alpha, beta]])
    ll, grad, hess = _loglik_terms(x, lost[None], at_risk[None], stayed[None], hessian=True)
    exact = exact_loglik(alpha, beta, lost, cens)
    assert ll[0] == pytest.approx(exact, rel=1e-14)
    # Gradient and Hessian: central differences of the exact value and of the gradient.
    h = 1e-5
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        up = exact_loglik(*np.exp(x[0] + step), lost, cens)
        down = exact_loglik(*np.exp(x[0] - step), lost, cens)
        assert grad[0, j] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-6)
        _, g_up = _loglik_terms(x + step, lost[None], at_risk[None], stayed[None])
        _, g_down = _loglik_terms(x - step, lost[None], at_risk[None], stayed[None])
        np.testing.assert_allclose(hess[0, :, j], (g_up[0] - g_down[0]) / (2 * h),
                                   rtol=1e-5, atol=1e-6)


@SETTINGS
@given(
    alpha=st.floats(0.05, 50.0),
    beta=st.floats(0.05, 500.0),
    losses=st.lists(st.integers(0, 30), min_size=1, max_size=12),
    survivors=st.integers(0, 40),
)
def test_batch_likelihood_matches_the_textbook_form(alpha, beta, losses, survivors):
    alive = [int(sum(losses) + survivors)]
    for lost in losses:
        alive.append(alive[-1] - lost)
    got = survival.sbg_loglik(alpha, beta, alive)  # the textbook form
    lost, cens, _ = _as_counts(alive)
    at_risk, stayed = _risk_sets(lost, cens)
    ll, _ = _loglik_terms(np.log([[alpha, beta]]), lost[None], at_risk[None], stayed[None])
    assert ll[0] == pytest.approx(exact_loglik(alpha, beta, lost, cens), rel=1e-13, abs=1e-13)
    assert ll[0] == pytest.approx(got, rel=1e-9)


def _reference_maximum(lost, cens):
    """An independent maximum within the box: the textbook likelihood maximised by L-BFGS-B
    from five starts (one on the edge of a homogeneous population, with its pooled churn rate),
    the best polished by Nelder-Mead; its log-likelihood (exact arithmetic)."""
    lo, hi = np.log(1e-4), np.log(1e5)
    alive = _alive(lost, cens)

    def minus(x):
        return -survival.sbg_loglik(*np.exp(np.clip(x, lo, hi)), alive)

    at_risk, _ = _risk_sets(lost, cens)
    pooled = lost.sum() / at_risk.sum()
    edge = (np.log(pooled / (1 - pooled) * 1e5), hi)
    starts = [minimize(minus, start, method="L-BFGS-B", bounds=[(lo, hi)] * 2)
              for start in ((0.0, 0.0), (2.0, 4.0), (-3.0, 1.0), (8.0, 11.0), edge)]
    best = min(starts, key=lambda r: r.fun)
    res = minimize(minus, best.x, method="Nelder-Mead", bounds=[(lo, hi)] * 2,
                   options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 2000})
    x = res.x if res.fun < best.fun else best.x
    return exact_loglik(*np.exp(np.clip(x, lo, hi)), lost, cens)


def _alive(lost, cens):
    """One survivor sequence per censoring age: counts back in the form fit_sbg reads."""
    seqs = []
    for t in np.flatnonzero(cens):
        seqs.append([cens[t]] * (t + 2))
    alive = np.zeros(len(lost) + 1)
    alive[0] = lost.sum()
    alive[1:] = lost.sum() - np.cumsum(lost)
    return [list(alive)] + seqs


def _replicates(lifetimes, horizon, n_rep, seed):
    """Bootstrap replicates (as the forecast draws them) of customers' lifetimes: counts lost
    and censored by age, censored at ``horizon``."""
    t = np.minimum(lifetimes, horizon + 1)
    lost = np.bincount(t[t <= horizon] - 1, minlength=horizon).astype(float)
    cens = np.zeros(horizon)
    cens[-1] = (t > horizon).sum()
    cells = np.concatenate((lost, cens))
    draws = np.random.default_rng(seed).multinomial(int(cells.sum()), cells / cells.sum(),
                                                    size=n_rep).astype(float)
    return lost, cens, draws[:, :horizon], draws[:, horizon:]


@pytest.mark.parametrize(
    "theta, horizon",
    [
        (("beta", 0.8, 3.0), 30),  # heterogeneous: an interior maximum
        (("fixed", 0.08, None), 40),  # homogeneous: the likelihood rises towards the box edge
        (("beta", 40.0, 400.0), 40),  # nearly homogeneous: a long, flat ridge
    ],
)
def test_batch_refits_reach_the_maximum_likelihood(theta, horizon):
    # Every replicate's likelihood is the maximum an independent optimiser finds, to 1e-12 of
    # its value. (Refits that crept along a flat ridge for 50 iterations stopped short of it:
    # up to 1e-4 below on the sample's segments.)
    rng = np.random.default_rng(11)
    kind, a, b = theta
    p = rng.beta(a, b, size=300) if kind == "beta" else np.full(300, a)
    lost, cens, d_lost, d_cens = _replicates(rng.geometric(p), horizon, 8, seed=4)
    start = np.log([_fit_counts(lost, cens, 300).alpha, _fit_counts(lost, cens, 300).beta])
    x = _fit_counts_batch(d_lost, d_cens, start)
    for row in range(len(x)):
        got = exact_loglik(*np.exp(x[row]), d_lost[row], d_cens[row])
        best = _reference_maximum(d_lost[row], d_cens[row])
        assert got >= best - 1e-12 * abs(best), (row, np.exp(x[row]))


@pytest.mark.slow
def test_batch_refit_of_a_homogeneous_population_is_its_pooled_rate_in_few_steps(monkeypatch):
    # Constant churn: a replicate whose draws show no heterogeneity has its maximum on the
    # box's edge (beta = 1e5, a geometric lifetime) with the pooled rate (churns / customer-
    # periods at risk) as its hazard; the others an interior one. Every replicate gets to its
    # maximum in a handful of Newton steps (no creeping along the ridge).
    rng = np.random.default_rng(2)
    lost, cens, d_lost, d_cens = _replicates(rng.geometric(np.full(400, 0.05)), 40, 16, seed=8)
    fit = _fit_counts(lost, cens, 400)  # the forecast starts its refits from the data's fit
    calls = []
    real = survival._loglik_terms
    monkeypatch.setattr(survival, "_loglik_terms",
                        lambda *a, **k: calls.append(len(a[0])) or real(*a, **k))
    monkeypatch.setattr(survival, "_MAX_ITERATIONS", 15)
    x = _fit_counts_batch(d_lost, d_cens, np.log([fit.alpha, fit.beta]))
    assert len(calls) <= 30
    at_risk, _ = _risk_sets(d_lost, d_cens)
    pooled = d_lost.sum(1) / at_risk.sum(1)
    on_edge = np.exp(x[:, 1]) >= 1e5 * (1 - 1e-12)
    assert 0 < on_edge.sum() < len(x)
    for row in range(len(x)):
        if on_edge[row]:
            # (on the edge the hazard still falls by (t - 1) / (alpha + beta): 4e-4 by 40)
            fit = mrrkit.SBGFit(*np.exp(x[row]), 0.0, 0)
            assert fit.hazard(1) == pytest.approx(pooled[row], rel=1e-3)
            assert fit.hazard(40) == pytest.approx(pooled[row], rel=1e-3)
        best = _reference_maximum(d_lost[row], d_cens[row])
        got = exact_loglik(*np.exp(x[row]), d_lost[row], d_cens[row])
        assert got >= best - 1e-12 * abs(best), (row, np.exp(x[row]))


def test_the_same_counts_are_fitted_once():
    lost, cens, n = _as_counts(REGULAR[:8])
    first = _fit_counts(lost, cens, n)
    assert _fit_counts(lost.copy(), list(cens), n) is first  # remembered by value
    assert _fit_counts(lost, cens, n + 1) is not first
    other = _fit_counts(lost + np.eye(len(lost))[0], cens, n)
    assert other.alpha != first.alpha


def test_standard_errors_are_those_of_the_numerical_hessian():
    """The standard errors of log alpha and log beta behind the 'flat likelihood' flag: the
    inverse of minus the Hessian of the published log-likelihood, by finite differences."""
    from mrrkit.models.sbg import _at_edge, _log_standard_errors

    alive = REGULAR[:8]
    fit = mrrkit.fit_sbg(alive)
    x0 = np.log([fit.alpha, fit.beta])
    h = 1e-4

    def ll(x):
        return survival.sbg_loglik(*np.exp(x), alive)

    hess = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (ll(x0 + ei + ej) - ll(x0 + ei - ej) - ll(x0 - ei + ej)
                          + ll(x0 - ei - ej)) / (4 * h * h)
    want = np.sqrt(np.diag(np.linalg.inv(-hess)))
    lost, cens, _ = _as_counts(alive)
    assert _log_standard_errors(fit, lost, cens) == pytest.approx(want, rel=1e-4)
    assert _at_edge(fit) == []
    # On the box's edge: said, with the edge's value
    edge = mrrkit.SBGFit(0.5, 1e5, 0.0, 0)
    assert _at_edge(edge) == [("beta", "high", 1e5)]
    assert _at_edge(mrrkit.SBGFit(1e-4, 3.0, 0.0, 0)) == [("alpha", "low", 1e-4)]
    # A likelihood with no curvature in one direction (one age observed: only the mean churn
    # alpha / (alpha + beta) is known): infinite or huge standard errors
    lost1, cens1, _ = _as_counts([1000, 700])
    one = mrrkit.fit_sbg([1000, 700])
    assert min(_log_standard_errors(one, lost1, cens1)) > 10
