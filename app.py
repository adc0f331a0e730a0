"""mrrkit home: headline KPIs and MRR movements. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

import mrrkit
from ui import charts, format as fmt
from ui.shell import page

ctx = page("Overview")
table = ctx.monthly

st.title("MRR overview")
if table.empty:
    st.info("No MRR movements in this data yet.")
    st.stop()

summary = mrrkit.kpis(ctx.movements)
month = summary.attrs["month"]
st.caption(f"Figures at the end of {month:%B %Y}; changes vs the previous month.")

_FORMAT = {"money": fmt.money, "count": fmt.count, "pct": fmt.pct, "ratio": fmt.ratio}
# Churn going up is bad news: show its delta in red.
_LOWER_IS_BETTER = {"customer_churn_rate", "gross_mrr_churn_rate"}

cols = st.columns(6)
for i, (name, row) in enumerate(summary.iterrows()):
    show = _FORMAT[row["format"]]
    delta = row["value"] - row["previous_month"]
    if row["format"] == "pct":
        delta_text = f"{delta * 100:+.1f} pts"
    elif row["format"] == "ratio":
        delta_text = f"{delta:+.2f}"
    elif row["format"] == "count":
        delta_text = f"{delta:+,.0f}"
    else:
        delta_text = ("+" if delta >= 0 else "") + fmt.money(delta)
    cols[i % 6].metric(
        row["label"],
        show(row["value"]),
        delta=None if delta != delta else delta_text,  # NaN: no delta
        delta_color="inverse" if name in _LOWER_IS_BETTER else "normal",
        border=True,
    )

st.subheader("MRR movements by month")
st.altair_chart(charts.movement_chart(table), use_container_width=True)
st.subheader("MRR")
st.altair_chart(charts.mrr_chart(table), use_container_width=True)
