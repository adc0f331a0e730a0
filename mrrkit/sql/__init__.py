"""mrrkit in the database: the same movements, monthly table, cohorts and retention, computed
where the lines live (DuckDB, Spark, Snowflake, BigQuery, Postgres, Trino...) through Ibis.

Only small results (monthly rows, cohort grids, segment tables, a ratio) are ever fetched; the
lines and their movements stay in the database. Money stays exact: every query sums integer
micros (millionths of the currency unit), as the pandas engine does. The rules are those of the pandas engine,
and the small results go through the same functions that finish the pandas views
(:func:`mrrkit.engine.monthly.monthly_table`, :func:`mrrkit.views.cohorts.cohort_grid`), so the
two engines agree to the cent (the property tests check it)::

    import mrrkit.sql
    lines = mrrkit.sql.open_lines("lines/")       # a Parquet folder, a .duckdb file or a URL
    mv = mrrkit.sql.movements(lines, definitions="chartmogul")
    mrrkit.sql.monthly(mv)          # a pandas frame, as mrrkit.monthly returns it
    mrrkit.sql.forecast_inputs(mv)  # the forecast's inputs, from sums only

Importing this module needs Ibis (``ibis-framework``); ``import mrrkit`` does not.
"""

from .connect import open_lines
from .customers import (
    attribute_columns,
    customer_attributes,
    customer_listing,
    customer_search,
    customer_summary,
)
from .expansion import (
    default_top_plans,
    expansion_by_cohort,
    expansion_by_segment,
    expansion_of_sums,
    expansion_split,
    expansion_sums_query,
    near_tier_limit,
    plan_names,
    top_plan_customers,
)
from .forecast import (
    backtest,
    cohort_survivors,
    first_lives,
    fit_segments,
    forecast_inputs,
    forecast_sums_of_rows,
    forecast_sums_query,
    paying_by_age,
    weight_sums,
    window_bands,
)
from .lines import adjust_lines, default_as_of, lines_table, micros
from .listings import (
    Listing,
    bridge,
    compare_definitions,
    customer_lines,
    movement_listing,
    paying_listing,
    reclassified,
    reclassified_customers,
)
from .movements import SqlMovements, movements
from .segments import (
    churn_by_reason,
    churn_movements,
    churn_reason_by_month,
    churn_reason_sums,
    period_customers,
    segment_sums,
    segment_table,
)
from .views import (
    cohort_levels,
    cohort_levels_of_rows,
    cohort_levels_query,
    cohorts,
    grr,
    kpi_pairs,
    kpis,
    monthly,
    nrr,
    retention_of_sums,
    retention_pairs,
    retention_sums_query,
    segment_lines,
    segment_monthly,
)

__all__ = [
    "Listing",
    "SqlMovements",
    "adjust_lines",
    "attribute_columns",
    "backtest",
    "bridge",
    "churn_by_reason",
    "churn_movements",
    "churn_reason_by_month",
    "churn_reason_sums",
    "cohort_levels",
    "cohort_levels_of_rows",
    "cohort_levels_query",
    "cohort_survivors",
    "cohorts",
    "compare_definitions",
    "customer_attributes",
    "customer_lines",
    "customer_listing",
    "customer_search",
    "customer_summary",
    "default_as_of",
    "default_top_plans",
    "expansion_by_cohort",
    "expansion_by_segment",
    "expansion_of_sums",
    "expansion_split",
    "expansion_sums_query",
    "first_lives",
    "forecast_sums_of_rows",
    "forecast_sums_query",
    "fit_segments",
    "forecast_inputs",
    "grr",
    "kpi_pairs",
    "kpis",
    "lines_table",
    "micros",
    "monthly",
    "movement_listing",
    "movements",
    "near_tier_limit",
    "nrr",
    "open_lines",
    "paying_by_age",
    "paying_listing",
    "period_customers",
    "plan_names",
    "reclassified",
    "reclassified_customers",
    "retention_of_sums",
    "retention_pairs",
    "retention_sums_query",
    "segment_lines",
    "segment_monthly",
    "segment_sums",
    "segment_table",
    "top_plan_customers",
    "weight_sums",
    "window_bands",
]
