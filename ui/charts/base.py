"""What the app's charts share: the reader's number and date formats (:func:`localized`), the
movement colours, axes and scales, and the heatmaps' colours and text contrast."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from babel import Locale

from ..format import NumberFormat, number_format
from ..i18n import Text, text

__all__ = ["BAND_STEP", "MOVEMENT_COLORS", "localized"]

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
