"""Expansion (seed 000): expansion MRR and its growth, its share of net new MRR, months of negative
net churn, expansion by cohort and by segment, its split into upsell / cross-sell / price
increase, the customers at the top plan with no room to expand, and those near a tier limit."""

import pandas as pd
import streamlit as st

from mrrkit import EXPANSION_KINDS
from ui import charts, shell, state, views
from ui.format import plain_md
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
#: Rows of a list drawn on screen (the first, in its order); the downloads have them all: on
#: 200,000 customers the lists hold 15,000-20,000 rows, which took 0.3 s to format and send.
SHOWN = 1_000
#: Shares of the tier's usage limit (percent) from which a line counts as near it.
NEAR_CHOICES = [50, 60, 70, 75, 80, 85, 90, 95, 100]
has = views.line_columns(ctx.data)

st.title(t("expansion.title"))
shell.definitions_caption(ctx)
st.caption(t("expansion.caption"))


def shown_segment(value) -> str:
    return t("missing") if value in ("(missing)", "(none)") else str(value)


# --- expansion over time ----------------------------------------------------------------------
# From the monthly table the shell already has (the same figures as from the movements).
summary = views.expansion_summary(ctx.data)
summary = summary.loc[ctx.start: ctx.end]
last = summary.iloc[-1]
negative = summary["net_negative_churn"]
tiles = [
    (t("expansion.tile.expansion"), nf.money(last["expansion"]),
     None if len(summary) < 2 else nf.money(last["expansion"] - summary["expansion"].iloc[-2],
                                            signed=True)),
    (t("col.expansion_rate"), nf.pct(last["expansion_rate"], 2), None),
    (t("col.expansion_growth_rate"), nf.pct(last["expansion_growth_rate"], signed=True), None),
    (t("col.expansion_share_of_net_new"), nf.pct(last["expansion_share_of_net_new"]), None),
    (t("expansion.tile.negative"), f"{int(negative.sum())} / {len(summary)}", None),
]
st.caption(t("expansion.tiles_caption", month=ctx.month(ctx.end)))
for col, (label, value, delta) in zip(st.columns(len(tiles)), tiles):
    col.metric(label, value, delta=delta, border=True)

st.subheader(t("expansion.over_time"))
st.caption(t("expansion.over_time_help"))
ctx.chart(charts.expansion_chart, summary, frames=charts.expansion_chart_frame)
st.subheader(t("expansion.shares"))
ctx.chart(charts.expansion_share_chart, summary, frames=charts.expansion_share_chart_frame)
if negative.any():
    st.success(t("expansion.negative_months", months=", ".join(
        ctx.month(m) for m in summary.index[negative.to_numpy()])))
else:
    st.info(t("expansion.no_negative"))

sum_columns = ["expansion", "expanded_customers", "expansion_rate", "expansion_growth_rate",
               "net_new", "expansion_share_of_added", "expansion_share_of_net_new",
               "net_negative_churn"]
sum_table = summary[sum_columns].set_axis(
    pd.Index([ctx.month(m) for m in summary.index], name="month"), axis=0)
shown_sum = sum_table.assign(net_negative_churn=sum_table["net_negative_churn"].map(
    {True: t("expansion.yes"), False: ""}))
show_table(
    shown_sum, "expansion_by_month", "expansion", nf,
    {"expansion": "money", "expanded_customers": "count", "expansion_rate": "pct",
     "expansion_growth_rate": "pct", "net_new": "money", "expansion_share_of_added": "pct",
     "expansion_share_of_net_new": "pct"},
    {**{c: t.label(c) for c in sum_columns}, "expansion": t("col.expansion_mrr"),
     "month": t("col.month")},
    labels=DL, download=sum_table,
)

# --- upsell / cross-sell / price increase -------------------------------------------------------
st.subheader(t("expansion.split"))
if not has & {"plan", "product", "quantity"}:
    st.info(t("expansion.no_split"))
else:
    months = pd.period_range(ctx.start, ctx.end, freq="M", name="month")
    split = views.expansion_split(ctx.data).reindex(months, fill_value=0.0)
    kinds = [k for k in EXPANSION_KINDS if k != "other" or split["other"].abs().sum() > 0]
    st.caption(t("expansion.split_help"))
    ctx.chart(charts.expansion_split_chart, split[kinds],
              frames=charts.expansion_split_chart_frame)
    totals = split[[*kinds, "total"]].sum()
    total_table = pd.DataFrame({
        "amount": totals,
        "share": totals / totals["total"] if totals["total"] else float("nan"),
    })
    total_table.index = pd.Index([t(f"expansion.kind.{k}") for k in total_table.index],
                                 name="part")
    show_table(
        total_table, "expansion_split_totals", "split_totals", nf,
        {"amount": "money", "share": "pct"},
        {"part": t("expansion.part"), "amount": t("col.expansion_mrr"),
         "share": t("col.share_of_expansion")},
        labels=DL,
    )

# --- by cohort ----------------------------------------------------------------------------------
st.subheader(t("expansion.by_cohort"))
as_of = ctx.period_as_of
by_cohort = views.expansion_by_cohort(ctx.data, as_of)
by_cohort = by_cohort.loc[ctx.start: ctx.end]
by_cohort = by_cohort.loc[:, by_cohort.notna().any()]
if by_cohort.empty:
    st.info(t("cohorts.empty"))
else:
    st.caption(t("expansion.by_cohort_help"))
    age_title = f"{t('col.age')} ({t('cohorts.age.month')})"
    ctx.chart(charts.expansion_cohort_heatmap, by_cohort, age_title=age_title)
    cohort_table = by_cohort.copy()
    cohort_table.columns = [str(a) for a in cohort_table.columns]
    cohort_table.insert(0, t("expansion.cumulative"), by_cohort.sum(axis=1, min_count=1))
    cohort_table.index = pd.Index([ctx.month(c) for c in by_cohort.index], name=t("col.cohort"))
    show_table(cohort_table, "expansion_by_cohort", "by_cohort", nf,
               {c: "pct" for c in cohort_table.columns}, labels=DL)

# --- by segment ---------------------------------------------------------------------------------
st.subheader(t("expansion.by_segment"))
dims = [d for d in ctx.base.dimensions if d in has]
if not dims:
    st.info(t("segments.no_dimension"))
else:
    default_dim = next((d for d in ("plan", "company_size") if d in dims), dims[0])
    dim = state.selectbox(t("segments.dimension"), dims, key="ex.dim", default=default_dim,
                          format_func=ctx.label)
    # The reporting period's months start..end, from the end of the month before.
    by_segment = views.expansion_by_segment(ctx.data, dim, str(ctx.start - 1), str(ctx.end))
    st.caption(t("expansion.by_segment_help", start=ctx.month(ctx.start), end=ctx.month(ctx.end),
                 base=ctx.month(ctx.start - 1)))
    shown_seg = by_segment.rename(index=shown_segment)
    ctx.chart(charts.expansion_segment_chart, shown_seg)
    # Expanded customers split by whether they were among the customers at start (never more
    # than those) or joined / came back during the period.
    seg_columns = ["customers", "start_mrr", "expansion", "expanded_start_customers",
                   "expanded_joined_customers", "expansion_rate", "share_of_expansion"]
    show_table(
        shown_seg[seg_columns].rename_axis("segment"), f"expansion_by_{dim}", "by_segment", nf,
        {"customers": "count", "start_mrr": "money", "expansion": "money",
         "expanded_start_customers": "count", "expanded_joined_customers": "count",
         "expansion_rate": "pct", "share_of_expansion": "pct"},
        {"segment": ctx.label(dim), "customers": t("col.start_customers"),
         "start_mrr": t("col.start_mrr"), "expansion": t("col.expansion_mrr"),
         "expanded_start_customers": t("col.expanded_start_customers"),
         "expanded_joined_customers": t("col.expanded_joined_customers"),
         "expansion_rate": t("col.expansion_rate_period"),
         "share_of_expansion": t("col.share_of_expansion")},
        labels=DL,
    )

# --- room to expand -----------------------------------------------------------------------------
st.subheader(t("expansion.top_plan"))

if "plan" not in has:
    st.info(t("expansion.no_plan"))
else:
    plans = views.plan_names(ctx.data)
    top = state.multiselect(
        t("expansion.top_plans"), plans, key="ex.top",
        default=views.default_top_plans(ctx.data),
        help=t("expansion.top_plans_help"), native=True,
    )
    at_top = views.top_plan_customers(ctx.data, tuple(top), as_of, SHOWN)
    total_top = at_top.attrs["customers"]
    c1, c2, c3 = st.columns(3)
    c1.metric(t("expansion.at_top"), nf.count(total_top), border=True)
    c2.metric(t("expansion.no_room"), nf.count(at_top.attrs["no_room"]), border=True,
              help=t("expansion.no_room_help"))
    c3.metric(t("expansion.no_room_mrr"), nf.money(at_top.attrs["no_room_mrr"]), border=True)
    # The plans chosen apply to every product; mrrkit's own pick (none chosen) is per product.
    shown_plans = list(top) or at_top.attrs.get("top_plans", [])
    st.caption(t("expansion.top_caption", date=str(as_of.date()),
                 plans=", ".join(plain_md(p) for p in shown_plans) or "—"))
    top_table = at_top.assign(no_room=at_top["no_room"].map({True: t("expansion.yes"),
                                                             False: ""}))
    if len(top_table) < total_top:  # a warehouse's first rows only
        st.caption(t("expansion.top_fetched_first", shown=nf.count(len(top_table)),
                     total=nf.count(total_top)))
    elif len(top_table) > SHOWN:
        st.caption(t("expansion.top_shown_first", shown=nf.count(SHOWN),
                     total=nf.count(len(top_table))))
    show_table(
        top_table.head(SHOWN), "top_plan_customers", "top", nf, {"mrr": "money"},
        {"customer_id": t("col.customer_id"), "mrr": t("col.mrr"),
         "plans": t("expansion.col.plans"), "products": t("expansion.col.products"),
         "missing_products": t("expansion.col.missing_products"),
         "no_room": t("expansion.no_room")},
        labels=DL, download=at_top, height=400 if len(at_top) > 10 else None,
    )

st.subheader(t("expansion.near_limit"))
if not {"usage", "usage_limit"} <= has:
    st.info(t("expansion.no_usage"))
else:
    near_pct = state.selectbox(
        t("expansion.near_from"), NEAR_CHOICES, key="ex.near", default=80, parse=int,
        format_func=lambda p: nf.pct(p / 100, 0), help=t("expansion.near_from_help"),
    )
    share = near_pct / 100
    near = views.near_tier_limit(ctx.data, share, as_of, SHOWN)
    if near.empty:
        st.info(t("expansion.none_near", share=nf.pct(share, 0), date=str(as_of.date())))
    else:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("expansion.near_lines"), nf.count(near.attrs["lines"]), border=True)
        c2.metric(t("expansion.near_customers"), nf.count(near.attrs["customers"]),
                  border=True)
        c3.metric(t("expansion.near_mrr"), nf.money(near.attrs["mrr"]), border=True)
        st.caption(t("expansion.near_caption", share=nf.pct(share, 0), date=str(as_of.date())))
        if len(near) < near.attrs["lines"]:  # a warehouse's first rows only
            st.caption(t("expansion.near_fetched_first", shown=nf.count(len(near)),
                         total=nf.count(near.attrs["lines"])))
        elif len(near) > SHOWN:
            st.caption(t("expansion.near_shown_first", shown=nf.count(SHOWN),
                         total=nf.count(len(near))))
        show_table(
            near.head(SHOWN), "near_tier_limit", "near", nf,
            {"mrr": "money", "usage": "count", "usage_limit": "count", "usage_share": "pct"},
            {"customer_id": t("col.customer_id"), "plan": t("dim.plan"), "mrr": t("col.mrr"),
             "usage": t("expansion.col.usage"), "usage_limit": t("expansion.col.usage_limit"),
             "usage_share": t("expansion.col.usage_share")},
            labels=DL, index=False, height=400 if len(near) > 10 else None, download=near,
        )
