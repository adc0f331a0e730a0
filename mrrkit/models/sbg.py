"""The shifted-beta-geometric (sBG) retention model and the customer lifetimes it implies.

Fader & Hardie's model of contractual churn ("How to Project Customer Retention", Journal of
Interactive Marketing 21(1), 2007): every period a customer renews with its own probability
``1 - theta``; ``theta`` varies across customers following a ``Beta(alpha, beta)`` distribution.
Heterogeneity alone makes a cohort's retention rate rise with age (the churn-prone leave first),
which is what observed cohorts show, so two parameters project a retention curve far beyond the
data. Periods are whatever the counts are taken at (years in the paper, months in mrrkit).

With ``t = 1, 2, ...`` renewal opportunities:

- churn probability ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``;
- survival ``S(t) = B(alpha, beta + t) / B(alpha, beta)`` (``S(0) = 1``);
- retention rate ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``.

Discounted lifetimes (Fader & Hardie, "Customer-Base Valuation in a Contractual Setting: The
Perils of Ignoring Heterogeneity", Marketing Science 29(1), 2010) use the Gaussian hypergeometric
function ``2F1(1, b; c; z)``, computed from Euler's integral (:func:`scipy.integrate.quad`):
:func:`scipy.special.hyp2f1` is wrong near ``z = 1`` when ``alpha = 1``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import IntegrationWarning, quad
from scipy.optimize import minimize, minimize_scalar
from scipy.special import betaln, digamma, gammaln, hyp2f1

__all__ = [
    "SBGFit",
    "del_",
    "derl",
    "discounted_expected_lifetime",
    "fit_sbg",
    "sbg_loglik",
]

# Search box for log(alpha) and log(beta): wide enough for any real cohort (alpha or beta of
# 1e-4 or 1e5 already means "no heterogeneity" or "nobody churns"), narrow enough that the
# optimiser never wanders into overflow.
_BOX = (1e-4, 1e5)
_LOG_BOUNDS = (np.log(_BOX[0]), np.log(_BOX[1]))


@dataclass(frozen=True)
class SBGFit:
    """A fitted shifted-beta-geometric model.

    Attributes
    ----------
    alpha, beta : float
        Parameters of the Beta distribution of the per-period churn probability across customers
        (mean churn probability of a new customer ``alpha / (alpha + beta)``).
    loglik : float
        Maximised log-likelihood.
    n_obs : int
        Number of customers the fit saw (the sum of the cohort sizes).
    """

    alpha: float
    beta: float
    loglik: float
    n_obs: int

    def survival(self, t) -> np.ndarray | float:
        """``S(t)``: probability that a new customer is still alive after ``t`` renewal
        opportunities (``S(0) = 1``). Vectorised over ``t``."""
        t = np.asarray(t, dtype="float64")
        out = np.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta))
        return float(out) if out.ndim == 0 else out

    def retention(self, t) -> np.ndarray | float:
        """``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``, ``t >= 1``: the
        share of the customers alive at ``t - 1`` who renew at ``t``. Rises with ``t``."""
        t = np.asarray(t, dtype="float64")
        out = (self.beta + t - 1) / (self.alpha + self.beta + t - 1)
        return float(out) if out.ndim == 0 else out

    def churn_probability(self, t) -> np.ndarray | float:
        """``P(T = t) = S(t-1) - S(t)``, ``t >= 1``: probability that a new customer leaves at
        exactly the ``t``-th renewal opportunity."""
        t = np.asarray(t, dtype="float64")
        out = np.exp(betaln(self.alpha + 1, self.beta + t - 1) - betaln(self.alpha, self.beta))
        return float(out) if out.ndim == 0 else out

    def median_lifetime(self) -> float:
        """Renewal opportunities after which half of a new cohort has left: the smallest whole
        ``t`` with ``S(t) <= 0.5`` (``inf`` when that takes more than a million periods).
        Finite even when the mean lifetime is not (``alpha <= 1``).

        Examples
        --------
        >>> SBGFit(0.704, 1.182, 0.0, 0).median_lifetime()   # F&H 2007 regular: 631, 468...
        2.0
        """
        hi = 1
        while self.survival(hi) > 0.5:
            if hi > 1_000_000:
                return float("inf")
            hi *= 2
        lo = hi // 2  # S(lo) > 0.5 >= S(hi), or lo = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.survival(mid) > 0.5:
                lo = mid
            else:
                hi = mid
        return float(hi)

    def hazard(self, t) -> np.ndarray | float:
        """``1 - r(t) = alpha / (alpha + beta + t - 1)``: churn rate at ``t`` among survivors."""
        t = np.asarray(t, dtype="float64")
        out = self.alpha / (self.alpha + self.beta + t - 1)
        return float(out) if out.ndim == 0 else out


def _as_counts(alive) -> tuple[np.ndarray, np.ndarray, int]:
    """Survivor sequences -> (lost[t], censored[t]) for t = 1..T_max, and the customer count.

    ``lost[t-1]`` customers left at the ``t``-th opportunity; ``censored[t-1]`` were last seen
    alive after ``t`` opportunities (the end of their sequence).
    """
    seqs = alive
    if isinstance(seqs, np.ndarray) and seqs.ndim == 1:
        seqs = [seqs]
    elif not isinstance(seqs, (list, tuple, np.ndarray)) or len(seqs) == 0:
        raise ValueError("alive must be a sequence of survivor counts or a list of them")
    elif np.isscalar(seqs[0]):
        seqs = [seqs]
    arrays = []
    for i, seq in enumerate(seqs):
        a = np.asarray(seq, dtype="float64")
        if a.ndim != 1 or len(a) < 2:
            raise ValueError(
                f"survivor sequence {i} needs the cohort size and at least one later count, "
                f"got {seq!r}"
            )
        if not np.all(np.isfinite(a)) or (a < 0).any():
            raise ValueError(f"survivor sequence {i} has negative or missing counts")
        if (np.diff(a) > 0).any():
            raise ValueError(
                f"survivor sequence {i} increases ({a.tolist()}): survivors of a cohort can "
                "only stay level or fall"
            )
        arrays.append(a)
    t_max = max(len(a) for a in arrays) - 1
    lost = np.zeros(t_max)
    cens = np.zeros(t_max)
    for a in arrays:
        lost[: len(a) - 1] += a[:-1] - a[1:]
        cens[len(a) - 2] += a[-1]
    n = int(round(sum(a[0] for a in arrays)))
    return lost, cens, n


def _loglik(log_ab: np.ndarray, lost: np.ndarray, cens: np.ndarray, value: bool = True):
    """Log-likelihood and its gradient in (log alpha, log beta); vectorised over a leading axis.

    ``log_ab`` has shape (..., 2); ``lost``/``cens`` shape (..., T). With ``value=False`` the
    log-likelihood is not computed (``None``): its ``betaln`` terms cost 10x the gradient.
    """
    a = np.exp(log_ab[..., 0])[..., None]
    b = np.exp(log_ab[..., 1])[..., None]
    t = np.arange(1, lost.shape[-1] + 1, dtype="float64")
    ll = None
    if value:
        base = betaln(a, b)
        # Cells with no customers contribute 0; computing them anyway keeps the arrays regular.
        ll = (lost * (betaln(a + 1, b + t - 1) - base)).sum(-1) + (
            cens * (betaln(a, b + t) - base)
        ).sum(-1)
    dab = digamma(a + b)
    dabt = digamma(a + b + t)
    db = digamma(b)
    g_a = (lost * (1.0 / a - dabt + dab)).sum(-1) + (cens * (dab - dabt)).sum(-1)
    g_b = (lost * (digamma(b + t - 1) - dabt - db + dab)).sum(-1) + (
        cens * (digamma(b + t) - dabt - db + dab)
    ).sum(-1)
    # Chain rule to log-parameters.
    grad = np.stack((g_a * a[..., 0], g_b * b[..., 0]), axis=-1)
    return ll, grad


def sbg_loglik(alpha: float, beta: float, alive) -> float:
    """Log-likelihood of survivor counts under an sBG(alpha, beta) model (Fader & Hardie 2007,
    eq. B3), summed over sequences: ``sum_t lost_t ln P(T=t) + survivors_T ln S(T)``."""
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"alpha and beta must be positive, got {alpha!r}, {beta!r}")
    lost, cens, _ = _as_counts(alive)
    ll, _ = _loglik(np.log([alpha, beta]), lost, cens)
    return float(ll)


def _fit_counts(lost: np.ndarray, cens: np.ndarray, n: int) -> SBGFit:
    """The fit of :func:`fit_sbg` from lost/censored counts by age, remembered by the counts'
    exact values (the last 256): a page fits the same counts for its retention table and for
    its forecast. The result is immutable, so sharing it is safe."""
    lost = np.ascontiguousarray(lost, dtype="float64")
    cens = np.ascontiguousarray(cens, dtype="float64")
    if lost.sum() <= 0:
        raise ValueError(
            "no customer churned in the data: the churn distribution cannot be estimated"
        )
    return _fit_counts_of(lost.tobytes(), cens.tobytes(), int(n))


@lru_cache(maxsize=256)
def _fit_counts_of(lost_bytes: bytes, cens_bytes: bytes, n: int) -> SBGFit:
    lost = np.frombuffer(lost_bytes, dtype="float64")
    cens = np.frombuffer(cens_bytes, dtype="float64")
    # Everybody churned (no survivors at all) is fine: the MLE runs to the edge of the box.
    total = lost.sum() + cens.sum()

    lo, hi = _LOG_BOUNDS

    def objective(x):
        inside = np.clip(x, lo, hi)
        ll, g = _loglik(inside, lost, cens)
        # Outside the box the objective is flat, so the optimiser stops at the edge (e.g. a
        # cohort that churned completely drives beta to 0).
        g = np.where(inside == x, g, 0.0)
        # Scale by the customer count so the tolerances mean the same for 50 or 50,000.
        return -ll / total, -g / total

    best = None
    # BFGS on (log alpha, log beta) with the analytic gradient (L-BFGS-B's Fortran core was
    # 10x slower here on this 2-parameter problem). A second start, from a homogeneous
    # population, only when the first does not converge.
    for start in ((0.0, 0.0), (2.0, 4.0)):
        res = minimize(objective, np.array(start), jac=True, method="BFGS",
                       options={"gtol": 1e-8, "maxiter": 500})
        if best is None or res.fun < best.fun:
            best = res
        # "Precision loss" at a vanishing gradient is the optimum reached to machine precision.
        if res.success or np.abs(res.jac).max() < 1e-6:
            break
    x, fun = _finished_at_edge(np.clip(best.x, lo, hi), objective)
    alpha, beta = (float(v) for v in np.exp(x))
    return SBGFit(alpha=alpha, beta=beta, loglik=float(-fun * total), n_obs=n)


#: How near the box's edge (in log) a BFGS stop is taken as heading for it.
_EDGE_REACH = 0.05


def _finished_at_edge(x: np.ndarray, objective) -> tuple[np.ndarray, float]:
    """The fit ``x`` (log alpha, log beta) finished on the search box's edge when BFGS stopped
    near it, with the objective's value there.

    Near the edge the likelihood runs along a ridge (alpha and beta growing together: the data
    cannot tell a mix of churn rates from one rate) so flat that BFGS stops wherever its
    tolerance is met, a point that depends on the machine's floating point (seen: alpha 638.45
    on one CPU, 637.34 on another, for the same counts). The parameter near the edge is pinned
    to it and the other one fitted alone (a well-posed one-dimensional problem), kept when the
    likelihood there is at least as high.
    """
    lo, hi = _LOG_BOUNDS
    fun = float(objective(x)[0])
    for i in (0, 1):
        for edge in (lo, hi):
            if abs(x[i] - edge) > _EDGE_REACH:
                continue
            j = 1 - i

            def along(v: float, i=i, j=j, edge=edge) -> float:
                y = np.empty(2)
                y[i], y[j] = edge, v
                return float(objective(y)[0])

            res = minimize_scalar(along, bounds=(lo, hi), method="bounded",
                                  options={"xatol": 1e-10})
            y = np.empty(2)
            y[i], y[j] = edge, res.x
            if res.fun <= fun + 1e-12 * max(1.0, abs(fun)):
                return y, float(res.fun)
    return x, fun


def _log_standard_errors(fit: SBGFit, lost: np.ndarray, cens: np.ndarray) -> tuple[float, float]:
    """Standard errors of ``log alpha`` and ``log beta`` at ``fit`` from the observed
    information (minus the Hessian of the log-likelihood of the counts ``lost``/``cens`` in
    log-parameters, :func:`_loglik_terms`): ``inf`` when the likelihood is not curved downwards
    in every direction there (a ridge or a saddle: the data do not pin the parameters down).
    Fractional counts (revenue pseudo-counts) are taken as they are."""
    lost = np.asarray(lost, dtype="float64")
    at_risk, stayed = _risk_sets(lost, np.asarray(cens, dtype="float64"))
    x = np.log([[fit.alpha, fit.beta]])
    _, _, hess = _loglik_terms(x, lost[None], at_risk[None], stayed[None], value=False,
                               hessian=True)
    info = -hess[0]
    if not np.all(np.isfinite(info)) or np.any(np.linalg.eigvalsh(info) <= 0):
        return float("inf"), float("inf")
    cov = np.linalg.inv(info)
    return tuple(float(v) for v in np.sqrt(np.maximum(np.diag(cov), 0.0)))


def _at_edge(fit: SBGFit, tolerance: float = 0.05) -> list[tuple[str, str, float]]:
    """``(parameter, "low" | "high", limit)`` for each parameter of ``fit`` within
    ``tolerance`` (in log: 0.05 = 5%) of the search box's edge (:data:`_LOG_BOUNDS`): the
    optimiser stopped there, or on the flat ridge that leads there, so the value says more about
    the box than about the data."""
    out = []
    lo, hi = _LOG_BOUNDS
    for name, value in (("alpha", fit.alpha), ("beta", fit.beta)):
        x = np.log(value)
        if x <= lo + tolerance:
            out.append((name, "low", _BOX[0]))
        elif x >= hi - tolerance:
            out.append((name, "high", _BOX[1]))
    return out


def fit_sbg(alive) -> SBGFit:
    """Maximum-likelihood fit of the shifted-beta-geometric model to survivor counts.

    Parameters
    ----------
    alive : sequence of numbers, or a list of such sequences
        One cohort: ``[n0, n1, ..., nT]``, its size then the customers still alive after each
        renewal opportunity (non-increasing). Several cohorts observed for different lengths:
        a list of such sequences, fitted jointly. The last count of every sequence is
        right-censored: those customers are still alive, their lifetime is only known to
        exceed the sequence.

    Returns
    -------
    SBGFit
        ``alpha``, ``beta``, ``loglik``, ``n_obs`` and the curves ``survival(t)``,
        ``retention(t)``, ``churn_probability(t)``.

    Raises
    ------
    ValueError
        A sequence shorter than two counts, increasing or negative; no churn at all.

    Notes
    -----
    The log-likelihood (Fader & Hardie 2007, appendix B) is maximised with BFGS
    (:func:`scipy.optimize.minimize`) over ``(log alpha, log beta)`` with its analytic gradient,
    both kept within ``[1e-4, 1e5]``. Counts may be fractional (e.g.
    percentages of a cohort), which scales ``loglik`` but not the estimates.

    Examples
    --------
    The "regular" customers of Fader & Hardie (2007), years 0 to 7:

    >>> fit = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(fit.alpha, 3), round(fit.beta, 3), round(fit.loglik, 1)
    (0.704, 1.182, -1680.3)
    >>> (1000 * fit.survival([8, 9, 10])).round(0).tolist()   # observed: 223, 207, 194
    [220.0, 204.0, 191.0]
    """
    lost, cens, n = _as_counts(alive)
    return _fit_counts(lost, cens, n)


def _risk_sets(lost: np.ndarray, cens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(at_risk, stayed)`` by age along the last axis: customers facing the ``t``-th renewal
    opportunity, and those of them who renewed (lost later, or last seen at ``t`` or later)."""
    later = np.cumsum((lost + cens)[..., ::-1], axis=-1)[..., ::-1]
    stayed = cens.copy()
    stayed[..., :-1] += later[..., 1:]
    return lost + stayed, stayed


def _loglik_terms(log_ab: np.ndarray, lost: np.ndarray, at_risk: np.ndarray,
                  stayed: np.ndarray, value: bool = True, hessian: bool = False):
    """Log-likelihood, gradient and (``hessian=True``) Hessian in ``(log alpha, log beta)``,
    vectorised over a leading axis: ``log_ab`` (..., 2); ``lost``, ``at_risk``, ``stayed``
    (..., T) from :func:`_risk_sets`. Returns ``(ll, grad)`` or ``(ll, grad, hess)``; ``ll`` is
    ``None`` with ``value=False``.

    Written with the churn hazard ``r_t = alpha / (alpha + beta + t - 1)``: a customer lost at
    ``t`` renewed at ``1..t-1`` then left, one censored at ``t`` renewed at ``1..t``, so
    ``LL = sum_t lost_t ln r_t + stayed_t ln(1 - r_t)`` (eq. B3 of the paper regrouped). Every
    term is a ratio of parameters, accurate to rounding even on the box's edges, where the
    ``betaln`` differences of the textbook form lose up to 5 digits.
    """
    a = np.exp(log_ab[..., 0])[..., None]
    b = np.exp(log_ab[..., 1])[..., None]
    i = np.arange(lost.shape[-1], dtype="float64")  # t - 1
    b_i = b + i
    d = a + b_i
    r = a / d  # hazard r_t
    s = b_i / d  # 1 - r_t, computed apart: no cancellation when r_t is near 1
    q = b / d
    pr = b / b_i * r
    ll = None
    if value:
        # ln(1 - r) as log1p(-r) keeps small hazards exact; ln(s) where r is large.
        log_s = np.log1p(-r)
        big = r > 0.5
        if big.any():
            log_s = np.where(big, np.log(s), log_s)
        ll = (lost * np.log(r) + stayed * log_s).sum(-1)
    # d ln r / d ln a = s, d ln(1-r) / d ln a = -r; d ln r / d ln b = -q,
    # d ln(1-r) / d ln b = b / (b + t - 1) - q = b / (b + t - 1) * r.
    grad = np.stack(((lost * s - stayed * r).sum(-1), (stayed * pr - lost * q).sum(-1)), axis=-1)
    if not hessian:
        return ll, grad
    h_aa = -(at_risk * r * s).sum(-1)
    h_ab = (at_risk * r * q).sum(-1)
    h_bb = (stayed * pr * (i / b_i - q) - lost * q * (a + i) / d).sum(-1)
    hess = np.stack((np.stack((h_aa, h_ab), axis=-1), np.stack((h_ab, h_bb), axis=-1)), axis=-2)
    return ll, grad, hess


#: Newton iterations a batch refit makes at most (on the bundled sample and each of its
#: segments, every replicate converges in fewer than 20).
_MAX_ITERATIONS = 50
#: A batch refit has converged when the log-likelihood can rise by at most this share of its
#: value (the Newton decrement: what the next step would gain by the local quadratic model).
_LL_RTOL = 1e-15
#: Line-search halvings at most; the longest step tried is _MAX_STEP in log-parameters.
_HALVINGS = 30
_MAX_STEP = 2.0


def _ascent_steps(grad: np.ndarray, hess: np.ndarray, held: np.ndarray):
    """Newton steps (B, 2) over the parameters not ``held``, the gradient they see, and whether
    the likelihood is locally concave there.

    Where it is not concave (near the ridge of a near-homogeneous population the likelihood
    curves up along the ridge), each eigen-direction of the Hessian is stepped along uphill by
    gradient / |curvature|: the Newton step where it is concave, a long stride up a nearly
    flat valley otherwise (a "saddle-free" Newton step; a plain gradient step crept there).
    A held parameter gets no gradient, unit curvature and no coupling: it does not move.
    """
    grad = np.where(held, 0.0, grad)
    hess = hess.copy()
    either = held.any(axis=1)
    for j in range(2):
        hess[:, j, 1 - j] = np.where(either, 0.0, hess[:, j, 1 - j])
        hess[:, j, j] = np.where(held[:, j], -1.0, hess[:, j, j])
    curvature, vectors = np.linalg.eigh(hess)
    concave = (curvature < 0).all(axis=1)
    size = np.maximum(np.abs(curvature), 1e-8 * np.abs(curvature).max(axis=1, keepdims=True))
    size = np.where(size > 0, size, 1.0)
    along = np.einsum("bji,bj->bi", vectors, grad) / size
    return np.einsum("bij,bj->bi", vectors, along), grad, concave


def _fit_counts_batch(lost: np.ndarray, cens: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Fit many count tables at once (bootstrap replicates): damped Newton steps in log space.

    ``lost``/``cens``: (B, T); ``start``: (2,) log-parameters to start every replicate from.
    Returns (B, 2) log-parameters, within the box of :func:`_fit_counts`.

    The Hessian is analytic (:func:`_loglik_terms`); steps are those of
    :func:`_ascent_steps`, at most ``_MAX_STEP`` long (direction kept), cut where they would
    leave the box, and halved until the likelihood does not fall. A parameter on an edge of
    the box whose gradient or step points outside (a homogeneous population drives both
    parameters to infinity, as far as the box lets them) is held there while the other one is
    optimised, as the scipy fit does with its flat objective outside the box.

    A replicate stops when its gradient is below ``1e-9`` per customer (the scipy fit's
    tolerance), when the Newton decrement says the log-likelihood cannot rise by more than
    ``_LL_RTOL`` of its value (converged as a likelihood: on a flat ridge the parameters could
    drift on without changing the fit), or when no step raises the likelihood at all.
    """
    lost = np.asarray(lost, dtype="float64")
    at_risk, stayed = _risk_sets(lost, np.asarray(cens, dtype="float64"))
    n_rep = lost.shape[0]
    lo, hi = _LOG_BOUNDS
    x = np.clip(np.broadcast_to(np.asarray(start, dtype="float64"), (n_rep, 2)), lo, hi).copy()
    ll, g, hess = _loglik_terms(x, lost, at_risk, stayed, hessian=True)
    g_tol = 1e-9 * np.maximum(at_risk[:, 0], 1.0)
    searching = np.ones(n_rep, dtype=bool)
    for _ in range(_MAX_ITERATIONS):
        held = ((x <= lo) & (g < 0)) | ((x >= hi) & (g > 0))
        searching &= np.abs(np.where(held, 0.0, g)).max(axis=1) > g_tol
        rows = np.flatnonzero(searching)
        if not len(rows):
            break
        # Only the replicates still searching are evaluated, each on its own counts.
        xr, llr, held = x[rows], ll[rows], held[rows]
        step, grad, concave = _ascent_steps(g[rows], hess[rows], held)
        out = ((xr <= lo) & (step < 0)) | ((xr >= hi) & (step > 0))
        if out.any():  # a step out of the box: hold that parameter too
            again = np.flatnonzero(out.any(axis=1))
            step[again], grad[again], concave[again] = _ascent_steps(
                g[rows[again]], hess[rows[again]], held[again] | out[again])
        # Newton decrement: the rise of the log-likelihood the quadratic model promises.
        flat = concave & (0.5 * (grad * step).sum(axis=1) <= _LL_RTOL * np.abs(llr))
        searching[rows[flat]] = False
        longest = np.abs(step).max(axis=1)
        step *= np.minimum(1.0, _MAX_STEP / np.where(longest > 0, longest, 1.0))[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(step > 0, (hi - xr) / step,
                            np.where(step < 0, (lo - xr) / step, np.inf)).min(axis=1)
        t = np.minimum(1.0, room)
        pending = np.flatnonzero(~flat)
        for _ in range(_HALVINGS):
            if not len(pending):
                break
            cand = np.clip(xr[pending] + t[pending, None] * step[pending], lo, hi)
            at = rows[pending]
            ll_c, g_c, h_c = _loglik_terms(cand, lost[at], at_risk[at], stayed[at],
                                           hessian=True)
            ok = ll_c >= llr[pending]
            moved = at[ok]
            x[moved], ll[moved], g[moved], hess[moved] = cand[ok], ll_c[ok], g_c[ok], h_c[ok]
            pending = pending[~ok]
            t[pending] *= 0.5
        # No step raises the likelihood: it is as high as rounding lets it go.
        searching[rows[pending]] = False
    return x


def _check_ab(alpha, beta) -> None:
    a, b = np.asarray(alpha, dtype="float64"), np.asarray(beta, dtype="float64")
    if not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError(f"alpha and beta must be positive, got {alpha!r}, {beta!r}")


def _check_discount(discount) -> np.ndarray:
    d = np.asarray(discount, dtype="float64")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError(f"discount must be a rate >= 0 per period (0.01 = 1%), got {discount!r}")
    return d


def _series_2f1_1(b: float, c: float, z: float, chunk: int = 1 << 16,
                  max_terms: int = 1 << 24) -> float:
    """``2F1(1, b; c; z) = sum_k (b)_k / (c)_k z^k`` summed in chunks (terms in logs) until they
    no longer count; NaN if ``max_terms`` are not enough. The chunks grow from 4,096 terms to
    ``chunk``: a monthly discount needs a few thousand (4 ms for 65,536 at once)."""
    total = 0.0
    start, size = 0, min(4096, chunk)
    while start < max_terms:
        k = np.arange(start, start + size, dtype="float64")
        log_term = (gammaln(b + k) - gammaln(b) - gammaln(c + k) + gammaln(c)) + k * np.log(z)
        terms = np.exp(log_term)
        total += float(terms.sum())
        if terms[-1] < 1e-17 * total:
            return total
        start, size = start + size, min(size * 4, chunk)
    return float("nan")


def _euler_2f1_1(b: float, c: float, z: float) -> float:
    """``2F1(1, b; c; z)`` for ``c > b > 0``, ``0 <= z < 1``: Euler's integral, the mean of
    ``1 / (1 - z T)`` over ``T ~ Beta(b, c - b)``, integrated by QUADPACK with the Beta weight
    (its endpoint singularities) handled exactly; when a Beta parameter is large (a weight too
    peaked to integrate), the power series. scipy's ``hyp2f1`` is wrong near ``z = 1`` when
    ``c - 1 - b`` is 0 (an sBG with ``alpha = 1``: negative DERLs) and fails for large ones."""
    if max(b, c - b) > 30:
        out = _series_2f1_1(b, c, z)
    else:
        with warnings.catch_warnings():
            # QUADPACK reports "roundoff" when it cannot prove 1e-11 but reaches it (checked
            # against the discounted sums in tests/models/test_survival.py).
            warnings.simplefilter("ignore", IntegrationWarning)
            value, _ = quad(lambda t: 1.0 / (1.0 - z * t), 0.0, 1.0, weight="alg",
                            wvar=(b - 1.0, c - b - 1.0), epsabs=0.0, epsrel=1e-11, limit=200)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            out = np.exp(np.log(value) - betaln(b, c - b))
    return float(out) if np.isfinite(out) and out > 0 else float(hyp2f1(1.0, b, c, z))


def _hyp2f1_1(b, c, d):
    """``2F1(1, b; c; 1/(1+d))``; at ``d = 0`` the Gauss sum ``(c-1)/(c-1-b)`` (finite only when
    ``c - b > 1``, i.e. when the undiscounted expected lifetime exists), else ``inf``."""
    b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (b, c, d)))
    with np.errstate(divide="ignore", invalid="ignore"):
        at_one = np.where(c - b > 1, (c - 1) / (c - 1 - b), np.inf)
    out = at_one.copy()
    for i in zip(*np.nonzero(d != 0)) if out.ndim else ([()] if d != 0 else []):
        out[i] = _euler_2f1_1(b[i], c[i], 1.0 / (1.0 + d[i]))
    return out


def derl(alpha, beta, renewals, discount):
    """Discounted expected residual lifetime of a customer who has made ``renewals`` renewals.

    Fader & Hardie (2010), eq. 6: standing at the customer's next renewal decision, the expected
    number of further payments, the next one (if it renews) counted in full and each later one
    discounted one more period::

        DERL = sum_{k>=0} S(n+1+k) / S(n) / (1+d)^k
             = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1/(1+d))

    with ``n = renewals``. Multiply by the margin (or MRR) per period for the residual value.

    Parameters
    ----------
    alpha, beta : float > 0
    renewals : int >= 0 (array-like allowed; vectorised)
    discount : float >= 0
        Discount rate per period (monthly periods: a monthly rate). At 0 the sum converges only
        for ``alpha > 1``; otherwise the result is ``inf``.

    Examples
    --------
    Fader & Hardie (2010), table 3 (alpha = 3.80, beta = 15.20, d = 10%):

    >>> [round(float(derl(3.80, 15.20, n, 0.10)), 2) for n in range(5)]
    [3.31, 3.45, 3.59, 3.72, 3.84]
    """
    _check_ab(alpha, beta)
    d = _check_discount(discount)
    n = np.asarray(renewals, dtype="float64")
    if np.any(n < 0) or np.any(n != np.floor(n)):
        raise ValueError(f"renewals must be whole numbers >= 0, got {renewals!r}")
    out = (beta + n) / (alpha + beta + n) * _hyp2f1_1(beta + n + 1, alpha + beta + n + 1, d)
    return float(out) if np.ndim(out) == 0 else out


def discounted_expected_lifetime(alpha, beta, discount):
    """Discounted expected lifetime (DEL) of a just-acquired customer (Fader & Hardie 2010):
    the expected number of payments, the first one (at acquisition) undiscounted::

        DEL = sum_{t>=0} S(t) / (1+d)^t = 2F1(1, beta; alpha + beta; 1/(1+d))

    ``LTV = value per period x DEL``. At ``discount = 0`` this is the expected lifetime
    ``(alpha + beta - 1) / (alpha - 1)`` when ``alpha > 1``, else ``inf``.

    Examples
    --------
    >>> round(float(discounted_expected_lifetime(0.704, 1.182, 0.10)), 3)
    3.695
    >>> discounted_expected_lifetime(2.0, 3.0, 0.0)    # (2 + 3 - 1) / (2 - 1)
    4.0
    """
    _check_ab(alpha, beta)
    d = _check_discount(discount)
    out = _hyp2f1_1(beta, alpha + beta, d)
    return float(out) if np.ndim(out) == 0 else out


#: Short name for :func:`discounted_expected_lifetime` (``del`` is a Python keyword).
del_ = discounted_expected_lifetime
