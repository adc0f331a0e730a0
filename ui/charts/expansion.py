"""The Expansion page's charts: expansion over time and its shares, its split, by cohort and
by segment."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..i18n import Text
from .base import _MONEY, _t, _with_month_start, _month_axis, BAND_STEP, _band_axis

__all__ = [
    "EXPANSION_COLORS", "expansion_chart", "expansion_chart_frame", "expansion_cohort_heatmap",
    "expansion_segment_chart", "expansion_share_chart", "expansion_share_chart_frame",
    "expansion_split_chart", "expansion_split_chart_frame",
]

# --- expansion (Expansion page) -----------------------------------------------------------------

#: Expansion part -> colour (same order as mrrkit.EXPANSION_KINDS).
EXPANSION_COLORS = {
    "upsell": "#2f9e44",
    "cross_sell": "#1c7ed6",
    "price_increase": "#f59f00",
    "other": "#868e96",
}


def expansion_chart_frame(summary: pd.DataFrame, t: Text | None = None) -> pd.DataFrame:
    """The rows :func:`expansion_chart` draws (its spec depends on nothing else but the
    language)."""
    t = _t(t)
    data = _with_month_start(
        summary[["expansion", "expansion_rate", "expansion_growth_rate", "net_negative_churn"]])
    yes, no = t("expansion.yes"), t("expansion.no")
    data["flag"] = data["net_negative_churn"].fillna(False).astype(bool).map({True: yes, False: no})
    return data.drop(columns="net_negative_churn")


def expansion_chart(summary: pd.DataFrame, t: Text | None = None) -> alt.LayerChart:
    """Expansion MRR by month as bars (months with negative net churn highlighted) and its
    month-on-month growth rate as a line on its own axis (:func:`mrrkit.expansion_summary`).

    Examples
    --------
    >>> s = pd.DataFrame({"expansion": [10.0, 12.0], "expansion_rate": [0.01, 0.012],
    ...                   "expansion_growth_rate": [None, 0.2], "net_negative_churn": [False, True]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> spec = expansion_chart(s).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]], spec["resolve"]["scale"]["y"]
    (['bar', 'line'], 'independent')
    >>> [r["flag"] for r in spec["datasets"][spec["data"]["name"]]]
    ['No', 'Yes']
    """
    t = _t(t)
    data = expansion_chart_frame(summary, t)
    yes, no = t("expansion.yes"), t("expansion.no")
    x = _month_axis()  # bands labelled by month, as on the Overview (the line at their centres)
    tooltip = [
        alt.Tooltip("yearmonth(month):T", title=t("col.month")),
        alt.Tooltip("expansion:Q", title=t("col.expansion_mrr"), format=_MONEY),
        alt.Tooltip("expansion_rate:Q", title=t("col.expansion_rate"), format=".2%"),
        alt.Tooltip("expansion_growth_rate:Q", title=t("col.expansion_growth_rate"), format="+.1%"),
        alt.Tooltip("flag:N", title=t("col.net_negative_churn")),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("expansion:Q", title=t("col.expansion_mrr"), axis=alt.Axis(format=_MONEY)),
        color=alt.Color("flag:N", title=t("col.net_negative_churn"),
                        scale=alt.Scale(domain=[yes, no], range=["#2f9e44", "#b2f2bb"])),
        tooltip=tooltip,
    )
    line = base.mark_line(color="#212529", point=alt.OverlayMarkDef(color="#212529", size=18)).encode(
        x=x,
        y=alt.Y("expansion_growth_rate:Q", title=t("col.expansion_growth_rate"),
                axis=alt.Axis(format="%", orient="right")),
        tooltip=tooltip,
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=300)


_SHARE_COLUMNS = ["expansion_share_of_added", "expansion_share_of_net_new"]


def expansion_share_chart_frame(summary: pd.DataFrame, t: Text | None = None) -> pd.DataFrame:
    """The rows :func:`expansion_share_chart` draws (its spec depends on nothing else but the
    language)."""
    t = _t(t)
    names = {c: t(f"col.{c}") for c in _SHARE_COLUMNS}
    long = _with_month_start(summary[_SHARE_COLUMNS]).melt(id_vars="month", var_name="col",
                                                           value_name="value")
    long["share"] = long["col"].map(names)
    return long.drop(columns="col").dropna(subset=["value"])


def expansion_share_chart(summary: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """Expansion's share of the MRR added and of net new MRR, by month
    (:func:`mrrkit.expansion_summary`).

    Examples
    --------
    >>> s = pd.DataFrame({"expansion_share_of_added": [0.2], "expansion_share_of_net_new": [0.5]},
    ...                  index=pd.period_range("2024-01", periods=1, freq="M", name="month"))
    >>> spec = expansion_share_chart(s).to_dict()
    >>> spec["encoding"]["y"]["axis"]["format"], spec["encoding"]["color"]["field"]
    ('%', 'share')
    """
    t = _t(t)
    names = {c: t(f"col.{c}") for c in _SHARE_COLUMNS}
    long = expansion_share_chart_frame(summary, t)
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_month_axis(),
            y=alt.Y("value:Q", title=t("expansion.share_axis"), axis=alt.Axis(format="%")),
            color=alt.Color("share:N", title=None, sort=list(names.values())),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("share:N", title=t("chart.value")),
                alt.Tooltip("value:Q", title=t("col.share_value"), format=".1%"),
            ],
        )
        .properties(height=260)
    )


def expansion_split_chart_frame(by_month: pd.DataFrame, t: Text | None = None) -> pd.DataFrame:
    """The rows :func:`expansion_split_chart` draws (its spec depends on nothing else but the
    language and which parts ``by_month`` has)."""
    t = _t(t)
    kinds = [k for k in EXPANSION_COLORS if k in by_month.columns]
    names = [t(f"expansion.kind.{k}") for k in kinds]
    long = _with_month_start(by_month[kinds]).melt(id_vars="month", var_name="kind",
                                                   value_name="amount")
    long["part"] = long["kind"].map(dict(zip(kinds, names)))
    long["part_order"] = long["kind"].map({k: i for i, k in enumerate(kinds)})
    return long.drop(columns="kind")


def expansion_split_chart(by_month: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """Expansion MRR by month split into upsell, cross-sell, price increase (and other), as
    stacked bars (:func:`mrrkit.expansion_breakdown_by_month`).

    Examples
    --------
    >>> f = pd.DataFrame({"upsell": [10.0], "cross_sell": [5.0], "price_increase": [2.0],
    ...                   "other": [0.0], "total": [17.0]},
    ...                  index=pd.period_range("2024-01", periods=1, freq="M", name="month"))
    >>> spec = expansion_split_chart(f).to_dict()
    >>> spec["encoding"]["color"]["scale"]["domain"]
    ['Upsell', 'Cross-sell / add-on', 'Price increase', 'Other']
    """
    t = _t(t)
    kinds = [k for k in EXPANSION_COLORS if k in by_month.columns]
    names = [t(f"expansion.kind.{k}") for k in kinds]
    long = expansion_split_chart_frame(by_month, t)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_month_axis(),
            y=alt.Y("sum(amount):Q", title=t("col.expansion_mrr"), axis=alt.Axis(format=_MONEY)),
            color=alt.Color("part:N", title=None, sort=names,
                            scale=alt.Scale(domain=names,
                                            range=[EXPANSION_COLORS[k] for k in kinds])),
            order=alt.Order("part_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("part:N", title=t("expansion.part")),
                alt.Tooltip("sum(amount):Q", title=t("col.expansion_mrr"), format=_MONEY),
            ],
        )
        .properties(height=300)
    )


def expansion_cohort_heatmap(table: pd.DataFrame, t: Text | None = None,
                             age_title: str | None = None) -> alt.Chart:
    """Expansion by cohort and age relative to the cohort's starting MRR
    (:func:`mrrkit.expansion_by_cohort`), as a heatmap.

    Examples
    --------
    >>> tab = pd.DataFrame([[0.0, 0.05]], columns=pd.RangeIndex(2, name="age"),
    ...                    index=pd.PeriodIndex(["2024-01"], freq="M", name="cohort"))
    >>> spec = expansion_cohort_heatmap(tab).to_dict()
    >>> spec["encoding"]["color"]["scale"]["scheme"], spec["encoding"]["tooltip"][2]["format"]
    ('greens', '.1%')
    """
    t = _t(t)
    long = table.copy()
    long.index = long.index.astype("str")
    long.index.name = "cohort"
    long = long.stack().rename("value").dropna().reset_index()
    long["age"] = long["age"].astype(int)
    title = t("expansion.cohort_value")
    return (
        alt.Chart(long)
        .mark_rect()
        .encode(
            x=alt.X("age:O", title=age_title or t("col.age"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("cohort:O", title=t("col.cohort"), sort=list(table.index.astype("str")),
                    axis=_band_axis()),
            color=alt.Color("value:Q", title=title, scale=alt.Scale(scheme="greens"),
                            legend=alt.Legend(format="%")),
            tooltip=[
                alt.Tooltip("cohort:O", title=t("col.cohort")),
                alt.Tooltip("age:O", title=t("col.age")),
                alt.Tooltip("value:Q", title=title, format=".1%"),
            ],
        )
        .properties(height=alt.Step(BAND_STEP))
    )


def expansion_segment_chart(table: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """Expansion MRR per segment over a period (:func:`mrrkit.expansion_by_segment`), as
    horizontal bars, largest first.

    Examples
    --------
    >>> tab = pd.DataFrame({"customers": [10, 5], "start_mrr": [1000.0, 400.0],
    ...                     "expansion": [50.0, 30.0], "expanded_customers": [3, 2],
    ...                     "expanded_start_customers": [2, 2], "expanded_joined_customers": [1, 0],
    ...                     "expansion_rate": [0.05, 0.075], "share_of_expansion": [0.625, 0.375]},
    ...                    index=pd.Index(["Pro", "Starter"], name="plan"))
    >>> spec = expansion_segment_chart(tab).to_dict()
    >>> spec["encoding"]["y"]["sort"], [x["title"] for x in spec["encoding"]["tooltip"]][:3]
    (['Pro', 'Starter'], ['Segment', 'Expansion MRR', 'Expansion / starting MRR'])
    """
    t = _t(t)
    data = table.reset_index()
    data = data.rename(columns={data.columns[0]: "segment"})
    data["segment"] = data["segment"].astype("str")
    return (
        alt.Chart(data)
        .mark_bar(color="#74b816")
        .encode(
            y=alt.Y("segment:N", title=None, sort=list(data["segment"]), axis=_band_axis()),
            x=alt.X("expansion:Q", title=t("col.expansion_mrr"), axis=alt.Axis(format=_MONEY)),
            tooltip=[
                alt.Tooltip("segment:N", title=t("col.segment")),
                alt.Tooltip("expansion:Q", title=t("col.expansion_mrr"), format=_MONEY),
                alt.Tooltip("expansion_rate:Q", title=t("col.expansion_rate_period"), format=".1%"),
                alt.Tooltip("share_of_expansion:Q", title=t("col.share_of_expansion"), format=".1%"),
                alt.Tooltip("customers:Q", title=t("col.start_customers"), format=","),
                alt.Tooltip("expanded_start_customers:Q", title=t("col.expanded_start_customers"),
                            format=","),
                alt.Tooltip("expanded_joined_customers:Q",
                            title=t("col.expanded_joined_customers"), format=","),
            ],
        )
        .properties(height=alt.Step(BAND_STEP))
    )
