"""The Scenarios page's charts: the retention model against the cohorts, the baseline forecast
with its band, the backtest, the scenarios against the baseline."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..i18n import Text
from .base import _MONEY, _t, _with_month_start, _has_values

__all__ = [
    "SCENARIO_COLORS", "SCENARIO_DATA", "backtest_chart", "forecast_chart",
    "forecast_chart_frames", "retention_fit_chart", "scenario_chart", "scenario_chart_data",
    "scenario_spec_with_data",
]

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
