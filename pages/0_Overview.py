"""Overview (the home page, ``/``): headline KPIs with their changes, and MRR movements."""

import streamlit as st
from babel.dates import format_date

from ui import charts, definitions, shell, views
from ui.format import pct_change, shown

ctx = shell.context()
t, nf = ctx.t, ctx.nf

st.title(t("overview.title"))
shell.definitions_caption(ctx)
summary = views.kpis(ctx.data, ctx.end)
if ctx.period_as_of < ctx.end.end_time.normalize():  # the month is in progress: say its day
    st.caption(t("overview.caption_partial",
                 date=format_date(ctx.period_as_of.date(), "medium", locale=ctx.nf.locale)))
else:
    st.caption(t("overview.caption", month=ctx.month(ctx.end)))

# Churn going up is bad news: its changes are shown in red.
LOWER_IS_BETTER = {"customer_churn_rate", "gross_mrr_churn_rate"}


def arr_of_shown_mrr(summary):
    """``summary`` with the MRR rounded once, as its tile shows it (whole currency units), and
    ARR = 12 x that MRR, at the month and both months compared: the ARR tile is then exactly 12
    times the MRR tile, and their changes agree (ARR rounded apart could differ by a few units).
    """
    out = summary.copy()
    columns = ["value", "previous_month", "year_ago"]
    mrr = [shown(x) for x in out.loc["mrr", columns]]
    out.loc["mrr", columns] = mrr
    out.loc["arr", columns] = [12 * x for x in mrr]
    return out


summary = arr_of_shown_mrr(summary)


def show(kind: str, x, signed: bool = False) -> str:
    if kind == "money":
        return nf.money(x, signed=signed)
    if kind == "count":
        return nf.count(x, signed=signed)
    if kind == "pct":
        return nf.pts(x) if signed else nf.pct(x)
    return nf.ratio(x, signed=signed)


def change(kind: str, now, before) -> str | None:
    """``now - before`` as people read it (money and counts with the % change, unless the
    earlier figure is 0, of the other sign or tiny: see :func:`ui.format.pct_change`), or None."""
    delta = now - before
    if delta != delta:  # NaN: no earlier figure
        return None
    text = show(kind, delta, signed=True)
    relative = pct_change(now, before) if kind in ("money", "count") else None
    if relative is not None:
        text += f" ({nf.pct(relative, signed=True)})"
    return text


def badge(name: str, kind: str, now, before, month) -> str:
    """The change since ``month`` as a coloured badge (green = good news) and "vs <month>", in
    markdown; a dash when there is no earlier figure."""
    text = change(kind, now, before)
    vs = t("overview.vs_month", month=ctx.month(month))
    if text is None:
        return f"– {vs}"
    delta = now - before
    good = (delta < 0) if name in LOWER_IS_BETTER else (delta > 0)
    color = "gray" if delta == 0 else ("green" if good else "red")
    arrow = ":material/trending_flat:" if delta == 0 else (
        ":material/arrow_upward:" if delta > 0 else ":material/arrow_downward:")
    # Formatted numbers hold no markdown ([, ], *, _), so the text goes in as it is.
    return f":{color}-badge[{arrow} {text}] {vs}"


# Rows of four tiles, each as tall as the tallest of its row, so that the figures line up.
names = list(summary.index)
for i, name in enumerate(names):
    if i % 4 == 0:
        tiles = st.container(horizontal=True, gap="small")
    row = summary.loc[name]
    kind = row["format"]
    with tiles.container(border=True, key=f"kpi-{name}", height="stretch", width="stretch"):
        st.metric(t(f"kpi.{name}"), show(kind, row["value"]),
                  help=t(f"kpi_help.{name}") if t.has(f"kpi_help.{name}") else None)
        st.caption(badge(name, kind, row["value"], row["previous_month"], ctx.end - 1))
        st.caption(badge(name, kind, row["value"], row["year_ago"], ctx.end - 12))

definitions.effect(ctx)  # under other definitions: what they change

st.subheader(t("overview.movements"))
st.caption(t("overview.movements_help"))
ctx.chart(charts.movement_chart, ctx.period_monthly, frames=charts.movement_chart_frames)
st.subheader(t("overview.mrr"))
ctx.chart(charts.mrr_chart, ctx.period_monthly)
