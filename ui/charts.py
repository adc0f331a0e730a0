"""Altair charts of mrrkit results. Pure functions: a DataFrame in, a chart out (no Streamlit).

Every chart has tooltips. Labels come from a :class:`ui.i18n.Text` (English by default) and
numbers follow the reader's locale through :func:`localized` (Vega-Lite's ``config.locale``), so
a French reader sees ``1 234 €`` in the axes and tooltips too.
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
from babel import Locale

from .format import NumberFormat, number_format
from .i18n import Text, text

__all__ = [
    "EXPANSION_COLORS",
    "MOVEMENT_COLORS",
    "backtest_chart",
    "churn_reason_chart",
    "churn_reason_time_chart",
    "cohort_curve_chart",
    "cohort_heatmap",
    "customer_history_chart",
    "expansion_chart",
    "expansion_chart_frame",
    "expansion_cohort_heatmap",
    "expansion_segment_chart",
    "expansion_share_chart",
    "expansion_share_chart_frame",
    "expansion_split_chart",
    "expansion_split_chart_frame",
    "forecast_chart",
    "forecast_chart_frames",
    "localized",
    "movement_chart",
    "movement_chart_frames",
    "movement_selection",
    "mrr_chart",
    "retention_fit_chart",
    "scenario_chart",
    "scenario_chart_data",
    "scenario_spec_with_data",
    "segment_rate_chart",
    "waterfall_chart",
    "waterfall_chart_frame",
    "with_selection",
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


def _has_values(frame: pd.DataFrame, *fields: str) -> bool:
    """Whether ``frame`` has a row with every one of ``fields`` set: a layer without one is not
    drawn, since Vega finds no extent for its scales ("Infinite extent" warnings).

    >>> _has_values(pd.DataFrame({"low": [None, 1.0], "high": [None, 2.0]}), "low", "high")
    True
    >>> _has_values(pd.DataFrame({"low": [None], "high": [2.0]}), "low", "high")
    False
    """
    return bool(len(frame)) and bool(frame[list(fields)].notna().all(axis=1).any())


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


def _opacity(condition: dict) -> alt.OpacityValue:
    """An ``alt.condition(...)`` for the opacity channel, as its channel object: given the bare
    dict, ``encode`` rebuilds Altair's index of every schema class to find its type (~5 ms)."""
    return alt.OpacityValue(**condition)


def _kind_scale(t: Text) -> alt.Scale:
    return alt.Scale(
        domain=[t(f"kind.{k}") for k in MOVEMENT_COLORS], range=list(MOVEMENT_COLORS.values())
    )


def _month_axis(field: str = "month", title=None) -> alt.X:
    """Months as bands along x (bars and line points share each month's centre), labelled like
    ``Mar 2024`` in the chart's locale, thinned when they would overlap."""
    return alt.X(f"yearmonth({field}):O", title=title,
                 axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap="greedy"))


#: Height of each band of a chart with one row per category along y (bars or heatmap rows).
BAND_STEP = 26


def _band_axis(**kwargs) -> alt.Axis:
    """A y axis of categories that labels every band.

    Streamlit's chart theme sets ``labelOverlap: true`` on every axis (Vega then hides every
    other label as soon as two touch) and ``labelFlush: true`` (it shifts the first label
    towards the edge): on a short chart of 5 segments only 3 were labelled. Both are turned
    off here, long names get room (``labelLimit``), and the chart gives each band a fixed
    height (``height=alt.Step(BAND_STEP)``) rather than a total that axes and titles eat into.
    """
    return alt.Axis(labelOverlap=False, labelFlush=False, labelLimit=240, **kwargs)


def movement_selection(table: pd.DataFrame, selected: tuple[str, str] | None) -> list | None:
    """The points of :func:`movement_chart`'s ``pick`` selection for a (month, kind) choice: that
    bar, or with month ``"period"`` the kind's bar of every month; None for no movement bar.

    >>> t = pd.DataFrame({"new": [1.0, 2.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> movement_selection(t, ("2024-02", "new")), len(movement_selection(t, ("period", "churn")))
    ([{'month_key': '2024-02', 'kind': 'new'}], 2)
    >>> movement_selection(t, ("2024-02", "mrr_end")) is None
    True
    """
    if selected is None or selected[1] not in MOVEMENT_COLORS:
        return None
    months = [str(m) for m in table.index]
    chosen = months if selected[0] == "period" else [m for m in months if m == selected[0]]
    return [{"month_key": m, "kind": selected[1]} for m in chosen] or None


def with_selection(spec: dict, param: str, value: list | None) -> dict:
    """``spec`` (a Vega-Lite dict) with its selection ``param`` starting at ``value`` (None: no
    initial selection): the same chart with another bar picked, without building it again.

    >>> spec = {"params": [{"name": "pick", "select": {"type": "point"}}], "mark": "bar"}
    >>> with_selection(spec, "pick", [{"kind": "new"}])["params"][0]["value"]
    [{'kind': 'new'}]
    >>> "value" in with_selection(spec, "pick", None)["params"][0], "value" in spec["params"][0]
    (False, False)
    """
    params = []
    for p in spec.get("params", []):
        if p.get("name") == param:
            p = {k: v for k, v in p.items() if k != "value"}
            if value is not None:
                p["value"] = value
        params.append(p)
    return {**spec, "params": params}


def movement_chart_frames(table: pd.DataFrame, t: Text | None = None
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data :func:`movement_chart` draws: one row per (month, kind) for the bars, and the
    monthly table with month starts for the net line. The chart's spec depends on nothing else
    but the language, so a page can keep one spec and swap these in (``Context.chart``)."""
    t = _t(t)
    data = _with_month_start(table)
    long = data.melt(
        id_vars="month", value_vars=list(MOVEMENT_COLORS), var_name="kind", value_name="amount"
    )
    order = {k: i for i, k in enumerate(MOVEMENT_COLORS)}
    long["month_key"] = long["month"].dt.strftime("%Y-%m")
    long["movement"] = long["kind"].map(lambda k: t(f"kind.{k}"))
    long["kind_order"] = long["kind"].map(order)
    return long.sort_values(["month", "kind_order"], kind="stable").reset_index(drop=True), data


def movement_chart(table: pd.DataFrame, height: int = 320, t: Text | None = None,
                   selectable: bool = False, selected: tuple[str, str] | None = None
                   ) -> alt.LayerChart:
    """Monthly MRR movements as diverging stacked bars (gains up, losses down) with net new MRR
    as a line through the middle of each month's bars.

    Parameters
    ----------
    table : the frame :func:`mrrkit.engine.monthly` returns (or a slice of its months).
    selectable : add a point selection ``pick`` on (``month_key``, ``kind``) so a click on a bar
        picks its month (``"2024-03"``) and kind (``"churn"``).
    selected : (month, kind) selected from the start: that bar, or with month ``"period"`` the
        kind's bar of every month (the other bars are faded).

    Examples
    --------
    >>> t = pd.DataFrame({"new": [100.0], "expansion": [10.0], "reactivation": [0.0],
    ...                   "contraction": [-5.0], "churn": [-20.0], "net_new": [85.0]},
    ...                  index=pd.period_range("2024-01", periods=1, freq="M", name="month"))
    >>> spec = movement_chart(t, selectable=True).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'line']
    >>> [x["title"] for x in spec["layer"][0]["encoding"]["tooltip"]]
    ['Month', 'Movement', 'MRR']
    >>> spec["params"][0]["select"]["fields"]
    ['month_key', 'kind']
    >>> rows = spec["datasets"][spec["layer"][0]["data"]["name"]]
    >>> [(r["month_key"], r["kind"], r["amount"]) for r in rows][:2]
    [('2024-01', 'new', 100.0), ('2024-01', 'expansion', 10.0)]
    """
    t = _t(t)
    long, data = movement_chart_frames(table, t)
    # One row per (month, kind): no aggregation, so a clicked bar carries its month and kind.
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_month_axis(),
            y=alt.Y("amount:Q", title=t("chart.mrr_movement"), stack="zero",
                    axis=alt.Axis(format=_MONEY)),
            color=alt.Color("movement:N", title=None, scale=_kind_scale(t),
                            sort=[t(f"kind.{k}") for k in MOVEMENT_COLORS]),
            order=alt.Order("kind_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("movement:N", title=t("col.kind")),
                alt.Tooltip("amount:Q", title=t("col.mrr"), format=_MONEY),
            ],
        )
    )
    if selectable:
        initial = movement_selection(table, selected)
        pick = alt.selection_point(name="pick", fields=["month_key", "kind"], on="click",
                                   value=alt.Undefined if initial is None else initial)
        bars = bars.add_params(pick).encode(
            opacity=_opacity(alt.condition(pick, alt.value(1.0), alt.value(0.45))),
        )
    net = (
        alt.Chart(data)
        .mark_line(color="#212529", point=alt.OverlayMarkDef(color="#212529", size=18))
        .encode(
            x=_month_axis(),
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


def waterfall_chart_frame(bridge: pd.DataFrame, t: Text | None = None) -> pd.DataFrame:
    """The bars :func:`waterfall_chart` draws (one row per step, with its low and high ends);
    the chart's spec depends on nothing else but the language."""
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
    return pd.DataFrame(rows)


def waterfall_chart(bridge: pd.DataFrame, height: int = 340, t: Text | None = None,
                    selectable: bool = False, selected: str | None = None) -> alt.LayerChart:
    """The MRR bridge of :func:`mrrkit.views.bridge.mrr_bridge` as a waterfall: start and end MRR as
    full bars, each movement as a floating bar from the running total.

    ``selectable`` adds a point selection ``step`` on the ``step`` field (``"start"``, a kind or
    ``"end"``), so a click on a bar says which figure to take apart; ``selected`` is the step
    selected from the start (the other bars are faded).

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
    data = waterfall_chart_frame(bridge, t)
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
    if selectable:
        initial = [{"step": selected}] if selected in set(data["step"]) else alt.Undefined
        pick = alt.selection_point(name="step", fields=["step"], on="click", value=initial)
        bars = bars.add_params(pick).encode(
            opacity=_opacity(alt.condition(pick, alt.value(1.0), alt.value(0.5)))
        )
    labels = base.mark_text(dy=-8).encode(
        y=alt.Y("high:Q"), text=alt.Text("amount:Q", format=_MONEY)
    )
    return alt.layer(bars, labels).properties(height=height)


#: Vega's continuous colour schemes used here, as vega-scale defines them: a value's colour is
#: interpolated (in RGB) between these stops, spread evenly over the scale's range.
_SCHEMES = {
    "blues": "cfe1f2bed8eca8cee58fc1de74b2d75ba3cf4592c63181bd206fb2125ca40a4a90",
    "redyellowgreen": "a50026d4322cf16e43fcac63fedd8df9f7aed7ee8ea4d86e64bc6122964f006837",
}
_TEXT = "#212529"  # the charts' dark text


def _luminance(rgb) -> float:
    """WCAG relative luminance of an ``(r, g, b)`` colour (0-255 channels)."""
    c = np.asarray(rgb, dtype="float64") / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def _needs_white_text(scheme: str, position) -> np.ndarray:
    """Whether text on the colour of ``scheme`` at each ``position`` (0-1 along the scheme) reads
    better white than in the charts' dark text: the colour with the higher WCAG contrast.

    >>> _needs_white_text("redyellowgreen", [0.0, 0.5, 1.0]).tolist()   # deep red, yellow, green
    [True, False, True]
    >>> _needs_white_text("blues", [0.0, 0.5, 1.0]).tolist()
    [False, False, True]
    """
    hexes = _SCHEMES[scheme]
    stops = np.array([[int(hexes[i + j:i + j + 2], 16) for j in (0, 2, 4)]
                      for i in range(0, len(hexes), 6)], dtype="float64")
    at = np.clip(np.asarray(position, dtype="float64"), 0, 1) * (len(stops) - 1)
    low = np.minimum(np.floor(at).astype(int), len(stops) - 2)
    frac = (at - low)[:, None]
    colours = stops[low] * (1 - frac) + stops[low + 1] * frac
    dark = _luminance([int(_TEXT[i:i + 2], 16) for i in (1, 3, 5)])
    lum = np.array([_luminance(c) for c in colours])
    return 1.05 / (lum + 0.05) > (lum + 0.05) / (dark + 0.05)


def _scale_position(values, domain, mid=None) -> np.ndarray:
    """Where ``values`` fall along a colour scale over ``domain`` (0-1), with ``mid`` (Vega-Lite's
    ``domainMid``) at the scheme's middle."""
    v = np.asarray(values, dtype="float64")
    lo, hi = float(domain[0]), float(domain[-1])
    if mid is None:
        return (v - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)
    below = 0.5 * (v - lo) / (mid - lo) if mid > lo else np.zeros(len(v))
    above = 0.5 + (0.5 * (v - mid) / (hi - mid) if hi > mid else np.zeros(len(v)))
    return np.where(v <= mid, below, above)


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


def customer_history_chart(history: pd.DataFrame, t: Text | None = None) -> alt.LayerChart:
    """A customer's MRR over time as a step line (:func:`mrrkit.views.customers.customer_history`),
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


# --- retention model, forecast and scenarios (Scenarios page) ---------------------------------

_FORECAST_FORMATS = {"mrr": _MONEY, "arr": _MONEY, "customers": ",.0f"}


def _metric_format(metric: str) -> str:
    return _FORECAST_FORMATS.get(metric, ",.2f")


def retention_fit_chart(curves: pd.DataFrame, cohorts: pd.DataFrame | None = None,
                        t: Text | None = None) -> alt.LayerChart:
    """Observed logo survival against the fitted sBG curve, one colour per segment; each
    cohort's own survival as a thin grey line behind when ``cohorts`` is given.

    Parameters
    ----------
    curves : long frame with ``segment``, ``age``, ``observed``, ``fitted`` and optionally
        ``fitted_retention`` and ``at_risk`` (:func:`mrrkit.retention_curves` per segment).
    cohorts : :func:`mrrkit.cohort_survivors` with ``normalize=True`` (cohorts down, ages across).

    Examples
    --------
    >>> c = pd.DataFrame({"segment": ["All"] * 3, "age": [0, 1, 2], "observed": [1.0, 0.8, None],
    ...                   "fitted": [1.0, 0.79, 0.66], "fitted_retention": [None, 0.79, 0.83],
    ...                   "at_risk": [10, 10, None]})
    >>> coh = pd.DataFrame([[1.0, 0.8]], columns=pd.RangeIndex(2, name="age"),
    ...                    index=pd.PeriodIndex(["2024-01"], freq="M", name="cohort"))
    >>> spec = retention_fit_chart(c, coh).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['line', 'point', 'line']
    >>> [x["title"] for x in spec["layer"][2]["encoding"]["tooltip"]]
    ['Segment', 'Age', 'Survival (model)', 'Fitted month-on-month retention']
    """
    t = _t(t)
    data = curves.copy()
    data["segment"] = data["segment"].astype("str")
    order = list(dict.fromkeys(data["segment"]))
    x = alt.X("age:Q", title=t("scenarios.age_months"), axis=alt.Axis(tickMinStep=1))
    y_title = t("scenarios.survival")
    color = alt.Color("segment:N", title=None, sort=order)
    layers = []
    if cohorts is not None and len(cohorts):
        long = cohorts.copy()
        long.index = long.index.astype("str")
        long.index.name = "cohort"
        long = long.stack().rename("share").dropna().reset_index()
        long["age"] = long["age"].astype(int)
    if cohorts is not None and len(cohorts) and len(long):  # no empty layer (see _has_values)
        layers.append(
            alt.Chart(long).mark_line(color="#ced4da", strokeWidth=1, opacity=0.7).encode(
                x=x, y=alt.Y("share:Q", title=y_title, axis=alt.Axis(format="%")),
                detail="cohort:N",
                tooltip=[
                    alt.Tooltip("cohort:N", title=t("col.cohort")),
                    alt.Tooltip("age:Q", title=t("col.age")),
                    alt.Tooltip("share:Q", title=t("scenarios.cohort_survival"), format=".1%"),
                ],
            )
        )
    observed = data[data["observed"].notna()]
    observed_tip = [
        alt.Tooltip("segment:N", title=t("col.segment")),
        alt.Tooltip("age:Q", title=t("col.age")),
        alt.Tooltip("observed:Q", title=t("scenarios.observed"), format=".1%"),
    ]
    if "at_risk" in observed.columns:
        observed_tip.append(alt.Tooltip("at_risk:Q", title=t("scenarios.at_risk"), format=","))
    if len(observed):
        layers.append(
            alt.Chart(observed).mark_point(filled=True, size=30).encode(
                x=x, y=alt.Y("observed:Q", title=y_title, axis=alt.Axis(format="%")), color=color,
                tooltip=observed_tip,
            )
        )
    fitted_tip = [
        alt.Tooltip("segment:N", title=t("col.segment")),
        alt.Tooltip("age:Q", title=t("col.age")),
        alt.Tooltip("fitted:Q", title=t("scenarios.fitted"), format=".1%"),
    ]
    if "fitted_retention" in data.columns:
        fitted_tip.append(
            alt.Tooltip("fitted_retention:Q", title=t("scenarios.fitted_retention"), format=".1%"))
    layers.append(
        alt.Chart(data).mark_line(strokeWidth=2.5).encode(
            x=x, y=alt.Y("fitted:Q", title=y_title, axis=alt.Axis(format="%")), color=color,
            tooltip=fitted_tip,
        )
    )
    return alt.layer(*layers).properties(height=320)


def forecast_chart_frames(history: pd.DataFrame, projection: pd.DataFrame, metric: str = "mrr",
                          t: Text | None = None) -> list[pd.DataFrame]:
    """The data :func:`forecast_chart` draws: the band (when ``projection`` has one), then the
    actual and projected lines. Its spec depends on nothing else but the metric, the language
    and whether there is a band."""
    t = _t(t)
    actual_name, forecast_name = t("scenarios.actual"), t("scenarios.forecast")
    hist = _with_month_start(history[[metric]]).rename(columns={metric: "value"})
    hist["series"] = actual_name
    proj = _with_month_start(projection[[metric]]).rename(columns={metric: "value"})
    proj["series"] = forecast_name
    if len(hist):  # join the projection to the last actual month
        proj = pd.concat([hist.iloc[[-1]].assign(series=forecast_name), proj], ignore_index=True)
    frames = []
    if f"{metric}_low" in projection.columns:
        band = _with_month_start(projection[[f"{metric}_low", f"{metric}_high"]])
        band.columns = ["month", "low", "high"]
        frames.append(band)
    return [*frames, pd.concat([hist, proj], ignore_index=True)]


def forecast_chart(history: pd.DataFrame, projection: pd.DataFrame, metric: str = "mrr",
                   t: Text | None = None) -> alt.LayerChart:
    """Actual ``metric`` (``mrr``, ``arr`` or ``customers``) then its projection (dashed), with
    the projection's band (``<metric>_low`` .. ``<metric>_high``) as a shaded area. The
    projected line starts at the last actual month so the two join.

    Examples
    --------
    >>> h = pd.DataFrame({"mrr": [100.0, 110.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> p = pd.DataFrame({"mrr": [120.0], "mrr_low": [115.0], "mrr_high": [126.0]},
    ...                  index=pd.period_range("2024-03", periods=1, freq="M", name="month"))
    >>> spec = forecast_chart(h, p).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['area', 'line']
    >>> rows = spec["datasets"][spec["layer"][1]["data"]["name"]]
    >>> [(r["series"], r["value"]) for r in rows]
    [('Actual', 100.0), ('Actual', 110.0), ('Baseline forecast', 110.0), ('Baseline forecast', 120.0)]
    """
    t = _t(t)
    actual_name, forecast_name = t("scenarios.actual"), t("scenarios.forecast")
    *bands, lines = forecast_chart_frames(history, projection, metric, t)
    fmt = _metric_format(metric)
    title = t(f"col.{metric}")
    x = alt.X("yearmonth(month):T", title=None)
    layers = []
    for band in bands:
        if not _has_values(band, "low", "high"):
            continue
        layers.append(
            alt.Chart(band).mark_area(opacity=0.2, color="#4c6ef5").encode(
                x=x, y=alt.Y("low:Q", title=title, axis=alt.Axis(format=fmt)), y2="high:Q",
                tooltip=[
                    alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                    alt.Tooltip("low:Q", title=t("scenarios.band_low"), format=fmt),
                    alt.Tooltip("high:Q", title=t("scenarios.band_high"), format=fmt),
                ],
            )
        )
    layers.append(
        alt.Chart(lines).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
            x=x,
            y=alt.Y("value:Q", title=title, axis=alt.Axis(format=fmt)),
            color=alt.Color("series:N", title=None, sort=[actual_name, forecast_name],
                            scale=alt.Scale(range=["#212529", "#4c6ef5"])),
            strokeDash=alt.StrokeDash("series:N", sort=[actual_name, forecast_name],
                                      scale=alt.Scale(range=[[1, 0], [6, 4]]), legend=None),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("series:N", title=t("scenarios.series")),
                alt.Tooltip("value:Q", title=title, format=fmt),
            ],
        )
    )
    return alt.layer(*layers).properties(height=320)


def backtest_chart(table: pd.DataFrame, history: pd.Series | None = None,
                   t: Text | None = None) -> alt.Chart:
    """A backtest (:func:`mrrkit.backtest`'s ``table``): actual MRR and the MRR forecast from
    the origin, with the actual months before the origin (``history``) for context.

    Examples
    --------
    >>> tab = pd.DataFrame({"actual_mrr": [105.0], "forecast_mrr": [103.0], "error": [-2.0],
    ...                     "pct_error": [-0.019]},
    ...                    index=pd.period_range("2024-03", periods=1, freq="M", name="month"))
    >>> hist = pd.Series([100.0], index=pd.period_range("2024-02", periods=1, freq="M",
    ...                                                  name="month"), name="mrr")
    >>> spec = backtest_chart(tab, hist).to_dict()
    >>> rows = spec["datasets"][spec["data"]["name"]]
    >>> sorted((r["series"], r["mrr"]) for r in rows)
    [('Actual', 100.0), ('Actual', 105.0), ('Forecast from 12 months earlier', 100.0), ('Forecast from 12 months earlier', 103.0)]
    """
    t = _t(t)
    actual_name, forecast_name = t("scenarios.actual"), t("scenarios.backtest_series")
    parts = []
    if history is not None and len(history):
        before = _with_month_start(history.rename("mrr").to_frame())
        parts.append(before.assign(series=actual_name))
        parts.append(before.iloc[[-1]].assign(series=forecast_name))
    tab = _with_month_start(table[["actual_mrr", "forecast_mrr", "error", "pct_error"]])
    parts.append(tab.rename(columns={"actual_mrr": "mrr"}).drop(columns="forecast_mrr")
                 .assign(series=actual_name))
    parts.append(tab.rename(columns={"forecast_mrr": "mrr"}).drop(columns="actual_mrr")
                 .assign(series=forecast_name))
    data = pd.concat(parts, ignore_index=True)
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("mrr:Q", title=t("col.mrr"), axis=alt.Axis(format=_MONEY),
                    scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", title=None, sort=[actual_name, forecast_name],
                            scale=alt.Scale(range=["#212529", "#e8590c"])),
            strokeDash=alt.StrokeDash("series:N", sort=[actual_name, forecast_name],
                                      scale=alt.Scale(range=[[1, 0], [6, 4]]), legend=None),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("series:N", title=t("scenarios.series")),
                alt.Tooltip("mrr:Q", title=t("col.mrr"), format=_MONEY),
                alt.Tooltip("pct_error:Q", title=t("scenarios.pct_error"), format="+.1%"),
            ],
        )
        .properties(height=300)
    )


def scenario_chart_data(curves: pd.DataFrame) -> pd.DataFrame:
    """The long frame :func:`scenario_chart` draws: one row per (month, series) with ``value``,
    ``difference`` (from the first column, the baseline) and ``dash``. A page whose curves move
    with every slider can keep the chart's spec and swap this frame in.

    Examples
    --------
    >>> c = pd.DataFrame({"Baseline": [100.0, 101.0], "Price +8%": [100.0, 106.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> scenario_chart_data(c)[["series", "value", "difference", "dash"]]
          series  value  difference      dash
    0  Price +8%  100.0         0.0  scenario
    1  Price +8%  106.0         5.0  scenario
    2   Baseline  100.0         0.0  baseline
    3   Baseline  101.0         0.0  baseline
    """
    # Built from arrays, not melt(): this runs on every slider move. The baseline's rows come
    # last so that its dashed line is drawn over a scenario that does not move from it.
    order = [str(c) for c in curves.columns]
    n, k = len(curves), len(order)
    series = np.repeat(np.r_[np.arange(1, k), 0], n)
    values = curves.to_numpy(dtype="float64")[:, np.r_[np.arange(1, k), 0]].T.ravel()
    return pd.DataFrame({
        "month": np.tile(curves.index.to_timestamp().to_numpy(), k),
        "series": pd.Categorical.from_codes(series, categories=order),
        "value": values,
        "difference": values - np.tile(values[-n:], k),
        "dash": pd.Categorical.from_codes((series > 0).astype("int8"),
                                          categories=["baseline", "scenario"]),
    })


#: Baseline, then up to three scenarios.
SCENARIO_COLORS = ["#495057", "#1c7ed6", "#f76707", "#2f9e44"]


def scenario_chart(curves: pd.DataFrame, metric: str = "mrr", t: Text | None = None) -> alt.Chart:
    """Baseline and scenario curves: ``curves`` is indexed by month with one column per series,
    the baseline first (drawn dashed).

    Examples
    --------
    >>> c = pd.DataFrame({"Baseline": [100.0, 101.0], "Price +8%": [100.0, 106.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> spec = scenario_chart(c).to_dict()
    >>> spec["encoding"]["color"]["sort"], spec["encoding"]["strokeDash"]["field"]
    (['Baseline', 'Price +8%'], 'dash')
    >>> spec["encoding"]["color"]["scale"]["range"]
    ['#495057', '#1c7ed6']
    >>> [x["title"] for x in spec["encoding"]["tooltip"]]
    ['Month', 'Scenario', 'MRR', 'vs baseline']
    """
    t = _t(t)
    order = [str(c) for c in curves.columns]
    long = scenario_chart_data(curves)
    fmt = _metric_format(metric)
    title = t(f"col.{metric}")
    return (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("value:Q", title=title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)),
            # Distinct hues (the theme's palette pairs light and dark shades of one colour):
            # the baseline dark grey and dashed, then blue, orange, green.
            color=alt.Color("series:N", title=None, sort=order,
                            scale=alt.Scale(domain=order, range=SCENARIO_COLORS[: len(order)])),
            strokeDash=alt.StrokeDash("dash:N", scale=alt.Scale(domain=["baseline", "scenario"],
                                                                 range=[[6, 4], [1, 0]]),
                                      legend=None),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=t("col.month")),
                alt.Tooltip("series:N", title=t("scenarios.scenario")),
                alt.Tooltip("value:Q", title=title, format=fmt),
                alt.Tooltip("difference:Q", title=t("scenarios.vs_baseline"), format="+" + fmt),
            ],
        )
        .properties(height=340)
    )


#: Name of the dataset :func:`scenario_spec_with_data` puts the curves under.
SCENARIO_DATA = "scenarios"


def scenario_spec_with_data(spec: dict, curves: pd.DataFrame) -> dict:
    """``spec`` (:func:`scenario_chart`'s Vega-Lite dict, with or without its data: a page
    keeps one per metric and series names) drawing ``curves``: their rows
    (:func:`scenario_chart_data`) put inside it as the named dataset :data:`SCENARIO_DATA`.

    Hand this to ``st.vega_lite_chart(spec)``, not the rows apart
    (``st.vega_lite_chart(rows, spec)``): Streamlit embeds a chart with the datasets of its
    spec, but inserts rows given apart only after Vega has run the chart once empty, and that
    first run logs "Infinite extent for field yearmonth_month / value" in the browser console.
    The rows stay a DataFrame (Streamlit sends it as Arrow, as it sends ``data=``).

    Examples
    --------
    >>> c = pd.DataFrame({"Baseline": [100.0, 101.0], "Price +8%": [100.0, 106.0]},
    ...                  index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    >>> bare = {k: v for k, v in scenario_chart(c).to_dict().items()
    ...         if k not in ("data", "datasets")}
    >>> spec = scenario_spec_with_data(bare, c)
    >>> spec["data"], len(spec["datasets"]["scenarios"]), "data" in bare
    ({'name': 'scenarios'}, 4, False)
    """
    return {**spec, "data": {"name": SCENARIO_DATA},
            "datasets": {SCENARIO_DATA: scenario_chart_data(curves)}}


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
