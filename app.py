"""mrrkit home: headline KPIs and MRR movements. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

import mrrkit
from ui import charts
from ui.shell import page

ctx = page("Overview")
t, nf = ctx.t, ctx.nf

st.title(t("overview.title"))
summary = ctx.compute(mrrkit.kpis, ctx.end)
st.caption(t("overview.caption", month=ctx.month(ctx.end)))

# Churn going up is bad news: show its delta in red.
LOWER_IS_BETTER = {"customer_churn_rate", "gross_mrr_churn_rate"}


def show(kind: str, x, signed: bool = False) -> str:
    if kind == "money":
        return nf.money(x, signed=signed)
    if kind == "count":
        return nf.count(x, signed=signed)
    if kind == "pct":
        return nf.pts(x) if signed else nf.pct(x)
    return nf.ratio(x, signed=signed)


def change(kind: str, now, before) -> str | None:
    delta = now - before
    if delta != delta:  # NaN: no earlier figure
        return None
    text = show(kind, delta, signed=True)
    if kind in ("money", "count") and before:
        text += f" ({nf.pct(delta / abs(before), signed=True)})"
    return text


cols = st.columns(4)
for i, (name, row) in enumerate(summary.iterrows()):
    kind = row["format"]
    with cols[i % 4]:
        st.metric(
            t(f"kpi.{name}"),
            show(kind, row["value"]),
            delta=change(kind, row["value"], row["previous_month"]),
            delta_color="inverse" if name in LOWER_IS_BETTER else "normal",
            border=True,
        )
        year = change(kind, row["value"], row["year_ago"])
        if year is not None:
            st.caption(t("overview.year_ago", change=year, month=ctx.month(ctx.end - 12)))

st.subheader(t("overview.movements"))
st.caption(t("overview.movements_help"))
ctx.chart("movements", lambda: charts.movement_chart(ctx.period_monthly, t=t), ctx.start, ctx.end)
st.subheader(t("overview.mrr"))
ctx.chart("mrr", lambda: charts.mrr_chart(ctx.period_monthly, t=t), ctx.start, ctx.end)
