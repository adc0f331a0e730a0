"""The Cohorts page's charts: the cohort heatmap and the average cohort curves of segments."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from ..i18n import Text
from .base import _MONEY, _t, _TEXT, _needs_white_text, _scale_position

__all__ = ["cohort_curve_chart", "cohort_heatmap"]

def cohort_heatmap(table: pd.DataFrame, value: str = "mrr", t: Text | None = None,
                   age_title: str | None = None, average: pd.Series | None = None,
                   cohort_labels=None) -> alt.LayerChart:
    """A cohort table (cohorts down, ages across) as a heatmap with the value written in each
    cell, like seed 004's cohort table: whole percentages for retention, money for ARPA; the
    size-weighted average as a first row, in bold. A value is written white on a dark cell
    (deep red or green, dark blue) and dark on a light one.

    Parameters
    ----------
    table : :func:`mrrkit.views.cohort_tables.cohort_table` output (index ``cohort``, columns ``age``).
    value : ``"mrr"``, ``"customers"`` (shown as %) or ``"arpa"`` (money).
    average : :func:`mrrkit.views.cohort_tables.cohort_average` (indexed by age), drawn first.
    cohort_labels : each cohort as it is written (e.g. ``Nov 2025``), in the table's order;
        default: its ``str``.

    Examples
    --------
    >>> tab = pd.DataFrame([[1.0, 0.8], [1.0, None]], columns=pd.RangeIndex(2, name="age"),
    ...                    index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M", name="cohort"))
    >>> spec = cohort_heatmap(tab, average=pd.Series([1.0, 0.8])).to_dict()
    >>> spec["layer"][1]["encoding"]["text"]["format"]
    '.0%'
    >>> rows = spec["datasets"][spec["data"]["name"]]   # empty cells are not drawn
    >>> [(r["cohort"], r["age"], r["value"]) for r in rows]
    [('Weighted average', 0, 1.0), ('Weighted average', 1, 0.8), ('2024-01', 0, 1.0), ('2024-01', 1, 0.8), ('2024-02', 0, 1.0)]
    >>> spec["layer"][0]["encoding"]["y"]["sort"][:2]
    ['Weighted average', '2024-01']
    """
    t = _t(t)
    long = table.copy()
    labels = [str(c) for c in table.index] if cohort_labels is None else list(cohort_labels)
    long.index = pd.Index(labels, name="cohort")
    order = list(long.index)
    if average is not None:
        avg = pd.DataFrame([average.to_numpy()], columns=table.columns[:len(average)],
                           index=pd.Index([t("cohorts.average")], name="cohort"))
        long = pd.concat([avg, long])
        order = [t("cohorts.average"), *order]
    long.columns = pd.Index([int(a) for a in long.columns], name="age")
    long = long.stack().rename("value").dropna().reset_index()
    long["age"] = long["age"].astype(int)
    long["average"] = long["cohort"] == t("cohorts.average")
    fmt = _MONEY if value == "arpa" else ".0%"
    title = t(f"cohorts.value.{value}")
    base = alt.Chart(long).encode(
        x=alt.X("age:O", title=age_title or t("col.age"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title=t("col.cohort"), sort=order,
                axis=alt.Axis(labelOverlap=False, labelLimit=240, labelFontWeight=alt.condition(
                    f"datum.value === {json.dumps(t('cohorts.average'))}",
                    alt.value("bold"), alt.value("normal")))),
    )
    top = max(1.0, float(long["value"].max()) if len(long) else 1.0)
    if value == "arpa":
        low, high = ((float(long["value"].min()), float(long["value"].max())) if len(long)
                     else (0.0, 1.0))
        scale = alt.Scale(scheme="blues", domain=[low, high])
        position = _scale_position(long["value"], [low, high])
    elif value == "mrr":  # revenue can grow past 100%: centre the colours on 100%
        scale = alt.Scale(scheme="redyellowgreen", domain=[0, top], domainMid=1.0)
        position = _scale_position(long["value"], [0, top], mid=1.0)
    else:
        scale = alt.Scale(scheme="redyellowgreen", domain=[0, 1])
        position = _scale_position(long["value"], [0, 1])
    long["dark"] = _needs_white_text(scale.scheme, position) if len(long) else []
    cells = base.mark_rect().encode(
        color=alt.Color("value:Q", title=title, scale=scale, legend=alt.Legend(format=fmt)),
        tooltip=[
            alt.Tooltip("cohort:O", title=t("col.cohort")),
            alt.Tooltip("age:O", title=age_title or t("col.age")),
            alt.Tooltip("value:Q", title=title, format=_MONEY if value == "arpa" else ".1%"),
        ],
    )
    labels = base.mark_text(
        fontSize=10, fontWeight=alt.ExprRef("datum.average ? 'bold' : 'normal'")
    ).encode(text=alt.Text("value:Q", format=fmt),
             color=alt.ColorValue(**alt.condition("datum.dark", alt.value("#ffffff"),
                                                  alt.value(_TEXT))))
    return alt.layer(cells, labels).properties(height=alt.Step(22))


def cohort_curve_chart(curves: pd.DataFrame, value: str = "mrr", t: Text | None = None,
                       age_title: str | None = None) -> alt.Chart:
    """Average cohort curves (ages across, one line per segment).

    Examples
    --------
    >>> c = pd.DataFrame({"A": [1.0, 0.9], "B": [1.0, 0.7]}, index=pd.RangeIndex(2, name="age"))
    >>> spec = cohort_curve_chart(c).to_dict()
    >>> spec["encoding"]["color"]["field"], spec["mark"]["type"]
    ('segment', 'line')
    """
    t = _t(t)
    long = curves.copy()
    long.columns = long.columns.astype("str")
    long.columns.name = "segment"
    order = list(long.columns)
    long = long.stack().rename("value").dropna().reset_index()
    fmt = _MONEY if value == "arpa" else ".1%"
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("age:Q", title=age_title or t("col.age"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=t(f"cohorts.value.{value}"),
                    axis=alt.Axis(format=_MONEY if value == "arpa" else "%")),
            color=alt.Color("segment:N", title=None, sort=order),
            tooltip=[
                alt.Tooltip("segment:N", title=t("col.segment")),
                alt.Tooltip("age:Q", title=t("col.age")),
                alt.Tooltip("value:Q", title=t(f"cohorts.value.{value}"), format=fmt),
            ],
        )
        .properties(height=300)
    )
