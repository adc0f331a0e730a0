"""Baseline projection of MRR, customers and ARR, its uncertainty band, and a backtest.

The projection starts at the end of the last complete month ``T`` (the *origin*) and is built from
three parts, all estimated once by :func:`forecast_inputs` so that re-projecting (a scenario's
slider move) is pure array arithmetic:

- **Existing customers** (paying at the end of ``T``): each survives month by month with the
  churn hazard of its age (months since it started paying, its last reactivation if any) taken
  from the fitted sBG model (``method="sbg"``, :func:`mrrkit.fit_retention`) or from the pooled
  empirical cohort survival (``method="empirical"``: Kaplan-Meier hazard by age over all
  cohorts; ages with fewer than 20 customers at risk, and ages beyond the data, use the mean
  hazard of the 6 last well-observed ages). Customer counts follow *logo* survival; MRR follows
  *revenue* survival (the same model fitted to the MRR-weighted curve, ``weight="mrr"``): larger
  customers usually churn less, and projecting their MRR with the logos' hazard overstates the
  MRR lost (on the bundled sample by half: 1.6% a month against 1.0% observed).
- **Expansion and contraction**: survivors' MRR grows by the recent monthly expansion rate of
  their age and shrinks by the contraction rate of their age. The rates are measured over the
  ``window`` months ending at ``T`` (12 by default) in age bands (``AGE_BANDS``: 1, 2-3, 4-6,
  7-12, 13-24 and 25+ months): expansion (contraction) movements of customers of the band /
  MRR at the end of the month before of the customers then paying in the band. Young
  customers usually expand faster; a single rate would keep the base expanding as fast as
  when it was younger. Expansions are lumpy, so a band's own rate is weighted by its
  credibility ``n / (n + 500)`` (``n`` its customer-months at risk) and the pooled rate of all
  ages makes up the rest; an expansion in a customer's first month counts in band 1.
- **New business**: new MRR follows the least-squares line through the ``window`` last months'
  new MRR, extended (``trend=False``: their mean), never below 0; new customers = new MRR / the
  window's new-customer ARPA; reactivations continue at the window's monthly mean. Both then
  survive from age 0 and expand like everyone else. (A 6-month trend overshot in backtests on
  simulated data -- mean absolute error 6-7% over 12 months against 3% with 12 months -- hence
  the default window.)

Expected values throughout (no simulation), so ``mrr(k) = mrr(k-1) + net_new(k)`` holds month by
month like in :func:`mrrkit.engine.monthly`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.monthly import month_of, monthly, period
from ..engine.movements import movements_of
from .forecast_inputs import (
    _EPOCH,
    _MIN_AT_RISK,
    ForecastError,
    ForecastInputs,
    _band_rates,
    _empirical_hazard,
    _inputs_from_moves,
    _rates_by_age,
    _sbg_hazard,
    _trend,
    forecast_inputs,
)
from .retention_fit import km_hazard, last_complete_month
from .sbg import SBGFit, _fit_counts_batch

__all__ = [
    "FORECAST_COLUMNS",
    "Backtest",
    "backtest",
    "forecast",
    "project_baseline",
]

#: Columns of a projection, one row per future month.
FORECAST_COLUMNS = (
    "mrr",
    "arr",
    "customers",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "net_new",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "customer_churn_rate",
    "mrr_existing",
    "customers_existing",
    "mrr_in_scope",
    "gross_retained_mrr",
)

# Bootstrap replicates projected together (see _bootstrap).
_CHUNK = 50


# --------------------------------------------------------------------------- projection engine


@dataclass(frozen=True)
class _Rates:
    """Per-age rates of a projection, shape (B, L) (B = 1, or bootstrap replicates): churn
    hazard of customers (``count``) and of MRR (``mrr``), expansion and contraction."""

    count: np.ndarray
    mrr: np.ndarray
    expansion: np.ndarray
    contraction: np.ndarray


def _rates(inputs: ForecastInputs) -> _Rates:
    return _Rates(inputs.hazard[None, :], inputs.hazard_mrr[None, :],
                  inputs.expansion_by_age[None, :], inputs.contraction_by_age[None, :])


def _cumulative(factor: np.ndarray) -> np.ndarray:
    """``out[..., k] = prod(factor[..., :k])`` (1 at k = 0); one more step than ``factor``."""
    out = np.empty(factor.shape[:-1] + (factor.shape[-1] + 1,))
    out[..., 0] = 1.0
    np.cumprod(factor, axis=-1, out=out[..., 1:])
    return out


def _existing(rates: _Rates, mrr_by_age, count_by_age, months, *, price=1.0, extra_churn=0.0,
              churn_reduction=0.0, upsell_rate=0.0, uplift=0.0, addon_rate=0.0, addon_mrr=0.0,
              levels_only=False):
    """Expected MRR, customers and flows of a block of existing customers; arrays (B, months+1)
    for levels, (B, months) for the flows of months 1..months. ``levels_only``: the ``mrr`` and
    ``customers`` levels alone, without levers (what a bootstrap replicate needs; the same
    figures, half the work).

    A customer of age ``a`` at the origin is of age ``a + k`` in month ``k``: it survives that
    month with the hazard of that age (MRR with the revenue hazard, the customer count with the
    logo hazard), and its MRR then moves by the expansion and contraction rates of that age.
    """
    ages = np.flatnonzero(count_by_age > 0)
    idx = ages[:, None] + np.arange(1, months + 1)[None, :]  # (G, K): age in month k
    keep = 1.0 - float(churn_reduction)
    # Each factor is computed on the rates by age (B, L), then spread to (B, G, K): the same
    # numbers as computing it on the spread arrays, once per age instead of per age and month.
    s_mrr = _cumulative((1.0 - rates.mrr * keep)[:, idx])  # (B, G, K+1)
    s_n = _cumulative((1.0 - rates.count * keep)[:, idx])
    # survivors' MRR multiplier from expansion and contraction
    g = _cumulative((1.0 + rates.expansion - rates.contraction)[:, idx])
    w0, n0 = mrr_by_age[ages], count_by_age[ages]
    alive_grown = s_mrr * g
    level_w = np.einsum("bgk,g->bk", alive_grown, w0)  # W(k)
    if levels_only:
        # Without levers the level below is level_w * 1.0 + level_n * 0.0: level_w itself.
        return {"mrr": level_w, "customers": np.einsum("bgk,g->bk", s_n, n0)}
    e = rates.expansion[:, idx]
    c = rates.contraction[:, idx]
    g_gross = _cumulative((1.0 - rates.contraction)[:, idx])
    # Survivors of month k at their MRR before that month's expansion and contraction.
    before = s_mrr[..., 1:] * g[..., :-1]
    survivors = np.einsum("bgk,g->bk", before, w0)
    grown = np.einsum("bgk,g->bk", before * e, w0)
    shrunk = np.einsum("bgk,g->bk", before * c, w0)
    level_n = np.einsum("bgk,g->bk", s_n, n0)
    gross = np.einsum("bgk,g->bk", s_mrr * g_gross, w0)
    if extra_churn:
        # Customers who leave on receiving a price increase go in month 1, at their old MRR.
        for arr in (level_w, level_n, gross):
            arr[:, 1:] *= 1.0 - extra_churn
        for arr in (survivors, grown, shrunk):
            arr *= 1.0 - extra_churn
    k = np.arange(months + 1, dtype="float64")
    share = np.minimum(1.0, upsell_rate * k / 12.0)  # share of customers upsold by month k
    q = 1.0 + uplift * share
    p = np.where(k >= 1, price, 1.0)
    a = addon_mrr * np.minimum(1.0, addon_rate * k / 12.0)
    level = level_w * (p * q) + level_n * a
    churn = -((level_w[:, :-1] - survivors) * (p * q)[:-1]
              + (level_n[:, :-1] - level_n[:, 1:]) * a[:-1])
    step = (p[1:] - p[:-1]) * q[:-1] * survivors
    upsell = p[1:] * (q[1:] - q[:-1]) * level_w[:, 1:]
    addon = level_n[:, 1:] * (a[1:] - a[:-1])
    expansion = p[1:] * q[:-1] * grown + np.maximum(step, 0) + upsell + addon
    contraction = -p[1:] * q[:-1] * shrunk + np.minimum(step, 0)
    # Gross retention path: no expansion of any kind, price cuts and contraction included.
    gross = gross * np.where(k >= 1, min(price, 1.0), 1.0)
    return {
        "mrr": level,
        "customers": level_n,
        "churn": churn,
        "expansion": expansion,
        "contraction": contraction,
        "churned_customers": level_n[:, :-1] - level_n[:, 1:],
        "gross": gross,
    }


def _inflow(rates: _Rates, inflow_mrr, inflow_n, months, churn_reduction=0.0,
            levels_only=False):
    """Expected MRR, customers and flows of customers acquired (or won back) during the
    projection: month ``j`` brings ``inflow_mrr[:, j-1]``, which then survives and moves from
    age 0 with the rates of its age. ``levels_only``: ``mrr`` and ``customers`` alone."""
    keep = 1.0 - float(churn_reduction)
    s_mrr = _cumulative(1.0 - rates.mrr[:, 1 : months + 1] * keep)  # (B, K+1) by lag
    s_n = _cumulative(1.0 - rates.count[:, 1 : months + 1] * keep)
    e = rates.expansion[:, 1 : months + 1]
    c = rates.contraction[:, 1 : months + 1]
    g = _cumulative(1.0 + e - c)
    level_k = s_mrr * g
    # Month j (1..months) to month k: lag k - j, as a (months, months) Toeplitz index.
    j = np.arange(months)
    d = j[None, :] - j[:, None]  # [j, k]
    valid = d >= 0
    d = np.where(valid, d, 0)

    def conv(x, kernel):
        return np.einsum("bj,bjk->bk", x, np.where(valid, kernel[:, d], 0.0))

    if levels_only:
        return {"mrr": conv(inflow_mrr, level_k), "customers": conv(inflow_n, s_n)}
    churn_k = np.zeros_like(s_mrr)
    churn_k[:, 1:] = (s_mrr[:, :-1] - s_mrr[:, 1:]) * g[:, :-1]
    before_k = np.zeros_like(s_mrr)
    before_k[:, 1:] = s_mrr[:, 1:] * g[:, :-1]
    grown_k = np.zeros_like(s_mrr)
    grown_k[:, 1:] = before_k[:, 1:] * e
    shrunk_k = np.zeros_like(s_mrr)
    shrunk_k[:, 1:] = before_k[:, 1:] * c
    lost_k = np.zeros_like(s_n)
    lost_k[:, 1:] = s_n[:, :-1] - s_n[:, 1:]
    return {
        "mrr": conv(inflow_mrr, level_k),
        "customers": conv(inflow_n, s_n),
        "churn": -conv(inflow_mrr, churn_k),
        "expansion": conv(inflow_mrr, grown_k),
        "contraction": -conv(inflow_mrr, shrunk_k),
        "churned_customers": conv(inflow_n, lost_k),
    }


def _new_business(inputs: ForecastInputs, months: int, intercept, slope, new_arpa,
                  react_mrr, react_arpa, growth: float = 0.0):
    k = np.arange(1, months + 1, dtype="float64")
    new = np.maximum(0.0, intercept[:, None] + slope[:, None] * k) * (1.0 + growth)
    ok = (np.isfinite(new_arpa) & (new_arpa > 0))[:, None]
    new_n = np.where(ok, new / np.where(ok, new_arpa[:, None], 1.0), 0.0)
    react = np.broadcast_to(react_mrr[:, None], new.shape)
    ok = (np.isfinite(react_arpa) & (react_arpa > 0))[:, None]
    react_n = np.where(ok, react / np.where(ok, react_arpa[:, None], 1.0), 0.0)
    return new, np.nan_to_num(new_n), react, np.nan_to_num(react_n)


def _assemble(inputs, months, blocks, inflow, new, new_n, react, react_n, in_scope_mrr):
    """Sum the blocks into the projection frame (row = month 1..months; B = 1 only)."""
    mrr_existing = sum(b["mrr"] for b in blocks)[0]
    cust_existing = sum(b["customers"] for b in blocks)[0]
    mrr = mrr_existing[1:] + inflow["mrr"][0]
    customers = cust_existing[1:] + inflow["customers"][0]
    churn = sum(b["churn"] for b in blocks)[0] + inflow["churn"][0]
    expansion = sum(b["expansion"] for b in blocks)[0] + inflow["expansion"][0]
    contraction = sum(b["contraction"] for b in blocks)[0] + inflow["contraction"][0]
    churned = sum(b["churned_customers"] for b in blocks)[0] + inflow["churned_customers"][0]
    prev_customers = np.concatenate(([cust_existing[0]], customers[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        churn_rate = np.where(prev_customers > 0, churned / prev_customers, np.nan)
    frame = pd.DataFrame(
        {
            "mrr": mrr,
            "arr": 12.0 * mrr,
            "customers": customers,
            "new": new[0],
            "expansion": expansion,
            "contraction": contraction,
            "churn": churn,
            "reactivation": react[0],
            "net_new": new[0] + expansion + contraction + churn + react[0],
            "new_customers": new_n[0],
            "reactivated_customers": react_n[0],
            "churned_customers": churned,
            "customer_churn_rate": churn_rate,
            "mrr_existing": mrr_existing[1:],
            "customers_existing": cust_existing[1:],
            "mrr_in_scope": in_scope_mrr[1:],
            "gross_retained_mrr": sum(b["gross"] for b in blocks)[0][1:],
        },
        index=pd.period_range(inputs.origin + 1, periods=months, freq="M", name="month"),
    )
    frame.attrs["origin"] = inputs.origin
    frame.attrs["start_mrr"] = float(mrr_existing[0])
    frame.attrs["start_customers"] = float(cust_existing[0])
    return frame


def _check_months(inputs: ForecastInputs, months: int) -> None:
    if not (isinstance(months, (int, np.integer)) and 1 <= months <= inputs.horizon):
        raise ValueError(
            f"months must be 1..{inputs.horizon} (the inputs' horizon), got {months!r}"
        )


def _one(x) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype="float64"))


def project_baseline(inputs: ForecastInputs, months: int = 12) -> pd.DataFrame:
    """The baseline projection: expected MRR, customers and movements for the next months.

    Returns
    -------
    DataFrame indexed by future ``month``, columns ``FORECAST_COLUMNS``:
    ``mrr``, ``arr`` (12 x mrr), ``customers``, the expected movements of the month (``new``,
    ``expansion``, ``contraction``, ``churn``, ``reactivation``, ``net_new``; ``mrr(k) =
    mrr(k-1) + net_new(k)``), expected ``new_customers``, ``reactivated_customers``,
    ``churned_customers``, ``customer_churn_rate`` (churned / customers of the month before),
    ``mrr_existing`` and ``customers_existing`` (the customers paying at the origin: their
    expected MRR and number still paying), ``mrr_in_scope`` (their MRR,
    restricted to a scenario's scope; all of them here) and ``gross_retained_mrr`` (their MRR
    without any expansion: the GRR numerator). ``attrs`` hold ``origin``, ``start_mrr`` and
    ``start_customers``.
    """
    _check_months(inputs, months)
    rates = _rates(inputs)
    block = _existing(rates, inputs.mrr_by_age, inputs.count_by_age, months)
    new, new_n, react, react_n = _new_business(
        inputs, months, _one(inputs.new_intercept), _one(inputs.new_slope),
        _one(inputs.new_arpa), _one(inputs.reactivation_mrr), _one(inputs.reactivation_arpa))
    inflow = _inflow(rates, new + react, new_n + react_n, months)
    return _assemble(inputs, months, [block], inflow, new, new_n, react, react_n,
                     block["mrr"][0])


# --------------------------------------------------------------------------- bootstrap band


def _resampled_hazard(inputs: ForecastInputs, lost: np.ndarray, cens: np.ndarray, size: float,
                      fit: SBGFit | None, hazard: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """(n_boot, L) hazards refitted on first lives resampled with replacement: ``size`` draws
    over the cells of ``lost``/``cens`` (the customers, or the effective number behind the
    revenue curve's pseudo-counts); ``fit`` and ``hazard`` are the full-data ones."""
    cells = np.concatenate((lost, cens))
    total = int(round(size))
    length = inputs.hazard.shape[-1]
    if total <= 0 or cells.sum() <= 0:
        return np.broadcast_to(hazard, (n_boot, length))
    draws = rng.multinomial(total, cells / cells.sum(), size=n_boot).astype("float64")
    t = len(lost)
    d_lost, d_cens = draws[:, :t], draws[:, t:]
    if inputs.method == "sbg":
        # A replicate without any churn has no estimate; keep the full-data counts for it.
        churned = d_lost.sum(1, keepdims=True) > 0
        x_fit = _fit_counts_batch(np.where(churned, d_lost, lost), np.where(churned, d_cens, cens),
                                  np.log([fit.alpha, fit.beta]))
        return _sbg_hazard(np.exp(x_fit[:, 0]), np.exp(x_fit[:, 1]), length)
    _, at_risk = km_hazard(inputs.lost, inputs.censored)
    return _empirical_hazard(d_lost, d_cens, length, reliable=at_risk >= _MIN_AT_RISK)


def _bootstrap(inputs: ForecastInputs, months: int, n_boot: int, seed) -> dict:
    """Replicate projections: months of the window resampled with replacement (rates by age
    band and the new-business trend) and customers resampled with replacement (their first
    lives, hence both survival curves, refitted per replicate). Returns (n_boot, months)
    arrays."""
    rng = np.random.default_rng(seed)
    rows = inputs.window_table
    w = len(rows)
    pick = rng.integers(0, w, size=(n_boot, w))
    at_risk = inputs.band_mrr[pick].sum(1)
    customers = inputs.band_customers[pick].sum(1)
    length = inputs.hazard.shape[-1]
    expansion = _rates_by_age(
        _band_rates(inputs.band_expansion[pick].sum(1), at_risk, customers), length)
    contraction = _rates_by_age(
        _band_rates(inputs.band_contraction[pick].sum(1), at_risk, customers), length)
    new = rows["new"].to_numpy(dtype="float64")[pick]
    x = np.arange(-w + 1, 1, dtype="float64")[pick]
    if inputs.trend:
        intercept, slope = _trend(new, x)
    else:
        intercept, slope = new.mean(1), np.zeros(n_boot)
    n_new = rows["new_customers"].to_numpy(dtype="float64")[pick].sum(1)
    new_arpa = np.where(n_new > 0, new.sum(1) / np.where(n_new > 0, n_new, 1), inputs.new_arpa)
    react = rows["reactivation"].to_numpy(dtype="float64")[pick]
    react_mrr = react.mean(1)
    react_arpa = np.full(n_boot, inputs.reactivation_arpa)

    hazard = _resampled_hazard(inputs, inputs.lost, inputs.censored,
                               inputs.lost.sum() + inputs.censored.sum(), inputs.fit,
                               inputs.hazard, n_boot, rng)
    hazard_mrr = _resampled_hazard(inputs, inputs.lost_mrr, inputs.censored_mrr,
                                   inputs.mrr_sample_size, inputs.fit_mrr, inputs.hazard_mrr,
                                   n_boot, rng)
    rates = _Rates(hazard, hazard_mrr, expansion, contraction)
    # The existing customers' levels, _CHUNK replicates at a time: their (replicates, ages,
    # months) arrays then stay in the CPU's cache (half the time on the sample). Each
    # replicate's figures are the same whatever the chunk.
    mrr_by_age, count_by_age = inputs.mrr_by_age, inputs.count_by_age
    parts = [
        _existing(_Rates(*(r[i : i + _CHUNK] for r in (hazard, hazard_mrr, expansion,
                                                        contraction))),
                  mrr_by_age, count_by_age, months, levels_only=True)
        for i in range(0, n_boot, _CHUNK)
    ]
    block = {k: np.concatenate([p[k] for p in parts]) for k in ("mrr", "customers")}
    new_m, new_n, react_m, react_n = _new_business(inputs, months, intercept, slope, new_arpa,
                                                   react_mrr, react_arpa)
    inflow = _inflow(rates, new_m + react_m, new_n + react_n, months, levels_only=True)
    return {
        "mrr": block["mrr"][:, 1:] + inflow["mrr"],
        "customers": block["customers"][:, 1:] + inflow["customers"],
    }


def forecast(data, months: int = 24, method: str = "sbg", window: int = 12, trend: bool = True,
             n_boot: int = 200, level: float = 0.8, seed=0, as_of=None,
             inputs: ForecastInputs | None = None, definitions=None) -> pd.DataFrame:
    """Baseline projection of MRR, customers and ARR with a bootstrap uncertainty band.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (ignored when ``inputs`` is given).
    months : int
        Months to project (1..36 by default; the horizon of ``inputs`` otherwise).
    method, window, trend :
        See :func:`forecast_inputs`.
    n_boot : int
        Bootstrap replicates (0: no band).
    level : float
        Central share of the replicates the band covers (0.8: the 10th to 90th percentiles).
    seed : int or numpy Generator
        The band is reproducible for a given seed.
    inputs : ForecastInputs, optional
        Precomputed :func:`forecast_inputs` (then ``data`` may be None).
    definitions : Definitions or str, optional
        For lines: the definitions of their movements (:class:`mrrkit.Definitions`; movements
        keep theirs).

    Returns
    -------
    DataFrame
        :func:`project_baseline` plus ``mrr_low, mrr_high, arr_low, arr_high, customers_low,
        customers_high``: percentiles of bootstrap replicates in which the window's months are
        resampled with replacement (expansion, contraction, new-business trend, reactivation)
        and the customers' first lives are resampled with replacement (the survival curve is
        refitted per replicate). The band reflects sampling noise in those estimates, not
        changes of regime.
    """
    if inputs is None:
        inputs = forecast_inputs(data, as_of=as_of, method=method, window=window,
                                 horizon=max(36, int(months)), trend=trend,
                                 definitions=definitions)
    frame = project_baseline(inputs, months)
    if n_boot:
        if not (0 < level < 1):
            raise ValueError(f"level must be between 0 and 1, got {level!r}")
        reps = _bootstrap(inputs, months, int(n_boot), seed)
        lo, hi = (1 - level) / 2, (1 + level) / 2
        for name in ("mrr", "customers"):
            q = np.quantile(reps[name], [lo, hi], axis=0)
            frame[f"{name}_low"] = q[0]
            frame[f"{name}_high"] = q[1]
        frame["arr_low"] = 12.0 * frame["mrr_low"]
        frame["arr_high"] = 12.0 * frame["mrr_high"]
    return frame


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    """Result of :func:`backtest`.

    Attributes
    ----------
    table : DataFrame
        Per month: ``actual_mrr``, ``forecast_mrr``, ``error`` (forecast - actual),
        ``pct_error`` (error / actual), and the same for customers.
    mape : float
        Mean absolute percentage error of MRR over the months.
    mape_customers : float
    origin : Period
        The last month the forecast saw.
    """

    table: pd.DataFrame
    mape: float
    mape_customers: float
    origin: pd.Period


def backtest(data, horizon: int = 12, method: str = "sbg", window: int = 12,
             trend: bool = True, as_of=None, definitions=None) -> Backtest:
    """Forecast from month ``T - horizon`` as if it were today, compare with what happened.

    ``T`` is the last complete month. Everything after the end of month ``T - horizon`` is
    hidden from :func:`forecast_inputs`; the baseline projection of the next ``horizon`` months
    is compared with the actual month-end MRR and customers (:func:`mrrkit.engine.monthly`).
    ``definitions``: for lines, the definitions of their movements (:class:`mrrkit.Definitions`).
    """
    mv = movements_of(data, as_of, definitions)
    m = mv.arrays
    last = last_complete_month(m.as_of)
    origin = last - int(horizon)
    cut_day = int((np.datetime64(period(origin + 1).start_time.date(), "D") - _EPOCH)
                  .astype(np.int64)) - 1
    past = m.select(m.day <= cut_day, cut_day)
    if len(past) == 0 or month_of(past.day).min() > origin - 1:
        raise ForecastError(
            f"not enough history before {period(origin)} to backtest {horizon} months",
            "too_short",
        )
    inputs = _inputs_from_moves(past, method, window, int(horizon), trend, mv.definitions)
    fc = project_baseline(inputs, int(horizon))
    return _backtest_table(fc, monthly(mv).loc[period(origin + 1): period(last)], origin)


def _backtest_table(fc: pd.DataFrame, actual: pd.DataFrame, origin: int) -> Backtest:
    """The :class:`Backtest` of a projection ``fc`` from month ``origin`` against the monthly
    table's ``actual`` months."""
    table = pd.DataFrame(
        {
            "actual_mrr": actual["mrr"].to_numpy(),
            "forecast_mrr": fc["mrr"].to_numpy(),
            "actual_customers": actual["customers"].to_numpy(dtype="float64"),
            "forecast_customers": fc["customers"].to_numpy(),
        },
        index=fc.index,
    )
    table["error"] = table["forecast_mrr"] - table["actual_mrr"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["pct_error"] = table["error"] / table["actual_mrr"]
        table["customers_error"] = table["forecast_customers"] - table["actual_customers"]
        table["customers_pct_error"] = table["customers_error"] / table["actual_customers"]
    return Backtest(
        table=table,
        mape=float(np.nanmean(np.abs(table["pct_error"].replace([np.inf, -np.inf], np.nan)))),
        mape_customers=float(
            np.nanmean(np.abs(table["customers_pct_error"].replace([np.inf, -np.inf], np.nan)))
        ),
        origin=period(origin),
    )
