"""mrrkit: subscription-revenue analytics over plain pandas DataFrames.

The pure metrics package behind the mrrkit app; it never imports Streamlit, so every figure the
app shows can be reproduced in a notebook::

    import mrrkit
    lines = mrrkit.load_sample()          # or your own customer_id/start/end/mrr frame
    mv = mrrkit.movements(lines)          # compute once...
    table = mrrkit.monthly(mv)            # ...derive every view from it
    retention = mrrkit.cohorts(mv, value="mrr")
    mrrkit.nrr(mv, "2025-10", "2026-10")
"""

from .views.bridge import movements_in, mrr_bridge
from .views.cohort_tables import cohort_average, cohort_curves, cohort_table
from .views.cohorts import COHORT_VALUES, cohorts
from .views.customers import customer_history, customer_summary
from .views.expansion import (
    EXPANSION_KINDS,
    expansion_breakdown,
    expansion_breakdown_by_month,
    expansion_by_cohort,
    expansion_by_segment,
    expansion_summary,
    near_tier_limit,
    top_plan_customers,
)
from .io.read import (
    EXPORT_FORMATS,
    CustomerFile,
    ExportError,
    ExportResult,
    read_customers,
    read_export,
)
from .models.forecast import (
    FORECAST_COLUMNS,
    FORECAST_METHODS,
    Backtest,
    ForecastInputs,
    backtest,
    forecast,
    forecast_inputs,
    project_baseline,
)
from .engine.lines import LINE_COLUMNS, customer_attributes, validate_lines
from .views.metrics import (
    cs_headwind,
    cs_magic_number,
    cs_tailwind,
    expansion_growth_rate,
    expansion_rate,
    ltv,
)
from .engine.monthly import MONTHLY_COLUMNS, monthly
from .engine.movements import KINDS, MOVEMENT_COLUMNS, default_as_of, movements
from .views.retention import grr, nrr
from .models.retention_fit import (
    FitFlag,
    SegmentFit,
    cohort_survivors,
    fit_retention,
    fit_segments,
    model_ltv,
    monthly_discount,
    retention_by_segment,
    retention_curves,
)
from .sample import generate_sample, load_sample
from .models.scenarios import (
    SCENARIO_METRICS,
    Scenario,
    project_scenario,
    scenario_inputs,
    scenario_summary,
)
from .views.segments import (
    churn_by_reason,
    churn_reason_by_month,
    churn_reasons,
    filter_movements,
    proportion_test,
    ratio_interval,
    segment_columns,
    segment_labels,
    segment_table,
    select_customers,
    wilson_interval,
)
from .views.kpis import KPI_NAMES, kpis
from .models.sbg import (
    SBGFit,
    del_,
    derl,
    discounted_expected_lifetime,
    fit_sbg,
    sbg_loglik,
)

__all__ = [
    "Backtest",
    "COHORT_VALUES",
    "CustomerFile",
    "EXPANSION_KINDS",
    "EXPORT_FORMATS",
    "ExportError",
    "ExportResult",
    "FORECAST_COLUMNS",
    "FORECAST_METHODS",
    "FitFlag",
    "ForecastInputs",
    "KINDS",
    "KPI_NAMES",
    "LINE_COLUMNS",
    "MONTHLY_COLUMNS",
    "MOVEMENT_COLUMNS",
    "SBGFit",
    "SCENARIO_METRICS",
    "Scenario",
    "SegmentFit",
    "backtest",
    "churn_by_reason",
    "churn_reason_by_month",
    "churn_reasons",
    "cohort_average",
    "cohort_curves",
    "cohort_survivors",
    "cohort_table",
    "cohorts",
    "cs_headwind",
    "cs_magic_number",
    "cs_tailwind",
    "customer_attributes",
    "customer_history",
    "customer_summary",
    "del_",
    "derl",
    "discounted_expected_lifetime",
    "expansion_breakdown",
    "expansion_breakdown_by_month",
    "expansion_by_cohort",
    "expansion_by_segment",
    "expansion_growth_rate",
    "expansion_rate",
    "expansion_summary",
    "filter_movements",
    "fit_retention",
    "fit_sbg",
    "fit_segments",
    "forecast",
    "forecast_inputs",
    "generate_sample",
    "grr",
    "kpis",
    "load_sample",
    "ltv",
    "model_ltv",
    "monthly",
    "monthly_discount",
    "default_as_of",
    "movements",
    "movements_in",
    "mrr_bridge",
    "near_tier_limit",
    "nrr",
    "project_baseline",
    "project_scenario",
    "proportion_test",
    "ratio_interval",
    "read_customers",
    "read_export",
    "retention_by_segment",
    "retention_curves",
    "sbg_loglik",
    "scenario_inputs",
    "scenario_summary",
    "segment_columns",
    "segment_labels",
    "segment_table",
    "select_customers",
    "top_plan_customers",
    "validate_lines",
    "wilson_interval",
]

__version__ = "0.1.0"
