"""Altair charts of mrrkit results. Pure functions: a DataFrame in, a chart out (no Streamlit).

Every chart has tooltips. Labels come from a :class:`ui.i18n.Text` (English by default) and
numbers follow the reader's locale through :func:`localized` (Vega-Lite's ``config.locale``), so
a French reader sees ``1 234 €`` in the axes and tooltips too. One module per page's charts
(:mod:`.movements`: Overview, Movements, Customers; :mod:`.cohorts`, :mod:`.segments`,
:mod:`.forecasts`: Scenarios; :mod:`.expansion`), what they share in :mod:`.base`; pages draw
them through :mod:`ui.chart_cache`.
"""

from .base import BAND_STEP, MOVEMENT_COLORS, localized
from .cohorts import cohort_curve_chart, cohort_heatmap
from .expansion import (
    EXPANSION_COLORS,
    expansion_chart,
    expansion_chart_frame,
    expansion_cohort_heatmap,
    expansion_segment_chart,
    expansion_share_chart,
    expansion_share_chart_frame,
    expansion_split_chart,
    expansion_split_chart_frame,
)
from .forecasts import (
    SCENARIO_COLORS,
    SCENARIO_DATA,
    backtest_chart,
    forecast_chart,
    forecast_chart_frames,
    retention_fit_chart,
    scenario_chart,
    scenario_chart_data,
    scenario_spec_with_data,
)
from .movements import (
    customer_history_chart,
    movement_chart,
    movement_chart_frames,
    movement_selection,
    mrr_chart,
    waterfall_chart,
    waterfall_chart_frame,
    with_selection,
)
from .segments import churn_reason_chart, churn_reason_time_chart, segment_rate_chart

__all__ = [
    "BAND_STEP", "EXPANSION_COLORS", "MOVEMENT_COLORS", "SCENARIO_COLORS", "SCENARIO_DATA",
    "backtest_chart", "churn_reason_chart", "churn_reason_time_chart", "cohort_curve_chart",
    "cohort_heatmap", "customer_history_chart", "expansion_chart", "expansion_chart_frame",
    "expansion_cohort_heatmap", "expansion_segment_chart", "expansion_share_chart",
    "expansion_share_chart_frame", "expansion_split_chart", "expansion_split_chart_frame",
    "forecast_chart", "forecast_chart_frames", "localized", "movement_chart",
    "movement_chart_frames", "movement_selection", "mrr_chart", "retention_fit_chart",
    "scenario_chart", "scenario_chart_data", "scenario_spec_with_data", "segment_rate_chart",
    "waterfall_chart", "waterfall_chart_frame", "with_selection",
]
