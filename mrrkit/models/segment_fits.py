"""The sBG retention model fitted to every customer and to each segment (:func:`fit_segments`),
each fit with what to know about it: whether the data identify it (:class:`FitFlag` codes), how
far its figures extrapolate, and, for a segment too small for a fit of its own, the pooled fit in
its place. Survival and the model are those of :mod:`mrrkit.models.retention_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine.lines import customer_attributes
from ..engine.monthly import monthly, period
from ..engine.movements import MovementArrays, Movements, movements_of
from ..views.metrics import ltv as simple_ltv
from ..views.segments import filter_movements
from .retention_fit import (
    FirstLives,
    _expected_lifetime,
    _moves_and_last,
    curves_of,
    first_lives,
    monthly_discount,
)
from .sbg import SBGFit, _at_edge, _fit_counts, _log_standard_errors, discounted_expected_lifetime

__all__ = [
    "EXTRAPOLATION_CODES",
    "FALLBACK_CODES",
    "FIT_SOURCES",
    "MAX_LOG_SE",
    "MIN_FIT_CHURNS",
    "MIN_FIT_CUSTOMERS",
    "MIN_FIT_MONTHS",
    "UNIDENTIFIED_CODES",
    "FitFlag",
    "SegmentFit",
    "fit_attribute",
    "fit_of_lives",
    "fit_segments",
    "retention_by_segment",
]

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


def _fit_group(mv: Movements, last: int, cohorts, segment, pooled, *, discount: float,
               window: int, max_age, minimums: tuple[int, int, int]) -> SegmentFit:
    """The :class:`SegmentFit` of one group's movements (``pooled``: the pooled SegmentFit to
    fall back on, None when fitting the pooled one)."""
    m = mv.arrays
    # (The monthly table of the movements' definitions: its churn rate and LTV follow them.)
    table = monthly(mv).loc[: period(last)] if len(m) else None
    return _fit_lives(first_lives(m, last).pick(cohorts), table, segment, pooled,
                      discount=discount, window=window, max_age=max_age, minimums=minimums)


def fit_of_lives(lives: FirstLives, table: pd.DataFrame | None, segment=None,
                 pooled: SegmentFit | None = None, annual_discount: float = 0.10,
                 min_customers: int = MIN_FIT_CUSTOMERS, min_churned: int = MIN_FIT_CHURNS,
                 min_months: int = MIN_FIT_MONTHS, max_age: int | None = None,
                 window: int = 6) -> SegmentFit:
    """The :class:`SegmentFit` of one group from what it is made of: its customers' first lives
    in the fitted cohorts (:class:`mrrkit.models.retention_fit.FirstLives`) and its monthly
    table up to the last complete month (None when the group has no movement), e.g. both
    computed in a database (:mod:`mrrkit.sql.forecast`). The options are
    :func:`fit_segments`'; ``pooled`` the fit to fall back on (None: this is the pooled one)."""
    return _fit_lives(lives, table, segment, pooled, discount=monthly_discount(annual_discount),
                      window=window, max_age=max_age,
                      minimums=(int(min_customers), int(min_churned), int(min_months)))


def _fit_lives(lives: FirstLives, table: pd.DataFrame | None, segment, pooled, *,
               discount: float, window: int, max_age,
               minimums: tuple[int, int, int]) -> SegmentFit:
    n, n_churned = lives.customers, lives.churned
    observed = lives.observed
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
        lost, cens = lives.counts()
        fit = _fit_counts(lost, cens, n)
        try:
            revenue = _fit_counts(*lives.weighted("mrr", len(lost)), n)
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
        if table is not None and not table.empty:
            arpa = float(table["arpa"].iloc[-1])
            figures.update(
                arpa=arpa,
                mean_churn_rate=float(table["customer_churn_rate"].iloc[-window:].mean()),
                simple_ltv=float(simple_ltv(table, window=window).iloc[-1]),
                model_ltv=arpa * figures["del_months"],
            )
        if n:
            curves = curves_of(lives, fit, max(36, observed + 12) if max_age is None else max_age)
    return SegmentFit(segment=segment, customers=n, churned=n_churned, observed_months=observed,
                      source=source, fit=fit, revenue_fit=revenue, fit_months=int(fit_months),
                      log_se=tuple(float(v) for v in log_se), flags=tuple(flags), curves=curves,
                      **figures)


def _groups(m: MovementArrays, segments):
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
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines: every customer (the pooled fit).
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
    mv = movements_of(data, as_of)
    m, last = _moves_and_last(mv, None)
    options = dict(discount=d, window=window, max_age=max_age,
                   minimums=(int(min_customers), int(min_churned), int(min_months)))
    if pooled is None:
        pooled = _fit_group(mv, last, cohorts, None, None, **options)
    out = [pooled]
    for name, customers in _groups(m, segments):
        part = filter_movements(mv, customers)
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
    data : Movements, optional
        The :func:`mrrkit.movements` of ``lines`` if already computed.
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
    mv = movements_of(lines if data is None else data, as_of)
    values = attrs[attribute].astype("str").where(attrs[attribute].notna(), "(missing)")
    ids = pd.Index(np.asarray(mv.arrays.customers, dtype=object))
    values = values.reindex(ids).fillna("(missing)")
    fits = fit_segments(mv, values, annual_discount=annual_discount,
                        min_customers=min_customers, min_churned=min_churned,
                        min_months=min_months)
    out = pd.DataFrame.from_dict(
        {("(all)" if f.segment is None else f.segment): f.figures() for f in fits},
        orient="index")
    out.index.name = attribute
    return out


def fit_attribute(data, labels: pd.Series, selected=None, cohorts=None,
                  pooled: SegmentFit | None = None, **options) -> tuple[SegmentFit, ...]:
    """The sBG retention model fitted to every customer of ``data``, then to the customers of
    each value of an attribute that a selected customer has.

    Unlike ``fit_segments(data, labels)``, which fits the values of the customers that have
    movements, a value counts here as soon as a selected customer has it (a customer who never
    paid included): a value whose customers are too few for a fit of their own still gets its
    row, with the pooled fit and the flag saying why, so that a table of values stays the same
    whatever the movements.

    Parameters
    ----------
    data : Movements or DataFrame
        The customers fitted (:func:`mrrkit.movements`, or canonical lines), e.g. a segment of a
        book filtered with :func:`mrrkit.filter_movements`.
    labels : Series
        Each customer's value of the attribute, indexed by customer id (e.g. a column of
        :func:`mrrkit.views.segments.segment_labels`); values in category order when
        categorical, else sorted as text.
    selected : array of bool, optional
        Over the rows of ``labels``: the customers whose values are fitted (default: all).
    cohorts : iterable of months, optional
        Fit only these cohorts (see :func:`mrrkit.fit_segments`).
    pooled : SegmentFit, optional
        ``fit_segments(data, cohorts=cohorts)[0]`` when already made: used as it is.
    **options
        Passed on to :func:`mrrkit.fit_segments` (``min_customers``, ``annual_discount``...).

    Returns
    -------
    tuple of SegmentFit
        The pooled fit (``segment=None``) first, then one per value, in the values' order.

    Examples
    --------
    >>> import mrrkit
    >>> from mrrkit.views.segments import segment_labels
    >>> lines = mrrkit.load_sample()
    >>> size = segment_labels(mrrkit.customer_attributes(lines))["company_size"]
    >>> fits = fit_attribute(mrrkit.movements(lines), size)
    >>> [f.segment for f in fits]
    [None, '1-10', '11-50', '51-200', '201-1000', '1000+']
    >>> small = fit_attribute(mrrkit.movements(lines), size, (size == "1000+").to_numpy())
    >>> [(f.segment, f.customers, f.source) for f in small[1:]]
    [('1000+', 138, 'own')]
    """
    selected = (np.ones(len(labels), bool) if selected is None
                else np.asarray(selected, dtype=bool))
    counts = labels[selected].value_counts()
    if isinstance(labels.dtype, pd.CategoricalDtype):
        values = [v for v in labels.cat.categories if counts.get(v, 0) > 0]
    else:
        values = sorted((v for v in counts.index if counts[v] > 0), key=str)
    # Over the movements' own customers (their sorted ids) a mask selects without matching ids
    # as text (fast on large books); otherwise the ids.
    aligned = isinstance(data, Movements) and data.customers.equals(labels.index)
    groups = {}
    for value in values:
        mask = (labels == value).to_numpy() & selected
        groups[value] = mask if aligned else labels.index[mask]
    return fit_segments(data, groups, cohorts=cohorts, pooled=pooled, **options)
