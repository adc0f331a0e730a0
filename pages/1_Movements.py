"""Movements: the monthly table of MRR movements, the period's MRR bridge, and what is behind any
figure of them (movements with the subscription lines that made each one, or the customers paying
at a month end), listed so that they add up to the figure."""

import numpy as np
import pandas as pd
import streamlit as st

from mrrkit import BRIDGE_STEPS
from ui import charts, shell, state, views
from ui.format import parts_to_total, plain_md
from ui.format import shown as rounded
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
SHOWN = views.LISTING_ROWS  # rows of a listing drawn on screen (the largest first)
COUNT_COLUMN = {
    "new": "new_customers", "expansion": "expanded_customers",
    "reactivation": "reactivated_customers", "contraction": "contracted_customers",
    "churn": "churned_customers",
}
FIGURES = ("mrr_start", *BRIDGE_STEPS, "mrr_end")  # every column of the table's money side
PERIOD = "period"  # the month picker's "whole reporting period"
STEP_OF = {"mrr_start": "start", "mrr_end": "end"}  # figure -> its waterfall bar


def figure_label(kind: str) -> str:
    return t(f"movements.kind.{kind}") if kind.startswith("mrr_") else t(f"kind.{kind}")


st.title(t("movements.title"))
shell.definitions_caption(ctx)

# --- monthly table -----------------------------------------------------------------------------
st.subheader(t("movements.table"))
st.caption(t("movements.table_help"))
table = ctx.period_monthly
months = [str(m) for m in table.index]
month_options = [*months, PERIOD]


def _clicked(chart: str, param: str) -> tuple[dict | None, tuple | None]:
    """The point that chart ``chart``'s selection ``param`` held when the last run ended, and
    the (month, figure) that chart was drawn for."""
    key, drawn = st.session_state.get(f"_mv_drawn:{chart}", (None, None))
    event = (st.session_state.get(key) or {}) if key else {}
    points = (event.get("selection") or {}).get(param) or []
    return (points[0] if points else None), drawn


def _apply_click(pick: tuple[str, str] | None, drawn: tuple | None) -> None:
    """Point the pickers at a clicked bar (a click that differs from what the chart showed)."""
    if pick is not None and pick != drawn and pick[0] in month_options and pick[1] in FIGURES:
        state.set_value("mv.month", pick[0])
        state.set_value("mv.kind", pick[1])


# A click on a bar of either chart picks its figure. Each chart is drawn with the current choice
# selected and a key made of that choice, so changing the pickers by hand redraws it with the
# new choice highlighted (never a stale selection), and a click always changes the choice.
point, drawn = _clicked("bridge", "step")
if point:
    step = str(point.get("step"))
    _apply_click((PERIOD, {v: k for k, v in STEP_OF.items()}.get(step, step)), drawn)
point, drawn = _clicked("bars", "pick")
if point:
    _apply_click((str(point.get("month_key")), str(point.get("kind"))), drawn)

monthly_columns = {
    "start_mrr": "money",
    **{k: "signed_money" for k in BRIDGE_STEPS},
    "net_new": "signed_money",
    "mrr": "money",
    "customers": "count",
    **{COUNT_COLUMN[k]: "count" for k in BRIDGE_STEPS},
}
shown = table.assign(start_mrr=ctx.monthly["mrr"].shift(1, fill_value=0.0).loc[table.index])
shown = shown[list(monthly_columns)]
exact = shown.copy()  # the downloads keep the exact figures
# On screen each month's figures add up as shown (start + movements = net new, = end): the
# movements share out the rounded change instead of being rounded one by one.
# (Whole columns at once: a cell at a time cost ~10 ms a run.)
steps = list(BRIDGE_STEPS)
starts = exact["start_mrr"].tolist()
parts = np.array([parts_to_total(row, start) for row, start
                  in zip(exact[steps].to_numpy(float).tolist(), starts)]).reshape(-1, len(steps))
start_shown = np.array([rounded(x) for x in starts], float)
shown = shown.assign(**dict(zip(steps, parts.T)), net_new=parts.sum(axis=1),
                     start_mrr=start_shown, mrr=start_shown + parts.sum(axis=1))
shown.index = shown.index.rename("month")  # months as Periods: the table writes "Nov 2025"
headers = {c: t.label(c) for c in monthly_columns}
headers.update({"start_mrr": t("col.start_mrr"), "mrr": t("col.end_mrr"), "month": t("col.month")})
show_table(shown, "mrr_movements", "monthly", nf, monthly_columns, headers, labels=DL, numeric=True,
           download=exact.rename_axis("month"))

# --- waterfall ---------------------------------------------------------------------------------
bridge = views.bridge(ctx.data, ctx.start, ctx.end)
st.subheader(t("movements.waterfall", start=ctx.month(ctx.start), end=ctx.month(ctx.end)))
# The figure picked below (the pickers are drawn later: read their value now).
choice = (state.peek("mv.month"), state.peek("mv.kind"))
picked_step = STEP_OF.get(choice[1], choice[1]) if choice[0] == PERIOD else None
bridge_key = f"mv_bridge:{picked_step}"
st.session_state["_mv_drawn:bridge"] = (bridge_key, choice if picked_step else None)
# One spec per bridge; the bar selected is patched into the copy drawn.
st.vega_lite_chart(
    charts.with_selection(
        ctx.chart_spec(charts.waterfall_chart, bridge, frames=charts.waterfall_chart_frame,
                       selectable=True),
        "step", [{"step": picked_step}] if picked_step else None),
    width="stretch", key=bridge_key, on_select="rerun", selection_mode="step",
)
# Shown, the bridge adds up: the steps share out the rounded change between start and end.
steps = list(BRIDGE_STEPS)
bridge_amounts = bridge["amount"].copy()
bridge_amounts.loc[steps] = parts_to_total(bridge.loc[steps, "amount"].tolist(),
                                           bridge.at["start", "amount"])
bridge_amounts.loc["start"] = rounded(bridge.at["start", "amount"])
bridge_amounts.loc["end"] = bridge_amounts.loc["start"] + bridge_amounts.loc[steps].sum()
net = float(bridge_amounts.loc[steps].sum())
st.caption(t(
    "movements.waterfall_check",
    start=nf.money(bridge_amounts.loc["start"]),
    sign="+" if net >= 0 else "−",
    net=nf.money(abs(net)),
    end=nf.money(bridge_amounts.loc["end"]),
))
step_label = lambda s: t(f"kind.{s}") if s in BRIDGE_STEPS else (  # noqa: E731
    t("col.start_mrr") if s == "start" else t("col.end_mrr"))
bridge_shown = bridge.assign(amount=bridge_amounts).rename(index=step_label)
st.caption(t("movements.bridge_help"))
show_table(
    bridge_shown, "mrr_bridge", "bridge", nf,
    {"amount": "money", "customers": "count", "movements": "count"},
    {"amount": t("col.mrr"), "customers": t("col.customers"), "movements": t("col.movements"),
     "step": t("col.step")}, labels=DL, download=bridge.rename(index=step_label),
)

# --- what is behind a figure -------------------------------------------------------------------
st.subheader(t("movements.audit"))
st.caption(t("movements.audit_help"))

c1, c2 = st.columns(2)
month = state.selectbox(
    t("movements.pick_month"), month_options, key="mv.month", default=months[-1],
    format_func=lambda m: t("movements.whole_period", start=ctx.month(ctx.start),
                            end=ctx.month(ctx.end)) if m == PERIOD else ctx.month(m),
    container=c1,
)
kind = state.selectbox(
    t("movements.pick_kind"), list(FIGURES), key="mv.kind", default="churn",
    format_func=figure_label, container=c2,
)
bars_key = f"mv_bars:{month}:{kind}"
st.session_state["_mv_drawn:bars"] = (bars_key, (month, kind))
st.vega_lite_chart(
    charts.with_selection(
        ctx.chart_spec(charts.movement_chart, table, frames=charts.movement_chart_frames,
                       selectable=True),
        "pick", charts.movement_selection(table, (month, kind))),
    width="stretch", key=bars_key, on_select="rerun", selection_mode="pick",
)

first, last = (ctx.start, ctx.end) if month == PERIOD else (pd.Period(month, "M"),) * 2
when = (t("movements.whole_period", start=ctx.month(first), end=ctx.month(last))
        if month == PERIOD else ctx.month(first))
# The listing's size comes apart from its rows: on a warehouse source only the rows shown are
# fetched (a listing can hold millions), its count and sum by an aggregate query.
count, total = views.listing_size(ctx.data, kind, first, last)
screen = views.listing_screen(ctx.data, kind, first, last, ctx.lang, SHOWN) if count else None
attr_headers = {d: t.dimension(d) for d in views.attribute_names(ctx.data)}


if kind in BRIDGE_STEPS:
    cells = ctx.monthly.loc[first:last]
    expected = float(cells[kind].sum())
    expected_count = int(cells[COUNT_COLUMN[kind]].sum())
    ok = count == expected_count and abs(total - expected) < 0.005
    if not count:
        st.info(t("movements.audit_none", kind=figure_label(kind).lower(), month=when))
    else:
        message = t(
            "movements.reconciled" if ok else "movements.not_reconciled",
            count=nf.count(count), total=nf.money(total, 2), expected=nf.money(expected, 2),
            expected_count=nf.count(expected_count),
        )
        (st.success if ok else st.error)(message)
    formats = {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"}
    columns = ["date", "mrr_before", "mrr_after", "amount",
               *(["reason"] if screen is not None and "reason" in screen.columns else []),
               "lines", *attr_headers]
else:
    at = (first - 1) if kind == "mrr_start" else last
    level_month = ctx.month(at)
    in_table = at in ctx.monthly.index
    expected = float(ctx.monthly.at[at, "mrr"]) if in_table else 0.0
    expected_count = int(ctx.monthly.at[at, "customers"]) if in_table else 0
    ok = count == expected_count and abs(total - expected) < 0.005
    if not count:
        st.info(t("movements.level_none", month=level_month))
    else:
        (st.success if ok else st.error)(t(
            "movements.level_reconciled" if ok else "movements.level_not_reconciled",
            count=nf.count(count), total=nf.money(total, 2), month=level_month,
            expected=nf.money(expected, 2), expected_count=nf.count(expected_count),
        ))
    formats = {"mrr": "money2"}
    columns = ["mrr", *attr_headers]

if count:
    shown_rows = screen[[c for c in columns if c in screen.columns]]

    def download():  # on click: every row (a movement with its lines), or the first `limit`
        out = views.listing_download(ctx.data, kind, first, last, ctx.lang)
        return out[[c for c in columns if c in out.columns]].rename_axis("customer_id")

    headers = {c: t.label(c) for c in ["date", "mrr_before", "mrr_after", "amount", "mrr",
                                       "customer_id", "lines"]}
    headers.update(attr_headers, reason=t("col.reason"))
    limit = views.download_limit(ctx.data)
    if limit is not None and count > limit:
        st.caption(t("movements.shown_first_cut", shown=nf.count(SHOWN), total=nf.count(count),
                     limit=nf.count(limit)))
    elif count > SHOWN:
        st.caption(t("movements.shown_first", shown=nf.count(SHOWN), total=nf.count(count)))
    name = f"{kind}_{month}"
    show_table(
        shown_rows.rename_axis("customer_id"), name, "audit", nf, formats, headers,
        labels=DL, height=min(420, 38 + 35 * min(count, SHOWN)), numeric=True,
        download=download,
    )

    # --- one customer's audit trail ------------------------------------------------------------
    customers = list(dict.fromkeys(screen.index))
    customer = state.selectbox(t("movements.pick_customer"), customers, key="mv.customer")
    trail = views.customer_trail(ctx.data, customer, ctx.lang)
    st.markdown(f"**{t('movements.trail', customer=plain_md(customer))}**")
    st.caption(t("movements.trail_help"))
    trail_shown = trail.assign(kind=trail["kind"].map(lambda k: t(f"kind.{k}")).astype("str"))
    show_table(
        trail_shown.drop(columns="customer_id").reset_index(drop=True)[
            ["date", "kind", "mrr_before", "mrr_after", "amount", "lines"]],
        f"trail_{customer}", "trail", nf,
        {"date": "date", "mrr_before": "money2", "mrr_after": "money2", "amount": "money2"},
        {c: t.label(c) for c in ["date", "kind", "mrr_before", "mrr_after", "amount", "lines"]},
        labels=DL, index=False,
    )
    own = views.customer_lines(ctx.data, [customer]).reset_index(drop=True)
    st.markdown(f"**{t('movements.lines', customer=plain_md(customer))}**")
    show_table(
        own, f"lines_{customer}", "lines", nf,
        {"start": "date", "end": "date", "mrr": "money2"},
        {c: t.label(c) for c in own.columns}, labels=DL, index=False,
    )
    if st.button(
            t("movements.open_customer", customer=plain_md(customer))):
        state.set_value("cus.id", customer)
        state.set_value("cus.q", "")
        st.switch_page("pages/4_Customers.py")
