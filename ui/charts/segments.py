"""The Segments page's charts: a rate by segment against the rest, MRR lost by churn reason."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..i18n import Text, text
from .base import _MONEY, _t, _month_axis

__all__ = ["churn_reason_chart", "churn_reason_time_chart", "segment_rate_chart"]

def segment_rate_chart(table: pd.DataFrame, metric: str = "churn_rate", rest: float | None = None,
                       t: Text | None = None, verdicts=None) -> alt.LayerChart:
    """One rate per segment with its 95% interval as an error bar, and the overall rate as a rule;
    with ``verdicts``, each point coloured by its test against the rest (green: better, red:
    worse, grey: no clear difference) and the verdict in its tooltip.

    Parameters
    ----------
    table : :func:`mrrkit.views.segments.segment_table` output.
    metric : ``churn_rate``, ``expansion_share``, ``nrr`` or ``grr``.
    rest : a reference value drawn as a dashed rule, named in the legend "All selected
        customers" (the rate of every selected customer together); none without it.
    verdicts : DataFrame indexed like ``table`` with ``text`` (the verdict in words) and
        ``side``: ``"better"``, ``"worse"`` or ``"same"``.

    Long segment names are cut at 200 px (the tooltip has them whole) and the rate axis keeps
    its labels apart.

    Examples
    --------
    >>> tab = pd.DataFrame({"churn_rate": [0.1, 0.3], "churn_low": [0.05, 0.2],
    ...                     "churn_high": [0.2, 0.4], "start_customers": [50, 40]},
    ...                    index=pd.Index(["a", "b"], name="plan"))
    >>> spec = segment_rate_chart(tab, "churn_rate", rest=0.2).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['rule', 'point', 'rule']
    >>> v = pd.DataFrame({"text": ["churns 0.3x the rest", "churns 3.0x the rest"],
    ...                   "side": ["better", "worse"]}, index=tab.index)
    >>> spec = segment_rate_chart(tab, "churn_rate", rest=0.2, verdicts=v).to_dict()
    >>> spec["layer"][1]["encoding"]["color"]["scale"]["range"]
    ['#2f9e44', '#e03131', '#868e96']
    >>> spec["layer"][2]["encoding"]["strokeDash"]["scale"]["domain"]
    ['All selected customers']
    >>> len(segment_rate_chart(tab, "churn_rate").to_dict()["layer"])   # no line, no legend
    2
    """
    t = _t(t)
    prefix = {"churn_rate": "churn", "expansion_share": "expansion"}.get(metric, metric)
    data = pd.DataFrame({
        "segment": table.index.astype("str"),
        "value": table[metric].to_numpy(),
        "low": table[f"{prefix}_low"].to_numpy(),
        "high": table[f"{prefix}_high"].to_numpy(),
        "n": table["start_customers"].to_numpy(),
    })
    if verdicts is not None:
        data["verdict"] = verdicts["text"].to_numpy()
        data["side"] = [t(f"chart.side.{s}") for s in verdicts["side"]]
    title = t(f"segments.metric.{metric}")
    y = alt.Y("segment:N", title=None, sort=list(data["segment"]),
              axis=alt.Axis(labelLimit=200, labelOverlap=False))
    tooltip = [
        alt.Tooltip("segment:N", title=t("col.segment")),
        alt.Tooltip("value:Q", title=title, format=".1%"),
        alt.Tooltip("low:Q", title=t("chart.low"), format=".1%"),
        alt.Tooltip("high:Q", title=t("chart.high"), format=".1%"),
        alt.Tooltip("n:Q", title=t("col.start_customers"), format=","),
    ]
    if verdicts is not None:
        tooltip.append(alt.Tooltip("verdict:N", title=t("chart.vs_rest")))
    bars = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", title=title, axis=alt.Axis(
            format="%", labelOverlap="greedy", labelSeparation=8, tickCount=6)),
        x2="high:Q", tooltip=tooltip,
    )
    points = alt.Chart(data).mark_point(filled=True, size=70).encode(
        y=y, x="value:Q", tooltip=tooltip
    )
    if verdicts is not None:
        sides = [t(f"chart.side.{s}") for s in ("better", "worse", "same")]
        points = points.encode(color=alt.Color(
            "side:N", title=t("chart.vs_rest"),
            scale=alt.Scale(domain=sides, range=["#2f9e44", "#e03131", "#868e96"]),
        ))
    layers = [bars, points]
    if rest is not None and rest == rest:  # no empty layer for a missing overall rate
        # The dashed line in a legend of its own: what it is, not a line left unexplained.
        overall = t("chart.overall")
        ref = alt.Chart(pd.DataFrame({"rest": [rest], "line": [overall]}))
        layers.append(ref.mark_rule(color="#868e96").encode(
            x="rest:Q",
            strokeDash=alt.StrokeDash("line:N", scale=alt.Scale(domain=[overall], range=[[4, 4]]),
                                      legend=alt.Legend(title=None, symbolType="stroke",
                                                        symbolStrokeColor="#868e96")),
            tooltip=[alt.Tooltip("line:N", title=t("col.segment")),
                     alt.Tooltip("rest:Q", title=title, format=".1%")],
        ))
    return alt.layer(*layers).properties(height=max(160, 40 * len(data)))


#: Colours of churn reasons (Tableau 10 without its grey, which marks "no reason").
_REASON_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                  "#ff9da7", "#9c755f"]


def _reason_scale(reasons: list[str], t: Text) -> alt.Scale:
    """Reasons in their order with a colour each; the "no reason" label last, in grey.

    >>> _reason_scale(["budget", "(none)", "bugs"], text("en")).to_dict()["range"]
    ['#4e79a7', '#f28e2b', '#adb5bd']
    """
    missing = t("missing")
    named = [r for r in reasons if r != missing]
    domain = named + ([missing] if missing in reasons else [])
    colors = [_REASON_COLORS[i % len(_REASON_COLORS)] for i in range(len(named))]
    return alt.Scale(domain=domain, range=colors + (["#adb5bd"] if missing in reasons else []))


def churn_reason_chart(lost: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """MRR lost by churn reason per segment (:func:`mrrkit.views.segments.churn_by_reason`), stacked
    horizontal bars.

    Examples
    --------
    >>> lost = pd.DataFrame({"price": [10.0, 0.0], "bugs": [5.0, 2.0]},
    ...                     index=pd.Index(["a", "b"], name="plan"))
    >>> churn_reason_chart(lost).to_dict()["encoding"]["color"]["field"]
    'reason'
    """
    t = _t(t)
    long = lost.copy()
    long.index = long.index.astype("str")
    long.index.name = "segment"
    long.columns = long.columns.astype("str")
    long.columns.name = "reason"
    long = long.stack().rename("lost").reset_index()
    long = long[long["lost"] != 0]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title=None, sort=list(lost.index.astype("str"))),
            x=alt.X("sum(lost):Q", title=t("col.lost"), axis=alt.Axis(format=_MONEY)),
            color=alt.Color("reason:N", title=t("col.reason"),
                            scale=_reason_scale(list(lost.columns.astype("str")), t)),
            tooltip=[
                alt.Tooltip("segment:N", title=t("col.segment")),
                alt.Tooltip("reason:N", title=t("col.reason")),
                alt.Tooltip("sum(lost):Q", title=t("col.lost"), format=_MONEY),
            ],
        )
        .properties(height=max(160, 36 * len(lost)))
    )


def churn_reason_time_chart(by_month: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """MRR lost by churn reason each month (:func:`mrrkit.views.segments.churn_reason_by_month`).

    Examples
    --------
    >>> f = pd.DataFrame({"price": [10.0, 3.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> churn_reason_time_chart(f).to_dict()["mark"]["type"]
    'bar'
    """
    t = _t(t)
    long = by_month.copy()
    long.columns = long.columns.astype("str")
    long.columns.name = "reason"
    long = long.stack().rename("lost").reset_index()
    long["month"] = long["month"].dt.to_timestamp()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_month_axis(),
            y=alt.Y("sum(lost):Q", title=t("col.lost"), axis=alt.Axis(format=_MONEY)),
            color=alt.Color("reason:N", title=t("col.reason"),
                            scale=_reason_scale(list(by_month.columns.astype("str")), t)),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("reason:N", title=t("col.reason")),
                alt.Tooltip("sum(lost):Q", title=t("col.lost"), format=_MONEY),
            ],
        )
        .properties(height=280)
    )
