"""mrrkit: subscription-revenue analytics over plain pandas DataFrames.

The pure metrics package behind the mrrkit app; it never imports Streamlit, so every figure the
app shows can be reproduced in a notebook::

    import mrrkit
    lines = mrrkit.load_sample()          # or your own customer_id/start/end/mrr frame
    mv = mrrkit.movements(lines)          # compute once (a Movements object)...
    table = mrrkit.monthly(mv)            # ...derive every view from it
    retention = mrrkit.cohorts(mv, value="mrr")
    mrrkit.nrr(mv, "2025-10", "2026-10")

The names below are the API, in five groups: the engine (lines in, movements and the monthly
table out), the views derived from movements, the models (retention, forecast, scenarios),
reading billing exports, and the bundled sample. The subpackages (:mod:`mrrkit.engine`,
:mod:`mrrkit.views`, :mod:`mrrkit.models`, :mod:`mrrkit.io`) hold the rest, for those who
extend mrrkit.
"""

# --- engine: canonical lines in, movements and the monthly table out -------------------------
from .engine.definitions import DEFINITION_PRESETS, Definitions
from .engine.lines import (
    LINE_COLUMNS,
    LINE_DATES,
    LINE_DISCOUNTS,
    customer_attributes,
    validate_lines,
)
from .engine.monthly import MONTHLY_COLUMNS, monthly
from .engine.movements import KINDS, MOVEMENT_COLUMNS, Movements, default_as_of, movements
from .engine.periods import QUICK_PERIODS, quick_period

# --- views: tables and figures derived from movements ------------------------------------------
from .views.bridge import BRIDGE_STEPS, movement_lines, movements_in, mrr_bridge, paying_customers
from .views.cohort_tables import cohort_average, cohort_curves, cohort_table
from .views.cohorts import COHORT_VALUES, cohorts
from .views.compare import compare_definitions, reclassified_customers
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
from .views.kpis import KPI_NAMES, kpis
from .views.metrics import (
    cs_headwind,
    cs_magic_number,
    cs_tailwind,
    expansion_growth_rate,
    expansion_rate,
    ltv,
)
from .views.retention import grr, nrr
from .views.segments import (
    IDENTITY_COLUMNS,
    MISSING,
    churn_by_reason,
    churn_reason_by_month,
    churn_reasons,
    customer_mask,
    filter_movements,
    segment_columns,
    segment_labels,
    segment_table,
    select_customers,
)
from .views.stats import proportion_test, ratio_interval, wilson_interval

# --- models: the sBG retention model, its fits, the forecast and what-if scenarios -------------
from .models.forecast import Backtest, FORECAST_COLUMNS, backtest, forecast, project_baseline
from .models.forecast_inputs import (
    FORECAST_METHODS,
    ForecastError,
    ForecastInputs,
    forecast_inputs,
)
from .models.retention_fit import (
    cohort_survivors,
    fit_retention,
    model_ltv,
    monthly_discount,
    retention_curves,
)
from .models.sbg import SBGFit, derl, discounted_expected_lifetime, fit_sbg
from .models.scenarios import (
    SCENARIO_METRICS,
    Scenario,
    project_scenario,
    scenario_inputs,
    scenario_summary,
)
from .models.segment_fits import (
    FitFlag,
    SegmentFit,
    fit_attribute,
    fit_segments,
    retention_by_segment,
)

# --- reading: billing exports and customers files into canonical lines -------------------------
from .io.read import (
    EXPORT_FORMATS,
    CustomerFile,
    ExportError,
    ExportResult,
    read_customers,
    read_export,
)

# --- sample: the bundled demo data ----------------------------------------------------------------
from .sample import generate_sample, load_sample

__all__ = [
    # engine
    "Definitions",
    "DEFINITION_PRESETS",
    "LINE_COLUMNS",
    "LINE_DATES",
    "LINE_DISCOUNTS",
    "validate_lines",
    "customer_attributes",
    "KINDS",
    "MOVEMENT_COLUMNS",
    "Movements",
    "movements",
    "default_as_of",
    "MONTHLY_COLUMNS",
    "monthly",
    "QUICK_PERIODS",
    "quick_period",
    # views: cohorts and retention
    "COHORT_VALUES",
    "compare_definitions",
    "reclassified_customers",
    "cohorts",
    "cohort_table",
    "cohort_average",
    "cohort_curves",
    "nrr",
    "grr",
    # views: the bridge and what is behind a figure
    "BRIDGE_STEPS",
    "mrr_bridge",
    "movements_in",
    "paying_customers",
    "movement_lines",
    # views: customers, KPIs, metrics
    "customer_summary",
    "customer_history",
    "KPI_NAMES",
    "kpis",
    "ltv",
    "cs_headwind",
    "cs_tailwind",
    "cs_magic_number",
    "expansion_rate",
    "expansion_growth_rate",
    # views: segments and their statistics
    "MISSING",
    "IDENTITY_COLUMNS",
    "segment_columns",
    "segment_labels",
    "select_customers",
    "customer_mask",
    "filter_movements",
    "segment_table",
    "churn_reasons",
    "churn_by_reason",
    "churn_reason_by_month",
    "wilson_interval",
    "ratio_interval",
    "proportion_test",
    # views: expansion
    "EXPANSION_KINDS",
    "expansion_summary",
    "expansion_by_cohort",
    "expansion_by_segment",
    "expansion_breakdown",
    "expansion_breakdown_by_month",
    "top_plan_customers",
    "near_tier_limit",
    # models: sBG and retention
    "SBGFit",
    "fit_sbg",
    "derl",
    "discounted_expected_lifetime",
    "monthly_discount",
    "cohort_survivors",
    "fit_retention",
    "retention_curves",
    "model_ltv",
    "FitFlag",
    "SegmentFit",
    "fit_segments",
    "fit_attribute",
    "retention_by_segment",
    # models: forecast and scenarios
    "FORECAST_METHODS",
    "FORECAST_COLUMNS",
    "ForecastError",
    "ForecastInputs",
    "forecast_inputs",
    "project_baseline",
    "forecast",
    "Backtest",
    "backtest",
    "SCENARIO_METRICS",
    "Scenario",
    "scenario_inputs",
    "project_scenario",
    "scenario_summary",
    # reading
    "EXPORT_FORMATS",
    "CustomerFile",
    "ExportError",
    "ExportResult",
    "read_export",
    "read_customers",
    # sample
    "load_sample",
    "generate_sample",
]

__version__ = "0.1.0"
