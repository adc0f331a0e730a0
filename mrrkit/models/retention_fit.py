"""The sBG retention model fitted to the data: logo survival by monthly cohort, per segment, and
the model-based LTV next to the cheat sheet's simple one (seed 004).

Survival here follows each customer's *first life*, which is what the sBG model describes (a
customer leaves once, for good):

- a customer's cohort ``c`` is the month of its ``new`` movement (as in :func:`mrrkit.views.cohorts`);
- it is *alive at age* ``a >= 1`` when it has not churned by the end of month ``c + a``; a
  customer who churns and later comes back counts as lost at its first churn (a reactivation
  starts a new life, which :func:`mrrkit.views.cohorts` counts back into the cohort but the model
  does not, since survival that rises again is not a lifetime);
- age 0 is the cohort size (every customer acquired in month ``c``); a customer who leaves within
  its acquisition month is lost at age 1, one renewal opportunity = one month;
- only complete months count: the last month observed is as_of's month when as_of is its last
  day, else the month before. A customer still alive then is right-censored.

*Revenue survival* (``weight="mrr"``) follows the same first lives, counting MRR instead of
logos: the hazard at age ``t`` is the MRR lost at age ``t`` (each customer's MRR just before its
first churn) over the MRR at risk (the MRR, at the end of month ``cohort + t - 1``, of the
customers still in their first life then). Bigger customers usually churn less, so revenue
survives better than logos; the forecast projects MRR with it (:mod:`mrrkit.models.forecast`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine.lines import MICROS, customer_attributes
from ..views.metrics import ltv as simple_ltv
from ..engine.monthly import month_of, monthly, period
from ..engine.movements import CHURN, NEW, Moves, as_moves, movements, to_frame
from ..views.segments import filter_movements
from .sbg import (
    SBGFit,
    _at_edge,
    _fit_counts,
    _log_standard_errors,
    discounted_expected_lifetime,
)

__all__ = [
    "EXTRAPOLATION_CODES",
    "FALLBACK_CODES",
    "FIT_SOURCES",
    "MIN_FIT_CHURNS",
    "MIN_FIT_CUSTOMERS",
    "MIN_FIT_MONTHS",
    "UNIDENTIFIED_CODES",
    "WEIGHTS",
    "FitFlag",
    "SegmentFit",
    "cohort_survivors",
    "fit_retention",
    "fit_segments",
    "model_ltv",
    "monthly_discount",
    "retention_by_segment",
    "retention_curves",
]

_EPOCH = np.datetime64("1970-01-01", "D")

#: What survival counts: customers (logo survival) or their MRR (revenue survival).
WEIGHTS = ("customers", "mrr")


def last_complete_month(as_of_day: int) -> int:
    """Month ordinal of the last complete month at day ``as_of_day`` (the as_of month itself
    when as_of is that month's last day)."""
    month, next_day_month = month_of(np.array([as_of_day, as_of_day + 1]))
    return int(month) if next_day_month != month else int(month) - 1


def monthly_discount(annual_discount: float) -> float:
    """Monthly rate equivalent to an annual one: ``(1 + annual) ** (1/12) - 1``."""
    if not np.isfinite(annual_discount) or annual_discount < 0:
        raise ValueError(f"annual_discount must be >= 0 (0.10 = 10%), got {annual_discount!r}")
    return float((1.0 + annual_discount) ** (1.0 / 12.0) - 1.0)


def lifetimes(m: Moves, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First lives of the customers acquired before month ``last``.

    Returns ``(customer, cohort, duration, churned)`` arrays: customer number, cohort month
    ordinal, and either the renewal opportunity at which the customer was lost (``churned``) or
    the last one it was seen alive at (``last - cohort``, censored). Cohorts of month ``last``
    itself carry no information yet and are left out.
    """
    n_cust = len(m.customers)
    if len(m) == 0:
        z = np.zeros(0, np.int64)
        return z, z, z, np.zeros(0, bool)
    mon = month_of(m.day)
    cohort = np.full(n_cust, np.iinfo(np.int64).max, np.int64)
    is_new = m.kind == NEW
    cohort[m.cust[is_new]] = mon[is_new]
    # Rows are sorted by customer then day, so the first churn row of a customer is its first
    # churn: assign in reverse so the earliest one wins.
    first_churn = np.full(n_cust, np.iinfo(np.int64).max, np.int64)
    churn_rows = np.flatnonzero(m.kind == CHURN)[::-1]
    first_churn[m.cust[churn_rows]] = mon[churn_rows]
    keep = cohort < last
    cust = np.flatnonzero(keep)
    c = cohort[keep]
    q = first_churn[keep]
    churned = q <= last
    duration = np.where(churned, np.maximum(q - c, 1), last - c)
    return cust, c, duration.astype(np.int64), churned


def lifetime_counts(duration: np.ndarray, churned: np.ndarray, t_max: int | None = None):
    """``(lost[t], censored[t])`` for ``t = 1..t_max`` from first-life durations."""
    if t_max is None:
        t_max = int(duration.max()) if len(duration) else 1
    lost = np.bincount(duration[churned] - 1, minlength=t_max)[:t_max].astype("float64")
    cens = np.bincount(duration[~churned] - 1, minlength=t_max)[:t_max].astype("float64")
    return lost, cens


def revenue_counts(
    m: Moves,
    last: int,
    cust: np.ndarray,
    cohort: np.ndarray,
    duration: np.ndarray,
    churned: np.ndarray,
    t_max: int | None = None,
):
    """``(lost_mrr[t], at_risk_mrr[t])`` for ``t = 1..t_max`` from the first lives
    :func:`lifetimes` returns (see the module notes): MRR lost at age ``t`` and MRR at risk at
    age ``t``, in currency units."""
    if t_max is None:
        t_max = int(duration.max()) if len(duration) else 1
    lost = np.zeros(t_max)
    risk = np.zeros(t_max + 1)
    if len(cust) == 0:
        return lost, risk[:-1]
    pos = np.full(len(m.customers), -1, np.int64)
    pos[cust] = np.arange(len(cust))
    mon = month_of(m.day)
    # The last row of each (customer, month) carries the MRR at that month's end; it holds until
    # the customer's next such row.
    month_end = np.append((m.cust[1:] != m.cust[:-1]) | (mon[1:] != mon[:-1]), True)
    rows = np.flatnonzero(month_end & (pos[m.cust] >= 0))
    i = pos[m.cust[rows]]
    same_next = np.append(m.cust[rows][1:] == m.cust[rows][:-1], False)
    next_month = np.where(same_next, np.append(mon[rows][1:], 0), np.iinfo(np.int64).max // 2)
    # MRR at the end of month M weighs age t = M - cohort + 1, up to the last age at risk before
    # the loss (the loss age itself weighs the MRR lost, below).
    lo = np.maximum(mon[rows] - cohort[i] + 1, 1)
    hi = np.minimum(next_month - cohort[i], duration[i] - churned[i])
    hi = np.minimum(hi, t_max)
    ok = lo <= hi
    value = m.after[rows].astype("float64") / MICROS
    np.add.at(risk, lo[ok] - 1, value[ok])
    np.add.at(risk, hi[ok], -value[ok])
    risk = np.cumsum(risk)[:-1]
    # MRR lost: the first churn row's MRR before it.
    churn_rows = np.flatnonzero(m.kind == CHURN)[::-1]
    lost_by_cust = np.zeros(len(m.customers))
    lost_by_cust[m.cust[churn_rows]] = m.before[churn_rows] / MICROS
    gone = np.flatnonzero(churned & (duration <= t_max))
    amount = lost_by_cust[cust[gone]]
    np.add.at(lost, duration[gone] - 1, amount)
    np.add.at(risk, duration[gone] - 1, amount)
    return lost, risk


def pseudo_counts(hazard: np.ndarray, at_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lost and censored counts whose Kaplan-Meier hazard is ``hazard`` (exactly) and whose
    numbers at risk follow ``at_risk`` (the customers observed at each age) as far as the
    hazard allows (when it removes more than ``at_risk`` falls, fewer stay at risk): how a
    revenue (MRR-weighted) survival curve is handed to the sBG fit and to the bootstrap, which
    work on counts. Counts are fractional."""
    hazard = np.nan_to_num(np.asarray(hazard, dtype="float64"))
    at_risk = np.asarray(at_risk, dtype="float64")
    lost = np.zeros(len(hazard))
    cens = np.zeros(len(hazard))
    r = at_risk[0] if len(at_risk) else 0.0
    for t in range(len(hazard)):
        lost[t] = hazard[t] * r
        later = at_risk[t + 1] if t + 1 < len(at_risk) else 0.0
        cens[t] = max(r - lost[t] - later, 0.0)
        r = r - lost[t] - cens[t]
    return lost, cens


def weighted_counts(
    m: Moves, last: int, cust, cohort, duration, churned, weight: str, t_max: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(lost, censored)`` by age for the sBG fit: customer counts (``weight="customers"``) or
    the pseudo-counts of revenue survival (``weight="mrr"``, see :func:`pseudo_counts`)."""
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, got {weight!r}")
    lost, cens = lifetime_counts(duration, churned, t_max)
    if weight == "customers":
        return lost, cens
    lost_mrr, risk_mrr = revenue_counts(m, last, cust, cohort, duration, churned, len(lost))
    _, at_risk = km_hazard(lost, cens)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(risk_mrr > 0, lost_mrr / np.where(risk_mrr > 0, risk_mrr, 1), 0.0)
    return pseudo_counts(hazard, at_risk)


def _moves_and_last(data, as_of):
    m = as_moves(data, as_of)
    return m, last_complete_month(m.as_of)


def cohort_survivors(data, as_of=None, normalize: bool = False) -> pd.DataFrame:
    """First-life survivors by acquisition cohort and age (the data the sBG model is fitted to).

    Parameters
    ----------
    data : DataFrame
        Canonical lines or a :func:`mrrkit.engine.movements` frame (filter it for a segment).
    as_of : date-like, optional
    normalize : bool
        ``False``: counts (age 0 = cohort size). ``True``: shares of the cohort size.

    Returns
    -------
    DataFrame indexed by ``cohort`` (monthly Period), columns ``age`` 0..K; cell = customers of
    the cohort not yet churned by the end of month ``cohort + age`` (first churn; see the module
    notes). NaN after the last complete month. Cohorts of the last complete month are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-01-10", "2024-01-20"]),
    ...     "end": pd.to_datetime(["2024-02-10", None, "2024-04-30"]),
    ...     "mrr": [10.0, 10.0, 10.0],
    ... })
    >>> cohort_survivors(lines, as_of="2024-04-30")   # a leaves in Feb, c on Apr 30
    age        0    1    2    3
    cohort
    2024-01  3.0  2.0  2.0  1.0
    """
    m, last = _moves_and_last(data, as_of)
    _, c, duration, churned = lifetimes(m, last)
    if len(c) == 0:
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
        empty.columns.name = "age"
        return empty
    months = np.unique(c)
    width = int(last - months[0]) + 1
    row = np.searchsorted(months, c)
    size = np.bincount(row, minlength=len(months)).astype("float64")
    lost = np.zeros((len(months), width))
    np.add.at(lost, (row[churned], duration[churned]), 1.0)
    table = size[:, None] - np.cumsum(lost, axis=1)
    ages = np.arange(width)[None, :]
    table[ages > (last - months)[:, None]] = np.nan
    if normalize:
        table = table / size[:, None]
    frame = pd.DataFrame(
        table,
        index=pd.PeriodIndex.from_ordinals(months, freq="M", name="cohort"),
        columns=pd.RangeIndex(width, name="age"),
    )
    return frame


def _select_cohorts(c: np.ndarray, cohorts) -> np.ndarray:
    if cohorts is None:
        return np.ones(len(c), bool)
    wanted = np.array([pd.Period(x, freq="M").ordinal for x in cohorts], dtype=np.int64)
    return np.isin(c, wanted)


def fit_retention(data, as_of=None, cohorts=None, weight: str = "customers") -> SBGFit:
    """Fit the sBG model jointly to the first-life survival of all monthly cohorts.

    Parameters
    ----------
    data : DataFrame
        Canonical lines or a :func:`mrrkit.engine.movements` frame (filter it to a segment's customers
        to fit that segment).
    as_of : date-like, optional
    cohorts : iterable of months, optional
        Fit only these cohorts (e.g. the last year's, when retention has changed).
    weight : {"customers", "mrr"}
        Logo survival (the default), or revenue survival: the model fitted to the MRR-weighted
        curve (see the module notes; ``loglik`` is then that of the pseudo-counts).

    Returns
    -------
    SBGFit
        Monthly model: ``survival(t)`` is the share of a new cohort (of its MRR, with
        ``weight="mrr"``) still paying after ``t`` months. Raises ``ValueError`` when no
        customer has churned.
    """
    m, last = _moves_and_last(data, as_of)
    cust, c, duration, churned = lifetimes(m, last)
    pick = _select_cohorts(c, cohorts)
    if not pick.any():
        raise ValueError("no cohort with at least one complete month after acquisition")
    lost, cens = weighted_counts(
        m, last, cust[pick], c[pick], duration[pick], churned[pick], weight
    )
    return _fit_counts(lost, cens, int(pick.sum()))


def km_hazard(lost: np.ndarray, cens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pooled (Kaplan-Meier) hazard by age from lost/censored counts: ``(hazard, at_risk)`` for
    ages 1..T; at risk at age ``t`` = customers lost at or censored at ``t`` or later."""
    at_risk = np.cumsum((lost + cens)[..., ::-1], axis=-1)[..., ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, lost / np.where(at_risk > 0, at_risk, 1), np.nan)
    return hazard, at_risk


def retention_curves(
    data,
    fit: SBGFit | None = None,
    as_of=None,
    max_age: int | None = None,
    weight: str = "customers",
    cohorts=None,
):
    """Observed pooled survival next to the fitted sBG curve, by age in months.

    Returns
    -------
    DataFrame indexed by ``age`` 0..K with ``at_risk`` (customers observed at that age),
    ``churned`` (first churns at that age), ``observed`` (Kaplan-Meier survival pooled over
    cohorts: the product of ``1 - churned / at_risk``), ``fitted`` (``fit.survival(age)``;
    the fit is :func:`fit_retention` of ``data`` unless given) and ``fitted_retention``
    (``fit.retention(age)``, the month-on-month renewal rate). ``max_age`` extends the fitted
    columns beyond the data (observed columns NaN there). With ``weight="mrr"``, ``observed``
    and the default fit are those of revenue survival (``churned`` and ``at_risk`` stay
    customer counts). ``cohorts`` (months) keeps only those cohorts, as in
    :func:`fit_retention`.
    """
    m, last = _moves_and_last(data, as_of)
    cust, c, duration, churned = lifetimes(m, last)
    pick = _select_cohorts(c, cohorts)
    cust, c, duration, churned = cust[pick], c[pick], duration[pick], churned[pick]
    lost, cens = lifetime_counts(duration, churned)
    counts = weighted_counts(m, last, cust, c, duration, churned, weight, len(lost))
    if fit is None:
        fit = _fit_counts(*counts, len(c))
    hazard, _ = km_hazard(*counts)
    _, at_risk = km_hazard(lost, cens)
    k = len(lost) if max_age is None else max(int(max_age), 0)
    ages = np.arange(k + 1)
    observed = np.full(k + 1, np.nan)
    n_obs = min(len(lost), k)
    observed[0] = 1.0
    observed[1 : n_obs + 1] = np.cumprod(1 - np.nan_to_num(hazard[:n_obs]))
    risk = np.full(k + 1, np.nan)
    risk[0] = len(c)
    risk[1 : n_obs + 1] = at_risk[:n_obs]
    lost_col = np.full(k + 1, np.nan)
    lost_col[0] = 0
    lost_col[1 : n_obs + 1] = lost[:n_obs]
    observed[1 : n_obs + 1][risk[1 : n_obs + 1] == 0] = np.nan
    retention = np.full(k + 1, np.nan)
    retention[1:] = fit.retention(ages[1:])
    return pd.DataFrame(
        {
            "at_risk": risk,
            "churned": lost_col,
            "observed": observed,
            "fitted": fit.survival(ages),
            "fitted_retention": retention,
        },
        index=pd.RangeIndex(k + 1, name="age"),
    )


def _expected_lifetime(fit: SBGFit) -> float:
    """Undiscounted expected lifetime in months, ``sum_t S(t) = (a + b - 1) / (a - 1)``."""
    return discounted_expected_lifetime(fit.alpha, fit.beta, 0.0)


def model_ltv(data, fit: SBGFit | None = None, annual_discount: float = 0.10, window: int = 6,
              as_of=None) -> pd.Series:
    """Model-based LTV next to the cheat sheet's simple LTV, at the last complete month.

    - ``simple_ltv``: seed 004, ``ARPA / mean customer churn rate of the last 6 months``
      (:func:`mrrkit.ltv`); it assumes every customer churns at the same constant rate.
    - ``model_ltv``: ``ARPA x DEL``, with DEL the discounted expected lifetime (in months,
      first month included) of a new customer under the fitted sBG model and the monthly
      equivalent of ``annual_discount`` (Fader & Hardie 2010). It accounts for retention rising
      with age, which the simple formula misses.
    - ``expected_lifetime_months``: undiscounted ``sum_t S(t)``; infinite when ``alpha <= 1``
      (the model then has too many near-permanent customers for a finite mean).

    Returns
    -------
    Series named after the month (a ``Period``) with ``arpa, mean_churn_rate, simple_ltv,
    alpha, beta, del_months, expected_lifetime_months, model_ltv``.
    """
    m, last = _moves_and_last(data, as_of)
    if fit is None:
        fit = fit_retention(m)
    table = monthly(m)
    table = table.loc[: period(last)]
    if table.empty:
        raise ValueError("no complete month in the data")
    arpa = float(table["arpa"].iloc[-1])
    churn = float(table["customer_churn_rate"].iloc[-window:].mean())
    simple = float(simple_ltv(table, window=window).iloc[-1])
    d = monthly_discount(annual_discount)
    del_months = discounted_expected_lifetime(fit.alpha, fit.beta, d)
    return pd.Series(
        {
            "arpa": arpa,
            "mean_churn_rate": churn,
            "simple_ltv": simple,
            "alpha": fit.alpha,
            "beta": fit.beta,
            "del_months": del_months,
            "expected_lifetime_months": _expected_lifetime(fit),
            "model_ltv": arpa * del_months,
        },
        name=period(last),
        dtype="float64",
    )


# --- per-segment fits -----------------------------------------------------------------------------

#: Fewest customers (in the fitted cohorts) a segment needs for a fit of its own; below it the
#: segment is given the pooled fit (every customer's).
MIN_FIT_CUSTOMERS = 30
#: Fewest first churns a segment needs for a fit of its own: two parameters from fewer events
#: mostly echo the noise.
MIN_FIT_CHURNS = 10
#: Fewest ages (months after acquisition) a segment's customers must have been observed at: with
#: one or two, the model cannot tell falling churn from customers who all churn alike.
MIN_FIT_MONTHS = 3
#: Largest standard error of ``log alpha`` or ``log beta`` (from the Hessian of the
#: log-likelihood) of a fit identified from the data: 2 means the data cannot tell the parameter
#: from 7.4 (``e**2``) times more or less at one standard error.
MAX_LOG_SE = 2.0
#: A parameter within this distance in log (a factor of 2) of the optimiser's search box
#: ``[1e-4, 1e5]`` is at its edge: the optimiser stops on the flat ridge that leads there, not
#: always on the edge itself, and no real population has a parameter that extreme.
EDGE_TOLERANCE = float(np.log(2.0))
#: A model LTV is flagged when more than this share of it comes from months beyond the data
#: (two thirds: with 4 years of data and a 10% discount, about half of a typical LTV does).
MAX_LTV_BEYOND_SHARE = 2 / 3
#: The LTV's horizon: the months of payments that make this share of it.
LTV_HORIZON_SHARE = 0.9
#: How far the LTV's horizon is looked for (100 years); beyond, it is infinite.
_HORIZON_CAP = 1200

#: Why a segment is given the pooled fit instead of its own (see :class:`FitFlag`).
FALLBACK_CODES = ("too_few_customers", "no_churn", "too_few_churns", "too_few_months")
#: Why a fit is not identified from the data.
UNIDENTIFIED_CODES = ("at_edge", "flat_likelihood")
#: A figure that rests mostly on the model beyond the observed months.
EXTRAPOLATION_CODES = ("median_beyond_data", "ltv_beyond_data")
#: Where a segment's figures come from: its own fit, the pooled one, or none (nothing to fit).
FIT_SOURCES = ("own", "pooled", "none")


@dataclass(frozen=True)
class FitFlag:
    """Something to know about a segment's fit: a code plus the figures behind it (an
    application words it in its own language from these, never from English text).

    ==================== ====================================================================
    code                 values
    ==================== ====================================================================
    too_few_customers    ``customers`` (in the fitted cohorts), ``minimum``
    no_churn             ``customers``
    too_few_churns       ``churned`` (first churns), ``minimum``
    too_few_months       ``months`` (oldest age observed), ``minimum``
    at_edge              ``parameter`` (``"alpha"``/``"beta"``), ``edge`` (``"low"``/``"high"``),
                         ``value``, ``limit`` (the search box's edge)
    flat_likelihood      ``parameter`` (the less certain one), ``log_se`` (its standard error in
                         log, may be ``inf``), ``maximum`` (:data:`MAX_LOG_SE`)
    median_beyond_data   ``median_months`` (may be ``inf``), ``observed_months``
    ltv_beyond_data      ``share`` (of the model LTV from months beyond the data),
                         ``horizon_months`` (months of payments that make
                         :data:`LTV_HORIZON_SHARE` of it), ``observed_months``
    ==================== ====================================================================

    Attributes
    ----------
    code : str
        One of :data:`FALLBACK_CODES`, :data:`UNIDENTIFIED_CODES`, :data:`EXTRAPOLATION_CODES`.
    items : tuple of (name, value) pairs
        The values, in the order above (``values`` gives them as a dict).

    Examples
    --------
    >>> flag = FitFlag.of("too_few_customers", customers=12, minimum=30)
    >>> flag.code, flag.values, flag["minimum"]
    ('too_few_customers', {'customers': 12, 'minimum': 30}, 30)
    """

    code: str
    items: tuple = ()

    @classmethod
    def of(cls, code: str, /, **values) -> "FitFlag":
        """The flag ``code`` with ``values``."""
        return cls(code, tuple(values.items()))

    @property
    def values(self) -> dict:
        """The values as a (new) dict."""
        return dict(self.items)

    def __getitem__(self, name: str):
        return self.values[name]


@dataclass(frozen=True)
class SegmentFit:
    """The retention model of one segment (or of every customer): the fit its figures use, where
    that fit comes from, and what to know about it (see :func:`fit_segments`).

    Attributes
    ----------
    segment : str or None
        The segment's name; ``None`` for the pooled fit of every customer.
    customers, churned : int
        Customers in the fitted cohorts and their first churns.
    observed_months : int
        The oldest age (months after acquisition) at which the segment's customers were observed:
        the months of data its own fit rests on.
    source : {"own", "pooled", "none"}
        ``"own"``: fitted to the segment's data. ``"pooled"``: the segment is too small (see the
        :data:`FALLBACK_CODES` flags) and its figures use the pooled fit. ``"none"``: no fit at
        all (the pooled one could not be made either); the figures are NaN.
    fit, revenue_fit : SBGFit or None
        The logo and revenue (MRR-weighted) fits the figures use.
    fit_months : int
        The months of data behind ``fit``: ``observed_months``, or the pooled fit's.
    log_se : (float, float)
        Standard errors of ``log alpha`` and ``log beta`` of ``fit`` (``inf`` on a ridge of the
        likelihood, NaN without a fit).
    flags : tuple of FitFlag
        In order: why the pooled fit is used (``no_churn`` first), why the fit used is not
        identified, which figures extrapolate beyond ``fit_months``.
    median_lifetime, expected_lifetime_months, del_months : float
        Under ``fit``: median lifetime in months, mean lifetime (``inf`` when ``alpha <= 1``),
        discounted expected lifetime (:func:`model_ltv`).
    ltv_beyond_share, ltv_horizon_months : float
        Share of ``del_months`` (so of the model LTV) paid at ages beyond ``fit_months``; months
        of payments that make :data:`LTV_HORIZON_SHARE` of it (``inf`` beyond 100 years).
    arpa, mean_churn_rate, simple_ltv, model_ltv : float
        The segment's own ARPA and churn at the last complete month, its simple LTV, and
        ``arpa x del_months`` (:func:`model_ltv`).
    curves : DataFrame or None
        :func:`retention_curves` of the segment's data with ``fit``: its observed survival next
        to the curve its figures use.
    """

    segment: str | None
    customers: int
    churned: int
    observed_months: int
    source: str
    fit: SBGFit | None
    revenue_fit: SBGFit | None
    fit_months: int
    log_se: tuple[float, float]
    flags: tuple[FitFlag, ...]
    median_lifetime: float
    expected_lifetime_months: float
    del_months: float
    ltv_beyond_share: float
    ltv_horizon_months: float
    arpa: float
    mean_churn_rate: float
    simple_ltv: float
    model_ltv: float
    curves: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        """The flags' codes, in order."""
        return tuple(f.code for f in self.flags)

    @property
    def identified(self) -> bool:
        """A fit is used and the data pin it down (no :data:`UNIDENTIFIED_CODES` flag)."""
        return self.fit is not None and not any(c in UNIDENTIFIED_CODES for c in self.codes)

    def flag(self, code: str) -> FitFlag | None:
        """The flag ``code``, or None."""
        return next((f for f in self.flags if f.code == code), None)

    def figures(self) -> dict:
        """The segment's row of :func:`retention_by_segment`: counts, source, flags (codes
        joined by ``", "``), parameters and figures (NaN without a fit)."""
        fit, revenue = self.fit, self.revenue_fit
        nan = float("nan")
        return {
            "customers": self.customers,
            "churned": self.churned,
            "observed_months": self.observed_months,
            "source": self.source,
            "identified": self.identified,
            "flags": ", ".join(self.codes),
            "alpha": fit.alpha if fit else nan,
            "beta": fit.beta if fit else nan,
            "loglik": fit.loglik if fit else nan,
            "log_se_alpha": self.log_se[0],
            "log_se_beta": self.log_se[1],
            "first_month_churn": fit.alpha / (fit.alpha + fit.beta) if fit else nan,
            "survival_12m": fit.survival(12) if fit else nan,
            "revenue_survival_12m": revenue.survival(12) if revenue else nan,
            "median_lifetime": self.median_lifetime,
            "expected_lifetime_months": self.expected_lifetime_months,
            "del_months": self.del_months,
            "ltv_beyond_share": self.ltv_beyond_share,
            "ltv_horizon_months": self.ltv_horizon_months,
            "arpa": self.arpa,
            "mean_churn_rate": self.mean_churn_rate,
            "simple_ltv": self.simple_ltv,
            "model_ltv": self.model_ltv,
        }


def _ltv_extent(fit: SBGFit, discount: float, observed: int) -> tuple[float, float]:
    """``(share of the DEL paid at ages beyond observed, months of payments that make
    LTV_HORIZON_SHARE of it)`` under ``fit`` at a monthly ``discount``."""
    total = discounted_expected_lifetime(fit.alpha, fit.beta, discount)
    if not np.isfinite(total) or total <= 0:
        return 1.0, float("inf")
    t = np.arange(_HORIZON_CAP + 1)
    paid = fit.survival(t) / (1.0 + discount) ** t
    within = float(paid[: observed + 1].sum())
    share = min(max(1.0 - within / total, 0.0), 1.0)
    reached = int(np.searchsorted(np.cumsum(paid), LTV_HORIZON_SHARE * total))
    return share, (float(reached + 1) if reached <= _HORIZON_CAP else float("inf"))


def _identification(fit: SBGFit, lost, cens) -> tuple[tuple[float, float], list[FitFlag]]:
    """Standard errors of the log-parameters and the flags of a fit not pinned down."""
    log_se = _log_standard_errors(fit, lost, cens)
    flags = [FitFlag.of("at_edge", parameter=p, edge=e, value=getattr(fit, p), limit=lim)
             for p, e, lim in _at_edge(fit, EDGE_TOLERANCE)]
    worst = int(np.argmax(log_se))
    if not log_se[worst] <= MAX_LOG_SE:
        flags.append(FitFlag.of("flat_likelihood", parameter=("alpha", "beta")[worst],
                                log_se=log_se[worst], maximum=MAX_LOG_SE))
    return log_se, flags


def _fit_group(m: Moves, last: int, cohorts, segment, pooled, *, discount: float, window: int,
               max_age, minimums: tuple[int, int, int]) -> SegmentFit:
    """The :class:`SegmentFit` of one group's movement arrays (``pooled``: the pooled
    SegmentFit to fall back on, None when fitting the pooled one)."""
    cust, c, duration, churned = lifetimes(m, last)
    pick = _select_cohorts(c, cohorts)
    cust, c, duration, churned = cust[pick], c[pick], duration[pick], churned[pick]
    n, n_churned = len(c), int(churned.sum())
    observed = int(duration.max()) if n else 0
    min_customers, min_churned, min_months = minimums
    flags = []
    # No churn at all first: nothing to estimate, however many customers.
    if n and n_churned == 0:
        flags.append(FitFlag.of("no_churn", customers=n))
    if n < min_customers:
        flags.append(FitFlag.of("too_few_customers", customers=n, minimum=min_customers))
    if n and 0 < n_churned < min_churned:
        flags.append(FitFlag.of("too_few_churns", churned=n_churned, minimum=min_churned))
    if n and observed < min_months:
        flags.append(FitFlag.of("too_few_months", months=observed, minimum=min_months))
    nan = float("nan")
    fit = revenue = None
    log_se, fit_months = (nan, nan), observed
    if not flags:
        source = "own"
        lost, cens = lifetime_counts(duration, churned)
        fit = _fit_counts(lost, cens, n)
        try:
            revenue = _fit_counts(*weighted_counts(m, last, cust, c, duration, churned, "mrr",
                                                   len(lost)), n)
        except ValueError:  # churners who paid nothing: no revenue lost to fit
            revenue = None
        log_se, unidentified = _identification(fit, lost, cens)
        flags += unidentified
    elif pooled is not None and pooled.fit is not None:
        source, fit, revenue = "pooled", pooled.fit, pooled.revenue_fit
        log_se, fit_months = pooled.log_se, pooled.fit_months
        flags += [f for f in pooled.flags if f.code in UNIDENTIFIED_CODES]
    else:
        source = "none"
    figures = dict(median_lifetime=nan, expected_lifetime_months=nan, del_months=nan,
                   ltv_beyond_share=nan, ltv_horizon_months=nan, arpa=nan, mean_churn_rate=nan,
                   simple_ltv=nan, model_ltv=nan)
    curves = None
    if fit is not None:
        median = fit.median_lifetime()
        share, horizon = _ltv_extent(fit, discount, fit_months)
        figures.update(median_lifetime=median, expected_lifetime_months=_expected_lifetime(fit),
                       del_months=discounted_expected_lifetime(fit.alpha, fit.beta, discount),
                       ltv_beyond_share=share, ltv_horizon_months=horizon)
        if median > fit_months:
            flags.append(FitFlag.of("median_beyond_data", median_months=median,
                                    observed_months=fit_months))
        if share > MAX_LTV_BEYOND_SHARE:
            flags.append(FitFlag.of("ltv_beyond_data", share=share, horizon_months=horizon,
                                    observed_months=fit_months))
        if len(m):
            table = monthly(m).loc[: period(last)]
            if not table.empty:
                arpa = float(table["arpa"].iloc[-1])
                figures.update(
                    arpa=arpa,
                    mean_churn_rate=float(table["customer_churn_rate"].iloc[-window:].mean()),
                    simple_ltv=float(simple_ltv(table, window=window).iloc[-1]),
                    model_ltv=arpa * figures["del_months"],
                )
        if n:
            curves = retention_curves(
                m, fit, max_age=max(36, observed + 12) if max_age is None else max_age,
                cohorts=cohorts)
    return SegmentFit(segment=segment, customers=n, churned=n_churned, observed_months=observed,
                      source=source, fit=fit, revenue_fit=revenue, fit_months=int(fit_months),
                      log_se=tuple(float(v) for v in log_se), flags=tuple(flags), curves=curves,
                      **figures)


def _groups(m: Moves, segments):
    """``(name, customers)`` of every segment, ``customers`` as :func:`filter_movements` takes
    them."""
    if segments is None:
        return []
    if isinstance(segments, pd.Series):
        ids = pd.Index(np.asarray(m.customers, dtype=object))
        present = ids[np.isin(ids, np.asarray(segments.index.astype("str"), dtype=object))]
        value_of = segments.set_axis(segments.index.astype("str")).reindex(present)
        if isinstance(segments.dtype, pd.CategoricalDtype):
            order = [v for v in segments.cat.categories if (value_of == v).any()]
        else:
            order = sorted(pd.unique(value_of.dropna()), key=str)
        return [(str(v), present[(value_of == v).to_numpy()]) for v in order]
    return [(str(name), customers) for name, customers in segments.items()]


def fit_segments(data, segments=None, as_of=None, cohorts=None, annual_discount: float = 0.10,
                 min_customers: int = MIN_FIT_CUSTOMERS, min_churned: int = MIN_FIT_CHURNS,
                 min_months: int = MIN_FIT_MONTHS, max_age: int | None = None,
                 window: int = 6, pooled: SegmentFit | None = None) -> tuple[SegmentFit, ...]:
    """The sBG model fitted to every customer and to each segment, each fit with what to know
    about it: whether the data identify it, how far its figures extrapolate, and, for a segment
    too small for a fit of its own, the pooled fit in its place.

    Parameters
    ----------
    data : DataFrame
        Canonical lines or a :func:`mrrkit.engine.movements` frame: every customer (the pooled fit).
    segments : Series or mapping, optional
        A Series of segment values indexed by customer id (e.g. a column of
        :func:`mrrkit.customer_attributes`: one fit per value, in category order when
        categorical, else sorted), or a mapping ``{name: customers}`` with customers as
        :func:`mrrkit.filter_movements` takes them (ids, or a boolean mask over the frame's
        ``customer_id`` categories). None: the pooled fit only.
    as_of : date-like, optional
    cohorts : iterable of months, optional
        Fit only these cohorts (as :func:`fit_retention`); the pooled fit too.
    annual_discount : float
        For ``del_months``, ``model_ltv`` and the LTV's extent (:func:`model_ltv`).
    min_customers, min_churned, min_months : int
        Below any of these (customers in the fitted cohorts, first churns, oldest age observed),
        a segment gets the pooled fit (``source="pooled"``, with a flag saying why); the pooled
        fit itself is then not made (``source="none"``).
    max_age : int, optional
        Ages of each :attr:`SegmentFit.curves` (default: a year past the oldest observed, at
        least 36).
    window : int
        Months of churn behind the simple LTV (:func:`model_ltv`).
    pooled : SegmentFit, optional
        The pooled fit, when already made by ``fit_segments(data)`` with the same options: it is
        returned first as it is, not made again.

    Returns
    -------
    tuple of SegmentFit
        The pooled fit (``segment=None``) first, then one per segment.

    Notes
    -----
    A fit is *not identified* (``SegmentFit.identified`` False, flags ``at_edge`` /
    ``flat_likelihood``) when a parameter stops within a factor of 2 (:data:`EDGE_TOLERANCE`)
    of the optimiser's search box ``[1e-4, 1e5]`` (the likelihood keeps rising towards the
    edge: churn that does not fall with age sends both parameters to infinity), or when the
    standard error of ``log alpha`` or ``log beta``, from the inverse of the observed
    information at the optimum, exceeds :data:`MAX_LOG_SE`. Such a fit is kept (the segment's
    churn level is its own) but its figures beyond the data are guesses.
    ``median_beyond_data`` is raised when the median lifetime is longer than the months of data
    behind the fit, ``ltv_beyond_data`` when more than :data:`MAX_LTV_BEYOND_SHARE` of the
    model LTV comes from later months. A segment given the pooled fit keeps its own ARPA and
    churn (so its own simple and model LTV), its own observed curve, and the pooled fit's flags
    of identification.

    Examples
    --------
    >>> import mrrkit
    >>> lines = mrrkit.load_sample()
    >>> size = mrrkit.customer_attributes(lines)["company_size"]
    >>> fits = fit_segments(lines, size)
    >>> by = {f.segment: f for f in fits}
    >>> by[None].source, by[None].codes, by["1-10"].source, by["1-10"].codes
    ('own', (), 'own', ())
    >>> big = by["1000+"]   # 14 churns in 4 years: the parameters run to the box's edge
    >>> big.customers, big.churned, big.source, big.identified, big.codes[:2]
    (138, 14, 'own', False, ('at_edge', 'flat_likelihood'))
    >>> by["201-1000"].flag("median_beyond_data").values
    {'median_months': 347.0, 'observed_months': 47}
    >>> tiny = fit_segments(lines, {"five": size.index[:5]})[1]
    >>> tiny.source, tiny.flags[0].values, tiny.fit == fits[0].fit
    ('pooled', {'customers': 5, 'minimum': 30}, True)
    """
    d = monthly_discount(annual_discount)
    frame = data
    if isinstance(data, Moves):
        frame = to_frame(data)
    elif isinstance(data, pd.DataFrame) and not ("kind" in data and "mrr_after" in data):
        frame = movements(data, as_of)
    m, last = _moves_and_last(frame, as_of)
    options = dict(discount=d, window=window, max_age=max_age,
                   minimums=(int(min_customers), int(min_churned), int(min_months)))
    if pooled is None:
        pooled = _fit_group(m, last, cohorts, None, None, **options)
    out = [pooled]
    for name, customers in _groups(m, segments):
        part, _ = _moves_and_last(filter_movements(frame, customers), as_of)
        out.append(_fit_group(part, last, cohorts, name, pooled, **options))
    return tuple(out)


def retention_by_segment(lines: pd.DataFrame, attribute: str, data=None, as_of=None,
                         annual_discount: float = 0.10, min_customers: int = MIN_FIT_CUSTOMERS,
                         min_churned: int = MIN_FIT_CHURNS,
                         min_months: int = MIN_FIT_MONTHS) -> pd.DataFrame:
    """The sBG model fitted separately to each value of a customer attribute
    (:func:`fit_segments` as a table).

    Parameters
    ----------
    lines : DataFrame
        Canonical lines with the attribute column (the latest line's value is the customer's,
        see :func:`mrrkit.customer_attributes`); customers without one are ``"(missing)"``.
    attribute : str
        Column to split on (``plan``, ``channel``, ...).
    data : DataFrame, optional
        The :func:`mrrkit.engine.movements` frame of ``lines`` if already computed.
    annual_discount : float
        For ``del_months`` and ``model_ltv`` (see :func:`model_ltv`).
    min_customers, min_churned, min_months : int
        A segment below any of these (customers in fitted cohorts, first churns, oldest age
        observed) gets the pooled fit's figures (``source`` ``"pooled"``, ``flags`` say why).

    Returns
    -------
    DataFrame indexed by segment value (plus ``"(all)"`` first), the columns of
    :meth:`SegmentFit.figures`: ``customers`` (in fitted cohorts), ``churned`` (first churns
    observed), ``observed_months``, ``source`` (``own``/``pooled``/``none``), ``identified``,
    ``flags`` (:class:`FitFlag` codes), ``alpha``, ``beta``, ``loglik``, ``log_se_alpha``,
    ``log_se_beta``, ``first_month_churn`` (``alpha / (alpha + beta)``), ``survival_12m``
    (``S(12)``), ``revenue_survival_12m``, ``median_lifetime``, ``expected_lifetime_months``,
    ``del_months``, ``ltv_beyond_share``, ``ltv_horizon_months``, ``arpa`` (segment ARPA at the
    last complete month), ``mean_churn_rate``, ``simple_ltv``, ``model_ltv``
    (``arpa x del_months``).
    """
    attrs = customer_attributes(lines)
    if attribute not in attrs.columns:
        raise ValueError(
            f"lines have no attribute column {attribute!r}; available: {list(attrs.columns)}"
        )
    frame = movements(lines, as_of) if data is None else data
    values = attrs[attribute].astype("str").where(attrs[attribute].notna(), "(missing)")
    ids = pd.Index(np.asarray(as_moves(frame, as_of).customers, dtype=object))
    values = values.reindex(ids).fillna("(missing)")
    fits = fit_segments(frame, values, as_of=as_of, annual_discount=annual_discount,
                        min_customers=min_customers, min_churned=min_churned,
                        min_months=min_months)
    out = pd.DataFrame.from_dict(
        {("(all)" if f.segment is None else f.segment): f.figures() for f in fits},
        orient="index")
    out.index.name = attribute
    return out
