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

The same fit per segment, with what to know about each, is :mod:`mrrkit.models.segment_fits`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from ..views.metrics import ltv as simple_ltv
from ..engine.monthly import month_of, monthly, period
from ..engine.movements import CHURN, NEW, MovementArrays, movements_of
from .sbg import SBGFit, _fit_counts, discounted_expected_lifetime

__all__ = [
    "WEIGHTS",
    "FirstLives",
    "cohort_survivors",
    "first_lives",
    "fit_retention",
    "model_ltv",
    "monthly_discount",
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


def lifetimes(m: MovementArrays, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    # A first life starts at the customer's first "new" movement: under definitions that count
    # a return after a while as new (Maxio's window), a later one starts another life, not the
    # first (assigned in reverse: the earliest wins).
    new_rows = np.flatnonzero(m.kind == NEW)[::-1]
    cohort[m.cust[new_rows]] = mon[new_rows]
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


@dataclass(frozen=True)
class FirstLives:
    """The customers' first lives as sums per acquisition cohort and age: all that survival,
    its sBG fits and their curves are made of (see the module notes). Sums over customers, so
    that a database computes them as well (:mod:`mrrkit.sql.forecast`) and both engines finish
    them with the same methods; money in integer micros, exact.

    Attributes
    ----------
    last : int
        Month ordinal of the last complete month.
    cohorts : int64 array
        Cohort months (ordinals, increasing, each before ``last``) with at least one customer.
    size : int64 array
        Customers of each cohort.
    lost, lost_micros : int64 arrays (cohort, age)
        Customers lost at age ``t`` (column ``t``: the renewal opportunity of their first churn)
        and their MRR just before it.
    risk_micros : int64 array (cohort, age)
        MRR at risk by age as differences along ages: its cumulative sum at age ``t`` is the MRR,
        at the end of month ``cohort + t - 1``, of the customers still in their first life then
        (the MRR lost at the age a customer is lost).
    """

    last: int
    cohorts: np.ndarray
    size: np.ndarray
    lost: np.ndarray
    lost_micros: np.ndarray
    risk_micros: np.ndarray

    @classmethod
    def of_cells(cls, last: int, cohort, size, cell_cohort, cell_age, lost, lost_micros,
                 risk_micros) -> "FirstLives":
        """From customers per cohort (``cohort``, ``size``) and sums per (cohort, age) cell
        (``cell_cohort``, ``cell_age``, then the cell's ``lost``, ``lost_micros`` and
        ``risk_micros``); rows in any order, repeated cohorts and cells add up."""
        cohort = np.asarray(cohort, np.int64)
        size = np.asarray(size, np.int64)
        cohorts = np.unique(cohort[size > 0])
        width = int(last - cohorts[0]) + 2 if len(cohorts) else 2
        sizes = np.zeros(len(cohorts), np.int64)
        np.add.at(sizes, np.searchsorted(cohorts, cohort[size > 0]), size[size > 0])
        cell_cohort = np.asarray(cell_cohort, np.int64)
        row = np.searchsorted(cohorts, cell_cohort)
        col = np.asarray(cell_age, np.int64)
        grids = []
        for values in (lost, lost_micros, risk_micros):
            grid = np.zeros((len(cohorts), width), np.int64)
            np.add.at(grid, (row, col), np.asarray(values, np.int64))
            grids.append(grid)
        return cls(int(last), cohorts, sizes, *grids)

    @property
    def customers(self) -> int:
        """Customers in the cohorts."""
        return int(self.size.sum())

    @property
    def churned(self) -> int:
        """First churns observed."""
        return int(self.lost.sum())

    @property
    def censored(self) -> np.ndarray:
        """Customers of each cohort still in their first life at ``last`` (at age
        ``last - cohort``)."""
        return self.size - self.lost.sum(1)

    @property
    def observed(self) -> int:
        """The oldest age a customer was observed at (0 without customers)."""
        if not len(self.cohorts):
            return 0
        ages = np.arange(self.lost.shape[1])
        lost_at = int(np.where(self.lost > 0, ages, 0).max())
        seen_at = int(np.where(self.censored > 0, self.last - self.cohorts, 0).max())
        return max(lost_at, seen_at)

    def pick(self, cohorts) -> "FirstLives":
        """These cohorts only (months; None: all)."""
        if cohorts is None:
            return self
        keep = _select_cohorts(self.cohorts, cohorts)
        return replace(self, cohorts=self.cohorts[keep], size=self.size[keep],
                       lost=self.lost[keep], lost_micros=self.lost_micros[keep],
                       risk_micros=self.risk_micros[keep])

    def counts(self, t_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(lost[t], censored[t])`` for ``t = 1..t_max`` (default: the oldest age observed)."""
        if t_max is None:
            t_max = self.observed if self.customers else 1
        lost = _ages(self.lost.sum(0), t_max)
        cens = np.zeros(t_max + 1, np.int64)
        ages = self.last - self.cohorts
        inside = ages <= t_max
        np.add.at(cens, ages[inside], self.censored[inside])
        return lost.astype("float64"), cens[1:].astype("float64")

    def revenue(self, t_max: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lost_mrr[t], at_risk_mrr[t])`` for ``t = 1..t_max``, in currency units."""
        lost = _ages(self.lost_micros.sum(0), t_max)
        risk = _ages(np.cumsum(self.risk_micros.sum(0)), t_max)
        return lost / MICROS, risk / MICROS

    def weighted(self, weight: str, t_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(lost, censored)`` by age for the sBG fit: customer counts
        (``weight="customers"``) or the pseudo-counts of revenue survival (``weight="mrr"``,
        see :func:`pseudo_counts`)."""
        if weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {WEIGHTS}, got {weight!r}")
        lost, cens = self.counts(t_max)
        if weight == "customers":
            return lost, cens
        lost_mrr, risk_mrr = self.revenue(len(lost))
        _, at_risk = km_hazard(lost, cens)
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(risk_mrr > 0, lost_mrr / np.where(risk_mrr > 0, risk_mrr, 1), 0.0)
        return pseudo_counts(hazard, at_risk)

    def survivors(self, normalize: bool = False) -> pd.DataFrame:
        """:func:`cohort_survivors`' table."""
        if not len(self.cohorts):
            empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
            empty.columns.name = "age"
            return empty
        width = int(self.last - self.cohorts[0]) + 1
        size = self.size.astype("float64")
        table = size[:, None] - np.cumsum(self.lost[:, :width], axis=1)
        ages = np.arange(width)[None, :]
        table[ages > (self.last - self.cohorts)[:, None]] = np.nan
        if normalize:
            table = table / size[:, None]
        return pd.DataFrame(
            table,
            index=pd.PeriodIndex.from_ordinals(self.cohorts, freq="M", name="cohort"),
            columns=pd.RangeIndex(width, name="age"),
        )


def _ages(by_age: np.ndarray, t_max: int) -> np.ndarray:
    """Ages ``1..t_max`` of an array indexed by age (zeros past its end)."""
    out = np.zeros(t_max, by_age.dtype)
    part = by_age[1 : t_max + 1]
    out[: len(part)] = part
    return out


def first_lives(m: MovementArrays, last: int) -> FirstLives:
    """The :class:`FirstLives` of movement arrays at the last complete month ``last``."""
    cust, c, duration, churned = lifetimes(m, last)
    if len(cust) == 0:
        z = np.zeros(0, np.int64)
        return FirstLives.of_cells(last, z, z, z, z, z, z, z)
    pos = np.full(len(m.customers), -1, np.int64)
    pos[cust] = np.arange(len(cust))
    mon = month_of(m.day)
    # MRR at the end of month M (the last row of a customer-month) holds until the customer's
    # next such row; it weighs ages t = M - cohort + 1 up to the last age at risk before the
    # loss (the loss age itself weighs the MRR lost).
    month_end = np.append((m.cust[1:] != m.cust[:-1]) | (mon[1:] != mon[:-1]), True)
    rows = np.flatnonzero(month_end & (pos[m.cust] >= 0))
    i = pos[m.cust[rows]]
    same_next = np.append(m.cust[rows][1:] == m.cust[rows][:-1], False)
    next_month = np.where(same_next, np.append(mon[rows][1:], 0), np.iinfo(np.int64).max // 2)
    lo = np.maximum(mon[rows] - c[i] + 1, 1)
    hi = np.minimum(next_month - c[i], duration[i] - churned[i])
    ok = (lo <= hi) & (m.after[rows] != 0)
    value = m.after[rows][ok]
    # MRR lost: the first churn row's MRR before it.
    churn_rows = np.flatnonzero(m.kind == CHURN)[::-1]
    lost_by_cust = np.zeros(len(m.customers), np.int64)
    lost_by_cust[m.cust[churn_rows]] = m.before[churn_rows]
    gone = np.flatnonzero(churned)
    amount = lost_by_cust[cust[gone]]
    zeros = np.zeros
    cell_cohort = np.concatenate((c[i][ok], c[i][ok], c[gone], c[gone]))
    cell_age = np.concatenate((lo[ok], hi[ok] + 1, duration[gone], duration[gone] + 1))
    lost = np.concatenate((zeros(2 * ok.sum(), np.int64), np.ones(len(gone), np.int64),
                           zeros(len(gone), np.int64)))
    lost_micros = np.concatenate((zeros(2 * ok.sum(), np.int64), amount,
                                  zeros(len(gone), np.int64)))
    risk = np.concatenate((value, -value, amount, -amount))
    return FirstLives.of_cells(last, c, np.ones(len(c), np.int64), cell_cohort, cell_age, lost,
                               lost_micros, risk)


def _moves_and_last(data, as_of):
    m = movements_of(data, as_of).arrays
    return m, last_complete_month(m.as_of)


def cohort_survivors(data, as_of=None, normalize: bool = False) -> pd.DataFrame:
    """First-life survivors by acquisition cohort and age (the data the sBG model is fitted to).

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (:func:`mrrkit.filter_movements` for a segment).
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
    return first_lives(m, last).survivors(normalize)


def _select_cohorts(c: np.ndarray, cohorts) -> np.ndarray:
    if cohorts is None:
        return np.ones(len(c), bool)
    wanted = np.array([pd.Period(x, freq="M").ordinal for x in cohorts], dtype=np.int64)
    return np.isin(c, wanted)


def fit_retention(data, as_of=None, cohorts=None, weight: str = "customers") -> SBGFit:
    """Fit the sBG model jointly to the first-life survival of all monthly cohorts.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines
        (:func:`mrrkit.filter_movements` to fit a segment).
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
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, got {weight!r}")
    lives = first_lives(m, last).pick(cohorts)
    if not lives.customers:
        raise ValueError("no cohort with at least one complete month after acquisition")
    return _fit_counts(*lives.weighted(weight), lives.customers)


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
    return curves_of(first_lives(m, last).pick(cohorts), fit, max_age, weight)


def curves_of(lives: FirstLives, fit: SBGFit | None = None, max_age: int | None = None,
              weight: str = "customers") -> pd.DataFrame:
    """:func:`retention_curves` of first lives (the cohorts they hold)."""
    lost, cens = lives.counts()
    counts = lives.weighted(weight, len(lost))
    if fit is None:
        fit = _fit_counts(*counts, lives.customers)
    hazard, _ = km_hazard(*counts)
    _, at_risk = km_hazard(lost, cens)
    k = len(lost) if max_age is None else max(int(max_age), 0)
    ages = np.arange(k + 1)
    observed = np.full(k + 1, np.nan)
    n_obs = min(len(lost), k)
    observed[0] = 1.0
    observed[1 : n_obs + 1] = np.cumprod(1 - np.nan_to_num(hazard[:n_obs]))
    risk = np.full(k + 1, np.nan)
    risk[0] = lives.customers
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
