"""Cohorts: retention or ARPA by acquisition month or quarter (heatmap and table, with the
size-weighted average row), and the average cohort curves of segments side by side."""

import pandas as pd
import streamlit as st
from babel.dates import format_date

from ui import charts, shell, state, views
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))

st.title(t("cohorts.title"))
shell.definitions_caption(ctx)
c1, c2 = st.columns(2)
value = state.segmented(
    t("cohorts.value"), ["mrr", "customers", "arpa"], key="coh.value",
    format_func=lambda v: t(f"cohorts.value.{v}"), container=c1,
)
by = state.segmented(
    t("cohorts.by"), ["month", "quarter"], key="coh.by",
    format_func=lambda v: t(f"cohorts.by.{v}"), container=c2,
)

# Cohorts acquired in the reporting period, measured up to its end.
freq = "M" if by == "month" else "Q"
first, last = ctx.start.asfreq(freq), ctx.end.asfreq(freq)
as_of = ctx.period_as_of
table = views.cohort_table(ctx.data, value, by, as_of, str(first), str(last))
if table.empty or not len(table.columns):
    st.info(t("cohorts.empty"))
    state.stop()
average = views.cohort_average(ctx.data, value, by, as_of, str(first), str(last))
age_unit = t(f"cohorts.age.{by}")
age_title = f"{t('col.age')} ({age_unit})"


def cohort_label(cohort: pd.Period) -> str:
    """``Nov 2025`` or ``Q4 2025`` (``T4 2025`` in French and Italian)."""
    if by == "month":
        return ctx.month(cohort)
    return format_date(cohort.start_time.date(), "QQQ y", locale=nf.locale)


st.subheader(t("cohorts.heatmap", value=t(f"cohorts.value.{value}")))
st.caption(t("cohorts.caption", by=t(f"cohorts.by.{by}").lower(), age_unit=age_unit))
cohort_labels = tuple(cohort_label(c) for c in table.index)
ctx.chart(charts.cohort_heatmap, table, value, age_title=age_title, average=average,
          cohort_labels=cohort_labels)

# The table: % like seed 004's cohort table (one decimal), the weighted average row first.
rows = pd.concat([average.to_frame().T, table])
rows.index = pd.Index([t("cohorts.average")] + [cohort_label(c) for c in table.index],
                      name="cohort")
rows.columns = [t(f"cohorts.age_col.{by}", age=int(a)) for a in rows.columns]
size = pd.Series([table.attrs["size"].sum(), *table.attrs["size"].tolist()], index=rows.index)
shown = rows.copy()
shown.insert(0, "size", size)
kind = "money" if value == "arpa" else "pct"
show_table(
    shown, f"cohorts_{value}_{by}", "cohorts", nf,
    {"size": "count", **{c: kind for c in rows.columns}},
    {"size": t("col.size"), "cohort": t("col.cohort")},
    labels=DL, numeric=True,
)

# --- curves by segment -------------------------------------------------------------------------
st.subheader(t("cohorts.curves"))
st.caption(t("cohorts.curves_caption"))
dims = list(ctx.base.dimensions)
if not dims:
    st.info(t("segments.no_dimension"))
    state.stop()
default_dim = "company_size" if "company_size" in dims else dims[0]
dim = state.selectbox(
    t("cohorts.curve_dim"), dims, key="coh.dim", default=default_dim, format_func=ctx.label,
)
sizes = views.label_sizes(ctx.data, dim)
options = [v for v in sizes.index if sizes[v] > 0]
top = sorted(options, key=lambda v: -sizes.get(v, 0))[:6]
chosen = state.multiselect(
    t("cohorts.curve_values"), options, key="coh.values",
    default=[v for v in options if v in top], format_func=ctx.value_label,
)


if chosen:
    curves = views.cohort_curves(ctx.data, dim, value, by, as_of, str(first), str(last),
                                 tuple(chosen)).rename(columns=ctx.value_label)
    ctx.chart(charts.cohort_curve_chart, curves, value, age_title=age_title)
    curve_rows = curves.T.rename_axis(ctx.label(dim))
    curve_rows.columns = [t(f"cohorts.age_col.{by}", age=int(a)) for a in curve_rows.columns]
    show_table(curve_rows, f"cohort_curves_{dim}_{value}_{by}", "curves", nf,
               {c: kind for c in curve_rows.columns}, labels=DL, numeric=True)
