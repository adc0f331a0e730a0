"""Movements: the monthly table of MRR movements, the period's MRR bridge, and the customers behind
any figure (with each one's audit trail) so that every number can be reconciled."""

import pandas as pd
import streamlit as st

from mrrkit import KINDS
from mrrkit.bridge import BRIDGE_STEPS, movements_in, mrr_bridge
from ui import charts, state
from ui.shell import page
from ui.tables import show_table

ctx = page("Movements", icon="🔀")
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))

st.title(t("movements.title"))

# --- monthly table -----------------------------------------------------------------------------
st.subheader(t("movements.table"))
st.caption(t("movements.table_help"))
table = ctx.period_monthly
monthly_columns = {
    "start_mrr": "money",
    **{k: "signed_money" for k in BRIDGE_STEPS},
    "net_new": "signed_money",
    "mrr": "money",
    "customers": "count",
    "new_customers": "count",
    "expanded_customers": "count",
    "reactivated_customers": "count",
    "contracted_customers": "count",
    "churned_customers": "count",
}
shown = table.assign(start_mrr=ctx.monthly["mrr"].shift(1, fill_value=0.0).loc[table.index])
shown = shown[list(monthly_columns)]
shown.index = shown.index.astype("str")
headers = {c: t.label(c) for c in monthly_columns}
headers.update({"start_mrr": t("col.start_mrr"), "mrr": t("col.end_mrr"), "month": t("col.month")})
show_table(shown, "mrr_movements", "monthly", nf, monthly_columns, headers, labels=DL)

# --- waterfall ---------------------------------------------------------------------------------
bridge = ctx.compute(mrr_bridge, ctx.start, ctx.end)
st.subheader(t("movements.waterfall", start=ctx.month(ctx.start), end=ctx.month(ctx.end)))
ctx.chart("waterfall", lambda: charts.waterfall_chart(bridge, t=t), ctx.start, ctx.end)
net = float(bridge.loc[list(BRIDGE_STEPS), "amount"].sum())
st.caption(t(
    "movements.waterfall_check",
    start=nf.money(bridge.at["start", "amount"]),
    sign="+" if net >= 0 else "−",
    net=nf.money(abs(net)),
    end=nf.money(bridge.at["end", "amount"]),
))
bridge_shown = bridge.rename(index=lambda s: t(f"kind.{s}") if s in KINDS else
                             (t("col.start_mrr") if s == "start" else t("col.end_mrr")))
show_table(
    bridge_shown, "mrr_bridge", "bridge", nf, {"amount": "money", "customers": "count"},
    {"amount": t("col.mrr"), "customers": t("col.customers"), "step": t("col.step")}, labels=DL,
)

# --- the customers behind a figure -------------------------------------------------------------
st.subheader(t("movements.audit"))
st.caption(t("movements.audit_help"))
months = [str(m) for m in table.index]

# A click on a bar of the chart below picks its month and kind (applied before the pickers).
event = st.session_state.get("mv_chart")
picked = None
if event and event.get("selection", {}).get("pick"):
    point = event["selection"]["pick"][0]
    month = pd.Timestamp(point.get("month"), unit="ms") if isinstance(point.get("month"), (int, float)) \
        else pd.Timestamp(point.get("month"))
    picked = (str(month.to_period("M")), point.get("kind"))
    if picked != st.session_state.get("_mv_last_pick") and picked[0] in months and picked[1] in KINDS:
        state.set_value("mv.month", picked[0])
        state.set_value("mv.kind", picked[1])
    st.session_state["_mv_last_pick"] = picked

c1, c2 = st.columns(2)
month = state.selectbox(
    t("movements.pick_month"), months, key="mv.month", default=months[-1],
    format_func=lambda m: ctx.month(m), container=c1,
)
kind = state.selectbox(
    t("movements.pick_kind"), list(BRIDGE_STEPS), key="mv.kind", default="churn",
    format_func=lambda k: t(f"kind.{k}"), container=c2,
)
ctx.chart(
    "movements", lambda: charts.movement_chart(table, t=t, selectable=True), ctx.start, ctx.end,
    key="mv_chart", on_select="rerun", selection_mode="pick",
)

rows = ctx.compute(movements_in, month, kind)
count_col = {"new": "new_customers", "expansion": "expanded_customers",
             "reactivation": "reactivated_customers", "contraction": "contracted_customers",
             "churn": "churned_customers"}[kind]
period = pd.Period(month, freq="M")
expected = float(ctx.monthly.at[period, kind])
if rows.empty:
    st.info(t("movements.audit_none", kind=t(f"kind.{kind}").lower(), month=ctx.month(month)))
else:
    attrs = ctx.base.attributes
    listing = rows.assign(customer_id=rows["customer_id"].astype("str")).set_index("customer_id")
    listing = listing[["date", "mrr_before", "mrr_after", "amount"]].join(attrs, how="left")
    st.caption(t(
        "movements.audit_total", count=nf.count(len(rows)), total=nf.money(rows["amount"].sum()),
        expected=f"{nf.money(expected)} / {nf.count(ctx.monthly.at[period, count_col])}",
        kind=t(f"kind.{kind}"), month=ctx.month(month),
    ))
    show_table(
        listing, f"movements_{kind}_{month}", "audit", nf,
        {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
        {c: t.label(c) for c in ["date", "mrr_before", "mrr_after", "amount", "customer_id"]},
        labels=DL, height=min(420, 38 + 35 * len(listing)),
    )

    customers = list(dict.fromkeys(listing.index))
    customer = state.selectbox(t("movements.pick_customer"), customers, key="mv.customer")
    trail = ctx.movements[ctx.movements["customer_id"] == customer]  # compares category codes
    st.markdown(f"**{t('movements.trail', customer=customer)}**")
    trail_shown = trail.assign(kind=trail["kind"].map(lambda k: t(f"kind.{k}")).astype("str"))
    show_table(
        trail_shown.drop(columns="customer_id").reset_index(drop=True),
        f"trail_{customer}", "trail", nf,
        {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
        {c: t.label(c) for c in ["date", "kind", "mrr_before", "mrr_after", "amount"]},
        labels=DL, index=False,
    )
    own = ctx.compute(lambda _, c: ctx.lines_of(c), customer, name="movements.lines")
    st.markdown(f"**{t('movements.lines', customer=customer)}**")
    show_table(
        own.reset_index(drop=True), f"lines_{customer}", "lines", nf,
        {"start": "date", "end": "date", "mrr": "money2"},
        {c: t.label(c) for c in ["start", "end", "mrr", "customer_id"]}, labels=DL, index=False,
    )
    if st.button(t("movements.open_customer", customer=customer)):
        state.set_value("cus.id", customer)
        state.set_value("cus.q", "")
        st.switch_page("pages/4_Customers.py")
