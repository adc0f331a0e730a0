"""Altair charts of mrrkit results. Pure functions: a DataFrame in, a chart out (no Streamlit).

Every chart has tooltips. Labels come from a :class:`ui.i18n.Text` (English by default) and
numbers follow the reader's locale through :func:`localized` (Vega-Lite's ``config.locale``), so
a French reader sees ``1 234 €`` in the axes and tooltips too.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from babel import Locale

from .format import NumberFormat, number_format
from .i18n import Text, text

__all__ = [
    "MOVEMENT_COLORS",
    "churn_reason_chart",
    "churn_reason_time_chart",
    "cohort_curve_chart",
    "cohort_heatmap",
    "customer_history_chart",
    "localized",
    "movement_chart",
    "mrr_chart",
    "segment_rate_chart",
    "waterfall_chart",
]

#: Kind -> colour, gains in greens/blues, losses in reds (same order in every chart and legend).
MOVEMENT_COLORS = {
    "new": "#2f9e44",
    "expansion": "#74b816",
    "reactivation": "#1c7ed6",
    "contraction": "#f59f00",
    "churn": "#e03131",
}
_MONEY = "$,.0f"  # d3-format: currency symbol placed by the locale in config.locale.number


def _t(t: Text | None) -> Text:
    return t or text("en")


def _with_month_start(table: pd.DataFrame) -> pd.DataFrame:
    out = table.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


def localized(chart: alt.TopLevelMixin, nf: NumberFormat | None = None) -> alt.TopLevelMixin:
    """``chart`` with the number and time locale of ``nf`` (separators, currency, month names).

    Examples
    --------
    >>> c = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    >>> spec = localized(c, number_format("fr", "EUR")).to_dict()
    >>> spec["config"]["locale"]["number"]["decimal"], spec["config"]["locale"]["time"]["shortMonths"][0]
    (',', 'janv.')
    """
    nf = nf or number_format("en", "EUR")
    loc = Locale.parse(nf.locale)
    months = loc.months["format"]
    days = loc.days["format"]
    time_locale = {
        "dateTime": "%x, %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": [days["wide"][(i + 6) % 7] for i in range(7)],  # Sunday first
        "shortDays": [days["abbreviated"][(i + 6) % 7] for i in range(7)],
        "months": [months["wide"][i] for i in range(1, 13)],
        "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
    }
    return chart.configure(locale={"number": nf.d3_locale(), "time": time_locale})


def _kind_scale(t: Text) -> alt.Scale:
    return alt.Scale(
        domain=[t(f"kind.{k}") for k in MOVEMENT_COLORS], range=list(MOVEMENT_COLORS.values())
    )


def movement_chart(table: pd.DataFrame, height: int = 320, t: Text | None = None,
                   selectable: bool = False) -> alt.LayerChart:
    """Monthly MRR movements as diverging stacked bars (gains up, losses down) with net new MRR
    as a line.

    Parameters
    ----------
    table : the frame :func:`mrrkit.monthly` returns (or a slice of its months).
    selectable : add a point selection ``pick`` on (month, kind) so a click can pick a bar.

    Examples
    --------
    >>> t = pd.DataFrame({"new": [100.0], "expansion": [10.0], "reactivation": [0.0],
    ...                   "contraction": [-5.0], "churn": [-20.0], "net_new": [85.0]},
    ...                  index=pd.period_range("2024-01", periods=1, freq="M", name="month"))
    >>> spec = movement_chart(t).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'line']
    >>> [x["title"] for x in spec["layer"][0]["encoding"]["tooltip"]]
    ['Month', 'Movement', 'MRR']
    """
    t = _t(t)
    data = _with_month_start(table)
    long = data.melt(
        id_vars="month", value_vars=list(MOVEMENT_COLORS), var_name="kind", value_name="amount"
    )
    order = {k: i for i, k in enumerate(MOVEMENT_COLORS)}
    long["movement"] = long["kind"].map(lambda k: t(f"kind.{k}"))
    long["kind_order"] = long["kind"].map(order)
    x = alt.X("yearmonth(month):T", title=None)
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(amount):Q", title=t("chart.mrr_movement"), stack="zero",
                    axis=alt.Axis(format=_MONEY)),
            color=alt.Color("movement:N", title=None, scale=_kind_scale(t),
                            sort=[t(f"kind.{k}") for k in MOVEMENT_COLORS]),
            order=alt.Order("kind_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("movement:N", title=t("col.kind")),
                alt.Tooltip("sum(amount):Q", title=t("col.mrr"), format=_MONEY),
            ],
        )
    )
    if selectable:
        pick = alt.selection_point(name="pick", fields=["month", "kind"], on="click")
        bars = bars.add_params(pick).encode(
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            detail="kind:N",
        )
    net = (
        alt.Chart(data)
        .mark_line(color="#212529", point=alt.OverlayMarkDef(color="#212529", size=18))
        .encode(
            x=x,
            y=alt.Y("net_new:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("net_new:Q", title=t("chart.net_new"), format=_MONEY),
            ],
        )
    )
    return alt.layer(bars, net).properties(height=height)


def mrr_chart(table: pd.DataFrame, height: int = 260, t: Text | None = None) -> alt.Chart:
    """MRR at each month end as an area chart.

    Examples
    --------
    >>> t = pd.DataFrame({"mrr": [100.0, 150.0], "customers": [2, 3]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> mrr_chart(t).to_dict()["encoding"]["y"]["field"]
    'mrr'
    """
    t = _t(t)
    data = _with_month_start(table)[["month", "mrr", "customers"]]
    return (
        alt.Chart(data)
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("mrr:Q", title=t("col.mrr"), axis=alt.Axis(format=_MONEY)),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("mrr:Q", title=t("col.mrr"), format=_MONEY),
                alt.Tooltip("customers:Q", title=t("col.customers"), format=","),
            ],
        )
        .properties(height=height)
    )


def waterfall_chart(bridge: pd.DataFrame, height: int = 340, t: Text | None = None) -> alt.LayerChart:
    """The MRR bridge of :func:`mrrkit.bridge.mrr_bridge` as a waterfall: start and end MRR as
    full bars, each movement as a floating bar from the running total.

    Examples
    --------
    >>> b = pd.DataFrame({"amount": [100.0, 20.0, 5.0, 0.0, -3.0, -10.0, 112.0],
    ...                   "customers": [9, 2, 1, 0, 1, 1, 10]},
    ...                  index=pd.Index(["start", "new", "expansion", "reactivation",
    ...                                  "contraction", "churn", "end"], name="step"))
    >>> spec = waterfall_chart(b).to_dict()
    >>> rows = spec["datasets"][spec["data"]["name"]]
    >>> [(r["step"], r["low"], r["high"]) for r in rows][:3]
    [('start', 0.0, 100.0), ('new', 100.0, 120.0), ('expansion', 120.0, 125.0)]
    """
    t = _t(t)
    rows = []
    running = 0.0
    names = {"start": t("col.start_mrr"), "end": t("col.end_mrr")}
    for i, (step, row) in enumerate(bridge.iterrows()):
        amount = float(row["amount"])
        if step in ("start", "end"):
            low, high, color = 0.0, amount, "total"
            running = amount
        else:
            low, high = running, running + amount
            running = high
            color = step
        rows.append({
            "step": step, "label": names.get(step, t(f"kind.{step}")), "order": i,
            "low": min(low, high), "high": max(low, high), "amount": amount,
            "customers": int(row["customers"]), "color": color,
        })
    data = pd.DataFrame(rows)
    colors = {"total": "#4c6ef5", **MOVEMENT_COLORS}
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelAngle=0)),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("low:Q", title=t("col.mrr"), axis=alt.Axis(format=_MONEY)),
        y2="high:Q",
        color=alt.Color("color:N", scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                        legend=None),
        tooltip=[
            alt.Tooltip("label:N", title=t("col.step")),
            alt.Tooltip("amount:Q", title=t("col.mrr"), format=_MONEY),
            alt.Tooltip("customers:Q", title=t("col.customers"), format=","),
        ],
    )
    labels = base.mark_text(dy=-8).encode(
        y=alt.Y("high:Q"), text=alt.Text("amount:Q", format=_MONEY)
    )
    return alt.layer(bars, labels).properties(height=height)


def cohort_heatmap(table: pd.DataFrame, value: str = "mrr", t: Text | None = None,
                   age_title: str | None = None) -> alt.LayerChart:
    """A cohort table (cohorts down, ages across) as a heatmap with the value written in each
    cell: percentages for retention, money for ARPA.

    Parameters
    ----------
    table : :func:`mrrkit.cohort_views.cohort_table` output (index ``cohort``, columns ``age``).
    value : ``"mrr"``, ``"customers"`` (shown as %) or ``"arpa"`` (money).

    Examples
    --------
    >>> tab = pd.DataFrame([[1.0, 0.8], [1.0, None]], columns=pd.RangeIndex(2, name="age"),
    ...                    index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M", name="cohort"))
    >>> spec = cohort_heatmap(tab).to_dict()
    >>> spec["layer"][1]["encoding"]["text"]["format"]
    '.0%'
    >>> len(spec["datasets"][spec["data"]["name"]])   # empty cells are not drawn
    3
    """
    t = _t(t)
    long = table.copy()
    long.index = long.index.astype("str")
    long.index.name = "cohort"
    long = long.stack().rename("value").dropna().reset_index()
    long["age"] = long["age"].astype(int)
    fmt = _MONEY if value == "arpa" else ".0%"
    title = t(f"cohorts.value.{value}")
    base = alt.Chart(long).encode(
        x=alt.X("age:O", title=age_title or t("col.age"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title=t("col.cohort"), sort=list(table.index.astype("str"))),
    )
    top = max(1.0, float(long["value"].max()) if len(long) else 1.0)
    if value == "arpa":
        scale = alt.Scale(scheme="blues")
    elif value == "mrr":  # revenue can grow past 100%: centre the colours on 100%
        scale = alt.Scale(scheme="redyellowgreen", domain=[0, top], domainMid=1.0)
    else:
        scale = alt.Scale(scheme="redyellowgreen", domain=[0, 1])
    cells = base.mark_rect().encode(
        color=alt.Color("value:Q", title=title, scale=scale, legend=alt.Legend(format=fmt)),
        tooltip=[
            alt.Tooltip("cohort:O", title=t("col.cohort")),
            alt.Tooltip("age:O", title=t("col.age")),
            alt.Tooltip("value:Q", title=title, format=_MONEY if value == "arpa" else ".1%"),
        ],
    )
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("value:Q", format=fmt),
        color=alt.value("#212529"),
    )
    return alt.layer(cells, labels).properties(height=max(200, 26 * len(table)))


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


def segment_rate_chart(table: pd.DataFrame, metric: str = "churn_rate", rest: float | None = None,
                       t: Text | None = None) -> alt.LayerChart:
    """One rate per segment with its 95% interval as an error bar, and the overall rate as a rule.

    Parameters
    ----------
    table : :func:`mrrkit.segments.segment_table` output.
    metric : ``churn_rate``, ``expansion_share``, ``nrr`` or ``grr``.
    rest : a reference value drawn as a dashed rule (e.g. the overall rate).

    Examples
    --------
    >>> tab = pd.DataFrame({"churn_rate": [0.1, 0.3], "churn_low": [0.05, 0.2],
    ...                     "churn_high": [0.2, 0.4], "start_customers": [50, 40]},
    ...                    index=pd.Index(["a", "b"], name="plan"))
    >>> spec = segment_rate_chart(tab, "churn_rate", rest=0.2).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['rule', 'point', 'rule']
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
    title = t(f"segments.metric.{metric}")
    y = alt.Y("segment:N", title=None, sort=list(data["segment"]))
    tooltip = [
        alt.Tooltip("segment:N", title=t("col.segment")),
        alt.Tooltip("value:Q", title=title, format=".1%"),
        alt.Tooltip("low:Q", title=t("chart.low"), format=".1%"),
        alt.Tooltip("high:Q", title=t("chart.high"), format=".1%"),
        alt.Tooltip("n:Q", title=t("col.start_customers"), format=","),
    ]
    bars = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", title=title, axis=alt.Axis(format="%")), x2="high:Q", tooltip=tooltip
    )
    points = alt.Chart(data).mark_point(filled=True, size=70).encode(
        y=y, x="value:Q", tooltip=tooltip
    )
    ref = alt.Chart(pd.DataFrame({"rest": [rest if rest is not None else float("nan")]}))
    rule = ref.mark_rule(strokeDash=[4, 4], color="#868e96").encode(
        x="rest:Q", tooltip=[alt.Tooltip("rest:Q", title=t("chart.value"), format=".1%")]
    )
    return alt.layer(bars, points, rule).properties(height=max(160, 40 * len(data)))


def churn_reason_chart(lost: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """MRR lost by churn reason per segment (:func:`mrrkit.segments.churn_by_reason`), stacked
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
            color=alt.Color("reason:N", title=t("col.reason")),
            tooltip=[
                alt.Tooltip("segment:N", title=t("col.segment")),
                alt.Tooltip("reason:N", title=t("col.reason")),
                alt.Tooltip("sum(lost):Q", title=t("col.lost"), format=_MONEY),
            ],
        )
        .properties(height=max(160, 36 * len(lost)))
    )


def churn_reason_time_chart(by_month: pd.DataFrame, t: Text | None = None) -> alt.Chart:
    """MRR lost by churn reason each month (:func:`mrrkit.segments.churn_reason_by_month`).

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
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("sum(lost):Q", title=t("col.lost"), axis=alt.Axis(format=_MONEY)),
            color=alt.Color("reason:N", title=t("col.reason")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("reason:N", title=t("col.reason")),
                alt.Tooltip("sum(lost):Q", title=t("col.lost"), format=_MONEY),
            ],
        )
        .properties(height=280)
    )


def customer_history_chart(history: pd.DataFrame, t: Text | None = None) -> alt.LayerChart:
    """A customer's MRR over time as a step line (:func:`mrrkit.customers.customer_history`),
    with a point at each movement.

    Examples
    --------
    >>> h = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01"]),
    ...                   "mrr": [10.0, 20.0, 20.0], "kind": ["new", "expansion", None],
    ...                   "amount": [10.0, 10.0, None]})
    >>> spec = customer_history_chart(h).to_dict()
    >>> spec["layer"][0]["mark"]["interpolate"]
    'step-after'
    """
    t = _t(t)
    data = history.copy()
    data["movement"] = data["kind"].map(lambda k: t(f"kind.{k}") if isinstance(k, str) else "")
    x = alt.X("date:T", title=None)
    line = alt.Chart(data).mark_line(interpolate="step-after").encode(
        x=x, y=alt.Y("mrr:Q", title=t("col.mrr"), axis=alt.Axis(format=_MONEY))
    )
    points = alt.Chart(data[data["movement"] != ""]).mark_point(filled=True, size=60).encode(
        x=x,
        y="mrr:Q",
        color=alt.Color("movement:N", title=None, scale=_kind_scale(t)),
        tooltip=[
            alt.Tooltip("date:T", title=t("col.date")),
            alt.Tooltip("movement:N", title=t("col.kind")),
            alt.Tooltip("amount:Q", title=t("col.amount"), format=_MONEY),
            alt.Tooltip("mrr:Q", title=t("col.mrr_after"), format=_MONEY),
        ],
    )
    return alt.layer(line, points).properties(height=260)
