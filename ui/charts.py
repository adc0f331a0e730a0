"""Altair charts of mrrkit results. Pure functions: a DataFrame in, a chart out (no Streamlit)."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["MOVEMENT_COLORS", "movement_chart", "mrr_chart"]

#: Kind -> colour, gains in greens/blues, losses in reds (same order in every chart and legend).
MOVEMENT_COLORS = {
    "new": "#2f9e44",
    "expansion": "#74b816",
    "reactivation": "#1c7ed6",
    "contraction": "#f59f00",
    "churn": "#e03131",
}


def _with_month_start(table: pd.DataFrame) -> pd.DataFrame:
    out = table.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


def movement_chart(table: pd.DataFrame, height: int = 320) -> alt.LayerChart:
    """Monthly MRR movements as diverging stacked bars (gains up, losses down) with net new MRR
    as a line.

    Parameters
    ----------
    table : the frame :func:`mrrkit.monthly` returns (or a slice of its months).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"new": [100.0], "expansion": [10.0], "reactivation": [0.0],
    ...                   "contraction": [-5.0], "churn": [-20.0], "net_new": [85.0]},
    ...                  index=pd.period_range("2024-01", periods=1, freq="M", name="month"))
    >>> spec = movement_chart(t).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'line']
    """
    data = _with_month_start(table)
    long = data.melt(
        id_vars="month", value_vars=list(MOVEMENT_COLORS), var_name="kind", value_name="amount"
    )
    x = alt.X("yearmonth(month):T", title=None)
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(amount):Q", title="MRR movement", stack="zero"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(MOVEMENT_COLORS), range=list(MOVEMENT_COLORS.values())),
                sort=list(MOVEMENT_COLORS),
            ),
            order=alt.Order("kind_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("kind:N", title="Movement"),
                alt.Tooltip("sum(amount):Q", title="MRR", format=",.0f"),
            ],
        )
        .transform_calculate(
            kind_order=" + ".join(
                f"(datum.kind == '{k}') * {i}" for i, k in enumerate(MOVEMENT_COLORS)
            )
        )
    )
    net = (
        alt.Chart(data)
        .mark_line(color="#212529", point=alt.OverlayMarkDef(color="#212529", size=18))
        .encode(
            x=x,
            y=alt.Y("net_new:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("net_new:Q", title="Net new MRR", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, net).properties(height=height)


def mrr_chart(table: pd.DataFrame, height: int = 260) -> alt.Chart:
    """MRR at each month end as an area chart.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"mrr": [100.0, 150.0], "customers": [2, 3]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> mrr_chart(t).to_dict()["encoding"]["y"]["field"]
    'mrr'
    """
    data = _with_month_start(table)
    return (
        alt.Chart(data)
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("mrr:Q", title="MRR"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("mrr:Q", title="MRR", format=",.0f"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=height)
    )
