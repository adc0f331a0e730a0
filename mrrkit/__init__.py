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

from .cohorts import COHORT_VALUES, cohorts
from .lines import LINE_COLUMNS, customer_attributes, validate_lines
from .metrics import (
    cs_headwind,
    cs_magic_number,
    cs_tailwind,
    expansion_growth_rate,
    expansion_rate,
    ltv,
)
from .monthly import MONTHLY_COLUMNS, monthly
from .movements import KINDS, MOVEMENT_COLUMNS, movements
from .retention import grr, nrr
from .sample import generate_sample, load_sample
from .summary import KPI_NAMES, kpis

__all__ = [
    "COHORT_VALUES",
    "KINDS",
    "KPI_NAMES",
    "LINE_COLUMNS",
    "MONTHLY_COLUMNS",
    "MOVEMENT_COLUMNS",
    "cohorts",
    "cs_headwind",
    "cs_magic_number",
    "cs_tailwind",
    "customer_attributes",
    "expansion_growth_rate",
    "expansion_rate",
    "generate_sample",
    "grr",
    "kpis",
    "load_sample",
    "ltv",
    "monthly",
    "movements",
    "nrr",
    "validate_lines",
]

__version__ = "0.1.0"
