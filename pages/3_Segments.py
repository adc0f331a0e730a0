"""Segments: one dimension split into its values, each compared with the rest of the customers
(rates with 95% intervals and a test in plain words), and the MRR lost by churn reason."""

import pandas as pd
import streamlit as st

from ui import charts, shell, state, views
from ui.i18n import verdict
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))

st.title(t("segments.title"))
shell.definitions_caption(ctx)
dims = list(ctx.base.dimensions)
if not dims:
    st.info(t("segments.no_dimension"))
    state.stop()
c1, c2 = st.columns(2)
dim = state.selectbox(
    t("segments.dimension"), dims, key="seg.dim",
    default="company_size" if "company_size" in dims else dims[0],
    format_func=ctx.label, container=c1,
)
metric = state.segmented(
    t("segments.metric"), ["churn_rate", "expansion_share", "nrr", "grr"], key="seg.metric",
    format_func=lambda m: t(f"segments.metric.{m}"), container=c2,
)


stats = views.segment_table(ctx.data, dim, ctx.start, ctx.end)
stats = stats[stats["customers"] + stats["start_customers"] + stats["churned"] > 0]
st.caption(t(
    "segments.caption", start=ctx.month(ctx.start), end=ctx.month(ctx.end),
    base=ctx.month(ctx.start - 1),
))

# Overall rate of the selected customers, the chart's reference line.
n, churned, expanded = (stats[c].sum() for c in ("start_customers", "churned", "expanded"))
start_mrr = stats["start_mrr"].sum()
overall = {
    "churn_rate": churned / n if n else float("nan"),
    "expansion_share": expanded / n if n else float("nan"),
    "nrr": (stats["nrr"] * stats["start_mrr"]).sum() / start_mrr if start_mrr else float("nan"),
    "grr": (stats["grr"] * stats["start_mrr"]).sum() / start_mrr if start_mrr else float("nan"),
}
shown_stats = stats.rename(index=ctx.value_label)
# Each segment's verdict on the charted rate: its test against the rest, in words and as a side.
prefix = {"churn_rate": "churn", "expansion_share": "expansion"}.get(metric, metric)
versus, p_values = stats[f"{prefix}_vs_rest"], stats[f"{prefix}_p"]
better_if_higher = metric != "churn_rate"
pivot = 0.0 if metric in ("nrr", "grr") else 1.0  # a difference, or a ratio to the rest


def side(v, p) -> str:
    if not (p < 0.05) or v != v or v == pivot:
        return "same"
    return "better" if (v > pivot) == better_if_higher else "worse"


verdicts = pd.DataFrame({
    "text": [verdict(prefix, v, p, t, nf) for v, p in zip(versus, p_values)],
    "side": [side(v, p) for v, p in zip(versus, p_values)],
}, index=shown_stats.index)
ctx.chart(charts.segment_rate_chart, shown_stats, metric, overall[metric], verdicts=verdicts)
# What the dots, bars, colours and the dashed line are (the line is in the legend too).
st.caption(t("segments.chart_help", overall=nf.pct(overall[metric])))


def interval(low, high, kind="pct"):
    return f"{nf.pct(low)} – {nf.pct(high)}"


st.subheader(t("segments.table"))
rows = pd.DataFrame({
    "customers": stats["customers"],
    "mrr": stats["mrr"],
    "share": stats["mrr_share"],
    "arpa": stats["arpa"],
    "start_customers": stats["start_customers"],
    "churn_rate": stats["churn_rate"],
    "churn_ci": [interval(a, b) for a, b in zip(stats["churn_low"], stats["churn_high"])],
    "churn_verdict": [verdict("churn", v, p, t, nf)
                      for v, p in zip(stats["churn_vs_rest"], stats["churn_p"])],
    "nrr": stats["nrr"],
    "nrr_ci": [interval(a, b) for a, b in zip(stats["nrr_low"], stats["nrr_high"])],
    "nrr_verdict": [verdict("nrr", v, p, t, nf)
                    for v, p in zip(stats["nrr_vs_rest"], stats["nrr_p"])],
    "grr": stats["grr"],
    "grr_ci": [interval(a, b) for a, b in zip(stats["grr_low"], stats["grr_high"])],
    "expansion_share": stats["expansion_share"],
    "expansion_ci": [interval(a, b) for a, b in zip(stats["expansion_low"], stats["expansion_high"])],
    "expansion_verdict": [verdict("expansion", v, p, t, nf)
                          for v, p in zip(stats["expansion_vs_rest"], stats["expansion_p"])],
    "churned_mrr": stats["churned_mrr"],
}, index=pd.Index([ctx.value_label(v) for v in stats.index], name="segment"))
formats = {
    "customers": "count", "mrr": "money", "share": "pct", "arpa": "money",
    "start_customers": "count", "churn_rate": "pct", "nrr": "pct", "grr": "pct",
    "expansion_share": "pct", "churned_mrr": "money",
}
headers = {c: t.label(c) for c in rows.columns}
headers.update({"segment": ctx.label(dim), "share": t("col.share")})
download = stats.rename(index=ctx.value_label).rename_axis(ctx.label(dim))
show_table(rows, f"segments_{dim}", "segments", nf, formats, headers, labels=DL, download=download,
           numeric=True)

# --- MRR lost by churn reason ------------------------------------------------------------------
if "churn_reason" not in ctx.base.attributes.columns:
    st.info(t("segments.no_reason"))
    state.stop()


st.subheader(t("segments.reasons"))
st.caption(t("segments.reasons_help"))
lost = views.lost_by_reason(ctx.data, dim, ctx.start, ctx.end)
lost = lost.loc[lost.sum(axis=1) > 0].rename(index=ctx.value_label, columns=ctx.value_label)
lost = lost.loc[:, lost.sum() > 0]
ctx.chart(charts.churn_reason_chart, lost)
lost_shown = lost.assign(**{t("col.lost"): lost.sum(axis=1)}).rename_axis(ctx.label(dim))
lost_shown.columns.name = None
show_table(lost_shown, f"churn_reasons_{dim}", "reasons", nf,
           {c: "money" for c in lost_shown.columns}, labels=DL, numeric=True)

st.subheader(t("segments.reasons_time"))
st.caption(t("segments.reasons_month_help"))
by_month = views.lost_by_month(ctx.data, ctx.start, ctx.end)
by_month = by_month.loc[:, by_month.sum() > 0].rename(columns=ctx.value_label)
ctx.chart(charts.churn_reason_time_chart, by_month)
month_shown = by_month.assign(**{t("col.lost"): by_month.sum(axis=1)})
# Months stay Periods: the table writes them as the chart does ("Nov 2025"), the downloads as
# "2025-11".
month_shown = month_shown.rename_axis(t("col.month"))
month_shown.columns.name = None
show_table(month_shown, "churn_reasons_by_month", "reasons_month", nf,
           {c: "money" for c in month_shown.columns}, labels=DL, numeric=True)
