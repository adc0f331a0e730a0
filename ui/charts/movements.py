"""The charts of MRR movements (Overview, Movements and Customers pages): movements by month,
MRR, the period's bridge as a waterfall, a customer's MRR history."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..i18n import Text
from .base import MOVEMENT_COLORS, _MONEY, _t, _with_month_start, _opacity, _kind_scale, _month_axis

__all__ = [
    "customer_history_chart", "movement_chart", "movement_chart_frames", "movement_selection",
    "mrr_chart", "waterfall_chart", "waterfall_chart_frame", "with_selection",
]

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
