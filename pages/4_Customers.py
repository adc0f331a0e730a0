"""Customers: a searchable list (id with the name and email the export gives, current MRR, first
and last movement, lifetime, attributes) and, for one of the customers listed, its MRR history
with its movements and subscription lines."""

import pandas as pd
import streamlit as st
from babel.dates import format_date

from mrrkit import IDENTITY_COLUMNS
from ui import charts, shell, state, views
from ui.format import plain_md
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
SHOWN = 250  # rows drawn on screen (the highest MRR first); the download has them all

st.title(t("customers.title"))
shell.definitions_caption(ctx)


c1, c2 = st.columns([3, 1])
query = state.text_input(t("customers.search"), key="cus.q", container=c1,
                         native=True).strip()
status = state.segmented(
    t("customers.status"), ["all", "active", "churned"], key="cus.status",
    format_func=lambda s: t(f"customers.status.{s}"), container=c2,
)
changed_only = False
if ctx.definitions is not None:
    # Under other definitions: the customers whose movements they classify otherwise.
    preset = t(f"definitions.preset.{ctx.definitions.name}")
    changed_only = state.segmented(
        t("customers.reclassified"), ["all", "changed"], key="cus.diff",
        format_func=lambda s: t(f"customers.reclassified.{s}", name=preset),
    ) == "changed"

# A customer opened by a link (the URL, another page's "open" button) is shown even if it does
# not match the search and status, with a notice saying so, as long as the reader keeps that
# search and status and that customer; otherwise the picker offers only customers listed.
_PIN = "_mrrkit_customers_pin"  # (customer, query, status) of the link
_LAST = "_mrrkit_customers_last"  # the customer the picker showed last in this session
ss = st.session_state
picker = state.widget_key("cus.id")
wanted = state.peek("cus.id")
if isinstance(wanted, str) and picker not in ss and wanted != ss.get(_LAST):
    ss[_PIN] = (wanted, query, status)  # not this session's own earlier pick: a link's
pin = ss.get(_PIN)
if pin is not None and (
    pin[1:] != (query, status) or views.customer_facts(ctx.data, pin[0]) is None
    or (picker in ss and ss[picker] != pin[0])
):
    ss.pop(_PIN, None)
    pin = None
opened = pin[0] if pin is not None else None

# Every match for an upload; on a warehouse the first SHOWN, searched and sorted there.
listing = views.customer_list(ctx.data, query, status, ctx.end if changed_only else None, SHOWN,
                              opened)
found = listing.rows
top = found.head(SHOWN)
ident = [c for c in IDENTITY_COLUMNS if c in found.columns]  # name, email: next to the id
dims = [d for d in ctx.base.dimensions if d in found.columns]  # attributes that segment


def who(customer: str) -> str:
    """The customer's id followed by its name and email (those the data gives), as plain text."""
    row = top.loc[customer] if customer in top.index else views.customer_facts(ctx.data, customer)
    parts = [customer]
    for col in ident:
        value = row[col]
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    return " · ".join(parts)


if listing.found == 0:
    status_text = t(f"customers.status.{status}")
    shown_query = plain_md(query)  # typed by the reader: shown as typed (st.info is Markdown)
    if query and status != "all":
        st.info(t("customers.none_both", query=shown_query, status=status_text))
    elif query:
        st.info(t("customers.none", query=shown_query))
    elif status != "all":
        st.info(t("customers.none_status", status=status_text))
    else:
        st.info(t("customers.none_all"))
    if opened is None:
        state.stop()
else:
    # The three counts a reader meets: customers listed here, those of them paying now, and
    # the sidebar's selection (or the data's customers), which also counts customers that never
    # had any MRR and so have no history here.
    as_of = format_date(ctx.as_of.date(), "medium", locale=nf.locale)
    st.caption(t("customers.count" if query or status != "all" else "customers.count_all",
                 listed=nf.count(listing.found), paying=nf.count(listing.paying), as_of=as_of))
    if listing.selected > listing.customers:
        st.caption(t("customers.scope" if ctx.filters else "customers.scope_all",
                     selected=nf.count(listing.selected),
                     never=nf.count(listing.selected - listing.customers)))
    if listing.found > SHOWN:
        # (a warehouse lists, and downloads, the first SHOWN: the others stay in it)
        st.caption(t("customers.truncated" if listing.complete else "customers.truncated_top",
                     shown=nf.count(SHOWN), total=nf.count(listing.found)))

if not found.empty:
    list_columns = [*ident, "mrr", "status", "first_movement", "last_movement", "movements",
                    "lifetime_months", *dims]
    headers = {c: t.label(c) for c in ["customer_id", *list_columns]}
    headers.update({c: t.dimension(c) for c in ctx.base.attributes.columns if c not in ident})
    screen = top[list_columns].assign(
        status=top["status"].map(lambda s: t(f"status.{s}")).astype("str"))
    # Numbers stay numbers under the locale's formatting, so the list sorts by value.
    show_table(
        screen.rename_axis("customer_id"), "customers", "customers", nf,
        {"mrr": "money2", "first_movement": "date", "last_movement": "date", "movements": "count",
         "lifetime_months": "number"},
        headers, labels=DL, height=420, numeric=True,
        download=found.assign(status=found["status"].astype("str")).rename_axis("customer_id"),
    )

# --- one customer: among those listed (and one a link opened) ----------------------------------
options = list(top.index)
if opened is not None and opened not in options:
    options.insert(0, opened)  # beyond the first SHOWN, or outside the search and status
customer = state.selectbox(t("customers.pick"), options, key="cus.id", format_func=who,
                           always=True)  # in the address, so a copied link shows this customer
ss[_LAST] = customer
if customer == opened and not listing.pinned_listed:
    st.warning(t("customers.outside", customer=plain_md(who(customer))), icon="🔗")
st.subheader(t("customers.history", customer=plain_md(who(customer))))
facts = top.loc[customer] if customer in top.index else views.customer_facts(ctx.data, customer)
cols = st.columns(4)
cols[0].metric(t("col.mrr"), nf.money(facts["mrr"], 2))
cols[1].metric(t("col.status"), t(f"status.{facts['status']}"))
cols[2].metric(t("col.first_movement"), f"{pd.Timestamp(facts['first_movement']):%Y-%m-%d}")
cols[3].metric(t("col.lifetime_months"), nf.number(facts["lifetime_months"], 1))
# Attribute names and values come from the file: plain text inside the Markdown.
attributes = [t("app.labelled", label=plain_md(t.label(c) if c in ident else t.dimension(c)),
                value=plain_md(facts[c]))
              for c in ctx.base.attributes.columns
              if c in dims and isinstance(facts[c], str) and facts[c]]
if attributes:
    st.markdown(" · ".join(attributes))
history = views.customer_history(ctx.data, customer)
st.caption(t("customers.history_help"))
ctx.chart(charts.customer_history_chart, history)

st.markdown(f"**{t('customers.movements')}**")
st.caption(t("movements.trail_help"))
own_moves = views.customer_trail(ctx.data, customer, ctx.lang)
moves = own_moves.assign(kind=own_moves["kind"].map(lambda k: t(f"kind.{k}")).astype("str"))[
    ["date", "kind", "mrr_before", "mrr_after", "amount", "lines"]]
show_table(
    moves.reset_index(drop=True), f"movements_{customer}", "history", nf,
    {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
    {c: t.label(c) for c in moves.columns}, labels=DL, index=False,
)
st.markdown(f"**{t('customers.lines')}**")
own = views.customer_lines(ctx.data, [customer]).reset_index(drop=True)
show_table(
    own, f"lines_{customer}", "lines", nf, {"start": "date", "end": "date", "mrr": "money2"},
    {c: t.label(c) for c in own.columns}, labels=DL, index=False,
)
