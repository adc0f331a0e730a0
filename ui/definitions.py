"""The definitions the figures follow (issue 15): the sidebar's choice (URL key ``defs``), the
caption under each page's title, and what they change (the Overview's "What changes")."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import mrrkit

from . import state, views

#: How each compared figure is written (a kind of ui.format) and its change.
_FIGURES = {"mrr": "money", "net_new_12m": "money", "customer_churn_rate_12m": "pct",
            "nrr_12m": "pct", "quick_ratio_12m": "ratio"}


def choose(fr) -> mrrkit.Definitions | None:
    """The sidebar's choice: mrrkit's definitions (None) or a tool's."""
    t = fr.t
    name = state.selectbox(
        t("definitions.label"), list(mrrkit.DEFINITION_PRESETS), key="defs", default="mrrkit",
        format_func=lambda n: t(f"definitions.preset.{n}"), container=fr.data_box,
        help=t("definitions.help"),
    )
    return None if name == "mrrkit" else mrrkit.Definitions.preset(name)


def _name(ctx) -> str:
    return ctx.t(f"definitions.preset.{ctx.definitions.name}")


def caption(ctx) -> None:
    """Under a page's title: the definitions its figures follow, when not mrrkit's own."""
    if ctx.definitions is not None:
        st.caption(ctx.t("definitions.caption", name=_name(ctx)),
                   help=ctx.t("definitions.caption_help"))


def _written(nf, kind: str, value: float, signed: bool = False) -> str:
    """A compared figure (``signed``: a difference; of rates, in percentage points)."""
    if kind == "money":
        return nf.money(value, 0, signed=signed)
    if kind == "pct":
        return nf.pts(value, 1) if signed else nf.pct(value, 1)
    return nf.ratio(value, 2, signed=signed)


def effect(ctx) -> None:
    """What the chosen definitions change over the 12 months ending with the period's end:
    the headline figures under mrrkit's and theirs, and the customers classified otherwise
    (one click to the Customers page, listing them)."""
    if ctx.definitions is None:
        return
    t, nf, name = ctx.t, ctx.nf, _name(ctx)
    with st.expander(t("definitions.effect", name=name), icon=":material/compare_arrows:"):
        st.caption(t("definitions.effect_help", month=ctx.month(ctx.end), name=name))
        table = views.definitions_effect(ctx.data, ctx.end)
        shown = pd.DataFrame({
            t("definitions.figure"): [t(f"definitions.figure.{f}") for f in table.index],
            t("definitions.preset.mrrkit"): [_written(nf, _FIGURES[f], v)
                                              for f, v in table["mrrkit"].items()],
            name: [_written(nf, _FIGURES[f], v) for f, v in table["other"].items()],
            t("definitions.difference"): [_written(nf, _FIGURES[f], v, signed=True)
                                          for f, v in table["difference"].items()],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
        changed = views.reclassified(ctx.data)
        st.caption(t.plural("definitions.reclassified", len(changed),
                            count=nf.count(len(changed)), name=name))
        if len(changed):
            # A link, not a button and st.switch_page (which refuses while the page's own keys
            # are in the address): this view's keys, and the Customers page's list of them.
            params = {k: v for k, v in state.snapshot().items() if not k.startswith("cus.")}
            st.page_link("pages/4_Customers.py", label=t("definitions.see_them"),
                         icon=":material/group:", query_params={**params, "cus.diff": "changed"})
