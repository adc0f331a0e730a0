"""Customers: a searchable list (current MRR, first and last movement, lifetime, attributes) and
each customer's MRR history with its movements and subscription lines."""

import numpy as np
import pandas as pd
import streamlit as st

from mrrkit.customers import customer_history, customer_summary
from ui import charts, state
from ui.shell import page
from ui.audit import customer_trail, lines_of
from ui.tables import show_table

ctx = page("Customers", icon="👥")
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
SHOWN = 250  # rows drawn on screen (the highest MRR first); the download has them all

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
dims = [d for d in ctx.base.dimensions if d in summary.columns]  # attributes that segment
list_columns = ["mrr", "status", "first_movement", "last_movement", "movements",
                "lifetime_months", *dims]
headers = {c: t.label(c) for c in ["customer_id", *list_columns, *ctx.base.attributes.columns]}
screen = top[list_columns].assign(status=top["status"].map(lambda s: t(f"status.{s}")).astype("str"))
# Numbers stay numbers under the locale's formatting, so the list sorts by value.
show_table(
    screen.rename_axis("customer_id"), "customers", "customers", nf,
    {"mrr": "money2", "first_movement": "date", "last_movement": "date", "movements": "count",
     "lifetime_months": "number"},
    headers, labels=DL, height=420, numeric=True,
    download=found.assign(status=found["status"].astype("str")).rename_axis("customer_id"),
)

# --- one customer ------------------------------------------------------------------------------
options = list(top.index)
wanted = state.peek("cus.id")
if isinstance(wanted, str) and wanted in summary.index and wanted not in options:
    options.insert(0, wanted)  # a customer opened from another page stays pickable
customer = state.selectbox(t("customers.pick"), options, key="cus.id")
st.subheader(t("customers.history", customer=customer))
facts = summary.loc[customer]
cols = st.columns(4)
cols[0].metric(t("col.mrr"), nf.money(facts["mrr"], 2))
cols[1].metric(t("col.status"), t(f"status.{facts['status']}"))
cols[2].metric(t("col.first_movement"), f"{pd.Timestamp(facts['first_movement']):%Y-%m-%d}")
cols[3].metric(t("col.lifetime_months"), nf.number(facts["lifetime_months"], 1))
attributes = [f"**{t.label(c)}:** {facts[c]}" for c in ctx.base.attributes.columns
              if c in dims and isinstance(facts[c], str) and facts[c]]
if attributes:
    st.markdown(" · ".join(attributes))
history = customer_history(ctx.movements, customer)
st.caption(t("customers.history_help"))
ctx.chart("history", lambda: charts.customer_history_chart(history, t=t), customer)

st.markdown(f"**{t('customers.movements')}**")
st.caption(t("movements.trail_help"))
own_moves = customer_trail(ctx, customer)
moves = own_moves.assign(kind=own_moves["kind"].map(lambda k: t(f"kind.{k}")).astype("str"))[
    ["date", "kind", "mrr_before", "mrr_after", "amount", "lines"]]
show_table(
    moves.reset_index(drop=True), f"movements_{customer}", "history", nf,
    {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
    {c: t.label(c) for c in moves.columns}, labels=DL, index=False,
)
st.markdown(f"**{t('customers.lines')}**")
own = lines_of(ctx, [customer]).reset_index(drop=True)
show_table(
    own, f"lines_{customer}", "lines", nf, {"start": "date", "end": "date", "mrr": "money2"},
    {c: t.label(c) for c in own.columns}, labels=DL, index=False,
)
