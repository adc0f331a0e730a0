"""Customers: a searchable list (current MRR, first and last movement, lifetime, attributes) and
each customer's MRR history with its movements and subscription lines."""

import numpy as np
import pandas as pd
import streamlit as st

from mrrkit.customers import customer_history, customer_summary
from ui import charts, state
from ui.shell import page
from ui.tables import downloads, show_table

ctx = page("Customers", icon="👥")
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
SHOWN = 500  # rows drawn on screen; the download has them all

st.title(t("customers.title"))


def summary_of(movements):
    out = customer_summary(movements, ctx.base.attributes)
    # Text attributes as categoricals: a search then tests each distinct value once, not each
    # customer (fast on hundreds of thousands of customers).
    for col in ctx.base.attributes.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype("category")
    return out


summary = ctx.compute(summary_of, name="customers.summary")


def matches(query: str) -> np.ndarray:
    """Customers whose id or any attribute contains ``query`` (case-insensitive)."""
    q = query.lower()
    hit = np.asarray(summary.index.str.lower().str.contains(q, regex=False), dtype=bool)
    for col in ctx.base.attributes.columns:
        values = summary[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = values.cat.categories.astype("str").str.lower().str.contains(q, regex=False)
            hit |= np.isin(values.cat.codes.to_numpy(), np.flatnonzero(np.asarray(cats, dtype=bool)))
        else:
            hit |= values.astype("str").str.lower().str.contains(q, regex=False).fillna(False).to_numpy(
                dtype=bool)
    return hit


c1, c2 = st.columns([3, 1])
query = state.text_input(t("customers.search"), key="cus.q", container=c1).strip()
status = state.segmented(
    t("customers.status"), ["all", "active", "churned"], key="cus.status",
    format_func=lambda s: t(f"customers.status.{s}"), container=c2,
)
mask = np.ones(len(summary), bool)
if query:
    mask &= ctx.compute(lambda _, q: matches(q), query, name="customers.search")
if status != "all":
    mask &= (summary["status"] == status).to_numpy()
found = summary[mask].sort_values("mrr", ascending=False, kind="stable")
st.caption(t("customers.count", shown=nf.count(min(len(found), SHOWN)), total=nf.count(len(found))))
if found.empty:
    st.info(t("customers.none"))
    st.stop()
if len(found) > SHOWN:
    st.caption(t("customers.truncated", shown=nf.count(SHOWN), total=nf.count(len(found))))

top = found.head(SHOWN)
headers = {c: t.label(c) for c in ["mrr", "status", "first_movement", "last_movement", "movements",
                                   "lifetime_months", "customer_id", *ctx.base.attributes.columns]}
headers["mrr"] = f"{t('col.mrr')} ({nf.currency})"
screen = top.assign(status=top["status"].map(lambda s: t(f"status.{s}")).astype("str"))
screen = screen.rename(columns=headers).rename_axis(t("col.customer_id"))
screen.attrs = {}
# Numeric columns stay numbers here so the list sorts by them (shown in the browser's locale).
st.dataframe(
    screen, width="stretch", height=420,
    column_config={
        headers["mrr"]: st.column_config.NumberColumn(format="localized"),
        headers["lifetime_months"]: st.column_config.NumberColumn(format="%.1f"),
        headers["first_movement"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
        headers["last_movement"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
    },
)
downloads(found.rename(columns=headers).rename_axis(t("col.customer_id")), "customers", "customers", DL)

# --- one customer ------------------------------------------------------------------------------
options = list(top.index)
wanted = state.peek("cus.id")
if isinstance(wanted, str) and wanted in summary.index and wanted not in options:
    options.insert(0, wanted)  # a customer opened from another page stays pickable
customer = state.selectbox(t("customers.pick"), options, key="cus.id")
st.subheader(t("customers.history", customer=customer))
history = customer_history(ctx.movements, customer)
ctx.chart("history", lambda: charts.customer_history_chart(history, t=t), customer)
facts = summary.loc[customer]
cols = st.columns(4)
cols[0].metric(t("col.mrr"), nf.money(facts["mrr"], 2))
cols[1].metric(t("col.status"), t(f"status.{facts['status']}"))
cols[2].metric(t("col.first_movement"), f"{pd.Timestamp(facts['first_movement']):%Y-%m-%d}")
cols[3].metric(t("col.lifetime_months"), nf.number(facts["lifetime_months"], 1))

st.markdown(f"**{t('customers.movements')}**")
moves = history.dropna(subset=["kind"]).assign(
    kind=lambda f: f["kind"].map(lambda k: t(f"kind.{k}")).astype("str"),
    mrr_before=lambda f: f["mrr"] - f["amount"],
)[["date", "kind", "mrr_before", "mrr", "amount"]].rename(columns={"mrr": "mrr_after"})
show_table(
    moves, f"movements_{customer}", "history", nf,
    {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
    {c: t.label(c) for c in moves.columns}, labels=DL, index=False,
)
st.markdown(f"**{t('customers.lines')}**")
own = ctx.compute(lambda _, c: ctx.lines_of(c), customer, name="customers.lines")
show_table(
    own, f"lines_{customer}", "lines", nf, {"start": "date", "end": "date", "mrr": "money2"},
    {c: t.label(c) for c in own.columns}, labels=DL, index=False,
)
