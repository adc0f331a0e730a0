"""What-if scenarios on top of the baseline projection (:mod:`mrrkit.models.forecast`).

Estimate the baseline once with :func:`scenario_inputs`; then every slider move only calls
:func:`project_scenario` / :func:`scenario_summary`, which re-project with array arithmetic (no
refit, a few milliseconds).

Levers (all default to "no change"; a scenario with every lever at 0 *is* the baseline):

- ``price_change_pct``: the in-scope existing customers' MRR changes by this percentage from
  month 1 (an increase counts as expansion, a cut as contraction).
  ``churn_elasticity``: with a price *increase*, the share of in-scope customers who leave in
  month 1 is ``churn_elasticity x price_change_pct / 100`` (0.5 and +10% lose 5% of them, before
  they pay the new price); price cuts bring no extra customers.
- ``upsell_conversion_rate`` (share per year, 0..1) and ``avg_uplift_pct``: in-scope customers
  upgrade at an even pace, ``rate x k / 12`` of them by month ``k`` (at most all), each raising
  its MRR by ``avg_uplift_pct`` percent.
- ``addon_adoption_rate`` (share per year, 0..1) and ``addon_mrr``: in-scope customers adopt an
  add-on at an even pace, each adding ``addon_mrr`` per month (lost if the customer churns).
- ``churn_reduction_pct``: the monthly churn hazard of in-scope customers is cut by this
  percentage (of new customers too when the scope is everyone).
- ``new_business_growth_pct``: new MRR and new customers above the baseline's, in percent.
- ``cs_team_cost``: monthly cost of the Customer Success and Support teams, for the CS magic
  number.
- ``scope``: customer ids the existing-base levers apply to (``None``: everyone).

The baseline's expansion, contraction and survival continue underneath every lever.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from .forecast import (
    _assemble,
    _check_months,
    _existing,
    _inflow,
    _new_business,
    _one,
    _rates,
    project_baseline,
)
from .forecast_inputs import AgeMasses, ForecastInputs, forecast_inputs

__all__ = [
    "SCENARIO_METRICS",
    "Scenario",
    "project_scenario",
    "scenario_inputs",
    "scenario_summary",
]

#: Rows of :func:`scenario_summary`: name -> (label, kind of number).
SCENARIO_METRICS = {
    "mrr": ("MRR", "money"),
    "arr": ("ARR", "money"),
    "customers": ("Customers", "count"),
    "nrr": ("NRR", "pct"),
    "grr": ("GRR", "pct"),
    "ltv": ("LTV", "money"),
    "quick_ratio": ("Quick ratio", "ratio"),
    "cs_headwind": ("CS headwind", "pct"),
    "cs_tailwind": ("CS tailwind", "pct"),
    "cs_magic_number": ("CS magic number", "ratio"),
}

_LEVERS = (
    "price_change_pct",
    "churn_elasticity",
    "upsell_conversion_rate",
    "avg_uplift_pct",
    "addon_adoption_rate",
    "addon_mrr",
    "churn_reduction_pct",
    "new_business_growth_pct",
    "cs_team_cost",
)


@dataclass(frozen=True)
class Scenario:
    """A named set of what-if levers (see the module notes for their exact meaning).

    Percentages are in percent (``10`` = +10%); ``*_rate`` fields are shares per year (0..1).
    ``scope`` is stored as a frozenset of customer ids (text), or None for everyone.
    """

    name: str = "Scenario"
    price_change_pct: float = 0.0
    churn_elasticity: float = 0.0
    upsell_conversion_rate: float = 0.0
    avg_uplift_pct: float = 0.0
    addon_adoption_rate: float = 0.0
    addon_mrr: float = 0.0
    churn_reduction_pct: float = 0.0
    new_business_growth_pct: float = 0.0
    cs_team_cost: float = 0.0
    scope: frozenset | None = None

    def __post_init__(self):
        for name in _LEVERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        checks = {
            "price_change_pct": self.price_change_pct > -100,
            "churn_elasticity": self.churn_elasticity >= 0,
            "upsell_conversion_rate": 0 <= self.upsell_conversion_rate <= 1,
            "avg_uplift_pct": self.avg_uplift_pct >= 0,
            "addon_adoption_rate": 0 <= self.addon_adoption_rate <= 1,
            "addon_mrr": self.addon_mrr >= 0,
            "churn_reduction_pct": 0 <= self.churn_reduction_pct <= 100,
            "new_business_growth_pct": self.new_business_growth_pct >= -100,
            "cs_team_cost": self.cs_team_cost >= 0,
        }
        rules = {
            "price_change_pct": "above -100",
            "churn_elasticity": ">= 0",
            "upsell_conversion_rate": "between 0 and 1 (a share per year)",
            "avg_uplift_pct": ">= 0",
            "addon_adoption_rate": "between 0 and 1 (a share per year)",
            "addon_mrr": ">= 0",
            "churn_reduction_pct": "between 0 and 100",
            "new_business_growth_pct": ">= -100",
            "cs_team_cost": ">= 0",
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} must be {rules[name]}, got {getattr(self, name)!r}")
        if self.scope is not None:
            if isinstance(self.scope, str):
                raise ValueError("scope must be a collection of customer ids, not one string")
            object.__setattr__(self, "scope", frozenset(str(x) for x in self.scope))

    @property
    def changes_existing(self) -> bool:
        """True when a lever acts on the existing (in-scope) customers."""
        return bool(
            self.price_change_pct
            or self.upsell_conversion_rate * self.avg_uplift_pct
            or self.addon_adoption_rate * self.addon_mrr
            or self.churn_reduction_pct
        )

    def to_dict(self) -> dict:
        """Plain values (scope as a sorted list), e.g. for URL query parameters or JSON."""
        out = asdict(self)
        out["scope"] = None if self.scope is None else sorted(self.scope)
        return out

    @classmethod
    def from_dict(cls, values: dict) -> "Scenario":
        """Inverse of :meth:`to_dict`; numbers may be given as text, unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown scenario field(s) {sorted(unknown)}")
        kwargs = {}
        for key, value in values.items():
            if key in _LEVERS and isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"{key} must be a number, got {value!r}") from None
            kwargs[key] = value
        return cls(**kwargs)


def scenario_inputs(data, as_of=None, method: str = "sbg", window: int = 12, horizon: int = 36,
                    trend: bool = True, definitions=None) -> ForecastInputs:
    """The baseline, estimated once for any number of scenarios (:func:`mrrkit.forecast_inputs`:
    retention fit, recent rates, new-business trend, each customer's MRR and age), under
    ``definitions`` for lines (:class:`mrrkit.Definitions`)."""
    return forecast_inputs(data, as_of=as_of, method=method, window=window, horizon=horizon,
                           trend=trend, definitions=definitions)


def project_scenario(baseline_inputs: ForecastInputs, scenario: Scenario,
                     months: int = 12, scope: AgeMasses | None = None) -> pd.DataFrame:
    """Monthly projection under a scenario.

    Parameters
    ----------
    baseline_inputs : ForecastInputs
        From :func:`scenario_inputs` (compute once).
    scenario : Scenario
    months : int
        Months to project (up to the inputs' horizon).
    scope : AgeMasses, optional
        The customers of the scenario's scope paying at the origin, by age, in place of the
        scenario's ``scope`` ids: for inputs made of sums only (a database's, where the scope is
        the customers of a segment; :mod:`mrrkit.sql.forecast`).

    Returns
    -------
    DataFrame with the columns of :func:`mrrkit.project_baseline`; ``mrr_in_scope`` is the MRR
    of the existing customers in the scenario's scope. With every lever at 0 the projection
    equals the baseline's exactly.
    """
    inputs = baseline_inputs
    _check_months(inputs, months)
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    s = scenario
    rates = _rates(inputs)
    levers = {
        "price": 1.0 + s.price_change_pct / 100.0,
        "extra_churn": min(1.0, s.churn_elasticity * max(s.price_change_pct, 0.0) / 100.0),
        "churn_reduction": s.churn_reduction_pct / 100.0,
        "upsell_rate": s.upsell_conversion_rate,
        "uplift": s.avg_uplift_pct / 100.0,
        "addon_rate": s.addon_adoption_rate,
        "addon_mrr": s.addon_mrr,
    }
    if scope is None and s.scope is not None:
        scope = inputs.scope_masses(s.scope)
    if scope is None:
        blocks = [_existing(rates, inputs.mrr_by_age, inputs.count_by_age, months, **levers)]
        in_scope = blocks[0]["mrr"][0]
    else:
        # Everyone less the scope: the customers out of it (exact, in micros).
        outside_masses = inputs.masses() - scope
        in_mrr, in_count = scope.mrr, scope.count
        if s.changes_existing:
            inside = _existing(rates, in_mrr, in_count, months, **levers)
            outside = _existing(rates, outside_masses.mrr, outside_masses.count, months)
            blocks = [inside, outside]
            in_scope = inside["mrr"][0]
        else:
            # Nothing acts on the existing base: keep it in one piece so that the totals are the
            # baseline's to the last bit (a sum split in two rounds differently).
            blocks = [_existing(rates, inputs.mrr_by_age, inputs.count_by_age, months)]
            in_scope = _existing(rates, in_mrr, in_count, months)["mrr"][0]
    new, new_n, react, react_n = _new_business(
        inputs, months, _one(inputs.new_intercept), _one(inputs.new_slope),
        _one(inputs.new_arpa), _one(inputs.reactivation_mrr), _one(inputs.reactivation_arpa),
        growth=s.new_business_growth_pct / 100.0)
    inflow_reduction = levers["churn_reduction"] if scope is None else 0.0
    inflow = _inflow(rates, new + react, new_n + react_n, months, inflow_reduction)
    frame = _assemble(inputs, months, blocks, inflow, new, new_n, react, react_n, in_scope)
    frame.attrs["scenario"] = s.name
    return frame


def _summary(frame: pd.DataFrame, cs_cost: float) -> dict:
    last = frame.iloc[-1]
    start_mrr = frame.attrs["start_mrr"]
    months = len(frame)
    added = (frame["new"] + frame["expansion"] + frame["reactivation"]).sum()
    lost = -(frame["churn"] + frame["contraction"]).sum()
    churn = frame["customer_churn_rate"].iloc[-min(6, months):].mean()
    arpa = last["mrr"] / last["customers"] if last["customers"] > 0 else np.nan

    def ratio(num, den):
        # A zero base (or no churn at all, for the LTV) leaves the ratio undefined, not infinite.
        if not den > 0:
            return float("nan")
        with np.errstate(over="ignore"):
            value = float(num / den)
        return value if np.isfinite(value) else float("nan")

    return {
        "mrr": float(last["mrr"]),
        "arr": float(last["arr"]),
        "customers": float(last["customers"]),
        "nrr": ratio(last["mrr_existing"], start_mrr),
        "grr": ratio(last["gross_retained_mrr"], start_mrr),
        "ltv": ratio(arpa, churn),
        "quick_ratio": ratio(added, lost),
        "cs_headwind": ratio(lost, start_mrr),
        "cs_tailwind": ratio(frame["expansion"].sum(), start_mrr),
        "cs_magic_number": ratio(last["gross_retained_mrr"] + frame["expansion"].sum(),
                                 cs_cost * months),
    }


def _first_months(frame: pd.DataFrame, months: int) -> pd.DataFrame:
    if len(frame) < months:
        raise ValueError(f"the projection given covers {len(frame)} months, fewer than {months}")
    part = frame.iloc[:months]
    part.attrs = dict(frame.attrs)
    return part


def scenario_summary(baseline_inputs: ForecastInputs, scenario: Scenario, months: int = 12,
                     baseline: pd.DataFrame | None = None,
                     projection: pd.DataFrame | None = None,
                     scope: AgeMasses | None = None) -> pd.DataFrame:
    """Scenario vs baseline after ``months`` months (12 by default).

    Definitions (month ``k`` = end of the projection; base = the customers paying at the
    origin and their MRR ``mrr(0)``; sums over the projected months):

    - ``mrr``, ``arr`` (12 x mrr), ``customers`` at month ``k``;
    - ``nrr``: the base's expected MRR at ``k`` / ``mrr(0)``; ``grr``: the same without any
      expansion (price increases, upsells, add-ons excluded; cuts and contraction included);
    - ``ltv``: seed 004, ARPA at ``k`` / mean projected customer churn rate of the last 6 months;
    - ``quick_ratio``: ``(new + expansion + reactivation) / -(churn + contraction)``;
    - ``cs_headwind``: ``-(churn + contraction) / mrr(0)``; ``cs_tailwind``:
      ``expansion / mrr(0)`` (price increases included);
    - ``cs_magic_number``: ``(renewed MRR + expansion) / (cs_team_cost x months)``, renewed MRR =
      the ``grr`` numerator; NaN without a CS cost. The baseline uses the scenario's CS cost.

    ``baseline`` (:func:`mrrkit.project_baseline`) and ``projection``
    (:func:`project_scenario` of ``scenario``) may be given, over ``months`` months or more: their
    first ``months`` months are the ``months``-month projections, so a caller that has drawn
    longer ones does not project again. ``scope``: as :func:`project_scenario` takes it.

    Returns
    -------
    DataFrame indexed by metric (``SCENARIO_METRICS``) with ``label``, ``format``, ``baseline``,
    ``scenario`` and ``difference`` (scenario - baseline).
    """
    baseline = (project_baseline(baseline_inputs, months) if baseline is None
                else _first_months(baseline, months))
    frame = (project_scenario(baseline_inputs, scenario, months, scope) if projection is None
             else _first_months(projection, months))
    base = _summary(baseline, scenario.cs_team_cost)
    new = _summary(frame, scenario.cs_team_cost)
    rows = {
        name: {
            "label": label,
            "format": fmt,
            "baseline": base[name],
            "scenario": new[name],
            "difference": new[name] - base[name],
        }
        for name, (label, fmt) in SCENARIO_METRICS.items()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "metric"
    out.attrs["scenario"] = scenario.name
    return out
