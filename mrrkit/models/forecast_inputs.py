"""What a projection starts from, estimated once from the movements (:func:`forecast_inputs`):
the customers paying at the origin with their ages, churn hazards by age (sBG or empirical),
expansion and contraction rates by age band, and the new-business trend. The method is
described in :mod:`mrrkit.models.forecast`; re-projecting from these inputs (a scenario's
slider move) is pure array arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from ..engine.monthly import month_of, monthly, period
from ..engine.movements import (
    CHURN,
    CONTRACTION,
    EXPANSION,
    NEW,
    REACTIVATION,
    MovementArrays,
    Movements,
    movements_of,
)
from ..views.retention import mrr_at_month_end
from .retention_fit import (
    FirstLives,
    first_lives,
    km_hazard,
    last_complete_month,
    lifetimes,
)
from .sbg import SBGFit, _fit_counts

__all__ = [
    "AGE_BANDS",
    "AgeMasses",
    "FORECAST_METHODS",
    "ForecastError",
    "ForecastInputs",
    "WindowBands",
    "forecast_inputs",
    "inputs_of_aggregates",
]

FORECAST_METHODS = ("sbg", "empirical")

#: First age (months since the customer started paying) of each band the expansion and
#: contraction rates are measured in: 1, 2-3, 4-6, 7-12, 13-24, 25 and more.
AGE_BANDS = (1, 2, 4, 7, 13, 25)

_MIN_AT_RISK = 20
_TAIL_AGES = 6
# Customer-months at risk at which an age band's own expansion (contraction) rate counts as
# much as the pooled one: expansions are rare and lumpy, a band needs a few hundred.
_BAND_CREDIBILITY = 500.0
_EPOCH = np.datetime64("1970-01-01", "D")


class ForecastError(ValueError):
    """The data cannot support a projection. ``reason`` says why, for a caller that words it
    for its users: ``"empty"`` (no movements), ``"too_short"`` (fewer than two complete
    months; for a backtest, not enough months before its origin), ``"no_churn"`` (the sBG
    model needs at least one churn)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class AgeMasses:
    """Customers paying at the end of a month, by age (index = months since each started its
    current life): their MRR in integer micros and their number. Sums over customers: a
    database computes them as well (:mod:`mrrkit.sql.forecast`), and the customers in and out
    of a scenario's scope add up to everyone's."""

    mrr_micros: np.ndarray
    customers: np.ndarray

    @classmethod
    def of(cls, age, mrr_micros, customers=None, length: int | None = None) -> "AgeMasses":
        """Sums by age of ``mrr_micros`` and ``customers`` (default 1 each) given per customer or
        per group (``age`` >= 0); ``length``: at least this many ages."""
        age = np.asarray(age, np.int64)
        size = max(int(age.max(initial=0)) + 1, length or 0)
        mrr = np.zeros(size, np.int64)
        count = np.zeros(size, np.int64)
        np.add.at(mrr, age, np.asarray(mrr_micros, np.int64))
        np.add.at(count, age, 1 if customers is None else np.asarray(customers, np.int64))
        return cls(mrr, count)

    @property
    def mrr(self) -> np.ndarray:
        """MRR by age, in currency units."""
        return self.mrr_micros / MICROS

    @property
    def count(self) -> np.ndarray:
        """Customers by age, as floats."""
        return self.customers.astype("float64")

    def __sub__(self, other: "AgeMasses") -> "AgeMasses":
        n = max(len(self.customers), len(other.customers))
        return AgeMasses(_padded(self.mrr_micros, n) - _padded(other.mrr_micros, n),
                         _padded(self.customers, n) - _padded(other.customers, n))


def _padded(a: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate((a, np.zeros(n - len(a), a.dtype)))


@dataclass(frozen=True)
class WindowBands:
    """Per window month (rows) and age band (columns, :data:`AGE_BANDS`), in integer micros:
    expansion, -contraction and MRR at risk (at the end of the month before) of the customers
    paying then, and their number."""

    expansion_micros: np.ndarray
    contraction_micros: np.ndarray
    mrr_micros: np.ndarray
    customers: np.ndarray


@dataclass(frozen=True)
class ForecastInputs:
    """Everything a projection needs, estimated once from the data (see the module notes).

    Attributes
    ----------
    origin : Period
        Last complete month ``T``; month 1 of a projection is ``T + 1``.
    method, window, horizon, trend :
        The options used (``horizon`` = the longest projection these inputs support).
    customer_ids : pandas str array
        Customer ids; position = customer number in ``mrr`` and ``age``.
    mrr : float array
        Each customer's MRR at the end of ``T`` (0 when not paying).
    age : int array
        Months since each paying customer started its current life (-1 when not paying).
    hazard, hazard_mrr : float arrays
        Monthly churn hazard by age ``t`` (index ``t``; ``[0] = 0``) of customers (logo
        survival, for customer counts) and of MRR (revenue survival, for MRR).
    fit, fit_mrr : SBGFit or None
        The retention models (``method="sbg"``): logo and revenue survival.
    lost, censored : float arrays
        First-life counts by age 1..K (for the bootstrap and refits).
    lost_mrr, censored_mrr : float arrays
        The pseudo-counts of revenue survival (:func:`mrrkit.models.retention_fit.pseudo_counts`).
    mrr_sample_size : float
        Effective number of customers behind revenue survival (Kish: ``(sum w)^2 / sum w^2``
        over the customers' MRR), the size of its bootstrap draws.
    expansion_rate, contraction_rate : float
        Monthly rates on the MRR of the month before, pooled over ages (what the rates by age
        average to over the window).
    expansion_by_age, contraction_by_age : float arrays
        Monthly rates by age (index = age in months; one value per band of ``AGE_BANDS``,
        credibility-weighted towards the pooled rate, see the module notes).
    band_expansion, band_contraction, band_mrr, band_customers : float arrays
        Per window month (rows) and age band (columns): expansion, -contraction, MRR at risk
        (at the end of the month before) and customers at risk (for the bootstrap).
    new_intercept, new_slope : float
        New MRR in month ``T + k`` is ``max(0, new_intercept + new_slope * k)``.
    new_arpa, reactivation_mrr, reactivation_arpa : float
    window_table : DataFrame
        The ``window`` monthly rows the rates come from.
    history : DataFrame
        :func:`mrrkit.engine.monthly` up to ``T`` (to chart actuals before the projection).
    paying : AgeMasses or None
        The customers paying at ``T`` by age, for inputs made from sums only (a database's):
        ``customer_ids``, ``mrr`` and ``age`` are then None. Otherwise None, and the sums by
        age are those of ``mrr`` and ``age``.
    """

    origin: pd.Period
    method: str
    window: int
    horizon: int
    trend: bool
    customer_ids: object
    mrr: np.ndarray
    age: np.ndarray
    hazard: np.ndarray
    hazard_mrr: np.ndarray
    fit: SBGFit | None
    fit_mrr: SBGFit | None
    lost: np.ndarray
    censored: np.ndarray
    lost_mrr: np.ndarray
    censored_mrr: np.ndarray
    mrr_sample_size: float
    expansion_rate: float
    contraction_rate: float
    expansion_by_age: np.ndarray
    contraction_by_age: np.ndarray
    band_expansion: np.ndarray
    band_contraction: np.ndarray
    band_mrr: np.ndarray
    band_customers: np.ndarray
    new_intercept: float
    new_slope: float
    new_arpa: float
    reactivation_mrr: float
    reactivation_arpa: float
    window_table: pd.DataFrame
    history: pd.DataFrame
    paying: AgeMasses | None = None

    def masses(self, mask: np.ndarray | None = None) -> AgeMasses:
        """The customers paying at the origin by age (those of ``mask``, over customers)."""
        if self.age is None:
            if mask is not None:
                raise ValueError("these inputs hold sums by age only, no customer")
            return self.paying
        paying = self.age >= 0
        if mask is not None:
            paying &= mask
        # MRR back in exact micros (a currency amount is a whole number of them): the sums by
        # age are then exact, whatever the order of the customers.
        micros = np.rint(self.mrr[paying] * MICROS).astype(np.int64)
        return AgeMasses.of(self.age[paying], micros, length=self.max_age + 1)

    @property
    def mrr_by_age(self) -> np.ndarray:
        return self.masses().mrr

    @property
    def count_by_age(self) -> np.ndarray:
        return self.masses().count

    @property
    def max_age(self) -> int:
        if self.age is None:
            return len(self.paying.customers) - 1
        return int(self.age.max(initial=0))

    def scope_mask(self, ids) -> np.ndarray:
        """Boolean mask over customers for a collection of customer ids (unknown ids ignored)."""
        if self.customer_ids is None:
            raise ValueError("these inputs hold sums by age only, no customer")
        wanted = pd.Index(pd.array(list(ids), dtype="str"))
        return pd.Index(self.customer_ids, dtype="str").isin(wanted)

    def scope_masses(self, ids) -> AgeMasses:
        """The customers of ``ids`` paying at the origin, by age."""
        return self.masses(self.scope_mask(ids))


# --------------------------------------------------------------------------- estimation


def _sbg_hazard(alpha, beta, length: int) -> np.ndarray:
    """``hazard[..., t] = alpha / (alpha + beta + t - 1)`` for t >= 1, 0 at t = 0."""
    alpha = np.asarray(alpha, dtype="float64")[..., None]
    beta = np.asarray(beta, dtype="float64")[..., None]
    t = np.arange(length, dtype="float64")
    h = alpha / (alpha + beta + t - 1)
    h[..., 0] = 0.0
    return h


def _empirical_hazard(lost: np.ndarray, cens: np.ndarray, length: int,
                      reliable: np.ndarray | None = None) -> np.ndarray:
    """Pooled Kaplan-Meier hazard by age (leading axes = replicates), extended to ``length``.

    Ages with fewer than ``_MIN_AT_RISK`` customers at risk in the original data (``reliable``)
    and ages beyond the data use the mean hazard of the last ``_TAIL_AGES`` reliable ages.
    """
    hazard, at_risk = km_hazard(lost, cens)
    if reliable is None:
        reliable = at_risk >= _MIN_AT_RISK
    idx = np.flatnonzero(reliable)
    lead = hazard.shape[:-1]
    out = np.empty(lead + (length,))
    if len(idx) == 0:
        # Too few customers for any age: one pooled rate (churns per customer-month at risk).
        total_risk = at_risk.sum(-1)
        pooled = np.where(total_risk > 0, lost.sum(-1) / np.where(total_risk > 0, total_risk, 1), 0)
        out[...] = pooled[..., None]
    else:
        # The mean of the tail ages a replicate has customers at (np.nanmean's sum and count),
        # 0 when it has none there (without nanmean's "mean of empty slice" warning).
        picked = hazard[..., idx[-_TAIL_AGES:]]
        seen = ~np.isnan(picked)
        count = seen.sum(axis=-1)
        total = np.where(seen, picked, 0.0).sum(axis=-1)
        tail = np.where(count > 0, total / np.where(count > 0, count, 1), 0.0)
        out[...] = tail[..., None]
        known = idx[idx + 1 < length]
        out[..., known + 1] = np.nan_to_num(hazard[..., known])
    out[..., 0] = 0.0
    return out


def _window_rows(table: pd.DataFrame, window: int) -> pd.DataFrame:
    rows = table.iloc[-window:]
    prev = table["mrr"].shift(1).iloc[-window:]
    rows = rows.assign(prev_mrr=prev.to_numpy())
    return rows[rows["prev_mrr"].notna()]


def _trend(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line through (x, y) along the last axis: (value at x = 0, slope)."""
    xm = x.mean(-1, keepdims=True)
    ym = y.mean(-1, keepdims=True)
    var = ((x - xm) ** 2).sum(-1)
    cov = ((x - xm) * (y - ym)).sum(-1)
    slope = np.where(var > 0, cov / np.where(var > 0, var, 1), 0.0)
    return ym[..., 0] - slope * xm[..., 0], slope


def _life_start_of_rows(m: MovementArrays, mon: np.ndarray) -> np.ndarray:
    """Month ordinal of the start of the life each movement row belongs to (its customer's
    latest ``new`` or ``reactivation`` row up to and including it)."""
    if len(m) == 0:
        return np.zeros(0, np.int64)
    is_start = (m.kind == NEW) | (m.kind == REACTIVATION)
    latest = np.maximum.accumulate(np.where(is_start, np.arange(len(m)), -1))
    # Every customer's first row is its "new" one, so the latest start is always its own.
    return np.where(latest >= 0, mon[np.maximum(latest, 0)], -1)


def _state_at_month_end(m: MovementArrays, mon: np.ndarray, life_start: np.ndarray, month: int):
    """Each customer's MRR (micros) and current life's start month at the end of ``month``."""
    n = len(m.customers)
    mrr = np.zeros(n, np.int64)
    start = np.full(n, -1, np.int64)
    upto = np.flatnonzero(mon <= month)
    if len(upto):
        cust = m.cust[upto]
        last = np.append(cust[1:] != cust[:-1], True)
        mrr[cust[last]] = m.after[upto[last]]
        start[cust[last]] = life_start[upto[last]]
    return mrr, start


def _band_of_age(age) -> np.ndarray:
    """Index into ``AGE_BANDS`` of ages >= 1 (0 counts in the first band)."""
    return np.searchsorted(np.asarray(AGE_BANDS), np.maximum(age, 1), side="right") - 1


def _band_rates(amount: np.ndarray, mrr: np.ndarray, customers: np.ndarray) -> np.ndarray:
    """Rates by band (leading axes = replicates) from the amounts and MRR at risk summed over
    the window: each band's own rate, given the credibility ``n / (n + _BAND_CREDIBILITY)`` of
    its ``n`` customer-months at risk, the pooled rate of all bands for the rest."""
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(mrr > 0, amount / np.where(mrr > 0, mrr, 1), 0.0)
        total = mrr.sum(-1, keepdims=True)
        pooled = np.where(total > 0, amount.sum(-1, keepdims=True) / np.where(total > 0, total, 1),
                          0.0)
    weight = customers / (customers + _BAND_CREDIBILITY)
    return weight * own + (1.0 - weight) * pooled


def _rates_by_age(band_rates: np.ndarray, length: int) -> np.ndarray:
    """Band rates (leading axes = replicates) spread over ages 0..length-1."""
    return band_rates[..., _band_of_age(np.arange(length))]


def _window_bands(m: MovementArrays, mon: np.ndarray, life_start: np.ndarray,
                  months: np.ndarray) -> WindowBands:
    """Per window month (consecutive ordinals ``months``) and age band: expansion,
    -contraction, MRR and customers at risk (paying at the end of the month before)."""
    shape = (len(months), len(AGE_BANDS))
    size = shape[0] * shape[1]
    first, last = int(months[0]), int(months[-1])
    # The last row of each (customer, month) gives the MRR at that month's end, until the
    # customer's next such row: a customer pays it at the end of month M - 1 for the window
    # months M from its month + 1 to the next one's month.
    end_row = np.append((m.cust[1:] != m.cust[:-1]) | (mon[1:] != mon[:-1]), True)
    rows = np.flatnonzero(end_row)
    cust = m.cust[rows]
    same_next = np.append(cust[1:] == cust[:-1], False)
    following = np.where(same_next, np.append(mon[rows][1:], 0), last)
    lo = np.maximum(mon[rows] + 1, first)
    hi = np.minimum(following, last)
    keep = (lo <= hi) & (m.after[rows] > 0)
    rows, lo, hi = rows[keep], lo[keep], hi[keep]
    count = hi - lo + 1
    owner = np.repeat(np.arange(len(rows)), count)
    month = lo[owner] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    cell = (month - first) * shape[1] + _band_of_age(month - life_start[rows][owner])

    def total(cell, weights):
        # Integer micros summed exactly (as floats below 2**53 micros), then back to integers.
        return np.rint(np.bincount(cell, weights=weights, minlength=size)).astype(np.int64)

    at_risk = total(cell, m.after[rows][owner])
    customers = np.bincount(cell, minlength=size).astype(np.int64)

    def moved(kind, sign):
        rows = np.flatnonzero((m.kind == kind) & (mon >= first) & (mon <= last))
        cell = (mon[rows] - first) * shape[1] + _band_of_age(mon[rows] - life_start[rows])
        return total(cell, sign * m.amount[rows])

    return WindowBands(moved(EXPANSION, 1).reshape(shape), moved(CONTRACTION, -1).reshape(shape),
                       at_risk.reshape(shape), customers.reshape(shape))


def check_options(method: str, window: int, horizon: int) -> None:
    """Refuse options :func:`forecast_inputs` does not take."""
    if method not in FORECAST_METHODS:
        raise ValueError(f"method must be one of {FORECAST_METHODS}, got {method!r}")
    if not (isinstance(window, (int, np.integer)) and window >= 2):
        raise ValueError(f"window must be a whole number of months >= 2, got {window!r}")
    if not (isinstance(horizon, (int, np.integer)) and 1 <= horizon <= 120):
        raise ValueError(f"horizon must be 1..120 months, got {horizon!r}")


def window_rows(table: pd.DataFrame, window: int) -> pd.DataFrame:
    """The monthly rows of the window (``table`` up to the last complete month), after checking
    there are enough months to project from."""
    if len(table) < 2:
        raise ForecastError("the data needs at least two complete months to project from",
                            "too_short")
    return _window_rows(table, window)


def window_months(rows: pd.DataFrame) -> np.ndarray:
    """Month ordinals of the window rows."""
    return np.array([p.ordinal for p in rows.index], dtype=np.int64)


def _inputs_from_moves(m: MovementArrays, method: str, window: int, horizon: int, trend: bool,
                       definitions=None):
    check_options(method, window, horizon)
    if len(m) == 0:
        raise ForecastError("no movements in the data: there is nothing to project", "empty")
    last = last_complete_month(m.as_of)
    # The monthly table of the movements' own definitions (its rates follow them).
    table = monthly(Movements(m, definitions)).loc[: period(last)]
    rows = window_rows(table, window)
    mrr_micros = mrr_at_month_end(m, last)
    mon = month_of(m.day)
    life_start = _life_start_of_rows(m, mon)
    _, start_now = _state_at_month_end(m, mon, life_start, last)
    age = np.where(mrr_micros > 0, last - start_now, -1)
    lives = first_lives(m, last)
    # Effective sample size of revenue survival: each first life weighs its MRR when lost or
    # last seen (integer micros).
    cust, _, _, churned = lifetimes(m, last)
    weights = mrr_micros[cust]
    if churned.any():
        churn_rows = np.flatnonzero(m.kind == CHURN)[::-1]
        lost_by_cust = np.zeros(len(m.customers), np.int64)
        lost_by_cust[m.cust[churn_rows]] = m.before[churn_rows]
        weights = np.where(churned, lost_by_cust[cust], weights)
    bands = _window_bands(m, mon, life_start, window_months(rows))
    return inputs_of_aggregates(
        table, rows, lives, None, _weight_sums(weights), bands, method, window, horizon,
        trend, customers=(m.customers, mrr_micros / MICROS, age))


def _weight_sums(weights: np.ndarray) -> tuple[int, int]:
    """The sum of integer weights and the sum of their squares, exact (Python integers: a
    square of micros overflows 64 bits)."""
    exact = np.asarray(weights, np.int64).astype(object)
    return int(exact.sum()), int((exact * exact).sum())


def inputs_of_aggregates(table: pd.DataFrame, rows: pd.DataFrame, lives: FirstLives,
                         paying: AgeMasses | None, weight_sums: tuple[int, int],
                         bands: WindowBands, method: str, window: int, horizon: int,
                         trend: bool, customers=None) -> ForecastInputs:
    """:class:`ForecastInputs` from what they are made of, sums over customers that a database
    computes as well (:mod:`mrrkit.sql.forecast`), so that both engines finish them here.

    Parameters
    ----------
    table : DataFrame
        The monthly table (:func:`mrrkit.monthly`) up to the last complete month.
    rows : DataFrame
        Its window rows (:func:`window_rows`).
    lives : FirstLives
        Every cohort's first lives at the last complete month.
    paying : AgeMasses or None
        The customers paying at the last complete month by age (None with ``customers``).
    weight_sums : (int, int)
        The sum of the first lives' MRR when lost or last seen (micros) and of its square.
    bands : WindowBands
        The window's months by age band.
    method, window, horizon, trend
        As :func:`forecast_inputs` takes them.
    customers : (ids, mrr, age), optional
        Each customer's id, MRR (currency units) and age at the last complete month (-1: not
        paying), where they are at hand (the pandas engine).
    """
    last = table.index[-1].ordinal
    base = rows["prev_mrr"].sum()
    expansion_rate = float(rows["expansion"].sum() / base) if base > 0 else 0.0
    contraction_rate = float(-rows["contraction"].sum() / base) if base > 0 else 0.0
    x = np.arange(-len(rows) + 1, 1, dtype="float64")
    new = rows["new"].to_numpy(dtype="float64")
    if trend:
        intercept, slope = (float(v) for v in _trend(new, x))
    else:
        intercept, slope = float(new.mean()), 0.0
    n_new = rows["new_customers"].sum()
    new_arpa = float(rows["new"].sum() / n_new) if n_new else float("nan")
    reactivation_mrr = float(rows["reactivation"].mean())
    n_react = rows["reactivated_customers"].sum()
    reactivation_arpa = float(rows["reactivation"].sum() / n_react) if n_react else float("nan")

    if lives.customers:
        lost, cens = lives.counts()
        lost_mrr, cens_mrr = lives.weighted("mrr", len(lost))
    else:
        lost = cens = lost_mrr = cens_mrr = np.zeros(1)
    total, square = weight_sums
    mrr_sample_size = float(total * total / square) if square > 0 else 0.0

    ids, mrr, age = customers if customers is not None else (None, None, None)
    max_age = int(age.max(initial=0)) if age is not None else len(paying.customers) - 1
    length = max_age + horizon + 2
    fit = fit_mrr = None
    if method == "sbg":
        if lost.sum() == 0:
            raise ForecastError(
                "no customer has churned yet: the retention model cannot be fitted; "
                "use method='empirical'", "no_churn"
            )
        fit = _fit_counts(lost, cens, lives.customers)
        fit_mrr = _fit_counts(lost_mrr, cens_mrr, lives.customers)
        hazard = _sbg_hazard(fit.alpha, fit.beta, length)
        hazard_mrr = _sbg_hazard(fit_mrr.alpha, fit_mrr.beta, length)
    else:
        hazard = _empirical_hazard(lost, cens, length)
        _, at_risk = km_hazard(lost, cens)
        hazard_mrr = _empirical_hazard(lost_mrr, cens_mrr, length,
                                       reliable=at_risk >= _MIN_AT_RISK)

    b_exp = bands.expansion_micros / MICROS
    b_con = bands.contraction_micros / MICROS
    b_mrr = bands.mrr_micros / MICROS
    b_cust = bands.customers.astype("float64")
    customers_at_risk = b_cust.sum(0)
    expansion_by_age = _rates_by_age(_band_rates(b_exp.sum(0), b_mrr.sum(0), customers_at_risk),
                                     length)
    contraction_by_age = _rates_by_age(_band_rates(b_con.sum(0), b_mrr.sum(0),
                                                   customers_at_risk), length)
    return ForecastInputs(
        origin=period(last),
        method=method,
        window=window,
        horizon=horizon,
        trend=trend,
        customer_ids=ids,
        mrr=mrr,
        age=age,
        hazard=hazard,
        hazard_mrr=hazard_mrr,
        fit=fit,
        fit_mrr=fit_mrr,
        lost=lost,
        censored=cens,
        lost_mrr=lost_mrr,
        censored_mrr=cens_mrr,
        mrr_sample_size=mrr_sample_size,
        expansion_rate=expansion_rate,
        contraction_rate=contraction_rate,
        expansion_by_age=expansion_by_age,
        contraction_by_age=contraction_by_age,
        band_expansion=b_exp,
        band_contraction=b_con,
        band_mrr=b_mrr,
        band_customers=b_cust,
        new_intercept=intercept,
        new_slope=slope,
        new_arpa=new_arpa,
        reactivation_mrr=reactivation_mrr,
        reactivation_arpa=reactivation_arpa,
        window_table=rows,
        history=table,
        paying=paying,
    )


def forecast_inputs(data, as_of=None, method: str = "sbg", window: int = 12, horizon: int = 36,
                    trend: bool = True, definitions=None) -> ForecastInputs:
    """Estimate once what every projection needs (see the module notes).

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    as_of : date-like, optional
    method : {"sbg", "empirical"}
        Survival of customers: the fitted sBG model, or the pooled empirical cohort curve.
    window : int
        Recent complete months the expansion, contraction and new-business figures come from.
    horizon : int
        Longest projection the inputs will serve (months, up to 120).
    trend : bool
        New MRR follows the window's linear trend (True) or stays at its mean (False).
    definitions : Definitions or str, optional
        For lines: the definitions of their movements (:class:`mrrkit.Definitions`; movements
        keep theirs).

    Raises
    ------
    ForecastError
        No movements, fewer than two complete months, or (``method="sbg"``) no churn yet.
    """
    moves = movements_of(data, as_of, definitions)
    return _inputs_from_moves(moves.arrays, method, window, horizon, trend, moves.definitions)
